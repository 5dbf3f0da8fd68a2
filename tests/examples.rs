//! What a new user runs first, end to end through the real binary on the project's emulator: every
//! example applies and destroys, and so does what `init` writes with every section (Spark's managed
//! scaling included). A destroy must never need a read it does not delete with.

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
use crate::support::{assert_code, clients, clusterup, clusterup_with_endpoint, endpoint, stderr, stdout, Workspace};

fn examples() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("examples/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

/// Apply, check that a second plan has nothing to do and that `output` works by name and by file,
/// then destroy (by name) and check that nothing is left.
fn apply_then_destroy(ws: &Workspace) {
    let path = ws.topology().to_string_lossy().into_owned();
    let applied = clusterup(&["apply", "--yes", &path]);
    assert_code(&applied, 0);
    assert!(stderr(&applied).contains("Apply complete in"), "{}", stderr(&applied));
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);
    for target in [ws.name.as_str(), path.as_str()] {
        let out = clusterup(&["output", "--json", target, "--region", "us-east-1"]);
        assert_code(&out, 0);
        assert!(stdout(&out).contains("\"vpc_id\""), "{target}: {}", stdout(&out));
    }
    let status = clusterup(&["status", &ws.name, "--region", "us-east-1"]);
    assert!(status.status.code().is_some_and(|c| c == 0 || c == 3), "status: {}", stderr(&status));
    let destroyed = clusterup(&["destroy", "--yes", "--delete-data", &ws.name, "--region", "us-east-1"]);
    assert_code(&destroyed, 0);
    assert!(stderr(&destroyed).contains("Verified: nothing tagged"), "{}", stderr(&destroyed));
    assert_eq!(block_on(live_tagged(&block_on(clients()), &ws.name)), Vec::<String>::new());
}

#[test]
fn every_example_applies_and_destroys() {
    let names = examples();
    assert!(names.len() >= 4, "{names:?}");
    for example in names {
        let ws = Workspace::from_example(&example, "ex");
        apply_then_destroy(&ws);
    }
}

/// What `clusterup init NAME --spark --database --storage` writes, as written (its EMR release has
/// managed scaling, which the project's emulator restores), and what `init --groups` writes.
#[test]
fn what_init_writes_with_every_section_applies_and_destroys() {
    for (flags, section) in
        [(&["--spark", "--database", "--storage"][..], "spark:"), (&["--groups"][..], "node_groups:")]
    {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = crate::support::unique_name("sp");
        let path = dir.path().join("init.yaml");
        let path_text = path.to_string_lossy().into_owned();
        let mut args = vec!["init", name.as_str(), "--out", path_text.as_str()];
        args.extend_from_slice(flags);
        let init = clusterup(&args);
        assert_code(&init, 0);
        assert!(std::fs::read_to_string(&path).expect("read").contains(section), "{flags:?}");
        let ws = Workspace { dir, name };
        std::fs::rename(&path, ws.topology()).expect("rename");
        apply_then_destroy(&ws);
    }
}

/// Destroy deletes by id: a read that only describes a resource (here EMR's managed scaling policy,
/// read for a cluster in `managed` mode) failing, as on an endpoint that lacks the call, is a warning,
/// and the deployment goes anyway. `status` reads past it the same way; `plan`, which needs the answer
/// to compare, fails, and says re-running will not help.
#[test]
fn destroy_and_status_go_past_a_failing_descriptive_read_and_plan_says_it_cannot() {
    let ws = Workspace::from_example("spark-only.yaml", "lack");
    let path = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    let lacking = Fault::Reject { code: "InternalFailure", message: "API action not yet implemented or pro feature" };
    let proxy = FaultProxy::start(endpoint(), Schedule::Operation("GetManagedScalingPolicy".into(), lacking));

    let plan = clusterup_with_endpoint(&proxy.url, &["plan", &path]);
    assert_code(&plan, 1);
    let text = stderr(&plan);
    assert!(text.contains("GetManagedScalingPolicy failed"), "{text}");
    assert!(text.contains("re-running will not help"), "{text}");
    assert!(!text.contains("resume where it stopped"), "{text}");

    let status = clusterup_with_endpoint(&proxy.url, &["status", &ws.name, "--region", "us-east-1"]);
    assert!(status.status.code().is_some_and(|c| c == 0 || c == 3), "{}", stderr(&status));
    let text = stderr(&status);
    assert!(text.contains(": GetManagedScalingPolicy failed (InternalFailure"), "{text}");
    assert!(text.contains("status does not need it"), "{text}");
    assert_eq!(text.matches("warning:").count(), 1, "one warning, not doubled: {text}");

    let destroyed =
        clusterup_with_endpoint(&proxy.url, &["destroy", "--yes", "--delete-data", &ws.name, "--region", "us-east-1"]);
    assert_code(&destroyed, 0);
    let text = stderr(&destroyed);
    assert!(text.contains("GetManagedScalingPolicy failed") && text.contains("destroy does not need it"), "{text}");
    assert!(text.contains("Verified: nothing tagged"), "{text}");
    assert!(proxy.faulted("GetManagedScalingPolicy") > 0, "the read was made, and failed");
    assert_eq!(block_on(live_tagged(&block_on(clients()), &ws.name)), Vec::<String>::new());
}

/// `clusterup plan FILE 2>&1 | head -3` and `clusterup status NAME --watch | head -5` against a real
/// deployment: quiet ends, the usual exit codes, no panic; the watch ends when nobody reads it.
#[test]
fn plan_and_status_watch_end_quietly_when_their_reader_closes() {
    use crate::support::with_a_reader_that_closes_early;
    let ws = Workspace::from_example("web-tier.yaml", "pipe");
    let path = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    for (stderr_too, read) in [(true, 0), (true, 120), (false, 0), (false, 120)] {
        let plan = with_a_reader_that_closes_early(endpoint(), &["plan", &path], stderr_too, read);
        assert_eq!(plan.code, Some(0), "plan (stderr too: {stderr_too}, read {read}): {}", plan.stderr);
        assert!(!plan.stderr.contains("panicked"), "{}", plan.stderr);
        let args = ["status", &ws.name, "--region", "us-east-1", "--watch", "--interval", "1"];
        let watch = with_a_reader_that_closes_early(endpoint(), &args, stderr_too, read);
        assert!(watch.code.is_some_and(|c| c == 0 || c == 3), "watch: {:?} {}", watch.code, watch.stderr);
        assert!(!watch.stderr.contains("panicked"), "{}", watch.stderr);
    }
    assert_code(&clusterup(&["destroy", "--yes", &ws.name, "--region", "us-east-1"]), 0);
}
