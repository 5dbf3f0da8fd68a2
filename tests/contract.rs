//! Contract with real AWS: the emulator accepts requests AWS refuses, so every request clusterup sends in
//! the full lifecycle of examples/smarten-spark.yaml (plan, apply, output, an update, a canary rollout,
//! destroy) is recorded through the proxy and checked outside the emulator (scripts/contract/):
//!
//! - against AWS's own service models (botocore): operation, members, required, enums, lengths, ranges,
//!   patterns;
//! - every IAM policy document clusterup writes, with an IAM linter;
//! - every shell script it renders (user data, the EMR bootstrap action), with shellcheck;
//! - the documented operator policy (docs/iam-policy.json) against the calls made.
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

/// The recorded lifecycle: a JSON line per request, kept under the target dir for a look by hand.
fn recording() -> &'static Path {
    static RECORDING: OnceLock<PathBuf> = OnceLock::new();
    RECORDING.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract").join("requests.jsonl");
        record_lifecycle(&path);
        path
    })
}

fn record_lifecycle(path: &Path) {
    let ws = Workspace::from_example("smarten-spark.yaml", "contract");
    let topology = ws.topology().to_string_lossy().into_owned();
    let proxy = FaultProxy::start_recording(endpoint(), Schedule::PassThrough, path);
    let run = |phase: &str, args: &[&str], code: i32| {
        proxy.set_phase(phase);
        assert_code(&clusterup_with_endpoint(&proxy.url, args), code);
    };
    run("plan", &["plan", &topology], 0);
    run("apply", &["apply", "--yes", &topology], 0);
    run("output", &["output", &ws.name], 0);
    // An update of each family's usual kind: capacity (Auto Scaling), a tag on every resource, and the
    // instance type (a new launch template version).
    ws.edit("max: 6", "max: 8");
    ws.edit("team: bi", "team: analytics");
    ws.edit("instance_type: t3.large", "instance_type: t3.xlarge");
    run("update", &["apply", "--yes", &topology], 0);
    // The next node type through a weighted canary: its target group, weighted forwards, the canary
    // group, the gate's health and CloudWatch reads (Smithy RPC v2 CBOR), the app group's refresh.
    ws.edit("instance_type: t3.xlarge", "instance_type: t3.2xlarge");
    run(
        "rollout",
        &["rollout", "--yes", "--canary", "50,100", "--step-time", "1s", "--metrics-delay", "0s", &topology],
        0,
    );
    run("destroy", &["destroy", "--yes", "--delete-data", &topology], 0);
    proxy.set_phase("");
    let lines = std::fs::read_to_string(path).expect("read recording").lines().count();
    assert!(lines >= 300, "only {lines} requests recorded in {}", path.display());
    eprintln!("contract: {lines} requests recorded in {}", path.display());
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
    let recording = recording();
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

#[test]
fn the_documented_operator_policy_allows_every_call_of_the_lifecycle() {
    check("operator_policy.py", &["check", "docs/iam-policy.json"]);
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
