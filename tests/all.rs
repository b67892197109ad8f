//! The integration test binary: one binary for every suite, so the crate links once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod suite;
mod support;
