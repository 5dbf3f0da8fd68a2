//! Run Command: one command sent to the nodes (SendCommand), then each node's invocation followed to
//! its end (GetCommandInvocation).

use std::time::Duration;

use aws_sdk_ssm::types::CommandInvocationStatus;

use crate::aws::{poll, AwsError, PollPolicy, PollStatus, Required, ResultExt};
use crate::model::names::ssm::RUN_SHELL_DOCUMENT;
use crate::resources::Ctx;

/// SendCommand takes at most 50 instance ids per call (API reference, SendCommand `InstanceIds`:
/// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html).
pub const MAX_TARGETS: usize = 50;

/// How long a node's command is followed. AWS-RunShellScript's own `executionTimeout` defaults to an
/// hour, after which Systems Manager ends the invocation `TimedOut`; delivery to a node that is not
/// online waits up to the command's `TimeoutSeconds` (an hour by default). A little over an hour, then.
const FOLLOW: PollPolicy = PollPolicy { timeout: Duration::from_secs(65 * 60), ..PollPolicy::FAST };

/// How a node's command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub node: String,
    /// Systems Manager's status: `Success`, `Failed`, `TimedOut`, `Cancelled`, ...
    pub status: String,
    /// The command's exit code; -1 when it never ran (AWS's `ResponseCode` then).
    pub exit_code: i32,
    /// Standard output and error: Systems Manager keeps the first 24,000 characters of each.
    pub stdout: String,
    pub stderr: String,
}

impl Invocation {
    pub fn succeeded(&self) -> bool {
        self.status == "Success" && self.exit_code == 0
    }
}

/// Send `commands` (the lines of a shell script, passed as the document's `commands` parameter: never
/// through a local shell) to `nodes`, at most [`MAX_TARGETS`] per call: the command id of each call,
/// with the nodes it went to.
pub async fn send(ctx: &Ctx, nodes: &[String], commands: &[String]) -> Result<Vec<(String, Vec<String>)>, AwsError> {
    const CALL: &str = "SendCommand";
    let mut sent = Vec::new();
    for chunk in nodes.chunks(MAX_TARGETS) {
        let resource = chunk.join(",");
        let answer = ctx
            .aws
            .ssm
            .send_command()
            .document_name(RUN_SHELL_DOCUMENT)
            .set_instance_ids(Some(chunk.to_vec()))
            .parameters("commands", commands.to_vec())
            .comment(format!("clusterup exec ({})", ctx.deployment))
            .send()
            .await
            .call(CALL, &resource)
            .map_err(with_hint)?;
        let command = answer.command().required(CALL, "Command", &resource)?;
        let id = command.command_id().required(CALL, "Command.CommandId", &resource)?;
        sent.push((id.to_owned(), chunk.to_vec()));
    }
    Ok(sent)
}

/// A node SendCommand cannot reach is named in AWS's message; say why that happens here.
fn with_hint(mut err: AwsError) -> AwsError {
    if err.code_is("InvalidInstanceId") {
        err.message.push_str(
            " (the node is not registered with Systems Manager: it is still booting, its SSM agent is stopped, or it cannot reach Systems Manager: nodes in private subnets need the NAT gateway, `network.nat` not `none`)",
        );
    }
    err
}

/// Follow `node`'s invocation of `command` until it ends. Right after SendCommand, AWS may not know the
/// invocation yet (InvocationDoesNotExist): that is a wait, not an error.
pub async fn wait(
    ctx: &Ctx,
    command: &str,
    node: &str,
    on_pending: impl FnMut(&str, Duration),
) -> Result<Invocation, AwsError> {
    const CALL: &str = "GetCommandInvocation";
    poll(FOLLOW, node, CALL, on_pending, || async move {
        let answer = match ctx
            .aws
            .ssm
            .get_command_invocation()
            .command_id(command)
            .instance_id(node)
            .send()
            .await
            .call(CALL, node)
        {
            Ok(answer) => answer,
            Err(err) if err.code_is("InvocationDoesNotExist") => {
                return Ok(PollStatus::Pending("not delivered yet".into()))
            }
            Err(err) => return Err(err),
        };
        let status = answer.status().required(CALL, "Status", node)?;
        if matches!(
            status,
            CommandInvocationStatus::Pending
                | CommandInvocationStatus::InProgress
                | CommandInvocationStatus::Delayed
                | CommandInvocationStatus::Cancelling
        ) {
            return Ok(PollStatus::Pending(status.as_str().to_owned()));
        }
        Ok(PollStatus::Ready(Invocation {
            node: node.to_owned(),
            status: status.as_str().to_owned(),
            exit_code: answer.response_code(),
            stdout: written(answer.standard_output_content()),
            stderr: written(answer.standard_error_content()),
        }))
    })
    .await
}

/// What a command wrote to one stream. AWS answers an empty string for a stream nothing was written to;
/// an absent field can only mean the same (the output is not something clusterup diffs or acts on).
fn written(content: Option<&str>) -> String {
    content.unwrap_or_default().to_owned()
}
