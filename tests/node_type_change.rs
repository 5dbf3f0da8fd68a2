//! Changing the app nodes' instance type: the launch template gets a new default version, and nodes
//! launched after the change come from it. On the emulator this needs the launcher's launch template
//! patch (scripts/emulator/moto_server.py): unpatched moto answers a 500 to every launch from a version
//! made by CreateLaunchTemplateVersion.

use base64::Engine;

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::{assert_code, clients, clusterup, stdout, Workspace};

#[test]
fn changing_the_node_type_launches_new_nodes_from_the_new_template_version() {
    let ws = Workspace::from_example("web-tier.yaml", "ntype");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    // A bigger node type, and one more node: the group launches it during this apply, from the new
    // version (running nodes are not rolled; see docs/architecture.md, known gaps).
    ws.edit("instance_type: t3.small", "instance_type: t3.medium");
    ws.edit("min: 2", "min: 3");
    ws.edit("desired: 2", "desired: 3");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    assert!(stdout(&plan).contains("~ app/launch-template"), "{}", stdout(&plan));
    assert!(stdout(&plan).contains("~ app/auto-scaling-group"), "{}", stdout(&plan));

    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let replan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&replan, 0);
    assert!(stdout(&replan).contains("No changes."), "{}", stdout(&replan));

    // Independently: version 2 is the default, and the node launched from it has its type and user data.
    let c = block_on(clients());
    let group = format!("{}-app", ws.name);
    let groups = block_on(c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&group).send())
        .expect("DescribeAutoScalingGroups");
    let nodes = groups.auto_scaling_groups()[0].instances();
    let mut types: Vec<&str> = nodes.iter().filter_map(|n| n.instance_type()).collect();
    types.sort_unstable();
    assert_eq!(types, ["t3.medium", "t3.small", "t3.small"], "{nodes:?}");
    let template = block_on(c.ec2.describe_launch_templates().launch_template_names(&group).send())
        .expect("DescribeLaunchTemplates");
    assert_eq!(template.launch_templates()[0].default_version_number(), Some(2));
    let new_node = nodes.iter().find(|n| n.instance_type() == Some("t3.medium")).and_then(|n| n.instance_id());
    let user_data = block_on(
        c.ec2
            .describe_instance_attribute()
            .instance_id(new_node.expect("new node id"))
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send(),
    )
    .expect("DescribeInstanceAttribute");
    let encoded = user_data.user_data().and_then(|v| v.value()).expect("user data");
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64 user data");
    let text = String::from_utf8(decoded).expect("utf-8 user data");
    assert!(text.contains(&format!("CLUSTERUP_DEPLOYMENT={}", ws.name)), "{text}");

    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}
