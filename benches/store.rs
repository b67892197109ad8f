//! Store benchmarks (filled in by the foundation issue).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]
fn main() {}
