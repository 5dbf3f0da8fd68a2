//! Pinning a group that launches `$Default` or `$Latest` to a numbered launch template version before an
//! instance refresh.
//!
//! AWS rolls a refresh back only to a numbered version: "The rollback option is not available if the Auto
//! Scaling group is configured to use the $Latest or $Default launch template version"
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html>, "Considerations";
//! RollbackInstanceRefresh lists the same case:
//! <https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RollbackInstanceRefresh.html>), and a
//! StartInstanceRefresh with `AutoRollback` on such a group is refused. Groups clusterup made before it
//! pinned versions launch `$Default`; so may a group someone changed by hand.
//!
//! The version pinned is the one the nodes run, which is what a rollback must bring back: each instance
//! reports the numbered version it was launched from (DescribeAutoScalingGroups `Instances[].LaunchTemplate`,
//! <https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Instance.html>). `$Default` itself may
//! already name the new version (the launch template's update makes it the default before the group's
//! update runs), so it is only the answer for a group with no node to ask. Changing the group's launch
//! template version replaces no node: it only says what the next launch, or a rollback, uses.

use std::collections::BTreeMap;

use aws_sdk_autoscaling::types::{AutoScalingGroup as Group, LaunchTemplateSpecification};

use crate::aws::{AwsError, Required, ResultExt};
use crate::resources::{Ctx, Error};

/// A version AWS can roll back to: a number, not `$Default` or `$Latest`.
pub fn numbered(version: &str) -> bool {
    !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())
}

/// The numbered version to pin a group on `alias` (`$Default` or `$Latest`) of launch template
/// `template` to: the one most of its in-service nodes launched from (the highest among equals), else
/// what the alias resolves to now (`resolved`, a group with no node launched from the template).
pub fn version_to_pin<'a>(
    template: &str,
    nodes: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
    resolved: Option<i64>,
) -> Option<String> {
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for (node_template, version) in nodes {
        let Some(version) = version.filter(|v| numbered(v)).and_then(|v| v.parse::<u64>().ok()) else { continue };
        if node_template == Some(template) {
            *counts.entry(version).or_default() += 1;
        }
    }
    // Ties go to the highest version: `max_by_key` keeps the last of equal keys, and the map is ascending.
    let most_run = counts.into_iter().max_by_key(|&(_, count)| count).map(|(version, _)| version.to_string());
    most_run.or_else(|| resolved.filter(|v| *v > 0).map(|v| v.to_string()))
}

/// Make group `name` launch a numbered version if it launches `$Default` or `$Latest` (see the module).
/// Returns the version pinned, if it had to pin one.
pub async fn pin_numbered_version(ctx: &Ctx, name: &str, resource: &str) -> Result<Option<String>, Error> {
    const CALL: &str = "DescribeAutoScalingGroups";
    let out = ctx
        .aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .call(CALL, resource)?;
    // A group that is gone, or launches from something else than a launch template: StartInstanceRefresh
    // says so in its own words.
    let Some(group) = out.auto_scaling_groups().first() else { return Ok(None) };
    let Some(spec) = group.launch_template() else { return Ok(None) };
    let alias = spec.version().required(CALL, "LaunchTemplate.Version", resource)?;
    if numbered(alias) {
        return Ok(None);
    }
    let template = spec.launch_template_id().required(CALL, "LaunchTemplate.LaunchTemplateId", resource)?;
    let nodes = group
        .instances()
        .iter()
        .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
        .map(|i| i.launch_template().map_or((None, None), |t| (t.launch_template_id(), t.version())));
    let version = match version_to_pin(template, nodes, None) {
        Some(version) => Some(version),
        // No node says: what the alias names now.
        None => version_to_pin(template, [], resolve(ctx, template, alias, resource).await?),
    };
    let Some(version) = version else { return Err(unpinnable(group, template, alias, resource).into()) };
    tracing::info!("{resource}: group {name} launches {alias}; pinning it to launch template version {version}");
    ctx.aws
        .autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_template(LaunchTemplateSpecification::builder().launch_template_id(template).version(&version).build())
        .send()
        .await
        .call("UpdateAutoScalingGroup", resource)?;
    Ok(Some(version))
}

/// The number `$Default` or `$Latest` of `template` names now.
async fn resolve(ctx: &Ctx, template: &str, alias: &str, resource: &str) -> Result<Option<i64>, Error> {
    const CALL: &str = "DescribeLaunchTemplates";
    let out =
        ctx.aws.ec2.describe_launch_templates().launch_template_ids(template).send().await.call(CALL, resource)?;
    let Some(found) = out.launch_templates().first() else { return Ok(None) };
    Ok(Some(if alias == "$Latest" {
        found.latest_version_number().required(CALL, "LatestVersionNumber", resource)?
    } else {
        found.default_version_number().required(CALL, "DefaultVersionNumber", resource)?
    }))
}

fn unpinnable(group: &Group, template: &str, alias: &str, resource: &str) -> AwsError {
    let name = group.auto_scaling_group_name().unwrap_or("(unnamed)");
    AwsError::local(
        resource,
        "UpdateAutoScalingGroup",
        format!(
            "group {name} launches {alias} of launch template {template}, and neither its nodes nor the template \
             say which numbered version that is; AWS rolls an instance refresh back only to a numbered version. \
             Set one by hand (aws autoscaling update-auto-scaling-group --auto-scaling-group-name {name} \
             --launch-template LaunchTemplateId={template},Version=N), then run apply again"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numbers_are_versions_aws_rolls_back_to() {
        assert!(numbered("1") && numbered("12"));
        assert!(!numbered("$Default") && !numbered("$Latest") && !numbered("") && !numbered("-1"));
    }

    #[test]
    fn the_version_most_nodes_run_is_pinned_else_what_the_alias_names() {
        let lt = Some("lt-1");
        // Every node on v3 (while $Default may already name v4): v3, what a rollback must bring back.
        assert_eq!(version_to_pin("lt-1", [(lt, Some("3")), (lt, Some("3"))], Some(4)), Some("3".into()));
        // Mixed (a scale-out after the default moved): the most run, the highest among equals.
        assert_eq!(version_to_pin("lt-1", [(lt, Some("2")), (lt, Some("3")), (lt, Some("3"))], None), Some("3".into()));
        assert_eq!(version_to_pin("lt-1", [(lt, Some("2")), (lt, Some("3"))], None), Some("3".into()));
        // Nodes of another template, or reporting no number, do not count.
        assert_eq!(
            version_to_pin("lt-1", [(Some("lt-other"), Some("9")), (lt, Some("$Default")), (lt, None)], Some(2)),
            Some("2".into())
        );
        // No node: what the alias names now; nothing at all: nothing to pin to.
        assert_eq!(version_to_pin("lt-1", [], Some(5)), Some("5".into()));
        assert_eq!(version_to_pin("lt-1", [], None), None);
    }
}
