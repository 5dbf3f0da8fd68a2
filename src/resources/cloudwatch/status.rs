//! The deployment's alarms for `status`: read from what discovery found (DescribeAlarms gives each
//! alarm's state with its definition), so `status` makes no call of its own for them.

use serde::Serialize;

use super::alarm::{DESCRIPTION, METRIC, STATE, STATE_REASON, STATE_SINCE};
use crate::model::{Actual, Kind};

/// One alarm as `status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarm {
    /// The alarm's name: `clusterup-shop-database-cpu`.
    pub name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub metric: String,
    /// CloudWatch's reason for the state: `Threshold Crossed: 3 datapoints [95.0, ...] were greater...`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the alarm entered that state (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// What the alarm means and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Alarm {
    pub fn firing(&self) -> bool {
        self.state == "ALARM"
    }
}

/// Every alarm among `resources`, in name order.
pub fn alarms(resources: &[Actual]) -> Vec<Alarm> {
    let mut alarms: Vec<Alarm> = resources
        .iter()
        .filter(|r| r.kind == Kind::MetricAlarm)
        .map(|r| Alarm {
            name: r.id.clone(),
            state: r.attrs.get(STATE).cloned().unwrap_or_else(|| "unknown".into()),
            metric: r.text(&METRIC).unwrap_or("").to_owned(),
            reason: r.attrs.get(STATE_REASON).cloned(),
            since: r.attrs.get(STATE_SINCE).cloned(),
            description: r.text(&DESCRIPTION).map(str::to_owned),
        })
        .collect();
    alarms.sort_by(|a, b| a.name.cmp(&b.name));
    alarms
}
