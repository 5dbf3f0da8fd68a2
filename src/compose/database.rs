//! The shared MySQL metadata database: its security group (3306 from the app and Spark nodes only), its
//! subnet group over the private subnets, its parameter group, and the instance.

use std::collections::BTreeMap;

use super::network::{data_tier_clients, refs, security_group, with_egress};
use super::{id_of, named};
use crate::model::names::{database as names, network::DATABASE_SECURITY_GROUP};
use crate::model::Address;
use crate::model::{Desired, Facts, Kind, Prop, RestoreSource, Value, NAME};
use crate::resources::ec2::security_group::{tcp_with_group, INGRESS};
use crate::resources::rds::{instance, parameter_group, replica, subnet_group};
use crate::resources::secretsmanager::password;
use crate::topology::{Database, Topology, REQUIRE_SECURE_TRANSPORT};

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

/// Where a refusal about the database's password (replicas added to a database whose password RDS
/// manages) points: the field that asks for the change.
pub(super) const PASSWORD_FIELD: (&Prop, &[&str]) = (&instance::MANAGED_PASSWORD, &["database", "read_replicas"]);

/// The master user, in the instance and in the kept password's secret.
const MASTER_USERNAME: &str = "admin";

/// Whether the database's password is clusterup's (a secret of the deployment's) rather than RDS's:
/// with read replicas, which RDS refuses for a MySQL source whose password it manages, and from then on
/// while the secret exists (switching back would change the password under running apps).
pub fn kept_password(topology: &Topology, facts: &Facts) -> bool {
    topology.database.as_ref().is_some_and(|db| !db.read_replicas.is_empty() || facts.kept_password)
}

/// The ARN of the secret holding the database's password, as nodes and Spark read it: the kept
/// password's secret, or the one RDS made (known once the instance is).
pub fn secret_arn(topology: &Topology, facts: &Facts) -> Value {
    if kept_password(topology, facts) {
        Value::Ref(Address::new(names::PASSWORD))
    } else {
        Value::Attr(Address::new(names::INSTANCE), "secret_arn".into())
    }
}

/// The parameter group's settings: the topology's, over the secure default that refuses connections
/// without TLS (`require_secure_transport`, dynamic, so it applies without a reboot:
/// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.html#mysql-ssl-connections.require-ssl).
/// A file that sets it otherwise wins, with a warning from `validate`.
fn parameters(db: &Database) -> Value {
    let mut parameters = BTreeMap::from([(REQUIRE_SECURE_TRANSPORT.to_owned(), Value::str("1"))]);
    for (name, value) in &db.parameters {
        if name.eq_ignore_ascii_case(REQUIRE_SECURE_TRANSPORT) {
            parameters.remove(REQUIRE_SECURE_TRANSPORT);
        }
        parameters.insert(name.clone(), Value::str(value));
    }
    Value::Map(parameters)
}

pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    let Some(db) = &topology.database else { return vec![] };
    let name = names::identifier(&topology.name);
    let family = family(&db.engine_version);
    let (parameter_group_address, parameter_group_name) =
        (names::parameter_group(&family), names::parameter_group_name(&topology.name, &family));
    let net = refs(topology, facts);
    let group = security_group(topology, facts, DATABASE_SECURITY_GROUP, &name, "database, reached only from the app")
        .prop(
            &INGRESS,
            Value::List(
                data_tier_clients(topology)
                    .into_iter()
                    .map(|(g, who)| tcp_with_group(3306, g, &format!("MySQL from the {who}")))
                    .collect(),
            ),
        );
    // The database answers; it starts no connection of its own: no egress at all.
    let mut out = Vec::from(with_egress(group, Vec::new()));
    let kept = kept_password(topology, facts);
    if kept {
        let secret = names::password_secret_name(&topology.name);
        out.push(
            named(topology, names::PASSWORD, Kind::DatabaseSecret, &secret)
                .prop(&NAME, Value::str(&secret))
                .create_only(&password::USERNAME, Value::str(MASTER_USERNAME)),
        );
    }
    out.extend([
        named(topology, names::SUBNET_GROUP, Kind::DbSubnetGroup, &name)
            .prop(&NAME, Value::str(&name))
            .prop(&subnet_group::SUBNETS, Value::List(net.private_subnets)),
        named(topology, &parameter_group_address, Kind::DbParameterGroup, &parameter_group_name)
            .prop(&NAME, Value::str(&parameter_group_name))
            .prop(&parameter_group::FAMILY, Value::str(&family))
            .prop(&parameter_group::PARAMETERS, parameters(db)),
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
            .prop(&instance::MANAGED_PASSWORD, Value::Bool(!kept))
            .prop(&instance::APPLY_CHANGES, Value::str(db.apply_changes.as_str()))
            .create_only(&instance::MASTER_USERNAME, Value::str(MASTER_USERNAME)),
    ]);
    if let (true, Some(db)) = (kept, out.last_mut()) {
        db.create_only.insert(instance::PASSWORD_SECRET.name.to_owned(), id_of(names::PASSWORD));
    }
    // The instance, last in the list, is made from the snapshot rather than empty.
    if let (Some(source), Some(db)) = (&facts.restore, out.last_mut()) {
        db.create_only.insert(instance::RESTORE_FROM.name.to_owned(), restore_value(source));
    }
    // The zones a replica may be placed in, in order (the private subnets' zones: the subnet group's).
    let mut zones: Vec<Value> = Vec::new();
    for zone in &facts.private_subnet_zones {
        if !zones.iter().any(|z| z.as_str() == Some(zone)) {
            zones.push(Value::str(zone));
        }
    }
    for (i, r) in db.read_replicas.iter().enumerate() {
        let id = names::replica_identifier(&topology.name, i + 1);
        out.push(
            named(topology, &names::replica(i + 1), Kind::DbReplica, &id)
                .prop(&instance::IDENTIFIER, Value::str(&id))
                .prop(&replica::SOURCE, id_of(names::INSTANCE))
                .prop(&instance::INSTANCE_CLASS, Value::str(&r.instance_class))
                .prop(&instance::STORAGE_GB, Value::Int(i64::from(db.storage_gb)))
                .prop(&instance::PARAMETER_GROUP, id_of(&parameter_group_address))
                .prop(&instance::SECURITY_GROUPS, Value::List(vec![id_of(DATABASE_SECURITY_GROUP)]))
                .create_only(&replica::ZONES, Value::List(zones.clone())),
        );
    }
    out
}

/// The snapshot the database is made from, as the plan shows it and the create reads it.
fn restore_value(source: &RestoreSource) -> Value {
    let mut map = BTreeMap::from([("snapshot".to_owned(), Value::str(&source.snapshot))]);
    let unknown = "(found at plan time)";
    map.insert("taken".to_owned(), Value::str(source.taken.as_deref().unwrap_or(unknown)));
    map.insert("engine_version".to_owned(), Value::str(source.engine_version.as_deref().unwrap_or(unknown)));
    Value::Map(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_to_restore_carries_its_snapshot_as_a_creation_input_only() {
        let text =
            "name: shop\nregion: us-east-1\napp:\n  instance_type: t3.small\ndatabase:\n  restore_from: latest\n";
        let topology = crate::topology::parse(std::path::Path::new("t.yaml"), text).expect("valid").topology;
        let instance_of = |facts: &Facts| {
            desired(&topology, facts).into_iter().find(|d| d.kind == Kind::DbInstance).expect("the instance")
        };
        let offline = crate::compose::offline_facts(&topology);
        let found = Facts {
            restore: Some(RestoreSource {
                snapshot: "shop-final-20261206120000".into(),
                taken: Some("2026-12-06T12:00:00Z".into()),
                engine_version: Some("8.4.3".into()),
            }),
            ..offline.clone()
        };
        let db = instance_of(&found);
        assert!(!db.props.contains_key(instance::RESTORE_FROM.name), "never compared with a running database");
        assert_eq!(
            db.create_only.get(instance::RESTORE_FROM.name).map(ToString::to_string).as_deref(),
            Some(r#"{engine_version: "8.4.3", snapshot: "shop-final-20261206120000", taken: "2026-12-06T12:00:00Z"}"#)
        );
        // Offline (validate, graph): the name as written, its time unknown.
        assert_eq!(
            instance_of(&offline).create_only.get(instance::RESTORE_FROM.name).map(ToString::to_string).as_deref(),
            Some(r#"{engine_version: "(found at plan time)", snapshot: "latest", taken: "(found at plan time)"}"#)
        );
        // The database exists: plan-time facts carry no snapshot, and the instance none either.
        let db = instance_of(&Facts { restore: None, ..offline });
        assert!(!db.create_only.contains_key(instance::RESTORE_FROM.name));
    }

    fn parsed(database: &str) -> Topology {
        let text = format!("name: shop\nregion: us-east-1\napp:\n  instance_type: t3.small\ndatabase:\n{database}");
        crate::topology::parse(std::path::Path::new("t.yaml"), &text).expect("valid").topology
    }

    #[test]
    fn read_replicas_keep_a_password_of_clusterups_and_it_sticks() {
        let with = parsed("  read_replicas: 1\n");
        let offline = crate::compose::offline_facts(&with);
        let wanted = desired(&with, &offline);
        let secret = wanted.iter().find(|d| d.kind == Kind::DatabaseSecret).expect("the kept password's secret");
        assert_eq!(secret.address.as_str(), names::PASSWORD);
        assert_eq!(secret.value(&NAME), Some(&Value::str("clusterup/shop/database")));
        let db = wanted.iter().find(|d| d.kind == Kind::DbInstance).expect("the instance");
        assert_eq!(db.value(&instance::MANAGED_PASSWORD), Some(&Value::Bool(false)));
        assert_eq!(db.create_only.get(instance::PASSWORD_SECRET.name), Some(&id_of(names::PASSWORD)));
        assert_eq!(secret_arn(&with, &offline), id_of(names::PASSWORD));

        // Without replicas and without the secret: RDS's password, as always.
        let without = parsed("  read_replicas: 0\n");
        let wanted = desired(&without, &offline);
        assert!(wanted.iter().all(|d| d.kind != Kind::DatabaseSecret));
        let db = wanted.iter().find(|d| d.kind == Kind::DbInstance).expect("the instance");
        assert_eq!(db.value(&instance::MANAGED_PASSWORD), Some(&Value::Bool(true)));
        assert!(!db.create_only.contains_key(instance::PASSWORD_SECRET.name));
        assert_eq!(secret_arn(&without, &offline), Value::Attr(Address::new(names::INSTANCE), "secret_arn".into()));

        // Replicas removed, the secret still there: the password stays clusterup's.
        let found = Facts { kept_password: true, ..offline };
        let wanted = desired(&without, &found);
        assert!(wanted.iter().any(|d| d.kind == Kind::DatabaseSecret));
        let db = wanted.iter().find(|d| d.kind == Kind::DbInstance).expect("the instance");
        assert_eq!(db.value(&instance::MANAGED_PASSWORD), Some(&Value::Bool(false)));
    }

    #[test]
    fn each_replica_names_the_database_and_takes_its_class_unless_written() {
        let topology =
            parsed("  instance_class: db.r6g.large\n  read_replicas: [{}, { instance_class: db.r6g.xlarge }]\n");
        let wanted = desired(&topology, &crate::compose::offline_facts(&topology));
        let replicas: Vec<&Desired> = wanted.iter().filter(|d| d.kind == Kind::DbReplica).collect();
        let described: Vec<(&str, Option<&str>, Option<&Value>)> = replicas
            .iter()
            .map(|r| (r.address.as_str(), r.text(&instance::IDENTIFIER).ok(), r.value(&instance::INSTANCE_CLASS)))
            .collect();
        assert_eq!(
            described,
            [
                ("database/replicas/1", Some("shop-db-replica-1"), Some(&Value::str("db.r6g.large"))),
                ("database/replicas/2", Some("shop-db-replica-2"), Some(&Value::str("db.r6g.xlarge"))),
            ]
        );
        assert_eq!(replicas[0].value(&replica::SOURCE), Some(&id_of(names::INSTANCE)));
        let zones = replicas[0].create_only.get(replica::ZONES.name).map(Value::strings);
        assert_eq!(zones, Some(vec!["us-east-1a".to_owned(), "us-east-1b".to_owned()]));
    }

    #[test]
    fn the_nodes_role_reads_the_kept_secret_by_its_name() {
        let with = parsed("  read_replicas: 1\n");
        let role = crate::compose::policies::app(&with, &crate::compose::offline_facts(&with));
        let role = role.resolve(&|address, _| Value::str(format!("({address})"))).to_string();
        assert!(role.contains("secret:clusterup/shop/database-??????"), "{role}");
        assert!(!role.contains("rds!db-"), "{role}");
    }

    #[test]
    fn family_follows_major_and_minor() {
        assert_eq!(family("8.0"), "mysql8.0");
        assert_eq!(family("8.0.39"), "mysql8.0");
        assert_eq!(family("8.4.3"), "mysql8.4");
    }

    #[test]
    fn connections_without_tls_are_refused_unless_the_file_says_otherwise() {
        let db = |parameters: &[(&str, &str)]| Database {
            parameters: parameters.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            ..crate::topology::parse(
                std::path::Path::new("t.yaml"),
                "name: a\nregion: us-east-1\napp:\n  instance_type: t3.small\ndatabase:\n",
            )
            .expect("valid")
            .topology
            .database
            .expect("database")
        };
        let wanted = |parameters: &[(&str, &str)]| -> BTreeMap<String, String> {
            match super::parameters(&db(parameters)) {
                Value::Map(map) => map.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
                other => panic!("{other}"),
            }
        };
        let pairs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), format!("{v:?}"))).collect()
        };
        assert_eq!(wanted(&[]), pairs(&[("require_secure_transport", "1")]));
        assert_eq!(
            wanted(&[("max_connections", "500")]),
            pairs(&[("max_connections", "500"), ("require_secure_transport", "1")])
        );
        assert_eq!(wanted(&[("require_secure_transport", "0")]), pairs(&[("require_secure_transport", "0")]));
        assert_eq!(wanted(&[("REQUIRE_SECURE_TRANSPORT", "0")]), pairs(&[("REQUIRE_SECURE_TRANSPORT", "0")]));
    }
}
