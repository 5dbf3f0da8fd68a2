//! `plan` against the emulator: the diff, exit codes, JSON and saved plans.

use crate::support::{assert_code, clusterup, stderr, stdout, Workspace};

#[test]
fn plan_on_an_empty_account_creates_everything_and_exits_2() {
    let ws = Workspace::from_example("web-tier.yaml", "plan-empty");
    let topology = ws.topology().to_string_lossy().into_owned();
    let validate = clusterup(&["validate", &topology]);
    assert_code(&validate, 0);

    let out = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&out, 2);
    let text = stdout(&out);
    let resource_lines: Vec<&str> =
        text.lines().filter(|l| l.contains(" (") && l.trim_start().starts_with(['+', '~', '-'])).collect();
    assert!(resource_lines.len() >= 18, "{text}");
    assert!(resource_lines.iter().all(|l| l.trim_start().starts_with("+ ")), "{text}");
    assert!(
        text.contains(&format!("Plan: {} to add, 0 to change, 0 to replace, 0 to destroy.", resource_lines.len())),
        "{text}"
    );

    // Without --detailed-exitcode, changes are not an error.
    assert_code(&clusterup(&["plan", &topology]), 0);
}

#[test]
fn plan_json_lists_the_changes() {
    let ws = Workspace::from_example("web-tier.yaml", "plan-json");
    let out = clusterup(&["plan", "--json", &ws.topology().to_string_lossy()]);
    assert_code(&out, 0);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON plan");
    assert_eq!(plan["deployment"], ws.name.as_str());
    let changes = plan["changes"].as_array().expect("changes");
    assert!(changes.iter().all(|c| c["action"] == "create"), "{plan:#}");
    assert!(changes.iter().any(|c| c["address"] == "load_balancer/alb"), "{plan:#}");
    assert_eq!(plan["summary"]["add"].as_u64(), Some(changes.len() as u64));
}

#[test]
fn saved_plan_applies_and_a_stale_one_is_refused() {
    let ws = Workspace::from_example("web-tier.yaml", "plan-saved");
    let topology = ws.topology().to_string_lossy().into_owned();
    let saved = ws.dir.path().join("web.plan.json").to_string_lossy().into_owned();
    assert_code(&clusterup(&["plan", "--out", &saved, &topology]), 0);

    // The topology changes after the plan was saved: applying the old plan is refused.
    ws.edit("max: 4", "max: 5");
    let stale = clusterup(&["apply", &saved]);
    assert_code(&stale, 1);
    assert!(stderr(&stale).contains("changed since the plan"), "{}", stderr(&stale));

    // A fresh saved plan applies without a prompt (it was reviewed when saved).
    assert_code(&clusterup(&["plan", "--out", &saved, &topology]), 0);
    let applied = clusterup(&["apply", &saved]);
    assert_code(&applied, 0);
    assert!(stdout(&applied).contains("url"), "{}", stdout(&applied));
    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
}

#[test]
fn region_flag_must_match_the_topology() {
    let ws = Workspace::from_example("web-tier.yaml", "plan-region");
    let out = clusterup(&["plan", "--region", "eu-west-1", &ws.topology().to_string_lossy()]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("does not match the topology's region us-east-1"), "{}", stderr(&out));
}
