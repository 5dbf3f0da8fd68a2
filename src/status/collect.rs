//! Reading the tiers from AWS: discovery first (what the deployment owns), then a fixed number of
//! Describe calls per tier, each about every node at once.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_sdk_emr::types::{ClusterState, StepState};
use aws_smithy_types::date_time::{DateTime, Format};

use super::{
    judge, Activity, App, Database, Group, Health, Instance, Judged, Listener, LoadBalancer, MountTarget, NodeGroup,
    Refresh, Refreshes, Report, Spark, Step, Storage, Target, Tiers,
};
use crate::aws::{AwsError, Outcome, ResultExt};
use crate::model::names::{app, spark};
use crate::model::{Actual, Kind};
use crate::resources::elbv2::listener;
use crate::resources::{discover_all, ec2::subnet, Ctx, Error};

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
    let checked_at = now_text();
    let of = |kind: Kind| resources.iter().filter(move |r| r.kind == kind);
    let groups: Vec<&Actual> = of(Kind::AutoScalingGroup).collect();
    let mut app = app_tier(ctx, &groups).await?;
    // A canary rollout is read from what discovery found (its tagged resources, the listeners' weights):
    // no call of its own.
    let rollout = crate::rollout::State::read(&resources);
    if let Some(app) = app.as_mut().filter(|_| rollout.in_progress()) {
        app.canary = Some(rollout.summary());
    }
    let in_service: Vec<String> = app
        .iter()
        .flat_map(|a| &a.groups)
        .flat_map(|g| &g.instances)
        .filter(|i| i.lifecycle == "InService")
        .map(|i| i.id.clone())
        .collect();
    let load_balancer = load_balancer_tier(ctx, &resources, &in_service).await?;
    let database = match of(Kind::DbInstance).next() {
        Some(db) => Some(database_tier(ctx, db).await?),
        None if expect.database => Some(missing_database(ctx)),
        None => None,
    };
    let zones: BTreeSet<String> = of(Kind::Subnet)
        .filter(|s| s.address.leaf().starts_with("private-"))
        .filter_map(|s| s.text(&subnet::ZONE).map(str::to_owned))
        .collect();
    let storage = match of(Kind::FileSystem).next() {
        Some(fs) => Some(storage_tier(ctx, fs, &zones.into_iter().collect::<Vec<_>>()).await?),
        None if expect.storage => Some(Storage {
            judged: gone("the shared file system does not exist; run apply to make it"),
            id: String::new(),
            state: "missing".into(),
            size_bytes: 0,
            mount_targets: vec![],
        }),
        None => None,
    };
    let wants_spark = expect.spark || of(Kind::EmrCluster).next().is_some() || of(Kind::Bucket).next().is_some();
    let spark = if wants_spark { Some(spark_tier(ctx, of(Kind::EmrCluster).next()).await?) } else { None };
    let tiers = Tiers { load_balancer, app, database, storage, spark };
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
        None => err.message.split(", with no AWS error code").next().unwrap_or_default().to_owned(),
    };
    format!("{} failed: {}", err.call, why.chars().take(160).collect::<String>())
}

fn now_text() -> String {
    DateTime::from(SystemTime::now()).fmt(Format::DateTime).unwrap_or_default()
}

fn time_text(time: Option<&DateTime>) -> Option<String> {
    time.and_then(|t| t.fmt(Format::DateTime).ok())
}

async fn load_balancer_tier(
    ctx: &Ctx,
    resources: &[Actual],
    in_service: &[String],
) -> Result<Option<LoadBalancer>, Error> {
    let lb = resources.iter().find(|r| r.kind == Kind::LoadBalancer);
    // The app's target group and, during a canary rollout, the canary's: the canary's nodes are targets
    // of its own group, not of the app's.
    let target_groups: Vec<&Actual> = resources.iter().filter(|r| r.kind == Kind::TargetGroup).collect();
    if lb.is_none() && target_groups.is_empty() {
        // Every deployment has one: its absence, with anything else left, is a tier down.
        return Ok((!resources.is_empty()).then(|| LoadBalancer {
            judged: gone("the load balancer does not exist; run apply to make it"),
            name: String::new(),
            state: "missing".into(),
            dns_name: String::new(),
            listeners: vec![],
            targets: vec![],
        }));
    }
    let mut listeners: Vec<Listener> = resources
        .iter()
        .filter(|r| r.kind == Kind::Listener)
        .map(|r| Listener {
            port: r.props.get(listener::PORT.name).and_then(|p| p.as_int()).unwrap_or_default(),
            protocol: r.text(&listener::PROTOCOL).unwrap_or("HTTP").to_owned(),
        })
        .collect();
    listeners.sort_by_key(|l| l.port);
    let mut targets = Vec::new();
    for tg in target_groups {
        let health = ctx
            .aws
            .elb
            .describe_target_health()
            .target_group_arn(&tg.id)
            .send()
            .await
            .call("DescribeTargetHealth", tg.address.as_str())?;
        for d in health.target_health_descriptions() {
            let th = d.target_health();
            targets.push(Target {
                id: d.target().and_then(|t| t.id()).unwrap_or_default().to_owned(),
                port: d.target().and_then(|t| t.port()),
                state: th.and_then(|h| h.state()).map(|s| s.as_str().to_owned()).unwrap_or_else(|| "unknown".into()),
                reason: th.and_then(|h| h.reason()).map(|r| r.as_str().to_owned()),
                description: th.and_then(|h| h.description()).map(str::to_owned),
            });
        }
    }
    targets.sort_by(|a, b| a.id.cmp(&b.id));
    let mut tier = LoadBalancer {
        judged: Judged::healthy(),
        name: lb.map(|l| l.text(&crate::model::NAME).unwrap_or(l.id.as_str()).to_owned()).unwrap_or_default(),
        state: lb.and_then(|l| l.attrs.get("state").cloned()).unwrap_or_else(|| "missing".into()),
        dns_name: lb.and_then(|l| l.attrs.get("dns_name").cloned()).unwrap_or_default(),
        listeners,
        targets,
    };
    judge::load_balancer(&mut tier, in_service);
    Ok(Some(tier))
}

/// The app groups: one DescribeAutoScalingGroups for all of them, one DescribeInstances for all their
/// nodes, the main group's last activities, and each group's instance refreshes.
async fn app_tier(ctx: &Ctx, groups: &[&Actual]) -> Result<Option<App>, Error> {
    if groups.is_empty() {
        return Ok(None);
    }
    let autoscaling = &ctx.aws.autoscaling;
    let names: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
    let described = autoscaling
        .describe_auto_scaling_groups()
        .set_auto_scaling_group_names(Some(names.clone()))
        .send()
        .await
        .call("DescribeAutoScalingGroups", app::AUTO_SCALING_GROUP)?;
    let ids: Vec<String> = described
        .auto_scaling_groups()
        .iter()
        .flat_map(|g| g.instances())
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    let states = instance_states(ctx, &ids).await?;
    let mut out = Vec::new();
    for group in described.auto_scaling_groups() {
        let name = group.auto_scaling_group_name().unwrap_or_default().to_owned();
        // A rollout group (a canary) is one more group of the deployment: shown by what its address says.
        let role = groups
            .iter()
            .find(|g| g.id == name)
            .map(|g| match g.address.as_str() {
                app::AUTO_SCALING_GROUP => "main",
                other if app::is_canary(other) => "canary",
                _ => g.address.leaf(),
            })
            .unwrap_or("main")
            .to_owned();
        let mut instances: Vec<Instance> = group
            .instances()
            .iter()
            .map(|i| {
                let id = i.instance_id().unwrap_or_default().to_owned();
                Instance {
                    state: states
                        .iter()
                        .find(|(s, _)| s == &id)
                        .map(|(_, st)| st.clone())
                        .unwrap_or_else(|| "unknown".into()),
                    id,
                    zone: i.availability_zone().unwrap_or_default().to_owned(),
                    lifecycle: i.lifecycle_state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    health: i.health_status().unwrap_or_default().to_owned(),
                }
            })
            .collect();
        instances.sort_by(|a, b| (&a.zone, &a.id).cmp(&(&b.zone, &b.id)));
        out.push(Group {
            name,
            role,
            min: group.min_size().unwrap_or_default(),
            desired: group.desired_capacity().unwrap_or_default(),
            max: group.max_size().unwrap_or_default(),
            instances,
        });
    }
    out.sort_by_key(|g| (g.role != "main", g.name.clone()));
    let main = out.first().map(|g| g.name.clone()).unwrap_or_default();
    let activities = autoscaling
        .describe_scaling_activities()
        .auto_scaling_group_name(&main)
        .max_records(5)
        .send()
        .await
        .call("DescribeScalingActivities", app::AUTO_SCALING_GROUP)?
        .activities()
        .iter()
        .map(|a| Activity {
            started: time_text(a.start_time()),
            status: a.status_code().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            description: a.description().unwrap_or_default().to_owned(),
        })
        .collect();
    let refreshes = refreshes(ctx, &out.iter().map(|g| g.name.clone()).collect::<Vec<_>>()).await;
    let mut tier = App { judged: Judged::healthy(), groups: out, activities, refreshes, canary: None };
    judge::app(&mut tier);
    Ok(Some(tier))
}

/// EC2's state of each node, in one call. A node EC2 no longer knows is left out (shown as unknown).
async fn instance_states(ctx: &Ctx, ids: &[String]) -> Result<Vec<(String, String)>, AwsError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let described = ctx
        .aws
        .ec2
        .describe_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
        .call("DescribeInstances", app::AUTO_SCALING_GROUP)
        .found()?;
    Ok(described
        .iter()
        .flat_map(|d| d.reservations())
        .flat_map(|r| r.instances())
        .filter_map(|i| Some((i.instance_id()?.to_owned(), i.state()?.name()?.as_str().to_owned())))
        .collect())
}

/// The groups' instance refreshes. Not every endpoint has the call (the local emulator answers 500): a
/// failure is shown as such and does not change the tier's health, since nothing rolls without it.
/// One attempt, no retries: the answer is advisory, and retrying a missing call costs seconds per read.
async fn refreshes(ctx: &Ctx, groups: &[String]) -> Refreshes {
    let mut items = Vec::new();
    for group in groups {
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
            .call("DescribeInstanceRefreshes", group);
        match answer {
            Ok(out) => items.extend(out.instance_refreshes().iter().map(|r| Refresh {
                group: group.clone(),
                id: r.instance_refresh_id().unwrap_or_default().to_owned(),
                status: r.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                percent_complete: r.percentage_complete(),
                started: time_text(r.start_time()),
                reason: r.status_reason().map(str::to_owned),
            })),
            Err(err) => {
                return Refreshes { readable: false, items, note: Some(format!("not readable: {}", brief(&err))) }
            }
        }
    }
    Refreshes { readable: true, items, note: None }
}

fn missing_database(ctx: &Ctx) -> Database {
    Database {
        judged: gone("the database does not exist; run apply to make it (or restore it from its final snapshot)"),
        identifier: crate::model::names::database::identifier(&ctx.deployment),
        status: "missing".into(),
        engine_version: String::new(),
        instance_class: String::new(),
        multi_az: false,
        allocated_gb: 0,
        free_storage_gb: None,
        free_storage_note: None,
        pending_modifications: vec![],
        maintenance: vec![],
    }
}

/// The database: DescribeDBInstances, its pending maintenance, and its free storage from CloudWatch.
async fn database_tier(ctx: &Ctx, db: &Actual) -> Result<Database, Error> {
    let resource = db.address.as_str();
    let described = ctx
        .aws
        .rds
        .describe_db_instances()
        .db_instance_identifier(&db.id)
        .send()
        .await
        .call("DescribeDBInstances", resource)
        .found()?;
    let Some(instance) = described.as_ref().and_then(|d| d.db_instances().first()) else {
        return Ok(missing_database(ctx));
    };
    let mut pending = Vec::new();
    if let Some(p) = instance.pending_modified_values() {
        let mut add = |what: &str, value: Option<String>| {
            if let Some(value) = value {
                pending.push(format!("{what} -> {value}"));
            }
        };
        add("instance class", p.db_instance_class().map(str::to_owned));
        add("storage", p.allocated_storage().map(|s| format!("{s} GB")));
        add("Multi-AZ", p.multi_az().map(|m| m.to_string()));
        add("engine version", p.engine_version().map(str::to_owned));
        add("storage type", p.storage_type().map(str::to_owned));
        add("backup retention", p.backup_retention_period().map(|d| format!("{d} days")));
    }
    let arn = instance.db_instance_arn().unwrap_or_default();
    let maintenance = match ctx
        .aws
        .rds
        .describe_pending_maintenance_actions()
        .resource_identifier(arn)
        .customize()
        .config_override(aws_sdk_rds::config::Builder::default().retry_config(RetryConfig::disabled()))
        .send()
        .await
        .call("DescribePendingMaintenanceActions", resource)
    {
        Ok(out) => out
            .pending_maintenance_actions()
            .iter()
            .flat_map(|r| r.pending_maintenance_action_details())
            .map(|a| {
                let when = time_text(a.auto_applied_after_date())
                    .map(|t| format!(" (auto-applied after {t})"))
                    .or_else(|| time_text(a.forced_apply_date()).map(|t| format!(" (forced on {t})")))
                    .unwrap_or_default();
                format!("{}{when}: {}", a.action().unwrap_or("maintenance"), a.description().unwrap_or_default())
            })
            .collect(),
        Err(err) => vec![format!("not readable: {}", brief(&err))],
    };
    let (free_storage_gb, free_storage_note) = match free_storage(ctx, &db.id, resource).await {
        Ok(Some(bytes)) => (Some(bytes / 1e9), None),
        Ok(None) => (None, Some("CloudWatch has no FreeStorageSpace datapoint in the last 15 minutes".to_owned())),
        Err(err) => (None, Some(format!("not readable: {}", brief(&err)))),
    };
    let mut tier = Database {
        judged: Judged::healthy(),
        identifier: db.id.clone(),
        status: instance.db_instance_status().unwrap_or("unknown").to_owned(),
        engine_version: instance.engine_version().unwrap_or_default().to_owned(),
        instance_class: instance.db_instance_class().unwrap_or_default().to_owned(),
        multi_az: instance.multi_az().unwrap_or(false),
        allocated_gb: instance.allocated_storage().unwrap_or_default(),
        free_storage_gb,
        free_storage_note,
        pending_modifications: pending,
        maintenance,
    };
    judge::database(&mut tier);
    Ok(tier)
}

/// The newest FreeStorageSpace (bytes) RDS reported to CloudWatch in the last 15 minutes.
async fn free_storage(ctx: &Ctx, id: &str, resource: &str) -> Result<Option<f64>, AwsError> {
    let now = SystemTime::now();
    let out = ctx
        .aws
        .cloudwatch
        .get_metric_statistics()
        .namespace("AWS/RDS")
        .metric_name("FreeStorageSpace")
        .dimensions(Dimension::builder().name("DBInstanceIdentifier").value(id).build())
        .start_time(DateTime::from(now - Duration::from_secs(15 * 60)))
        .end_time(DateTime::from(now))
        .period(60)
        .statistics(Statistic::Minimum)
        .send()
        .await
        .call("GetMetricStatistics", resource)?;
    let newest =
        out.datapoints().iter().filter(|d| d.minimum().is_some()).max_by_key(|d| d.timestamp().map(|t| t.secs()));
    Ok(newest.and_then(|d| d.minimum()))
}

/// The file system and its mount targets.
async fn storage_tier(ctx: &Ctx, fs: &Actual, zones: &[String]) -> Result<Storage, Error> {
    let resource = fs.address.as_str();
    let efs = &ctx.aws.efs;
    let (described, targets) = tokio::try_join!(
        async { efs.describe_file_systems().file_system_id(&fs.id).send().await.call("DescribeFileSystems", resource) },
        async {
            efs.describe_mount_targets().file_system_id(&fs.id).send().await.call("DescribeMountTargets", resource)
        },
    )?;
    let found = described.file_systems().first();
    let mut mount_targets: Vec<MountTarget> = targets
        .mount_targets()
        .iter()
        .map(|m| MountTarget {
            id: m.mount_target_id().to_owned(),
            zone: m.availability_zone_name().unwrap_or_default().to_owned(),
            state: m.life_cycle_state().as_str().to_owned(),
        })
        .collect();
    mount_targets.sort_by(|a, b| a.zone.cmp(&b.zone));
    let mut tier = Storage {
        judged: Judged::healthy(),
        id: fs.id.clone(),
        state: found.map(|f| f.life_cycle_state().as_str().to_owned()).unwrap_or_else(|| "missing".into()),
        size_bytes: found.and_then(|f| f.size_in_bytes()).map(|s| s.value()).unwrap_or_default(),
        mount_targets,
    };
    judge::storage(&mut tier, zones);
    Ok(tier)
}

/// The Spark cluster: the active one discovery found, else the newest of that name in any state (to
/// say why it ended), its groups and its pending and running steps.
async fn spark_tier(ctx: &Ctx, active: Option<&Actual>) -> Result<Spark, Error> {
    let emr = &ctx.aws.emr;
    let name = spark::cluster_name(&ctx.deployment);
    let id = match active {
        Some(cluster) => Some(cluster.id.clone()),
        None => {
            let all = emr
                .list_clusters()
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .call("ListClusters", spark::CLUSTER)?;
            all.into_iter()
                .filter(|c| c.name() == Some(name.as_str()))
                .max_by_key(|c| {
                    c.status().and_then(|s| s.timeline()).and_then(|t| t.creation_date_time()).map(|d| d.secs())
                })
                .and_then(|c| c.id)
        }
    };
    let Some(id) = id else {
        return Ok(Spark {
            judged: gone(&format!("no cluster named {name} exists; run apply to start one")),
            id: String::new(),
            name,
            state: "MISSING".into(),
            state_reason: None,
            groups: vec![],
            steps: vec![],
        });
    };
    let (described, groups, steps) = tokio::try_join!(
        async { emr.describe_cluster().cluster_id(&id).send().await.call("DescribeCluster", spark::CLUSTER) },
        async { emr.list_instance_groups().cluster_id(&id).send().await.call("ListInstanceGroups", spark::CLUSTER) },
        async {
            emr.list_steps()
                .cluster_id(&id)
                .step_states(StepState::Pending)
                .step_states(StepState::Running)
                .send()
                .await
                .call("ListSteps", spark::CLUSTER)
        },
    )?;
    let status = described.cluster().and_then(|c| c.status());
    let state = status.and_then(|s| s.state()).map(ClusterState::as_str).unwrap_or("UNKNOWN").to_owned();
    let state_reason = status.and_then(|s| s.state_change_reason()).and_then(|r| {
        let code = r.code().map(|c| c.as_str().to_owned());
        match (code, r.message()) {
            (Some(code), Some(message)) => Some(format!("{code}: {message}")),
            (Some(code), None) => Some(code),
            (None, Some(message)) => Some(message.to_owned()),
            (None, None) => None,
        }
    });
    let mut node_groups: Vec<NodeGroup> = groups
        .instance_groups()
        .iter()
        .map(|g| NodeGroup {
            role: g.instance_group_type().map(|t| t.as_str().to_ascii_lowercase()).unwrap_or_default(),
            instance_type: g.instance_type().unwrap_or_default().to_owned(),
            requested: g.requested_instance_count().unwrap_or_default(),
            running: g.running_instance_count().unwrap_or_default(),
        })
        .collect();
    let order = |role: &str| ["master", "core", "task"].iter().position(|r| *r == role).unwrap_or(3);
    node_groups.sort_by_key(|g| order(&g.role));
    let steps = steps
        .steps()
        .iter()
        .map(|s| Step {
            id: s.id().unwrap_or_default().to_owned(),
            name: s.name().unwrap_or_default().to_owned(),
            state: s.status().and_then(|st| st.state()).map(|s| s.as_str().to_owned()).unwrap_or_default(),
        })
        .collect();
    let mut tier = Spark {
        judged: Judged::healthy(),
        id,
        name: described.cluster().and_then(|c| c.name()).unwrap_or(&name).to_owned(),
        state,
        state_reason,
        groups: node_groups,
        steps,
    };
    judge::spark(&mut tier);
    Ok(tier)
}

/// The emulator answers DescribeInstanceRefreshes with 500 (not implemented), so reading refreshes is
/// covered here with SDK mocks, as the test names say.
#[cfg(test)]
mod tests {
    use aws_sdk_autoscaling::operation::describe_instance_refreshes::{
        DescribeInstanceRefreshesError, DescribeInstanceRefreshesOutput,
    };
    use aws_sdk_autoscaling::types::{InstanceRefresh, InstanceRefreshStatus};
    use aws_sdk_autoscaling::Client;
    use aws_smithy_mocks::{mock, mock_client};

    use super::*;
    use crate::aws::Aws;
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
        let refreshes = refreshes(&ctx(mock_client!(aws_sdk_autoscaling, [&answer])), &["web-app".into()]).await;
        assert!(refreshes.readable && refreshes.note.is_none());
        assert_eq!(refreshes.items.len(), 1);
        let r = &refreshes.items[0];
        assert_eq!((r.id.as_str(), r.status.as_str(), r.percent_complete), ("r-1", "InProgress", Some(50)));
        assert!(r.in_progress());
    }

    #[tokio::test]
    async fn describe_instance_refreshes_sdk_mock_emulator_gap_a_failure_is_a_note_not_an_error() {
        let failing = mock!(Client::describe_instance_refreshes).then_error(|| {
            DescribeInstanceRefreshesError::generic(
                aws_smithy_types::error::ErrorMetadata::builder().code("AccessDenied").message("not allowed").build(),
            )
        });
        let refreshes = refreshes(&ctx(mock_client!(aws_sdk_autoscaling, [&failing])), &["web-app".into()]).await;
        assert!(!refreshes.readable);
        let note = refreshes.note.expect("a note");
        assert_eq!(note, "not readable: DescribeInstanceRefreshes failed: AccessDenied: not allowed");
    }

    /// A CloudWatch client answering from `rules`. The emulator has no RDS metrics (moto 5.2.5 publishes
    /// none, and answers rpcv2Cbor only through the project's launcher): the free-storage read is covered
    /// here.
    fn cloudwatch(rule: &aws_smithy_mocks::Rule) -> aws_sdk_cloudwatch::Client {
        use aws_sdk_cloudwatch::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_cloudwatch::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(aws_smithy_mocks::MockResponseInterceptor::new().with_rule(rule))
            .build();
        aws_sdk_cloudwatch::Client::from_conf(config)
    }

    #[tokio::test]
    async fn get_metric_statistics_and_pending_maintenance_sdk_mock_emulator_gap_judge_the_database() {
        use aws_sdk_cloudwatch::operation::get_metric_statistics::GetMetricStatisticsOutput;
        use aws_sdk_cloudwatch::types::Datapoint;
        use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
        use aws_sdk_rds::operation::describe_pending_maintenance_actions::DescribePendingMaintenanceActionsOutput;
        use aws_sdk_rds::types::{
            DbInstance, PendingMaintenanceAction, PendingModifiedValues, ResourcePendingMaintenanceActions,
        };

        let described = mock!(aws_sdk_rds::Client::describe_db_instances)
            .match_requests(|r| r.db_instance_identifier() == Some("web-db"))
            .then_output(|| {
                DescribeDbInstancesOutput::builder()
                    .db_instances(
                        DbInstance::builder()
                            .db_instance_identifier("web-db")
                            .db_instance_arn("arn:aws:rds:us-east-1:123456789012:db:web-db")
                            .db_instance_status("available")
                            .engine_version("8.4.3")
                            .db_instance_class("db.t3.medium")
                            .multi_az(true)
                            .allocated_storage(50)
                            .pending_modified_values(
                                PendingModifiedValues::builder().db_instance_class("db.t3.large").build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let maintenance = mock!(aws_sdk_rds::Client::describe_pending_maintenance_actions)
            .match_requests(|r| r.resource_identifier() == Some("arn:aws:rds:us-east-1:123456789012:db:web-db"))
            .then_output(|| {
                DescribePendingMaintenanceActionsOutput::builder()
                    .pending_maintenance_actions(
                        ResourcePendingMaintenanceActions::builder()
                            .pending_maintenance_action_details(
                                PendingMaintenanceAction::builder()
                                    .action("system-update")
                                    .description("New Operating System update is available")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let metric = mock!(aws_sdk_cloudwatch::Client::get_metric_statistics)
            .match_requests(|r| {
                r.namespace() == Some("AWS/RDS")
                    && r.metric_name() == Some("FreeStorageSpace")
                    && r.dimensions()
                        .iter()
                        .any(|d| d.name() == Some("DBInstanceIdentifier") && d.value() == Some("web-db"))
            })
            .then_output(|| {
                let at = |secs| aws_smithy_types::DateTime::from_secs(secs);
                GetMetricStatisticsOutput::builder()
                    .datapoints(Datapoint::builder().timestamp(at(1_000)).minimum(30.0e9).build())
                    .datapoints(Datapoint::builder().timestamp(at(2_000)).minimum(4.0e9).build())
                    .build()
            });
        let rds = mock_client!(aws_sdk_rds, aws_smithy_mocks::RuleMode::MatchAny, [&described, &maintenance]);
        let ctx = Ctx {
            aws: Aws { rds, cloudwatch: cloudwatch(&metric), ..Aws::offline() },
            deployment: "web".into(),
            data: DataPolicy::default(),
        };
        let db = Actual::new(crate::model::Address::new("database/instance"), Kind::DbInstance, "web-db");
        let tier = database_tier(&ctx, &db).await.expect("read");
        assert_eq!(tier.free_storage_gb, Some(4.0), "the newest datapoint");
        assert_eq!(tier.pending_modifications, vec!["instance class -> db.t3.large"]);
        assert_eq!(tier.maintenance, vec!["system-update: New Operating System update is available"]);
        assert_eq!(tier.judged.health, Health::Degraded);
        assert_eq!(tier.judged.reasons, vec!["web-db has 4.0 GB of 50 GB storage free"]);
    }
}
