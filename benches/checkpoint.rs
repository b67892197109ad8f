//! Checkpoint cost (issue 18): what a turn pays for undo in a 10,000-file workspace.
//! - bash, cold: the first snapshot of the workspace (every file hashed and copied into the
//!   blob store), then the diff after a command that changed one file;
//! - bash, warm: the snapshot when the stat cache is current (only stats), plus the diff;
//! - write/edit: keeping one file's old content and recording its new state.
//!
//! Run with `scripts/bench-checkpoint.sh` (or `cargo bench --bench checkpoint`). Env:
//! BENCH_FILES (default 10000), BENCH_ITERS (warm samples, default 20), BENCH_COLD (cold
//! samples, default 3). Prints p50 and max in milliseconds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use harness::checkpoint::{Checkpoints, TurnCheckpoint};
use harness::config::CheckpointsConfig;
use harness::message::{ConversationId, MessageId};
use std::path::Path;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `files` source-like files of 0.5-4 KiB in 100 directories, 20 MB or so in all.
fn workspace(root: &Path, files: usize) {
    for i in 0..files {
        let dir = root.join(format!("src/mod{:03}", i % 100));
        std::fs::create_dir_all(&dir).unwrap();
        let size = 512 + (i * 7919) % 3584;
        let line = format!("fn item_{i}() -> u64 {{ {i} }}\n");
        let body: String = line.repeat(size / line.len() + 1);
        std::fs::write(dir.join(format!("f{i}.rs")), &body.as_bytes()[..size]).unwrap();
    }
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<40} p50 {:>8.1} ms   max {:>8.1} ms   ({} samples)",
        ms(samples[samples.len() / 2]),
        ms(*samples.last().unwrap()),
        samples.len()
    );
}

fn turn(cps: &Checkpoints, root: &Path) -> TurnCheckpoint {
    TurnCheckpoint::begin(cps.clone(), ConversationId::new(), MessageId::new(), root)
}

fn main() {
    let files = env_usize("BENCH_FILES", 10_000);
    let iters = env_usize("BENCH_ITERS", 20);
    let cold = env_usize("BENCH_COLD", 3);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    workspace(&root, files);
    println!("checkpoint cost, workspace of {files} files");

    let mut cold_samples = Vec::new();
    let mut cps = Checkpoints::new(dir.path().join("cp0"), CheckpointsConfig::default());
    for n in 0..cold {
        cps = Checkpoints::new(
            dir.path().join(format!("cp{n}")),
            CheckpointsConfig::default(),
        );
        let t = turn(&cps, &root);
        let start = Instant::now();
        let guard = t.before_bash(&root);
        std::fs::write(root.join("src/mod000/f0.rs"), format!("changed {n}\n")).unwrap();
        guard.finish();
        cold_samples.push(start.elapsed());
        assert!(t.manifest().has_changes());
    }
    report("bash: cold snapshot + diff", cold_samples);

    let mut warm = Vec::new();
    let mut snapshot_only = Vec::new();
    for n in 0..iters {
        let t = turn(&cps, &root);
        let start = Instant::now();
        let guard = t.before_bash(&root);
        snapshot_only.push(start.elapsed());
        std::fs::write(root.join("src/mod001/f1.rs"), format!("warm {n}\n")).unwrap();
        guard.finish();
        warm.push(start.elapsed());
        assert_eq!(t.manifest().changes().count(), 1);
    }
    report("bash: warm snapshot (stat cache hit)", snapshot_only);
    report("bash: warm snapshot + diff (1 file changed)", warm);

    let mut write = Vec::new();
    for n in 0..iters.max(50) {
        let t = turn(&cps, &root);
        let path = root.join(format!("src/mod002/f{}.rs", 2 + 100 * (n % 50)));
        let start = Instant::now();
        t.before_change(&root, &path, "edit").unwrap();
        std::fs::write(&path, format!("edited {n}\n")).unwrap();
        t.after_change(&root, &path).unwrap();
        write.push(start.elapsed());
    }
    report("write/edit: record before + after", write);
}
