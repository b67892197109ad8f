//! The `harness` binary: parse the command line and hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = harness::cli::args::Cli::parse();
    harness::cli::main(cli)
}
