//! `database.restore_from` and `clusterup snapshots` against the emulator, through the real binary:
//! destroy keeps the final snapshot, `snapshots` lists it, and apply with `restore_from: latest` makes
//! the database from it (read back with the SDK).

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::{assert_code, clients, clusterup, clusterup_with_env, endpoint, stderr, stdout, Workspace};

/// The smarten example without its shared folder (the database is what is restored; the file system
/// would only make destroy ask for --delete-data).
fn database_deployment(prefix: &str) -> Workspace {
    let ws = Workspace::from_example("smarten.yaml", prefix);
    let full = std::fs::read_to_string(ws.topology()).expect("read");
    let cut = full.find("shared_storage:").expect("section");
    std::fs::write(ws.topology(), &full[..cut]).expect("write");
    ws
}

#[test]
fn destroy_keeps_the_final_snapshot_and_restore_from_latest_brings_it_back() {
    let ws = database_deployment("restore");
    let topology = ws.topology().to_string_lossy().into_owned();
    let name = ws.name.clone();
    let db_id = format!("{name}-db");
    let c = block_on(clients());
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    // A mark in the database's state that clusterup never sets, so that the database made next can be
    // told apart: one made empty would not have it, one restored from the snapshot does (the emulator
    // keeps the instance's state in the snapshot, as RDS keeps its data).
    let mark = "tue:04:00-tue:04:30";
    block_on(
        c.rds
            .modify_db_instance()
            .db_instance_identifier(&db_id)
            .preferred_maintenance_window(mark)
            .apply_immediately(true)
            .send(),
    )
    .expect("mark");

    // Destroy without --delete-data: the database goes, its final snapshot stays.
    let destroyed = clusterup(&["destroy", "--yes", &topology]);
    assert_code(&destroyed, 0);
    assert!(stderr(&destroyed).contains("Kept: final database snapshot"), "{}", stderr(&destroyed));

    // `snapshots NAME` lists it, with its size, time and the command that deletes it.
    let listed = clusterup(&["snapshots", "--region", "us-east-1", &name]);
    assert_code(&listed, 0);
    let text = stdout(&listed);
    let line = text.lines().find(|l| l.contains(&format!("{name}-final-"))).unwrap_or_else(|| panic!("{text}"));
    let snapshot = line.split_whitespace().next().expect("id").to_owned();
    assert!(line.contains(" final ") && line.contains("50 GiB") && line.contains("available"), "{line}");
    assert!(
        text.contains(&format!("aws rds delete-db-snapshot --region us-east-1 --db-snapshot-identifier {snapshot}")),
        "{text}"
    );
    let json = clusterup(&["snapshots", "--json", &topology]);
    assert_code(&json, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(json["database"], db_id.as_str());
    assert_eq!(json["snapshots"][0]["id"], snapshot.as_str());
    assert_eq!(json["snapshots"][0]["origin"], "final");
    assert_eq!(json["snapshots"][0]["size_gb"], 50);
    assert!(json["snapshots"][0]["taken"].is_string(), "{json}");

    // The plan says which snapshot it restores, and when it was taken.
    ws.edit("deletion: snapshot", "deletion: snapshot\n  restore_from: latest");
    let plan = clusterup(&["plan", &topology]);
    assert_code(&plan, 0);
    let shown = stdout(&plan);
    let restore_line =
        shown.lines().find(|l| l.contains("restore_from (initial)")).unwrap_or_else(|| panic!("{shown}"));
    assert!(restore_line.contains(&format!("snapshot: \"{snapshot}\"")), "{restore_line}");
    assert!(restore_line.contains("taken: \"20"), "{restore_line}");

    // The restoring apply dies the moment RDS accepted the restore: the next apply takes the database
    // as it finds it (no second restore, no new empty database) and sets what the restore left out.
    let killed = clusterup_with_env(
        endpoint(),
        &["apply", "--yes", &topology],
        &[("CLUSTERUP_KILL_AFTER", "RestoreDBInstanceFromDBSnapshot")],
    );
    assert!(stderr(&killed).contains("aborting after mutating call"), "{}", stderr(&killed));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    let dbs = block_on(c.rds.describe_db_instances().db_instance_identifier(&db_id).send()).expect("db");
    assert_eq!(dbs.db_instances().len(), 1);
    let db = &dbs.db_instances()[0];
    assert_eq!(db.preferred_maintenance_window(), Some(mark), "the database was not made from the snapshot");
    // As the topology describes it: encrypted, protected, its password managed by RDS, its own groups.
    assert_eq!(db.storage_encrypted(), Some(true));
    assert_eq!(db.deletion_protection(), Some(true));
    assert!(db.master_user_secret().and_then(|s| s.secret_arn()).is_some(), "password must be managed by RDS");
    assert_eq!(
        db.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name()),
        Some(format!("{name}-db-mysql8-4").as_str())
    );
    let tags = db.tag_list();
    assert!(
        tags.iter().any(|t| t.key() == Some("clusterup:deployment") && t.value() == Some(name.as_str())),
        "{tags:?}"
    );

    // Restored, the field is not read again: no change, even naming a snapshot that does not exist.
    ws.edit("restore_from: latest", "restore_from: no-such-snapshot");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &name)), Vec::<String>::new());
}

#[test]
fn restore_from_latest_without_a_final_snapshot_stops_the_plan_and_says_how_to_list_them() {
    let ws = database_deployment("nosnaps");
    ws.edit("deletion: snapshot", "deletion: snapshot\n  restore_from: latest");
    let topology = ws.topology().to_string_lossy().into_owned();
    let plan = clusterup(&["plan", &topology]);
    assert_code(&plan, 1);
    let said = stderr(&plan);
    assert!(said.contains(&format!("deployment `{}` has no final snapshot", ws.name)), "{said}");
    assert!(said.contains(&format!("clusterup snapshots {}", ws.name)), "{said}");

    // A named snapshot that does not exist: AWS's answer, and where to look.
    ws.edit("restore_from: latest", "restore_from: no-such-snapshot");
    let plan = clusterup(&["plan", &topology]);
    assert_code(&plan, 1);
    assert!(
        stderr(&plan).contains("database.restore_from names a DB snapshot that does not exist"),
        "{}",
        stderr(&plan)
    );
}

#[test]
fn snapshots_of_a_deployment_without_any_says_so() {
    let name = crate::support::unique_name("none");
    let listed = clusterup(&["snapshots", "--region", "us-east-1", &name]);
    assert_code(&listed, 0);
    assert!(stdout(&listed).starts_with(&format!("No DB snapshots of deployment {name} (database {name}-db)")));
    let json = clusterup(&["snapshots", "--region", "us-east-1", "--json", &name]);
    assert_code(&json, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(json["snapshots"], serde_json::json!([]));
    let bad = clusterup(&["snapshots", "Not_A_Name"]);
    assert_code(&bad, 1);
}
