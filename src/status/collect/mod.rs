//! Reading the tiers from AWS: discovery first (what the deployment owns), then a fixed number of
//! Describe calls per tier, each about every node at once, made by the modules of the kinds concerned.
//! One file per tier; this one puts them together and judges the whole.

mod app;
mod database;
mod discovery;
mod load_balancer;
mod spark;
mod storage;

use std::time::SystemTime;

use super::{judge, Alarms, Health, Judged, Report, Tiers};
use crate::aws::clock::utc_rfc3339;
use crate::aws::AwsError;
use crate::model::{Actual, Kind};
use crate::resources::{discover_all, Ctx, Error};

/// The tiers a topology says the deployment has. Without a topology (`status NAME`) a tier is expected
/// when any of its resources exists; a tier whose resources are all gone is then not known to be missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect {
    pub database: bool,
    pub storage: bool,
    pub spark: bool,
}

/// The report, and the resources discovery found (for `--cost`); no resources means no deployment.
pub async fn collect(ctx: &Ctx, expect: Expect) -> Result<(Report, Vec<Actual>), Error> {
    let resources = discover_all(ctx).await?;
    let checked_at = utc_rfc3339(SystemTime::now());
    let of = |kind: Kind| resources.iter().filter(move |r| r.kind == kind);
    let groups: Vec<&Actual> = of(Kind::AutoScalingGroup).collect();
    let mut app = app::tier(ctx, &groups).await?;
    // A canary rollout is read from what discovery found (its tagged resources, the listeners' weights):
    // no call of its own.
    let rollout = crate::rollout::State::read(&resources);
    if let Some(app) = app.as_mut().filter(|_| rollout.in_progress()) {
        app.canary = Some(rollout.summary());
    }
    // Only nodes of groups the load balancer routes to (those with a target group) should be targets.
    let routed: Vec<&str> = groups
        .iter()
        .filter(|g| {
            let target_groups = g.props.get(crate::resources::autoscaling::group::TARGET_GROUPS.name);
            matches!(target_groups, Some(crate::model::Value::List(list)) if !list.is_empty())
        })
        .map(|g| g.id.as_str())
        .collect();
    let in_service: Vec<String> = app
        .iter()
        .flat_map(|a| &a.groups)
        .filter(|g| routed.contains(&g.name.as_str()))
        .flat_map(|g| &g.instances)
        .filter(|i| i.lifecycle == "InService")
        .map(|i| i.id.clone())
        .collect();
    let load_balancer = load_balancer::tier(ctx, &resources, &in_service).await?;
    let database = match of(Kind::DbInstance).next() {
        Some(db) => {
            let mut replicas: Vec<&Actual> = of(Kind::DbReplica).collect();
            replicas.sort_by_key(|r| crate::model::names::database::replica_number(r.address.as_str()));
            Some(database::tier(ctx, db, &replicas).await?)
        }
        None if expect.database => Some(database::missing(ctx)),
        None => None,
    };
    let storage = match of(Kind::FileSystem).next() {
        Some(fs) => Some(storage::tier(ctx, fs, &storage::zones(&resources)).await?),
        None if expect.storage => Some(storage::missing()),
        None => None,
    };
    let wants_spark = expect.spark || of(Kind::EmrCluster).next().is_some() || of(Kind::Bucket).next().is_some();
    let spark = if wants_spark { Some(spark::tier(ctx, of(Kind::EmrCluster).next()).await?) } else { None };
    // Read from discovery, which lists every alarm with its state: no call of its own.
    let alarms = crate::resources::cloudwatch::status::alarms(&resources);
    let alarms = (!alarms.is_empty()).then(|| {
        let mut tier = Alarms { judged: Judged::healthy(), alarms };
        judge::alarms(&mut tier);
        tier
    });
    let discovery = match of(Kind::HostedZone).next() {
        Some(zone) => Some(discovery::tier(ctx, zone, app.as_ref()).await?),
        None => None,
    };
    let tiers = Tiers { load_balancer, app, database, storage, spark, alarms, discovery };
    let verdict = judge::verdict(&tiers);
    let report = Report {
        deployment: ctx.deployment.clone(),
        region: ctx.aws.region.clone(),
        checked_at,
        verdict,
        tiers,
        cost: None,
    };
    Ok((report, resources))
}

/// A tier that does not exist: down, for `reason`.
fn gone(reason: &str) -> Judged {
    let mut judged = Judged::healthy();
    judged.flag(Health::Down, reason);
    judged
}

/// A failed advisory read in a few words: the call and AWS's code (or the HTTP status and endpoint of an
/// answer without one), not the whole body of an error page.
fn brief(err: &AwsError) -> String {
    let why = match &err.code {
        Some(code) => format!("{code}: {}", err.message),
        None => err.message.split_once(", with no AWS error code").map_or(err.message.as_str(), |(s, _)| s).to_owned(),
    };
    format!("{} failed: {}", err.call, why.chars().take(160).collect::<String>())
}
