//! The topology file, section by section: one module per section declares what the file may say there
//! and turns it into the checked `model.rs` type.
//!
//! A section's `Raw*` structs are the file as written: each field's value type checks it while it is
//! read (`types.rs`), its doc comment is its description in the JSON Schema (`schema.rs` derives the
//! schema from these structs), and its default is a constant beside the struct, named both in the
//! schema (`#[schemars(extend("default" = ...))]`) and where the section's function fills it in. The
//! function applies the rules that involve more than one value; every problem names the field it is
//! about and the node to point at, which `locate.rs` turns into a line and column.

pub mod alerts;
pub mod app;
pub mod database;
pub mod iam;
pub mod load_balancer;
pub mod logs;
pub mod network;
pub mod node_groups;
pub mod shared_storage;
pub mod spark;

use std::path::Path;

use schemars::JsonSchema;
use serde::de::value::{MapAccessDeserializer, MapDeserializer};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use self::alerts::{alerts, RawAlerts};
use self::app::RawApp;
use self::database::{database, RawDatabase};
use self::iam::{iam, RawIam};
use self::load_balancer::{load_balancer, RawLoadBalancer};
use self::logs::{logs, RawLogs};
use self::network::{network, RawNetwork};
use self::node_groups::{app_group, node_groups, RawNodeGroups};
use self::shared_storage::{shared_storage, RawSharedStorage};
use self::spark::{spark, RawSpark};
use super::error::Finding;
use super::locate::YamlPath;
use super::model::Topology;
use super::types::{DeploymentName, Region, Tags};
use super::versions::{Date, PastSupport, AS_OF};

type Result<T> = std::result::Result<T, Finding>;

// Every struct of the file denies unknown fields (serde then lists the expected ones). Optional
// sections use `null_is_default`, so that a key written with no value (`database:`) means "this
// section, with its defaults" rather than "no section"; sections whose absence also means their
// defaults (`network`) use `null_as_default` and are no `Option`. The doc comment is the schema's
// description.
/// A clusterup topology: one highly available application cluster on AWS.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping with at least name, region and app (or node_groups)")]
#[schemars(extend("oneOf" = [{ "required": ["app"] }, { "required": ["node_groups"] }]))]
pub struct RawTopology {
    /// Deployment name, used in every resource name and in the tag clusterup finds its resources by:
    /// lowercase letters, digits and hyphens, starting with a letter, at most 21 characters, no `--`,
    /// no trailing `-`.
    pub name: DeploymentName,
    /// AWS region, e.g. us-east-1.
    pub region: Region,
    /// Your tags, added to every resource: at most 40; keys 1-128 characters, not starting with aws:
    /// or clusterup:, not Name; values at most 256 characters.
    #[serde(default)]
    pub tags: Option<Tags>,
    /// The VPC. Either clusterup builds it (cidr, availability_zones, nat) or it uses an existing one
    /// (vpc_id, public_subnet_ids, private_subnet_ids); the two forms cannot be mixed.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<RawNetwork>")]
    pub network: RawNetwork,
    /// The Application Load Balancer in front of the app nodes.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<RawLoadBalancer>")]
    pub load_balancer: RawLoadBalancer,
    /// The app nodes: an Auto Scaling group in the private subnets. The one-group form of node_groups
    /// (the group named app); write one or the other.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "RawApp")]
    pub app: Option<RawApp>,
    /// Several groups of app nodes, each its own Auto Scaling group, by name: roles, singletons, start
    /// order, weighted shares of the load balancer's requests.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "RawNodeGroups")]
    pub node_groups: Option<RawNodeGroups>,
    /// RDS MySQL, the shared metadata database. Every field has a default.
    #[serde(default, deserialize_with = "null_is_default")]
    pub database: Option<RawDatabase>,
    /// EFS file system mounted on every node (and the Spark cluster).
    #[serde(default, deserialize_with = "null_is_default")]
    pub shared_storage: Option<RawSharedStorage>,
    /// An EMR cluster running Spark on YARN, sharing the database and file system.
    #[serde(default, deserialize_with = "null_is_default")]
    pub spark: Option<RawSpark>,
    /// IAM: the permissions boundary of the roles clusterup creates.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<RawIam>")]
    pub iam: RawIam,
    /// CloudWatch alarms on every tier the topology has, and who they notify (an SNS topic, by email).
    #[serde(default, deserialize_with = "null_is_default")]
    pub alerts: Option<RawAlerts>,
    /// CloudWatch Logs: how long the log groups the nodes ship their app log and system journal to keep
    /// them.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<RawLogs>")]
    pub logs: RawLogs,
}

/// For `app` and `node_groups`, of which the file has one: absent -> `None` (through `#[serde(default)]`),
/// present -> the section, and present but empty -> the section's own error about what it lacks, at
/// the section (`missing required field `instance_type``), rather than "no section".
fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Present<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Present<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a mapping")
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Option<T>, E> {
            T::deserialize(MapDeserializer::<_, E>::new(std::iter::empty::<((), ())>())).map(Some)
        }
        fn visit_none<E: de::Error>(self) -> std::result::Result<Option<T>, E> {
            self.visit_unit()
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Option<T>, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map)).map(Some)
        }
    }
    d.deserialize_any(Present(std::marker::PhantomData))
}

/// For optional sections: absent -> `None` (through `#[serde(default)]`), present but empty -> the
/// section's defaults.
fn null_is_default<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    null_as_default(d).map(Some)
}

/// For sections whose absence means their defaults: absent (through `#[serde(default)]`) or present but
/// empty -> the section's defaults.
pub(super) fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    // `key:` with nothing after it is YAML's null: the section written empty, so its defaults.
    Option::<T>::deserialize(d).map(|section| section.unwrap_or_default())
}

/// Where a lifecycle date comes from, and how fresh the table is.
fn support_table_note(past: &PastSupport) -> String {
    format!("clusterup's version table as of {AS_OF}; source: {}", past.row.source)
}

/// Checks `raw` (read from `source`, whose text `spans` keeps) and returns the topology and its warnings, or the first problem.
/// `today` decides which versions are past their end of standard support.
pub fn validate(
    raw: RawTopology,
    source: &Path,
    spans: super::Spans,
    default_user_data: &str,
    today: Date,
) -> Result<(Topology, Vec<Finding>)> {
    let root = YamlPath::root();
    let mut warnings = Vec::new();
    let region = raw.region.0;

    let network = network(raw.network, &region, &mut warnings)?;
    let load_balancer = load_balancer(raw.load_balancer, &region)?;
    let groups = match (raw.app, raw.node_groups) {
        (Some(app), None) => app_group(app, source, default_user_data, &mut warnings)?,
        (None, Some(groups)) => node_groups(groups, &raw.name.0, source, default_user_data, &mut warnings)?,
        (Some(_), Some(_)) => {
            let message = "write either app (one group) or node_groups, not both; app: is node_groups: { app: ... }";
            return Err(Finding::new(root.key("node_groups"), message).on_key());
        }
        (None, None) => {
            let message = "missing required field `app`; write app (one group of nodes) or node_groups (several)";
            return Err(Finding::new(root.clone(), message));
        }
    };

    let one_node =
        groups.iter().filter(|g| g.route == crate::topology::model::Route::Default).all(|g| g.nodes.capacity.max == 1);
    if load_balancer.stickiness.is_some() && one_node {
        warnings.push(Finding::new(
            root.key("load_balancer").key("stickiness"),
            "sticky sessions do nothing with one app node (app.capacity.max is 1)",
        ));
    }

    let database = raw.database.map(|db| database(db, today, &mut warnings)).transpose()?;
    let shared_storage = raw.shared_storage.map(shared_storage);
    let has_database = database.is_some();
    let spark = raw.spark.map(|s| spark(s, &region, has_database, today, &mut warnings)).transpose()?;
    let needs_outbound: Vec<&str> =
        [("database", database.is_some()), ("shared_storage", shared_storage.is_some()), ("spark", spark.is_some())]
            .into_iter()
            .filter_map(|(section, present)| present.then_some(section))
            .collect();
    network::outbound_needed(&network, &needs_outbound)?;
    let alerts = raw.alerts.map(|a| alerts(a, &region)).transpose()?;

    let topology = Topology {
        name: raw.name.0,
        region,
        // No tags: none of the user's own.
        tags: raw.tags.map(|t| t.0).unwrap_or_default(),
        network,
        load_balancer,
        groups,
        database,
        shared_storage,
        spark,
        iam: iam(raw.iam),
        alerts,
        logs: logs(raw.logs),
        source: source.to_owned(),
        spans,
    };
    Ok((topology, warnings))
}
