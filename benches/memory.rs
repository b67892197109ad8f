//! Memory benchmark (`cargo bench --bench memory`): builds stores of 10,000 and 100,000
//! memories (768-dimension unit vectors, as `nomic-embed-text` makes, plus text for FTS5) in a
//! temporary directory, then measures what `harness memory search` and recall do inside SQLite
//! (the embedding call to the provider is not included): the exact vector scan over the BLOB
//! column, and the hybrid search (vector scan + FTS5 + reciprocal rank fusion + rows), with
//! p50/p99 over many queries; insert throughput (one durable transaction per memory, like
//! `memory add`, and batched); and recall@5 of the hybrid and of the vector scan against an
//! exact brute-force top 5 computed in memory. Criterion then times the two searches again.
//! `MEMORY_BENCH_SIZES=1000,5000` and `MEMORY_BENCH_QUERIES=N` shorten a run.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use criterion::{Criterion, black_box};
use harness::memory::fusion::{RRF_K, reciprocal_rank_fusion};
use harness::store::memories::{self, Embedding};
use harness::store::search::fts_query_any;
use harness::store::vector::{TopK, normalize};
use harness::store::{Store, StoreError};
use std::time::{Duration, Instant};

const DIM: usize = 768;
const MODEL: &str = "bench/embed";
const WORDS: &[&str] = &[
    "staging",
    "database",
    "port",
    "deploy",
    "tuesday",
    "cat",
    "tabs",
    "spaces",
    "review",
    "release",
    "budget",
    "invoice",
    "server",
    "backup",
    "password",
    "meeting",
    "london",
    "train",
    "coffee",
    "rust",
    "python",
    "kubernetes",
    "docker",
    "editor",
    "theme",
    "font",
    "holiday",
    "birthday",
    "allergy",
    "project",
    "deadline",
    "client",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }
}

/// Vectors in 64 clusters (real embeddings are not uniform), unit length.
fn vector(rng: &mut Rng, centres: &[Vec<f32>]) -> Vec<f32> {
    let centre = &centres[(rng.next() % centres.len() as u64) as usize];
    let mut v: Vec<f32> = centre.iter().map(|c| c + 0.6 * rng.unit()).collect();
    normalize(&mut v);
    v
}

fn text(rng: &mut Rng) -> String {
    (0..8)
        .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

struct Corpus {
    store: Store,
    vectors: Vec<(i64, Vec<f32>)>,
    centres: Vec<Vec<f32>>,
    _dir: tempfile::TempDir,
}

fn build(n: usize) -> Corpus {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("harness.db")).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
    let centres: Vec<Vec<f32>> = (0..64)
        .map(|_| (0..DIM).map(|_| rng.unit()).collect())
        .collect();
    let mut vectors = Vec::with_capacity(n);
    let started = Instant::now();
    for chunk in 0..n.div_ceil(1000) {
        let batch: Vec<(String, Vec<f32>)> = (0..1000.min(n - chunk * 1000))
            .map(|_| (text(&mut rng), vector(&mut rng, &centres)))
            .collect();
        let rows = store
            .call_blocking(move |c| {
                let tx = c.transaction()?;
                let mut seqs = Vec::new();
                for (t, v) in &batch {
                    let row = memories::insert(
                        &tx,
                        t,
                        "bench",
                        Some(Embedding {
                            model: MODEL,
                            vector: v,
                        }),
                    )?;
                    seqs.push((row.seq, v.clone()));
                }
                tx.commit()?;
                Ok::<_, StoreError>(seqs)
            })
            .unwrap();
        vectors.extend(rows);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  built {n} memories in {secs:.1} s: batched insert {:.0} memories/s (1,000 per transaction)",
        n as f64 / secs
    );
    Corpus {
        store,
        vectors,
        centres,
        _dir: dir,
    }
}

fn exact_top(vectors: &[(i64, Vec<f32>)], q: &[f32], k: usize) -> Vec<i64> {
    let mut top = TopK::new(k);
    for (seq, v) in vectors {
        top.push(v.iter().zip(q).map(|(a, b)| a * b).sum(), *seq);
    }
    top.into_sorted().into_iter().map(|(_, s)| s).collect()
}

fn hybrid(store: &Store, q: Vec<f32>, words: String, k: usize) -> Vec<i64> {
    store
        .call_blocking(move |c| {
            let wanted = k * 4;
            let by_vector: Vec<i64> = memories::nearest(c, MODEL, &q, wanted)?
                .into_iter()
                .map(|(s, _)| s)
                .collect();
            let by_text: Vec<i64> = match fts_query_any(&words) {
                Some(f) => memories::fts(c, &f, wanted as u32)?
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect(),
                None => Vec::new(),
            };
            let fused = reciprocal_rank_fusion(&[by_vector, by_text], RRF_K);
            let seqs: Vec<i64> = fused.into_iter().take(k).map(|(s, _)| s).collect();
            memories::by_seq(c, &seqs)?;
            Ok(seqs)
        })
        .unwrap()
}

fn nearest(store: &Store, q: Vec<f32>, k: usize) -> Vec<i64> {
    store
        .call_blocking(move |c| {
            Ok(memories::nearest(c, MODEL, &q, k)?
                .into_iter()
                .map(|(s, _)| s)
                .collect())
        })
        .unwrap()
}

fn percentiles(mut d: Vec<Duration>) -> String {
    d.sort();
    let at = |p: f64| d[((d.len() as f64 * p) as usize).min(d.len() - 1)];
    format!(
        "p50 {:.2} ms, p99 {:.2} ms",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    )
}

fn recall(found: &[i64], exact: &[i64]) -> f64 {
    found.iter().filter(|s| exact.contains(s)).count() as f64 / exact.len().max(1) as f64
}

fn measure(corpus: &Corpus, n: usize, queries: usize) {
    let mut rng = Rng(42);
    let (mut scan, mut fused) = (Vec::new(), Vec::new());
    let (mut recall_scan, mut recall_hybrid) = (0.0, 0.0);
    for _ in 0..queries {
        let q = vector(&mut rng, &corpus.centres);
        let words = text(&mut rng);
        let exact = exact_top(&corpus.vectors, &q, 5);
        let t = Instant::now();
        let got = nearest(&corpus.store, q.clone(), 5);
        scan.push(t.elapsed());
        recall_scan += recall(&got, &exact);
        let t = Instant::now();
        let got = hybrid(&corpus.store, q, words, 5);
        fused.push(t.elapsed());
        recall_hybrid += recall(&got, &exact);
    }
    println!("  {n} memories, vector scan:   {}", percentiles(scan));
    println!("  {n} memories, hybrid search: {}", percentiles(fused));
    println!(
        "  {n} memories, recall@5 vs exact: vector scan {:.3}, hybrid {:.3} ({queries} queries)",
        recall_scan / queries as f64,
        recall_hybrid / queries as f64
    );
}

/// One durable transaction per memory, as `harness memory add` does.
fn insert_throughput(corpus: &Corpus) {
    let mut rng = Rng(7);
    let n = 200;
    let started = Instant::now();
    for _ in 0..n {
        let (t, v) = (text(&mut rng), vector(&mut rng, &corpus.centres));
        corpus
            .store
            .call_blocking(move |c| {
                memories::insert(
                    c,
                    &t,
                    "bench",
                    Some(Embedding {
                        model: MODEL,
                        vector: &v,
                    }),
                )
            })
            .unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  single durable inserts: {:.0} memories/s ({:.2} ms each, {n} inserts)",
        n as f64 / secs,
        secs * 1e3 / n as f64
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::var("MEMORY_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let queries: usize = std::env::var("MEMORY_BENCH_QUERIES")
        .ok()
        .and_then(|q| q.parse().ok())
        .unwrap_or(200);
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for n in sizes {
        println!("memory search over {n} memories ({DIM} dimensions):");
        let corpus = build(n);
        measure(&corpus, n, queries);
        if n == 10_000 {
            insert_throughput(&corpus);
        }
        let mut rng = Rng(99);
        let q = vector(&mut rng, &corpus.centres);
        let words = text(&mut rng);
        criterion.bench_function(&format!("memory/vector_scan/{n}"), |b| {
            b.iter(|| black_box(nearest(&corpus.store, q.clone(), 5)))
        });
        criterion.bench_function(&format!("memory/hybrid/{n}"), |b| {
            b.iter(|| black_box(hybrid(&corpus.store, q.clone(), words.clone(), 5)))
        });
    }
    criterion.final_summary();
}
