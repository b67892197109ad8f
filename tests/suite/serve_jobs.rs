//! `/api/admin/jobs` over real HTTP: the jobs of the token's profile listed, shown, their runs,
//! and a run started now whose turn goes through the shared core (fake provider).

use crate::support::fake_provider::Reply;
use crate::support::serve::{Server, problem};
use harness::jobs::api::{self, AddJob};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_jobs_list_show_run_now_and_runs() {
    let s = Server::start().await;
    let job = api::add(
        &s.core.deps().store,
        AddJob {
            name: "nightly".into(),
            schedule: "@daily".into(),
            utc: false,
            agent: None,
            model: None,
            approve: "deny".into(),
            max_retries: 0,
            retry_backoff_secs: 60,
            prompt: "summarise the day".into(),
        },
    )
    .await
    .unwrap();
    let get = |path: String| {
        let req = s.http.get(s.url(&path)).bearer_auth(&s.token);
        async move { req.send().await.unwrap() }
    };
    let list: Value = get("/api/admin/jobs".into()).await.json().await.unwrap();
    assert_eq!(list[0]["name"], "nightly", "{list}");
    let one: Value = get("/api/admin/jobs/nightly".into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], job.id.as_str(), "{one}");
    problem(get("/api/admin/jobs/nope".into()).await, 404).await;

    s.fake.push(Reply::text("the day, summarised"));
    let run: Value = s
        .http
        .post(s.url(&format!("/api/admin/jobs/{}/run", job.id)))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(run["status"], "succeeded", "{run}");
    let runs: Value = get(format!("/api/admin/jobs/{}/runs", job.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");
    assert_eq!(runs[0]["conversation_id"], run["conversation_id"]);

    // Another profile's token sees no job.
    let (_, other) = s
        .core
        .deps()
        .store
        .create_token("work", None)
        .await
        .unwrap();
    let theirs: Value = s
        .http
        .get(s.url("/api/admin/jobs"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, serde_json::json!([]));
    let hidden = s
        .http
        .get(s.url(&format!("/api/admin/jobs/{}", job.id)))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    problem(hidden, 404).await;
}
