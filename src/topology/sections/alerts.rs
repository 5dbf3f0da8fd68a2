//! Alerts: who is told when something breaks (an SNS topic, with email subscriptions) and the thresholds
//! of the CloudWatch alarms on each tier.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::topology::error::Finding;
use crate::topology::locate::YamlPath;
use crate::topology::model::*;
use crate::topology::rules;
use crate::topology::types::*;

pub const LOAD_BALANCER_5XX: u32 = 10;
pub const UNHEALTHY_HOSTS: u32 = 1;
pub const RESPONSE_TIME_P99: Duration = Duration::from_secs(2);
pub const DATABASE_CPU_PERCENT: u8 = 90;
pub const DATABASE_FREE_STORAGE_PERCENT: u8 = 10;
pub const DATABASE_CONNECTIONS_PERCENT: u8 = 80;
pub const EFS_IO_LIMIT_PERCENT: u8 = 95;
pub const SPARK_UNHEALTHY_NODES: u32 = 1;
pub const SPARK_APPS_PENDING: u32 = 5;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the alerts section, a mapping such as { email: [ops@example.com] }")]
pub struct RawAlerts {
    /// Addresses SNS emails the alarms to, each subscribed to the deployment's topic (AWS sends each a
    /// confirmation link first). Not with sns_topic_arn: subscribe to your own topic yourself.
    pub email: Option<Vec<EmailAddress>>,
    /// An existing SNS topic (in the deployment's region) to notify instead of a topic of the
    /// deployment's; clusterup never changes or deletes it.
    pub sns_topic_arn: Option<SnsTopicArn>,
    /// Overrides of the alarms' thresholds; each has a default.
    pub thresholds: Option<RawThresholds>,
}

/// What each alarm goes off at. Every alarm waits for its condition to last (see docs/operate.md).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the thresholds, a mapping such as { database_cpu_percent: 80 }")]
pub struct RawThresholds {
    /// 5xx answers in 5 minutes, counted apart for the load balancer's own (HTTPCode_ELB_5XX_Count) and
    /// the nodes' (HTTPCode_Target_5XX_Count).
    #[schemars(extend("default" = LOAD_BALANCER_5XX))]
    pub load_balancer_5xx: Option<AlarmCount>,
    /// Unhealthy targets of a routed target group, for 3 of 5 minutes.
    #[schemars(extend("default" = UNHEALTHY_HOSTS))]
    pub unhealthy_hosts: Option<AlarmCount>,
    /// The 99th percentile of the nodes' response time, over 15 minutes.
    #[schemars(extend("default" = spelled(RESPONSE_TIME_P99)))]
    pub response_time_p99: Option<ResponseTime>,
    /// The database's average CPU, over 15 minutes.
    #[schemars(extend("default" = DATABASE_CPU_PERCENT))]
    pub database_cpu_percent: Option<AlarmPercent>,
    /// The database's free storage, as a share of its storage_gb.
    #[schemars(extend("default" = DATABASE_FREE_STORAGE_PERCENT))]
    pub database_free_storage_percent: Option<AlarmPercent>,
    /// The database's connections, as a share of its max_connections (the parameter when set, else
    /// RDS's default for the instance class).
    #[schemars(extend("default" = DATABASE_CONNECTIONS_PERCENT))]
    pub database_connections_percent: Option<AlarmPercent>,
    /// The file system's PercentIOLimit, over 15 minutes.
    #[schemars(extend("default" = EFS_IO_LIMIT_PERCENT))]
    pub efs_io_limit_percent: Option<AlarmPercent>,
    /// Unhealthy Spark (YARN) nodes, for 15 minutes.
    #[schemars(extend("default" = SPARK_UNHEALTHY_NODES))]
    pub spark_unhealthy_nodes: Option<AlarmCount>,
    /// Spark (YARN) applications waiting for resources, for 15 minutes.
    #[schemars(extend("default" = SPARK_APPS_PENDING))]
    pub spark_apps_pending: Option<AlarmCount>,
}

pub fn alerts(raw: RawAlerts, region: &str) -> Result<Alerts, Finding> {
    let path = YamlPath::root().key("alerts");
    // No `email:`: no address to subscribe (then `sns_topic_arn` must name a topic, checked below).
    let email: Vec<String> = raw.email.unwrap_or_default().into_iter().map(|e| e.0).collect();
    // One subscription per address: SNS would answer a second Subscribe with the first.
    for (i, address) in email.iter().enumerate() {
        if email[..i].iter().any(|earlier| earlier.eq_ignore_ascii_case(address)) {
            return Err(Finding::new(path.key("email").index(i), format!("{address} is listed twice")));
        }
    }
    let topic = match raw.sns_topic_arn {
        Some(arn) => {
            // Format checked while reading; CloudWatch notifies only a topic in the alarm's own region.
            let topic_region = rules::sns_topic_arn(&arn.0).unwrap_or(region);
            if topic_region != region {
                return Err(Finding::new(
                    path.key("sns_topic_arn"),
                    format!(
                        "the topic is in {topic_region}, the deployment in {region}; CloudWatch alarms notify a \
                         topic in their own region"
                    ),
                ));
            }
            if !email.is_empty() {
                return Err(Finding::new(
                    path.key("email"),
                    "write email or sns_topic_arn, not both: clusterup subscribes addresses only to the topic it \
                     makes; subscribe them to your own topic yourself",
                )
                .on_key());
            }
            AlertTopic::Existing(arn.0)
        }
        None if email.is_empty() => {
            return Err(Finding::new(
                path,
                "alerts needs email (addresses to notify) or sns_topic_arn (an existing topic), or the alarms \
                 would tell nobody",
            ));
        }
        None => AlertTopic::Own { email },
    };
    // No `thresholds:`: every alarm at its default threshold.
    let t = raw.thresholds.unwrap_or_default();
    Ok(Alerts {
        topic,
        thresholds: Thresholds {
            load_balancer_5xx: t.load_balancer_5xx.map_or(LOAD_BALANCER_5XX, |v| v.0),
            unhealthy_hosts: t.unhealthy_hosts.map_or(UNHEALTHY_HOSTS, |v| v.0),
            response_time_p99: t.response_time_p99.map_or(RESPONSE_TIME_P99, |v| v.0),
            database_cpu_percent: t.database_cpu_percent.map_or(DATABASE_CPU_PERCENT, |v| v.0),
            database_free_storage_percent: t
                .database_free_storage_percent
                .map_or(DATABASE_FREE_STORAGE_PERCENT, |v| v.0),
            database_connections_percent: t.database_connections_percent.map_or(DATABASE_CONNECTIONS_PERCENT, |v| v.0),
            efs_io_limit_percent: t.efs_io_limit_percent.map_or(EFS_IO_LIMIT_PERCENT, |v| v.0),
            spark_unhealthy_nodes: t.spark_unhealthy_nodes.map_or(SPARK_UNHEALTHY_NODES, |v| v.0),
            spark_apps_pending: t.spark_apps_pending.map_or(SPARK_APPS_PENDING, |v| v.0),
        },
    })
}
