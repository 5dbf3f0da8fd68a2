//! The shared data folder: an EFS file system every app (and Spark) node mounts, a mount target in every
//! private subnet, an access point for the data folder, lifecycle (IA) and backups, behind a security
//! group that admits NFS (2049) only from the app and Spark nodes.

use super::network::{data_tier_clients, refs, security_group, with_egress};
use super::{id_of, named};
use crate::model::names::{network::EFS_SECURITY_GROUP, storage as names, zone_letter};
use crate::model::{tags, Desired, Facts, Kind, Value, TAGS};
use crate::resources::ec2::security_group::{tcp_with_group, INGRESS};
use crate::resources::efs::{access_point, file_system, mount_target};
use crate::topology::Topology;

/// The data folder inside the file system that the access point exposes, owned by this POSIX user.
const DATA_PATH: &str = "/data";
const DATA_UID: i64 = 1000;

pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    let Some(storage) = &topology.shared_storage else { return vec![] };
    let name = &topology.name;
    let net = refs(topology, facts);
    let fs = id_of(names::FILE_SYSTEM);
    let mut file_system = named(topology, names::FILE_SYSTEM, Kind::FileSystem, &format!("{name}-data"))
        .prop(&file_system::CREATION_TOKEN, Value::str(names::creation_token(name)))
        .prop(&file_system::ENCRYPTED, Value::Bool(storage.encrypted))
        .prop(&file_system::PERFORMANCE_MODE, Value::str("generalPurpose"))
        .prop(
            &file_system::TRANSITION_TO_IA,
            // No transition: "", as discovery reads a file system without one.
            Value::str(
                storage.transition_to_ia.map(|d| format!("AFTER_{}_DAYS", d.as_secs() / 86_400)).unwrap_or_default(),
            ),
        )
        .prop(&file_system::BACKUPS, Value::Bool(storage.backups));
    // Where nodes mount it, so `output` can say so without the topology.
    if let Some(Value::Map(tags)) = file_system.props.get_mut(TAGS.name) {
        tags.insert(tags::MOUNT_PATH.to_owned(), Value::str(&storage.mount_path));
    }
    let group = security_group(
        topology,
        facts,
        EFS_SECURITY_GROUP,
        &format!("{name}-efs"),
        "shared data folder (NFS), reached only from the app",
    )
    .prop(
        &INGRESS,
        Value::List(
            data_tier_clients(topology)
                .into_iter()
                .map(|(g, who)| tcp_with_group(2049, g, &format!("NFS from the {who}")))
                .collect(),
        ),
    );
    // Mount targets answer NFS; they start no connection of their own: no egress at all.
    let mut out = Vec::from(with_egress(group, Vec::new()));
    out.extend([
        file_system,
        named(topology, names::ACCESS_POINT, Kind::AccessPoint, &format!("{name}-data"))
            .prop(&access_point::FILE_SYSTEM, fs.clone())
            .prop(&access_point::PATH, Value::str(DATA_PATH))
            .prop(&access_point::UID, Value::Int(DATA_UID))
            .prop(&access_point::GID, Value::Int(DATA_UID))
            .prop(&access_point::PERMISSIONS, Value::str("0755")),
    ]);
    for (zone, subnet) in facts.private_subnet_zones.iter().zip(net.private_subnets) {
        // Mount targets carry no tags: they are found through their file system.
        out.push(
            Desired::new(names::mount_target(&zone_letter(&topology.region, zone)), Kind::MountTarget)
                .prop(&mount_target::FILE_SYSTEM, fs.clone())
                .prop(&mount_target::SUBNET, subnet)
                .prop(&mount_target::SECURITY_GROUPS, Value::List(vec![id_of(EFS_SECURITY_GROUP)])),
        );
    }
    out
}
