use anyhow::Result;

use super::status::resolve;
use super::ExitStatus;
use crate::cli::AwsArgs;
use crate::nodes::{self, Select};
use crate::output::{render_invocation, Printer};

/// `exec`: send the command to the selected nodes, then follow each node's invocation in turn (they
/// run at once on the nodes; following them one by one only orders the output) and print it. Ctrl-C
/// stops following, not the command, which goes on on the nodes: the message says how to follow it.
pub async fn run(
    g: &AwsArgs,
    target: &str,
    select: Select<'_>,
    command: &[String],
    printer: &Printer,
) -> Result<ExitStatus> {
    // One command line, its words joined as ssh joins them; it reaches the nodes as the document's
    // parameter, never through a local shell.
    let line = command.join(" ");
    let (ctx, _) = resolve(g, target, printer).await?;
    let groups = nodes::app_groups(&ctx).await?;
    let targets = nodes::targets(&ctx, &groups, select)?;
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
                _ = tokio::signal::ctrl_c() => {
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
