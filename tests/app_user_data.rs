//! The app nodes' default user data (templates/app-user-data.sh), rendered by clusterup for the examples
//! and run the way a node runs it: as root at first boot, on a scratch node with stand-ins for the
//! node's commands (tests/scripts/app-node-harness.sh, node-stand-ins.sh). A node is healthy only when
//! it works: its first mount gives up by the deadline clusterup works out from the group's grace period,
//! its app requires the mount and answers 503 without it, and its database wait takes any status once
//! the database has an endpoint, logs what goes wrong, and hands the app TLS settings verified with the
//! RDS certificate authorities.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use clusterup::compose::boot::{self, APP_START_SECONDS};
use clusterup::compose::rds_ca::RDS_CA_BUNDLE;
use clusterup::compose::template::user_data;
use clusterup::model::Value;

use crate::support::{assert_code, stderr, stdout};

const BUNDLE_URL: &str = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem";
const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123abcd-AbCdEf";
const DB_HOST: &str = "smarten-db.abc123.us-east-1.rds.amazonaws.com";
const ZONE_ID: &str = "Z0123456789ABCDEFGHIJ";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rds-ca").join(name)
}

/// The example's topology and its user data as the launch template gets it, ids filled in.
fn rendered(example: &str) -> (clusterup::topology::Topology, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(example);
    let topology = clusterup::topology::load(&path).expect("example loads").topology;
    let value = user_data(&topology, &clusterup::compose::offline_facts(&topology), &topology.groups[0])
        .expect("renders")
        .resolve(&|address, attr| match (address.as_str(), attr) {
            ("storage/file-system", None) => Value::str("fs-0123456789abcdef0"),
            ("storage/access-point", None) => Value::str("fsap-0123456789abcdef0"),
            ("discovery/zone", None) => Value::str(ZONE_ID),
            other => panic!("unexpected reference {other:?}"),
        });
    let script = value.as_str().expect("fully rendered").to_owned();
    (topology, script)
}

/// A scratch app node with the rendered user data, the RDS bundle served at its URL.
struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new(script: &str) -> Node {
        let node = Node { dir: tempfile::tempdir().expect("temp dir") };
        assert_code(&node.harness(&["setup"]), 0);
        std::fs::write(node.path("user-data.sh"), script).expect("write the script");
        std::fs::write(node.path("state/rds-ca-url"), BUNDLE_URL).expect("write the URL");
        std::fs::copy(fixture("bundle.pem"), node.path("state/rds-ca-bundle.pem")).expect("copy the bundle");
        node
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn on_node(&self, absolute: &str) -> PathBuf {
        self.path("root").join(absolute.trim_start_matches('/'))
    }

    fn harness(&self, args: &[&str]) -> Output {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/app-node-harness.sh");
        let (command, rest) = args.split_first().expect("a harness command");
        Command::new("bash").arg(script).arg(command).arg(self.dir.path()).args(rest).output().expect("run the harness")
    }

    /// The user data, as cloud-init runs it at first boot.
    fn boot(&self) -> Output {
        let script = self.path("user-data.sh").to_string_lossy().into_owned();
        self.harness(&["run", &script])
    }

    fn read(&self, absolute: &str) -> String {
        std::fs::read_to_string(self.on_node(absolute)).unwrap_or_else(|e| panic!("{absolute}: {e}"))
    }

    fn state(&self, name: &str, text: &str) {
        std::fs::write(self.path("state").join(name), text).expect("write state");
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.path("state/calls.log")).expect("calls log")
    }

    fn count(&self, prefix: &str) -> usize {
        self.calls().lines().filter(|l| l.starts_with(prefix)).count()
    }

    fn uptime(&self) -> u32 {
        let text = self.read("/proc/uptime");
        text.split('.').next().and_then(|s| s.parse().ok()).expect("uptime")
    }

    fn sleeps(&self) -> usize {
        std::fs::read_to_string(self.path("state/sleeps")).expect("sleeps").trim().parse().unwrap_or(0)
    }
}

#[track_caller]
fn assert_called(calls: &str, line: &str) {
    assert!(calls.lines().any(|l| l == line), "no call `{line}` in:\n{calls}");
}

#[test]
fn a_node_with_database_and_data_folder_mounts_over_tls_and_its_app_requires_the_mount() {
    let (_, script) = rendered("smarten.yaml");
    let node = Node::new(&script);
    let run = node.boot();
    assert_code(&run, 0);
    let calls = node.calls();
    assert_called(&calls, "dnf install -y amazon-efs-utils");
    assert_called(&calls, &format!("mount {}", node.on_node("/srv/smarten-data").display()));
    // Over TLS, authorised by the instance role, through the access point: the file system's policy
    // refuses any other mount.
    assert_eq!(
        node.read("/etc/fstab"),
        "fs-0123456789abcdef0:/ /srv/smarten-data efs _netdev,noresvport,tls,iam,accesspoint=fsap-0123456789abcdef0 0 0\n"
    );
    let unit = node.read("/etc/systemd/system/clusterup-placeholder.service");
    assert!(unit.contains("\nRequiresMountsFor=/srv/smarten-data\n"), "{unit}");
    assert!(node.path("state/active/clusterup-placeholder.service").exists(), "the app was not started");
    assert!(node.read("/etc/clusterup/app.env").contains("DATA_DIR=/srv/smarten-data\n"));
    // The database is waited for beside, never here: the node serves before it exists.
    assert_called(&calls, "systemctl start --no-block clusterup-database.service");
    assert!(!calls.contains("aws rds") && !calls.contains("curl"), "{calls}");
}

/// A first mount that never succeeds is retried until the deadline, then fails the script (and the node
/// its health checks); the deadline leaves the app its start and its health checks within the grace
/// period the group gets.
#[test]
fn the_first_mount_is_retried_until_its_deadline_then_fails_the_node() {
    let (topology, script) = rendered("smarten.yaml");
    let plan = boot::mount_plan(&topology.load_balancer.health_check);
    assert_eq!(
        plan.deadline + APP_START_SECONDS + boot::health_checks_seconds(&topology.load_balancer.health_check),
        plan.grace
    );
    let node = Node::new(&script);
    node.state("mount-fails", "always");
    let run = node.boot();
    assert_ne!(run.status.code(), Some(0), "{}", stderr(&run));
    let attempts = node.count("mount ");
    // From 20 s after boot, one attempt every 10 s until the deadline.
    assert_eq!(attempts, usize::try_from((plan.deadline - 20).div_ceil(10)).expect("count"), "{}", node.calls());
    assert!(node.uptime() >= plan.deadline && node.uptime() < plan.deadline + 10, "gave up at {} s", node.uptime());
    let err = stderr(&run);
    assert!(
        err.contains(&format!(
            "EFS fs-0123456789abcdef0 is not mounted at /srv/smarten-data {} s after boot ({attempts} attempts); this node fails its health check and is replaced",
            plan.deadline
        )),
        "{err}"
    );
    assert!(err.contains("Failed to resolve server"), "mount's own error is in the log: {err}");
    assert!(!node.path("state/active/clusterup-placeholder.service").exists(), "the app started without its data");
}

#[test]
fn a_mount_that_succeeds_after_a_few_failures_lets_the_node_start() {
    let (_, script) = rendered("smarten.yaml");
    let node = Node::new(&script);
    node.state("mount-fails", "3");
    assert_code(&node.boot(), 0);
    assert_eq!((node.count("mount "), node.sleeps()), (4, 3));
    assert!(node.path("state/active/clusterup-placeholder.service").exists());
}

/// The database wait takes any status once the endpoint exists (storage optimization can last a day),
/// says why it is still waiting, and leaves AWS's errors in the log.
#[test]
fn the_database_wait_takes_any_status_with_an_endpoint_and_logs_what_goes_wrong() {
    let (_, script) = rendered("smarten.yaml");
    let node = Node::new(&script);
    assert_code(&node.boot(), 0);
    node.state(
        "db-answers",
        &format!(
            "ERROR DBInstanceNotFound\ncreating None None None\nstorage-optimization {DB_HOST} 3306 {SECRET_ARN}\n"
        ),
    );
    let run = node.harness(&["exec", "/usr/local/lib/clusterup/database-env"]);
    assert_code(&run, 0);
    assert_eq!(
        node.read("/etc/clusterup/database.env"),
        format!(
            "DB_HOST={DB_HOST}\nDB_PORT=3306\nDB_SECRET_ARN={SECRET_ARN}\nDB_READ_HOSTS=\nDB_SSL_MODE=VERIFY_IDENTITY\nDB_SSL_CA={RDS_CA_BUNDLE}\n"
        )
    );
    // The RDS certificate authorities, downloaded over HTTPS and kept as they came.
    assert_eq!(node.read(RDS_CA_BUNDLE), std::fs::read_to_string(fixture("bundle.pem")).expect("fixture"));
    let calls = node.calls();
    assert!(
        calls.lines().any(|l| l.starts_with("curl ") && l.contains("--proto =https") && l.ends_with(BUNDLE_URL)),
        "{calls}"
    );
    let (out, err) = (stdout(&run), stderr(&run));
    assert!(
        err.contains("An error occurred (DBInstanceNotFound) when calling the DescribeDBInstances operation"),
        "{err}"
    );
    assert!(err.contains("could not look database smarten-db up"), "{err}");
    assert!(out.contains("database smarten-db is creating, with no endpoint yet"), "{out}");
    assert!(out.contains(&format!("database smarten-db (storage-optimization) is at {DB_HOST}:3306")), "{out}");
    assert_eq!(node.sleeps(), 2);
    assert!(!out.contains("password") && !err.contains("password"));
}

/// With read replicas: DB_READ_HOSTS lists each replica's endpoint once it has one (the wait says which it
/// waits for), and DB_SECRET_ARN is the password clusterup keeps, not the MasterUserSecret RDS reports
/// (there is none).
#[test]
fn read_replicas_are_listed_once_each_has_an_endpoint_with_the_kept_secret() {
    const KEPT: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:clusterup/smarten/database-AbCdEf";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten.yaml");
    let text = std::fs::read_to_string(&path).expect("example").replace(
        "  deletion: snapshot\n",
        "  deletion: snapshot\n  read_replicas: [{}, { instance_class: db.r6g.large }]\n",
    );
    let topology = clusterup::topology::parse(&path, &text).expect("valid").topology;
    let facts = clusterup::compose::offline_facts(&topology);
    let value = user_data(&topology, &facts, &topology.groups[0]).expect("renders").resolve(&|address, attr| match (
        address.as_str(),
        attr,
    ) {
        ("storage/file-system", None) => Value::str("fs-0123456789abcdef0"),
        ("storage/access-point", None) => Value::str("fsap-0123456789abcdef0"),
        ("discovery/zone", None) => Value::str(ZONE_ID),
        ("database/password", None) => Value::str(KEPT),
        other => panic!("unexpected reference {other:?}"),
    });
    let node = Node::new(value.as_str().expect("fully rendered"));
    assert_code(&node.boot(), 0);
    let (one, two) = ("smarten-db-replica-1.abc123.rds.amazonaws.com", "smarten-db-replica-2.abc123.rds.amazonaws.com");
    node.state("db-answers", &format!("available {DB_HOST} 3306 None\n{one}\nNone\n{two}\n"));
    let run = node.harness(&["exec", "/usr/local/lib/clusterup/database-env"]);
    assert_code(&run, 0);
    assert_eq!(
        node.read("/etc/clusterup/database.env"),
        format!(
            "DB_HOST={DB_HOST}\nDB_PORT=3306\nDB_SECRET_ARN={KEPT}\nDB_READ_HOSTS={one},{two}\nDB_SSL_MODE=VERIFY_IDENTITY\nDB_SSL_CA={RDS_CA_BUNDLE}\n"
        )
    );
    let calls = node.calls();
    for replica in ["smarten-db-replica-1", "smarten-db-replica-2"] {
        assert!(
            calls.lines().any(|l| l.starts_with("aws rds describe-db-instances") && l.contains(replica)),
            "{calls}"
        );
    }
    assert!(stdout(&run).contains("replica smarten-db-replica-2 has no endpoint yet"), "{}", stdout(&run));
    assert_eq!(node.sleeps(), 1);
}

/// A download that is not the RDS bundle (someone else's certificates among them) is never used: the
/// wait goes on trying, and says why.
#[test]
fn a_download_that_is_not_the_rds_bundle_is_not_used() {
    let (_, script) = rendered("smarten.yaml");
    let node = Node::new(&script);
    assert_code(&node.boot(), 0);
    std::fs::copy(fixture("mixed.pem"), node.path("state/rds-ca-bundle.pem")).expect("copy");
    node.state("db-answers", &format!("available {DB_HOST} 3306 {SECRET_ARN}\n"));
    node.state("sleep-limit", "3");
    let run = node.harness(&["exec", "/usr/local/lib/clusterup/database-env"]);
    assert_ne!(run.status.code(), Some(0));
    assert!(stderr(&run).contains("holds 2 certificates, 1 of them Amazon RDS's: not using it"), "{}", stderr(&run));
    assert!(!node.on_node(RDS_CA_BUNDLE).exists() && !node.on_node("/etc/clusterup/database.env").exists());
    assert!(!node.calls().contains("aws rds"), "no database settings without the bundle to verify it");
}

/// What the load balancer's health check gets from the placeholder with `data_dir` as its data folder.
fn health_status(server: &Path, data_dir: &str) -> String {
    let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut child = Command::new("python3")
        .arg(server)
        .env("APP_PORT", port.to_string())
        .env("DATA_DIR", data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the placeholder");
    let deadline = Instant::now() + Duration::from_secs(20);
    let stream = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("the placeholder does not listen: {e}"),
        }
    };
    let mut stream = stream;
    stream.write_all(b"GET /health HTTP/1.0\r\nHost: node\r\n\r\n").expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let _ = child.kill();
    let _ = child.wait();
    answer.lines().next().unwrap_or_default().to_owned()
}

/// After a reboot whose `_netdev` mount failed, the data folder is an empty local directory: the
/// placeholder answers 503 then, so the load balancer takes the node out and Auto Scaling replaces it.
#[test]
fn the_placeholder_answers_503_while_its_data_folder_is_not_mounted() {
    let (_, script) = rendered("smarten.yaml");
    let node = Node::new(&script);
    assert_code(&node.boot(), 0);
    let server = node.on_node("/opt/clusterup-placeholder/server.py");
    let empty = tempfile::tempdir().expect("an unmounted folder");
    assert!(health_status(&server, &empty.path().to_string_lossy()).contains(" 503 "));
    // A mount point (the root is one) is healthy, and so is a node without a data folder.
    assert!(health_status(&server, "/").contains(" 200 "));
    assert!(health_status(&server, "").contains(" 200 "));
}

#[test]
fn a_node_without_database_or_data_folder_mounts_nothing_and_waits_for_nothing() {
    let (_, script) = rendered("web-tier.yaml");
    let node = Node::new(&script);
    assert_code(&node.boot(), 0);
    let calls = node.calls();
    assert!(
        !calls.contains("mount") && !calls.contains("efs-utils") && !calls.contains("clusterup-database"),
        "{calls}"
    );
    let unit = node.read("/etc/systemd/system/clusterup-placeholder.service");
    assert!(!unit.contains("RequiresMountsFor"), "{unit}");
    assert!(node.path("state/active/clusterup-placeholder.service").exists());
}

#[test]
fn a_node_ships_its_app_log_and_journal_to_its_groups_log_group_with_the_cloudwatch_agent() {
    let (topology, script) = rendered("web-tier.yaml");
    let node = Node::new(&script);
    assert_code(&node.boot(), 0);
    let calls = node.calls();
    assert_called(&calls, "dnf install -y amazon-cloudwatch-agent rsyslog");
    assert_called(&calls, "systemctl enable --now rsyslog.service");
    let config = node.on_node("/opt/aws/amazon-cloudwatch-agent/etc/clusterup.json");
    assert_called(
        &calls,
        &format!("amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:{}", config.display()),
    );
    // The agent's configuration: the app log and the journal to the group's log group, a stream per node.
    let text = node.read("/opt/aws/amazon-cloudwatch-agent/etc/clusterup.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("the agent's configuration is JSON");
    let files = doc["logs"]["logs_collected"]["files"]["collect_list"].as_array().expect("collect_list");
    let group = format!("/clusterup/{}/app", topology.name);
    let shipped: Vec<(&str, &str, &str)> = files
        .iter()
        .map(|f| {
            let field = |k: &str| f[k].as_str().unwrap_or_else(|| panic!("{k} in {f}"));
            (field("file_path"), field("log_group_name"), field("log_stream_name"))
        })
        .collect();
    assert_eq!(
        shipped,
        [
            ("/var/log/clusterup/app.log", group.as_str(), "{instance_id}"),
            ("/var/log/messages", group.as_str(), "{instance_id}/journal"),
        ]
    );
    // The placeholder app writes its output to the app log the agent reads.
    let unit = node.read("/etc/systemd/system/clusterup-placeholder.service");
    assert!(unit.contains("StandardOutput=append:/var/log/clusterup/app.log"), "{unit}");
    assert!(node.read("/etc/clusterup/app.env").contains(&format!("LOG_GROUP={group}\n")));
}

/// The discovery keeper (clusterup-dns.timer): it UPSERTs its group's A record with the sorted private
/// addresses of the group's nodes in service, only when they differ from what it last wrote, keeps the
/// record while the group has no node in service, writes again 15 minutes after its last write, and fails (to be retried by its timer) when Route 53
/// refuses, without recording a write that did not happen.
#[test]
fn the_dns_keeper_writes_its_groups_record_only_when_the_nodes_change() {
    let (topology, script) = rendered("web-tier.yaml");
    let name = format!("app.{}.internal", topology.name);
    let node = Node::new(&script);
    // The deployment's groups as Auto Scaling has them (their clusterup:resource tags).
    node.state("deployment-groups", "app/auto-scaling-group\n");
    assert_code(&node.boot(), 0);
    let calls = node.calls();
    assert_called(&calls, "systemctl enable --now clusterup-dns.timer");
    let timer = node.read("/etc/systemd/system/clusterup-dns.timer");
    assert!(timer.contains("OnUnitActiveSec=20s") && timer.contains("RandomizedDelaySec=5s"), "{timer}");
    // The keeper ran once at boot, before the app started: app.env names every group.
    let env = node.read("/etc/clusterup/app.env");
    assert!(env.contains(&format!("GROUP_HOST_APP={name}\n")) && env.contains("CLUSTERUP_GROUP=app\n"), "{env}");
    assert!(env.contains(&format!("CLUSTERUP_ZONE={}.internal\n", topology.name)), "{env}");
    let keeper_at = calls.lines().position(|l| l.contains("describe-auto-scaling-groups")).expect("the keeper ran");
    let app_at = calls.lines().position(|l| l.contains("clusterup-placeholder.service")).expect("the app started");
    assert!(keeper_at < app_at, "{calls}");
    // A group added later (and a canary rollout's group, which is none) reaches app.env within a run.
    node.state(
        "deployment-groups",
        "app/auto-scaling-group\tgroups/batch-2/auto-scaling-group\tapp/canary/auto-scaling-group\n",
    );

    let keep = || node.harness(&["exec", "/usr/local/lib/clusterup/dns-keeper"]);
    let upserts = || node.count("aws route53 change-resource-record-sets");
    // Nodes in service, listed out of order; one instance the group reports is not running (no address).
    node.state("in-service", "i-0b\ti-0a\ti-0c\n");
    node.state("instances", "i-0a 10.30.16.9\ni-0b 10.30.2.200\ni-0c None\n");
    let first = keep();
    assert_code(&first, 0);
    assert_eq!(upserts(), 1);
    let env = node.read("/etc/clusterup/app.env");
    let hosts: Vec<&str> = env.lines().filter(|l| l.starts_with("GROUP_HOST_")).collect();
    assert_eq!(
        hosts,
        [format!("GROUP_HOST_APP={name}"), format!("GROUP_HOST_BATCH_2=batch-2.{}.internal", topology.name)]
    );
    assert!(env.starts_with(&format!("CLUSTERUP_DEPLOYMENT={}\n", topology.name)), "the rest is kept: {env}");
    let calls = node.calls();
    let write = calls.lines().find(|l| l.starts_with("aws route53 ")).expect("the UPSERT");
    assert!(write.contains(&format!("--hosted-zone-id {ZONE_ID}")), "{write}");
    let batch: serde_json::Value = {
        let start = write.find("--change-batch ").expect("a batch") + "--change-batch ".len();
        let quoted = write[start..].split(" --output").next().expect("the batch");
        // The call log quotes arguments as bash's printf %q does: drop its escapes.
        let unquoted = quoted.trim_start_matches("\\").replace('\\', "");
        serde_json::from_str(unquoted.trim_matches('\'')).unwrap_or_else(|e| panic!("{e}: {unquoted}"))
    };
    let change = &batch["Changes"][0];
    assert_eq!(change["Action"], "UPSERT");
    let record = &change["ResourceRecordSet"];
    assert_eq!(
        (record["Name"].as_str(), record["Type"].as_str(), record["TTL"].as_i64()),
        (Some(name.as_str()), Some("A"), Some(10))
    );
    // Sorted as addresses, not as text: 10.30.2.200 before 10.30.16.9.
    assert_eq!(record["ResourceRecords"], serde_json::json!([{"Value": "10.30.2.200"}, {"Value": "10.30.16.9"}]));
    assert!(stdout(&first).contains(&format!("{name} -> 10.30.2.200 10.30.16.9")), "{}", stdout(&first));

    // Nothing changed: no write (Route 53 allows 5 requests per second per account).
    assert_code(&keep(), 0);
    assert_eq!(upserts(), 1);
    // No node in service: the record is kept as it is.
    node.state("in-service", "\n");
    let empty = keep();
    assert_code(&empty, 0);
    assert_eq!(upserts(), 1);
    assert!(stdout(&empty).contains("keeps its addresses"), "{}", stdout(&empty));
    // A node replaced: Route 53 throttles the write, the keeper fails (its timer runs it again), and the
    // next run writes, as nothing was recorded as written.
    node.state("in-service", "i-0a\ti-0d\n");
    node.state("instances", "i-0a 10.30.16.9\ni-0d 10.30.3.4\n");
    node.state("route53-fails", "Throttling");
    assert_ne!(keep().status.code(), Some(0));
    assert_eq!(upserts(), 2);
    std::fs::remove_file(node.path("state/route53-fails")).expect("route53 answers again");
    assert_code(&keep(), 0);
    assert_eq!(upserts(), 3);
    assert_eq!(node.read("/var/lib/clusterup/dns-written"), "10.30.3.4 10.30.16.9\n");
    // Fifteen minutes after its last write the keeper writes again, unchanged or not: a record someone
    // else changed is put right.
    assert_code(&keep(), 0);
    assert_eq!(upserts(), 3);
    let mark = node.on_node("/var/lib/clusterup/dns-written");
    let before = std::time::SystemTime::now() - std::time::Duration::from_secs(16 * 60);
    std::fs::File::options().write(true).open(&mark).and_then(|f| f.set_modified(before)).expect("set the mark back");
    assert_code(&keep(), 0);
    assert_eq!(upserts(), 4);
}
