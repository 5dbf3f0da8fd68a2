//! Reaching the app nodes without SSH: which nodes a command is for (`exec`, `shell`), Run Command on
//! them (SendCommand with AWS-RunShellScript, followed per node with GetCommandInvocation), and the
//! Session Manager session the AWS CLI opens (`shell`).
//!
//! The nodes' role lets the SSM agent register them with Systems Manager (`compose::policies`); Amazon
//! Linux 2023 ships the agent and starts it at boot
//! (https://docs.aws.amazon.com/systems-manager/latest/userguide/ami-preinstalled-agent.html), and the
//! nodes, in private subnets, reach Systems Manager through the NAT gateway. No port is opened for it:
//! the agent calls out.

mod run;
mod session;

pub use run::{send, wait, Invocation, MAX_TARGETS};
pub use session::{session_command, session_tools, SessionCommand};

use crate::aws::AwsError;
use crate::model::Kind;
use crate::resources::autoscaling::status::{groups, Group};
use crate::resources::{of, Ctx};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Resources(#[from] crate::resources::Error),
    #[error("deployment {deployment} has no {what} in {region}\n  hint: {hint}")]
    NoNodes { deployment: String, region: String, what: String, hint: String },
    #[error("{node} is not a node of deployment {deployment}{known}\n  hint: pass one of its app nodes' ids to --node (`clusterup status {deployment}` lists them)")]
    UnknownNode { node: String, deployment: String, known: String },
    #[error("deployment {deployment} has no group {group}; its groups: {known}\n  hint: pass `main` (the app group), `canary` (a rollout's canary group) or a group's name to --group")]
    UnknownGroup { group: String, deployment: String, known: String },
    #[error("{tool} is not installed (not found on PATH); `clusterup shell` runs `aws ssm start-session`, which needs the AWS CLI and the Session Manager plugin\n  hint: install it: {install}")]
    MissingTool { tool: &'static str, install: &'static str },
}

/// Which nodes a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select<'a> {
    /// One node, by its instance id; it must be one of the deployment's app nodes.
    Node(&'a str),
    /// Every running node of a group: `main` (the app group), `canary`, or the group's name.
    Group(&'a str),
}

/// The deployment's Auto Scaling groups and their nodes, as `status` reads them (main group first).
pub async fn app_groups(ctx: &Ctx) -> Result<Vec<Group>, Error> {
    let found = of(Kind::AutoScalingGroup).discover(ctx, None).await?;
    let found: Vec<&crate::model::Actual> = found.iter().collect();
    if found.is_empty() {
        return Ok(vec![]);
    }
    Ok(groups(ctx, &found).await?)
}

/// A node that has booted and runs: one the SSM agent may have registered. Pending nodes are still
/// booting (their agent may not be registered yet, and SendCommand refuses the whole call for one
/// unregistered instance); terminating ones are going.
fn running(instance: &crate::resources::autoscaling::status::Instance) -> bool {
    instance.state == "running" && matches!(instance.lifecycle.as_str(), "InService" | "Standby")
}

/// The ids `select` names among `groups`, checked: a node must be one of them, a group must exist and
/// have running nodes.
pub fn targets(ctx: &Ctx, groups: &[Group], select: Select<'_>) -> Result<Vec<String>, Error> {
    let deployment = || ctx.deployment.clone();
    if groups.is_empty() {
        return Err(Error::NoNodes {
            deployment: deployment(),
            region: ctx.aws.region.clone(),
            what: "app group".into(),
            hint: "`clusterup apply` makes it; check --region and --profile, and `clusterup status` for what exists"
                .into(),
        });
    }
    match select {
        Select::Node(id) => {
            if groups.iter().flat_map(|g| &g.instances).any(|i| i.id == id) {
                return Ok(vec![id.to_owned()]);
            }
            let known: Vec<&str> = groups.iter().flat_map(|g| &g.instances).map(|i| i.id.as_str()).collect();
            let known = if known.is_empty() { String::new() } else { format!(" (its nodes: {})", known.join(", ")) };
            Err(Error::UnknownNode { node: id.to_owned(), deployment: deployment(), known })
        }
        Select::Group(name) => {
            // By role (`main`, `canary`, a node group's name), by Auto Scaling group name, or `app` for the
            // main group (the node group named app).
            let is_app = |g: &&Group| name == crate::model::names::app::APP_GROUP && g.role == "main";
            let Some(group) = groups.iter().find(|g| g.role == name || g.name == name || is_app(g)) else {
                let known: Vec<String> = groups.iter().map(|g| format!("{} ({})", g.role, g.name)).collect();
                return Err(Error::UnknownGroup {
                    group: name.to_owned(),
                    deployment: deployment(),
                    known: known.join(", "),
                });
            };
            let ids: Vec<String> = group.instances.iter().filter(|i| running(i)).map(|i| i.id.clone()).collect();
            if ids.is_empty() {
                return Err(Error::NoNodes {
                    deployment: deployment(),
                    region: ctx.aws.region.clone(),
                    what: format!("running node in group {}", group.name),
                    hint: "nodes are booting or being replaced: `clusterup status` shows them; try again when one is InService".into(),
                });
            }
            Ok(ids)
        }
    }
}

/// The node a session goes to by default: the first healthy running node of the app group, or with node
/// groups and none named app, of the first group that has one (groups come main first, then by name).
pub fn default_node(ctx: &Ctx, groups: &[Group]) -> Result<String, Error> {
    let main = groups.iter().find(|g| g.role == "main");
    let chosen = match main {
        Some(main) => vec![main],
        None => groups.iter().filter(|g| g.role != "canary").collect(),
    };
    chosen
        .iter()
        .find_map(|g| g.instances.iter().find(|i| running(i) && i.health == "Healthy"))
        .map(|i| i.id.clone())
        .ok_or_else(|| Error::NoNodes {
            deployment: ctx.deployment.clone(),
            region: ctx.aws.region.clone(),
            what: "healthy running app node".into(),
            hint: "`clusterup status` shows the nodes; pass one with --node to open a session on it anyway".into(),
        })
}

#[cfg(test)]
mod tests;
