//! What `status` reads of the app's Auto Scaling groups: the groups and their nodes (one
//! DescribeAutoScalingGroups for all of them, one DescribeInstances for all their nodes), the last
//! scaling activities of a group, and its instance refreshes.

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use serde::Serialize;

use crate::aws::clock::rfc3339;
use crate::aws::{AwsError, Outcome, Required, ResultExt};
use crate::model::names::app;
use crate::model::{Actual, Address};
use crate::resources::{Ctx, Error};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    /// `main`, or what a rollout group is (its clusterup address's last part, e.g. `canary`).
    pub role: String,
    pub min: i32,
    pub desired: i32,
    pub max: i32,
    pub instances: Vec<Instance>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub id: String,
    pub zone: String,
    /// Auto Scaling's lifecycle state: `InService`, `Pending`, `Terminating`, `Standby`, ...
    pub lifecycle: String,
    /// Auto Scaling's health status: `Healthy` or `Unhealthy`.
    pub health: String,
    /// EC2's state: `running`, `stopped`, ... (`unknown` if EC2 does not know the instance).
    pub state: String,
    /// What the node runs on: `t3.large`.
    pub instance_type: String,
    /// The launch template version it was launched from (`3`); none for a node launched otherwise (a
    /// launch configuration, an attached instance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_template_version: Option<String>,
    /// Its private IPv4 address, which its group's discovery record should list once it is in service;
    /// none while EC2 has not given it one (or no longer knows the node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// When EC2 launched it (RFC 3339); none when EC2 does not know the node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launched_at: Option<String>,
    /// The same, in seconds since the epoch: how long its DNS keeper has had to write it (status's
    /// discovery tier).
    #[serde(skip)]
    pub launched_epoch: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub started: Option<String>,
    pub status: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refresh {
    pub group: String,
    pub id: String,
    /// `Pending`, `InProgress`, `Successful`, `Failed`, `Cancelled`, `RollbackInProgress`, ...
    pub status: String,
    pub percent_complete: Option<i32>,
    pub started: Option<String>,
    pub reason: Option<String>,
}

impl Refresh {
    pub fn in_progress(&self) -> bool {
        matches!(self.status.as_str(), "Pending" | "InProgress" | "Cancelling" | "RollbackInProgress" | "Baking")
    }
}

/// The groups discovery `found`, as Auto Scaling describes them now, the main group first. A group gone
/// since discovery is left out.
pub async fn groups(ctx: &Ctx, found: &[&Actual]) -> Result<Vec<Group>, Error> {
    const CALL: &str = "DescribeAutoScalingGroups";
    let resource = app::AUTO_SCALING_GROUP;
    let names: Vec<String> = found.iter().map(|g| g.id.clone()).collect();
    let described = ctx
        .aws
        .autoscaling
        .describe_auto_scaling_groups()
        .set_auto_scaling_group_names(Some(names))
        .send()
        .await
        .call(CALL, resource)?;
    let mut node_ids = Vec::new();
    for group in described.auto_scaling_groups() {
        for node in group.instances() {
            node_ids.push(node.instance_id().required(CALL, "Instances.InstanceId", resource)?.to_owned());
        }
    }
    let ec2 = node_facts(ctx, &node_ids).await?;
    let mut out = Vec::new();
    for group in described.auto_scaling_groups() {
        let name = group.auto_scaling_group_name().required(CALL, "AutoScalingGroupName", resource)?;
        let Some(address) = found.iter().find(|g| g.id == name).map(|g| &g.address) else { continue };
        let mut instances = Vec::new();
        for node in group.instances() {
            let id = node.instance_id().required(CALL, "Instances.InstanceId", resource)?;
            instances.push(Instance {
                id: id.to_owned(),
                zone: node.availability_zone().required(CALL, "Instances.AvailabilityZone", resource)?.to_owned(),
                lifecycle: node
                    .lifecycle_state()
                    .required(CALL, "Instances.LifecycleState", resource)?
                    .as_str()
                    .to_owned(),
                health: node.health_status().required(CALL, "Instances.HealthStatus", resource)?.to_owned(),
                // EC2 forgets a node some time after it terminated: then its state is not known.
                state: ec2.get(id).map_or_else(|| "unknown".into(), |n| n.state.clone()),
                instance_type: node.instance_type().required(CALL, "Instances.InstanceType", resource)?.to_owned(),
                launch_template_version: node.launch_template().and_then(|t| t.version()).map(str::to_owned),
                private_ip: ec2.get(id).and_then(|n| n.private_ip.clone()),
                launched_at: ec2.get(id).and_then(|n| n.launched.as_ref()).and_then(rfc3339),
                launched_epoch: ec2.get(id).and_then(|n| n.launched.as_ref()).map(|t| t.secs()),
            });
        }
        instances.sort_by(|a, b| (&a.zone, &a.id).cmp(&(&b.zone, &b.id)));
        out.push(Group {
            name: name.to_owned(),
            role: role(address).to_owned(),
            min: group.min_size().required(CALL, "MinSize", resource)?,
            desired: group.desired_capacity().required(CALL, "DesiredCapacity", resource)?,
            max: group.max_size().required(CALL, "MaxSize", resource)?,
            instances,
        });
    }
    out.sort_by_key(|g| (g.role != "main", g.name.clone()));
    Ok(out)
}

/// A rollout group (a canary) is one more group of the deployment: shown by what its address says.
fn role(address: &Address) -> &str {
    match address.as_str() {
        app::AUTO_SCALING_GROUP => "main",
        other if app::is_canary(other) => "canary",
        other => app::group_of(other).unwrap_or_else(|| address.leaf()),
    }
}

/// What EC2 says of one node.
struct NodeFacts {
    state: String,
    private_ip: Option<String>,
    launched: Option<aws_smithy_types::DateTime>,
}

/// EC2's state, address and launch time of each node, in one call. A node EC2 no longer knows is left
/// out (its state shown as unknown).
async fn node_facts(ctx: &Ctx, ids: &[String]) -> Result<BTreeMap<String, NodeFacts>, AwsError> {
    const CALL: &str = "DescribeInstances";
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let resource = app::AUTO_SCALING_GROUP;
    let described = ctx
        .aws
        .ec2
        .describe_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
        .call(CALL, resource)
        .found()?;
    let mut facts = BTreeMap::new();
    for node in described.iter().flat_map(|d| d.reservations()).flat_map(|r| r.instances()) {
        let id = node.instance_id().required(CALL, "InstanceId", resource)?;
        let state = node.state().and_then(|s| s.name()).required(CALL, "State.Name", resource)?;
        facts.insert(
            id.to_owned(),
            NodeFacts {
                state: state.as_str().to_owned(),
                private_ip: node.private_ip_address().map(str::to_owned),
                launched: node.launch_time().cloned(),
            },
        );
    }
    Ok(facts)
}

/// The group's last five scaling activities, newest first.
pub async fn activities(ctx: &Ctx, group: &str) -> Result<Vec<Activity>, Error> {
    const CALL: &str = "DescribeScalingActivities";
    let resource = app::AUTO_SCALING_GROUP;
    let answer = ctx
        .aws
        .autoscaling
        .describe_scaling_activities()
        .auto_scaling_group_name(group)
        .max_records(5)
        .send()
        .await
        .call(CALL, resource)?;
    let mut activities = Vec::new();
    for a in answer.activities() {
        activities.push(Activity {
            started: rfc3339(a.start_time().required(CALL, "StartTime", resource)?),
            status: a.status_code().required(CALL, "StatusCode", resource)?.as_str().to_owned(),
            // AWS's model makes the description optional (the cause is the required text): none is "".
            description: a.description().unwrap_or_default().to_owned(),
        });
    }
    Ok(activities)
}

/// The group's last five instance refreshes. One attempt, no retries: the answer is advisory, and not
/// every endpoint has the call (the local emulator answers 500), so retrying costs seconds per read.
pub async fn refreshes(ctx: &Ctx, group: &str) -> Result<Vec<Refresh>, AwsError> {
    const CALL: &str = "DescribeInstanceRefreshes";
    let answer = ctx
        .aws
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(group)
        .max_records(5)
        .customize()
        .config_override(aws_sdk_autoscaling::config::Builder::default().retry_config(RetryConfig::disabled()))
        .send()
        .await
        .call(CALL, group)?;
    let mut refreshes = Vec::new();
    for r in answer.instance_refreshes() {
        refreshes.push(Refresh {
            group: group.to_owned(),
            id: r.instance_refresh_id().required(CALL, "InstanceRefreshId", group)?.to_owned(),
            status: r.status().required(CALL, "Status", group)?.as_str().to_owned(),
            // A refresh that has not started has neither a share done nor a start time yet.
            percent_complete: r.percentage_complete(),
            started: r.start_time().and_then(rfc3339),
            reason: r.status_reason().map(str::to_owned),
        });
    }
    Ok(refreshes)
}

/// The emulator answers DescribeInstanceRefreshes with 500 (not implemented), so reading refreshes is
/// covered here with SDK mocks, as the test names say.
#[cfg(test)]
mod tests {
    use aws_sdk_autoscaling::operation::describe_instance_refreshes::DescribeInstanceRefreshesOutput;
    use aws_sdk_autoscaling::types::{InstanceRefresh, InstanceRefreshStatus};
    use aws_sdk_autoscaling::Client;
    use aws_smithy_mocks::{mock, mock_client};

    use super::*;
    use crate::aws::{Aws, ErrorClass};
    use crate::resources::DataPolicy;

    fn ctx(autoscaling: Client) -> Ctx {
        Ctx { aws: Aws { autoscaling, ..Aws::offline() }, deployment: "web".into(), data: DataPolicy::default() }
    }

    #[tokio::test]
    async fn describe_instance_refreshes_sdk_mock_emulator_gap_shows_a_refresh_in_progress() {
        let answer = mock!(Client::describe_instance_refreshes)
            .match_requests(|r| r.auto_scaling_group_name() == Some("web-app"))
            .then_output(|| {
                DescribeInstanceRefreshesOutput::builder()
                    .instance_refreshes(
                        InstanceRefresh::builder()
                            .instance_refresh_id("r-1")
                            .auto_scaling_group_name("web-app")
                            .status(InstanceRefreshStatus::InProgress)
                            .percentage_complete(50)
                            .status_reason("Waiting for instances to warm up before continuing.")
                            .build(),
                    )
                    .build()
            });
        let refreshes = refreshes(&ctx(mock_client!(aws_sdk_autoscaling, [&answer])), "web-app").await.expect("read");
        assert_eq!(refreshes.len(), 1);
        let r = &refreshes[0];
        assert_eq!((r.id.as_str(), r.status.as_str(), r.percent_complete), ("r-1", "InProgress", Some(50)));
        assert!(r.in_progress());
    }

    #[tokio::test]
    async fn describe_instance_refreshes_sdk_mock_emulator_gap_a_refresh_without_status_is_incomplete() {
        let answer = mock!(Client::describe_instance_refreshes).then_output(|| {
            DescribeInstanceRefreshesOutput::builder()
                .instance_refreshes(InstanceRefresh::builder().instance_refresh_id("r-1").build())
                .build()
        });
        let err = refreshes(&ctx(mock_client!(aws_sdk_autoscaling, [&answer])), "web-app").await.expect_err("strict");
        assert!(err.is(ErrorClass::Incomplete), "{err}");
        assert_eq!((err.call, err.message.as_str()), ("DescribeInstanceRefreshes", "the answer has no Status"));
    }
}
