use anyhow::{Context, Result};

use super::target::resolve;
use super::ExitStatus;
use crate::cli::AwsArgs;
use crate::nodes::{self, Select, SessionCommand};
use crate::output::Printer;

/// `shell`: find the node, then hand the terminal to `aws ssm start-session`. The programs are looked
/// for before anything talks to AWS, so a missing plugin is said at once.
pub async fn run(g: &AwsArgs, target: &str, node: Option<&str>, printer: &Printer) -> Result<ExitStatus> {
    nodes::session_tools(std::env::var_os("PATH").as_ref())?;
    let ctx = resolve(g, target, false, printer).await?.ctx;
    let groups = nodes::app_groups(&ctx).await?;
    let node = match node {
        Some(id) => {
            nodes::targets(&ctx, &groups, Select::Node(id))?;
            id.to_owned()
        }
        None => nodes::default_node(&ctx, &groups)?,
    };
    let command = nodes::session_command(
        std::env::var_os("PATH"),
        &node,
        &ctx.aws.region,
        g.profile.as_deref(),
        g.endpoint_url.as_deref(),
    )?;
    printer.status(&format!("Starting a Session Manager session on {node} (exit the shell to end it)"));
    start(&command)
}

/// Replace this process with the AWS CLI: the terminal, its signals (Ctrl-C goes to the remote shell)
/// and the exit code are the session's.
#[cfg(unix)]
fn start(command: &SessionCommand) -> Result<ExitStatus> {
    use std::os::unix::process::CommandExt;
    let err = std::process::Command::new(&command.program).args(&command.args).exec();
    Err(err).with_context(|| format!("running {}", command.program.display()))
}

#[cfg(not(unix))]
fn start(command: &SessionCommand) -> Result<ExitStatus> {
    let status = std::process::Command::new(&command.program)
        .args(&command.args)
        .status()
        .with_context(|| format!("running {}", command.program.display()))?;
    Ok(if status.success() { ExitStatus::Success } else { ExitStatus::Failure })
}
