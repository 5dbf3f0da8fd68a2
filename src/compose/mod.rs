//! From a checked topology to the resources it needs ([`Desired`]), with their properties and the
//! references between them. This layer knows every section of the topology and which kinds of resources
//! each one makes; the resource kinds know nothing of each other or of the topology.
//!
//! One module per section; the order of [`desired`] is the order plans list resources in.

mod access_logs;
mod alerts;
mod app;
pub mod boot;
mod canary;
mod database;
mod discovery;
mod fields;
mod iam;
mod load_balancer;
mod logs;
mod network;
mod operator;
mod outputs;
mod policies;
pub mod rds_ca;
mod spark;
mod storage;
pub mod template;

use crate::model::{tags, Address, BootImage, Desired, Facts, Kind, RestoreSource, TAGS};
use crate::topology::{Image, Network, RestoreFrom, Topology, Zones};

pub use app::set_desired;
pub use canary::{canary, Canary};
pub use fields::field;
pub use operator::operator_policy;
pub use outputs::outputs;
pub use spark::METASTORE_CREDENTIALS;
pub use template::TemplateError;

/// Every resource the topology asks for. Fails only on a template (user data, bootstrap script) that
/// does not render, before anything is sent to AWS.
pub fn desired(topology: &Topology, facts: &Facts) -> Result<Vec<Desired>, TemplateError> {
    let mut all = network::desired(topology, facts);
    all.extend(iam::desired(topology, facts));
    all.extend(database::desired(topology, facts));
    all.extend(storage::desired(topology, facts));
    all.extend(load_balancer::desired(topology, facts));
    all.extend(logs::desired(topology));
    all.extend(discovery::desired(topology, facts));
    all.extend(app::desired(topology, facts)?);
    all.extend(spark::desired(topology, facts)?);
    all.extend(alerts::desired(topology, facts));
    Ok(all)
}

/// What must be done for the app to serve through the load balancer with every node healthy: the
/// listeners (the URL answers) and the Auto Scaling group (its create waits until `min` nodes pass the
/// target group's health checks, which needs a listener too). `apply` reports when the last of them
/// finished (`engine::Report::reached`), apart from the end of the whole apply.
pub fn serving(topology: &Topology) -> Vec<Address> {
    let mut addresses: Vec<Address> = topology
        .load_balancer
        .listeners
        .iter()
        .map(|l| Address::new(crate::model::names::load_balancer::listener(i64::from(l.port))))
        .collect();
    addresses
        .extend(topology.groups.iter().map(|g| Address::new(crate::model::names::app::auto_scaling_group(&g.name))));
    addresses
}

/// Facts without AWS, for offline views (`validate`, `graph`): zones named after the region, a
/// placeholder image and account, the commercial partition.
pub fn offline_facts(topology: &Topology) -> Facts {
    let zones = match &topology.network {
        Network::Managed(m) => match &m.zones {
            Zones::Names(names) => names.clone(),
            Zones::Count(n) => (0..*n).map(|i| format!("{}{}", topology.region, char::from(b'a' + i))).collect(),
        },
        Network::Existing(_) => Vec::new(),
    };
    // Amazon Linux 2023's root device, the default image's (https://docs.aws.amazon.com/linux/al2023/ug/ec2.html):
    // offline views cannot ask EC2 about an image.
    let images = topology
        .groups
        .iter()
        .map(|g| {
            let id = match &g.nodes.image {
                Image::AmiId(id) => id.clone(),
                Image::SsmParameter(name) => format!("(resolved from {name})"),
            };
            (g.nodes.image.written(), BootImage { id, root_device_name: "/dev/xvda".to_owned(), root_volume_gb: None })
        })
        .collect();
    let (vpc_cidr, private_subnet_zones) = match &topology.network {
        Network::Managed(m) => (m.cidr.to_string(), zones.clone()),
        Network::Existing(e) => ("(the VPC's CIDR)".to_owned(), e.private_subnet_ids.clone()),
    };
    Facts {
        zones,
        images,
        vpc_cidr,
        private_subnet_zones,
        account_id: "(account)".into(),
        partition: "aws".into(),
        // Snapshots cannot be listed offline: the name as written (`latest` stays `latest`).
        restore: topology.database.as_ref().and_then(|d| d.restore_from.as_ref()).map(|from| RestoreSource {
            snapshot: match from {
                RestoreFrom::Latest => "latest".to_owned(),
                RestoreFrom::Snapshot(id) => id.clone(),
            },
            taken: None,
            engine_version: None,
        }),
        // Secrets cannot be looked up offline: the topology alone decides (read_replicas).
        kept_password: false,
    }
}

/// A resource with the standard tags: the user's, a `Name`, and clusterup's two.
fn named(topology: &Topology, address: &str, kind: Kind, name: &str) -> Desired {
    let desired = Desired::new(address, kind);
    let tags = tags::for_resource(&topology.tags, &topology.name, &desired.address, name);
    desired.prop(&TAGS, tags::to_value(&tags))
}

/// A reference to the id of the resource at `address`.
fn id_of(address: impl Into<String>) -> crate::model::Value {
    crate::model::Value::Ref(Address::new(address))
}

#[cfg(test)]
mod tests;
