//! Contract with real AWS: the emulator accepts requests AWS refuses, so every request clusterup sends in
//! the lifecycle of every example (the full one: plan, apply, output, status, spark submit and jobs, an
//! update, a canary rollout, destroy; the others: plan, apply, status, destroy) is recorded through the
//! proxy and checked outside the emulator (scripts/contract/):
//!
//! - against AWS's own service models (botocore): operation, members, required, enums, lengths, ranges,
//!   patterns;
//! - every IAM policy document clusterup writes, with an IAM linter;
//! - every shell script it renders (user data, the EMR bootstrap action), with shellcheck;
//! - the operator policy `clusterup iam-policy` prints for each deployment: every request evaluated as
//!   IAM authorises it (scripts/contract/authorize.py), allowed, and denied in a neighbour's name;
//! - the roles' policies on the data plane (scripts/contract/data_plane.py): what the nodes, Spark and
//!   the steps do is allowed, the same on a neighbour's resources denied.
//!
//! The lifecycle runs once per test process; each check is its own test so one failure does not hide
//! another.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::fault_proxy::{FaultProxy, Schedule};
use crate::support::{assert_code, clusterup_with_endpoint, endpoint, Workspace};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The recorded lifecycle: a JSON line per request, kept under the target dir for a look by hand, and
/// the deployments it made, each with the operator policy `clusterup iam-policy` printed for it.
struct Recording {
    path: PathBuf,
    /// `DEPLOYMENT=POLICY.json`, for scripts/contract/authorize.py.
    policies: Vec<String>,
}

fn recording() -> &'static Recording {
    static RECORDING: OnceLock<Recording> = OnceLock::new();
    RECORDING.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract");
        let path = dir.join("requests.jsonl");
        let policies = record_lifecycle(&path, &dir);
        Recording { path, policies }
    })
}

/// The operator policy of the deployment in `ws`, from the real binary (the account and partition
/// are the caller's: the emulator's STS), written beside the recording.
fn operator_policy(ws: &Workspace, dir: &Path) -> String {
    let topology = ws.topology().to_string_lossy().into_owned();
    let out = clusterup_with_endpoint(endpoint(), &["iam-policy", &topology]);
    assert_code(&out, 0);
    let path = dir.join(format!("{}.policy.json", ws.name));
    std::fs::write(&path, &out.stdout).expect("write policy");
    format!("{}={}", ws.name, path.display())
}

/// Every example's lifecycle through one recording proxy, each request labelled `<deployment>:<phase>`:
/// the full example's plan, apply, output, status, exec, snapshots, a Spark job submitted and listed, an
/// update, a canary rollout and destroy; the others' plan, apply, status and destroy (the web tier with a
/// permissions boundary, so that the roles are made under it; node groups (weighted default route,
/// singleton, start order); spark-only, with EMR managed scaling, which
/// the launcher restores, and a job submitted).
fn record_lifecycle(path: &Path, dir: &Path) -> Vec<String> {
    // Policies of an earlier run's deployments would not match this recording.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".policy.json")) {
            std::fs::remove_file(entry.path()).expect("remove an old policy");
        }
    }
    let proxy = FaultProxy::start_recording(endpoint(), Schedule::PassThrough, path);
    let run = |ws: &Workspace, phase: &str, args: &[&str], code: i32| {
        proxy.set_phase(&format!("{}:{phase}", ws.name));
        assert_code(&clusterup_with_endpoint(&proxy.url, args), code);
    };
    let mut policies = Vec::new();

    let ws = Workspace::from_example("smarten-spark.yaml", "contract");
    let topology = ws.topology().to_string_lossy().into_owned();
    policies.push(operator_policy(&ws, dir));
    run(&ws, "plan", &["plan", &topology], 0);
    run(&ws, "apply", &["apply", "--yes", &topology], 0);
    run(&ws, "output", &["output", &ws.name], 0);
    run(&ws, "status", &["status", &topology], 0);
    // Run Command on the app nodes (SendCommand, GetCommandInvocation), and the snapshots listing.
    run(&ws, "exec", &["exec", &topology, "--", "true"], 0);
    run(&ws, "snapshots", &["snapshots", &topology], 0);
    let job = ws.dir.path().join("report_job.py");
    std::fs::write(&job, "print('report')\n").expect("job");
    run(&ws, "spark-submit", &["spark", "submit", "--no-wait", &topology, &job.to_string_lossy()], 0);
    run(&ws, "spark-jobs", &["spark", "jobs", &topology], 0);
    // An update of each family's usual kind: capacity (Auto Scaling), a tag on every resource, and the
    // instance type (a new launch template version).
    ws.edit("max: 6", "max: 8");
    ws.edit("team: bi", "team: analytics");
    ws.edit("instance_type: t3.large", "instance_type: t3.xlarge");
    run(&ws, "update", &["apply", "--yes", &topology], 0);
    // The next node type through a weighted canary: its target group, weighted forwards, the canary
    // group, the gate's health and CloudWatch reads (Smithy RPC v2 CBOR), the app group's refresh.
    ws.edit("instance_type: t3.xlarge", "instance_type: t3.2xlarge");
    run(
        &ws,
        "rollout",
        &["rollout", "--yes", "--canary", "50,100", "--step-time", "1s", "--metrics-delay", "0s", &topology],
        0,
    );
    run(&ws, "destroy", &["destroy", "--yes", "--delete-data", &topology], 0);

    for (example, prefix) in [
        ("web-tier.yaml", "contract-web"),
        ("smarten.yaml", "contract-db"),
        ("spark-only.yaml", "contract-so"),
        ("node-groups.yaml", "contract-ng"),
    ] {
        let ws = Workspace::from_example(example, prefix);
        if example == "web-tier.yaml" {
            let text = std::fs::read_to_string(ws.topology()).expect("read");
            let boundary = "iam:\n  permissions_boundary: arn:aws:iam::123456789012:policy/clusterup-boundary\n";
            // The alarms, their topic and its subscription: SNS and CloudWatch's creates and deletes.
            let alerts = "alerts:\n  email: [ops@example.com]\n";
            std::fs::write(ws.topology(), format!("{text}\n{boundary}{alerts}")).expect("write");
        }
        if example == "spark-only.yaml" {
            // The nodes' and EMR's use of an operator's disk encryption key, and the nodes' read of the
            // in-transit certificates, are part of the data plane.
            let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
            let certificates = "s3://contract-certs/emr/certificates.zip";
            let settings = format!("  disk_encryption_key: {key}\n  in_transit_certificates: {certificates}\n");
            ws.edit("\nspark:\n", &format!("\nspark:\n{settings}"));
        }
        let topology = ws.topology().to_string_lossy().into_owned();
        policies.push(operator_policy(&ws, dir));
        run(&ws, "plan", &["plan", &topology], 0);
        run(&ws, "apply", &["apply", "--yes", &topology], 0);
        run(&ws, "status", &["status", &topology], 0);
        if example == "spark-only.yaml" {
            // Its steps' access to their job is part of the data plane checked below.
            let job = ws.dir.path().join("job.py");
            std::fs::write(&job, "print('job')\n").expect("job");
            run(&ws, "spark-submit", &["spark", "submit", "--no-wait", &topology, &job.to_string_lossy()], 0);
        }
        run(&ws, "destroy", &["destroy", "--yes", "--delete-data", &topology], 0);
    }
    proxy.set_phase("");
    let lines = std::fs::read_to_string(path).expect("read recording").lines().count();
    assert!(lines >= 600, "only {lines} requests recorded in {}", path.display());
    eprintln!("contract: {lines} requests recorded in {}", path.display());
    policies
}

/// The contract tools' Python: CLUSTERUP_CONTRACT_VENV or .venv-contract (scripts/contract/install.sh).
fn python() -> PathBuf {
    let venv =
        std::env::var_os("CLUSTERUP_CONTRACT_VENV").map(PathBuf::from).unwrap_or_else(|| root().join(".venv-contract"));
    let python = venv.join("bin/python");
    assert!(python.exists(), "no {}: run `scripts/contract/install.sh` (scripts/test.sh does)", python.display());
    python
}

/// Run a checker of scripts/contract/ on the recording; its findings are the failure message.
#[track_caller]
fn check(script: &str, args: &[&str]) {
    let recording = &recording().path;
    let out = Command::new(python())
        .arg(root().join("scripts/contract").join(script))
        .args(args)
        .arg(recording)
        .current_dir(root())
        .output()
        .expect("run checker");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed on {}:\n{stdout}\n{stderr}", recording.display());
    eprintln!("{script}:\n{stdout}{stderr}");
}

#[test]
fn every_request_of_the_lifecycle_conforms_to_the_aws_service_models() {
    check("check_requests.py", &["--known", "scripts/contract/allowed/requests.txt"]);
}

#[test]
fn every_iam_policy_clusterup_writes_passes_the_iam_linter() {
    check("lint_policies.py", &["--known", "scripts/contract/allowed/policies.txt"]);
}

#[test]
fn every_script_clusterup_renders_passes_shellcheck() {
    check("shellcheck_scripts.py", &["--known", "scripts/contract/allowed/scripts.txt"]);
}

/// The operator policy of each deployment allows every call its lifecycle made, and src/ declares none
/// it does not allow; parliament finds nothing wrong in it.
#[test]
fn the_operator_policy_allows_every_call_of_the_lifecycle() {
    let policies = &recording().policies;
    let paths: Vec<&str> = policies.iter().filter_map(|p| p.split_once('=').map(|(_, path)| path)).collect();
    for path in paths {
        check("operator_policy.py", &["check", path]);
    }
}

/// Every request of the lifecycle, as IAM authorises it (action, resource ARNs, condition keys from the
/// Service Authorization Reference), is allowed by its deployment's operator policy, and denied when
/// made in a neighbour deployment's name.
#[test]
fn the_operator_policy_authorises_every_request_and_denies_the_neighbours() {
    let args: Vec<String> = recording().policies.iter().flat_map(|p| ["--policy".to_owned(), p.clone()]).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    check("authorize.py", &args);
}

/// What the nodes, Spark and its steps do with their roles is allowed by the role policies (and any
/// resource policy clusterup writes), and the same on a neighbour deployment's resources denied.
#[test]
fn the_roles_allow_the_data_plane_of_their_deployment_only() {
    let args: Vec<String> = recording()
        .policies
        .iter()
        .filter_map(|p| p.split_once('=').map(|(name, _)| name))
        .flat_map(|name| ["--deployment".to_owned(), name.to_owned()])
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    check("data_plane.py", &args);
}

/// The emulator's Python (moto and boto3): CLUSTERUP_VENV or .venv (scripts/emulator.sh install).
fn emulator_python() -> PathBuf {
    let venv = std::env::var_os("CLUSTERUP_VENV").map(PathBuf::from).unwrap_or_else(|| root().join(".venv"));
    let python = venv.join("bin/python");
    assert!(python.exists(), "no {}: run `scripts/emulator.sh install` (scripts/test.sh does)", python.display());
    python
}

/// The Spark nodes' role policy as clusterup sent it, under moto's own IAM enforcement (assumed-role
/// credentials): the node reads its deployment's job and bootstrap script, not the neighbour's; and with
/// the job statement planted out, the job read fails.
#[test]
fn under_motos_iam_enforcement_the_spark_nodes_read_their_jobs_only() {
    let recording = recording();
    let deployment = recording
        .policies
        .first()
        .and_then(|p| p.split_once('='))
        .map(|(name, _)| name.to_owned())
        .expect("full example");
    let run = |extra: &[&str]| {
        Command::new(emulator_python())
            .arg(root().join("scripts/contract/moto_enforced.py"))
            .args(["--deployment", &deployment])
            .args(extra)
            .arg(&recording.path)
            .current_dir(root().join("scripts/contract"))
            .env_remove("AWS_ENDPOINT_URL")
            .output()
            .expect("run moto_enforced.py")
    };
    let out = run(&[]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "moto_enforced.py failed:\n{text}");
    eprintln!("{text}");
    let planted = run(&["--drop-statement", "ReadJobs"]);
    let text = String::from_utf8_lossy(&planted.stdout);
    assert!(!planted.status.success() && text.contains("FAIL s3:GetObject") && text.contains("/jobs/"), "{text}");
}

/// The checkers themselves fail on planted defects (a checker that passes everything proves nothing).
#[test]
fn the_contract_checkers_fail_on_planted_defects() {
    let out = Command::new(python())
        .args(["-m", "unittest", "discover", "-s", "scripts/contract/tests", "-t", "scripts/contract", "-v"])
        .current_dir(root())
        .output()
        .expect("run self-tests");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "contract self-tests failed:\n{stdout}\n{stderr}");
    eprintln!("{stderr}");
}
