//! The `pmcoach` binary: parse the command line, set up logging, hand over.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = pmcoach::cli::Cli::parse();
    pmcoach::cli::init_tracing(cli.default_log_level());
    pmcoach::cli::run(cli).await
}
