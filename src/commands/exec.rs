use anyhow::Result;

use super::target::resolve;
use super::{until_stopped, ExitStatus};
use crate::cli::AwsArgs;
use crate::engine::StopSignal;
use crate::nodes::{self, Select};
use crate::output::{render_invocation, Printer};

/// `exec`: send the command to the selected nodes, then follow each node's invocation in turn (they
/// run at once on the nodes; following them one by one only orders the output) and print it. Ctrl-C
/// stops following, not the command, which goes on on the nodes: the message says how to follow it.
/// Before the command is sent, Ctrl-C (`stop`) ends it with nothing sent.
pub async fn run(
    g: &AwsArgs,
    target: &str,
    select: Select<'_>,
    command: &[String],
    stop: &StopSignal,
    printer: &Printer,
) -> Result<ExitStatus> {
    // One command line, its words joined as ssh joins them; it reaches the nodes as the document's
    // parameter, never through a local shell.
    let line = command.join(" ");
    let prepare = async {
        let ctx = resolve(g, target, false, printer).await?.ctx;
        let groups = nodes::app_groups(&ctx).await?;
        let targets = nodes::targets(&ctx, &groups, select)?;
        Ok((ctx, targets))
    };
    let Some((ctx, targets)) = until_stopped(stop, prepare).await? else {
        printer.warn("interrupted: nothing was sent");
        return Ok(ExitStatus::Interrupted);
    };
    // Not interrupted once sent: the ids it answers with are what the message on Ctrl-C names.
    let sent = nodes::send(&ctx, &targets, std::slice::from_ref(&line)).await?;
    let ids: Vec<&str> = sent.iter().map(|(id, _)| id.as_str()).collect();
    printer.status(&format!(
        "Sent to {} node{} as command {} (AWS-RunShellScript)",
        targets.len(),
        if targets.len() == 1 { "" } else { "s" },
        ids.join(", ")
    ));
    let mut failed = 0usize;
    for (command_id, nodes_of_command) in &sent {
        for node in nodes_of_command {
            // One line per state a node's command goes through, not one per look (a look every two
            // seconds, for up to an hour).
            let mut last = String::new();
            let wait = nodes::wait(&ctx, command_id, node, |seen, waited| {
                if seen != last {
                    printer.progress(&format!("  {node}: {seen} ({}s)", waited.as_secs()));
                    last = seen.to_owned();
                }
            });
            let ended = tokio::select! {
                ended = wait => ended?,
                () = stop.stopped() => {
                    printer.warn(&format!(
                        "interrupted: the command goes on on the nodes; follow it with `aws ssm list-command-invocations --command-id {command_id} --details --region {}`",
                        ctx.aws.region
                    ));
                    return Ok(ExitStatus::Interrupted);
                }
            };
            if !ended.succeeded() {
                failed += 1;
            }
            printer.out(&render_invocation(&ended, printer.out_style()));
        }
    }
    if failed > 0 {
        printer.error(&format!("the command failed on {failed} of {} node(s)", targets.len()));
        return Ok(ExitStatus::NodeCommandFailed);
    }
    Ok(ExitStatus::Success)
}
