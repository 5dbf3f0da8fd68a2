//! Alarms on what breaks each tier the topology has, and who they notify (`alerts:`): the deployment's
//! SNS topic with an email subscription per address, or the user's own topic. Every alarm notifies the
//! topic when it goes to ALARM and when it is back to OK. What each alarm means and what to do about it
//! is its description (sent with every notification) and docs/operate.md#alarms.
//!
//! Periods, datapoints and statistics follow the metrics' own documentation: the load balancer's
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>),
//! Auto Scaling's group metrics (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html>),
//! RDS's (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html>), EFS's
//! (<https://docs.aws.amazon.com/efs/latest/ug/efs-metrics.html>) and EMR's
//! (<https://docs.aws.amazon.com/emr/latest/ManagementGuide/UsingEMR_ViewingMetrics.html>).

use std::collections::BTreeMap;

use super::{id_of, named};
use crate::model::names::{alerts as names, app, database, load_balancer, spark, storage};
use crate::model::{Address, Desired, Facts, Kind, Value, NAME};
use crate::resources::cloudwatch::alarm::{
    ACTIONS, COMPARISON, DATAPOINTS, DESCRIPTION, DIMENSIONS, EVALUATION_PERIODS, METRIC, NAMESPACE, PERIOD, STATISTIC,
    THRESHOLD, TREAT_MISSING,
};
use crate::resources::elbv2::METRIC_DIMENSION;
use crate::resources::sns::subscription;
use crate::topology::{AlertTopic, Database, Topology};

/// The group metric the at-max-capacity alarm reads.
const IN_SERVICE: &str = "GroupInServiceInstances";

/// The group metrics the Auto Scaling groups send when the topology has alerts.
pub(super) fn group_metrics() -> Value {
    Value::List(vec![Value::str(IN_SERVICE)])
}

/// One alarm: a metric, a statistic over periods, a threshold.
struct Alarm {
    what: String,
    namespace: &'static str,
    metric: &'static str,
    dimensions: Vec<(&'static str, Value)>,
    statistic: &'static str,
    period: i64,
    evaluation_periods: i64,
    datapoints: i64,
    threshold: i64,
    comparison: &'static str,
    description: String,
}

const AT_LEAST: &str = "GreaterThanOrEqualToThreshold";
const ABOVE: &str = "GreaterThanThreshold";
const AT_MOST: &str = "LessThanOrEqualToThreshold";
const FIVE_MINUTES: i64 = 300;

impl Alarm {
    /// Over `periods` periods of five minutes, every one breaching: the condition lasted that long.
    #[allow(clippy::too_many_arguments)]
    fn lasting(
        what: String,
        namespace: &'static str,
        metric: &'static str,
        dimensions: Vec<(&'static str, Value)>,
        statistic: &'static str,
        periods: i64,
        comparison: &'static str,
        threshold: i64,
        description: String,
    ) -> Alarm {
        Alarm {
            what,
            namespace,
            metric,
            dimensions,
            statistic,
            period: FIVE_MINUTES,
            evaluation_periods: periods,
            datapoints: periods,
            threshold,
            comparison,
            description,
        }
    }
}

pub fn desired(topology: &Topology, _facts: &Facts) -> Vec<Desired> {
    let Some(alerts) = &topology.alerts else { return vec![] };
    let mut out = Vec::new();
    let action = match &alerts.topic {
        AlertTopic::Own { email } => {
            out.push(
                named(topology, names::TOPIC, Kind::SnsTopic, &names::topic_name(&topology.name))
                    .prop(&NAME, Value::str(names::topic_name(&topology.name))),
            );
            for address in email {
                out.push(
                    Desired::new(names::subscription(address), Kind::SnsSubscription)
                        .prop(&subscription::TOPIC, id_of(names::TOPIC))
                        .prop(&subscription::PROTOCOL, Value::str("email"))
                        .prop(&subscription::ENDPOINT, Value::str(address)),
                );
            }
            id_of(names::TOPIC)
        }
        AlertTopic::Existing(arn) => Value::str(arn),
    };
    for alarm in alarms(topology) {
        let address = names::alarm(&alarm.what);
        let name = names::alarm_name(&topology.name, &alarm.what);
        let dimensions: BTreeMap<String, Value> =
            alarm.dimensions.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        out.push(
            named(topology, &address, Kind::MetricAlarm, &name)
                .prop(&NAME, Value::str(&name))
                .prop(&NAMESPACE, Value::str(alarm.namespace))
                .prop(&METRIC, Value::str(alarm.metric))
                .prop(&DIMENSIONS, Value::Map(dimensions))
                .prop(&STATISTIC, Value::str(alarm.statistic))
                .prop(&PERIOD, Value::Int(alarm.period))
                .prop(&EVALUATION_PERIODS, Value::Int(alarm.evaluation_periods))
                .prop(&DATAPOINTS, Value::Int(alarm.datapoints))
                .prop(&THRESHOLD, Value::Int(alarm.threshold))
                .prop(&COMPARISON, Value::str(alarm.comparison))
                // No data is no trouble: no requests, no 5xx; a tier that is gone is `status`'s to say.
                .prop(&TREAT_MISSING, Value::str("notBreaching"))
                .prop(&ACTIONS, Value::List(vec![action.clone()]))
                .prop(&DESCRIPTION, Value::str(alarm.description)),
        );
    }
    out
}

/// A reference to what CloudWatch names the load balancer or target group at `address` by.
fn dimension_of(address: &str) -> Value {
    Value::Attr(Address::new(address), METRIC_DIMENSION.to_owned())
}

fn alarms(topology: &Topology) -> Vec<Alarm> {
    let Some(alerts) = &topology.alerts else { return vec![] };
    let t = &alerts.thresholds;
    let see = "see docs/operate.md#alarms";
    let mut out = Vec::new();
    let routed: Vec<_> = topology.groups.iter().filter(|g| g.is_routed()).collect();
    if !routed.is_empty() {
        let lb = || vec![("LoadBalancer", dimension_of(load_balancer::LOAD_BALANCER))];
        let count = i64::from(t.load_balancer_5xx);
        out.push(Alarm::lasting(
            "alb-5xx".into(),
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            lb(),
            "Sum",
            1,
            AT_LEAST,
            count,
            format!(
                "The load balancer itself answered 5xx {count} times or more in 5 minutes: no healthy node, nodes \
                 timing out or refusing connections; {see}"
            ),
        ));
        out.push(Alarm::lasting(
            "target-5xx".into(),
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            lb(),
            "Sum",
            1,
            AT_LEAST,
            count,
            format!("The app answered 5xx {count} times or more in 5 minutes; {see}"),
        ));
        let seconds = t.response_time_p99.as_secs();
        out.push(Alarm::lasting(
            "response-time-p99".into(),
            "AWS/ApplicationELB",
            "TargetResponseTime",
            lb(),
            "p99",
            3,
            ABOVE,
            i64::try_from(seconds).unwrap_or(i64::MAX),
            format!("The slowest 1% of the app's answers took more than {seconds}s for 15 minutes; {see}"),
        ));
        for group in &routed {
            let hosts = i64::from(t.unhealthy_hosts);
            out.push(Alarm {
                what: format!("group-{}-unhealthy-hosts", group.name),
                namespace: "AWS/ApplicationELB",
                metric: "UnHealthyHostCount",
                dimensions: vec![
                    ("LoadBalancer", dimension_of(load_balancer::LOAD_BALANCER)),
                    ("TargetGroup", dimension_of(&load_balancer::target_group(&group.name))),
                ],
                statistic: "Maximum",
                // The load balancer reports target health every minute: 3 of 5 minutes unhealthy.
                period: 60,
                evaluation_periods: 5,
                datapoints: 3,
                threshold: hosts,
                comparison: AT_LEAST,
                description: format!(
                    "{hosts} or more of group {}'s nodes failed the load balancer's health checks for 3 of 5 \
                     minutes; {see}",
                    group.name
                ),
            });
        }
    }
    for group in &topology.groups {
        let max = group.nodes.capacity.max;
        out.push(Alarm::lasting(
            format!("group-{}-at-max-capacity", group.name),
            "AWS/AutoScaling",
            IN_SERVICE,
            vec![("AutoScalingGroupName", id_of(app::auto_scaling_group(&group.name)))],
            "Minimum",
            3,
            AT_LEAST,
            i64::from(max),
            format!(
                "Group {} has run at its maximum of {max} nodes for 15 minutes: it cannot scale out further; {see}",
                group.name
            ),
        ));
    }
    if let Some(db) = &topology.database {
        let instance = || vec![("DBInstanceIdentifier", id_of(database::INSTANCE))];
        let cpu = i64::from(t.database_cpu_percent);
        out.push(Alarm::lasting(
            "database-cpu".into(),
            "AWS/RDS",
            "CPUUtilization",
            instance(),
            "Average",
            3,
            AT_LEAST,
            cpu,
            format!("The database's CPU averaged {cpu}% or more for 15 minutes; {see}"),
        ));
        let percent = u64::from(t.database_free_storage_percent);
        let bytes = u64::from(db.storage_gb) * (1 << 30) * percent / 100;
        out.push(Alarm::lasting(
            "database-free-storage".into(),
            "AWS/RDS",
            "FreeStorageSpace",
            instance(),
            "Minimum",
            1,
            AT_MOST,
            i64::try_from(bytes).unwrap_or(i64::MAX),
            format!("The database has {percent}% or less of its {} GB of storage free; {see}", db.storage_gb),
        ));
        if let Some(max) = max_connections(db) {
            let percent = u64::from(t.database_connections_percent);
            let connections = max * percent / 100;
            out.push(Alarm::lasting(
                "database-connections".into(),
                "AWS/RDS",
                "DatabaseConnections",
                instance(),
                "Maximum",
                3,
                AT_LEAST,
                i64::try_from(connections).unwrap_or(i64::MAX),
                format!(
                    "The database has had {connections} connections or more ({percent}% of max_connections, about \
                     {max}) for 15 minutes; {see}"
                ),
            ));
        }
    }
    if topology.shared_storage.is_some() {
        let percent = i64::from(t.efs_io_limit_percent);
        out.push(Alarm::lasting(
            "storage-io-limit".into(),
            "AWS/EFS",
            "PercentIOLimit",
            vec![("FileSystemId", id_of(storage::FILE_SYSTEM))],
            "Maximum",
            3,
            AT_LEAST,
            percent,
            format!("The shared file system used {percent}% or more of its I/O limit for 15 minutes; {see}"),
        ));
    }
    if topology.spark.is_some() {
        let cluster = || vec![("JobFlowId", id_of(spark::CLUSTER))];
        let nodes = i64::from(t.spark_unhealthy_nodes);
        out.push(Alarm::lasting(
            "spark-unhealthy-nodes".into(),
            "AWS/ElasticMapReduce",
            "MRUnhealthyNodes",
            cluster(),
            "Maximum",
            3,
            AT_LEAST,
            nodes,
            format!("{nodes} or more of the Spark cluster's nodes have been unhealthy (YARN) for 15 minutes; {see}"),
        ));
        let pending = i64::from(t.spark_apps_pending);
        out.push(Alarm::lasting(
            "spark-apps-pending".into(),
            "AWS/ElasticMapReduce",
            "AppsPending",
            cluster(),
            "Minimum",
            3,
            AT_LEAST,
            pending,
            format!("{pending} or more Spark applications have waited for resources for 15 minutes; {see}"),
        ));
    }
    out
}

/// The database's max_connections: the parameter when the topology sets it to a number, else RDS for
/// MySQL's default, `{DBInstanceClassMemory/12582880}`, from the class's memory
/// (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections>).
/// RDS's DBInstanceClassMemory is the class's memory less what the operating system and RDS use, so this
/// is a little above the real figure. None for a class whose memory clusterup does not know: no alarm.
fn max_connections(db: &Database) -> Option<u64> {
    let written = db.parameters.iter().find(|(k, _)| k.eq_ignore_ascii_case("max_connections"));
    if let Some((_, value)) = written {
        return value.trim().parse().ok();
    }
    let gib = class_memory_gib(&db.instance_class)?;
    Some(gib * (1 << 30) / 12_582_880)
}

/// The memory of an RDS instance class of the burstable (t), general purpose (m) and memory optimised (r)
/// families, in GiB: t doubles from 1 GiB (micro) by size, m has 8 GiB and r 16 GiB at large, and every
/// family doubles per size from there (`Nxlarge` is N times `xlarge`)
/// (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html>).
fn class_memory_gib(class: &str) -> Option<u64> {
    let mut parts = class.strip_prefix("db.")?.split('.');
    let (family, size) = (parts.next()?, parts.next()?);
    let large = match family.chars().next()? {
        't' | 'm' => 8,
        'r' => 16,
        _ => return None,
    };
    match size {
        "micro" if family.starts_with('t') => Some(1),
        "small" if family.starts_with('t') => Some(2),
        "medium" if family.starts_with('t') => Some(4),
        "large" => Some(large),
        "xlarge" => Some(large * 2),
        other => {
            let n: u64 = other.strip_suffix("xlarge")?.parse().ok()?;
            Some(large * 2 * n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::offline_facts;

    fn example_with(example: &str, alerts: &str) -> Topology {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(example);
        let text = std::fs::read_to_string(&path).expect("example");
        crate::topology::parse(&path, &format!("{text}\nalerts:\n{alerts}")).expect("valid").topology
    }

    fn addresses(topology: &Topology) -> Vec<String> {
        desired(topology, &offline_facts(topology)).iter().map(|d| d.address.as_str().to_owned()).collect()
    }

    #[test]
    fn every_tier_gets_its_alarms_and_the_topic_its_subscriptions() {
        let topology = example_with("smarten-spark.yaml", "  email: [ops@example.com, oncall@example.com]\n");
        let got = addresses(&topology);
        let mut wanted: Vec<String> = vec![
            names::TOPIC.into(),
            names::subscription("ops@example.com"),
            names::subscription("oncall@example.com"),
        ];
        wanted.extend(
            [
                "alb-5xx",
                "target-5xx",
                "response-time-p99",
                "group-app-unhealthy-hosts",
                "group-app-at-max-capacity",
                "database-cpu",
                "database-free-storage",
                "database-connections",
                "storage-io-limit",
                "spark-unhealthy-nodes",
                "spark-apps-pending",
            ]
            .map(names::alarm),
        );
        assert_eq!(got, wanted);
        // Each alarm notifies the topic, by reference, and is named after the deployment.
        let all = desired(&topology, &offline_facts(&topology));
        let cpu = all.iter().find(|d| d.address.as_str() == names::alarm("database-cpu")).expect("cpu alarm");
        assert_eq!(cpu.value(&ACTIONS), Some(&Value::List(vec![id_of(names::TOPIC)])));
        assert_eq!(cpu.value(&NAME), Some(&Value::str(format!("clusterup-{}-database-cpu", topology.name))));
        assert_eq!(cpu.value(&THRESHOLD), Some(&Value::Int(90)));
    }

    #[test]
    fn only_the_tiers_the_topology_has_get_alarms_and_a_named_topic_is_used_as_it_is() {
        let arn = "arn:aws:sns:us-east-1:123456789012:ops";
        let topology = example_with(
            "web-tier.yaml",
            &format!("  sns_topic_arn: {arn}\n  thresholds:\n    load_balancer_5xx: 50\n"),
        );
        let all = desired(&topology, &offline_facts(&topology));
        let alarms: Vec<&Desired> = all.iter().filter(|d| d.kind == Kind::MetricAlarm).collect();
        let whats: Vec<&str> = alarms.iter().map(|d| d.address.as_str().trim_start_matches("alerts/alarm/")).collect();
        assert_eq!(
            whats,
            ["alb-5xx", "target-5xx", "response-time-p99", "group-app-unhealthy-hosts", "group-app-at-max-capacity"]
        );
        assert!(all.iter().all(|d| d.kind != Kind::SnsTopic && d.kind != Kind::SnsSubscription));
        assert!(alarms.iter().all(|d| d.value(&ACTIONS) == Some(&Value::List(vec![Value::str(arn)]))));
        assert_eq!(alarms[0].value(&THRESHOLD), Some(&Value::Int(50)));
        // The groups send the metric the at-max-capacity alarm reads; without alerts they are left alone.
        let everything = crate::compose::desired(&topology, &offline_facts(&topology)).expect("composes");
        let asg = everything.iter().find(|d| d.kind == Kind::AutoScalingGroup).expect("group");
        assert_eq!(asg.value(&crate::resources::autoscaling::group::GROUP_METRICS), Some(&group_metrics()));
        let without = crate::topology::parse(
            std::path::Path::new("t.yaml"),
            "name: web\nregion: us-east-1\napp:\n  instance_type: t3.small\n",
        )
        .expect("valid")
        .topology;
        let plain = crate::compose::desired(&without, &offline_facts(&without)).expect("composes");
        assert!(plain.iter().all(|d| d.value(&crate::resources::autoscaling::group::GROUP_METRICS).is_none()));
        assert!(plain.iter().all(|d| d.kind != Kind::MetricAlarm));
    }

    #[test]
    fn max_connections_is_the_parameter_or_rds_default_for_the_class() {
        let mut db = crate::topology::Database {
            engine_version: "8.4".into(),
            instance_class: "db.t3.medium".into(),
            storage_gb: 20,
            multi_az: true,
            backup_retention_days: 7,
            deletion: crate::topology::DeletionPolicy::Snapshot,
            apply_changes: crate::topology::ApplyChanges::Immediately,
            parameters: BTreeMap::new(),
            restore_from: None,
            read_replicas: Vec::new(),
        };
        // 4 GiB / 12582880 bytes per connection.
        assert_eq!(max_connections(&db), Some(341));
        db.instance_class = "db.r6g.2xlarge".into();
        assert_eq!(class_memory_gib(&db.instance_class), Some(64));
        db.instance_class = "db.m5.large".into();
        assert_eq!(class_memory_gib(&db.instance_class), Some(8));
        db.instance_class = "db.x2g.large".into();
        assert_eq!(max_connections(&db), None, "a family clusterup does not know gets no alarm");
        db.parameters.insert("max_connections".into(), "500".into());
        assert_eq!(max_connections(&db), Some(500));
    }
}
