//! Is every tier healthy right now? The deployment read live from AWS, tier by tier (load balancer, app
//! nodes, database, shared storage, Spark), each judged healthy, degraded or down with the reasons, and
//! one verdict for the whole. Discovery is the plan's (`resources::discover_all`, a fixed number of calls
//! per kind), then a fixed number of Describe calls per tier, never one per node, each made by the
//! module of the kind it is about (`resources::<service>::status`); `collect` puts the tiers together
//! and `judge` judges them.
//!
//! The report is data (serialised as `status --json`, whose schema is docs/status.schema.json); the
//! terminal view is `output::render_status`.

mod collect;
mod judge;

use serde::Serialize;

use crate::cost::Estimate;

pub use collect::{collect, Expect};
// What the tiers are made of is read by the kinds' own modules (status reads AWS only through them).
pub use crate::resources::autoscaling::status::{Activity, Group, Instance, Refresh};
pub use crate::resources::cloudwatch::status::Alarm;
pub use crate::resources::efs::status::MountTarget;
pub use crate::resources::elbv2::status::{Listener, Target};
pub use crate::resources::emr::cluster_status::{NodeGroup, Step};

/// How a tier, or the deployment, is doing. Ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Healthy,
    /// Serving, but with less than it should have (a node down, a target failing, a tier starting).
    Degraded,
    /// Not serving.
    Down,
}

impl Health {
    pub fn word(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Degraded => "degraded",
            Health::Down => "down",
        }
    }
}

/// One reason a tier is not healthy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// `load balancer`, `app`, `database`, `shared storage`, `spark`, `alarms`, `discovery`.
    pub tier: &'static str,
    pub health: Health,
    pub reason: String,
}

/// The whole deployment in one line: healthy, or degraded/down with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub health: Health,
    /// `healthy: every tier is healthy`, `degraded: spark: cluster j-1 is TERMINATED (...)`.
    pub line: String,
    pub reasons: Vec<Reason>,
}

/// Everything `status` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub deployment: String,
    pub region: String,
    /// When AWS was asked (UTC, RFC 3339).
    pub checked_at: String,
    pub verdict: Verdict,
    pub tiers: Tiers,
    /// What the deployment costs per hour and month (`--cost`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Estimate>,
}

/// The tiers the deployment has (a missing one was never part of it).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Tiers {
    pub load_balancer: Option<LoadBalancer>,
    pub app: Option<App>,
    pub database: Option<Database>,
    pub storage: Option<Storage>,
    pub spark: Option<Spark>,
    /// The deployment's CloudWatch alarms (`alerts:`); none when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<Alarms>,
    /// The node groups' discovery names; none when the deployment has no private hosted zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<Discovery>,
}

/// A tier's judgement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judged {
    pub health: Health,
    /// The reasons that make the tier down come first.
    pub reasons: Vec<String>,
    /// How many of `reasons`, at the front, are reasons for down.
    #[serde(skip)]
    down: usize,
}

impl Judged {
    pub fn healthy() -> Judged {
        Judged { health: Health::Healthy, reasons: vec![], down: 0 }
    }

    /// Worsen to `health` (never improves), with the reason.
    pub fn flag(&mut self, health: Health, reason: impl Into<String>) {
        self.health = self.health.max(health);
        if health == Health::Down {
            self.reasons.insert(self.down, reason.into());
            self.down += 1;
        } else {
            self.reasons.push(reason.into());
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadBalancer {
    #[serde(flatten)]
    pub judged: Judged,
    pub name: String,
    /// ELBv2's state code: `active`, `provisioning`, `active_impaired`, `failed`, or `missing`.
    pub state: String,
    pub dns_name: String,
    pub listeners: Vec<Listener>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct App {
    #[serde(flatten)]
    pub judged: Judged,
    /// The deployment's groups: the main one first, then any rollout group (a canary) found with it.
    pub groups: Vec<Group>,
    /// The main group's last scaling activities, newest first.
    pub activities: Vec<Activity>,
    pub refreshes: Refreshes,
    /// A weighted canary rollout in progress (`clusterup rollout`), as its resources and the listeners'
    /// weights say: `canary at 50% (launch template v4)`. None when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<String>,
}

/// Instance refreshes of the app groups (a rolling replacement of the nodes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refreshes {
    /// Whether AWS could be asked: false when DescribeInstanceRefreshes failed (`note` says why).
    pub readable: bool,
    pub items: Vec<Refresh>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Database {
    #[serde(flatten)]
    pub judged: Judged,
    pub identifier: String,
    /// RDS's status: `available`, `modifying`, `stopped`, ...
    pub status: String,
    pub engine_version: String,
    pub instance_class: String,
    pub multi_az: bool,
    pub allocated_gb: i32,
    /// CloudWatch's last FreeStorageSpace, in GB, if it could be read.
    pub free_storage_gb: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_storage_note: Option<String>,
    /// Modifications waiting for the next maintenance window or reboot: `instance class -> db.t3.large`.
    pub pending_modifications: Vec<String>,
    /// Maintenance RDS has scheduled: `system-update (auto-applied after 2026-12-01T00:00:00Z)`.
    pub maintenance: Vec<String>,
    /// The read replicas (`database.read_replicas`), in order.
    pub read_replicas: Vec<ReadReplica>,
}

/// One read replica of the database, as `status` reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadReplica {
    pub identifier: String,
    /// RDS's status, or `missing`.
    pub status: String,
    /// CloudWatch's newest ReplicaLag (seconds behind the database), if there is one.
    pub lag_seconds: Option<f64>,
    /// Why the lag is unknown: no datapoint, or the read failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Storage {
    #[serde(flatten)]
    pub judged: Judged,
    pub id: String,
    /// EFS's life cycle state: `available`, `creating`, `updating`, `deleting`, `error`.
    pub state: String,
    pub size_bytes: i64,
    pub mount_targets: Vec<MountTarget>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spark {
    #[serde(flatten)]
    pub judged: Judged,
    pub id: String,
    pub name: String,
    /// EMR's state: `STARTING`, `BOOTSTRAPPING`, `RUNNING`, `WAITING`, `TERMINATING`, `TERMINATED`, ...
    pub state: String,
    /// EMR's reason for the last state change: `USER_REQUEST: Terminated by user request`.
    pub state_reason: Option<String>,
    pub groups: Vec<NodeGroup>,
    /// Steps pending or running.
    pub steps: Vec<Step>,
}

impl Spark {
    /// ` (USER_REQUEST: Terminated by user request)` after the state, or nothing when EMR gave no reason.
    pub fn reason_shown(&self) -> String {
        self.state_reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
    }
}

/// The deployment's alarms: degraded while any is in ALARM.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarms {
    #[serde(flatten)]
    pub judged: Judged,
    /// Every alarm, in name order.
    pub alarms: Vec<Alarm>,
}

/// The node groups' discovery names: each group's A record in the private hosted zone against the
/// addresses of its nodes in service. The records are written by the nodes' DNS keepers, so a record that
/// lags its group says a keeper is failing (docs/topology.md#discovery).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discovery {
    #[serde(flatten)]
    pub judged: Judged,
    /// `<deployment>.internal`.
    pub zone: String,
    pub zone_id: String,
    /// One per node group (a canary's nodes keep their group's record), in group order.
    pub records: Vec<GroupRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRecord {
    pub group: String,
    /// `<group>.<deployment>.internal`.
    pub name: String,
    /// What the record lists, sorted; none when no node has written it yet.
    pub addresses: Option<Vec<String>>,
    /// The private addresses of the group's nodes in service, sorted: what the record should list.
    pub in_service: Vec<String>,
    /// Each of those nodes' address, id and seconds since it was launched (how long its keeper has had).
    #[serde(skip)]
    pub nodes: Vec<(String, String, Option<i64>)>,
}

pub use judge::verdict;

#[cfg(test)]
mod tests;
