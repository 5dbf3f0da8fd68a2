//! What a resource is billed for, as data: the vocabulary each kind's price hook (`Spec::charge`) answers
//! in, and the view of a resource it reads. It lives here, below the kinds, so that they can price
//! themselves without importing `cost` (which adds the prices up and imports the kinds' registry).

use std::collections::BTreeMap;

use super::{Actual, Address, Desired, Kind, Prop, Props, Value};

/// AWS's own convention for a month of a running resource (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

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
    /// A standard-resolution CloudWatch metric alarm, per alarm-month.
    CloudWatchAlarmMonth,
    /// A Route 53 hosted zone, per zone-month (the first 25 of the account's zones; Route 53 is global).
    Route53HostedZoneMonth,
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
            PriceKey::CloudWatchAlarmMonth => "CloudWatch standard-resolution alarm per month".into(),
            PriceKey::Route53HostedZoneMonth => "Route 53 hosted zone per month".into(),
        }
    }
}

/// How much of a price a resource uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    /// This many of an hourly price.
    Hours(f64),
    /// This many GB of a per-GB-month price.
    GbMonths(f64),
    /// This many of a monthly price (an alarm-month).
    Months(f64),
}

impl Quantity {
    pub fn per_hour(self, price: f64) -> f64 {
        match self {
            Quantity::Hours(n) => n * price,
            Quantity::GbMonths(gb) => gb * price / HOURS_PER_MONTH,
            Quantity::Months(n) => n * price / HOURS_PER_MONTH,
        }
    }
}

/// What one resource is billed for.
#[derive(Debug, Clone, PartialEq)]
pub struct Charge {
    /// What is billed, in the operator's words: `2 x t3.large`.
    pub what: String,
    pub parts: Vec<(PriceKey, Quantity)>,
    /// A usage-based rate to show beside it (not added to the figures).
    pub note: Option<PriceKey>,
}

impl Charge {
    /// One of a resource billed by the hour, with a usage-based rate (if any) noted beside it.
    pub fn hourly(what: &str, key: PriceKey, note: Option<PriceKey>) -> Charge {
        Charge { what: what.to_owned(), parts: vec![(key, Quantity::Hours(1.0))], note }
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

impl<'a> Item<'a> {
    pub fn value(&self, prop: &Prop) -> Option<&'a Value> {
        self.props.get(prop.name).or_else(|| self.create_only.and_then(|c| c.get(prop.name)))
    }

    pub fn text(&self, prop: &Prop) -> Option<&'a str> {
        self.value(prop).and_then(Value::as_str)
    }

    pub fn int(&self, prop: &Prop) -> Option<i64> {
        self.value(prop).and_then(Value::as_int)
    }

    pub fn flag(&self, prop: &Prop) -> Option<bool> {
        self.value(prop).and_then(Value::as_bool)
    }

    /// A read-only fact AWS reported (none before the resource exists).
    pub fn attr(&self, key: &str) -> Option<&'a str> {
        self.attrs.and_then(|a| a.get(key)).map(String::as_str)
    }

    /// Whether `reference` (a property's value) names this resource: by address before it exists, by id after.
    pub fn is(&self, reference: Option<&Value>) -> bool {
        match reference {
            Some(Value::Ref(address)) => address == self.address,
            Some(Value::Str(id)) => self.id == Some(id.as_str()),
            _ => false,
        }
    }
}
