//! A shell without SSH: `exec` runs a command on the app nodes through Run Command (the emulator runs
//! nothing: every invocation ends `Success` with no output, so what is checked is what was asked of
//! Systems Manager and what clusterup prints of the answer; a failed command's exit code is an SDK-mock
//! test in src/nodes/tests.rs), `shell` hands over to the AWS CLI, the nodes' role lets the SSM agent
//! register them, and no security group opens port 22.

use crate::apply_destroy::block_on;
use crate::data_tier::percent_decoded;
use crate::support::{assert_code, clients, clusterup, clusterup_with_env, endpoint, stderr, stdout, Workspace};

/// A directory of stand-ins for the AWS CLI and the Session Manager plugin (`tools`): each prints its
/// name and arguments.
fn fake_tools(tools: &[&str]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    for tool in tools {
        let path = dir.path().join(tool);
        std::fs::write(&path, format!("#!/bin/sh\necho \"{tool} $*\"\n")).expect("write tool");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    dir
}

/// `dir` alone on PATH, then the system's own directories (for `/bin/sh`), none of which has the tools.
fn path_with(dir: &tempfile::TempDir) -> String {
    format!("{}:/usr/bin:/bin", dir.path().display())
}

/// The deployment's app nodes that are in service, sorted.
fn app_nodes(name: &str) -> Vec<String> {
    let c = block_on(clients());
    let groups =
        block_on(c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(format!("{name}-app")).send())
            .expect("DescribeAutoScalingGroups");
    let mut ids: Vec<String> = groups.auto_scaling_groups()[0]
        .instances()
        .iter()
        .filter(|i| i.lifecycle_state().is_some_and(|s| s.as_str() == "InService"))
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// The Run Command requests the emulator received for these nodes: (document, nodes sorted, commands).
fn commands_sent_to(nodes: &[String]) -> Vec<(String, Vec<String>, Vec<String>)> {
    let c = block_on(clients());
    let listed = block_on(c.ssm.list_commands().send()).expect("ListCommands");
    let mut out = Vec::new();
    for command in listed.commands() {
        let mut ids = command.instance_ids().to_vec();
        if !ids.iter().all(|id| nodes.contains(id)) {
            continue;
        }
        ids.sort();
        let lines = command.parameters().and_then(|p| p.get("commands")).cloned().unwrap_or_default();
        out.push((command.document_name().unwrap_or("").to_owned(), ids, lines));
    }
    out
}

#[test]
fn exec_runs_a_command_on_each_app_node_and_shell_hands_over_to_the_aws_cli() {
    let ws = Workspace::from_example("web-tier.yaml", "exec");
    let topology = ws.topology().to_string_lossy().into_owned();
    let name = ws.name.clone();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let c = block_on(clients());

    // No group of the deployment lets anything in on port 22 (nor on every port).
    let groups = block_on(
        c.ec2
            .describe_security_groups()
            .filters(aws_sdk_ec2::types::Filter::builder().name("tag:clusterup:deployment").values(&name).build())
            .send(),
    )
    .expect("DescribeSecurityGroups");
    assert!(!groups.security_groups().is_empty(), "the deployment has security groups");
    for group in groups.security_groups() {
        for rule in group.ip_permissions() {
            let all = rule.ip_protocol() == Some("-1");
            let covers_22 = rule.from_port().zip(rule.to_port()).is_some_and(|(from, to)| from <= 22 && 22 <= to);
            assert!(!all && !covers_22, "{:?} lets in port 22: {rule:?}", group.group_name());
        }
    }
    // The nodes' role lets the SSM agent register them and take commands and sessions.
    let policy = block_on(
        c.iam.get_role_policy().role_name(format!("{name}-us-east-1-app")).policy_name("clusterup-app").send(),
    )
    .expect("GetRolePolicy");
    let document = percent_decoded(policy.policy_document());
    for action in ["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ec2messages:GetMessages"] {
        assert!(document.contains(action), "{action} missing from the app role's policy: {document}");
    }

    let nodes = app_nodes(&name);
    assert_eq!(nodes.len(), 2, "web-tier runs two nodes");
    // Every word is passed on as written: nothing is expanded or split by a local shell.
    let out = clusterup(&["exec", &name, "--", "echo", "$HOME;", "it's", "`id`"]);
    assert_code(&out, 0);
    let text = stdout(&out);
    for node in &nodes {
        assert!(text.contains(&format!("==> {node}: exit 0 (Success)")), "{node} missing from:\n{text}");
    }
    assert!(stderr(&out).contains("Sent to 2 nodes as command"), "{}", stderr(&out));
    assert_eq!(
        commands_sent_to(&nodes),
        [("AWS-RunShellScript".to_owned(), nodes.clone(), vec!["echo $HOME; it's `id`".to_owned()])]
    );

    // One node, by its id; the topology file names the deployment as well as its name does.
    let out = clusterup(&["exec", &topology, "--node", &nodes[1], "--", "uptime"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains(&format!("==> {}: exit 0 (Success)", nodes[1])), "{}", stdout(&out));
    assert!(!stdout(&out).contains(&nodes[0]), "{}", stdout(&out));

    // A node or group the deployment does not have is an error before anything is sent.
    let out = clusterup(&["exec", &name, "--node", "i-0123456789abcdef0", "--", "uptime"]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains(&format!("i-0123456789abcdef0 is not a node of deployment {name} (its nodes: ")),
        "{}",
        stderr(&out)
    );
    let out = clusterup(&["exec", &name, "--group", "blue", "--", "uptime"]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("has no group blue; its groups: main"), "{}", stderr(&out));
    assert_eq!(commands_sent_to(&nodes).len(), 2, "only the two commands above were sent");

    // `shell` runs the AWS CLI with clusterup's region and endpoint, on a healthy app node.
    let tools = fake_tools(&["aws", "session-manager-plugin"]);
    let out =
        clusterup_with_env(endpoint(), &["shell", &name, "--region", "us-east-1"], &[("PATH", &path_with(&tools))]);
    assert_code(&out, 0);
    let line = stdout(&out);
    let target = nodes.iter().find(|n| line.contains(&format!("--target {n} "))).unwrap_or_else(|| panic!("{line}"));
    assert_eq!(
        line.trim(),
        format!("aws ssm start-session --target {target} --region us-east-1 --endpoint-url {}", endpoint())
    );
    let out = clusterup_with_env(
        endpoint(),
        &["shell", &name, "--node", "i-0123456789abcdef0"],
        &[("PATH", &path_with(&tools))],
    );
    assert_code(&out, 1);
    assert!(stderr(&out).contains("is not a node of deployment"), "{}", stderr(&out));

    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
}

#[test]
fn shell_without_the_session_manager_plugin_says_how_to_install_it() {
    let only_cli = fake_tools(&["aws"]);
    let out = clusterup_with_env(
        endpoint(),
        &["shell", "nowhere", "--region", "us-east-1"],
        &[("PATH", &path_with(&only_cli))],
    );
    assert_code(&out, 1);
    let text = stderr(&out);
    assert!(text.contains("the Session Manager plugin (session-manager-plugin) is not installed"), "{text}");
    assert!(
        text.contains("https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"),
        "{text}"
    );
    let nothing = fake_tools(&[]);
    let out = clusterup_with_env(
        endpoint(),
        &["shell", "nowhere", "--region", "us-east-1"],
        &[("PATH", &path_with(&nothing))],
    );
    assert_code(&out, 1);
    assert!(stderr(&out).contains("the AWS CLI (aws) is not installed"), "{}", stderr(&out));
}
