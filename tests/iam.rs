//! IAM: the permissions boundary on the roles clusterup makes, and the operator policy it prints.

use crate::apply_destroy::block_on;
use crate::support::{assert_code, clients, clusterup, stdout, Workspace};

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/clusterup-boundary";

/// The boundary of the app role, as IAM has it (None without one).
fn app_role_boundary(name: &str) -> Option<String> {
    block_on(async {
        let c = clients().await;
        let role = c.iam.get_role().role_name(format!("{name}-us-east-1-app")).send().await.expect("GetRole");
        role.role().and_then(|r| r.permissions_boundary()).and_then(|b| b.permissions_boundary_arn()).map(str::to_owned)
    })
}

#[test]
fn the_permissions_boundary_is_put_on_every_role_and_taken_off_when_the_setting_goes() {
    let ws = Workspace::from_example("web-tier.yaml", "boundary");
    let topology = ws.topology().to_string_lossy().into_owned();
    // Built without a boundary, then given one: the existing role gets it in place.
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_eq!(app_role_boundary(&ws.name), None);
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    std::fs::write(ws.topology(), format!("{text}\niam:\n  permissions_boundary: {BOUNDARY}\n")).expect("write");
    let plan = clusterup(&["plan", &topology]);
    assert_code(&plan, 0);
    assert!(stdout(&plan).contains("permissions_boundary"), "{}", stdout(&plan));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_eq!(app_role_boundary(&ws.name).as_deref(), Some(BOUNDARY));
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    // Without the setting the boundary goes.
    ws.edit(&format!("iam:\n  permissions_boundary: {BOUNDARY}\n"), "");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_eq!(app_role_boundary(&ws.name), None);
    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
}

#[test]
fn a_role_created_with_a_boundary_has_it_from_its_first_call() {
    let ws = Workspace::from_example("web-tier.yaml", "boundary-new");
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    std::fs::write(ws.topology(), format!("{text}\niam:\n  permissions_boundary: {BOUNDARY}\n")).expect("write");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_eq!(app_role_boundary(&ws.name).as_deref(), Some(BOUNDARY));
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
}

fn policy_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

fn resources(policy: &serde_json::Value) -> Vec<String> {
    let mut all = Vec::new();
    for statement in policy["Statement"].as_array().expect("statements") {
        match &statement["Resource"] {
            serde_json::Value::Array(items) => all.extend(items.iter().filter_map(|r| r.as_str().map(str::to_owned))),
            serde_json::Value::String(one) => all.push(one.clone()),
            _ => {}
        }
    }
    all
}

/// With --account the policy is made offline: no AWS call, the partition the region's or the one given.
#[test]
fn iam_policy_prints_the_operator_policy_offline_with_an_account() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/smarten-spark.yaml");
    let counter = crate::support::CallCounter::start();
    let out =
        crate::support::clusterup_with_endpoint(&counter.url, &["iam-policy", example, "--account", "210987654321"]);
    assert_code(&out, 0);
    assert_eq!(counter.connections(), 0, "iam-policy --account must not call AWS");
    let policy = policy_of(&out);
    let all = resources(&policy);
    assert!(all.contains(&"arn:aws:iam::210987654321:role/smarten-spark-us-east-1-spark-node".to_owned()), "{all:?}");
    assert!(all.iter().all(|r| r == "*" || r.starts_with("arn:aws:")), "{all:?}");
    // The committed example is this command's output for account 123456789012.
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/iam-policy.json")).expect("read");
    let out =
        crate::support::clusterup_with_endpoint(&counter.url, &["iam-policy", example, "--account", "123456789012"]);
    assert_eq!(stdout(&out), committed, "docs/iam-policy.json is stale: regenerate it with this command");

    let out = crate::support::clusterup_with_endpoint(
        &counter.url,
        &["iam-policy", example, "--account", "210987654321", "--partition", "aws-us-gov"],
    );
    assert_code(&out, 0);
    assert!(resources(&policy_of(&out)).iter().all(|r| r == "*" || r.starts_with("arn:aws-us-gov:")));
    // A usage error, which clusterup exits 1 with (tests/cli_offline.rs).
    let out = crate::support::clusterup_with_endpoint(&counter.url, &["iam-policy", example, "--account", "12345"]);
    assert_code(&out, 1);
    assert!(crate::support::stderr(&out).contains("is not an AWS account id"), "{}", crate::support::stderr(&out));
}

/// Without --account, the account and partition are the caller's.
#[test]
fn iam_policy_takes_the_account_of_the_caller() {
    let ws = Workspace::from_example("web-tier.yaml", "iampolicy");
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    std::fs::write(ws.topology(), format!("{text}\niam:\n  permissions_boundary: {BOUNDARY}\n")).expect("write");
    let out = clusterup(&["iam-policy", &ws.topology().to_string_lossy()]);
    assert_code(&out, 0);
    let policy = policy_of(&out);
    let all = resources(&policy);
    let role = format!("arn:aws:iam::123456789012:role/{}-us-east-1-app", ws.name);
    assert!(all.contains(&role), "{all:?}");
    let create = policy["Statement"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["Sid"] == "IamCreateRole"))
        .expect("CreateRole");
    assert_eq!(create["Condition"]["StringEquals"]["iam:PermissionsBoundary"], BOUNDARY);
}
