//! What a deployment costs per hour and per month, on demand, from the same resource descriptions the
//! plan compares: what the topology asks for ([`Desired`]) before apply, what exists ([`Actual`]) for
//! `status --cost`. One function per priced kind reads the properties that decide the bill (instance
//! type and count, Multi-AZ, storage); the prices come from a [`Prices`] set, read either from the dated
//! table kept in the repository (`data/prices/<region>.json`, [`table`]) or from the AWS Price List API
//! ([`api`]). A price the source does not have is reported as such, never guessed.
//!
//! Usage-based charges (NAT gateway data processing, load balancer capacity units, file system storage
//! before there is data) are not added to the totals: their rate is shown as a note next to the resource.

pub mod api;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Actual, Address, Desired, Kind, Prop, Props, Value};
use crate::resources::autoscaling::group;
use crate::resources::ec2::launch_template;
use crate::resources::emr::cluster;
use crate::resources::rds::instance;

/// AWS's own convention for a month of a running resource (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;
const BYTES_PER_GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// One figure a cost depends on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PriceKey {
    /// An EC2 instance of this type, Linux, on demand, per hour.
    Ec2Instance(String),
    /// An RDS for MySQL instance of this class, Single-AZ, per hour (Multi-AZ bills two).
    RdsMysqlInstance(String),
    /// RDS storage of this type (`gp3`), Single-AZ, per GB-month.
    RdsStorage(String),
    /// EMR's charge per hour on top of an EC2 instance of this type.
    EmrUplift(String),
    NatGatewayHour,
    NatGatewayGb,
    PublicIpv4Hour,
    AlbHour,
    AlbLcuHour,
    EfsStandardGbMonth,
}

impl PriceKey {
    /// How the figure is named in messages: `EC2 t3.large per hour`.
    pub fn describe(&self) -> String {
        match self {
            PriceKey::Ec2Instance(t) => format!("EC2 {t} per hour"),
            PriceKey::RdsMysqlInstance(c) => format!("RDS for MySQL {c} per hour"),
            PriceKey::RdsStorage(t) => format!("RDS {t} storage per GB-month"),
            PriceKey::EmrUplift(t) => format!("EMR charge for {t} per hour"),
            PriceKey::NatGatewayHour => "NAT gateway per hour".into(),
            PriceKey::NatGatewayGb => "NAT gateway per GB processed".into(),
            PriceKey::PublicIpv4Hour => "public IPv4 address per hour".into(),
            PriceKey::AlbHour => "Application Load Balancer per hour".into(),
            PriceKey::AlbLcuHour => "ALB capacity unit (LCU) per hour".into(),
            PriceKey::EfsStandardGbMonth => "EFS Standard storage per GB-month".into(),
        }
    }
}

/// Where a set of prices came from, printed next to every figure made of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Basis {
    /// The repository's table for the region, with the date its figures were read.
    Table { read_on: String, file: String },
    /// The AWS Price List API, asked at this UTC time.
    PriceListApi { read_at: String },
}

impl Basis {
    pub fn describe(&self) -> String {
        match self {
            Basis::Table { read_on, .. } => format!("list prices read {read_on}"),
            Basis::PriceListApi { read_at } => format!("AWS Price List API, read {read_at}"),
        }
    }
}

/// The prices of one region from one source. A key the source could not answer is in `missing` with
/// the reason, so the estimate can say so.
#[derive(Debug, Clone)]
pub struct Prices {
    pub region: String,
    pub basis: Basis,
    pub values: BTreeMap<PriceKey, f64>,
    /// Why a price is not known: applies to every key when the region has no table.
    pub missing_reason: String,
}

impl Prices {
    fn get(&self, key: &PriceKey) -> Result<f64, String> {
        self.values.get(key).copied().ok_or_else(|| format!("{}: {}", key.describe(), self.missing_reason))
    }
}

/// A resource as the cost sees it: its kind, properties (create-only inputs count: the ASG's first
/// size), and read-only facts (a file system's size).
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub address: &'a Address,
    pub kind: Kind,
    /// The id other resources refer to it by, once it exists.
    pub id: Option<&'a str>,
    props: &'a Props,
    create_only: Option<&'a Props>,
    attrs: Option<&'a BTreeMap<String, String>>,
}

impl<'a> From<&'a Desired> for Item<'a> {
    fn from(d: &'a Desired) -> Self {
        Item {
            address: &d.address,
            kind: d.kind,
            id: None,
            props: &d.props,
            create_only: Some(&d.create_only),
            attrs: None,
        }
    }
}

impl<'a> From<&'a Actual> for Item<'a> {
    fn from(a: &'a Actual) -> Self {
        Item {
            address: &a.address,
            kind: a.kind,
            id: Some(&a.id),
            props: &a.props,
            create_only: None,
            attrs: Some(&a.attrs),
        }
    }
}

impl Item<'_> {
    fn value(&self, prop: &Prop) -> Option<&Value> {
        self.props.get(prop.name).or_else(|| self.create_only.and_then(|c| c.get(prop.name)))
    }

    fn text(&self, prop: &Prop) -> Option<&str> {
        self.value(prop).and_then(Value::as_str)
    }

    fn int(&self, prop: &Prop) -> Option<i64> {
        self.value(prop).and_then(Value::as_int)
    }

    /// Whether `reference` (a property's value) names this resource: by address before it exists, by id after.
    fn is(&self, reference: Option<&Value>) -> bool {
        match reference {
            Some(Value::Ref(address)) => address == self.address,
            Some(Value::Str(id)) => self.id == Some(id.as_str()),
            _ => false,
        }
    }
}

/// One priced resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub address: String,
    /// What is billed: `2 x t3.large`.
    pub what: String,
    /// Per hour, of what is known; `unpriced` says what is not.
    #[serde(serialize_with = "rounded")]
    pub hourly: f64,
    #[serde(serialize_with = "rounded")]
    pub monthly: f64,
    /// Usage-based charges not in the figures, with their rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Prices the source does not have: the figures leave them out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unpriced: Vec<String>,
}

/// The estimate for a set of resources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub region: String,
    pub currency: &'static str,
    pub basis: Basis,
    pub hours_per_month: f64,
    pub lines: Vec<Line>,
    #[serde(serialize_with = "rounded")]
    pub total_hourly: f64,
    #[serde(serialize_with = "rounded")]
    pub total_monthly: f64,
    /// Whether every price was known (else the totals are lower bounds).
    pub complete: bool,
}

/// A figure in JSON to a millionth of a dollar: sums of binary fractions print as 83.293, not
/// 83.29299999999999.
fn rounded<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((value * 1e6).round() / 1e6)
}

/// The prices `items` need.
pub fn needed(items: &[Item<'_>]) -> BTreeSet<PriceKey> {
    let mut keys = BTreeSet::new();
    for item in items {
        if let Some(charge) = charges(item, items) {
            keys.extend(charge.parts.into_iter().map(|(key, _)| key));
            keys.extend(charge.note);
        }
    }
    keys
}

/// The estimate of `items` at `prices`, lines in address order.
pub fn estimate(items: &[Item<'_>], prices: &Prices) -> Estimate {
    let mut lines = Vec::new();
    for item in items {
        let Some(charge) = charges(item, items) else { continue };
        let mut hourly = 0.0;
        let mut unpriced = Vec::new();
        for (key, quantity) in &charge.parts {
            match prices.get(key) {
                Ok(price) => hourly += quantity.per_hour(price),
                Err(why) => unpriced.push(why),
            }
        }
        let note = charge.note.and_then(|key| prices.get(&key).ok().map(|rate| note_for(&key, rate)));
        lines.push(Line {
            address: item.address.to_string(),
            what: charge.what,
            hourly,
            monthly: hourly * HOURS_PER_MONTH,
            note,
            unpriced,
        });
    }
    lines.sort_by(|a, b| a.address.cmp(&b.address));
    let total_hourly: f64 = lines.iter().map(|l| l.hourly).sum();
    Estimate {
        region: prices.region.clone(),
        currency: "USD",
        basis: prices.basis.clone(),
        hours_per_month: HOURS_PER_MONTH,
        complete: lines.iter().all(|l| l.unpriced.is_empty()),
        total_monthly: total_hourly * HOURS_PER_MONTH,
        total_hourly,
        lines,
    }
}

/// How much of a price a resource uses.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Quantity {
    /// This many of an hourly price.
    Hours(f64),
    /// This many GB of a per-GB-month price.
    GbMonths(f64),
}

impl Quantity {
    fn per_hour(self, price: f64) -> f64 {
        match self {
            Quantity::Hours(n) => n * price,
            Quantity::GbMonths(gb) => gb * price / HOURS_PER_MONTH,
        }
    }
}

/// What one resource is billed for.
struct Charge {
    what: String,
    parts: Vec<(PriceKey, Quantity)>,
    /// A usage-based rate to show beside it.
    note: Option<PriceKey>,
}

/// A rate as prices are written: at least two decimals (`$0.30`), all that the price has (`$0.0225`).
fn rate_text(rate: f64) -> String {
    let text = format!("{rate}");
    match text.split_once('.') {
        Some((_, decimals)) if decimals.len() >= 2 => format!("${text}"),
        _ => format!("${rate:.2}"),
    }
}

fn note_for(key: &PriceKey, rate: f64) -> String {
    let rate = rate_text(rate);
    match key {
        PriceKey::NatGatewayGb => format!("plus {rate} per GB processed"),
        PriceKey::AlbLcuHour => format!("plus {rate} per LCU-hour of traffic"),
        PriceKey::EfsStandardGbMonth => format!("{rate} per GB-month of data stored"),
        other => format!("plus {} at {rate}", other.describe()),
    }
}

/// The charge of one resource, `None` for the kinds AWS does not bill by the hour (VPC, subnets,
/// groups, roles, ...). The kinds that are billed are listed here and nowhere else.
fn charges(item: &Item<'_>, all: &[Item<'_>]) -> Option<Charge> {
    match item.kind {
        Kind::AutoScalingGroup => Some(app_nodes(item, all)),
        Kind::NatGateway => Some(Charge {
            what: "NAT gateway".into(),
            parts: vec![(PriceKey::NatGatewayHour, Quantity::Hours(1.0))],
            note: Some(PriceKey::NatGatewayGb),
        }),
        // An Elastic IP is a public IPv4 address, billed by the hour since February 2024.
        Kind::ElasticIp => Some(Charge {
            what: "public IPv4 address".into(),
            parts: vec![(PriceKey::PublicIpv4Hour, Quantity::Hours(1.0))],
            note: None,
        }),
        Kind::LoadBalancer => Some(Charge {
            what: "Application Load Balancer".into(),
            parts: vec![(PriceKey::AlbHour, Quantity::Hours(1.0))],
            note: Some(PriceKey::AlbLcuHour),
        }),
        Kind::DbInstance => Some(database(item)),
        Kind::FileSystem => Some(file_system(item)),
        Kind::EmrCluster => Some(spark(item)),
        _ => None,
    }
}

/// The app nodes: the group's size (desired, else min) times the launch template's instance type.
fn app_nodes(item: &Item<'_>, all: &[Item<'_>]) -> Charge {
    let count = item.int(&group::DESIRED).or_else(|| item.int(&group::MIN)).unwrap_or(0);
    let templates: Vec<&Item<'_>> = all.iter().filter(|i| i.kind == Kind::LaunchTemplate).collect();
    let template = templates.iter().find(|t| t.is(item.value(&group::LAUNCH_TEMPLATE))).or(if templates.len() == 1 {
        templates.first()
    } else {
        None
    });
    let instance_type = template.and_then(|t| t.text(&launch_template::INSTANCE_TYPE));
    match instance_type {
        Some(t) => {
            let max = item.int(&group::MAX).filter(|&m| m > count);
            Charge {
                what: format!("{count} x {t}{}", max.map(|m| format!(" (scales to {m})")).unwrap_or_default()),
                parts: vec![(PriceKey::Ec2Instance(t.to_owned()), Quantity::Hours(count as f64))],
                note: None,
            }
        }
        None => Charge { what: format!("{count} nodes of an unknown instance type"), parts: vec![], note: None },
    }
}

fn database(item: &Item<'_>) -> Charge {
    let class = item.text(&instance::INSTANCE_CLASS).unwrap_or("unknown");
    let multi_az = item.value(&instance::MULTI_AZ).and_then(Value::as_bool).unwrap_or(false);
    let storage = item.int(&instance::STORAGE_GB).unwrap_or(0);
    let storage_type = item.text(&instance::STORAGE_TYPE).unwrap_or("gp3");
    // Multi-AZ bills the standby's instance hours and storage as well as the primary's.
    let copies = if multi_az { 2.0 } else { 1.0 };
    Charge {
        what: format!("{class}{}, {storage} GB {storage_type}", if multi_az { " Multi-AZ" } else { "" }),
        parts: vec![
            (PriceKey::RdsMysqlInstance(class.to_owned()), Quantity::Hours(copies)),
            (PriceKey::RdsStorage(storage_type.to_owned()), Quantity::GbMonths(copies * storage as f64)),
        ],
        note: None,
    }
}

fn file_system(item: &Item<'_>) -> Charge {
    let bytes = item.attrs.and_then(|a| a.get("size_bytes")).and_then(|s| s.parse::<f64>().ok());
    match bytes {
        Some(bytes) => {
            let gb = bytes / BYTES_PER_GB;
            Charge {
                what: format!("{gb:.2} GB stored"),
                parts: vec![(PriceKey::EfsStandardGbMonth, Quantity::GbMonths(gb))],
                note: None,
            }
        }
        // Before apply there is no data: the rate is all there is to say.
        None => Charge { what: "file system".into(), parts: vec![], note: Some(PriceKey::EfsStandardGbMonth) },
    }
}

/// The cluster's nodes: one master, the core and task counts, each at its EC2 price plus EMR's.
fn spark(item: &Item<'_>) -> Charge {
    let mut groups: Vec<(&str, i64, &str)> = Vec::new();
    for (role, count, type_prop) in [
        ("master", Some(1), &cluster::MASTER_TYPE),
        ("core", item.int(&cluster::CORE_COUNT), &cluster::CORE_TYPE),
        ("task", item.int(&cluster::TASK_COUNT), &cluster::TASK_TYPE),
    ] {
        if let (Some(count), Some(t)) = (count, item.text(type_prop)) {
            if count > 0 {
                groups.push((role, count, t));
            }
        }
    }
    let mut parts = Vec::new();
    for (_, count, t) in &groups {
        parts.push((PriceKey::Ec2Instance((*t).to_owned()), Quantity::Hours(*count as f64)));
        parts.push((PriceKey::EmrUplift((*t).to_owned()), Quantity::Hours(*count as f64)));
    }
    let what = groups.iter().map(|(role, count, t)| format!("{role} {count} x {t}")).collect::<Vec<_>>().join(" + ");
    Charge { what: format!("{what} (EC2 + EMR)"), parts, note: None }
}

#[cfg(test)]
mod tests;
