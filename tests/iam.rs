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
