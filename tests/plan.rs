//! `plan` against the emulator: the diff, exit codes, JSON and saved plans.

use crate::apply_destroy::block_on;
use crate::support::fault_proxy::{FaultProxy, Schedule};
use crate::support::{assert_code, clients, clusterup, clusterup_with_env, endpoint, stderr, stdout, Workspace};

#[test]
fn plan_on_an_empty_account_creates_everything_and_exits_2() {
    let ws = Workspace::from_example("web-tier.yaml", "plan-empty");
    let topology = ws.topology().to_string_lossy().into_owned();
    let validate = clusterup(&["validate", &topology]);
    assert_code(&validate, 0);

    let out = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&out, 2);
    let text = stdout(&out);
    // The changes, without the cost section that follows them (its lines carry the same symbols).
    let changes = text.split("\nEstimated cost").next().unwrap_or_default();
    let resource_lines: Vec<&str> =
        changes.lines().filter(|l| l.contains(" (") && l.trim_start().starts_with(['+', '~', '-'])).collect();
    assert!(resource_lines.len() >= 18, "{text}");
    assert!(resource_lines.iter().all(|l| l.trim_start().starts_with("+ ")), "{text}");
    assert!(
        text.contains(&format!("Plan: {} to add, 0 to change, 0 to replace, 0 to destroy.", resource_lines.len())),
        "{text}"
    );
    // Where the time will go: the load balancer and the nodes are the long steps of this topology.
    let estimate =
        text.lines().find(|l| l.starts_with("Estimated time on AWS: about ")).unwrap_or_else(|| panic!("{text}"));
    assert!(estimate.contains("load_balancer/alb") || estimate.contains("app/auto-scaling-group"), "{estimate}");

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

/// Discovery asks each family a fixed number of questions, never one per resource: the calls `plan`
/// makes for the full example are the same with 2 app nodes and with 50.
#[test]
fn plan_discovery_calls_stay_the_same_when_app_capacity_grows_from_2_to_50() {
    let ws = Workspace::from_example("smarten-spark.yaml", "calls");
    let path = ws.topology().to_string_lossy().into_owned();
    let plan_calls = || {
        let proxy = FaultProxy::start(endpoint(), Schedule::PassThrough);
        let out = clusterup_with_env(&proxy.url, &["plan", "--detailed-exitcode", &path], &[]);
        assert_code(&out, 0);
        // The count plan prints is the count that reached the wire.
        let printed = format!("AWS calls: {} (", proxy.requests());
        assert!(stderr(&out).contains(&printed), "expected {printed:?} in:\n{}", stderr(&out));
        proxy.requests()
    };
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    let with_2 = plan_calls();
    ws.edit("    min: 2\n    desired: 2\n    max: 6", "    min: 50\n    desired: 50\n    max: 50");
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    let c = block_on(clients());
    let group = block_on(
        c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(format!("{}-app", ws.name)).send(),
    )
    .expect("group");
    assert_eq!(group.auto_scaling_groups()[0].instances().len(), 50, "the group really runs 50 nodes");
    let with_50 = plan_calls();
    assert_eq!(with_2, with_50, "plan made {with_2} calls with 2 app nodes and {with_50} with 50");
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &path]), 0);
    eprintln!("plan discovery: {with_2} calls for the full example with 2 app nodes and with 50");
}

/// Day 2 on the node count of a group that scales on CPU: the autoscaler owns `desired` after creation,
/// the plan says so instead of hiding it, `--set-desired` sets it, and a new `min` above it raises it.
#[test]
fn desired_under_a_scaling_policy_is_reported_set_on_request_and_raised_with_min() {
    let ws = Workspace::from_example("web-tier.yaml", "desired");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let c = block_on(clients());
    let group = format!("{}-app", ws.name);
    let desired_now = || {
        let out = block_on(c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&group).send())
            .expect("DescribeAutoScalingGroups");
        out.auto_scaling_groups()[0].desired_capacity()
    };

    ws.edit("    min: 2\n    desired: 2", "    min: 2\n    desired: 3");
    // Nothing to change (the autoscaler owns it), said in the plan and its JSON; -q prints just the line.
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 0);
    assert!(
        stdout(&plan).contains("desired 2 -> 3 ignored: auto scaling owns it; pass --set-desired to force"),
        "{}",
        stdout(&plan)
    );
    let quiet = clusterup(&["plan", "-q", &topology]);
    assert_eq!(stdout(&quiet), format!("No changes. Deployment {} (us-east-1) matches the topology.\n", ws.name));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&clusterup(&["plan", "--json", &topology]))).expect("JSON plan");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["changes"][0]["address"], "app/auto-scaling-group", "{json:#}");
    assert_eq!(json["changes"][0]["action"], "no_op", "{json:#}");
    assert!(json["changes"][0]["notes"][0].as_str().is_some_and(|n| n.starts_with("desired 2 -> 3 ignored")));

    // --set-desired sets it, through the real binary.
    let forced = clusterup(&["plan", "-q", "--detailed-exitcode", "--set-desired", &topology]);
    assert_code(&forced, 2);
    assert_eq!(stdout(&forced), "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.\n");
    assert_code(&clusterup(&["apply", "--yes", "--set-desired", &topology]), 0);
    assert_eq!(desired_now(), Some(3));

    // A min above the current count raises it with min (AWS refuses a count below min).
    ws.edit("    min: 2\n    desired: 3\n    max: 4", "    min: 4\n    desired: 4\n    max: 5");
    let raised = clusterup(&["plan", &topology]);
    assert!(stdout(&raised).contains("# desired 3 -> 4: kept within the new min and max"), "{}", stdout(&raised));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_eq!(desired_now(), Some(4));
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
}
