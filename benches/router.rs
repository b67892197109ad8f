//! The router runs once per user message: classification plus rule matching must stay far
//! below anything a user could notice. Run: `cargo bench --bench router`.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use harness::agents::Agent;
use harness::router::{ClassifyInput, RouteInput, Router, classify};
use std::path::Path;

fn example_config() -> harness::config::Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    harness::config::parse(&text, &path, &|_| Some("bench-key".to_string()))
        .unwrap_or_else(|e| panic!("examples/config.toml: {e}"))
}

fn prompts() -> Vec<(&'static str, String)> {
    let code = "fn handle(req: Request) -> Result<Response, Error> {\n    let user = db.find(req.id)?;\n    Ok(Response::json(&user))\n}\n".repeat(40);
    vec![
        ("short", "hey, how are you?".to_string()),
        (
            "question",
            "How do I reverse a vector in Rust without allocating a new one?".to_string(),
        ),
        (
            "code_4k",
            format!("Refactor this handler so errors map to 4xx codes:\n```rust\n{code}```"),
        ),
        (
            "paste_64k_non_ascii",
            "Der Bericht über das Quartal zeigt Wachstum in jeder Region, größer als erwartet. "
                .repeat(800),
        ),
        (
            "paste_1mb",
            "The quarterly report says revenue grew in every region. ".repeat(18_000),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let config = example_config();
    let router = Router::new(&config.router).unwrap_or_else(|e| panic!("{e}"));
    let agent = Agent::general();
    let up = |_: &str| true;
    for (name, text) in prompts() {
        c.bench_function(&format!("classify/{name}"), |b| {
            b.iter(|| {
                classify(black_box(&ClassifyInput {
                    text: &text,
                    agent: "general",
                    previous: None,
                }))
            })
        });
        c.bench_function(&format!("route/{name}"), |b| {
            b.iter(|| {
                router.route(black_box(&RouteInput {
                    text: &text,
                    agent: &agent,
                    pinned: None,
                    previous: None,
                    config: &config,
                    available: &up,
                    budget: None,
                }))
            })
        });
    }
    c.bench_function("router_new/example_table", |b| {
        b.iter(|| Router::new(black_box(&config.router)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
