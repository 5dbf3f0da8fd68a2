use aws_sdk_ssm::operation::get_command_invocation::{GetCommandInvocationError, GetCommandInvocationOutput};
use aws_sdk_ssm::types::CommandInvocationStatus;
use aws_sdk_ssm::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use super::*;
use crate::aws::Aws;
use crate::resources::autoscaling::status::Instance;
use crate::resources::DataPolicy;

fn ctx_with(ssm: Client) -> Ctx {
    Ctx { aws: Aws { ssm, ..Aws::offline() }, deployment: "web".into(), data: DataPolicy::default() }
}

fn ctx() -> Ctx {
    Ctx { aws: Aws::offline(), deployment: "web".into(), data: DataPolicy::default() }
}

fn node(id: &str, lifecycle: &str, health: &str, state: &str) -> Instance {
    Instance {
        id: id.into(),
        zone: "us-east-1a".into(),
        lifecycle: lifecycle.into(),
        health: health.into(),
        state: state.into(),
        instance_type: "t3.small".into(),
        launch_template_version: Some("1".into()),
        private_ip: None,
        launched_at: None,
        launched_epoch: None,
    }
}

fn group(role: &str, name: &str, instances: Vec<Instance>) -> Group {
    Group { name: name.into(), role: role.into(), min: 1, desired: 2, max: 4, instances }
}

fn groups() -> Vec<Group> {
    vec![
        group(
            "main",
            "web-app",
            vec![
                node("i-booting", "Pending", "Healthy", "pending"),
                node("i-sick", "InService", "Unhealthy", "running"),
                node("i-good", "InService", "Healthy", "running"),
                node("i-going", "Terminating", "Healthy", "shutting-down"),
            ],
        ),
        group("canary", "web-canary", vec![node("i-canary", "InService", "Healthy", "running")]),
    ]
}

#[test]
fn a_group_means_its_booted_running_nodes_by_role_or_name() {
    assert_eq!(targets(&ctx(), &groups(), Select::Group("main")).expect("main"), ["i-sick", "i-good"]);
    assert_eq!(targets(&ctx(), &groups(), Select::Group("web-canary")).expect("by name"), ["i-canary"]);
    // The node group named app is the main group; any other node group goes by its own name.
    assert_eq!(targets(&ctx(), &groups(), Select::Group("app")).expect("app"), ["i-sick", "i-good"]);
    let mut more = groups();
    more.push(group("workers", "web-workers", vec![node("i-worker", "InService", "Healthy", "running")]));
    assert_eq!(targets(&ctx(), &more, Select::Group("workers")).expect("workers"), ["i-worker"]);
}

#[test]
fn an_unknown_group_lists_the_groups() {
    let err = targets(&ctx(), &groups(), Select::Group("blue")).expect_err("unknown").to_string();
    assert!(err.contains("no group blue; its groups: main (web-app), canary (web-canary)"), "{err}");
}

#[test]
fn a_node_must_be_one_of_the_deployments() {
    assert_eq!(targets(&ctx(), &groups(), Select::Node("i-canary")).expect("known"), ["i-canary"]);
    let err = targets(&ctx(), &groups(), Select::Node("i-0123")).expect_err("unknown").to_string();
    assert!(err.starts_with("i-0123 is not a node of deployment web (its nodes: i-booting, "), "{err}");
    assert!(err.contains("hint: pass one of its app nodes' ids to --node"), "{err}");
}

#[test]
fn no_group_or_no_running_node_says_what_to_do() {
    let err = targets(&ctx(), &[], Select::Group("main")).expect_err("none").to_string();
    assert!(err.contains("deployment web has no app group in us-east-1"), "{err}");
    let booting = vec![group("main", "web-app", vec![node("i-booting", "Pending", "Healthy", "pending")])];
    let err = targets(&ctx(), &booting, Select::Group("main")).expect_err("none running").to_string();
    assert!(err.contains("no running node in group web-app"), "{err}");
}

#[test]
fn a_session_goes_to_the_first_healthy_running_app_node() {
    assert_eq!(default_node(&ctx(), &groups()).expect("one"), "i-good");
    let sick = vec![group("main", "web-app", vec![node("i-sick", "InService", "Unhealthy", "running")])];
    assert!(default_node(&ctx(), &sick).expect_err("none").to_string().contains("pass one with --node"));
    // Node groups with none named app: the first group with a healthy running node (never a canary).
    let groups = vec![
        group("canary", "web-canary", vec![node("i-canary", "InService", "Healthy", "running")]),
        group("coordinator", "web-coordinator", vec![node("i-down", "InService", "Unhealthy", "running")]),
        group("workers", "web-workers", vec![node("i-worker", "InService", "Healthy", "running")]),
    ];
    assert_eq!(default_node(&ctx(), &groups).expect("a worker"), "i-worker");
}

fn tools(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in names {
        let path = dir.path().join(name);
        std::fs::write(&path, "#!/bin/sh\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    dir
}

#[test]
fn a_session_is_the_aws_cli_with_clusterups_region_profile_and_endpoint() {
    let dir = tools(&["aws", "session-manager-plugin"]);
    let path = Some(dir.path().as_os_str().to_owned());
    let command =
        session_command(path, "i-good", "eu-west-1", Some("ops"), Some("http://127.0.0.1:5000")).expect("both");
    assert_eq!(command.program, dir.path().join("aws"));
    assert_eq!(
        command.args,
        [
            "ssm",
            "start-session",
            "--target",
            "i-good",
            "--region",
            "eu-west-1",
            "--profile",
            "ops",
            "--endpoint-url",
            "http://127.0.0.1:5000"
        ]
    );
}

#[test]
fn a_missing_cli_or_plugin_says_how_to_install_it() {
    let dir = tools(&["aws"]);
    let err = session_command(Some(dir.path().as_os_str().to_owned()), "i-1", "us-east-1", None, None)
        .expect_err("no plugin")
        .to_string();
    assert!(err.contains("the Session Manager plugin (session-manager-plugin) is not installed"), "{err}");
    assert!(err.contains(session::PLUGIN_INSTALL), "{err}");
    let empty = tools(&[]);
    let err = session_command(Some(empty.path().as_os_str().to_owned()), "i-1", "us-east-1", None, None)
        .expect_err("no CLI")
        .to_string();
    assert!(err.contains("the AWS CLI (aws) is not installed") && err.contains(session::AWS_CLI_INSTALL), "{err}");
}

fn invocation(status: CommandInvocationStatus, code: i32, stdout: &str, stderr: &str) -> GetCommandInvocationOutput {
    GetCommandInvocationOutput::builder()
        .command_id("c-1")
        .instance_id("i-1")
        .status(status)
        .response_code(code)
        .standard_output_content(stdout)
        .standard_error_content(stderr)
        .build()
}

#[tokio::test(start_paused = true)]
async fn get_command_invocation_sdk_mock_a_failed_command_ends_with_its_exit_code_and_output() {
    let not_yet = mock!(Client::get_command_invocation).then_error(|| {
        GetCommandInvocationError::generic(
            aws_smithy_types::error::ErrorMetadata::builder().code("InvocationDoesNotExist").build(),
        )
    });
    let running = mock!(Client::get_command_invocation)
        .then_output(|| invocation(CommandInvocationStatus::InProgress, -1, "", ""));
    let failed = mock!(Client::get_command_invocation)
        .then_output(|| invocation(CommandInvocationStatus::Failed, 2, "half\n", "disk full\n"));
    let ssm = mock_client!(aws_sdk_ssm, RuleMode::Sequential, [&not_yet, &running, &failed]);
    let mut seen = Vec::new();
    let ended = wait(&ctx_with(ssm), "c-1", "i-1", |s, _| seen.push(s.to_owned())).await.expect("ended");
    assert_eq!(seen, ["not delivered yet", "InProgress"]);
    assert_eq!(
        ended,
        Invocation {
            node: "i-1".into(),
            status: "Failed".into(),
            exit_code: 2,
            stdout: "half\n".into(),
            stderr: "disk full\n".into()
        }
    );
    assert!(!ended.succeeded());
}

#[tokio::test]
async fn get_command_invocation_sdk_mock_a_successful_command_keeps_its_output() {
    let done = mock!(Client::get_command_invocation)
        .then_output(|| invocation(CommandInvocationStatus::Success, 0, "Linux\n", ""));
    let ssm = mock_client!(aws_sdk_ssm, [&done]);
    let ended = wait(&ctx_with(ssm), "c-1", "i-1", |_, _| {}).await.expect("ended");
    assert!(ended.succeeded());
    assert_eq!(ended.stdout, "Linux\n");
}

#[tokio::test]
async fn send_command_sdk_mock_an_unregistered_node_says_why() {
    use aws_sdk_ssm::operation::send_command::SendCommandError;
    let refused = mock!(Client::send_command).then_error(|| {
        SendCommandError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("InvalidInstanceId")
                .message("Instances not in a valid state")
                .build(),
        )
    });
    let ssm = mock_client!(aws_sdk_ssm, [&refused]);
    let err = send(&ctx_with(ssm), &["i-1".into()], &["uptime".into()]).await.expect_err("refused").to_string();
    assert!(err.contains("SendCommand failed: InvalidInstanceId"), "{err}");
    assert!(err.contains("not registered with Systems Manager"), "{err}");
}
