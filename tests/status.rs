//! `clusterup status` against the emulator: healthy, then each way a tier goes wrong behind clusterup's
//! back (a target leaves the target group, a node is stopped), each an exit 3 naming the tier and the
//! reason; the JSON checked against its published schema; `--watch` without a terminal.

use aws_sdk_elasticloadbalancingv2::types::TargetDescription;

use crate::apply_destroy::block_on;
use crate::support::{assert_code, clients, clusterup, stdout, Workspace};

/// The published schema of `status --json`.
pub(crate) fn schema() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/status.schema.json")).expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

/// `status --json` of `target`, checked against the schema; the exit code and the document.
pub(crate) fn status_json(target: &str) -> (Option<i32>, serde_json::Value) {
    let out = clusterup(&["status", "--region", "us-east-1", "--json", target]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|err| panic!("status --json is not JSON ({err}):\n{}", stdout(&out)));
    let errors: Vec<String> = schema().iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "status --json does not follow docs/status.schema.json: {errors:#?}\n{doc:#}");
    (out.status.code(), doc)
}

/// The verdict line: the last line of the human report.
fn verdict(out: &std::process::Output) -> String {
    stdout(out).lines().last().unwrap_or_default().to_owned()
}

#[test]
fn status_is_healthy_then_names_the_tier_and_reason_of_each_fault_with_exit_3() {
    let ws = Workspace::from_example("web-tier.yaml", "status");
    let topology = ws.topology().to_string_lossy().into_owned();
    let name = ws.name.clone();
    let c = block_on(clients());
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    let healthy = clusterup(&["status", &topology]);
    assert_code(&healthy, 0);
    assert_eq!(verdict(&healthy), "healthy: every tier is healthy");
    let text = stdout(&healthy);
    for tier in ["load balancer", "app", "listeners", "targets", "rollout"] {
        assert!(text.contains(tier), "{tier} missing from:\n{text}");
    }
    // The emulator launcher answers DescribeInstanceRefreshes as AWS does: none after a first apply.
    assert!(text.contains("no instance refresh in progress"), "{text}");
    let (code, doc) = status_json(&name);
    assert_eq!(code, Some(0));
    assert_eq!(doc["verdict"]["health"], "healthy");
    assert_eq!(doc["tiers"]["app"]["groups"][0]["instances"].as_array().map(Vec::len), Some(2));
    assert!(doc["tiers"]["database"].is_null() && doc["tiers"]["spark"].is_null(), "web-tier has neither");

    let group = block_on(
        c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(format!("{name}-app").as_str()).send(),
    )
    .expect("group");
    let group = &group.auto_scaling_groups()[0];
    let tg = group.target_group_arns()[0].clone();
    let mut nodes: Vec<String> = group.instances().iter().filter_map(|i| i.instance_id().map(str::to_owned)).collect();
    nodes.sort();

    // A node taken out of the target group behind clusterup's back.
    let target = TargetDescription::builder().id(&nodes[0]).port(8080).build();
    block_on(c.elb.deregister_targets().target_group_arn(&tg).targets(target.clone()).send()).expect("deregister");
    let out = clusterup(&["status", &topology]);
    assert_code(&out, 3);
    assert_eq!(
        verdict(&out),
        format!("degraded: load balancer: node {} is in service but not registered with the target group", nodes[0])
    );
    let (code, doc) = status_json(&name);
    assert_eq!((code, doc["verdict"]["health"].as_str()), (Some(3), Some("degraded")));
    assert_eq!(doc["verdict"]["reasons"][0]["tier"], "load balancer");
    block_on(c.elb.register_targets().target_group_arn(&tg).targets(target).send()).expect("register");
    assert_code(&clusterup(&["status", &topology]), 0);

    // A node stopped: the target group reports why, EC2 says stopped.
    block_on(c.ec2.stop_instances().instance_ids(&nodes[1]).send()).expect("stop");
    let out = clusterup(&["status", &topology]);
    assert_code(&out, 3);
    let line = verdict(&out);
    assert!(line.starts_with("degraded: "), "{line}");
    assert!(
        line.contains(&format!(
            "load balancer: target {} is unused (Target.InvalidState: Target is in the stopped state)",
            nodes[1]
        )),
        "{line}"
    );
    assert!(line.contains(&format!("app: node {} in ", nodes[1])) && line.contains(" is stopped"), "{line}");
    assert!(line.contains("1 of 2 nodes serving"), "{line}");
    let (code, doc) = status_json(&name);
    assert_eq!(code, Some(3));
    let tiers: Vec<&str> =
        doc["verdict"]["reasons"].as_array().expect("reasons").iter().filter_map(|r| r["tier"].as_str()).collect();
    assert!(tiers.contains(&"app") && tiers.contains(&"load balancer"), "{tiers:?}");

    // --watch without a terminal: one plain report per read, the exit code of the last.
    let watched = clusterup(&["status", "--watch", "--interval", "1", "--count", "2", &topology]);
    assert_code(&watched, 3);
    let text = stdout(&watched);
    assert_eq!(text.matches("Deployment ").count(), 2, "two reads:\n{text}");
    assert!(!text.contains('\x1b'), "no escape codes without a terminal");
    let watched =
        clusterup(&["status", "--watch", "--json", "--interval", "1", "--count", "2", &name, "--region", "us-east-1"]);
    let text = stdout(&watched);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "one JSON document per line");
    for line in lines {
        let doc: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        assert!(schema().is_valid(&doc));
    }

    // On a terminal (a pseudo-terminal from script(1)), each read redraws the screen in place.
    let command = format!("{} status --watch --interval 1 --count 2 {topology}", env!("CARGO_BIN_EXE_clusterup"));
    let mut tty = std::process::Command::new("script");
    tty.args(["-qec", &command, "/dev/null"])
        .env("AWS_ENDPOINT_URL", crate::support::endpoint())
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null());
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        tty.env("AWS_ACCESS_KEY_ID", "test").env("AWS_SECRET_ACCESS_KEY", "test");
    }
    let on_tty = tty.output().expect("run under script(1)");
    let text = stdout(&on_tty);
    assert_eq!(text.matches("\x1b[H\x1b[2J").count(), 2, "one redraw per read:\n{text:?}");

    // What it costs now: the two t3.small nodes, the load balancer, the NAT gateway and its address, the
    // private hosted zone ($0.50 a month).
    let priced = clusterup(&["status", "--cost", &topology]);
    assert_code(&priced, 3);
    let text = stdout(&priced);
    assert!(text.contains("Estimated cost (us-east-1, on demand, list prices read 2026-11-30)"), "{text}");
    assert!(text.contains("2 x t3.small"), "{text}");
    let (_, doc) = {
        let out = clusterup(&["status", "--cost", "--json", &topology]);
        (out.status.code(), serde_json::from_str::<serde_json::Value>(&stdout(&out)).expect("json"))
    };
    assert!(schema().is_valid(&doc), "{doc:#}");
    let total = doc["cost"]["total_hourly"].as_f64().expect("total");
    // The JSON rounds figures to the millionth.
    assert!((total - (2.0 * 0.0208 + 0.0225 + 0.045 + 0.005 + 0.5 / 730.0)).abs() < 1e-6, "{total}");

    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
    // Nothing left: not a deployment any more.
    let gone = clusterup(&["status", "--region", "us-east-1", &name]);
    assert_code(&gone, 1);
    assert!(crate::support::stderr(&gone).contains(&format!("no deployment named {name} in us-east-1")));
}

/// The Price List API is on AWS only: asked elsewhere, `--pricing-api` fails naming the call and the
/// price, and says how to do without (its answers are read with SDK mocks in src/cost/api.rs).
#[test]
fn plan_pricing_api_where_there_is_none_names_the_call_and_the_way_out() {
    let ws = Workspace::from_example("web-tier.yaml", "pricing");
    let out = clusterup(&["plan", "--pricing-api", &ws.topology().to_string_lossy()]);
    assert_code(&out, 1);
    let err = crate::support::stderr(&out);
    assert!(err.contains("per hour: GetProducts failed:"), "{err}");
    assert!(err.contains("without --pricing-api the estimate uses the price table in the repository"), "{err}");
}
