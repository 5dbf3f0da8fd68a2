//! What a deployment costs per hour and per month, on demand, from the same resource descriptions the
//! plan compares: what the topology asks for ([`crate::model::Desired`]) before apply, what exists
//! ([`crate::model::Actual`]) for `status --cost`. Each priced kind reads the properties that decide its
//! bill (instance type and count, Multi-AZ, storage) in its own module (`Spec::charge`, in the words of
//! `model::charge`); the prices come from a [`Prices`] set, read either from the dated table kept in
//! the repository (`data/prices/<region>.json`, [`table`]) or from the AWS Price List API ([`api`]). A
//! price the source does not have is reported as such, never guessed.
//!
//! Usage-based charges (NAT gateway data processing, load balancer capacity units, file system storage
//! before there is data) are not added to the totals: their rate is shown as a note next to the resource.

pub mod api;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use crate::model::charge::{Charge, Item, PriceKey, Quantity, HOURS_PER_MONTH};
use crate::resources::registry;

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
    /// None when the region has no prices at all (`unpriced_region` says why): a total of nothing
    /// priced would read as a free deployment.
    #[serde(serialize_with = "rounded_total")]
    pub total_hourly: Option<f64>,
    #[serde(serialize_with = "rounded_total")]
    pub total_monthly: Option<f64>,
    /// Whether every price was known (else the totals are lower bounds).
    pub complete: bool,
    /// Why nothing in the region could be priced (no table for it), said once instead of on each line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unpriced_region: Option<String>,
}

/// A figure in JSON to a millionth of a dollar: sums of binary fractions print as 83.293, not
/// 83.29299999999999.
fn rounded<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((value * 1e6).round() / 1e6)
}

fn rounded_total<S: serde::Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => rounded(value, serializer),
        None => serializer.serialize_none(),
    }
}

impl Estimate {
    /// `$412.00 → $538.00/month, +$126.00`: what applying changes the monthly cost by, from `before`
    /// (what exists) to `self` (what the topology wants). None when either is not fully priced: a
    /// difference of figures that leave things out would be a false figure.
    pub fn change_from(&self, before: &Estimate) -> Option<String> {
        if !self.complete || !before.complete {
            return None;
        }
        let (from, to) = (before.total_monthly?, self.total_monthly?);
        let delta = to - from;
        let sign = if delta < 0.0 { "-" } else { "+" };
        Some(format!("${from:.2} \u{2192} ${to:.2}/month, {sign}${:.2}", delta.abs()))
    }
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
    // A source with no price at all (no table for the region) prices nothing: no total, one reason.
    let unpriced_region = prices.values.is_empty().then(|| prices.missing_reason.clone());
    let priced = unpriced_region.is_none();
    Estimate {
        region: prices.region.clone(),
        currency: "USD",
        basis: prices.basis.clone(),
        hours_per_month: HOURS_PER_MONTH,
        complete: priced && lines.iter().all(|l| l.unpriced.is_empty()),
        total_monthly: priced.then_some(total_hourly * HOURS_PER_MONTH),
        total_hourly: priced.then_some(total_hourly),
        lines,
        unpriced_region,
    }
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
        PriceKey::CloudWatchAlarmMonth => format!("{rate} per alarm-month"),
        PriceKey::Route53HostedZoneMonth => format!("{rate} per hosted zone-month, plus DNS queries"),
        other => format!("plus {} at {rate}", other.describe()),
    }
}

/// The charge of one resource, `None` for the kinds AWS does not bill by the hour (VPC, subnets,
/// groups, roles, ...): each kind prices itself (`Spec::charge`).
fn charges(item: &Item<'_>, all: &[Item<'_>]) -> Option<Charge> {
    (registry::of(item.kind).spec().charge)(item, all)
}

#[cfg(test)]
mod tests;
