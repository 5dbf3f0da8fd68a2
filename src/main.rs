//! The binary: parse arguments, set up logging, run the command, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;
use clusterup::cli::Cli;
use clusterup::commands::{self, ExitStatus};
use clusterup::output::Printer;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    let printer = Printer::new(cli.global.quiet, cli.global.verbose, !cli.no_progress(), cli.global.color);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            printer.error(&format!("cannot start the async runtime: {err}"));
            return ExitCode::from(ExitStatus::Failure.code());
        }
    };
    let status = match runtime.block_on(commands::run(cli, &printer)) {
        Ok(status) => status,
        Err(err) => {
            printer.error(&format!("{err:#}"));
            ExitStatus::Failure
        }
    };
    ExitCode::from(status.code())
}

/// Logs go to stderr. `-v` info, `-vv` debug for clusterup, `-vvv` debug for the AWS SDK too; RUST_LOG
/// overrides.
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "clusterup=warn,error",
        1 => "clusterup=info,warn",
        2 => "clusterup=debug,info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
