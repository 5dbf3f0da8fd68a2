//! The EMR cluster (Spark on YARN): found by name among the active clusters and kept only with the
//! deployment's tag; created with RunJobFlow (no idempotency token, so create looks again right before
//! it); waited on until it is WAITING or RUNNING; scaled and retagged in place; terminated and waited on.

use std::collections::HashMap;

use aws_sdk_emr::types::{
    AdjustmentType, Application, AutoScalingPolicy, BootstrapActionConfig, CloudWatchAlarmDefinition, Cluster,
    ClusterState, ComparisonOperator, ComputeLimits, ComputeLimitsUnitType, Configuration, InstanceGroup,
    InstanceGroupConfig, InstanceGroupModifyConfig, InstanceGroupType, InstanceRoleType, JobFlowInstancesConfig,
    ManagedScalingPolicy, MarketType, ScalingAction, ScalingConstraints, ScalingRule, ScalingTrigger,
    ScriptBootstrapActionConfig, SimpleScalingPolicyConfiguration, Statistic, Tag, Unit,
};

use crate::aws::{AwsError, ErrorClass, Outcome, PollPolicy, PollStatus, ResultExt, Service};
use crate::model::json::canonical;
use crate::model::names::spark::cluster_name;
use crate::model::{tags, Actual, Compare, Desired, Kind, Op, Prop, Value, NAME, TAGS};
use std::collections::BTreeMap;

use crate::resources::support::{self, once_iam_visible, owned_address, returned_id, wait_for};
use crate::resources::{tag_pairs, Ctx, Error, Latency, Progress, ResourceKind, Spec};

// EMR fixes all of these when the cluster starts: a change replaces the cluster.
pub const RELEASE: Prop = Prop::new("release").replaces();
/// Compared on the ones asked for: EMR may list applications it installed alongside.
pub const APPLICATIONS: Prop = Prop::new("applications").replaces().compared(Compare::ContainsAll);
/// Instance groups live in one subnet (one zone).
pub const SUBNET: Prop = Prop::new("subnet").replaces();
pub const MASTER_SECURITY_GROUP: Prop = Prop::new("master_security_group").replaces();
pub const CORE_SECURITY_GROUP: Prop = Prop::new("core_security_group").replaces();
pub const SERVICE_SECURITY_GROUP: Prop = Prop::new("service_security_group").replaces();
/// The service role's name.
pub const SERVICE_ROLE: Prop = Prop::new("service_role").replaces();
/// The nodes' instance profile's name.
pub const INSTANCE_PROFILE: Prop = Prop::new("instance_profile").replaces();
/// The role EMR's instance-group automatic scaling acts as (custom scaling only).
pub const AUTOSCALING_ROLE: Prop = Prop::new("autoscaling_role").replaces();
pub const LOG_URI: Prop = Prop::new("log_uri").replaces();
/// The bootstrap script's S3 URL.
pub const BOOTSTRAP: Prop = Prop::new("bootstrap").replaces();
/// The applications' configurations, as canonical JSON (a list of classifications).
pub const CONFIGURATIONS: Prop = Prop::new("configurations").replaces();
pub const MASTER_TYPE: Prop = Prop::new("master_type").replaces();
pub const CORE_TYPE: Prop = Prop::new("core_type").replaces();
pub const TASK_TYPE: Prop = Prop::new("task_type").replaces();
// Counts, scaling and tags change in place.
/// [`READY`] once the cluster can take work; another state is waited for.
pub const STATE: Prop = Prop::new("state");
pub const CORE_COUNT: Prop = Prop::new("core_count");
pub const TASK_COUNT: Prop = Prop::new("task_count");
/// How it scales: a map of `mode` (`managed` or `custom`), `min` and `max`.
pub const SCALING: Prop = Prop::new("scaling");

pub struct EmrCluster;

// Starting with a bootstrap action takes 10 minutes or more.
/// Every property of a cluster.
const PROPS: &[&Prop] = &[
    &NAME,
    &RELEASE,
    &APPLICATIONS,
    &SUBNET,
    &MASTER_SECURITY_GROUP,
    &CORE_SECURITY_GROUP,
    &SERVICE_SECURITY_GROUP,
    &SERVICE_ROLE,
    &INSTANCE_PROFILE,
    &AUTOSCALING_ROLE,
    &LOG_URI,
    &BOOTSTRAP,
    &CONFIGURATIONS,
    &MASTER_TYPE,
    &CORE_TYPE,
    &TASK_TYPE,
    &STATE,
    &CORE_COUNT,
    &TASK_COUNT,
    &SCALING,
    &TAGS,
];

const SPEC: Spec = Spec::new(Kind::EmrCluster, "EMR cluster", Service::Emr, PollPolicy::LONG, latency)
    .props(PROPS)
    .charge(|cluster, _| super::cost::nodes(cluster, &BILLED));

/// The node groups a cluster is billed for, each node at its EC2 price plus EMR's.
const BILLED: [super::cost::Billed; 3] = [
    super::cost::Billed { role: "master", count: None, instance_type: &MASTER_TYPE },
    super::cost::Billed { role: "core", count: Some(&CORE_COUNT), instance_type: &CORE_TYPE },
    super::cost::Billed { role: "task", count: Some(&TASK_COUNT), instance_type: &TASK_TYPE },
];

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // WAITING after 6-8 min without bootstrap actions (U, gh:aws/aws-cli awscli/examples/emr/
        // list-clusters.rst), plus clusterup's bootstrap script (installs efs-utils, mounts: 1-2 min, E).
        Op::Create => Latency::waits(9 * 60, 7.0 * 60.0, 10.0 * 60.0),
        // 5-10 min (U, gh:tpa/pull/8428)
        Op::Delete => Latency::waits(7 * 60, 5.0 * 60.0, 10.0 * 60.0),
        Op::Update => Latency::at_once(op),
    }
}

impl ResourceKind for EmrCluster {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let mut found = Vec::new();
        for id in active_cluster_ids(ctx).await? {
            if let Some(actual) = read(ctx, &id).await? {
                found.push(actual);
            }
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let emr = &ctx.aws.emr;
        let resource = want.address.as_str();
        // RunJobFlow has no idempotency token: a cluster started by an interrupted run (or a run racing this
        // one) is adopted, never doubled.
        for id in active_cluster_ids(ctx).await? {
            if read(ctx, &id).await?.is_some_and(|a| a.address == want.address) {
                return Ok(wait_ready(ctx, &id, resource, progress).await?);
            }
        }
        let scaling = wanted_scaling(want)?;
        let custom = scaling.as_ref().filter(|(mode, ..)| mode == "custom");
        let group =
            |name: &str, role: InstanceRoleType, type_prop: &Prop, count: i32, policy: Option<AutoScalingPolicy>| {
                Ok::<_, Error>(
                    InstanceGroupConfig::builder()
                        .name(name)
                        .instance_role(role)
                        .market(MarketType::OnDemand)
                        .instance_type(want.text(type_prop)?)
                        .instance_count(count)
                        .set_auto_scaling_policy(policy)
                        .build(),
                )
            };
        let core_policy = custom.map(|(_, min, max)| custom_policy(*min, *max));
        let mut groups = vec![
            group("master", InstanceRoleType::Master, &MASTER_TYPE, 1, None)?,
            group("core", InstanceRoleType::Core, &CORE_TYPE, want.int32(&CORE_COUNT)?, core_policy)?,
        ];
        if want.value(&TASK_TYPE).is_some() {
            let task_count = want.int32(&TASK_COUNT)?;
            let task_policy = custom.map(|(_, _, max)| custom_policy(task_count, (*max).max(task_count)));
            groups.push(group("task", InstanceRoleType::Task, &TASK_TYPE, task_count, task_policy)?);
        }
        let instances = JobFlowInstancesConfig::builder()
            .set_instance_groups(Some(groups))
            .ec2_subnet_id(want.text(&SUBNET)?)
            .emr_managed_master_security_group(want.text(&MASTER_SECURITY_GROUP)?)
            .emr_managed_slave_security_group(want.text(&CORE_SECURITY_GROUP)?)
            .service_access_security_group(want.text(&SERVICE_SECURITY_GROUP)?)
            .keep_job_flow_alive_when_no_steps(true)
            .termination_protected(false)
            .build();
        let bootstrap = BootstrapActionConfig::builder()
            .name("clusterup-node")
            .script_bootstrap_action(ScriptBootstrapActionConfig::builder().path(want.text(&BOOTSTRAP)?).build())
            .build();
        let applications =
            want.strings(&APPLICATIONS)?.iter().map(|name| Application::builder().name(name).build()).collect();
        let managed = match &scaling {
            Some((mode, min, max)) if mode == "managed" => Some(managed_policy(*min, *max)),
            _ => None,
        };
        let request = emr
            .run_job_flow()
            .name(want.text(&NAME)?)
            .release_label(want.text(&RELEASE)?)
            .log_uri(want.text(&LOG_URI)?)
            .set_applications(Some(applications))
            .set_configurations(Some(configurations(want)?))
            .instances(instances)
            .bootstrap_actions(bootstrap)
            .service_role(want.text(&SERVICE_ROLE)?)
            .job_flow_role(want.text(&INSTANCE_PROFILE)?)
            .set_auto_scaling_role(custom.map(|_| want.text(&AUTOSCALING_ROLE).map(str::to_owned)).transpose()?)
            .set_managed_scaling_policy(managed)
            .set_tags(Some(emr_tags(want)))
            .visible_to_all_users(true);
        // The roles and instance profile are seconds old: EMR may not see them yet.
        let out = once_iam_visible(resource, "RunJobFlow", progress, || async {
            request.clone().send().await.call("RunJobFlow", resource)
        })
        .await?;
        let id = returned_id(out.job_flow_id(), resource, "RunJobFlow")?;
        Ok(wait_ready(ctx, &id, resource, progress).await?)
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = have.address.as_str();
        let emr = &ctx.aws.emr;
        let mut have = have.clone();
        if want.differs_from(&have, &STATE) {
            // Started by an interrupted run: wait for it as create would have.
            have = wait_ready(ctx, &have.id, resource, progress).await?;
        }
        let id = &have.id;
        let set = move |tags: BTreeMap<String, String>| async move {
            let tags = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
            emr.add_tags().resource_id(id).set_tags(Some(tags)).send().await.call("AddTags", resource)?;
            Ok(())
        };
        let remove = move |keys: Vec<String>| async move {
            emr.remove_tags().resource_id(id).set_tag_keys(Some(keys)).send().await.call("RemoveTags", resource)?;
            Ok(())
        };
        support::sync_tags(&have, want, set, remove).await?;
        let mut resize = Vec::new();
        for (prefix, count) in [("core", &CORE_COUNT), ("task", &TASK_COUNT)] {
            if want.differs_from(&have, count) {
                let group = have.attrs.get(&format!("{prefix}_group_id")).ok_or_else(|| {
                    Error::Bug(format!("{resource}: the {prefix} instance group was not discovered with the cluster"))
                })?;
                resize.push(
                    InstanceGroupModifyConfig::builder()
                        .instance_group_id(group)
                        .instance_count(want.int32(count)?)
                        .build(),
                );
            }
        }
        if !resize.is_empty() {
            emr.modify_instance_groups()
                .cluster_id(&have.id)
                .set_instance_groups(Some(resize))
                .send()
                .await
                .call("ModifyInstanceGroups", resource)?;
        }
        if want.differs_from(&have, &SCALING) {
            set_scaling(ctx, &have, want).await?;
        }
        Ok(Actual { props: want.props.clone(), ..have })
    }

    /// Terminate and wait until EMR reports the cluster terminated (its instances and ENIs gone).
    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        let emr = &ctx.aws.emr;
        // Termination protection would make TerminateJobFlows a silent no-op.
        emr.set_termination_protection()
            .job_flow_ids(&have.id)
            .termination_protected(false)
            .send()
            .await
            .call("SetTerminationProtection", resource)
            .gone_ok()?;
        emr.terminate_job_flows().job_flow_ids(&have.id).send().await.call("TerminateJobFlows", resource).gone_ok()?;
        // From here the cluster does no more work: "any step not yet completed is canceled and the
        // Amazon EC2 instances in the cluster are terminated" (TerminateJobFlows,
        // https://docs.aws.amazon.com/emr/latest/APIReference/API_TerminateJobFlows.html). What only
        // needs its work to have stopped (the database's final snapshot, through spark/metastore) need
        // not wait the minutes until its instances are gone.
        progress.stopped();
        wait_for(SPEC.wait, resource, "DescribeCluster", progress, || async {
            let out = emr.describe_cluster().cluster_id(&have.id).send().await.call("DescribeCluster", resource);
            let state = match out {
                Err(err) if err.is(ErrorClass::NotFound) => return Ok(PollStatus::Ready(())),
                other => other?.cluster().and_then(|c| state_of(c).cloned()),
            };
            Ok(match state {
                None | Some(ClusterState::Terminated | ClusterState::TerminatedWithErrors) => PollStatus::Ready(()),
                Some(state) => PollStatus::Pending(format!("state {}", state.as_str().to_ascii_lowercase())),
            })
        })
        .await?;
        Ok(())
    }
}

/// The `state` of a cluster that can take work.
pub const READY: &str = "ready";

/// Attributes of a discovered cluster about its master instance group: its requested configurations
/// (canonical JSON), their version, the last version EMR applied, and the group's state.
pub const MASTER_GROUP_ID: &str = "master_group_id";
pub const MASTER_CONFIGURATIONS: &str = "master_configurations";
pub const MASTER_REQUESTED_VERSION: &str = "master_configurations_version";
pub const MASTER_APPLIED_VERSION: &str = "master_applied_configurations_version";
pub const MASTER_GROUP_STATE: &str = "master_group_state";

/// Clusters that exist and cost money; terminated ones stay listed for two months and are not ours to
/// adopt or delete.
const ACTIVE: [ClusterState; 4] =
    [ClusterState::Starting, ClusterState::Bootstrapping, ClusterState::Running, ClusterState::Waiting];

/// The ids of active clusters with the deployment's cluster name (ListClusters has no tag filter).
async fn active_cluster_ids(ctx: &Ctx) -> Result<Vec<String>, AwsError> {
    let emr = &ctx.aws.emr;
    let name = cluster_name(&ctx.deployment);
    let clusters = emr
        .list_clusters()
        .set_cluster_states(Some(ACTIVE.to_vec()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("ListClusters", &ctx.deployment)?;
    Ok(clusters.into_iter().filter(|c| c.name() == Some(name.as_str())).filter_map(|c| c.id).collect())
}

/// The cluster `id` as clusterup describes it, if it carries this deployment's tags.
async fn read(ctx: &Ctx, id: &str) -> Result<Option<Actual>, AwsError> {
    let emr = &ctx.aws.emr;
    let described = emr.describe_cluster().cluster_id(id).send().await.call("DescribeCluster", id).found()?;
    let Some(cluster) = described.and_then(|out| out.cluster) else { return Ok(None) };
    let tags = tags::from_pairs(cluster.tags().iter().map(|t| (t.key(), t.value())));
    let Some(address) = owned_address(ctx, &tags) else { return Ok(None) };
    let (groups, bootstrap, master) = tokio::try_join!(
        async {
            emr.list_instance_groups()
                .cluster_id(id)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .call("ListInstanceGroups", id)
        },
        async { emr.list_bootstrap_actions().cluster_id(id).send().await.call("ListBootstrapActions", id) },
        async {
            emr.list_instances()
                .cluster_id(id)
                .instance_group_types(InstanceGroupType::Master)
                .send()
                .await
                .call("ListInstances", id)
        },
    )?;
    let mut actual = from_aws(address, &cluster, &groups, &tags);
    // The master's own addresses, for the outputs (none while it is still being provisioned).
    if let Some(node) = master.instances().first() {
        actual = actual
            .attr("master_private_dns", node.private_dns_name().unwrap_or_default())
            .attr("master_private_ip", node.private_ip_address().unwrap_or_default());
    }
    if let Some(action) = bootstrap.bootstrap_actions().first() {
        actual = actual.prop(&BOOTSTRAP, Value::str(action.script_path().unwrap_or_default()));
    }
    let scaling = match tags.get(tags::SPARK_SCALING).map(String::as_str) {
        Some("custom") => group_of(&groups, InstanceGroupType::Core)
            .and_then(|g| g.auto_scaling_policy())
            .and_then(|p| p.constraints())
            .map(|c| {
                scaling_value("custom", c.min_capacity().unwrap_or_default(), c.max_capacity().unwrap_or_default())
            }),
        Some("managed") => {
            let out =
                emr.get_managed_scaling_policy().cluster_id(id).send().await.call("GetManagedScalingPolicy", id)?;
            out.managed_scaling_policy().and_then(|p| p.compute_limits()).map(|l| {
                scaling_value(
                    "managed",
                    l.minimum_capacity_units().unwrap_or_default(),
                    l.maximum_capacity_units().unwrap_or_default(),
                )
            })
        }
        _ => None,
    };
    if let Some(scaling) = scaling {
        actual = actual.prop(&SCALING, scaling);
    }
    Ok(Some(actual))
}

fn scaling_value(mode: &str, min: i32, max: i32) -> Value {
    Value::Map(
        [
            ("mode".to_owned(), Value::str(mode)),
            ("min".to_owned(), Value::Int(i64::from(min))),
            ("max".to_owned(), Value::Int(i64::from(max))),
        ]
        .into(),
    )
}

fn group_of(groups: &[InstanceGroup], kind: InstanceGroupType) -> Option<&InstanceGroup> {
    groups.iter().find(|g| g.instance_group_type() == Some(&kind))
}

/// Configurations in the canonical JSON the composition writes them in (a list of classifications with
/// their properties), so that what EMR reports compares with what is wanted as text.
pub(super) fn configurations_json(configurations: &[Configuration]) -> String {
    let list: Vec<serde_json::Value> = configurations
        .iter()
        .map(|c| {
            serde_json::json!({
                "Classification": c.classification().unwrap_or_default(),
                "Properties": c.properties().cloned().unwrap_or_default(),
            })
        })
        .collect();
    canonical(&serde_json::Value::Array(list))
}

fn state_of(cluster: &Cluster) -> Option<&ClusterState> {
    cluster.status().and_then(|s| s.state())
}

fn from_aws(
    address: crate::model::Address,
    cluster: &Cluster,
    groups: &[InstanceGroup],
    tags: &std::collections::BTreeMap<String, String>,
) -> Actual {
    let ec2 = cluster.ec2_instance_attributes();
    let text = |v: Option<&str>| Value::str(v.unwrap_or_default());
    let state = match state_of(cluster) {
        Some(ClusterState::Waiting | ClusterState::Running) => READY.to_owned(),
        Some(state) => state.as_str().to_ascii_lowercase(),
        None => "unknown".to_owned(),
    };
    let mut actual = Actual::new(address, Kind::EmrCluster, cluster.id().unwrap_or_default())
        .prop(&NAME, text(cluster.name()))
        .prop(&RELEASE, text(cluster.release_label()))
        .prop(&APPLICATIONS, Value::List(cluster.applications().iter().map(|a| text(a.name())).collect()))
        .prop(&SUBNET, text(ec2.and_then(|e| e.ec2_subnet_id())))
        .prop(&MASTER_SECURITY_GROUP, text(ec2.and_then(|e| e.emr_managed_master_security_group())))
        .prop(&CORE_SECURITY_GROUP, text(ec2.and_then(|e| e.emr_managed_slave_security_group())))
        .prop(&SERVICE_SECURITY_GROUP, text(ec2.and_then(|e| e.service_access_security_group())))
        .prop(&SERVICE_ROLE, text(cluster.service_role()))
        .prop(&INSTANCE_PROFILE, text(ec2.and_then(|e| e.iam_instance_profile())))
        .prop(&LOG_URI, text(cluster.log_uri()))
        .prop(&CONFIGURATIONS, Value::str(configurations_json(cluster.configurations())))
        .prop(&STATE, Value::str(state))
        .prop(&TAGS, tags::to_value(tags))
        .attr("arn", cluster.cluster_arn().unwrap_or_default())
        .attr("master_dns", cluster.master_public_dns_name().unwrap_or_default());
    if let Some(role) = cluster.auto_scaling_role().filter(|r| !r.is_empty()) {
        actual = actual.prop(&AUTOSCALING_ROLE, Value::str(role));
    }
    for (kind, prefix, type_prop, count_prop) in [
        (InstanceGroupType::Master, "master", &MASTER_TYPE, None),
        (InstanceGroupType::Core, "core", &CORE_TYPE, Some(&CORE_COUNT)),
        (InstanceGroupType::Task, "task", &TASK_TYPE, Some(&TASK_COUNT)),
    ] {
        if let Some(group) = group_of(groups, kind.clone()) {
            actual = actual
                .prop(type_prop, text(group.instance_type()))
                .attr(&format!("{prefix}_group_id"), group.id().unwrap_or_default());
            if kind == InstanceGroupType::Master {
                // What the Hive metastore attachment (spark/metastore, found through this cluster) reads:
                // the group's requested configurations and whether EMR has applied them.
                actual = actual
                    .attr(MASTER_CONFIGURATIONS, configurations_json(group.configurations()))
                    .attr(MASTER_REQUESTED_VERSION, group.configurations_version().unwrap_or_default().to_string())
                    .attr(
                        MASTER_APPLIED_VERSION,
                        group.last_successfully_applied_configurations_version().unwrap_or_default().to_string(),
                    )
                    .attr(
                        MASTER_GROUP_STATE,
                        group.status().and_then(|s| s.state()).map(|s| s.as_str()).unwrap_or_default(),
                    );
            }
            if let Some(count_prop) = count_prop {
                let count = group.requested_instance_count().unwrap_or_default();
                actual = actual.prop(count_prop, Value::Int(i64::from(count)));
            }
        }
    }
    actual
}

/// clusterup's YARN-memory rules: add a node when less than 15% of YARN memory is free for five minutes,
/// remove one when more than 75% is.
fn custom_policy(min: i32, max: i32) -> AutoScalingPolicy {
    let rule = |name: &str, adjustment: i32, operator: ComparisonOperator, threshold: f64| {
        let alarm = CloudWatchAlarmDefinition::builder()
            .comparison_operator(operator)
            .metric_name("YARNMemoryAvailablePercentage")
            .namespace("AWS/ElasticMapReduce")
            .period(300)
            .evaluation_periods(1)
            .statistic(Statistic::Average)
            .threshold(threshold)
            .unit(Unit::Percent)
            .build();
        let action = SimpleScalingPolicyConfiguration::builder()
            .adjustment_type(AdjustmentType::ChangeInCapacity)
            .scaling_adjustment(adjustment)
            .cool_down(300)
            .build();
        ScalingRule::builder()
            .name(name)
            .action(ScalingAction::builder().simple_scaling_policy_configuration(action).build())
            .trigger(ScalingTrigger::builder().cloud_watch_alarm_definition(alarm).build())
            .build()
    };
    AutoScalingPolicy::builder()
        .constraints(ScalingConstraints::builder().min_capacity(min).max_capacity(max).build())
        .rules(rule("clusterup-scale-out", 1, ComparisonOperator::LessThan, 15.0))
        .rules(rule("clusterup-scale-in", -1, ComparisonOperator::GreaterThan, 75.0))
        .build()
}

fn managed_policy(min: i32, max: i32) -> ManagedScalingPolicy {
    let limits = ComputeLimits::builder()
        .unit_type(ComputeLimitsUnitType::Instances)
        .minimum_capacity_units(min)
        .maximum_capacity_units(max)
        .build();
    ManagedScalingPolicy::builder().compute_limits(limits).build()
}

/// The wanted scaling: mode and limits, if the cluster scales.
fn wanted_scaling(want: &Desired) -> Result<Option<(String, i32, i32)>, Error> {
    if want.value(&SCALING).is_none() {
        return Ok(None);
    }
    let map = want.map(&SCALING)?;
    let wrong = || Error::Bug(format!("{}: scaling {map:?} needs a mode, min and max", want.address));
    let int = |k: &str| map.get(k).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok()).ok_or_else(wrong);
    let mode = map.get("mode").and_then(Value::as_str).ok_or_else(wrong)?;
    Ok(Some((mode.to_owned(), int("min")?, int("max")?)))
}

/// The topology's configurations text as EMR's types.
fn configurations(want: &Desired) -> Result<Vec<Configuration>, Error> {
    parse_configurations(want.text(&CONFIGURATIONS)?, want.address.as_str())
}

/// Configurations in the composition's JSON (see [`configurations_json`]) as EMR's types.
pub(super) fn parse_configurations(text: &str, resource: &str) -> Result<Vec<Configuration>, Error> {
    let parsed: Vec<serde_json::Value> = serde_json::from_str(text)
        .map_err(|err| Error::Bug(format!("{resource}: configurations are not JSON: {err}")))?;
    Ok(parsed
        .iter()
        .map(|c| {
            let properties: HashMap<String, String> = c["Properties"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
                .unwrap_or_default();
            Configuration::builder()
                .classification(c["Classification"].as_str().unwrap_or_default())
                .set_properties(Some(properties))
                .build()
        })
        .collect())
}

fn emr_tags(want: &Desired) -> Vec<Tag> {
    tag_pairs(want).iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Wait until the cluster can take work; a cluster that ends instead is an error with EMR's reason.
async fn wait_ready(ctx: &Ctx, id: &str, resource: &str, progress: &dyn Progress) -> Result<Actual, AwsError> {
    let emr = &ctx.aws.emr;
    wait_for(SPEC.wait, resource, "DescribeCluster", progress, || async {
            let out = emr.describe_cluster().cluster_id(id).send().await.call("DescribeCluster", resource)?;
            let Some(cluster) = out.cluster() else { return Ok(PollStatus::Pending("not visible yet".into())) };
            match state_of(cluster) {
                Some(ClusterState::Waiting | ClusterState::Running) => Ok(PollStatus::Ready(())),
                Some(
                    state @ (ClusterState::Terminating
                    | ClusterState::Terminated
                    | ClusterState::TerminatedWithErrors),
                ) => {
                    let reason = cluster.status().and_then(|s| s.state_change_reason());
                    Err(AwsError::local(
                        resource,
                        "RunJobFlow",
                        format!(
                            "EMR cluster {id} is {} instead of starting: {} {}; its logs are under {}{id}/. Fix the cause, then run apply again to start a new one",
                            state.as_str(),
                            reason.and_then(|r| r.code()).map(|c| c.as_str()).unwrap_or(""),
                            reason.and_then(|r| r.message()).unwrap_or("no reason given"),
                            cluster.log_uri().unwrap_or("the log bucket's logs/ folder, ")
                        ),
                    ))
                }
                other => Ok(PollStatus::Pending(format!(
                    "state {}",
                    other.map(|s| s.as_str().to_ascii_lowercase()).unwrap_or_else(|| "unknown".into())
                ))),
            }
        },
    )
    .await?;
    read(ctx, id).await?.ok_or_else(|| {
        AwsError::local(
            resource,
            "DescribeCluster",
            format!("cluster {id} started but is not tagged as this deployment's"),
        )
    })
}

/// Put the wanted scaling in place, first removing the other mode's policy if the cluster has one.
async fn set_scaling(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let resource = have.address.as_str();
    let emr = &ctx.aws.emr;
    let had_mode = match have.props.get(SCALING.name) {
        Some(Value::Map(map)) => map.get("mode").and_then(Value::as_str).unwrap_or_default().to_owned(),
        _ => String::new(),
    };
    let wanted = wanted_scaling(want)?;
    let wanted_mode = wanted.as_ref().map(|(m, ..)| m.as_str()).unwrap_or_default();
    let groups: Vec<(&str, String)> = ["core", "task"]
        .into_iter()
        .filter_map(|p| have.attrs.get(&format!("{p}_group_id")).map(|id| (p, id.clone())))
        .collect();
    if had_mode == "custom" && wanted_mode != "custom" {
        for (_, group) in &groups {
            emr.remove_auto_scaling_policy()
                .cluster_id(&have.id)
                .instance_group_id(group)
                .send()
                .await
                .call("RemoveAutoScalingPolicy", resource)?;
        }
    }
    if had_mode == "managed" && wanted_mode != "managed" {
        emr.remove_managed_scaling_policy()
            .cluster_id(&have.id)
            .send()
            .await
            .call("RemoveManagedScalingPolicy", resource)?;
    }
    match wanted {
        Some((mode, min, max)) if mode == "custom" => {
            let task_count = if want.value(&TASK_COUNT).is_some() { want.int32(&TASK_COUNT)? } else { 0 };
            for (prefix, group) in &groups {
                let (low, high) = if *prefix == "core" { (min, max) } else { (task_count, max.max(task_count)) };
                emr.put_auto_scaling_policy()
                    .cluster_id(&have.id)
                    .instance_group_id(group)
                    .auto_scaling_policy(custom_policy(low, high))
                    .send()
                    .await
                    .call("PutAutoScalingPolicy", resource)?;
            }
        }
        Some((mode, min, max)) if mode == "managed" => {
            emr.put_managed_scaling_policy()
                .cluster_id(&have.id)
                .managed_scaling_policy(managed_policy(min, max))
                .send()
                .await
                .call("PutManagedScalingPolicy", resource)?;
        }
        _ => {}
    }
    Ok(())
}

/// The emulator answers the managed-scaling calls with 500 (not implemented), so managed scaling is
/// covered here with SDK mocks, as the test names say; custom scaling runs against the emulator.
#[cfg(test)]
mod tests {

    use aws_sdk_emr::operation::describe_cluster::DescribeClusterOutput;
    use aws_sdk_emr::operation::get_managed_scaling_policy::GetManagedScalingPolicyOutput;
    use aws_sdk_emr::operation::list_bootstrap_actions::ListBootstrapActionsOutput;
    use aws_sdk_emr::operation::list_instance_groups::ListInstanceGroupsOutput;
    use aws_sdk_emr::operation::list_instances::ListInstancesOutput;
    use aws_sdk_emr::operation::put_managed_scaling_policy::PutManagedScalingPolicyOutput;
    use aws_sdk_emr::operation::remove_auto_scaling_policy::RemoveAutoScalingPolicyOutput;
    use aws_sdk_emr::types::ClusterStatus;
    use aws_sdk_emr::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::aws::Aws;
    use crate::model::names::spark::CLUSTER;
    use crate::model::Address;
    use crate::resources::{DataPolicy, Quiet};

    fn ctx(emr: Client) -> Ctx {
        Ctx { aws: Aws { emr, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() }
    }

    fn have(mode: &str, min: i32, max: i32) -> Actual {
        Actual::new(Address::new(CLUSTER), Kind::EmrCluster, "j-1")
            .prop(&STATE, Value::str(READY))
            .prop(&SCALING, scaling_value(mode, min, max))
            .attr("core_group_id", "ig-core")
    }

    fn want(mode: &str, min: i64, max: i64) -> Desired {
        Desired::new(CLUSTER, Kind::EmrCluster).prop(&STATE, Value::str(READY)).prop(
            &SCALING,
            Value::Map(
                [
                    ("mode".to_owned(), Value::str(mode)),
                    ("min".to_owned(), Value::Int(min)),
                    ("max".to_owned(), Value::Int(max)),
                ]
                .into(),
            ),
        )
    }

    fn limits_are(policy: Option<&ManagedScalingPolicy>, min: i32, max: i32) -> bool {
        let limits = policy.and_then(|p| p.compute_limits());
        limits.is_some_and(|l| {
            l.unit_type() == Some(&ComputeLimitsUnitType::Instances)
                && l.minimum_capacity_units() == Some(min)
                && l.maximum_capacity_units() == Some(max)
        })
    }

    #[tokio::test]
    async fn put_managed_scaling_policy_sdk_mock_emulator_gap_sets_new_limits() {
        let put = mock!(Client::put_managed_scaling_policy)
            .match_requests(|req| req.cluster_id() == Some("j-1") && limits_are(req.managed_scaling_policy(), 3, 12))
            .then_output(|| PutManagedScalingPolicyOutput::builder().build());
        let emr = mock_client!(aws_sdk_emr, [&put]);
        let updated = EmrCluster::update(&ctx(emr), &have("managed", 2, 10), &want("managed", 3, 12), &Quiet)
            .await
            .expect("limits updated");
        assert_eq!(put.num_calls(), 1);
        assert_eq!(updated.props.get(SCALING.name), want("managed", 3, 12).props.get(SCALING.name));
    }

    #[tokio::test]
    async fn put_managed_scaling_policy_sdk_mock_emulator_gap_replaces_custom_rules() {
        let remove = mock!(Client::remove_auto_scaling_policy)
            .match_requests(|req| req.cluster_id() == Some("j-1") && req.instance_group_id() == Some("ig-core"))
            .then_output(|| RemoveAutoScalingPolicyOutput::builder().build());
        let put = mock!(Client::put_managed_scaling_policy)
            .match_requests(|req| limits_are(req.managed_scaling_policy(), 2, 10))
            .then_output(|| PutManagedScalingPolicyOutput::builder().build());
        let emr = mock_client!(aws_sdk_emr, RuleMode::Sequential, [&remove, &put]);
        EmrCluster::update(&ctx(emr), &have("custom", 2, 10), &want("managed", 2, 10), &Quiet)
            .await
            .expect("switched to managed scaling");
        assert_eq!((remove.num_calls(), put.num_calls()), (1, 1), "the rules go first, then the managed policy");
    }

    #[tokio::test]
    async fn get_managed_scaling_policy_sdk_mock_emulator_gap_is_read_for_managed_clusters() {
        let tags =
            [("clusterup:deployment", "demo"), ("clusterup:resource", CLUSTER), (tags::SPARK_SCALING, "managed")];
        let describe = mock!(Client::describe_cluster).then_output(move || {
            let cluster = Cluster::builder()
                .id("j-1")
                .name("demo-spark")
                .status(ClusterStatus::builder().state(ClusterState::Waiting).build())
                .set_tags(Some(tags.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build()).collect()))
                .build();
            DescribeClusterOutput::builder().cluster(cluster).build()
        });
        let groups = mock!(Client::list_instance_groups).then_output(|| ListInstanceGroupsOutput::builder().build());
        let instances = mock!(Client::list_instances).then_output(|| ListInstancesOutput::builder().build());
        let bootstrap =
            mock!(Client::list_bootstrap_actions).then_output(|| ListBootstrapActionsOutput::builder().build());
        let get = mock!(Client::get_managed_scaling_policy)
            .match_requests(|req| req.cluster_id() == Some("j-1"))
            .then_output(|| {
                GetManagedScalingPolicyOutput::builder().managed_scaling_policy(managed_policy(2, 10)).build()
            });
        let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&describe, &groups, &bootstrap, &instances, &get]);
        let actual = read(&ctx(emr), "j-1").await.expect("read").expect("the cluster is ours");
        assert_eq!(get.num_calls(), 1);
        assert_eq!(actual.props.get(SCALING.name), Some(&scaling_value("managed", 2, 10)));
        assert_eq!(actual.props.get(STATE.name), Some(&Value::str(READY)));
    }
}
