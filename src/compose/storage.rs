//! The shared data folder: an EFS file system every app (and Spark) node mounts, a mount target in every
//! private subnet, an access point for the data folder, lifecycle (IA) and backups, behind a security
//! group that admits NFS (2049) only from the app and Spark nodes.

use super::network::{data_tier_clients, refs, security_group, with_egress};
use super::{id_of, named};
use serde_json::json;

use crate::model::json::canonical;
use crate::model::names::{iam, network::EFS_SECURITY_GROUP, storage as names, zone_letter};
use crate::model::{tags, Address, Desired, Facts, Kind, Value, TAGS};
use crate::resources::ec2::security_group::{tcp_with_group, INGRESS};
use crate::resources::efs::{access_point, file_system, file_system_policy, mount_target};
use crate::topology::Topology;

/// The data folder inside the file system that the access point exposes, owned by this POSIX user.
const DATA_PATH: &str = "/data";
const DATA_UID: i64 = 1000;

/// The file system's policy: nothing over NFS without TLS, and mounting (and writing) only for the
/// deployment's node roles (the app's, and the Spark nodes' when there is a cluster), through the
/// deployment's access point. A client without IAM authorization is anonymous and gets nothing, so the
/// roles' own mount permissions are what decides
/// (https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html,
/// https://docs.aws.amazon.com/efs/latest/ug/encryption-in-transit.html).
fn file_system_policy(topology: &Topology) -> Value {
    const FILE_SYSTEM: &str = "@@FILE_SYSTEM@@";
    const ACCESS_POINT: &str = "@@ACCESS_POINT@@";
    const APP_ROLE: &str = "@@APP_ROLE@@";
    const SPARK_ROLE: &str = "@@SPARK_ROLE@@";
    let mut roles = vec![APP_ROLE];
    let mut marks = vec![
        (FILE_SYSTEM, Value::Attr(Address::new(names::FILE_SYSTEM), "arn".into())),
        (ACCESS_POINT, Value::Attr(Address::new(names::ACCESS_POINT), "arn".into())),
        (APP_ROLE, Value::Attr(Address::new(iam::APP_ROLE), "arn".into())),
    ];
    if topology.spark.is_some() {
        roles.push(SPARK_ROLE);
        marks.push((SPARK_ROLE, Value::Attr(Address::new(iam::SPARK_NODE_ROLE), "arn".into())));
    }
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWithoutTls",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": FILE_SYSTEM,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "MountThroughTheAccessPoint",
                "Effect": "Allow",
                // One role as a string, as AWS writes a single principal.
                "Principal": {"AWS": if roles.len() == 1 { json!(roles[0]) } else { json!(roles) }},
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": FILE_SYSTEM,
                "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": ACCESS_POINT}},
            },
        ],
    });
    Value::with_references(canonical(&doc), &marks)
}

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
        // No tags of its own: found through its file system.
        Desired::new(names::FILE_SYSTEM_POLICY, Kind::FileSystemPolicy)
            .prop(&file_system_policy::FILE_SYSTEM, fs.clone())
            .prop(&file_system_policy::POLICY, file_system_policy(topology)),
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The policy of `example`, its references resolved to `<address>:<attribute>`.
    fn policy(example: &str) -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(example);
        let topology = crate::topology::load(&path).expect("valid").topology;
        let resolved = file_system_policy(&topology)
            .resolve(&|address, attr| Value::str(format!("{address}:{}", attr.unwrap_or("id"))));
        serde_json::from_str(resolved.as_str().expect("a document once resolved")).expect("JSON")
    }

    #[test]
    fn the_file_system_refuses_nfs_without_tls_and_mounts_only_for_the_node_roles_through_the_access_point() {
        let doc = policy("smarten-spark.yaml");
        let statements = doc["Statement"].as_array().expect("statements");
        let deny = &statements[0];
        assert_eq!((deny["Effect"].as_str(), deny["Action"].as_str()), (Some("Deny"), Some("*")));
        assert_eq!(deny["Condition"]["Bool"]["aws:SecureTransport"], "false");
        let allow = &statements[1];
        assert_eq!(allow["Principal"]["AWS"], serde_json::json!(["iam/role/app:arn", "iam/role/spark-node:arn"]));
        assert_eq!(
            allow["Action"],
            serde_json::json!(["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"])
        );
        assert_eq!(allow["Resource"], "storage/file-system:arn");
        assert_eq!(allow["Condition"]["StringEquals"]["elasticfilesystem:AccessPointArn"], "storage/access-point:arn");
        // No root access, no other client: nothing else is allowed.
        assert_eq!(statements.len(), 2);
        // Without Spark, the app's role alone.
        assert_eq!(policy("smarten.yaml")["Statement"][1]["Principal"]["AWS"], "iam/role/app:arn");
    }
}
