//! Store benchmark (a bench binary, `cargo bench --bench store`): builds a database of 1,000
//! conversations x 100 messages plus one 10,000-message conversation in a temporary directory,
//! then measures the operations the UI and the core do all the time and prints p50/p99/max:
//! durable append of one message (synchronous FULL, and NORMAL for comparison), listing the 50 most recent conversations, loading the last
//! 200 messages of the long conversation, and full-text search.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use harness::message::{ConversationId, Role};
use harness::store::{ListQuery, NewMessage, Store, conversations, messages, search};
use std::time::{Duration, Instant};

const WORDS: &[&str] = &[
    "parser",
    "refactor",
    "async",
    "tokio",
    "stream",
    "error",
    "config",
    "router",
    "model",
    "sandbox",
    "docker",
    "terminal",
    "render",
    "cache",
    "index",
    "query",
    "migration",
    "schema",
    "thread",
    "channel",
    "buffer",
    "latency",
    "throughput",
    "benchmark",
    "function",
    "closure",
];

fn sentence(seed: u64, words: usize) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = String::with_capacity(words * 8);
    for i in 0..words {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[(x % WORDS.len() as u64) as usize]);
    }
    out
}

fn populate(store: &Store) -> ConversationId {
    store
        .call_blocking(|conn| {
            let tx = conn.transaction()?;
            let base = chrono::Utc::now().timestamp_millis() - 10_000_000;
            for c in 0..1_000u64 {
                let id = ConversationId::new().to_string();
                tx.execute(
                    "INSERT INTO conversations (id, title, agent, created_at, updated_at) VALUES (?1, ?2, 'general', ?3, ?3)",
                    rusqlite::params![id, sentence(c, 5), base + c as i64 * 1000],
                )?;
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO messages (id, conversation_id, ordinal, role, content, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'complete', ?6)",
                )?;
                for m in 0..100u64 {
                    stmt.execute(rusqlite::params![
                        harness::message::MessageId::new().to_string(),
                        id,
                        m as i64 + 1,
                        if m % 2 == 0 { "user" } else { "assistant" },
                        sentence(c * 1000 + m, 40),
                        base + c as i64 * 1000 + m as i64,
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .unwrap();
    let long = ConversationId::new();
    store
        .call_blocking(move |conn| {
            let tx = conn.transaction()?;
            let now = chrono::Utc::now().timestamp_millis();
            tx.execute(
                "INSERT INTO conversations (id, title, agent, created_at, updated_at) VALUES (?1, 'long', 'general', ?2, ?2)",
                rusqlite::params![long.to_string(), now],
            )?;
            let mut stmt = tx.prepare_cached(
                "INSERT INTO messages (id, conversation_id, ordinal, role, content, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'complete', ?6)",
            )?;
            for m in 0..10_000u64 {
                stmt.execute(rusqlite::params![
                    harness::message::MessageId::new().to_string(),
                    long.to_string(),
                    m as i64 + 1,
                    if m % 2 == 0 { "user" } else { "assistant" },
                    sentence(m + 7, 60),
                    now + m as i64,
                ])?;
            }
            drop(stmt);
            tx.commit()?;
            Ok(())
        })
        .unwrap();
    long
}

struct Stats {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Stats {
    fn report(mut self) -> String {
        self.samples.sort();
        let pct = |p: f64| {
            let i = ((self.samples.len() as f64 - 1.0) * p).round() as usize;
            self.samples[i].as_secs_f64() * 1000.0
        };
        format!(
            "{:<44} n={:<5} p50={:>7.3} ms  p99={:>7.3} ms  max={:>7.3} ms",
            self.name,
            self.samples.len(),
            pct(0.50),
            pct(0.99),
            pct(1.0)
        )
    }
}

fn measure<F: FnMut()>(name: &'static str, n: usize, mut f: F) -> Stats {
    for _ in 0..(n / 10).max(3) {
        f();
    }
    let samples = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    Stats { name, samples }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: keep that quick.
    let full = std::env::args().any(|a| a == "--bench");
    if !full {
        println!("store bench: run with `cargo bench --bench store`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harness.db");
    let store = Store::open(&path).unwrap();
    let t = Instant::now();
    let long = populate(&store);
    println!(
        "populated 1,000 x 100 + 1 x 10,000 messages in {:.1} s ({} MB)",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&path)
            .map(|m| m.len() / 1_000_000)
            .unwrap_or(0)
    );
    let target = store
        .call_blocking(|c| Ok(conversations::most_recent(c)?.unwrap()))
        .unwrap();

    let mut results = Vec::new();
    let mut i = 0u64;
    results.push(measure(
        "append one message (synchronous=FULL, survives power loss)",
        2_000,
        || {
            i += 1;
            let m = NewMessage::new(target, Role::User, sentence(i, 30));
            store
                .call_blocking(move |c| messages::append(c, &m))
                .unwrap();
        },
    ));
    // The same append as the store did before turns were made power-loss safe, for comparison.
    results.push(measure(
        "append one message (synchronous=NORMAL, the old setting)",
        2_000,
        || {
            i += 1;
            let m = NewMessage::new(target, Role::User, sentence(i, 30));
            store
                .call_blocking(move |c| {
                    c.pragma_update(None, "synchronous", "NORMAL")?;
                    let r = messages::append(c, &m);
                    c.pragma_update(None, "synchronous", "FULL")?;
                    r
                })
                .unwrap();
        },
    ));
    results.push(measure("list 50 most recent conversations", 500, || {
        let rows = store
            .call_blocking(|c| {
                conversations::list(
                    c,
                    &ListQuery {
                        limit: 50,
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        assert_eq!(rows.len(), 50);
    }));
    results.push(measure(
        "load last 200 of a 10,000-message conversation",
        500,
        || {
            let page = store
                .call_blocking(move |c| messages::page(c, long, None, 200))
                .unwrap();
            assert_eq!(page.len(), 200);
        },
    ));
    results.push(measure("full-text search (2 words, top 50)", 300, || {
        let hits = store
            .call_blocking(|c| search::search(c, "tokio benchmark", 50))
            .unwrap();
        assert!(!hits.is_empty());
    }));
    results.push(measure("full-text search (rare word, top 50)", 300, || {
        let _ = store
            .call_blocking(|c| search::search(c, "zzyzx", 50))
            .unwrap();
    }));
    results.push(measure("list with --query (title or text)", 100, || {
        let _ = store
            .call_blocking(|c| {
                conversations::list(
                    c,
                    &ListQuery {
                        limit: 50,
                        query: Some("closure".into()),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
    }));
    for r in results {
        println!("{}", r.report());
    }
}
