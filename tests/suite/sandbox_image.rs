//! SLOW (Docker): `harness sandbox build` builds the real default image from the Dockerfile in
//! the binary, then a bash tool call runs in it with the default config and nothing but an
//! exported key. The base is a local Debian root (`scripts/sandbox-test-base`, no registry
//! here); the Dockerfile's apt step installs the tools inside the build, which takes a few
//! minutes the first time and seconds once Docker's build cache has it.

use crate::support::docker_image::{engine, workspace};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::{TempHome, stderr, stdout};
use harness::sandbox::docker::default_image;
use harness::sandbox::docker::image::image_present;

/// The tag `scripts/sandbox-test-base` gives the debootstrapped Debian root.
const BASE: &str = "harness-test-debian:bookworm-minbase";

/// Every tool the image promises, in one command (compiled in the workspace: the sandbox's
/// /tmp is a noexec tmpfs).
const CHECK: &str = "git --version && rg --version && python3 -c 'print(6*7)' \
    && printf 'int main(void){return 0;}\\n' > t.c && cc -o t t.c && ./t \
    && echo C-OK && curl --version && bash --version";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_docker_sandbox_build_then_bash_runs_in_the_default_image() {
    let Some(client) = engine("sandbox build").await else {
        return;
    };
    if !image_present(&client, BASE).await.unwrap() {
        crate::support::prereq::missing(
            "sandbox build",
            &format!("the Debian base image {BASE} is missing: run scripts/sandbox-test-base"),
        );
        return;
    }
    let server = FakeProvider::start(Flavor::Anthropic).await;
    server.push(Reply::tool_call(
        "toolu_1",
        "bash",
        serde_json::json!({ "command": CHECK }),
    ));
    server.push(Reply::text("Every tool is there."));
    let home = TempHome::new();
    let ws = workspace();
    let base_url = server.base_url();
    let (build, run) = tokio::task::spawn_blocking(move || {
        let build = home
            .cmd()
            .args(["sandbox", "build", "--base", BASE])
            .output()
            .unwrap();
        let run = home
            .cmd()
            .current_dir(ws.path())
            .env("ANTHROPIC_API_KEY", FakeProvider::API_KEY)
            .env("ANTHROPIC_BASE_URL", &base_url)
            .args(["run", "--approve", "auto", "check the tools"])
            .output()
            .unwrap();
        (build, run)
    })
    .await
    .unwrap();

    let built = stdout(&build);
    assert!(build.status.success(), "{built}\n{}", stderr(&build));
    assert!(
        built.contains("Step 1/"),
        "build output is streamed: {built}"
    );
    assert!(
        built.contains(&format!("built {}", default_image::tag())),
        "{built}"
    );
    assert!(built.contains("tool calls use it from now on"), "{built}");
    assert!(image_present(&client, default_image::tag()).await.unwrap());

    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(stdout(&run), "Every tool is there.\n");
    let requests = server.chat_requests();
    assert_eq!(requests.len(), 2);
    let result = &requests[1].body_text;
    for want in ["git version", "ripgrep", "42", "C-OK", "curl ", "GNU bash"] {
        assert!(
            result.contains(want),
            "`{want}` missing from the tool result: {result}"
        );
    }
}
