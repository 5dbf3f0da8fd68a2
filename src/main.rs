//! The binary: parse arguments, set up logging, run the command, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;
use clusterup::cli::Cli;
use clusterup::commands::{self, ExitStatus};
use clusterup::output::Printer;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage(&err),
    };
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
    // A prompt interrupted by Ctrl-C leaves its reading thread blocked on the terminal: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    ExitCode::from(status.code())
}

/// `--help` and `--version` print to stdout and succeed; a usage error (unknown option, missing
/// argument, bad value) prints clap's message and exits 1, like any error. clap's own code for it, 2, is
/// what `plan --detailed-exitcode` means by "changes": a mistyped drift check in CI must not read as
/// drift.
fn usage(err: &clap::Error) -> ExitCode {
    // Nothing useful is left to do if the terminal is gone.
    let _ = err.print();
    if err.use_stderr() {
        ExitCode::from(ExitStatus::Failure.code())
    } else {
        ExitCode::SUCCESS
    }
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
