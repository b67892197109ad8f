//! The test suite's fake provider as a standalone process, for whole-process benchmarks
//! (scripts/bench-stream.sh) and manual runs. Every chat request gets the same reply.
//!
//! Usage: `fake_provider FLAVOR DELTAS [PORT]`, FLAVOR one of anthropic, openai, openrouter,
//! zai, ollama. Prints `BASE_URL CHAT_URL` on one line once listening, then serves until
//! killed.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/support/fake_provider/mod.rs"]
mod fake_provider;

use fake_provider::{FakeProvider, Flavor, Reply};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flavor = match args.first().map(String::as_str) {
        Some("anthropic") => Flavor::Anthropic,
        Some("openai") => Flavor::OpenAi,
        Some("openrouter") => Flavor::OpenRouter,
        Some("zai") => Flavor::Zai,
        Some("ollama") => Flavor::Ollama,
        _ => {
            eprintln!("usage: fake_provider anthropic|openai|openrouter|zai|ollama DELTAS [PORT]");
            return std::process::ExitCode::from(2);
        }
    };
    let Some(deltas) = args.get(1).and_then(|d| d.parse::<usize>().ok()) else {
        eprintln!("fake_provider: DELTAS must be a number of text deltas per reply");
        return std::process::ExitCode::from(2);
    };
    let port = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let server = match FakeProvider::start_on(flavor, port).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake_provider: cannot listen on 127.0.0.1:{port}: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    server.set_default_reply(Some(Reply::many_deltas(deltas)));
    server.set_models(&["fake-model"]);
    println!("{} {}", server.base_url(), server.chat_url());
    let _ = tokio::signal::ctrl_c().await;
    std::process::ExitCode::SUCCESS
}
