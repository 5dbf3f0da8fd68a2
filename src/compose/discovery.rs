//! Node group discovery: the private hosted zone `<deployment>.internal` of the deployment's VPC, in which
//! each node group's nodes keep the A record `<group>.<deployment>.internal` (templates/app-user-data.sh).
//! Only the zone is clusterup's resource; the records are written by the nodes, under the app role's
//! `KeepGroupRecords` statement (compose::policies), and removed by the zone's delete.

use super::named;
use super::network::refs;
use crate::model::names::discovery::{zone_name, ZONE};
use crate::model::{Desired, Facts, Kind, Value, NAME};
use crate::resources::route53::hosted_zone::VPC;
use crate::topology::Topology;

/// The zone, when the topology has node groups (every topology with `app` or `node_groups`).
pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    if topology.groups.is_empty() {
        return Vec::new();
    }
    let name = zone_name(&topology.name);
    vec![named(topology, ZONE, Kind::HostedZone, &name)
        .prop(&NAME, Value::str(&name))
        .prop(&VPC, refs(topology, facts).vpc)]
}
