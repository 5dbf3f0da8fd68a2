//! The EMR cluster (Spark on YARN): found by name among the active clusters and kept only with the
//! deployment's tag; created with RunJobFlow (no idempotency token, so create looks again right before
//! it); waited on until it is WAITING or RUNNING; scaled and retagged in place; terminated and waited on.
//!
//! This file declares what a cluster is (its properties, its `Spec`) and the kind's four actions; each
//! action's work is in a module of its own: `request` (the RunJobFlow request), `read` (discovery and
//! reading a cluster back), `configurations` (the applications' configurations between clusterup's JSON
//! and EMR's types), `scaling` (custom or managed), `update` (what changes in place), `ready` (the wait
//! until it takes work) and `terminate`.

mod configurations;
mod read;
mod ready;
mod request;
mod scaling;
mod terminate;
mod update;

use crate::aws::{PollPolicy, ResultExt, Service};
use crate::model::{Actual, Compare, Desired, Kind, Op, Prop, NAME, TAGS};
use crate::resources::support::{once_iam_visible, returned_id};
use crate::resources::{Ctx, Error, Latency, Progress, ResourceKind, Spec};
use read::{active_cluster_ids, read};
use ready::wait_ready;

pub(super) use configurations::{configurations_json, parse_configurations};

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
/// The name of the EMR security configuration (encryption) the cluster starts with.
pub const SECURITY_CONFIGURATION: Prop = Prop::new("security_configuration").replaces();
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
    &SECURITY_CONFIGURATION,
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
        let resource = want.address.as_str();
        // RunJobFlow has no idempotency token: a cluster started by an interrupted run (or a run racing this
        // one) is adopted, never doubled.
        for id in active_cluster_ids(ctx).await? {
            if read(ctx, &id).await?.is_some_and(|a| a.address == want.address) {
                return Ok(wait_ready(ctx, SPEC.wait.into(), &id, resource, progress).await?);
            }
        }
        let request = request::run_job_flow(&ctx.aws.emr, want)?;
        // The roles and instance profile are seconds old: EMR may not see them yet.
        let out = once_iam_visible(resource, "RunJobFlow", progress, || async {
            request.clone().send().await.call("RunJobFlow", resource)
        })
        .await?;
        let id = returned_id(out.job_flow_id(), resource, "RunJobFlow")?;
        Ok(wait_ready(ctx, SPEC.schedule(Op::Create, Some(want)), &id, resource, progress).await?)
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        update::update(ctx, have, want, progress).await
    }

    /// Terminate and wait until EMR reports the cluster terminated (its instances and ENIs gone).
    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        terminate::terminate(ctx, have, progress).await
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

/// The managed-scaling calls, which the emulator does not answer, with SDK mocks.
#[cfg(test)]
mod tests;
