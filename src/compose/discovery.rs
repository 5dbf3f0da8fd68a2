//! Node group discovery: the private hosted zone `<deployment>.internal` of the deployment's VPC, in which
//! each node group's nodes keep the A record `<group>.<deployment>.internal` (templates/app-user-data.sh).
//! Only the zone is clusterup's resource; the records are written by the nodes, under the app role's
//! `KeepGroupRecords` statement (compose::policies), and removed by the zone's delete.

use std::collections::BTreeMap;

use super::network::refs;
use crate::model::names::discovery::{zone_name, ZONE};
use crate::model::{tags, Address, Desired, Facts, Kind, Value, NAME, TAGS};
use crate::resources::route53::hosted_zone::VPC;
use crate::topology::Topology;

/// Route 53 takes at most 10 tags on a hosted zone (API reference, ChangeTagsForResource), where the
/// topology allows 40 of the user's own.
pub const MAX_ZONE_TAGS: usize = 10;

/// The zone, when the topology has node groups (every topology with `app` or `node_groups`).
pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    if topology.groups.is_empty() {
        return Vec::new();
    }
    let name = zone_name(&topology.name);
    vec![Desired::new(ZONE, Kind::HostedZone)
        .prop(&TAGS, tags::to_value(&zone_tags(topology, &name)))
        .prop(&NAME, Value::str(&name))
        .prop(&VPC, refs(topology, facts).vpc)]
}

/// The standard tags, as many as Route 53 takes: clusterup's two and `Name` always (discovery and
/// ownership read them), then the user's in key order until there are ten.
fn zone_tags(topology: &Topology, name: &str) -> BTreeMap<String, String> {
    let all = tags::for_resource(&topology.tags, &topology.name, &Address::new(ZONE), name);
    let own = [tags::DEPLOYMENT, tags::RESOURCE, "Name"];
    let users = all.iter().filter(|(k, _)| !own.contains(&k.as_str())).take(MAX_ZONE_TAGS - own.len());
    all.iter().filter(|(k, _)| own.contains(&k.as_str())).chain(users).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_keeps_clusterups_tags_and_as_many_of_the_users_as_route53_takes() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web-tier.yaml");
        let mut topology = crate::topology::load(&path).expect("example loads").topology;
        topology.tags = (0..12).map(|i| (format!("k{i:02}"), format!("v{i}"))).collect();
        let tags = zone_tags(&topology, "web-tier.internal");
        assert_eq!(tags.len(), MAX_ZONE_TAGS);
        assert_eq!(tags.get(tags::DEPLOYMENT).map(String::as_str), Some("web-tier"));
        assert_eq!(tags.get(tags::RESOURCE).map(String::as_str), Some(ZONE));
        assert_eq!(tags.get("Name").map(String::as_str), Some("web-tier.internal"));
        let users: Vec<&str> = tags.keys().filter(|k| k.starts_with('k')).map(String::as_str).collect();
        assert_eq!(users, ["k00", "k01", "k02", "k03", "k04", "k05", "k06"]);
        // Few tags: all of them.
        topology.tags = BTreeMap::from([("team".to_owned(), "web".to_owned())]);
        assert_eq!(zone_tags(&topology, "web-tier.internal").len(), 4);
    }
}
