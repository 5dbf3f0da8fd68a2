//! The full lifecycle against the emulator, checked through independent AWS calls, not clusterup's view.

use aws_sdk_ec2::types::Filter;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
};

use crate::support::{assert_code, clients, clusterup, stderr, stdout, Clients, Workspace};

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

pub(crate) fn tag_filter(name: &str) -> Filter {
    Filter::builder().name("tag:clusterup:deployment").values(name).build()
}

/// Resources tagged with the deployment that are still live, per the tagging API.
pub(crate) async fn live_tagged(c: &Clients, name: &str) -> Vec<String> {
    let out = c
        .tagging
        .get_resources()
        .tag_filters(
            aws_sdk_resourcegroupstagging::types::TagFilter::builder().key("clusterup:deployment").values(name).build(),
        )
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("GetResources");
    let mut live = Vec::new();
    for arn in out.iter().filter_map(|m| m.resource_arn()) {
        // Final database snapshots are kept on purpose (and checked by the data tier tests), and so are
        // the log groups without --delete-data (kept, then deleted with it: tests/logs.rs).
        if arn.contains(":snapshot:") || arn.contains(":log-group:") {
            continue;
        }
        // Terminated instances and deleted NAT gateways stay listed for a while; they are gone.
        if let Some((_, id)) = arn.split_once(":instance/") {
            let d = c.ec2.describe_instances().instance_ids(id).send().await.expect("DescribeInstances");
            let state = d.reservations().iter().flat_map(|r| r.instances()).find_map(|i| i.state()?.name().cloned());
            if state == Some(aws_sdk_ec2::types::InstanceStateName::Terminated) {
                continue;
            }
        }
        if let Some((_, id)) = arn.split_once(":natgateway/") {
            let d = c.ec2.describe_nat_gateways().nat_gateway_ids(id).send().await.expect("DescribeNatGateways");
            if d.nat_gateways().iter().all(|n| n.state() == Some(&aws_sdk_ec2::types::NatGatewayState::Deleted)) {
                continue;
            }
        }
        live.push(arn.to_owned());
    }
    live
}

/// What the emulator holds for a deployment, counted independently.
#[derive(Debug, PartialEq)]
struct Inventory {
    vpcs: usize,
    subnets: usize,
    nat_gateways: usize,
    security_groups: usize,
    load_balancers: usize,
    auto_scaling_groups: usize,
    in_service: usize,
    healthy_targets: usize,
}

async fn inventory(c: &Clients, name: &str) -> Inventory {
    let vpcs = c.ec2.describe_vpcs().filters(tag_filter(name)).send().await.expect("vpcs").vpcs().len();
    let subnets = c.ec2.describe_subnets().filters(tag_filter(name)).send().await.expect("subnets").subnets().len();
    let nat_gateways = c
        .ec2
        .describe_nat_gateways()
        .filter(tag_filter(name))
        .filter(Filter::builder().name("state").values("available").values("pending").build())
        .send()
        .await
        .expect("nats")
        .nat_gateways()
        .iter()
        // moto's DescribeNatGateways ignores the tag filter and answers every deployment's gateways.
        .filter(|n| n.tags().iter().any(|t| t.key() == Some("clusterup:deployment") && t.value() == Some(name)))
        .count();
    let security_groups =
        c.ec2.describe_security_groups().filters(tag_filter(name)).send().await.expect("sgs").security_groups().len();
    let lbs = c.elb.describe_load_balancers().names(format!("{name}-alb")).send().await;
    let load_balancers = lbs.map(|o| o.load_balancers().len()).unwrap_or(0);
    let groups = c
        .autoscaling
        .describe_auto_scaling_groups()
        .filters(aws_sdk_autoscaling::types::Filter::builder().name("tag:clusterup:deployment").values(name).build())
        .send()
        .await
        .expect("asgs");
    let in_service = groups
        .auto_scaling_groups()
        .iter()
        .flat_map(|g| g.instances())
        .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
        .count();
    let mut healthy_targets = 0;
    for tg_arn in groups.auto_scaling_groups().iter().flat_map(|g| g.target_group_arns()) {
        let health = c.elb.describe_target_health().target_group_arn(tg_arn).send().await.expect("target health");
        healthy_targets += health
            .target_health_descriptions()
            .iter()
            .filter(|d| d.target_health().and_then(|h| h.state()).map(|s| s.as_str()) == Some("healthy"))
            .count();
    }
    Inventory {
        vpcs,
        subnets,
        nat_gateways,
        security_groups,
        load_balancers,
        auto_scaling_groups: groups.auto_scaling_groups().len(),
        in_service,
        healthy_targets,
    }
}

#[test]
fn apply_builds_exactly_the_topology_reapply_changes_nothing_destroy_leaves_nothing() {
    let ws = Workspace::from_example("web-tier.yaml", "life");
    let topology = ws.topology().to_string_lossy().into_owned();
    let c = block_on(clients());

    let applied = clusterup(&["apply", "--yes", &topology]);
    assert_code(&applied, 0);
    let out = stdout(&applied);
    // Outputs are aligned `key = value` lines; the URL is the load balancer's.
    let url = out
        .lines()
        .find_map(|line| line.strip_prefix("url").and_then(|rest| rest.trim_start().strip_prefix("= ")))
        .unwrap_or_else(|| panic!("no url output:\n{out}"));
    assert!(url.starts_with(&format!("http://{}-alb", ws.name)), "{url}");
    // Where the time went: the chain the run waited on, the longest actions, the calls made.
    let summary = stderr(&applied);
    assert!(summary.contains("Where the time went"), "{summary}");
    assert!(summary.contains("longest chain: ") && summary.contains("longest actions: "), "{summary}");
    assert!(summary.contains("AWS calls: ") && summary.contains("ec2 "), "{summary}");
    // When the URL first served with every node healthy, apart from the end of the apply.
    assert!(summary.contains("Serving after ") && summary.contains("every node healthy"), "{summary}");

    let built = block_on(inventory(&c, &ws.name));
    assert_eq!(
        built,
        Inventory {
            vpcs: 1,
            subnets: 4,
            nat_gateways: 1,
            security_groups: 2,
            load_balancers: 1,
            auto_scaling_groups: 1,
            in_service: 2,
            healthy_targets: 2,
        }
    );

    // The app group admits exactly the load balancer's group, on the app port, and nothing else.
    let groups = block_on(c.ec2.describe_security_groups().filters(tag_filter(&ws.name)).send()).expect("sgs");
    let alb =
        groups.security_groups().iter().find(|g| g.group_name() == Some(&format!("{}-alb", ws.name))).expect("alb sg");
    let app =
        groups.security_groups().iter().find(|g| g.group_name() == Some(&format!("{}-app", ws.name))).expect("app sg");
    let rules = app.ip_permissions();
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!((rules[0].from_port(), rules[0].to_port()), (Some(8080), Some(8080)));
    assert!(rules[0].ip_ranges().is_empty(), "app nodes must not be open to a CIDR: {rules:?}");
    let sources: Vec<_> = rules[0].user_id_group_pairs().iter().filter_map(|p| p.group_id()).collect();
    assert_eq!(sources, [alb.group_id().expect("id")]);

    // Second run: nothing to do, nothing created.
    let replan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&replan, 0);
    assert!(stdout(&replan).contains("No changes."), "{}", stdout(&replan));
    let reapply = clusterup(&["apply", "--yes", &topology]);
    assert_code(&reapply, 0);
    assert!(!stderr(&reapply).contains("creating"), "{}", stderr(&reapply));
    assert_eq!(block_on(inventory(&c, &ws.name)), built);

    // Outputs come from AWS, not from a local file.
    let output = clusterup(&["output", "--region", "us-east-1", "--json", &ws.name]);
    assert_code(&output, 0);
    let values: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON outputs");
    assert!(values["url"].as_str().is_some_and(|u| u.starts_with("http://")), "{values:#}");
    assert_eq!(values["auto_scaling_group"], format!("{}-app", ws.name).as_str());

    let destroyed = clusterup(&["destroy", "--yes", &topology]);
    assert_code(&destroyed, 0);
    assert!(stderr(&destroyed).contains("Verified: nothing tagged"), "{}", stderr(&destroyed));
    // The nodes' logs outlive the deployment, named as kept.
    let kept = format!("Kept: log group /clusterup/{}/app (", ws.name);
    assert!(stderr(&destroyed).contains(&kept), "{}", stderr(&destroyed));
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
    let after = block_on(inventory(&c, &ws.name));
    assert_eq!((after.vpcs, after.load_balancers, after.auto_scaling_groups, after.nat_gateways), (0, 0, 0, 0));
}

#[test]
fn apply_without_a_terminal_refuses_unless_yes_and_creates_nothing() {
    let ws = Workspace::from_example("web-tier.yaml", "notty");
    let out = clusterup(&["apply", &ws.topology().to_string_lossy()]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("refusing to apply without confirmation"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    let c = block_on(clients());
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());

    let destroy = clusterup(&["destroy", &ws.name, "--region", "us-east-1"]);
    assert_code(&destroy, 0); // nothing to destroy needs no confirmation
}

#[test]
fn changes_apply_in_place_and_drift_is_repaired() {
    let ws = Workspace::from_example("web-tier.yaml", "drift");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    // In-place changes: capacity and health check path (which the user data also carries, so the launch
    // template gets a new version). No replacement, nothing new.
    ws.edit("max: 4", "max: 6");
    ws.edit("path: /health", "path: /ready");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    let text = stdout(&plan);
    assert!(text.contains("~ app/auto-scaling-group"), "{text}");
    assert!(text.contains("~ load_balancer/target-group/app"), "{text}");
    assert!(text.contains("~ app/launch-template"), "{text}");
    assert!(text.contains("Plan: 0 to add, 3 to change, 0 to replace, 0 to destroy."), "{text}");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // Someone deletes the listener by hand: plan sees it, apply puts it back.
    let c = block_on(clients());
    let lb = block_on(c.elb.describe_load_balancers().names(format!("{}-alb", ws.name)).send()).expect("lb");
    let lb_arn = lb.load_balancers()[0].load_balancer_arn().expect("arn").to_owned();
    let listeners = block_on(c.elb.describe_listeners().load_balancer_arn(&lb_arn).send()).expect("listeners");
    let listener = listeners.listeners()[0].listener_arn().expect("arn").to_owned();
    block_on(c.elb.delete_listener().listener_arn(listener).send()).expect("delete listener");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    assert!(stdout(&plan).contains("+ load_balancer/listener/80"), "{}", stdout(&plan));
    assert!(stdout(&plan).contains("Plan: 1 to add, 0 to change"), "{}", stdout(&plan));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // Someone makes the listener redirect to HTTPS: plan shows the redirect it found (not a forward to
    // nothing), apply puts the forward back.
    let listeners = block_on(c.elb.describe_listeners().load_balancer_arn(&lb_arn).send()).expect("listeners");
    let listener = listeners.listeners()[0].listener_arn().expect("arn").to_owned();
    let redirect = RedirectActionConfig::builder()
        .protocol("HTTPS")
        .port("443")
        .status_code(RedirectActionStatusCodeEnum::Http301)
        .build();
    let action = Action::builder().r#type(ActionTypeEnum::Redirect).redirect_config(redirect).build();
    block_on(c.elb.modify_listener().listener_arn(&listener).default_actions(action).send()).expect("redirect");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    let text = stdout(&plan);
    assert!(text.contains("~ load_balancer/listener/80"), "{text}");
    assert!(
        text.contains(r#"default_action : {redirect: {port: "443", protocol: "HTTPS", status_code: "HTTP_301"}} -> "#),
        "{text}"
    );
    assert!(text.contains("Plan: 0 to add, 1 to change"), "{text}");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    let listeners = block_on(c.elb.describe_listeners().listener_arns(&listener).send()).expect("listener");
    assert_eq!(listeners.listeners()[0].default_actions()[0].r#type(), Some(&ActionTypeEnum::Forward));

    // The topology file is gone: destroy by name still finds everything through tags.
    std::fs::remove_file(ws.topology()).expect("remove topology");
    let destroyed = clusterup(&["destroy", "--yes", &ws.name, "--region", "us-east-1"]);
    assert_code(&destroyed, 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}

#[test]
fn deployments_side_by_side_never_touch_each_other() {
    let a = Workspace::from_example("web-tier.yaml", "side-a");
    let b = Workspace::from_example("web-tier.yaml", "side-b");
    // Same CIDR on purpose: two VPCs may overlap; nothing but the tags tells them apart.
    let (ta, tb) = (a.topology().to_string_lossy().into_owned(), b.topology().to_string_lossy().into_owned());
    assert_code(&clusterup(&["apply", "--yes", &ta]), 0);
    assert_code(&clusterup(&["apply", "--yes", &tb]), 0);
    let c = block_on(clients());
    let before = block_on(inventory(&c, &b.name));

    assert_code(&clusterup(&["destroy", "--yes", &ta]), 0);
    assert_eq!(block_on(live_tagged(&c, &a.name)), Vec::<String>::new());
    assert_eq!(block_on(inventory(&c, &b.name)), before, "destroying one deployment changed the other");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &tb]), 0);
    assert_code(&clusterup(&["destroy", "--yes", &tb]), 0);
}

#[test]
fn destroying_a_deployment_that_does_not_exist_succeeds_and_says_where_it_looked() {
    let name = crate::support::unique_name("nowhere");
    let out = clusterup(&["destroy", "--yes", &name, "--region", "us-east-1"]);
    assert_code(&out, 0);
    let text = stderr(&out);
    assert!(
        text.contains(&format!("Nothing to destroy: no resource is tagged clusterup:deployment={name} in us-east-1")),
        "{text}"
    );
    assert!(text.contains("wrong --region or --profile?"), "the same hint as `output`: {text}");
}

#[test]
fn destroy_name_follows_the_topology_name_rules_before_any_aws_call() {
    let counter = crate::support::CallCounter::start();
    for (bad, why) in [
        ("Web_Tier", "use lowercase letters, digits and hyphens only"),
        ("web--tier", "two hyphens in a row"),
        ("a-name-far-too-long-for-aws", "at most 21"),
        ("9lives", "must start with a lowercase letter"),
    ] {
        // The name as every command takes it, and as `--name`, the older spelling scripts may still use.
        for args in [vec!["destroy", "--yes", bad], vec!["destroy", "--yes", "--name", bad]] {
            let out = crate::support::clusterup_with_endpoint(&counter.url, &args);
            assert!(!out.status.success(), "{args:?} was accepted");
            assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
        }
    }
    assert_eq!(counter.connections(), 0, "a bad name must not reach AWS");
}
