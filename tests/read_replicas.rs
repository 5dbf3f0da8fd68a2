//! `database.read_replicas` against the emulator, through the real binary: the replica and its reader
//! endpoint read back from AWS, the database made with the password clusterup keeps in Secrets Manager
//! (the emulator's launcher refuses, as AWS does, a replica of a database whose password RDS manages),
//! and destroy leaving nothing.

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::{assert_code, clients, clusterup, stderr, stdout, Workspace};

#[test]
fn a_read_replica_reads_back_with_its_endpoint_and_destroy_leaves_nothing() {
    let ws = Workspace::from_example("smarten.yaml", "replica");
    ws.edit("  deletion: snapshot\n", "  deletion: snapshot\n  read_replicas: 1\n");
    let topology = ws.topology().to_string_lossy().into_owned();
    let name = ws.name.clone();
    let c = block_on(clients());
    let applied = clusterup(&["apply", "--yes", &topology]);
    assert_code(&applied, 0);

    // The replica: of the deployment's database, single-AZ, unprotected, not public, tagged, with an
    // endpoint of its own, on the database's parameter group and security group.
    let primary = format!("{name}-db");
    let replica_id = format!("{name}-db-replica-1");
    let dbs = block_on(c.rds.describe_db_instances().db_instance_identifier(&primary).send()).expect("database");
    let db = &dbs.db_instances()[0];
    let dbs = block_on(c.rds.describe_db_instances().db_instance_identifier(&replica_id).send()).expect("replica");
    let replica = &dbs.db_instances()[0];
    assert_eq!(replica.read_replica_source_db_instance_identifier(), Some(primary.as_str()));
    assert_eq!((replica.multi_az(), replica.deletion_protection()), (Some(false), Some(false)));
    assert_eq!(replica.publicly_accessible(), Some(false));
    let endpoint = replica.endpoint().and_then(|e| e.address()).expect("a reader endpoint").to_owned();
    assert_ne!(Some(endpoint.as_str()), db.endpoint().and_then(|e| e.address()));
    let group = |d: &aws_sdk_rds::types::DbInstance| {
        d.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name()).map(str::to_owned)
    };
    assert_eq!(group(replica), group(db));
    let security = |d: &aws_sdk_rds::types::DbInstance| {
        d.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(security(replica), security(db));
    let tagged = replica.tag_list().iter().any(|t| t.key() == Some("clusterup:deployment") && t.value() == Some(&name));
    assert!(tagged, "{:?}", replica.tag_list());

    // The database's password is clusterup's: no secret of RDS's, one of the deployment's instead, in the
    // shape of RDS's ({username, password}), tagged like every resource.
    assert!(db.master_user_secret().is_none(), "RDS manages no password of a database with replicas");
    let secret_name = format!("clusterup/{name}/database");
    let secret = block_on(c.secrets.describe_secret().secret_id(&secret_name).send()).expect("the kept secret");
    let arn = secret.arn().expect("arn").to_owned();
    let tags: Vec<(Option<&str>, Option<&str>)> = secret.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert!(tags.contains(&(Some("clusterup:deployment"), Some(name.as_str()))), "{tags:?}");
    assert!(tags.contains(&(Some("clusterup:resource"), Some("database/password"))), "{tags:?}");
    let value = block_on(c.secrets.get_secret_value().secret_id(&arn).send()).expect("secret value");
    let value: serde_json::Value = serde_json::from_str(value.secret_string().expect("text")).expect("JSON");
    let keys: Vec<&str> = value.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["username", "password"]);
    assert_eq!(value["username"], "admin");
    let password = value["password"].as_str().expect("password").to_owned();
    assert!(password.len() == 32 && password.bytes().all(|b| b.is_ascii_alphanumeric()), "letters and digits");

    // Nothing left to do; output lists the reader endpoint and the kept secret, never the password.
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    let output = clusterup(&["output", "--region", "us-east-1", &name]);
    assert_code(&output, 0);
    let lines = stdout(&output);
    assert!(lines.lines().any(|l| l.starts_with("db_read_endpoints ") && l.ends_with(&endpoint)), "{lines}");
    assert!(lines.lines().any(|l| l.starts_with("db_secret_arn ") && l.ends_with(&arn)), "{lines}");
    for seen in [stdout(&applied), stderr(&applied), lines] {
        assert!(!seen.contains(&password), "the password leaked into clusterup's output");
    }

    // Destroy: the replica, the database and the secret are gone.
    let destroyed = clusterup(&["destroy", "--yes", "--delete-data", &topology]);
    assert_code(&destroyed, 0);
    for id in [&replica_id, &primary] {
        assert!(block_on(c.rds.describe_db_instances().db_instance_identifier(id).send()).is_err(), "{id} left");
    }
    let gone = block_on(c.secrets.describe_secret().secret_id(&secret_name).send());
    assert!(gone.is_err() || gone.is_ok_and(|s| s.deleted_date().is_some()), "the kept secret left");
    assert_eq!(block_on(live_tagged(&c, &name)), Vec::<String>::new());
}

/// Replicas added to a database whose password RDS manages are refused at plan time, at the
/// `read_replicas` line, and change nothing; replicas removed from a database with the kept password
/// delete the replicas and keep the password (the secret stays, the database does not switch back).
#[test]
fn replicas_on_a_managed_database_are_refused_and_removing_them_keeps_the_password() {
    let ws = Workspace::from_example("smarten.yaml", "replref");
    let topology = ws.topology().to_string_lossy().into_owned();
    let name = ws.name.clone();
    let c = block_on(clients());
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    ws.edit("  deletion: snapshot\n", "  deletion: snapshot\n  read_replicas: 1\n");
    let refused = clusterup(&["plan", &topology]);
    assert_code(&refused, 1);
    let said = stderr(&refused);
    let text = std::fs::read_to_string(ws.topology()).expect("topology");
    let line = text.lines().position(|l| l.contains("read_replicas: 1")).expect("the edited line") + 1;
    let at = format!("{}:{line}:", ws.topology().display());
    assert!(said.contains(&at), "located at {at}: {said}");
    assert!(said.contains("database.read_replicas"), "{said}");
    assert!(said.contains("RDS makes no read replicas of a MySQL database whose password it manages"), "{said}");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 1);
    let secret = block_on(c.secrets.describe_secret().secret_id(format!("clusterup/{name}/database")).send());
    assert!(secret.is_err(), "a refused plan makes no secret");
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);

    // A new deployment with a replica, which is then removed: the replica goes, the password stays.
    let ws = Workspace::from_example("smarten.yaml", "replrm");
    ws.edit("  deletion: snapshot\n", "  deletion: snapshot\n  read_replicas: 1\n");
    let topology = ws.topology().to_string_lossy().into_owned();
    let name = ws.name.clone();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    ws.edit("  read_replicas: 1\n", "");
    let plan = clusterup(&["plan", &topology]);
    let shown = stdout(&plan);
    assert!(shown.contains("- database/replicas/1"), "{shown}");
    assert!(!shown.contains("database/password") && !shown.contains("managed_password"), "{shown}");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let replica = block_on(c.rds.describe_db_instances().db_instance_identifier(format!("{name}-db-replica-1")).send());
    assert!(replica.is_err(), "the replica is deleted");
    let dbs = block_on(c.rds.describe_db_instances().db_instance_identifier(format!("{name}-db")).send()).expect("db");
    assert!(dbs.db_instances()[0].master_user_secret().is_none(), "the password stays clusterup's");
    let secret = block_on(c.secrets.describe_secret().secret_id(format!("clusterup/{name}/database")).send());
    assert!(secret.is_ok_and(|s| s.deleted_date().is_none()), "the kept secret stays");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &name)), Vec::<String>::new());
}
