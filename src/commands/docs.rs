//! Shell completions and man pages, generated from the same clap definitions as the help, so they
//! cannot drift from the options the binary takes.

use anyhow::{bail, Context, Result};
use clap::CommandFactory;

use super::ExitStatus;
use crate::cli::Cli;
use crate::output::Printer;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, printer: &Printer) -> Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "clusterup", &mut script);
    printer.out(&String::from_utf8(script).context("the completion script is not UTF-8")?);
    Ok(ExitStatus::Success)
}

/// The man page of clusterup, or of one of its commands (`clusterup-apply(1)`), as roff.
pub fn man(command: Option<&str>, printer: &Printer) -> Result<ExitStatus> {
    let mut cli = Cli::command();
    // Building propagates the global options into every command, as parsing does.
    cli.build();
    let page = match command {
        None => clap_mangen::Man::new(cli),
        Some(name) => {
            let Some(sub) = cli.find_subcommand(name).cloned() else {
                let known: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
                bail!("no command named `{name}`; man pages exist for: {}", known.join(", "));
            };
            clap_mangen::Man::new(sub)
                .title(format!("clusterup-{name}"))
                .source(format!("clusterup {}", env!("CARGO_PKG_VERSION")))
        }
    };
    let mut roff = Vec::new();
    page.render(&mut roff).context("rendering the man page")?;
    printer.out(&String::from_utf8(roff).context("the man page is not UTF-8")?);
    Ok(ExitStatus::Success)
}
