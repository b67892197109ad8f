//! `harness serve` over real HTTP (tests/support/serve.rs runs it in process): health and
//! auth, problem+json for bad input, the conversation routes, profiles, the OpenAPI document
//! against the router, and the token commands of the binary.

use crate::support::home::{TempHome, stderr, stdout};
use crate::support::serve::{Server, problem};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_open_and_every_api_route_needs_a_live_token() {
    let s = Server::start().await;
    let health = s.http.get(s.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"], "ok");

    let none = s
        .http
        .get(s.url("/api/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let body = problem(none, 401).await;
    assert!(
        body["detail"].as_str().unwrap().contains("Bearer"),
        "{body}"
    );
    let wrong = s
        .http
        .get(s.url("/api/conversations"))
        .bearer_auth("hns_not-a-token")
        .send()
        .await
        .unwrap();
    problem(wrong, 401).await;
    let ws = s
        .http
        .get(s.url("/api/conversations/x/ws"))
        .send()
        .await
        .unwrap();
    problem(ws, 401).await;

    // A revoked token stops working at once.
    let store = &s.core.deps().store;
    let (record, secret) = store.create_token("default", None).await.unwrap();
    let ok = s
        .http
        .get(s.url("/api/conversations"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    store.revoke_token(&record.id).await.unwrap();
    let revoked = s
        .http
        .get(s.url("/api/conversations"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    problem(revoked, 401).await;

    problem(s.get("/api/nothing-here").send().await.unwrap(), 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_created_listed_shown_deleted_and_restored() {
    let s = Server::start().await;
    let a = s.create("alpha plans").await;
    let b = s.create("beta notes").await;

    let list: Value = s
        .get("/api/conversations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let page: Value = s
        .get("/api/conversations?limit=1&offset=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let found: Value = s
        .get("/api/conversations?query=beta")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], b.as_str());

    let one: Value = s
        .get(&format!("/api/conversations/{a}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], a.as_str());
    assert_eq!(one["title"], "alpha plans");
    assert_eq!(one["messages"], json!([]));
    let messages: Value = s
        .get(&format!("/api/conversations/{a}/messages?limit=10"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(messages, json!([]));

    let deleted = s
        .http
        .delete(s.url(&format!("/api/conversations/{a}")))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let live: Value = s
        .get("/api/conversations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(live["total"], 1);
    let gone: Value = s
        .get("/api/conversations?deleted=true")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gone["items"][0]["id"], a.as_str());
    let restored = s
        .post(&format!("/api/conversations/{a}/restore"), json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200);
    let live: Value = s
        .get("/api/conversations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(live["total"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_the_right_problem() {
    let s = Server::start().await;
    let unknown = s
        .get("/api/conversations/0190aaaa-0000-7000-8000-000000000000")
        .send()
        .await
        .unwrap();
    problem(unknown, 404).await;
    let bad_json = s
        .http
        .post(s.url("/api/conversations"))
        .bearer_auth(&s.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(bad_json, 400).await;
    let unknown_field = s
        .post("/api/conversations", json!({"tittle": "typo"}))
        .send()
        .await
        .unwrap();
    let body = problem(unknown_field, 400).await;
    assert!(
        body["detail"].as_str().unwrap().contains("tittle"),
        "{body}"
    );
    let huge = s
        .post("/api/conversations", json!({"title": "x".repeat(10_000)}))
        .send()
        .await
        .unwrap();
    problem(huge, 413).await;
    let bad_query = s.get("/api/conversations?limit=lots").send().await.unwrap();
    problem(bad_query, 400).await;
    let id = s.create("t").await;
    let empty = s
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({"content": " "}),
        )
        .send()
        .await
        .unwrap();
    problem(empty, 400).await;
    let no_such_call = s
        .post(
            &format!("/api/conversations/{id}/approvals/call_9"),
            json!({"decision": "once"}),
        )
        .send()
        .await
        .unwrap();
    problem(no_such_call, 404).await;
    let bad_decision = s
        .post(
            &format!("/api/conversations/{id}/approvals/call_9"),
            json!({"decision": "maybe"}),
        )
        .send()
        .await
        .unwrap();
    problem(bad_decision, 400).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_another_profile_sees_no_conversation() {
    let s = Server::start().await;
    let id = s.create("mine").await;
    let (_, other) = s
        .core
        .deps()
        .store
        .create_token("work", None)
        .await
        .unwrap();
    let list: Value = s
        .http
        .get(s.url("/api/conversations"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!({"items": [], "total": 0}));
    let one = s
        .http
        .get(s.url(&format!("/api/conversations/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    let body = problem(one, 404).await;
    assert!(!body.to_string().contains("mine"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route_of_the_router() {
    let s = Server::start().await;
    let doc: Value = s
        .get("/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    // Every route the router declares (read from its source) is in the document...
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/serve/mod.rs"),
    )
    .unwrap();
    let method = regex::Regex::new(r"\b(get|post|delete|put|patch)\(").unwrap();
    let mut declared = Vec::new();
    for chunk in source.split(".route(").skip(1) {
        // The call's text: its lines up to the next chained call or the end of the function.
        let call: Vec<&str> = chunk
            .lines()
            .enumerate()
            .take_while(|(i, l)| {
                *i == 0 || !(l.trim_start().starts_with('.') || l.starts_with('}'))
            })
            .map(|(_, l)| l)
            .collect();
        let call = call.join("\n");
        let path = call.split('"').nth(1).unwrap().to_string();
        for m in method.captures_iter(&call) {
            declared.push((m[1].to_string(), path.clone()));
        }
    }
    assert!(declared.len() >= 11, "{declared:?}");
    for (m, p) in &declared {
        assert!(
            doc["paths"][p][m].is_object(),
            "{m} {p} is not in the OpenAPI document"
        );
    }
    // ...and every documented route is served (not the 404 fallback nor a 405).
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, item) in paths {
        for m in item.as_object().unwrap().keys() {
            documented += 1;
            assert!(
                declared.contains(&(m.clone(), path.clone())),
                "{m} {path} documented, not routed"
            );
            let url = s.url(&path.replace("{id}", "nope").replace("{call_id}", "c"));
            let r = s
                .http
                .request(m.to_uppercase().parse().unwrap(), url)
                .bearer_auth(&s.token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_ne!(r.status(), 405, "{m} {path}");
            if r.status() == 404 {
                let body: Value = r.json().await.unwrap();
                assert!(
                    !body["detail"].as_str().unwrap().contains("no such route"),
                    "{m} {path}"
                );
            }
        }
    }
    assert_eq!(documented, declared.len());
}

#[test]
fn tokens_are_created_listed_and_revoked_with_the_binary() {
    let home = TempHome::new();
    let out = home.run(&["token", "create", "--profile", "default", "--label", "ci"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = stdout(&out);
    let secret = printed.lines().next().unwrap().trim().to_string();
    assert!(secret.starts_with("hns_") && secret.len() > 40, "{printed}");

    let list = home.run(&["token", "list", "--json"]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let tokens: Value = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert_eq!(tokens[0]["profile"], "default");
    assert_eq!(tokens[0]["label"], "ci");
    assert!(tokens[0]["revoked_at"].is_null());
    assert!(
        !stdout(&list).contains(&secret),
        "list never shows the secret"
    );
    // Only the hash is on disk.
    let mut on_disk = std::fs::read(home.db()).unwrap();
    for ext in ["-wal", "-shm"] {
        if let Ok(more) = std::fs::read(format!("{}{ext}", home.db().display())) {
            on_disk.extend(more);
        }
    }
    assert!(!String::from_utf8_lossy(&on_disk).contains(&secret));

    let id = tokens[0]["id"].as_str().unwrap();
    let revoke = home.run(&["token", "revoke", &id[..13]]);
    assert_eq!(revoke.status.code(), Some(0), "{}", stderr(&revoke));
    let list: Value =
        serde_json::from_str(&stdout(&home.run(&["token", "list", "--json"]))).unwrap();
    assert!(list[0]["revoked_at"].is_string(), "{list}");
    let plain = stdout(&home.run(&["token", "list"]));
    assert!(plain.contains("revoked") && plain.contains("ci"), "{plain}");

    let unknown = home.run(&["token", "revoke", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("harness token list"),
        "{}",
        stderr(&unknown)
    );
}
