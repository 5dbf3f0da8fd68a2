//! The Spark bootstrap action (templates/spark-bootstrap.sh) run the way EMR runs it: as an unprivileged
//! user with sudo, before Hive is installed and before the database exists, on a scratch node with
//! stand-ins for the node's commands (tests/scripts/spark-bootstrap-harness.sh). Then what EMR does
//! later: install Hive and start its metastore on the local default (the credential store unit runs
//! first, and finds no database to read a password for); write hive-site from the configuration
//! spark/metastore sends once the database is there, and restart the metastore (the unit now reads the
//! secret hive-site names); and the refresh timer after a secret rotation.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use clusterup::compose::rds_ca::RDS_CA_BUNDLE;
use clusterup::compose::METASTORE_CREDENTIALS;
use clusterup::resources::emr::metastore::SECRET_PROPERTY;

use crate::support::{assert_code, stderr, stdout};

const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123abcd-AbCdEf";
/// RDS never puts `"`, `/`, `@` or a space in a generated password; this one has most other characters
/// a shell or JSON could trip on, around a core that is searched for everywhere it must not be.
const PASSWORD: &str = r#"Zq7vK2mXw9$'`;*(x)!\~#&|<>"#;
const PASSWORD_CORE: &str = "Zq7vK2mXw9";
const ROTATED: &str = "Rt5yH8nLp3-after-rotation";
const MOUNT_PATH: &str = "/srv/smarten-data";
const BUNDLE_URL: &str = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem";

/// A test stand-in for the RDS CA bundle: certificates whose subjects are Amazon RDS's.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rds-ca").join(name)
}

/// The template with its placeholders filled in, as clusterup renders it (an unknown name is an error).
fn rendered() -> String {
    let template = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/spark-bootstrap.sh"))
        .expect("read the template");
    let vars = [
        ("deployment", "smarten-spark"),
        ("region", "us-east-1"),
        ("efs_id", "fs-0123456789abcdef0"),
        ("efs_access_point_id", "fsap-0123456789abcdef0"),
        ("mount_path", MOUNT_PATH),
        ("metastore_shared", "yes"),
        ("metastore_secret_property", SECRET_PROPERTY),
        ("metastore_credentials", METASTORE_CREDENTIALS),
        ("rds_ca_bundle", RDS_CA_BUNDLE),
        ("rds_ca_bundle_url", BUNDLE_URL),
    ];
    let mut out = String::new();
    let mut rest = template.as_str();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("`{{` without `}}`") + start;
        let name = rest[start + 2..end].trim();
        let value = vars.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("unknown placeholder {name}"));
        out.push_str(value.1);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A scratch node: the harness's directory, set up for a master or a core node, with the secret in place.
struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new(role: &str) -> Node {
        let node = Node { dir: tempfile::tempdir().expect("temp dir") };
        assert_code(&node.harness(&["setup", role]), 0);
        std::fs::write(node.path("bootstrap.sh"), rendered()).expect("write the script");
        std::fs::set_permissions(node.path("bootstrap.sh"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::fs::write(node.path("state/secret-arn"), ARN).expect("write the ARN");
        node.set_password(PASSWORD);
        std::fs::write(node.path("state/rds-ca-url"), BUNDLE_URL).expect("write the URL");
        std::fs::copy(fixture("bundle.pem"), node.path("state/rds-ca-bundle.pem")).expect("copy the bundle");
        node
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// A path on the scratch node's file system.
    fn on_node(&self, absolute: &str) -> PathBuf {
        self.path("root").join(absolute.trim_start_matches('/'))
    }

    /// What `aws secretsmanager get-secret-value --query SecretString` prints: the RDS-managed JSON.
    fn set_password(&self, password: &str) {
        let secret = serde_json::json!({ "username": "admin", "password": password }).to_string();
        let file = self.path("state/secret-string");
        std::fs::write(&file, secret).expect("write the secret");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    fn harness(&self, args: &[&str]) -> Output {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/spark-bootstrap-harness.sh");
        let (command, rest) = args.split_first().expect("a harness command");
        let out = Command::new("bash")
            .arg(script)
            .arg(command)
            .arg(self.dir.path())
            .args(rest)
            .output()
            .expect("run the harness");
        // Nothing a node prints ends up anywhere but its logs: the password must never be in it.
        assert!(!stdout(&out).contains(PASSWORD_CORE) && !stderr(&out).contains(PASSWORD_CORE), "password printed");
        out
    }

    /// What EMR does when spark/metastore reconfigures the master group: hive-site.xml written from the
    /// hive-site classification, clusterup's property naming the secret `arn` among the others.
    fn attach(&self, arn: &str) {
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<configuration>\n  <property>\n    <name>javax.jdo.option.ConnectionURL</name>\n    <value>jdbc:mysql://smarten-spark-db.abc.us-east-1.rds.amazonaws.com:3306/hive?createDatabaseIfNotExist=true&amp;useSSL=true&amp;sslMode=verify-full&amp;serverSslCert=/etc/clusterup/rds-ca-bundle.pem</value>\n  </property>\n  <property>\n    <name>hadoop.security.credential.provider.path</name>\n    <value>{METASTORE_CREDENTIALS}</value>\n  </property>\n  <property>\n    <name>{SECRET_PROPERTY}</name>\n    <value>{arn}</value>\n  </property>\n</configuration>\n"
        );
        std::fs::write(self.on_node("/etc/hive/conf/hive-site.xml"), xml).expect("write hive-site.xml");
    }

    fn bootstrap(&self) -> Output {
        let script = self.path("bootstrap.sh").to_string_lossy().into_owned();
        self.harness(&["bootstrap", &script])
    }

    /// Every stand-in call so far, one per line, arguments shell-quoted.
    fn calls(&self) -> String {
        std::fs::read_to_string(self.path("state/calls.log")).expect("calls log")
    }

    /// The uid the harness runs as: root's on a node where the tests run as root.
    fn root_uid(&self) -> u32 {
        std::fs::metadata(self.dir.path()).expect("stat").uid()
    }

    fn hive_uid(&self) -> u32 {
        std::fs::read_to_string(self.path("state/hive-uid")).expect("hive uid").trim().parse().expect("uid")
    }
}

#[track_caller]
fn assert_file(path: &Path, mode: u32, uid: u32) -> String {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(meta.permissions().mode() & 0o7777, mode, "mode of {}", path.display());
    assert_eq!(meta.uid(), uid, "owner of {}", path.display());
    std::fs::read_to_string(path).unwrap_or_default()
}

#[track_caller]
fn assert_called(calls: &str, line: &str) {
    assert!(calls.lines().any(|l| l == line), "no call `{line}` in:\n{calls}");
}

#[test]
fn master_bootstrap_as_hadoop_installs_the_units_and_the_timer_without_reading_any_secret() {
    let node = Node::new("master");
    let run = node.bootstrap();
    assert_code(&run, 0);
    let root = node.root_uid();
    let lib = node.on_node("/usr/local/lib/clusterup");
    let units = node.on_node("/etc/systemd/system");

    // The database may not exist yet: nothing is read now, no password is on the node.
    assert!(!node.on_node("/etc/clusterup/metastore/password").exists());

    // What reads the secret hive-site will name and turns it into Hive's credential store, and what
    // refreshes it.
    assert_file(&lib.join("metastore-secret-arn"), 0o700, root);
    let password = assert_file(&lib.join("metastore-password"), 0o700, root);
    assert!(password.contains("metastore-secret-arn"), "{password}");
    assert_file(&lib.join("metastore-refresh"), 0o700, root);
    let store = assert_file(&lib.join("metastore-store"), 0o700, root);
    assert!(store.contains("hadoop credential create javax.jdo.option.ConnectionPassword"), "{store}");
    assert!(!store.contains("-value"), "the password must not go on a command line:\n{store}");
    assert_file(&lib.join("type-password.py"), 0o600, root);
    let unit = assert_file(&units.join("clusterup-metastore-store.service"), 0o644, root);
    assert!(unit.contains("Type=oneshot"), "{unit}");
    assert!(unit.contains(&format!("ExecStart={}\n", lib.join("metastore-store").display())), "{unit}");
    let drop_in = assert_file(&units.join("hive-hcatalog-server.service.d/clusterup-metastore.conf"), 0o644, root);
    assert!(drop_in.contains("Requires=clusterup-metastore-store.service\n"), "{drop_in}");
    assert!(drop_in.contains("After=clusterup-metastore-store.service\n"), "{drop_in}");
    let refresh = assert_file(&units.join("clusterup-metastore-refresh.service"), 0o644, root);
    assert!(refresh.contains(&format!("ExecStart={}\n", lib.join("metastore-refresh").display())), "{refresh}");
    let site = assert_file(&units.join("clusterup-metastore-site.path"), 0o644, root);
    let hive_site = node.on_node("/etc/hive/conf/hive-site.xml");
    assert!(site.contains(&format!("PathChanged={}\n", hive_site.display())), "{site}");
    assert!(site.contains("Unit=clusterup-metastore-store.service\n"), "{site}");
    assert!(node.path("state/active/clusterup-metastore-site.path").exists(), "the path unit was not started");
    let timer = assert_file(&units.join("clusterup-metastore-refresh.timer"), 0o644, root);
    assert!(timer.contains("OnUnitActiveSec=10min\n") && timer.contains("WantedBy=timers.target\n"), "{timer}");
    assert!(node.path("state/active/clusterup-metastore-refresh.timer").exists(), "the timer was not started");
    assert!(!node.on_node("/etc/cron.d").exists(), "cron is not installed on Amazon Linux 2023");

    // Every step ran, through sudo where it needs root; neither Hadoop (not installed yet) nor Secrets
    // Manager (nothing to read yet) was asked for.
    let calls = node.calls();
    assert_called(&calls, "yum install -y amazon-efs-utils");
    assert_called(&calls, &format!("mount {}", node.on_node(MOUNT_PATH).display()));
    assert_called(&calls, "systemctl daemon-reload");
    assert_called(&calls, "systemctl enable --now clusterup-metastore-refresh.timer");
    assert_called(&calls, "systemctl enable --now clusterup-metastore-site.path");
    // The RDS certificate authorities Hive verifies the database with, over HTTPS, kept as they came.
    assert!(
        calls.lines().any(|l| l.starts_with("curl ") && l.contains("--proto =https") && l.ends_with(BUNDLE_URL)),
        "{calls}"
    );
    let bundle = assert_file(&node.on_node(RDS_CA_BUNDLE), 0o644, root);
    assert_eq!(bundle, std::fs::read_to_string(fixture("bundle.pem")).expect("fixture"));
    assert!(!calls.contains("hadoop") && !calls.contains("secretsmanager"), "{calls}");
    let fstab = std::fs::read_to_string(node.on_node("/etc/fstab")).expect("fstab");
    assert!(fstab.contains("fs-0123456789abcdef0:/ "), "{fstab}");
    assert!(fstab.contains("accesspoint=fsap-0123456789abcdef0"), "{fstab}");
}

/// Before spark/metastore, Hive starts on EMR's local metastore: the store unit reads no secret, writes
/// no store, and lets the metastore start.
#[test]
fn before_the_attachment_the_store_unit_lets_the_local_metastore_start() {
    let node = Node::new("master");
    assert_code(&node.bootstrap(), 0);
    assert_code(&node.harness(&["install"]), 0);
    assert_code(&node.harness(&["unit", "clusterup-metastore-store.service"]), 0);
    let store_path = METASTORE_CREDENTIALS.strip_prefix("jceks://file").expect("a local jceks store");
    assert!(!node.on_node(store_path).exists());
    assert!(!node.on_node("/etc/clusterup/metastore/password").exists());
    let calls = node.calls();
    assert!(!calls.contains("secretsmanager") && !calls.contains("hadoop"), "{calls}");
}

#[test]
fn after_the_attachment_the_store_unit_reads_the_secret_hive_site_names_and_writes_the_store_through_a_terminal() {
    let node = Node::new("master");
    assert_code(&node.bootstrap(), 0);
    assert_code(&node.harness(&["install"]), 0);
    // EMR writes hive-site from spark/metastore's configuration, then restarts the metastore, which
    // requires the store unit.
    node.attach(ARN);
    let started = node.harness(&["unit", "clusterup-metastore-store.service"]);
    assert_code(&started, 0);

    let password = assert_file(&node.on_node("/etc/clusterup/metastore/password"), 0o600, node.root_uid());
    assert_eq!(password, PASSWORD);
    assert_file(&node.on_node("/etc/clusterup/metastore"), 0o700, node.root_uid());
    let store_path = METASTORE_CREDENTIALS.strip_prefix("jceks://file").expect("a local jceks store");
    let store = assert_file(&node.on_node(store_path), 0o400, node.hive_uid());
    assert_eq!(store, PASSWORD, "the store holds what was typed at Hadoop's prompts");
    let calls = node.calls();
    assert_called(
        &calls,
        &format!(
            "aws secretsmanager get-secret-value --region us-east-1 --secret-id {} --query SecretString --output text",
            ARN.replace('!', "\\!")
        ),
    );
    assert_called(
        &calls,
        &format!(
            "hadoop credential create javax.jdo.option.ConnectionPassword -provider jceks://file{}",
            node.on_node(store_path).display()
        ),
    );
    assert!(!calls.contains(PASSWORD_CORE), "the password was on a command line:\n{calls}");
    // Starting the store unit does not restart the metastore it runs for.
    assert!(!calls.contains("systemctl restart"), "{calls}");

    // Every start rebuilds it (Hadoop refuses to create an alias that exists).
    assert_code(&node.harness(&["unit", "clusterup-metastore-store.service"]), 0);
}

/// A secret the node cannot read fails the unit, so the metastore does not start on the database
/// without its password, and EMR rolls the reconfiguration back (spark/metastore then reports it).
#[test]
fn an_unreadable_secret_fails_the_store_unit_and_leaves_no_store() {
    let node = Node::new("master");
    assert_code(&node.bootstrap(), 0);
    assert_code(&node.harness(&["install"]), 0);
    node.attach("arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-someone-elses");
    let started = node.harness(&["unit", "clusterup-metastore-store.service"]);
    assert_ne!(started.status.code(), Some(0), "{}", stderr(&started));
    let store_path = METASTORE_CREDENTIALS.strip_prefix("jceks://file").expect("a local jceks store");
    assert!(!node.on_node(store_path).exists());
    assert!(!node.on_node("/etc/clusterup/metastore/password").exists());
}

#[test]
fn the_refresh_timer_takes_a_rotated_password_and_restarts_a_running_metastore_once() {
    let node = Node::new("master");
    assert_code(&node.bootstrap(), 0);
    assert_code(&node.harness(&["install"]), 0);
    node.attach(ARN);
    assert_code(&node.harness(&["unit", "clusterup-metastore-store.service"]), 0);
    assert_code(&node.harness(&["activate", "hive-hcatalog-server.service"]), 0);
    let restart = "systemctl restart hive-hcatalog-server.service";

    // Unchanged secret: nothing to do.
    assert_code(&node.harness(&["unit", "clusterup-metastore-refresh.service"]), 0);
    assert!(!node.calls().contains(restart), "{}", node.calls());

    node.set_password(ROTATED);
    assert_code(&node.harness(&["unit", "clusterup-metastore-refresh.service"]), 0);
    let password = assert_file(&node.on_node("/etc/clusterup/metastore/password"), 0o600, node.root_uid());
    assert_eq!(password, ROTATED);
    assert_code(&node.harness(&["unit", "clusterup-metastore-refresh.service"]), 0);
    assert_eq!(node.calls().lines().filter(|l| *l == restart).count(), 1, "{}", node.calls());
}

#[test]
fn a_core_node_mounts_the_data_folder_and_leaves_the_metastore_alone() {
    let node = Node::new("core");
    assert_code(&node.bootstrap(), 0);
    let calls = node.calls();
    assert_called(&calls, &format!("mount {}", node.on_node(MOUNT_PATH).display()));
    assert!(!calls.contains("secretsmanager") && !calls.contains("systemctl"), "{calls}");
    assert!(!calls.contains("curl"), "only the master's Hive reaches the database: {calls}");
    assert!(!node.on_node("/usr/local/lib/clusterup").exists());
    assert!(!node.on_node("/etc/clusterup").exists());
}

/// The store follows hive-site, not only the metastore's starts: when EMR writes a hive-site that names
/// another secret (the database was replaced), the path unit rebuilds the store from it at once.
#[test]
fn the_store_is_rebuilt_whenever_hive_site_changes() {
    let node = Node::new("master");
    assert_code(&node.bootstrap(), 0);
    assert_code(&node.harness(&["install"]), 0);
    let hive_site = node.on_node("/etc/hive/conf/hive-site.xml").to_string_lossy().into_owned();
    let store_path = METASTORE_CREDENTIALS.strip_prefix("jceks://file").expect("a local jceks store");
    node.attach(ARN);
    assert_code(&node.harness(&["trigger", "clusterup-metastore-site.path", &hive_site]), 0);
    assert_eq!(assert_file(&node.on_node(store_path), 0o400, node.hive_uid()), PASSWORD);

    // A new database: its own secret and password, named by the next reconfiguration's hive-site.
    let replaced = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0456efab-GhIjKl";
    std::fs::write(node.path("state/secret-arn"), replaced).expect("write the ARN");
    node.set_password(ROTATED);
    node.attach(replaced);
    assert_code(&node.harness(&["trigger", "clusterup-metastore-site.path", &hive_site]), 0);
    assert_eq!(assert_file(&node.on_node(store_path), 0o400, node.hive_uid()), ROTATED);
    // Rebuilding the store restarts nothing: restarting the metastore is EMR's part of a reconfiguration.
    assert!(!node.calls().contains("systemctl restart"), "{}", node.calls());
}

/// A download that is not the RDS bundle (a captive portal, a proxy's page, someone else's certificates)
/// is never installed: the bootstrap action fails after its retries, and EMR reports the node's failure.
#[test]
fn a_download_that_is_not_the_rds_bundle_fails_the_bootstrap() {
    let node = Node::new("master");
    std::fs::copy(fixture("mixed.pem"), node.path("state/rds-ca-bundle.pem")).expect("copy");
    let run = node.bootstrap();
    assert_ne!(run.status.code(), Some(0));
    let err = stderr(&run);
    assert!(err.contains("holds 2 certificates, 1 of them Amazon RDS's: not using it"), "{err}");
    assert!(err.contains("could not get the RDS CA bundle"), "{err}");
    assert!(!node.on_node(RDS_CA_BUNDLE).exists());
    assert_eq!(std::fs::read_to_string(node.path("state/sleeps")).expect("sleeps").trim(), "10", "ten attempts");
}

/// Without the bundle, the store unit fails: the metastore does not start on a database it cannot
/// verify, and EMR rolls the reconfiguration back with the reason.
#[test]
fn the_store_unit_fails_without_the_bundle() {
    let node = Node::new("master");
    assert_code(&node.bootstrap(), 0);
    assert_code(&node.harness(&["install"]), 0);
    std::fs::remove_file(node.on_node(RDS_CA_BUNDLE)).expect("remove the bundle");
    node.attach(ARN);
    let started = node.harness(&["unit", "clusterup-metastore-store.service"]);
    assert_ne!(started.status.code(), Some(0));
    assert!(
        stderr(&started).contains("is missing: Hive could not verify the database's certificate"),
        "{}",
        stderr(&started)
    );
}
