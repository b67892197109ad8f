//! The `harness` binary: parse the command line and hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    harness::startup::begin();
    // Inside a sandbox container: serve tool calls (see sandbox::docker::agent), nothing else.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == harness::sandbox::docker::agent::AGENT_ARG)
    {
        return harness::sandbox::docker::agent::serve::serve();
    }
    let cli = harness::cli::args::Cli::parse();
    harness::startup::mark("arguments parsed");
    harness::cli::main(cli)
}
