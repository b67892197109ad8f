//! Parser throughput of each wire flavour: the bytes the fake provider sends for a reply of
//! 20,000 text deltas plus a streamed tool call, fed to the flavour's decoder in 16 KiB reads
//! (a typical socket read). Reported as MB/s by criterion (`cargo bench --bench providers`).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/support/fake_provider/wire.rs"]
#[allow(dead_code)]
mod wire;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use harness::providers::ProviderEvent;
use harness::providers::anthropic::AnthropicDecoder;
use harness::providers::ollama::OllamaDecoder;
use harness::providers::openai::OpenAiDecoder;
use harness::providers::stream::WireDecoder;
use wire::{Flavor, Reply, render};

fn decoder(flavor: Flavor) -> Box<dyn WireDecoder> {
    match flavor {
        Flavor::Anthropic => Box::new(AnthropicDecoder::new("bench", None)),
        Flavor::Ollama => Box::new(OllamaDecoder::new("bench", None)),
        _ => Box::new(OpenAiDecoder::new("bench", None)),
    }
}

fn decode_all(flavor: Flavor, bytes: &[u8]) -> usize {
    let mut d = decoder(flavor);
    let mut out: Vec<ProviderEvent> = Vec::with_capacity(1024);
    let mut events = 0;
    for chunk in bytes.chunks(16 * 1024) {
        d.feed(chunk, &mut out).unwrap();
        events += out.len();
        out.clear();
    }
    d.finish(&mut out).unwrap();
    events + out.len()
}

fn parsers(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for flavor in Flavor::ALL {
        let reply = Reply::many_deltas(20_000).then_tool_call(
            "call_1",
            "bash",
            serde_json::json!({"command": "ls -la && echo done"}),
        );
        let bytes = render(flavor, &reply);
        assert!(decode_all(flavor, &bytes) > 20_000);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(flavor.kind(), |b| b.iter(|| decode_all(flavor, &bytes)));
    }
    group.finish();
}

criterion_group!(benches, parsers);
criterion_main!(benches);
