//! The Hive metastore attachment (`spark/metastore`): the Spark cluster's master instance group
//! reconfigured so that Hive keeps its metastore on the shared database.
//!
//! It is its own resource so that the cluster does not wait for the database. A Multi-AZ database takes
//! 15-20 minutes and the cluster 7-10: with the metastore in the cluster's creation configuration (which
//! EMR fixes at RunJobFlow), the two ran one after the other. Now the cluster starts with Hive on EMR's
//! default local metastore, beside the database, and this step points Hive at the database once both
//! exist. Its own address makes it its own line in the plan, its own estimate and its own kill point.
//!
//! AWS behaviour it relies on:
//! - From emr-5.21.0, `ModifyInstanceGroups` takes an instance group's `Configurations` on a running
//!   cluster. EMR numbers each request (`ConfigurationsVersion`), restarts the applications whose
//!   classifications changed (hive-site: the Hive metastore and HiveServer2 on the master), checks them,
//!   and reports the last version it applied (`LastSuccessfullyAppliedConfigurationsVersion`); the group
//!   is `RECONFIGURING` meanwhile, and a reconfiguration that fails is rolled back to the last applied
//!   one. Group configurations override the cluster's (which cannot change) and one request replaces
//!   the group's whole list.
//!   <https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-configure-apps-running-cluster.html>,
//!   <https://docs.aws.amazon.com/emr/latest/APIReference/API_ModifyInstanceGroups.html>,
//!   <https://docs.aws.amazon.com/emr/latest/APIReference/API_InstanceGroup.html>,
//!   <https://aws.amazon.com/blogs/big-data/modifying-your-cluster-on-the-fly-with-amazon-emr-reconfiguration/>
//! - An instance group can be modified only while the cluster is RUNNING or WAITING: the attachment
//!   refers to the cluster, so it starts once the cluster's create has seen it ready.
//! - The metastore's password never passes through here: the configuration names the database's secret
//!   (by ARN) and a local credential store; the master's `clusterup-metastore-store.service` (installed by
//!   the bootstrap action) reads the secret and writes the store before every start of the metastore,
//!   including the restart this reconfiguration causes (templates/spark-bootstrap.sh, docs/spark.md).
//!
//! The local emulator's ModifyInstanceGroups takes instance counts only; the project's emulator launcher
//! adds configurations (applied at once, as everything there is). What takes time on AWS (a reconfiguration
//! in progress, one rolled back) is tested here with SDK mocks.

use std::time::Duration;

use aws_sdk_emr::types::{ClusterState, InstanceGroup, InstanceGroupModifyConfig, InstanceGroupState};

use super::cluster::{
    configurations_json, parse_configurations, MASTER_APPLIED_VERSION, MASTER_CONFIGURATIONS, MASTER_GROUP_ID,
    MASTER_GROUP_STATE, MASTER_REQUESTED_VERSION,
};
use super::configuration_versions;
use crate::aws::{AwsError, ErrorClass, PollPolicy, PollStatus, ResultExt, Service};
use crate::model::names::spark::METASTORE;
use crate::model::{Actual, Address, Desired, Kind, Op, Prop, Value};
use crate::resources::support::wait_for;
use crate::resources::{Ctx, Error, Latency, Progress, ResourceKind, Spec};

/// The cluster's id. Its deletion does not wait for the attachment's: the attachment waits for the
/// cluster to stop working instead (see [`HiveMetastore::delete`]).
pub const CLUSTER: Prop = Prop::new("cluster").replaces().not_a_dependency();
/// The master instance group's id: the metastore runs on the master.
pub const INSTANCE_GROUP: Prop = Prop::new("instance_group").replaces().not_a_dependency();
/// The database instance's id: the database is deleted only after the attachment.
pub const DATABASE: Prop = Prop::new("database");
/// The master group's configurations, as canonical JSON: hive-site with the metastore's JDBC URL, user,
/// credential store, and clusterup's two properties ([`DATABASE_PROPERTY`], [`SECRET_PROPERTY`]).
pub const CONFIGURATIONS: Prop = Prop::new("configurations");
/// [`APPLIED`] once EMR has applied the configurations; another state is waited for.
pub const STATE: Prop = Prop::new("state");

pub const APPLIED: &str = "applied";
const RECONFIGURING: &str = "reconfiguring";
const NOT_APPLIED: &str = "not applied";

/// The classification the metastore's connection lives in.
pub const HIVE_SITE: &str = "hive-site";
/// clusterup's properties in hive-site (Hive ignores names it does not know): the database's id, which
/// also marks the configuration as the attachment's, and the ARN of the secret the master reads the
/// password from.
pub const DATABASE_PROPERTY: &str = "clusterup.metastore.database";
pub const SECRET_PROPERTY: &str = "clusterup.metastore.secret-arn";

pub struct HiveMetastore;

const SPEC: Spec = Spec::new(Kind::HiveMetastore, "Hive metastore", Service::Emr, PollPolicy::LONG, latency)
    .props(&[&CLUSTER, &INSTANCE_GROUP, &DATABASE, &CONFIGURATIONS, &STATE])
    .child_of(Kind::EmrCluster)
    // Nothing to undo once the cluster is shutting down; see `delete`.
    .deleted_after_stop(&[Kind::EmrCluster]);

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // Not published (E), summed from its steps on one node (the master; no rolling restart as for
        // core and task groups): EMR's agent on the node picks the request up (10-30 s), runs the Hive
        // part of its configuration (20-60 s), restarts the metastore and HiveServer2, the metastore
        // creating its schema in the new database on its first start (15-60 s). The Release Guide
        // (emr-configure-apps-running-cluster.html) documents the steps, not their duration.
        Op::Create | Op::Update => Latency::waits(90, 45.0, 150.0),
        // The cluster has stopped working when this runs (`deleted_after_stop`): one DescribeCluster.
        Op::Delete => Latency::at_once(op),
    }
}

impl ResourceKind for HiveMetastore {
    const SPEC: &'static Spec = &SPEC;

    /// The attachment of `parent` (a cluster), from what the cluster's discovery read of its master group:
    /// there when the group's requested configurations carry clusterup's hive-site properties.
    async fn discover(_ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(cluster) = parent else { return Ok(Vec::new()) };
        // The cluster's discovery records these together with its master group; a cluster read without
        // a master group (not started yet) has no attachment.
        let attr = |key: &str| cluster.attrs.get(key);
        let version = |key: &str| attr(key).and_then(|v| v.parse::<i64>().ok());
        let (Some(group), Some(configurations), Some(group_state), Some(requested), Some(applied)) = (
            attr(MASTER_GROUP_ID),
            attr(MASTER_CONFIGURATIONS),
            attr(MASTER_GROUP_STATE),
            version(MASTER_REQUESTED_VERSION),
            version(MASTER_APPLIED_VERSION),
        ) else {
            return Ok(Vec::new());
        };
        let Some(database) = hive_site_property(configurations, DATABASE_PROPERTY) else { return Ok(Vec::new()) };
        let state = state_of(group_state, requested, applied);
        Ok(vec![Actual::new(Address::new(METASTORE), Kind::HiveMetastore, group)
            .prop(&CLUSTER, Value::str(&cluster.id))
            .prop(&INSTANCE_GROUP, Value::str(group))
            .prop(&DATABASE, Value::str(database))
            .prop(&CONFIGURATIONS, Value::str(configurations))
            .prop(&STATE, Value::str(state))])
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        attach(ctx, want, progress).await
    }

    async fn update(ctx: &Ctx, _have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        attach(ctx, want, progress).await
    }

    /// Runs once the cluster's deletion has stopped its work (`deleted_after_stop`): EMR has cancelled
    /// every step not yet completed and is terminating the instances (TerminateJobFlows), so no Spark work
    /// writes to the metastore any more and the database may go. EMR gives no documented way to remove a
    /// group configuration back to the cluster's defaults ("you can only override, and not delete"), and
    /// clusterup never removes the attachment from a cluster that stays (changing the metastore replaces
    /// the cluster); a cluster that is still running is therefore refused, not silently left pointing at
    /// a database about to be deleted.
    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        // An attachment to no cluster has nothing to detach from.
        let Some(cluster) = have.text(&CLUSTER).filter(|c| !c.is_empty()) else { return Ok(()) };
        let emr = &ctx.aws.emr;
        // A termination just accepted may take a moment to show: look for up to a minute.
        let started = tokio::time::Instant::now();
        loop {
            let out = emr.describe_cluster().cluster_id(cluster).send().await.call("DescribeCluster", resource);
            let state = match out {
                Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
                other => other?.cluster().and_then(|c| c.status()).and_then(|s| s.state()).cloned(),
            };
            let Some(state) = state.filter(|s| {
                !matches!(s, ClusterState::Terminating | ClusterState::Terminated | ClusterState::TerminatedWithErrors)
            }) else {
                return Ok(());
            };
            let waited = started.elapsed();
            if waited >= STOP_SHOWS_WITHIN {
                return Err(Error::Refused {
                    resource: resource.to_owned(),
                    reason: format!(
                        "the Spark cluster {cluster} is {} with its Hive metastore on the database; the metastore is detached only when the cluster is terminated or replaced",
                        state.as_str().to_ascii_lowercase()
                    ),
                    hint: "replace or delete spark/cluster (clusterup does when the metastore setting changes), then re-run",
                });
            }
            progress.waiting(&format!("cluster {cluster} {}", state.as_str().to_ascii_lowercase()), waited);
            tokio::time::sleep(PollPolicy::FAST.max_delay).await;
        }
    }
}

/// How long a cluster whose termination was just accepted may still be reported running.
const STOP_SHOWS_WITHIN: Duration = Duration::from_secs(60);

/// Send the wanted configurations to the master group unless they are already requested, and wait until
/// EMR has applied them.
async fn attach(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
    let resource = want.address.as_str();
    let cluster = want.text(&CLUSTER)?;
    let group_id = want.text(&INSTANCE_GROUP)?;
    let wanted = parse_configurations(want.text(&CONFIGURATIONS)?, resource)?;
    let wanted_json = configurations_json(&wanted);
    let group = master_group(ctx, cluster, group_id, resource).await?;
    let (requested, applied) = configuration_versions(&group);
    let reconfiguring = group_state(&group) == Some(&InstanceGroupState::Reconfiguring);
    // The same request is in progress or done (a run interrupted after ModifyInstanceGroups): wait for it
    // instead of restarting Hive once more. A request that was rolled back is sent again.
    let ours = configurations_json(group.configurations()) == wanted_json && (reconfiguring || applied >= requested);
    let before = if ours {
        None
    } else {
        ctx.aws
            .emr
            .modify_instance_groups()
            .cluster_id(cluster)
            .instance_groups(
                InstanceGroupModifyConfig::builder()
                    .instance_group_id(group_id)
                    .set_configurations(Some(wanted))
                    .build(),
            )
            .send()
            .await
            .call("ModifyInstanceGroups", resource)?;
        Some(requested)
    };
    wait_applied(ctx, cluster, group_id, resource, before.map_or(Target::Version(requested), Target::After), progress)
        .await?;
    let group = master_group(ctx, cluster, group_id, resource).await?;
    Ok(Actual::new(want.address.clone(), Kind::HiveMetastore, group_id)
        .prop(&CLUSTER, Value::str(cluster))
        .prop(&INSTANCE_GROUP, Value::str(group_id))
        .prop(&DATABASE, want.value(&DATABASE).cloned().unwrap_or_else(|| Value::str("")))
        .prop(&CONFIGURATIONS, Value::str(configurations_json(group.configurations())))
        .prop(&STATE, Value::str(APPLIED)))
}

/// Which request to wait for: a known version, or the first one numbered after a version (the one just
/// sent, before EMR's answer shows its number).
#[derive(Debug, Clone, Copy)]
enum Target {
    Version(i64),
    After(i64),
}

/// Wait until EMR has applied the target request to the group. A request that EMR started and then
/// rolled back (the group back to RUNNING, its last applied version still older) fails with EMR's reason.
async fn wait_applied(
    ctx: &Ctx,
    cluster: &str,
    group_id: &str,
    resource: &str,
    target: Target,
    progress: &dyn Progress,
) -> Result<(), AwsError> {
    // What the looks learnt so far: the version to wait for, and whether the group was seen reconfiguring.
    let learnt = std::sync::Mutex::new((target, false));
    wait_for(SPEC.schedule(Op::Update, None), resource, "ListInstanceGroups", progress, || async {
        let group = master_group(ctx, cluster, group_id, resource).await.map_err(|e| match e {
            Error::Aws(err) => err,
            other => AwsError::local(resource, "ListInstanceGroups", other.to_string()),
        })?;
        let (requested, applied) = configuration_versions(&group);
        let mut learnt = learnt.lock().map_err(|_| AwsError::local(resource, "ListInstanceGroups", "poisoned"))?;
        let version = match learnt.0 {
            Target::Version(v) => v,
            Target::After(before) if requested > before => requested,
            Target::After(_) => return Ok(PollStatus::Pending("request not visible yet".into())),
        };
        learnt.0 = Target::Version(version);
        let state = group_state(&group);
        if state == Some(&InstanceGroupState::Reconfiguring) {
            learnt.1 = true;
        }
        let reason = group.status().and_then(|s| s.state_change_reason()).and_then(|r| r.message());
        let failed = |what: String| Err(AwsError::local(resource, "ModifyInstanceGroups", what));
        match verdict(state, applied, version, learnt.1) {
            Verdict::Applied => Ok(PollStatus::Ready(())),
            Verdict::RolledBack => failed(format!(
                "EMR could not apply configuration version {version} to instance group {group_id} of cluster {cluster} and rolled it back (last applied: {applied}): {}; the master's Hive metastore log (/var/log/hive) says why, e.g. the database unreachable or its secret unreadable by the node role",
                reason.unwrap_or("no reason given")
            )),
            Verdict::Stopped(state) => failed(stopped_message(cluster, group_id, state, version, reason)),
            Verdict::Gone(state) => {
                failed(format!("instance group {group_id} of cluster {cluster} is {} instead of running", state.as_str()))
            }
            Verdict::Pending => Ok(PollStatus::Pending(match state {
                Some(InstanceGroupState::Reconfiguring) => format!("reconfiguring (version {version})"),
                other => format!(
                    "{} (version {version} requested, {applied} applied)",
                    other.map(|s| s.as_str().to_ascii_lowercase()).unwrap_or_else(|| "unknown".into())
                ),
            })),
        }
    })
    .await
}

/// What one look at the master group says about the request numbered `version`.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    Applied,
    /// Back to running without applying it, after EMR worked on it.
    RolledBack,
    /// EMR stopped working on the group after repeated errors: it will not apply the request by itself.
    Stopped(InstanceGroupState),
    /// The group is going away with its cluster.
    Gone(InstanceGroupState),
    Pending,
}

/// The verdict on request `version` from the group's `state`, the last version EMR `applied`, and
/// whether an earlier look saw the group reconfiguring.
///
/// SUSPENDED and ARRESTED end the wait at once: EMR puts a group there "when it encounters too many
/// errors" and stops trying, rather than going on
/// (<https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-troubleshoot-slow-5.html>), so waiting
/// would only run into the hour's timeout.
fn verdict(state: Option<&InstanceGroupState>, applied: i64, version: i64, seen_reconfiguring: bool) -> Verdict {
    match state {
        Some(InstanceGroupState::Running) if applied >= version => Verdict::Applied,
        Some(InstanceGroupState::Running) if seen_reconfiguring => Verdict::RolledBack,
        Some(state @ (InstanceGroupState::Suspended | InstanceGroupState::Arrested)) => Verdict::Stopped(state.clone()),
        Some(
            state @ (InstanceGroupState::Terminating
            | InstanceGroupState::Terminated
            | InstanceGroupState::Ended
            | InstanceGroupState::ShuttingDown),
        ) => Verdict::Gone(state.clone()),
        _ => Verdict::Pending,
    }
}

/// A master group EMR stopped working on, as what happened and what to do.
fn stopped_message(
    cluster: &str,
    group_id: &str,
    state: InstanceGroupState,
    version: i64,
    reason: Option<&str>,
) -> String {
    format!(
        "instance group {group_id} of cluster {cluster} is {} ({}): EMR stopped working on it after repeated errors, \
         and will not apply configuration version {version} (the Hive metastore on the database) by itself. \
         Read why in the cluster's events (aws emr describe-cluster --cluster-id {cluster}) and on the master \
         (/var/log/hive, /emr/instance-controller/log). Then, if EMR brings the group back to RUNNING, run apply \
         again to send the configuration again; otherwise replace the cluster (aws emr terminate-clusters \
         --cluster-ids {cluster}, then apply): tables live in the metastore on the database and data on EFS \
         or S3, not on the cluster",
        state.as_str(),
        reason.unwrap_or("no reason given")
    )
}

/// The cluster's instance group `group_id`, as ListInstanceGroups reports it.
async fn master_group(ctx: &Ctx, cluster: &str, group_id: &str, resource: &str) -> Result<InstanceGroup, Error> {
    let groups = ctx
        .aws
        .emr
        .list_instance_groups()
        .cluster_id(cluster)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("ListInstanceGroups", resource)?;
    groups.into_iter().find(|g| g.id() == Some(group_id)).ok_or_else(|| {
        Error::Aws(AwsError::local(
            resource,
            "ListInstanceGroups",
            format!("cluster {cluster} has no instance group {group_id}; the plan is stale, run apply again"),
        ))
    })
}

fn group_state(group: &InstanceGroup) -> Option<&InstanceGroupState> {
    group.status().and_then(|s| s.state())
}

/// The attachment's `state` from the group's state and configuration versions.
fn state_of(group_state: &str, requested: i64, applied: i64) -> &'static str {
    match group_state {
        "RECONFIGURING" => RECONFIGURING,
        "RUNNING" if applied >= requested => APPLIED,
        _ => NOT_APPLIED,
    }
}

/// A property of the hive-site classification in configurations written as canonical JSON.
fn hive_site_property(configurations: &str, name: &str) -> Option<String> {
    let list: Vec<serde_json::Value> = serde_json::from_str(configurations).ok()?;
    list.iter()
        .filter(|c| c["Classification"] == HIVE_SITE)
        .find_map(|c| c["Properties"][name].as_str().map(str::to_owned))
}

/// What the local emulator cannot show (there, a reconfiguration is applied at once): a reconfiguration
/// in progress, one rolled back, a request an interrupted run already made, a cluster that keeps
/// running. Covered with SDK mocks, as the test names say; the emulator tests cover the calls and the
/// kill points (tests/reliability.rs, tests/spark.rs).
#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_sdk_emr::operation::describe_cluster::DescribeClusterOutput;
    use aws_sdk_emr::operation::list_instance_groups::ListInstanceGroupsOutput;
    use aws_sdk_emr::operation::modify_instance_groups::ModifyInstanceGroupsOutput;
    use aws_sdk_emr::types::{
        Cluster, ClusterStatus, Configuration, InstanceGroupStateChangeReason, InstanceGroupStatus, InstanceGroupType,
    };
    use aws_sdk_emr::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::aws::Aws;
    use crate::model::names::spark::CLUSTER as CLUSTER_ADDRESS;
    use crate::resources::{DataPolicy, Quiet};

    const WANTED: &str = r#"[{"Classification":"hive-site","Properties":{"clusterup.metastore.database":"demo-db","clusterup.metastore.secret-arn":"arn:secret","javax.jdo.option.ConnectionURL":"jdbc:mysql://demo-db.x:3306/hive"}}]"#;

    fn ctx(emr: Client) -> Ctx {
        Ctx { aws: Aws { emr, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() }
    }

    fn want() -> Desired {
        Desired::new(METASTORE, Kind::HiveMetastore)
            .prop(&CLUSTER, Value::str("j-1"))
            .prop(&INSTANCE_GROUP, Value::str("ig-master"))
            .prop(&DATABASE, Value::str("demo-db"))
            .prop(&CONFIGURATIONS, Value::str(WANTED))
            .prop(&STATE, Value::str(APPLIED))
    }

    fn wanted_configurations() -> Vec<Configuration> {
        parse_configurations(WANTED, METASTORE).expect("wanted configurations")
    }

    /// The master group as ListInstanceGroups reports it.
    fn master(
        state: InstanceGroupState,
        configurations: Vec<Configuration>,
        requested: i64,
        applied: i64,
    ) -> InstanceGroup {
        InstanceGroup::builder()
            .id("ig-master")
            .instance_group_type(InstanceGroupType::Master)
            .status(
                InstanceGroupStatus::builder()
                    .state(state)
                    .state_change_reason(
                        InstanceGroupStateChangeReason::builder().message("Hive metastore failed to start").build(),
                    )
                    .build(),
            )
            .set_configurations(Some(configurations))
            .configurations_version(requested)
            .last_successfully_applied_configurations_version(applied)
            .build()
    }

    /// A ListInstanceGroups rule answering each call with the next group of `answers` (the last one
    /// repeated), and counting the calls.
    fn groups(answers: Vec<InstanceGroup>) -> (aws_smithy_mocks::Rule, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let rule = mock!(Client::list_instance_groups)
            .match_requests(|r| r.cluster_id() == Some("j-1"))
            .then_compute_output(move |_| {
                let n = seen.fetch_add(1, Ordering::SeqCst).min(answers.len() - 1);
                ListInstanceGroupsOutput::builder().instance_groups(answers[n].clone()).build()
            });
        (rule, calls)
    }

    fn modify() -> aws_smithy_mocks::Rule {
        mock!(Client::modify_instance_groups)
            .match_requests(|r| {
                r.cluster_id() == Some("j-1")
                    && r.instance_groups().len() == 1
                    && r.instance_groups()[0].instance_group_id() == Some("ig-master")
                    && r.instance_groups()[0].instance_count().is_none()
                    && configurations_json(r.instance_groups()[0].configurations())
                        == configurations_json(&wanted_configurations())
            })
            .then_output(|| ModifyInstanceGroupsOutput::builder().build())
    }

    #[tokio::test(start_paused = true)]
    async fn modify_instance_groups_sdk_mock_emulator_gap_waits_while_the_master_group_reconfigures() {
        let (list, _) = groups(vec![
            master(InstanceGroupState::Running, vec![], 0, 0),
            // EMR took the request; the group is reconfiguring for a while, then it is applied.
            master(InstanceGroupState::Reconfiguring, wanted_configurations(), 1, 0),
            master(InstanceGroupState::Reconfiguring, wanted_configurations(), 1, 0),
            master(InstanceGroupState::Running, wanted_configurations(), 1, 1),
        ]);
        let modify = modify();
        let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&list, &modify]);
        let made = HiveMetastore::create(&ctx(emr), &want(), &Quiet).await.expect("attached");
        assert_eq!(modify.num_calls(), 1, "one request: every request restarts Hive");
        assert_eq!(made.props.get(STATE.name), Some(&Value::str(APPLIED)));
        assert_eq!(
            made.props.get(CONFIGURATIONS.name),
            Some(&Value::str(configurations_json(&wanted_configurations())))
        );
        assert_eq!(made.id, "ig-master");
    }

    #[tokio::test(start_paused = true)]
    async fn modify_instance_groups_sdk_mock_emulator_gap_a_rolled_back_reconfiguration_fails_with_emrs_reason() {
        let (list, _) = groups(vec![
            master(InstanceGroupState::Running, vec![], 0, 0),
            master(InstanceGroupState::Reconfiguring, wanted_configurations(), 1, 0),
            // Back to running, the last applied version still the old one: EMR rolled it back.
            master(InstanceGroupState::Running, wanted_configurations(), 1, 0),
        ]);
        let modify = modify();
        let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&list, &modify]);
        let err = HiveMetastore::create(&ctx(emr), &want(), &Quiet).await.expect_err("rolled back");
        let text = err.to_string();
        assert!(text.contains("rolled it back") && text.contains("Hive metastore failed to start"), "{text}");
    }

    /// A reconfiguration EMR gave up on (the group SUSPENDED or ARRESTED) fails at once with what to do,
    /// instead of waiting the hour out.
    #[tokio::test(start_paused = true)]
    async fn modify_instance_groups_sdk_mock_emulator_gap_a_suspended_or_arrested_group_fails_at_once_saying_what_to_do(
    ) {
        for stopped in [InstanceGroupState::Suspended, InstanceGroupState::Arrested] {
            let (list, calls) = groups(vec![
                master(InstanceGroupState::Running, vec![], 0, 0),
                master(InstanceGroupState::Reconfiguring, wanted_configurations(), 1, 0),
                master(stopped.clone(), wanted_configurations(), 1, 0),
            ]);
            let modify = modify();
            let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&list, &modify]);
            let began = tokio::time::Instant::now();
            let err = HiveMetastore::create(&ctx(emr), &want(), &Quiet).await.expect_err("stopped");
            assert!(began.elapsed() < Duration::from_secs(60), "waited {:?}", began.elapsed());
            assert_eq!(calls.load(Ordering::SeqCst), 3, "no look after the group stopped");
            let text = err.to_string();
            assert!(
                text.contains(&format!("instance group ig-master of cluster j-1 is {}", stopped.as_str())),
                "{text}"
            );
            assert!(text.contains("Hive metastore failed to start"), "EMR's reason: {text}");
            assert!(text.contains("aws emr describe-cluster --cluster-id j-1"), "{text}");
            assert!(text.contains("run apply again") && text.contains("terminate-clusters"), "{text}");
        }
    }

    #[test]
    fn each_state_of_the_master_group_has_its_verdict() {
        use InstanceGroupState as S;
        assert_eq!(verdict(Some(&S::Running), 2, 2, false), Verdict::Applied);
        assert_eq!(verdict(Some(&S::Running), 1, 2, true), Verdict::RolledBack);
        assert_eq!(verdict(Some(&S::Running), 1, 2, false), Verdict::Pending, "EMR has not picked it up yet");
        assert_eq!(verdict(Some(&S::Reconfiguring), 1, 2, true), Verdict::Pending);
        assert_eq!(verdict(Some(&S::Suspended), 1, 2, true), Verdict::Stopped(S::Suspended));
        assert_eq!(verdict(Some(&S::Arrested), 1, 2, false), Verdict::Stopped(S::Arrested));
        assert_eq!(
            verdict(Some(&S::Suspended), 2, 2, false),
            Verdict::Stopped(S::Suspended),
            "stopped whatever it applied"
        );
        assert_eq!(verdict(Some(&S::Terminating), 1, 2, true), Verdict::Gone(S::Terminating));
        assert_eq!(verdict(Some(&S::Resizing), 1, 2, true), Verdict::Pending);
        assert_eq!(verdict(None, 1, 2, true), Verdict::Pending);
    }

    /// A run killed right after ModifyInstanceGroups left the request in progress: the next run waits
    /// for it instead of sending it again (which would restart Hive once more).
    #[tokio::test(start_paused = true)]
    async fn list_instance_groups_sdk_mock_emulator_gap_a_request_in_progress_is_waited_for_not_sent_again() {
        let (list, calls) = groups(vec![
            master(InstanceGroupState::Reconfiguring, wanted_configurations(), 1, 0),
            master(InstanceGroupState::Running, wanted_configurations(), 1, 1),
        ]);
        let modify = modify();
        let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&list, &modify]);
        let have = Actual::new(Address::new(METASTORE), Kind::HiveMetastore, "ig-master")
            .prop(&STATE, Value::str(RECONFIGURING));
        HiveMetastore::update(&ctx(emr), &have, &want(), &Quiet).await.expect("waited for");
        assert_eq!(modify.num_calls(), 0);
        assert!(calls.load(Ordering::SeqCst) >= 2);
    }

    /// A request that was rolled back earlier (the same configuration requested, never applied) is sent
    /// again.
    #[tokio::test(start_paused = true)]
    async fn list_instance_groups_sdk_mock_emulator_gap_a_request_rolled_back_earlier_is_sent_again() {
        let (list, _) = groups(vec![
            master(InstanceGroupState::Running, wanted_configurations(), 1, 0),
            master(InstanceGroupState::Running, wanted_configurations(), 2, 2),
        ]);
        let modify = modify();
        let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&list, &modify]);
        let have = Actual::new(Address::new(METASTORE), Kind::HiveMetastore, "ig-master")
            .prop(&STATE, Value::str(NOT_APPLIED));
        HiveMetastore::update(&ctx(emr), &have, &want(), &Quiet).await.expect("applied the second time");
        assert_eq!(modify.num_calls(), 1);
    }

    fn cluster_in(state: ClusterState) -> aws_smithy_mocks::Rule {
        mock!(Client::describe_cluster).match_requests(|r| r.cluster_id() == Some("j-1")).then_output(move || {
            let cluster =
                Cluster::builder().id("j-1").status(ClusterStatus::builder().state(state.clone()).build()).build();
            DescribeClusterOutput::builder().cluster(cluster).build()
        })
    }

    fn attached() -> Actual {
        Actual::new(Address::new(METASTORE), Kind::HiveMetastore, "ig-master").prop(&CLUSTER, Value::str("j-1"))
    }

    #[tokio::test(start_paused = true)]
    async fn describe_cluster_sdk_mock_emulator_gap_the_attachment_of_a_terminating_cluster_is_gone_without_a_call() {
        let describe = cluster_in(ClusterState::Terminating);
        let modify = modify();
        let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&describe, &modify]);
        HiveMetastore::delete(&ctx(emr), &attached(), &Quiet).await.expect("nothing to detach");
        assert_eq!((describe.num_calls(), modify.num_calls()), (1, 0));
    }

    /// Never leave a running cluster's metastore pointing at a database about to be deleted.
    #[tokio::test(start_paused = true)]
    async fn describe_cluster_sdk_mock_emulator_gap_a_cluster_that_keeps_running_is_refused() {
        let describe = cluster_in(ClusterState::Waiting);
        let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&describe]);
        let err = HiveMetastore::delete(&ctx(emr), &attached(), &Quiet).await.expect_err("refused");
        assert!(matches!(err, Error::Refused { .. }), "{err}");
        assert!(err.to_string().contains("still") || err.to_string().contains("waiting"), "{err}");
        assert!(describe.num_calls() > 1, "it looked again before refusing");
    }

    /// Discovery reads the master group through its cluster: there when clusterup's hive-site
    /// properties are requested, and applied only when EMR says so.
    #[tokio::test]
    async fn discovery_reads_the_attachment_and_its_state_from_the_clusters_master_group() {
        let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, []);
        let ctx = ctx(emr);
        let cluster = |requested: &str, applied: &str, state: &str, configurations: &str| {
            Actual::new(Address::new(CLUSTER_ADDRESS), Kind::EmrCluster, "j-1")
                .attr(MASTER_GROUP_ID, "ig-master")
                .attr(MASTER_CONFIGURATIONS, configurations)
                .attr(MASTER_REQUESTED_VERSION, requested)
                .attr(MASTER_APPLIED_VERSION, applied)
                .attr(MASTER_GROUP_STATE, state)
        };
        let found = HiveMetastore::discover(&ctx, Some(&cluster("1", "1", "RUNNING", WANTED))).await.expect("read");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].props.get(DATABASE.name), Some(&Value::str("demo-db")));
        assert_eq!(found[0].props.get(CLUSTER.name), Some(&Value::str("j-1")));
        assert_eq!(found[0].props.get(STATE.name), Some(&Value::str(APPLIED)));
        for (group_state, state) in [("RECONFIGURING", RECONFIGURING), ("RUNNING", NOT_APPLIED)] {
            let found =
                HiveMetastore::discover(&ctx, Some(&cluster("2", "1", group_state, WANTED))).await.expect("read");
            assert_eq!(found[0].props.get(STATE.name), Some(&Value::str(state)), "{group_state}");
        }
        let none = HiveMetastore::discover(&ctx, Some(&cluster("0", "0", "RUNNING", "[]"))).await.expect("read");
        assert!(none.is_empty(), "a cluster without the attachment has none");
    }
}
