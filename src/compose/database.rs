//! The shared MySQL metadata database: its security group (3306 from the app and Spark nodes only), its
//! subnet group over the private subnets, its parameter group, and the instance.

use super::network::{data_tier_clients, refs, security_group};
use super::{id_of, named};
use crate::model::names::{database as names, network::DATABASE_SECURITY_GROUP};
use crate::model::{Desired, Facts, Kind, Prop, Value, NAME};
use crate::resources::ec2::security_group::{ingress_from_group, INGRESS};
use crate::resources::rds::{instance, parameter_group, subnet_group};
use crate::topology::Topology;

/// The parameter group family of an engine version: `mysql8.4` for `8.4` or `8.4.3`.
pub fn family(engine_version: &str) -> String {
    let major_minor: Vec<&str> = engine_version.split('.').take(2).collect();
    format!("mysql{}", major_minor.join("."))
}

/// Where the topology writes the instance's properties that come straight from its `database` section:
/// a finding about one made after planning (RDS refuses to shrink storage) is shown at that field.
pub(super) const INSTANCE_FIELDS: &[(&Prop, &[&str])] = &[
    (&instance::ENGINE_VERSION, &["database", "engine_version"]),
    (&instance::INSTANCE_CLASS, &["database", "instance_class"]),
    (&instance::STORAGE_GB, &["database", "storage_gb"]),
    (&instance::MULTI_AZ, &["database", "multi_az"]),
    (&instance::BACKUP_RETENTION_DAYS, &["database", "backup_retention_days"]),
];

pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    let Some(db) = &topology.database else { return vec![] };
    let name = names::identifier(&topology.name);
    let family = family(&db.engine_version);
    let (parameter_group_address, parameter_group_name) =
        (names::parameter_group(&family), names::parameter_group_name(&topology.name, &family));
    let net = refs(topology, facts);
    vec![
        security_group(topology, facts, DATABASE_SECURITY_GROUP, &name, "database, reached only from the app").prop(
            &INGRESS,
            Value::List(data_tier_clients(topology).into_iter().map(|g| ingress_from_group(3306, g)).collect()),
        ),
        named(topology, names::SUBNET_GROUP, Kind::DbSubnetGroup, &name)
            .prop(&NAME, Value::str(&name))
            .prop(&subnet_group::SUBNETS, Value::List(net.private_subnets)),
        named(topology, &parameter_group_address, Kind::DbParameterGroup, &parameter_group_name)
            .prop(&NAME, Value::str(&parameter_group_name))
            .prop(&parameter_group::FAMILY, Value::str(&family))
            .prop(
                &parameter_group::PARAMETERS,
                Value::Map(db.parameters.iter().map(|(k, v)| (k.clone(), Value::str(v))).collect()),
            ),
        named(topology, names::INSTANCE, Kind::DbInstance, &name)
            .prop(&instance::IDENTIFIER, Value::str(&name))
            .prop(&instance::ENGINE, Value::str("mysql"))
            .prop(&instance::ENGINE_VERSION, Value::str(&db.engine_version))
            .prop(&instance::INSTANCE_CLASS, Value::str(&db.instance_class))
            .prop(&instance::STORAGE_GB, Value::Int(i64::from(db.storage_gb)))
            .prop(&instance::STORAGE_TYPE, Value::str("gp3"))
            .prop(&instance::ENCRYPTED, Value::Bool(true))
            .prop(&instance::MULTI_AZ, Value::Bool(db.multi_az))
            .prop(&instance::BACKUP_RETENTION_DAYS, Value::Int(i64::from(db.backup_retention_days)))
            .prop(&instance::SUBNET_GROUP, id_of(names::SUBNET_GROUP))
            // The family's group: a major version upgrade moves the instance to the new family's group
            // in the same ModifyDBInstance call, as RDS requires.
            .prop(&instance::PARAMETER_GROUP, id_of(&parameter_group_address))
            .prop(&instance::SECURITY_GROUPS, Value::List(vec![id_of(DATABASE_SECURITY_GROUP)]))
            .prop(&instance::DELETION_PROTECTION, Value::Bool(true))
            .prop(&instance::MANAGED_PASSWORD, Value::Bool(true))
            .prop(&instance::APPLY_CHANGES, Value::str(db.apply_changes.as_str()))
            .create_only(&instance::MASTER_USERNAME, Value::str("admin")),
    ]
}

#[cfg(test)]
mod tests {
    use super::family;

    #[test]
    fn family_follows_major_and_minor() {
        assert_eq!(family("8.0"), "mysql8.0");
        assert_eq!(family("8.0.39"), "mysql8.0");
        assert_eq!(family("8.4.3"), "mysql8.4");
    }
}
