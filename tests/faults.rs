//! Faults between clusterup and AWS, injected by a proxy in front of the emulator: throttling on every
//! call type, 5xx, connection resets and timeouts (apply converges through them), a non-retryable refusal
//! (the run stops with a clear message and a resume hint), an answer without an error code, refused
//! credentials, and Ctrl-C mid-apply.

use std::time::Duration;

use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
use crate::support::{assert_code, clusterup, clusterup_with_env, endpoint, spawn_clusterup, stderr, Workspace};

#[test]
fn apply_and_destroy_converge_with_throttling_on_the_first_call_of_every_operation() {
    let ws = Workspace::from_example("smarten-spark.yaml", "throttle");
    let path = ws.topology().to_string_lossy().into_owned();

    let proxy = FaultProxy::start(endpoint(), Schedule::ThrottleFirstOfEachOperation);
    assert_code(&clusterup_with_env(&proxy.url, &["apply", "--yes", &path], &[]), 0);
    let throttled = proxy.throttled();
    assert_eq!(throttled, proxy.operations(), "every call type was throttled once");
    assert!(throttled.len() >= 40, "only {} operations: {throttled:?}", throttled.len());
    // Every kind of throttling answer was among them.
    for op in ["CreateVpc", "CreateDBInstance", "RunJobFlow", "CreateRole", "CreateListener", "PutParameter"] {
        assert!(throttled.contains(op), "{op} not throttled: {throttled:?}");
    }
    assert!(throttled.iter().any(|op| op.starts_with("POST /2015-02-01")), "EFS (REST) throttled: {throttled:?}");
    assert!(throttled.iter().any(|op| op.starts_with("PUT ")), "S3 throttled: {throttled:?}");
    // Converged: nothing left to do, asked directly.
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);

    let proxy = FaultProxy::start(endpoint(), Schedule::ThrottleFirstOfEachOperation);
    assert_code(&clusterup_with_env(&proxy.url, &["destroy", "--yes", "--delete-data", &path], &[]), 0);
    assert!(proxy.throttled().len() >= 30, "destroy's calls were throttled too: {:?}", proxy.throttled());
    eprintln!(
        "throttling: apply converged through {} throttled operations, destroy through {}",
        throttled.len(),
        proxy.throttled().len()
    );
}

#[test]
fn apply_converges_through_server_errors_resets_and_timeouts() {
    let ws = Workspace::from_example("smarten-spark.yaml", "faults");
    let path = ws.topology().to_string_lossy().into_owned();
    let faults = vec![Fault::ServerError, Fault::Reset, Fault::Hang(Duration::from_secs(8))];
    let proxy = FaultProxy::start(endpoint(), Schedule::EveryNth { n: 7, faults });
    // A hung answer counts as a timeout after 5 s (test builds only shorten it; the default is 60 s). Not
    // less: the emulator is busy with the other tests and must still answer in time.
    let env = [("CLUSTERUP_ATTEMPT_TIMEOUT_MS", "5000")];
    assert_code(&clusterup_with_env(&proxy.url, &["apply", "--yes", &path], &env), 0);
    assert!(proxy.faults() >= 12, "only {} faults injected", proxy.faults());
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);
    let injected = proxy.faults();
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &path]), 0);
    eprintln!("faults: apply converged through {injected} injected 5xx, resets and timeouts");
}

#[test]
fn a_non_retryable_error_stops_the_run_with_resource_call_code_and_resume_hint() {
    let ws = Workspace::from_example("web-tier.yaml", "denied");
    let path = ws.topology().to_string_lossy().into_owned();
    let proxy = FaultProxy::start(endpoint(), Schedule::Operation("CreateSecurityGroup".into(), Fault::Deny));
    let out = clusterup_with_env(&proxy.url, &["apply", "--yes", &path], &[]);
    assert_code(&out, 1);
    let text = stderr(&out);
    assert!(text.contains("network/security-group/"), "names the resource: {text}");
    assert!(text.contains("CreateSecurityGroup failed: UnauthorizedOperation"), "names call and code: {text}");
    assert!(text.contains("check the AWS credentials"), "says what to do: {text}");
    assert!(text.contains(&format!("clusterup apply {path}")), "says how to resume: {text}");
    // Resuming without the fault finishes the job; then clean up.
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    assert_code(&clusterup(&["destroy", "--yes", &path]), 0);
}

#[test]
fn ctrl_c_during_apply_finishes_calls_in_flight_and_says_how_to_resume() {
    let ws = Workspace::from_example("smarten-spark.yaml", "ctrlc");
    let path = ws.topology().to_string_lossy().into_owned();
    // Every answer takes 100 ms, so the apply is still running when the signal comes.
    let proxy = FaultProxy::start(endpoint(), Schedule::All(Fault::Delay(Duration::from_millis(100))));
    let mut child = spawn_clusterup(&proxy.url, &["apply", "--yes", &path]);
    // Interrupt once it is building (the first "creating" line), not while it is still planning.
    let mut progress = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = std::io::BufRead::read_line(&mut progress, &mut line).expect("read progress");
        seen.push_str(&line);
        if read == 0 || line.contains("creating ") {
            break;
        }
    }
    let sent = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(sent.success());
    std::io::Read::read_to_string(&mut progress, &mut seen).expect("read the rest");
    let status = child.wait().expect("apply ends");
    assert_eq!(status.code(), Some(130), "expected exit 130 after Ctrl-C:\n{seen}");
    let text = seen;
    assert!(text.contains(&format!("clusterup apply {path}")), "says how to resume: {text}");
    // Resume, converge, clean up.
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &path]), 0);
}

/// A 500 with an empty body used to read "DescribeAutoScalingGroups failed: no message": it now says
/// the status, that there was no error code, and which endpoint answered.
#[test]
fn an_unexplained_server_error_names_its_status_and_endpoint() {
    let ws = Workspace::from_example("web-tier.yaml", "empty500");
    let path = ws.topology().to_string_lossy().into_owned();
    let proxy =
        FaultProxy::start(endpoint(), Schedule::Operation("DescribeAutoScalingGroups".into(), Fault::EmptyServerError));
    let out = clusterup_with_env(&proxy.url, &["plan", &path], &[]);
    assert_code(&out, 1);
    let text = stderr(&out);
    let expected = format!(
        "DescribeAutoScalingGroups failed: HTTP 500 from {}, with no AWS error code and an empty body",
        proxy.url
    );
    assert!(text.contains(&expected), "expected {expected:?} in:\n{text}");
    assert!(!text.contains("no message"), "{text}");
    // The SDK retried it as a server error, and the hint says a re-run resumes.
    assert!(proxy.faults() > 1, "retried: {} faults", proxy.faults());
    assert!(text.contains("re-run the same command"), "{text}");
}

/// Credentials AWS refuses are found by one call before planning, and named as such, not as the
/// failure of whichever resource discovery asked about first.
#[test]
fn refused_credentials_are_reported_once_before_planning() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web-tier.yaml");
    // Nothing behind the proxy: the check must be the only call.
    let proxy = FaultProxy::start("http://127.0.0.1:9", Schedule::Operation("GetCallerIdentity".into(), Fault::Deny));
    let out = clusterup_with_env(&proxy.url, &["plan", &example.to_string_lossy()], &[]);
    assert_code(&out, 1);
    let text = stderr(&out);
    assert!(text.contains("error: AWS refused the credentials: AccessDenied: not authorized"), "{text}");
    assert!(text.contains("AWS_ACCESS_KEY_ID") && text.contains("aws sso login"), "says what to do: {text}");
    assert_eq!(text.matches("error:").count(), 1, "one error: {text}");
    assert_eq!(proxy.operations().into_iter().collect::<Vec<_>>(), ["GetCallerIdentity"]);
}
