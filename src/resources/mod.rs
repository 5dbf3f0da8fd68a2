//! One module per AWS resource family. Each family knows which resources a topology asks of it, how to
//! find the deployment's existing ones with a few tag-filtered calls, and how to create, update and delete
//! them (waiting where AWS needs time). Families never print; they report waits through [`Progress`].
//!
//! Adding a family: write the module, implement [`Family`], add it to [`FAMILIES`].

pub mod app;
pub mod database;
mod ec2_util;
pub mod iam;
pub mod leftovers;
pub mod load_balancer;
pub mod network;
pub mod spark;
pub mod storage;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::aws::{Aws, AwsError, PollPolicy};
use crate::model::{Actual, Desired, Kind};
use crate::topology::Topology;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a family needs to talk to AWS about one deployment.
#[derive(Clone)]
pub struct Ctx {
    pub aws: Aws,
    pub deployment: String,
    /// The user's tags from the topology (empty when destroying by name).
    pub user_tags: BTreeMap<String, String>,
    /// What deleting may do to data.
    pub data: DataPolicy,
}

/// What deleting may do to data. The defaults lose nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataPolicy {
    /// Take a final snapshot before deleting the database (`deletion: snapshot`, the default).
    pub db_final_snapshot: bool,
    /// Losing data was asked for explicitly (`--delete-data`): the file system may go, and a database
    /// with `deletion: delete` may go without a snapshot.
    pub delete_data: bool,
}

impl Default for DataPolicy {
    fn default() -> Self {
        DataPolicy { db_final_snapshot: true, delete_data: false }
    }
}

/// Facts about the account that the desired state depends on, read once per plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// The availability zones to use, in order.
    pub zones: Vec<String>,
    /// The AMI the app nodes boot (an SSM parameter resolved at plan time).
    pub image_id: String,
    /// The CIDR of the VPC the deployment lives in (managed or existing).
    pub vpc_cidr: String,
    /// The zone of each private subnet, in order (mount targets are named after them).
    pub private_subnet_zones: Vec<String>,
    /// The AWS account id, read only when a resource name needs it (the Spark bucket).
    pub account_id: String,
}

/// Told about long waits, so the user sees what clusterup waits on.
pub trait Progress: Send + Sync {
    fn waiting(&self, seen: &str, waited: Duration);
}

/// One family of resources.
pub trait Family: Sync {
    fn name(&self) -> &'static str;
    /// The kinds this module creates, updates, deletes and discovers.
    fn kinds(&self) -> &'static [Kind];
    /// The resources the topology asks of this family.
    fn desired(&self, topology: &Topology, facts: &Facts) -> Vec<Desired>;
    /// Every resource of this family's kinds tagged with the deployment (and their untagged children).
    fn discover<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Vec<Actual>, AwsError>>;
    /// Create `want` (its references already resolved to ids) and wait until it is usable.
    fn create<'a>(
        &'a self,
        ctx: &'a Ctx,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>>;
    /// Bring `have` in line with `want` in place.
    fn update<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>>;
    /// Delete `have` and wait until AWS has let go of it. Deleting what is already gone succeeds.
    fn delete<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), AwsError>>;
    /// What the operator needs from this family once it exists (URL, ids), from the resources that exist.
    fn outputs(&self, _resources: &[Actual]) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// Every family, in creation order.
pub static FAMILIES: &[&dyn Family] = &[
    &network::Network,
    &iam::Iam,
    &database::Database,
    &storage::Storage,
    &load_balancer::LoadBalancing,
    &app::AppTier,
    &spark::Spark,
];

/// The family that manages `kind`.
pub fn family_of(kind: Kind) -> &'static dyn Family {
    FAMILIES
        .iter()
        .copied()
        .find(|family| family.kinds().contains(&kind))
        .unwrap_or_else(|| unreachable!("every kind is registered with a family: {kind:?}"))
}

/// The whole desired state of a topology.
pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    FAMILIES.iter().flat_map(|family| family.desired(topology, facts)).collect()
}

/// The address of a discovered resource, if it belongs to this deployment. Discovery already filters by
/// the deployment tag on the server; checking again here means a filter an API (or an emulator) applies
/// loosely can never make clusterup adopt, change or delete another deployment's resource.
pub(crate) fn owned_address(ctx: &Ctx, tags: &BTreeMap<String, String>) -> Option<crate::model::Address> {
    if tags.get(crate::model::tags::DEPLOYMENT) != Some(&ctx.deployment) {
        return None;
    }
    tags.get(crate::model::tags::RESOURCE).map(crate::model::Address::new)
}

/// A resource found by its deterministic name must carry this deployment's tag; anything else is a name
/// clash that clusterup must never adopt, change or delete.
pub(crate) fn check_owner(ctx: &Ctx, what: &str, name: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    match tags.get(crate::model::tags::DEPLOYMENT) {
        Some(owner) if owner == &ctx.deployment => Ok(()),
        owner => Err(AwsError::local(
            name,
            "CheckOwner",
            format!(
                "a {what} named {name} exists but belongs to {}; clusterup will not touch it. Choose another deployment name, or delete or rename that {what}",
                owner.map(|o| format!("deployment {o}")).unwrap_or_else(|| "no clusterup deployment".into())
            ),
        )),
    }
}

/// One lookup per item, all at once, results in item order. Each lookup gets its own handle on the context.
pub(crate) async fn concurrently<I, T, F, Fut>(
    ctx: &Ctx,
    items: impl IntoIterator<Item = I>,
    lookup: F,
) -> Result<Vec<T>, AwsError>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(Ctx, I) -> Fut,
    Fut: Future<Output = Result<T, AwsError>> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let lookup = lookup(ctx.clone(), item);
        tasks.spawn(async move { (index, lookup.await) });
    }
    let mut found = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, result) = joined.map_err(|e| AwsError::local(&ctx.deployment, "Discover", e.to_string()))?;
        found.push((index, result?));
    }
    found.sort_by_key(|(index, _)| *index);
    Ok(found.into_iter().map(|(_, value)| value).collect())
}

/// How to wait for a resource of `kind` to become usable or gone. One table for every family, and for
/// the simulation benchmark, which measures how late these policies see readiness.
pub fn wait_policy(kind: Kind) -> PollPolicy {
    match kind {
        // Multi-AZ creation takes 15-20 minutes, EMR with a bootstrap action 10 or more.
        Kind::DbInstance | Kind::EmrCluster => PollPolicy::LONG,
        Kind::NatGateway | Kind::LoadBalancer | Kind::AutoScalingGroup | Kind::MountTarget => PollPolicy::MINUTES,
        _ => PollPolicy::FAST,
    }
}

/// Every family's outputs, the URL first (what operators open), then in family order.
pub fn outputs(resources: &[Actual]) -> Vec<(&'static str, String)> {
    let mut all: Vec<(&'static str, String)> = FAMILIES.iter().flat_map(|family| family.outputs(resources)).collect();
    all.sort_by_key(|(key, _)| *key != "url");
    all
}

/// The id of the resource at `address`, if it exists.
pub fn id_of<'a>(resources: &'a [Actual], address: &str) -> Option<&'a str> {
    resources.iter().find(|r| r.address.as_str() == address).map(|r| r.id.as_str())
}

/// Kinds whose deletion must wait for the deletion of other kinds, beyond direct id references (AWS
/// keeps hidden links: an internet gateway cannot be detached while NAT gateways or load balancers map
/// public addresses through it; a subnet cannot go while instances or load balancer ENIs live in it).
pub fn deleted_after(kind: Kind) -> &'static [Kind] {
    match kind {
        Kind::Vpc => &[
            Kind::Subnet,
            Kind::InternetGateway,
            Kind::RouteTable,
            Kind::SecurityGroup,
            Kind::TargetGroup,
            Kind::LoadBalancer,
            Kind::NatGateway,
        ],
        Kind::Subnet => &[
            Kind::NatGateway,
            Kind::LoadBalancer,
            Kind::AutoScalingGroup,
            Kind::RouteTable,
            Kind::DbSubnetGroup,
            Kind::DbInstance,
            Kind::MountTarget,
            Kind::EmrCluster,
        ],
        Kind::InternetGateway => &[Kind::NatGateway, Kind::LoadBalancer, Kind::ElasticIp],
        Kind::ElasticIp => &[Kind::NatGateway],
        Kind::NatGateway => &[Kind::RouteTable],
        Kind::SecurityGroup => {
            &[Kind::LoadBalancer, Kind::AutoScalingGroup, Kind::DbInstance, Kind::MountTarget, Kind::EmrCluster]
        }
        Kind::TargetGroup => &[Kind::Listener, Kind::AutoScalingGroup],
        Kind::LoadBalancer => &[Kind::Listener],
        Kind::LaunchTemplate => &[Kind::AutoScalingGroup],
        Kind::AutoScalingGroup => &[Kind::ScalingPolicy],
        // EMR uses its service role until the cluster has terminated.
        Kind::IamRole => &[Kind::InstanceProfile, Kind::EmrCluster],
        Kind::InstanceProfile => &[Kind::AutoScalingGroup, Kind::LaunchTemplate, Kind::EmrCluster],
        Kind::DbSubnetGroup | Kind::DbParameterGroup => &[Kind::DbInstance],
        // App nodes use the database and the file system until they are gone.
        Kind::DbInstance => &[Kind::AutoScalingGroup, Kind::EmrCluster],
        Kind::FileSystem => &[Kind::MountTarget, Kind::AccessPoint],
        Kind::MountTarget | Kind::AccessPoint => &[Kind::AutoScalingGroup, Kind::EmrCluster],
        // EMR writes logs until the cluster has terminated.
        Kind::Bucket => &[Kind::BucketObject, Kind::EmrCluster],
        Kind::RouteTable | Kind::Listener | Kind::ScalingPolicy | Kind::BucketObject | Kind::EmrCluster => &[],
    }
}
