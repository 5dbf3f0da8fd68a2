//! The checked topology: what the rest of clusterup works from.
//!
//! Every value here has passed validation (see `validate.rs`): names fit AWS limits, CIDRs fit, capacity
//! is ordered, durations are in range. Code outside `topology` never sees the raw YAML shapes.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

/// A whole deployment, as the topology file describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    /// Deployment name: `[a-z][a-z0-9-]{0,20}`, no trailing or double hyphen.
    pub name: String,
    pub region: String,
    /// The user's own tags, added to every resource.
    pub tags: BTreeMap<String, String>,
    pub network: Network,
    pub load_balancer: LoadBalancer,
    /// The groups of app nodes, in file order; at least one (`app:` is the group named `app`).
    pub groups: Vec<NodeGroup>,
    pub database: Option<Database>,
    pub shared_storage: Option<SharedStorage>,
    pub spark: Option<Spark>,
    pub iam: Iam,
    /// CloudWatch alarms and who they notify; none without `alerts:`.
    pub alerts: Option<Alerts>,
    pub logs: Logs,
    /// The topology file this came from (for messages and for resolving relative paths).
    pub source: PathBuf,
    /// Where each field is in that file, for findings made after loading ([`Topology::diagnostic`]).
    pub spans: super::Spans,
}

/// What the roles clusterup creates are bound by.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Iam {
    /// The managed policy ARN set as every role's permissions boundary; none without it.
    pub permissions_boundary: Option<String>,
}

/// CloudWatch Logs: one log group per node group, which the nodes ship their logs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Logs {
    /// How long the log groups keep events: one of the day counts CloudWatch Logs accepts.
    pub retention_days: u16,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Network {
    /// clusterup builds the VPC.
    Managed(ManagedNetwork),
    /// Use subnets of a VPC that already exists; clusterup creates no network resources but security groups.
    Existing(ExistingNetwork),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ManagedNetwork {
    pub cidr: Cidr,
    pub zones: Zones,
    pub nat: NatMode,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExistingNetwork {
    pub vpc_id: String,
    pub public_subnet_ids: Vec<String>,
    pub private_subnet_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Zones {
    /// The first N available zones of the region, in name order.
    Count(u8),
    /// Explicit zone names, e.g. `us-east-1a`; each must belong to `region`.
    Names(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatMode {
    Single,
    PerAz,
    None,
}

/// An IPv4 network in CIDR notation, with host bits zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancer {
    pub scheme: Scheme,
    /// At least one; ports unique.
    pub listeners: Vec<Listener>,
    pub algorithm: Algorithm,
    pub stickiness: Option<Stickiness>,
    pub health_check: HealthCheck,
    pub idle_timeout: Duration,
    /// With an HTTPS listener, plain HTTP listeners redirect to it rather than forward to the app.
    pub redirect_to_https: bool,
    /// Access logs to a bucket of the deployment's own.
    pub access_logs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    InternetFacing,
    Internal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    pub port: u16,
    /// Present exactly when the listener speaks HTTPS.
    pub certificate_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    LeastOutstandingRequests,
    WeightedRandom,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stickiness {
    /// Load-balancer-generated cookie; duration 1 s ..= 7 days.
    LbCookie { duration: Duration },
    /// Application cookie with the given name; duration 1 s ..= 7 days.
    AppCookie { cookie_name: String, duration: Duration },
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    /// Starts with `/`.
    pub path: String,
    /// 5 s ..= 300 s.
    pub interval: Duration,
    /// 2 s ..= 120 s, and shorter than `interval`.
    pub timeout: Duration,
    /// 2 ..= 10.
    pub healthy_threshold: u8,
    /// 2 ..= 10.
    pub unhealthy_threshold: u8,
    /// HTTP codes, e.g. `200` or `200-399`.
    pub matcher: String,
}

/// The group `app:` stands for, whose resources keep the addresses the app tier always had.
pub const APP_GROUP: &str = "app";

/// A group of app nodes: its own launch template and Auto Scaling group, and a target group when the
/// load balancer routes requests to it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeGroup {
    /// Lowercase letters, digits and hyphens; `app` for the `app:` shorthand.
    pub name: String,
    pub nodes: App,
    pub route: Route,
    /// Its share (1-100) of the default route, when several groups have it.
    pub weight: Option<u8>,
    /// Groups whose nodes must be in service before this group is created.
    pub start_after: Vec<String>,
}

/// Which requests the load balancer sends a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// What no rule takes: the listeners' default action.
    Default,
    /// None: the group is not behind the load balancer.
    None,
    /// Requests matching these path patterns and/or host names (a listener rule per listener).
    Rules { paths: Vec<String>, hosts: Vec<String> },
}

impl NodeGroup {
    /// Whether the load balancer sends the group requests (and so it has a target group).
    pub fn is_routed(&self) -> bool {
        self.route != Route::None
    }
}

impl Topology {
    /// The group named `name`.
    pub fn group(&self, name: &str) -> Option<&NodeGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The groups behind the load balancer's default action, and each one's weight (1 when alone).
    pub fn default_route(&self) -> Vec<(&NodeGroup, u8)> {
        self.groups.iter().filter(|g| g.route == Route::Default).map(|g| (g, g.weight.unwrap_or(1))).collect()
    }
}

/// What the nodes of a group run on and how many there are.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub instance_type: String,
    pub image: Image,
    pub port: u16,
    pub capacity: Capacity,
    pub scaling: Option<Scaling>,
    /// Contents of the user-data template (the file named in the topology, or the built-in default),
    /// not yet rendered.
    pub user_data_template: String,
    /// Where the template came from, for messages: a path, or `built-in`.
    pub user_data_origin: String,
    /// The share of `desired` nodes kept healthy while nodes are replaced by a new version, 0 ..= 100.
    pub min_healthy_percent: u8,
    /// Exactly one node (capacity 1/1/1, no scaling), replaced by terminating it before launching the next.
    pub singleton: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    /// `ami-...`
    AmiId(String),
    /// An SSM parameter name that resolves to an AMI id (`ssm:/aws/service/...` in the file).
    SsmParameter(String),
}

impl Image {
    /// As the file writes it (`ami-...` or `ssm:/...`): the key of its resolution in `Facts::images`.
    pub fn written(&self) -> String {
        match self {
            Image::AmiId(id) => id.clone(),
            Image::SsmParameter(name) => format!("ssm:{name}"),
        }
    }
}

/// `min <= desired <= max`, `max >= 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub min: u32,
    pub desired: u32,
    pub max: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scaling {
    /// Average CPU utilisation target in percent, 1 ..= 100.
    CpuTarget(f64),
    /// ALB requests per target.
    RequestsPerTarget(u32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Database {
    /// e.g. `8.4` (the default) or `8.4.3`.
    pub engine_version: String,
    /// e.g. `db.t3.medium`.
    pub instance_class: String,
    /// 20 ..= 65536.
    pub storage_gb: u32,
    pub multi_az: bool,
    /// 0 ..= 35.
    pub backup_retention_days: u8,
    pub deletion: DeletionPolicy,
    /// When RDS makes a change to the instance: at once, or in its next maintenance window.
    pub apply_changes: ApplyChanges,
    /// Optional DB parameter group settings.
    pub parameters: BTreeMap<String, String>,
    /// Where a new database's data comes from: a snapshot instead of an empty database. Read only when
    /// the database does not exist yet.
    pub restore_from: Option<RestoreFrom>,
    /// The read replicas, in order (`database/replicas/1` is the first); at most five.
    pub read_replicas: Vec<ReadReplica>,
}

/// Most read replicas one database may have: RDS for MySQL allows 15, five keeps the cost of a typo bounded
/// and is more than a metadata database needs.
pub const MAX_READ_REPLICAS: usize = 5;

/// One read replica of the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadReplica {
    /// e.g. `db.r6g.large`; the database's class unless written.
    pub instance_class: String,
}

/// `database.restore_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreFrom {
    /// The newest final snapshot `destroy` kept of the deployment of the same name.
    Latest,
    /// The DB snapshot of this identifier.
    Snapshot(String),
}

/// The database parameter that refuses connections without TLS: clusterup sets it to 1 unless
/// `database.parameters` says otherwise (a warning).
pub const REQUIRE_SECURE_TRANSPORT: &str = "require_secure_transport";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyChanges {
    /// As apply runs (the default); some changes mean a brief outage, which the plan says.
    Immediately,
    /// In the instance's next weekly maintenance window; the plan shows them as pending until then.
    MaintenanceWindow,
}

impl ApplyChanges {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyChanges::Immediately => "immediately",
            ApplyChanges::MaintenanceWindow => "maintenance_window",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionPolicy {
    /// Take a final snapshot before deleting (the default).
    Snapshot,
    /// Delete without a snapshot; must be written in the topology.
    Delete,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SharedStorage {
    /// Absolute path, e.g. `/mnt/smarten-data`.
    pub mount_path: String,
    pub encrypted: bool,
    /// One of the values EFS accepts: 1, 7, 14, 30, 60, 90, 180, 270 or 365 days.
    pub transition_to_ia: Option<Duration>,
    pub backups: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spark {
    /// e.g. `emr-7.14.0` (the default).
    pub release: String,
    pub master: InstanceGroup,
    pub core: InstanceGroup,
    pub task: Option<InstanceGroup>,
    pub scaling: Option<SparkScaling>,
    pub metastore: Metastore,
    /// The KMS key ARN of the nodes' local disk and EBS encryption, if any.
    pub disk_encryption_key: Option<String>,
    /// The `s3://.../*.zip` of PEM files that turns on in-transit encryption, if any.
    pub in_transit_certificates: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceGroup {
    pub instance_type: String,
    pub count: u32,
}

/// `1 <= min <= max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SparkScaling {
    pub min: u32,
    pub max: u32,
    pub mode: SparkScalingMode,
}

/// How EMR adds and removes core/task nodes between `min` and `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparkScalingMode {
    /// EMR managed scaling (releases 5.30.0+ and 6.1.0+): EMR decides from YARN's load.
    Managed,
    /// Instance-group automatic scaling policies with clusterup's YARN-memory rules (every release).
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metastore {
    /// Hive metastore on the shared RDS instance (requires a `database` section).
    SharedDatabase,
    /// EMR's local metastore on the master node.
    Local,
}

/// Who is told when an alarm goes off, and the alarms' thresholds (`alerts:`).
#[derive(Debug, Clone, PartialEq)]
pub struct Alerts {
    pub topic: AlertTopic,
    pub thresholds: Thresholds,
}

/// The SNS topic the alarms notify.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertTopic {
    /// A topic of the deployment's, with these addresses subscribed (at least one).
    Own { email: Vec<String> },
    /// The user's existing topic, by ARN: never changed or deleted.
    Existing(String),
}

/// What each alarm goes off at (see `sections/alerts.rs` for the defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub load_balancer_5xx: u32,
    pub unhealthy_hosts: u32,
    pub response_time_p99: Duration,
    pub database_cpu_percent: u8,
    pub database_free_storage_percent: u8,
    pub database_connections_percent: u8,
    pub efs_io_limit_percent: u8,
    pub spark_unhealthy_nodes: u32,
    pub spark_apps_pending: u32,
}
