//! Logs: one CloudWatch Logs log group per node group, which its nodes' CloudWatch agent ships the app
//! log and the system journal to. The Spark cluster has none: EMR writes its logs to the bucket.

use super::named;
use crate::model::names::logs::{log_group, log_group_name};
use crate::model::{Desired, Kind, Value, NAME};
use crate::resources::logs::log_group::RETENTION_DAYS;
use crate::topology::Topology;

pub fn desired(topology: &Topology) -> Vec<Desired> {
    topology
        .groups
        .iter()
        .map(|group| {
            let name = log_group_name(&topology.name, &group.name);
            named(topology, &log_group(&group.name), Kind::LogGroup, &name)
                .prop(&NAME, Value::str(&name))
                .prop(&RETENTION_DAYS, Value::Int(topology.logs.retention_days.into()))
        })
        .collect()
}
