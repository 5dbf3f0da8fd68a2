//! Node groups through the real binary on the project's emulator: several groups read back from AWS
//! (their Auto Scaling groups, the singleton's limits, the weighted default route, the groups outside
//! the load balancer), the start order in the recorded requests, and `app:` rewritten as
//! `node_groups: { app: ... }` planning no change.

use aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum;

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::fault_proxy::{FaultProxy, Schedule};
use crate::support::{assert_code, clients, clusterup, clusterup_with_endpoint, endpoint, stderr, stdout, Workspace};

/// The operations of a recording, in order, with the Auto Scaling group each names (if any).
fn operations(recording: &std::path::Path) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(recording).expect("read recording");
    text.lines()
        .map(|line| {
            let request: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let body = request["body"].as_str().unwrap_or_default().to_owned();
            let field =
                |name: &str| body.split('&').find_map(|pair| pair.strip_prefix(&format!("{name}="))).map(str::to_owned);
            (field("Action").unwrap_or_default(), field("AutoScalingGroupName"))
        })
        .collect()
}

#[test]
fn node_groups_apply_with_their_limits_routes_and_start_order_and_destroy() {
    let ws = Workspace::from_example("node-groups.yaml", "ng");
    let path = ws.topology().to_string_lossy().into_owned();
    let recording = ws.dir.path().join("requests.jsonl");
    let proxy = FaultProxy::start_recording(endpoint(), Schedule::PassThrough, &recording);
    let applied = clusterup_with_endpoint(&proxy.url, &["apply", "--yes", &path]);
    assert_code(&applied, 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);
    let name = |group: &str| format!("{}-{group}", ws.name);

    let aws = block_on(clients());
    let described = block_on(
        aws.autoscaling
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(
                ["web", "web-small", "api", "coordinator", "workers"].map(name).to_vec(),
            ))
            .send(),
    )
    .expect("DescribeAutoScalingGroups");
    let group = |g: &str| {
        described
            .auto_scaling_groups()
            .iter()
            .find(|a| a.auto_scaling_group_name() == Some(name(g).as_str()))
            .unwrap_or_else(|| panic!("no Auto Scaling group for {g}"))
    };
    // The singleton: one node in all zones, replaced terminate-first.
    let coordinator = group("coordinator");
    assert_eq!(
        (coordinator.min_size(), coordinator.desired_capacity(), coordinator.max_size()),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(coordinator.instances().len(), 1);
    // Groups outside the load balancer: no target group, EC2 health checks.
    for g in ["coordinator", "workers"] {
        assert!(group(g).target_group_arns().is_empty(), "{g}");
        assert_eq!(group(g).health_check_type(), Some("EC2"), "{g}");
    }
    assert_eq!(group("workers").instances().len(), 2);

    // The default route: one forward, weighted 3:1 between the two web groups' target groups.
    let lbs = block_on(aws.elb.describe_load_balancers().names(format!("{}-alb", ws.name)).send()).expect("lb");
    let lb_arn = lbs.load_balancers()[0].load_balancer_arn().expect("arn").to_owned();
    let listeners = block_on(aws.elb.describe_listeners().load_balancer_arn(&lb_arn).send()).expect("listeners");
    let action = &listeners.listeners()[0].default_actions()[0];
    assert_eq!(action.r#type(), Some(&ActionTypeEnum::Forward));
    let tgs = block_on(aws.elb.describe_target_groups().names(name("web")).names(name("web-small")).send())
        .expect("target groups");
    let arn_of = |g: &str| {
        tgs.target_groups()
            .iter()
            .find(|t| t.target_group_name() == Some(name(g).as_str()))
            .and_then(|t| t.target_group_arn())
            .expect("target group")
            .to_owned()
    };
    let mut weights: Vec<(String, i32)> = action
        .forward_config()
        .expect("a forward config")
        .target_groups()
        .iter()
        .map(|t| (t.target_group_arn().expect("arn").to_owned(), t.weight().expect("weight")))
        .collect();
    weights.sort();
    let mut wanted = vec![(arn_of("web"), 3), (arn_of("web-small"), 1)];
    wanted.sort();
    assert_eq!(weights, wanted);

    // The api group's path route: a rule on the listener, forwarding /api/* to its target group.
    let rules =
        block_on(aws.elb.describe_rules().listener_arn(listeners.listeners()[0].listener_arn().expect("arn")).send())
            .expect("rules");
    let rule = rules.rules().iter().find(|r| r.is_default() != Some(true)).expect("a rule besides the default");
    let paths = rule.conditions()[0].path_pattern_config().map(|p| p.values().to_vec());
    assert_eq!(paths, Some(vec!["/api/*".to_owned()]));
    let api_tg = block_on(aws.elb.describe_target_groups().names(name("api")).send()).expect("api target group");
    assert_eq!(rule.actions()[0].target_group_arn(), api_tg.target_groups()[0].target_group_arn());

    // Node groups reach each other on the groups' own ports, and on nothing else: rules of the app
    // nodes' security group whose peer is that group itself, in both directions, each described.
    let described = block_on(ec2_groups(&aws, &ws.name)).expect("DescribeSecurityGroups");
    let app_sg = described
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(format!("{}-app", ws.name).as_str()))
        .expect("the app nodes' security group");
    let own_id = app_sg.group_id().expect("id");
    let itself = |perms: &[aws_sdk_ec2::types::IpPermission]| -> Vec<(i32, i32, String)> {
        let mut out: Vec<(i32, i32, String)> = perms
            .iter()
            .filter(|p| p.user_id_group_pairs().iter().any(|g| g.group_id() == Some(own_id)))
            .flat_map(|p| {
                p.user_id_group_pairs().iter().filter(|g| g.group_id() == Some(own_id)).map(|g| {
                    (p.from_port().expect("from"), p.to_port().expect("to"), g.description().unwrap_or("").to_owned())
                })
            })
            .collect();
        out.sort();
        out
    };
    for (direction, rules) in
        [("ingress", itself(app_sg.ip_permissions())), ("egress", itself(app_sg.ip_permissions_egress()))]
    {
        let ports: Vec<(i32, i32)> = rules.iter().map(|r| (r.0, r.1)).collect();
        // The groups' ports: 8080 (web, web-small and api, app's default), the coordinator's and the workers'.
        assert_eq!(ports, [(7000, 7000), (7001, 7001), (8080, 8080)], "{direction}: {rules:?}");
        assert!(rules.iter().all(|r| !r.2.is_empty()), "{direction} rule without a description: {rules:?}");
    }

    // Start order: the workers' group is created only after the coordinator's create has finished,
    // which includes waiting for its node (DescribeAutoScalingGroups of the coordinator in between).
    let ops = operations(&recording);
    let at = |action: &str, g: &str| {
        ops.iter()
            .position(|(op, asg)| op == action && asg.as_deref() == Some(name(g).as_str()))
            .unwrap_or_else(|| panic!("no {action} of {g}"))
    };
    let created_coordinator = at("CreateAutoScalingGroup", "coordinator");
    let created_workers = at("CreateAutoScalingGroup", "workers");
    assert!(created_coordinator < created_workers, "workers created before the coordinator");
    // `status` says each group by name, and the load balancer expects only the routed groups' nodes.
    let status = clusterup(&["status", &ws.name, "--region", "us-east-1"]);
    let shown = stdout(&status);
    assert!(shown.contains(&format!("{} (coordinator) min 1 / desired 1 / max 1", name("coordinator"))), "{shown}");
    assert!(!shown.contains("not registered with the target group"), "{shown}");
    let output = stdout(&clusterup(&["output", &ws.name, "--region", "us-east-1"]));
    let workers_line = output.lines().find(|l| l.starts_with("auto_scaling_group.workers ")).unwrap_or_default();
    assert!(workers_line.ends_with(&format!("= {}", name("workers"))), "{output}");
    let route = |g: &str| output.lines().find(|l| l.starts_with(&format!("route.{g} "))).unwrap_or_default().to_owned();
    assert!(route("web").ends_with("= default, weight 3 of 4"), "{output}");
    assert!(route("api").ends_with("= paths /api/*"), "{output}");
    assert!(route("workers").ends_with("= none (not behind the load balancer)"), "{output}");

    let destroyed = clusterup(&["destroy", "--yes", "--delete-data", &ws.name, "--region", "us-east-1"]);
    assert_code(&destroyed, 0);
    assert!(stderr(&destroyed).contains("Verified: nothing tagged"), "{}", stderr(&destroyed));
    assert_eq!(block_on(live_tagged(&aws, &ws.name)), Vec::<String>::new());
}

/// `app:` moved under `node_groups:` as the group named `app`, its fields as they were.
fn as_node_groups(text: &str) -> String {
    let mut doc: serde_yaml::Mapping = serde_yaml::from_str(text).expect("a mapping");
    let app = doc.remove("app").expect("an app section");
    let mut groups = serde_yaml::Mapping::new();
    groups.insert("app".into(), app);
    doc.insert("node_groups".into(), serde_yaml::Value::Mapping(groups));
    serde_yaml::to_string(&doc).expect("yaml")
}

#[test]
fn a_deployment_made_from_app_rewritten_as_node_groups_plans_no_change() {
    let ws = Workspace::from_example("web-tier.yaml", "mig");
    let path = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    std::fs::write(ws.topology(), as_node_groups(&text)).expect("write");
    assert!(std::fs::read_to_string(ws.topology()).expect("read").contains("node_groups:"));
    let plan = clusterup(&["plan", "--detailed-exitcode", &path]);
    assert_code(&plan, 0);
    assert!(stdout(&plan).contains("No changes") || stderr(&plan).contains("No changes"), "{}", stdout(&plan));
    // Adding a group creates that group's resources and changes nothing else. With two groups a route
    // left out is `none`, so the app group says that it keeps the default one.
    let mut text =
        std::fs::read_to_string(ws.topology()).expect("read").replacen("  app:\n", "  app:\n    route: default\n", 1);
    text.push_str("  batch:\n    instance_type: t3.small\n    route: none\n");
    std::fs::write(ws.topology(), &text).expect("write");
    let plan = clusterup(&["plan", &path]);
    assert_code(&plan, 0);
    let planned = stdout(&plan);
    let changes: Vec<&str> = planned.lines().filter(|l| l.trim_start().starts_with(['+', '~', '-'])).collect();
    // The new group's resources (its log group among them), the two groups' nodes allowed to reach
    // each other's port: rules of the app security group changed in place, and the nodes' role allowed to
    // write the new group's discovery name (its policy, in place). No node is replaced: the user data does
    // not name the other groups (the nodes read them).
    let security = ["~ network/security-group/app ", "~ network/security-group-egress/app ", "~ iam/role/app "];
    let batch = |l: &str| l.contains("groups/batch/") || l.trim_start().starts_with("+ logs/batch ");
    assert!(
        changes.iter().all(|l| batch(l) || security.iter().any(|s| l.trim_start().starts_with(s.trim_start()))),
        "{planned}"
    );
    assert!(changes.iter().any(|l| l.trim_start().starts_with("+ logs/batch (log group)")), "{planned}");
    assert!(changes.iter().filter(|l| l.contains("groups/batch/")).count() >= 2, "{planned}");
    assert!(!planned.contains("~ app/launch-template"), "{planned}");
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &ws.name, "--region", "us-east-1"]), 0);
}

async fn ec2_groups(
    aws: &crate::support::Clients,
    deployment: &str,
) -> Result<aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput, impl std::fmt::Debug> {
    aws.ec2.describe_security_groups().filters(crate::apply_destroy::tag_filter(deployment)).send().await
}
