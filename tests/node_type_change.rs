//! Changing the app nodes' instance type: the launch template gets a new version, and apply rolls every
//! node onto it with an instance refresh, keeping the group's minimum healthy share in service. On the
//! emulator this runs through the launcher's instance refresh and launch template patches
//! (scripts/emulator/moto_server.py; docs/localstack.md says how the emulated refresh advances).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::{assert_code, clients, clusterup, stderr, stdout, Clients, Workspace};

/// Healthy targets in the app's target group, as the load balancer sees them now.
async fn healthy_targets(c: &Clients, target_group: &str) -> usize {
    let health = c.elb.describe_target_health().target_group_arn(target_group).send().await.expect("health");
    health
        .target_health_descriptions()
        .iter()
        .filter(|d| d.target_health().and_then(|h| h.state()) == Some(&TargetHealthStateEnum::Healthy))
        .count()
}

#[test]
fn changing_the_node_type_rolls_every_node_onto_the_new_version_keeping_min_healthy() {
    let ws = Workspace::from_example("smarten.yaml", "roll");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let c = block_on(clients());
    let group = format!("{}-app", ws.name);
    let described = block_on(c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&group).send())
        .expect("DescribeAutoScalingGroups");
    let target_group = described.auto_scaling_groups()[0].target_group_arns()[0].clone();
    let min = usize::try_from(described.auto_scaling_groups()[0].min_size().unwrap_or(0)).expect("size");
    let before: Vec<String> = described.auto_scaling_groups()[0]
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    assert_eq!(before.len(), 2);

    ws.edit("instance_type: t3.large", "instance_type: t3.xlarge");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    let shown = stdout(&plan);
    assert!(
        shown.contains("# rolling replacement of 2 nodes (launch template v1 -> v2), keeping 90% healthy"),
        "{shown}"
    );

    // Sample the load balancer's view all through the apply.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (done, target_group) = (done.clone(), target_group.clone());
        std::thread::spawn(move || {
            let c = block_on(clients());
            let mut fewest = usize::MAX;
            let mut samples = 0;
            while !done.load(Ordering::SeqCst) {
                fewest = fewest.min(block_on(healthy_targets(&c, &target_group)));
                samples += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            (fewest, samples)
        })
    };
    let applied = clusterup(&["apply", "--yes", &topology]);
    done.store(true, Ordering::SeqCst);
    let (fewest, samples) = sampler.join().expect("sampler");
    assert_code(&applied, 0);
    assert!(samples > 10, "only {samples} samples");
    assert!(fewest >= min, "the load balancer had {fewest} healthy targets during the change, fewer than min {min}");

    // Every node is new, runs the new type, and reports the new version; so does the group.
    let after = block_on(c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&group).send())
        .expect("DescribeAutoScalingGroups");
    let asg = &after.auto_scaling_groups()[0];
    assert_eq!(asg.launch_template().and_then(|t| t.version()), Some("2"));
    let nodes = asg.instances();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    for node in nodes {
        assert_eq!(node.launch_template().and_then(|t| t.version()), Some("2"), "{node:?}");
        assert_eq!(node.instance_type(), Some("t3.xlarge"), "{node:?}");
        assert!(!before.iter().any(|old| Some(old.as_str()) == node.instance_id()), "{node:?} was not replaced");
    }
    let ids: Vec<String> = nodes.iter().filter_map(|n| n.instance_id().map(str::to_owned)).collect();
    let ec2 = block_on(c.ec2.describe_instances().set_instance_ids(Some(ids)).send()).expect("DescribeInstances");
    for instance in ec2.reservations().iter().flat_map(|r| r.instances()) {
        assert_eq!(instance.instance_type().map(|t| t.as_str()), Some("t3.xlarge"));
    }
    eprintln!("rolling replacement: fewest healthy targets {fewest} (min {min}) over {samples} samples");

    let replan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&replan, 0);
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}

/// The group's launch template version and each node's, as Auto Scaling reports them.
async fn versions(c: &Clients, group: &str) -> (String, Vec<String>) {
    let out = c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(group).send().await.expect("group");
    let asg = &out.auto_scaling_groups()[0];
    let version = |t: Option<&aws_sdk_autoscaling::types::LaunchTemplateSpecification>| {
        t.and_then(|t| t.version()).unwrap_or("(none)").to_owned()
    };
    (version(asg.launch_template()), asg.instances().iter().map(|i| version(i.launch_template())).collect())
}

/// Two states apply meets on groups it did not just make. A group that launches `$Default` (made before
/// clusterup pinned versions, or changed by hand) cannot be rolled back by AWS, which refuses a refresh
/// with AutoRollback on it: apply pins it to the version its nodes run first. A refresh already running
/// towards another version (started by hand here) is not taken as apply's own: apply waits for it to
/// end, then rolls the nodes onto the topology's version.
#[test]
fn a_group_on_default_is_pinned_and_a_refresh_towards_another_version_is_waited_out() {
    use aws_sdk_autoscaling::types::{DesiredConfiguration, LaunchTemplateSpecification, RefreshPreferences};

    let ws = Workspace::from_example("web-tier.yaml", "pin");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let c = block_on(clients());
    let group = format!("{}-app", ws.name);
    let described = block_on(c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&group).send())
        .expect("DescribeAutoScalingGroups");
    let template = described.auto_scaling_groups()[0]
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .expect("launch template")
        .to_owned();
    let spec =
        |version: &str| LaunchTemplateSpecification::builder().launch_template_id(&template).version(version).build();

    // 1. The group launches $Default, as a group of an older clusterup did.
    block_on(
        c.autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(&group)
            .launch_template(spec("$Default"))
            .send(),
    )
    .expect("UpdateAutoScalingGroup");
    ws.edit("instance_type: t3.small", "instance_type: t3.medium");
    let plan = clusterup(&["plan", &topology]);
    assert!(stdout(&plan).contains("(launch template $Default -> v2)"), "{}", stdout(&plan));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let (on, nodes) = block_on(versions(&c, &group));
    assert_eq!((on.as_str(), nodes.as_slice()), ("2", ["2".to_owned(), "2".to_owned()].as_slice()));

    // 2. Someone starts a refresh towards a version of their own (v3), then the topology changes (v4).
    let made = block_on(
        c.ec2
            .create_launch_template_version()
            .launch_template_id(&template)
            .source_version("2")
            .launch_template_data(
                aws_sdk_ec2::types::RequestLaunchTemplateData::builder().instance_type("t3.large".into()).build(),
            )
            .send(),
    )
    .expect("CreateLaunchTemplateVersion");
    assert_eq!(made.launch_template_version().and_then(|v| v.version_number()), Some(3));
    block_on(
        c.autoscaling
            .start_instance_refresh()
            .auto_scaling_group_name(&group)
            .desired_configuration(DesiredConfiguration::builder().launch_template(spec("3")).build())
            .preferences(RefreshPreferences::builder().skip_matching(true).build())
            .send(),
    )
    .expect("StartInstanceRefresh");
    ws.edit("instance_type: t3.medium", "instance_type: t3.xlarge");
    let applied = clusterup(&["apply", "--yes", "--no-progress", &topology]);
    assert_code(&applied, 0);
    let (on, nodes) = block_on(versions(&c, &group));
    assert_eq!(
        (on.as_str(), nodes.as_slice()),
        ("4", ["4".to_owned(), "4".to_owned()].as_slice()),
        "{}",
        stderr(&applied)
    );
    let refreshes = block_on(c.autoscaling.describe_instance_refreshes().auto_scaling_group_name(&group).send())
        .expect("DescribeInstanceRefreshes");
    let targets: Vec<Option<&str>> = refreshes
        .instance_refreshes()
        .iter()
        .map(|r| r.desired_configuration().and_then(|d| d.launch_template()).and_then(|t| t.version()))
        .collect();
    // Newest first: apply's own (v4) after the one it waited for (v3), which ended as it would have.
    assert_eq!(targets[..2], [Some("4"), Some("3")], "{targets:?}");

    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}
