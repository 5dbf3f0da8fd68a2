//! The database, shared_storage and spark sections.

use std::time::Duration;

use super::*;
use crate::topology::*;

fn database(body: &str) -> String {
    minimal_with(&format!("database:\n{body}"))
}

#[test]
fn engine_version_written_as_a_float_keeps_its_text() {
    // YAML reads an unquoted 8.0 as a float; the parser takes the scalar's text, so it stays "8.0".
    let db = ok(&database("  engine_version: 8.0\n")).topology.database.expect("database");
    assert_eq!(db.engine_version, "8.0");
    let db = ok(&database("  engine_version: 8.4\n")).topology.database.expect("database");
    assert_eq!(db.engine_version, "8.4");
    let db = ok(&database("  engine_version: \"5.7\"\n")).topology.database.expect("database");
    assert_eq!(db.engine_version, "5.7");
    let db = ok(&database("  engine_version: 8.0.39\n")).topology.database.expect("database");
    assert_eq!(db.engine_version, "8.0.39");
    // `8.40` is not silently read as 8.4.
    expect_err(
        &database("  engine_version: 8.40\n"),
        6,
        19,
        "database.engine_version",
        "`8.40` is not a supported MySQL version",
    );
}

#[test]
fn engine_version_lists_what_is_accepted() {
    expect_err(&database("  engine_version: 8\n"), 6, 19, "database.engine_version", "use 5.7, 8.0 or 8.4");
    expect_err(&database("  engine_version: \"9.1\"\n"), 6, 19, "database.engine_version", "use 5.7, 8.0 or 8.4");
    expect_err(
        &database("  engine_version: 8.0.x\n"),
        6,
        19,
        "database.engine_version",
        "optionally with a minor version",
    );
}

#[test]
fn read_replicas_are_a_count_or_a_list_defaulting_to_the_database_class() {
    let replicas = |body: &str| ok(&database(body)).topology.database.expect("database").read_replicas;
    let classes = |body: &str| replicas(body).into_iter().map(|r| r.instance_class).collect::<Vec<_>>();
    assert!(replicas("  instance_class: db.r6g.large\n").is_empty(), "none unless asked");
    assert_eq!(classes("  instance_class: db.r6g.large\n  read_replicas: 2\n"), ["db.r6g.large", "db.r6g.large"]);
    assert!(replicas("  read_replicas: 0\n").is_empty());
    assert_eq!(
        classes("  read_replicas: [{ instance_class: db.r6g.xlarge }, {}]\n"),
        ["db.r6g.xlarge", crate::topology::sections::database::INSTANCE_CLASS]
    );
}

#[test]
fn read_replicas_errors_are_located() {
    expect_err(&database("  read_replicas: 6\n"), 6, 18, "database.read_replicas", "6 read replicas is too many");
    expect_err(
        &database("  read_replicas: [{}, {}, {}, {}, {}, {}]\n"),
        6,
        18,
        "database.read_replicas",
        "6 read replicas is too many",
    );
    expect_err(&database("  read_replicas: -1\n"), 6, 18, "database.read_replicas", "expected 0 to 5");
    expect_err(
        &database("  read_replicas: [{ size: 2 }]\n"),
        6,
        21,
        "database.read_replicas[0].size",
        "unknown field `size`",
    );
    expect_err(
        &database("  read_replicas: [{ instance_class: r6g }]\n"),
        6,
        37,
        "database.read_replicas[0].instance_class",
        "not an RDS instance class",
    );
    // RDS makes replicas only of a database with automated backups.
    expect_err(
        &database("  backup_retention_days: 0\n  read_replicas: 1\n"),
        6,
        26,
        "database.backup_retention_days",
        "RDS makes read replicas only of a database that has them",
    );
    // Zero replicas with backups off is only the usual warning.
    assert!(replicas_ok("  backup_retention_days: 0\n  read_replicas: 0\n"));
}

fn replicas_ok(body: &str) -> bool {
    ok(&database(body)).topology.database.is_some_and(|d| d.read_replicas.is_empty())
}

#[test]
fn database_ranges_and_formats() {
    expect_err(
        &database("  storage_gb: 10\n"),
        6,
        15,
        "database.storage_gb",
        "10 is out of range: expected a storage size in GiB from 20 to 65536",
    );
    expect_err(&database("  storage_gb: 70000\n"), 6, 15, "database.storage_gb", "from 20 to 65536");
    expect_err(&database("  backup_retention_days: 36\n"), 6, 26, "database.backup_retention_days", "from 0 to 35");
    expect_err(
        &database("  instance_class: t3.medium\n"),
        6,
        19,
        "database.instance_class",
        "not an RDS instance class",
    );
    expect_err(&database("  deletion: never\n"), 6, 13, "database.deletion", "expected one of snapshot, delete");
    expect_err(
        &database("  parameters: { \"max connections\": 5 }\n"),
        6,
        17,
        "database.parameters.max connections",
        "not a DB parameter name",
    );
    expect_err(
        &database("  parameters: { max_connections: \"\" }\n"),
        6,
        34,
        "database.parameters.max_connections",
        "the value is empty",
    );
    expect_err(&database("  engine: postgres\n"), 6, 3, "database.engine", "unknown field `engine`");
}

#[test]
fn shared_storage_rules() {
    let storage = |body: &str| minimal_with(&format!("shared_storage:\n{body}"));
    expect_err(
        &storage("  transition_to_ia: 45d\n"),
        6,
        21,
        "shared_storage.transition_to_ia",
        "use 1d, 7d, 14d, 30d, 60d, 90d, 180d, 270d or 365d",
    );
    expect_err(&storage("  transition_to_ia: soon\n"), 6, 21, "shared_storage.transition_to_ia", "expected a duration");
    let t = ok(&storage("  transition_to_ia: 168h\n")).topology;
    assert_eq!(t.shared_storage.and_then(|s| s.transition_to_ia), Some(Duration::from_secs(7 * 86_400)));
    expect_err(&storage("  mount_path: data\n"), 6, 15, "shared_storage.mount_path", "must be an absolute path");
    expect_err(&storage("  mount_path: /\n"), 6, 15, "shared_storage.mount_path", "cannot be mounted on `/`");
    expect_err(&storage("  mount_path: \"/mnt/my data\"\n"), 6, 15, "shared_storage.mount_path", "contains a space");
    expect_err(&storage("  mount_path: /etc/app\n"), 6, 15, "shared_storage.mount_path", "is a system directory");
    expect_err(
        &storage("  mount_path: /mnt/../etc\n"),
        6,
        15,
        "shared_storage.mount_path",
        "not a plain absolute path",
    );
    expect_err(&storage("  encrypted: 1\n"), 6, 14, "shared_storage.encrypted", "expected a boolean");
}

#[test]
fn spark_defaults() {
    let spark = ok(&minimal_with("spark:\n  release: emr-7.5.0\n")).topology.spark.expect("spark");
    assert_eq!(
        spark,
        Spark {
            release: "emr-7.5.0".into(),
            master: InstanceGroup { instance_type: "m5.xlarge".into(), count: 1 },
            core: InstanceGroup { instance_type: "m5.xlarge".into(), count: 2 },
            task: None,
            scaling: None,
            // No database section: the metastore is local.
            metastore: Metastore::Local,
            disk_encryption_key: None,
            in_transit_certificates: None,
        }
    );
    let spark = ok(&minimal_with("spark:\n  release: emr-7.5.0\n  task:\n")).topology.spark.expect("spark");
    assert_eq!(spark.task, Some(InstanceGroup { instance_type: "m5.xlarge".into(), count: 0 }));
}

#[test]
fn spark_disk_encryption_key_is_a_kms_key_of_the_deployments_region() {
    let spark = |key: &str| minimal_with(&format!("spark:\n  disk_encryption_key: {key}\n"));
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let t = ok(&spark(key)).topology;
    assert_eq!(t.spark.and_then(|s| s.disk_encryption_key).as_deref(), Some(key));
    let multi_region = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    assert!(ok(&spark(multi_region)).topology.spark.is_some());
    expect_err(
        &spark("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        6,
        24,
        "spark.disk_encryption_key",
        "the key is in eu-west-1, but a cluster in us-east-1 can only use a KMS key of us-east-1",
    );
    // IAM policies name a key by its key ARN, so an alias is refused.
    expect_err(
        &spark("arn:aws:kms:us-east-1:123456789012:alias/emr"),
        6,
        24,
        "spark.disk_encryption_key",
        "is not a KMS key ARN; expected arn:aws:kms:<region>:<account>:key/<key id>",
    );
    expect_err(&spark("1234abcd"), 6, 24, "spark.disk_encryption_key", "is not a KMS key ARN");
}

#[test]
fn spark_in_transit_certificates_are_a_zip_in_s3() {
    let spark = |url: &str| minimal_with(&format!("spark:\n  in_transit_certificates: {url}\n"));
    let url = "s3://my-certs/emr/certificates.zip";
    let t = ok(&spark(url)).topology;
    assert_eq!(t.spark.and_then(|s| s.in_transit_certificates).as_deref(), Some(url));
    for bad in
        ["my-certs/emr/certificates.zip", "s3://my-certs/emr/certificates.tar", "s3://My_Certs/c.zip", "s3://my-certs"]
    {
        expect_err(&spark(bad), 6, 28, "spark.in_transit_certificates", "is not an S3 URL of a zip file");
    }
}

#[test]
fn spark_rules() {
    let spark = |body: &str| minimal_with(&format!("spark:\n  release: emr-7.5.0\n{body}"));
    expect_err(&minimal_with("spark:\n  release: 7.5.0\n"), 6, 12, "spark.release", "expected e.g. emr-7.14.0");
    expect_err(&minimal_with("spark:\n  release: emr-7.5\n"), 6, 12, "spark.release", "not an EMR release label");
    // Without a release, the newest EMR 7 release clusterup knows.
    let t = ok(&minimal_with("spark:\n  core: { count: 3 }\n")).topology;
    assert_eq!(t.spark.map(|s| (s.release, s.core.count)), Some(("emr-7.14.0".into(), 3)));
    expect_err(
        &spark("  metastore: shared_database\n"),
        7,
        14,
        "spark.metastore",
        "shared_database needs a database section",
    );
    expect_err(&spark("  master: { count: 2 }\n"), 7, 20, "spark.master.count", "exactly one instance");
    expect_err(&spark("  core: { count: 0 }\n"), 7, 18, "spark.core.count", "at least one instance");
    expect_err(&spark("  scaling: { min: 5, max: 2 }\n"), 7, 27, "spark.scaling", "min (5) is greater than max (2)");
    expect_err(&spark("  scaling: { min: 0, max: 2 }\n"), 7, 19, "spark.scaling.min", "from 1 to 10000");
    expect_err(&spark("  scaling: { min: 2 }\n"), 7, 12, "spark.scaling", "missing required field `max`");
    expect_err(&spark("  metastore: hive\n"), 7, 14, "spark.metastore", "expected one of shared_database, local");
    expect_err(
        &spark("  core: { instance_type: big }\n"),
        7,
        26,
        "spark.core.instance_type",
        "not an EC2 instance type",
    );
    let with_db = ok(&minimal_with("database:\nspark:\n  release: emr-7.5.0\n  metastore: local\n")).topology;
    assert_eq!(with_db.spark.map(|s| s.metastore), Some(Metastore::Local));
    // The shared metastore is attached by reconfiguring the running cluster: emr-5.21.0 and later.
    let old = |release: &str, metastore: &str| {
        minimal_with(&format!("database:\nspark:\n  release: {release}\n  metastore: {metastore}\n"))
    };
    expect_err(&old("emr-5.20.1", "shared_database"), 7, 12, "spark.release", "needs release emr-5.21.0 or later");
    expect_err(&old("emr-4.9.6", "shared_database"), 7, 12, "spark.release", "needs release emr-5.21.0 or later");
    for release in ["emr-5.21.0", "emr-6.15.0"] {
        assert_eq!(
            ok(&old(release, "shared_database")).topology.spark.map(|s| s.metastore),
            Some(Metastore::SharedDatabase)
        );
    }
    assert_eq!(ok(&old("emr-5.20.1", "local")).topology.spark.map(|s| s.metastore), Some(Metastore::Local));
}

/// `restore_from`: `latest` or an identifier by RDS's rules (botocore's RDS model, CreateDBSnapshot's
/// `DBSnapshotIdentifier`: 1 to 255 letters, numbers or hyphens, a letter first, no trailing hyphen and
/// no two in a row), located at its value.
#[test]
fn restore_from_is_latest_or_a_snapshot_identifier() {
    let db = ok(&database("  restore_from: latest\n")).topology.database.expect("database");
    assert_eq!(db.restore_from, Some(RestoreFrom::Latest));
    let db = ok(&database("  restore_from: Shop-Final-20261206120000\n")).topology.database.expect("database");
    assert_eq!(db.restore_from, Some(RestoreFrom::Snapshot("shop-final-20261206120000".into())));
    let db = ok(&database("  restore_from: rds:shop-db-2026-12-06-03-10\n")).topology.database.expect("database");
    assert_eq!(db.restore_from, Some(RestoreFrom::Snapshot("rds:shop-db-2026-12-06-03-10".into())));
    assert_eq!(ok(&database("  multi_az: true\n")).topology.database.expect("database").restore_from, None);
    for (bad, why) in [
        ("shop_final", "may hold only letters, digits and hyphens"),
        ("1shop", "has to start with a letter"),
        ("shop--final", "cannot end with a hyphen or hold two in a row"),
        ("shop-final-", "cannot end with a hyphen or hold two in a row"),
    ] {
        expect_err(&database(&format!("  restore_from: {bad}\n")), 6, 17, "database.restore_from", why);
    }
    let long = format!("a{}", "b".repeat(255));
    expect_err(&database(&format!("  restore_from: {long}\n")), 6, 17, "database.restore_from", "1 to 255 characters");
}

#[test]
fn logs_retention_defaults_to_30_days_and_takes_what_cloudwatch_logs_accepts() {
    let logs = |body: &str| minimal_with(&format!("logs:\n{body}"));
    assert_eq!(ok(&minimal_with("")).topology.logs.retention_days, 30);
    assert_eq!(ok(&minimal_with("logs:\n")).topology.logs.retention_days, 30);
    assert_eq!(ok(&logs("  retention: 90d\n")).topology.logs.retention_days, 90);
    assert_eq!(ok(&logs("  retention: 3653d\n")).topology.logs.retention_days, 3653);
    // 24h is a day: the unit does not matter, the length does.
    assert_eq!(ok(&logs("  retention: 24h\n")).topology.logs.retention_days, 1);
    expect_err(&logs("  retention: 31d\n"), 6, 14, "logs.retention", "the nearest retention it accepts is 30d");
    expect_err(&logs("  retention: 2y\n"), 6, 14, "logs.retention", "expected a duration");
    expect_err(&logs("  retention: 10000d\n"), 6, 14, "logs.retention", "the nearest retention it accepts is 3653d");
    expect_err(&logs("  retention: 36h\n"), 6, 14, "logs.retention", "cannot keep logs for 36h");
    expect_err(&logs("  keep: 30d\n"), 6, 3, "logs.keep", "unknown field `keep`, expected `retention`");
}
