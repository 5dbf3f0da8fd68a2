//! The shared data tier (RDS metadata database, EFS data folder, the app role) against the emulator,
//! checked through independent AWS calls.

use crate::apply_destroy::{block_on, live_tagged, tag_filter};
use crate::support::{assert_code, clients, clusterup, stderr, stdout, Clients, Workspace};

/// Ingress rules of the deployment's security group `<name>-<suffix>` as (port, source group ids, cidrs).
async fn ingress(c: &Clients, name: &str, suffix: &str) -> Vec<(i32, Vec<String>, usize)> {
    let groups = c.ec2.describe_security_groups().filters(tag_filter(name)).send().await.expect("sgs");
    let group = groups
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(&format!("{name}-{suffix}")))
        .unwrap_or_else(|| panic!("no security group {name}-{suffix}"));
    group
        .ip_permissions()
        .iter()
        .map(|p| {
            (
                p.from_port().unwrap_or(-1),
                p.user_id_group_pairs().iter().filter_map(|g| g.group_id().map(str::to_owned)).collect(),
                p.ip_ranges().len(),
            )
        })
        .collect()
}

async fn group_id(c: &Clients, name: &str, suffix: &str) -> String {
    let groups = c.ec2.describe_security_groups().filters(tag_filter(name)).send().await.expect("sgs");
    groups
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(&format!("{name}-{suffix}")))
        .and_then(|g| g.group_id())
        .expect("group")
        .to_owned()
}

async fn final_snapshots(c: &Clients, name: &str) -> Vec<String> {
    let out = c.rds.describe_db_snapshots().send().await.expect("snapshots");
    out.db_snapshots()
        .iter()
        .filter_map(|s| s.db_snapshot_identifier())
        .filter(|id| id.starts_with(&format!("{name}-final-")))
        .map(str::to_owned)
        .collect()
}

#[test]
fn data_tier_is_built_shared_with_the_app_only_and_destroyed_safely() {
    let ws = Workspace::from_example("smarten.yaml", "data");
    let topology = ws.topology().to_string_lossy().into_owned();
    let name = ws.name.clone();
    let c = block_on(clients());
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    // The database: Multi-AZ, encrypted, protected, password managed by RDS, in its subnet group.
    let dbs = block_on(c.rds.describe_db_instances().db_instance_identifier(format!("{name}-db")).send()).expect("db");
    let db = &dbs.db_instances()[0];
    assert_eq!(db.multi_az(), Some(true));
    assert_eq!(db.storage_encrypted(), Some(true));
    assert_eq!(db.deletion_protection(), Some(true));
    assert_eq!(db.db_subnet_group().and_then(|g| g.db_subnet_group_name()), Some(format!("{name}-db").as_str()));
    assert!(db.master_user_secret().and_then(|s| s.secret_arn()).is_some(), "password must be managed by RDS");
    let set = block_on(
        c.rds.describe_db_parameters().db_parameter_group_name(format!("{name}-db-mysql8-4")).source("user").send(),
    )
    .expect("parameters");
    let mut set: Vec<(&str, &str)> =
        set.parameters().iter().filter_map(|p| Some((p.parameter_name()?, p.parameter_value()?))).collect();
    set.sort_unstable();
    // The topology's, and the secure default: no connection without TLS.
    assert_eq!(set, [("max_connections", "500"), ("require_secure_transport", "1")]);

    // The file system: one, encrypted, a mount target in each private subnet, one access point.
    let systems =
        block_on(c.efs.describe_file_systems().creation_token(format!("clusterup-{name}-data")).send()).expect("fs");
    assert_eq!(systems.file_systems().len(), 1);
    let fs = &systems.file_systems()[0];
    assert_eq!(fs.encrypted(), Some(true));
    let targets = block_on(c.efs.describe_mount_targets().file_system_id(fs.file_system_id()).send()).expect("mts");
    let private: Vec<String> = block_on(
        c.ec2
            .describe_subnets()
            .filters(tag_filter(&name))
            .filters(aws_sdk_ec2::types::Filter::builder().name("tag:Name").values(format!("{name}-private-*")).build())
            .send(),
    )
    .expect("subnets")
    .subnets()
    .iter()
    .filter_map(|s| s.subnet_id().map(str::to_owned))
    .collect();
    let mut target_subnets: Vec<String> = targets.mount_targets().iter().map(|t| t.subnet_id().to_owned()).collect();
    let mut private_sorted = private.clone();
    target_subnets.sort();
    private_sorted.sort();
    assert_eq!(target_subnets, private_sorted, "one mount target per private subnet");
    let points = block_on(c.efs.describe_access_points().file_system_id(fs.file_system_id()).send()).expect("aps");
    assert_eq!(points.access_points().len(), 1);

    // Exactly the app group may reach 3306 and 2049; no CIDR may.
    let app = block_on(group_id(&c, &name, "app"));
    assert_eq!(block_on(ingress(&c, &name, "db")), vec![(3306, vec![app.clone()], 0)]);
    assert_eq!(block_on(ingress(&c, &name, "efs")), vec![(2049, vec![app], 0)]);

    // The app role may read that secret (the RDS-managed secret tagged with this database's ARN: the
    // policy is written before the secret exists), find that database, and mount that file system,
    // nothing else.
    let role = format!("{name}-us-east-1-app");
    let policy =
        block_on(c.iam.get_role_policy().role_name(&role).policy_name("clusterup-app").send()).expect("policy");
    let document = policy.policy_document().to_owned();
    let decoded = percent_decoded(&document);
    let db_arn = db.db_instance_arn().expect("database ARN");
    let secret_arn = db.master_user_secret().and_then(|s| s.secret_arn()).expect("secret");
    let account = db_arn.split(':').nth(4).expect("account");
    assert!(secret_arn.contains(":secret:rds!db-"), "RDS names its secrets rds!db-...: {secret_arn}");
    assert!(decoded.contains(&format!("arn:aws:secretsmanager:us-east-1:{account}:secret:rds!db-*")), "{decoded}");
    assert!(decoded.contains(&format!("\"aws:ResourceTag/aws:rds:primaryDBInstanceArn\":\"{db_arn}\"")), "{decoded}");
    assert!(
        decoded.contains(&format!("\"rds:DescribeDBInstances\",\"Effect\":\"Allow\",\"Resource\":\"{db_arn}\"")),
        "{decoded}"
    );
    // The condition matches the secret: RDS tags it with the instance's ARN (the emulator does too).
    let described = block_on(c.secrets.describe_secret().secret_id(secret_arn).send()).expect("secret");
    let tagged =
        described.tags().iter().any(|t| t.key() == Some("aws:rds:primaryDBInstanceArn") && t.value() == Some(db_arn));
    assert!(tagged, "{:?}", described.tags());
    assert!(decoded.contains(fs.file_system_arn().expect("fs arn")), "{document}");
    let profile = block_on(c.iam.get_instance_profile().instance_profile_name(&role).send()).expect("profile");
    assert_eq!(profile.instance_profile().map(|p| p.roles()[0].role_name()), Some(role.as_str()));

    // A second apply changes nothing.
    let replan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&replan, 0);

    // Outputs lead with the URL and name the data tier (the secret by ARN only).
    let output = clusterup(&["output", "--region", "us-east-1", &name]);
    assert_code(&output, 0);
    let lines: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    assert!(lines[0].starts_with("url "), "{lines:?}");
    for key in ["db_endpoint", "db_port", "db_secret_arn", "file_system_id", "access_point_id", "mount_path"] {
        assert!(lines.iter().any(|l| l.starts_with(&format!("{key} "))), "no {key} in {lines:?}");
    }
    assert!(lines.iter().any(|l| l.ends_with("= /srv/smarten-data")), "{lines:?}");

    // Removing the shared folder from the topology is refused by apply too, without --delete-data.
    let full = std::fs::read_to_string(ws.topology()).expect("read");
    let cut = full.find("shared_storage:").expect("section");
    std::fs::write(ws.topology(), &full[..cut]).expect("write");
    let refused = clusterup(&["apply", "--yes", &topology]);
    assert_code(&refused, 1);
    assert!(stderr(&refused).contains("would delete the shared file system"), "{}", stderr(&refused));
    std::fs::write(ws.topology(), &full).expect("restore");

    // Destroy refuses to delete the shared data without --delete-data, and deletes nothing.
    let refused = clusterup(&["destroy", "--yes", &topology]);
    assert_code(&refused, 1);
    assert!(stderr(&refused).contains("--delete-data"), "{}", stderr(&refused));
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // With it: everything goes but the final snapshot, named with the deployment and the time.
    let destroyed = clusterup(&["destroy", "--yes", "--delete-data", &topology]);
    assert_code(&destroyed, 0);
    assert_eq!(block_on(live_tagged(&c, &name)), Vec::<String>::new());
    let snapshots = block_on(final_snapshots(&c, &name));
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    assert_eq!(snapshots[0].len(), format!("{name}-final-").len() + 14, "{snapshots:?}");
    // Destroy names it, with what it costs and how to delete it, and still verifies the rest is gone.
    let told = stderr(&destroyed);
    assert!(told.contains(&format!("Kept: final database snapshot {} (", snapshots[0])), "{told}");
    assert!(told.contains(&format!("delete-db-snapshot --db-snapshot-identifier {})", snapshots[0])), "{told}");
    assert!(told.contains("Verified: nothing tagged"), "{told}");
    assert!(block_on(c.iam.get_role().role_name(&role).send()).is_err(), "role left behind");
}

#[test]
fn deletion_delete_leaves_no_snapshot() {
    let ws = Workspace::from_example("smarten.yaml", "nosnap");
    ws.edit("deletion: snapshot", "deletion: delete");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
    let c = block_on(clients());
    assert_eq!(block_on(final_snapshots(&c, &ws.name)), Vec::<String>::new());
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}

#[test]
fn no_password_in_any_output_log_or_plan_file() {
    let ws = Workspace::from_example("smarten.yaml", "secret");
    let topology = ws.topology().to_string_lossy().into_owned();
    let plan_file = ws.dir.path().join("plan.json").to_string_lossy().into_owned();
    let mut seen = String::new();
    let mut record = |out: std::process::Output| {
        seen.push_str(&stdout(&out));
        seen.push_str(&stderr(&out));
    };
    record(clusterup(&["-vv", "apply", "--yes", &topology]));
    record(clusterup(&["-vv", "plan", "--out", &plan_file, &topology]));
    record(clusterup(&["-vv", "output", "--region", "us-east-1", "--json", &ws.name]));
    let plan_text = std::fs::read_to_string(&plan_file).expect("plan file");

    // Read the password the way an app node would, then look for it everywhere clusterup wrote.
    let c = block_on(clients());
    let dbs =
        block_on(c.rds.describe_db_instances().db_instance_identifier(format!("{}-db", ws.name)).send()).expect("db");
    let arn = dbs.db_instances()[0].master_user_secret().and_then(|s| s.secret_arn()).expect("secret").to_owned();
    let secret = block_on(c.secrets.get_secret_value().secret_id(&arn).send()).expect("secret value");
    let value: serde_json::Value = serde_json::from_str(secret.secret_string().expect("string")).expect("json secret");
    let password = value["password"].as_str().expect("password field").to_owned();
    assert!(!password.is_empty());
    assert!(seen.contains(&arn), "outputs name the secret by ARN");
    assert!(!seen.contains(&password), "the password leaked into clusterup's output");
    assert!(!plan_text.contains(&password), "the password leaked into the plan file");

    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
}

#[test]
fn tag_changes_reach_every_family_in_place() {
    let ws = Workspace::from_example("smarten.yaml", "tags");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    // Change one user tag and drop another: every tagged resource is updated in place, nothing else.
    ws.edit("team: bi", "team: analytics");
    ws.edit("  cost-center: \"42\"\n", "");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    let text = stdout(&plan);
    for address in [
        "network/vpc",
        "load_balancer/alb",
        "app/auto-scaling-group",
        "iam/role/app",
        "iam/instance-profile/app",
        "database/instance",
        "database/subnet-group",
        "database/parameter-group/mysql8-4",
        "storage/file-system",
        "storage/access-point",
    ] {
        assert!(text.contains(&format!("~ {address} ")), "{address} not updated:\n{text}");
    }
    assert!(text.contains("0 to add") && text.contains("0 to replace") && text.contains("0 to destroy"), "{text}");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let replan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&replan, 0);

    // Read one back independently: the role has the new tag and not the dropped one.
    let c = block_on(clients());
    let role = block_on(c.iam.get_role().role_name(format!("{}-us-east-1-app", ws.name)).send()).expect("role");
    let tags: Vec<(&str, &str)> =
        role.role().map(|r| r.tags().iter().map(|t| (t.key(), t.value())).collect()).unwrap_or_default();
    assert!(tags.contains(&("team", "analytics")), "{tags:?}");
    assert!(!tags.iter().any(|(k, _)| *k == "cost-center"), "{tags:?}");
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
}

/// Day 2 on the database: what a change will do is in the plan, a shrink is refused at its line in the
/// file before anything runs, and a major version upgrade moves the instance to a parameter group of the
/// new family (made first, the old one deleted after).
#[test]
fn database_changes_say_what_they_do_refuse_a_shrink_and_upgrade_across_majors() {
    let ws = Workspace::from_example("smarten.yaml", "dbday2");
    ws.edit("engine_version: \"8.4\"", "engine_version: \"8.0\"");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let c = block_on(clients());
    let id = format!("{}-db", ws.name);

    // Storage can only grow: refused, located, and nothing changes.
    ws.edit("storage_gb: 50", "storage_gb: 30");
    let shrink = clusterup(&["apply", "--yes", &topology]);
    assert_code(&shrink, 1);
    let said = stderr(&shrink);
    let line =
        std::fs::read_to_string(ws.topology()).expect("topology").lines().position(|l| l.contains("storage_gb: 30"));
    let at = format!("{}:{}:", ws.topology().display(), line.expect("the edited line") + 1);
    assert!(said.contains(&at), "located at {at}: {said}");
    assert!(said.contains("database.storage_gb: 30 GiB is less than the 50 GiB the database has"), "{said}");
    ws.edit("storage_gb: 30", "storage_gb: 50");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // A bigger class on a Multi-AZ database: a failover, said before it happens.
    ws.edit("instance_class: db.t3.medium", "instance_class: db.r6g.large");
    let plan = clusterup(&["plan", &topology]);
    assert!(
        stdout(&plan).contains("# instance class db.t3.medium -> db.r6g.large: no outage beyond a failover"),
        "{}",
        stdout(&plan)
    );
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    // 8.0 -> 8.4: a new family's parameter group, the instance moved to it, the old group gone.
    ws.edit("engine_version: \"8.0\"", "engine_version: \"8.4\"");
    let plan = clusterup(&["plan", &topology]);
    let shown = stdout(&plan);
    assert!(shown.contains("+ database/parameter-group/mysql8-4"), "{shown}");
    assert!(shown.contains("- database/parameter-group/mysql8-0"), "{shown}");
    assert!(shown.contains("a major version upgrade"), "{shown}");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let db = block_on(c.rds.describe_db_instances().db_instance_identifier(&id).send()).expect("DescribeDBInstances");
    let db = &db.db_instances()[0];
    assert!(db.engine_version().is_some_and(|v| v.starts_with("8.4")), "{db:?}");
    let groups: Vec<&str> = db.db_parameter_groups().iter().filter_map(|g| g.db_parameter_group_name()).collect();
    assert_eq!(groups, [format!("{id}-mysql8-4")]);
    let old = block_on(c.rds.describe_db_parameter_groups().db_parameter_group_name(format!("{id}-mysql8-0")).send());
    // AWS answers DBParameterGroupNotFound; the emulator an empty list.
    assert!(old.map_or(true, |o| o.db_parameter_groups().is_empty()), "the 8.0 parameter group is gone");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
}

/// IAM returns policy documents URL-encoded.
pub(crate) fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
