//! The emulator adds steps but never runs them (moto keeps a step RUNNING or PENDING for ever), so
//! following a step to its end is covered here with SDK mocks, as the test names say; the emulator test
//! (tests/spark_jobs.rs) checks the step EMR was given.

use aws_sdk_emr::operation::describe_step::DescribeStepOutput;
use aws_sdk_emr::types::{FailureDetails, Step, StepState, StepStatus};
use aws_sdk_emr::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use super::*;
use crate::aws::Aws;
use crate::resources::DataPolicy;

fn ctx(emr: Client) -> Ctx {
    Ctx { aws: Aws { emr, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() }
}

fn cluster() -> Cluster {
    Cluster {
        id: "j-1".into(),
        bucket: "clusterup-demo-123456789012-us-east-1".into(),
        log_uri: "s3://clusterup-demo-123456789012-us-east-1/logs/".into(),
    }
}

fn step(state: StepState, failure: Option<FailureDetails>) -> DescribeStepOutput {
    let status = StepStatus::builder().state(state).set_failure_details(failure).build();
    DescribeStepOutput::builder()
        .step(Step::builder().id("s-1").name("clusterup: job.py").status(status).build())
        .build()
}

#[tokio::test(start_paused = true)]
async fn describe_step_sdk_mock_emulator_never_completes_steps_wait_follows_to_completed() {
    let pending = mock!(Client::describe_step)
        .match_requests(|r| r.cluster_id() == Some("j-1") && r.step_id() == Some("s-1"))
        .then_output(|| step(StepState::Pending, None));
    let running = mock!(Client::describe_step).then_output(|| step(StepState::Running, None));
    let done = mock!(Client::describe_step).then_output(|| step(StepState::Completed, None));
    let emr = mock_client!(aws_sdk_emr, RuleMode::Sequential, [&pending, &running, &done]);
    let mut seen = Vec::new();
    let step = wait(&ctx(emr), &cluster(), "s-1", Duration::from_secs(3600), |s, _| seen.push(s.to_owned()))
        .await
        .expect("the step ends");
    assert_eq!(step.state, "COMPLETED");
    assert_eq!(seen, vec!["PENDING", "RUNNING"], "each state before the end is reported");
    assert_eq!(step.logs, "s3://clusterup-demo-123456789012-us-east-1/logs/j-1/steps/s-1/");
}

#[tokio::test(start_paused = true)]
async fn describe_step_sdk_mock_emulator_never_completes_steps_a_failure_carries_emr_reason_and_log() {
    let failure = FailureDetails::builder()
        .reason("Unknown error")
        .message("Exception in thread main")
        .log_file("s3://b/logs/j-1/steps/s-1/stderr.gz")
        .build();
    let failed = mock!(Client::describe_step).then_output(move || step(StepState::Failed, Some(failure.clone())));
    let emr = mock_client!(aws_sdk_emr, [&failed]);
    let step = wait(&ctx(emr), &cluster(), "s-1", Duration::from_secs(60), |_, _| {}).await.expect("ends");
    assert_eq!(step.state, "FAILED");
    assert_eq!(
        step.failure.as_deref(),
        Some("Unknown error: Exception in thread main (log: s3://b/logs/j-1/steps/s-1/stderr.gz)")
    );
}

#[tokio::test(start_paused = true)]
async fn describe_step_sdk_mock_a_step_that_never_ends_times_out_naming_its_state() {
    let running = mock!(Client::describe_step).then_output(|| step(StepState::Running, None));
    let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&running]);
    let err = wait(&ctx(emr), &cluster(), "s-1", Duration::from_secs(30), |_, _| {}).await.expect_err("times out");
    assert_eq!(
        err.to_string(),
        "step s-1 is still RUNNING after 30s of waiting; it goes on without clusterup\n  hint: follow it with `clusterup spark jobs` (or the EMR console); its logs will be under s3://clusterup-demo-123456789012-us-east-1/logs/j-1/steps/s-1/"
    );
}

#[test]
fn spark_submit_runs_in_cluster_mode_with_the_class_of_a_jar() {
    let args = ["2026-11".to_owned()];
    assert_eq!(
        submit_args(JobKind::Python, "s3://b/jobs/t/job.py", Some("Ignored"), &args),
        ["spark-submit", "--deploy-mode", "cluster", "s3://b/jobs/t/job.py", "2026-11"]
    );
    assert_eq!(
        submit_args(JobKind::Jar, "s3://b/jobs/t/app.jar", Some("com.example.Main"), &[]),
        ["spark-submit", "--deploy-mode", "cluster", "--class", "com.example.Main", "s3://b/jobs/t/app.jar"]
    );
    assert!(JobKind::of(Path::new("notes.txt")).is_err());
    assert_eq!(JobKind::of(Path::new("Job.PY")).ok(), Some(JobKind::Python));
}
