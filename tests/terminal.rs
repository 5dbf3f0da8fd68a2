//! clusterup in a real terminal (a tmux pane): the live progress view of apply, the plain lines that
//! replace it in CI, and the typed confirmation of destroy.

use std::time::Duration;

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
use crate::support::terminal::Pane;
use crate::support::{assert_code, clients, clusterup, endpoint, stderr, Workspace};

/// Waiting on the emulator behind a slowed proxy; generous, as the emulator serves every test at once.
const DEADLINE: Duration = Duration::from_secs(300);

/// A line of the live view for a resource in flight: `  creating <address>  <elapsed>  <what it waits
/// on>`, with an elapsed time of at least a second. Returns the address.
fn in_flight_for_a_second_or_more(line: &str) -> Option<&str> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (verb, address, elapsed) = (words.first()?, words.get(1)?, words.get(2)?);
    let seconds: u64 = match elapsed.strip_suffix('s')?.split_once('m') {
        Some((m, s)) => m.parse::<u64>().ok()? * 60 + s.parse::<u64>().ok()?,
        None => elapsed.strip_suffix('s')?.parse().ok()?,
    };
    let doing = words[3..].join(" ");
    let waits = doing == "calling AWS" || doing.starts_with("waiting: ");
    (*verb == "creating" && address.contains('/') && seconds >= 1 && waits).then_some(*address)
}

fn aws_env(url: &str) -> Vec<(&'static str, String)> {
    let mut env = vec![("AWS_ENDPOINT_URL", url.to_owned())];
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        env.push(("AWS_ACCESS_KEY_ID", "test".into()));
        env.push(("AWS_SECRET_ACCESS_KEY", "test".into()));
    }
    env
}

fn pane(args: &[&str], env: &[(&'static str, String)]) -> Pane {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Pane::start(args, &env)
}

#[test]
fn apply_in_a_terminal_shows_resources_in_flight_with_elapsed_times_then_only_the_summary() {
    let ws = Workspace::from_example("web-tier.yaml", "live");
    let path = ws.topology().to_string_lossy().into_owned();
    // Every AWS answer takes a second, so each resource stays in flight for seconds.
    let proxy = FaultProxy::start(endpoint(), Schedule::All(Fault::Delay(Duration::from_secs(1))));
    let apply = pane(&["apply", "--yes", &path], &aws_env(&proxy.url));

    let header = format!("Applying {}: ", ws.name);
    let screen = apply.wait_for("resources in flight for a second or more", DEADLINE, |screen| {
        screen.lines().any(|l| l.starts_with(&header))
            && screen.lines().any(|l| in_flight_for_a_second_or_more(l).is_some())
    });
    let head = screen.lines().find(|l| l.starts_with(&header)).unwrap_or_default();
    assert!(head.contains(" done, ") && head.contains(" in flight"), "counts: {head}\n{screen}");
    assert!(head.contains(" left (typical AWS times)"), "time left: {head}\n{screen}");
    let total = head.split(" of ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap_or_default();
    assert!(total.parse::<usize>().is_ok_and(|n| n >= 15), "total count of the plan: {head}");

    assert_eq!(apply.wait_exit(DEADLINE), 0, "apply failed:\n{}", apply.capture());
    // The view is gone; what stays is the summary, as without a terminal.
    let end = apply.capture();
    assert!(end.contains("Apply complete in"), "{end}");
    assert!(end.contains("Where the time went"), "{end}");
    assert!(!end.lines().any(|l| l.starts_with(&header)), "the live view was not cleared:\n{end}");
    assert!(apply.stdout().contains("url"), "outputs on stdout: {}", apply.stdout());

    // CI=true in the same terminal: plain lines, no view.
    let mut ci = aws_env(endpoint());
    ci.push(("CI", "true".into()));
    let destroy = pane(&["destroy", "--yes", &path], &ci);
    assert_eq!(destroy.wait_exit(DEADLINE), 0, "destroy failed:\n{}", destroy.capture());
    let end = destroy.capture();
    assert!(end.contains("  deleted network/vpc in "), "plain lines with CI=true:\n{end}");
    assert!(!end.contains(&format!("Destroying {}: ", ws.name)), "no live view with CI=true:\n{end}");
}

#[test]
fn destroy_in_a_terminal_deletes_only_after_the_deployment_name_is_typed() {
    let ws = Workspace::from_example("web-tier.yaml", "typed");
    let path = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    let c = block_on(clients());
    let tagged = || {
        let mut live = block_on(live_tagged(&c, &ws.name));
        live.sort();
        live
    };
    let before = tagged();
    assert!(!before.is_empty());

    // A bare `y`, as a y/N prompt would take: refused, nothing deleted.
    let env = aws_env(endpoint());
    let first = pane(&["destroy", &path], &env);
    first.wait_for("the prompt", DEADLINE, |s| s.contains("Type the deployment name"));
    let prompt = first.capture();
    assert!(prompt.contains(&format!("({})", ws.name)), "the prompt names the deployment:\n{prompt}");
    first.type_line("y");
    assert_eq!(first.wait_exit(DEADLINE), 1, "{}", first.capture());
    assert!(first.capture().contains("Destroy cancelled; nothing was changed."), "{}", first.capture());
    assert_eq!(tagged(), before, "a bare y deleted something");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);

    // The name, typed: destroyed.
    let second = pane(&["destroy", &path], &env);
    second.wait_for("the prompt", DEADLINE, |s| s.contains("Type the deployment name"));
    second.type_line(&ws.name);
    assert_eq!(second.wait_exit(DEADLINE), 0, "{}", second.capture());
    assert!(second.capture().contains("Verified: nothing tagged"), "{}", second.capture());
    assert_eq!(tagged(), Vec::<String>::new());
}

#[test]
fn the_in_flight_line_parser_takes_only_in_flight_lines() {
    assert_eq!(in_flight_for_a_second_or_more("  creating network/vpc          3s  calling AWS"), Some("network/vpc"));
    assert_eq!(
        in_flight_for_a_second_or_more("  creating database/instance 1m12s  waiting: status creating"),
        Some("database/instance")
    );
    assert_eq!(in_flight_for_a_second_or_more("  creating network/vpc  0s  calling AWS"), None);
    assert_eq!(in_flight_for_a_second_or_more("  created network/vpc in 1.2s"), None);
    assert_eq!(in_flight_for_a_second_or_more("Applying x: 1 of 20 done, 2 in flight"), None);
}

/// How long a stopped command may take to end: the "within a second of Ctrl-C".
const STOPS_WITHIN: Duration = Duration::from_secs(1);
/// Runs of each command interrupted at a random moment.
const INTERRUPTS: usize = 20;
/// Every AWS answer is this late, so that a run is mid-read, mid-call or mid-wait whenever it is stopped.
const SLOW: Duration = Duration::from_millis(150);

/// Start `args` in a pane, press Ctrl-C at a random moment (twice in a row every fifth run: the second
/// one must end it at once), and return the exit code, the screen, and how long it took to end after the
/// (first) Ctrl-C. `None` for the time when it ended by itself before the Ctrl-C.
fn interrupted(args: &[&str], env: &[(&'static str, String)], run: usize) -> (i32, String, Option<Duration>) {
    let pane = pane(args, env);
    let moment = Duration::from_millis(fastrand::u64(100..2500));
    let started = std::time::Instant::now();
    while started.elapsed() < moment {
        if let Some(code) = pane.exit_code() {
            return (code, pane.capture(), None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = std::time::Instant::now();
    pane.ctrl_c();
    if run % 5 == 4 {
        std::thread::sleep(Duration::from_millis(20));
        pane.ctrl_c();
    }
    loop {
        if let Some(code) = pane.exit_code() {
            return (code, pane.capture(), Some(sent.elapsed()));
        }
        assert!(
            sent.elapsed() < Duration::from_secs(30),
            "{args:?} still running 30 s after Ctrl-C (pressed {moment:?} in):\n{}",
            pane.capture()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Interrupt `args` [`INTERRUPTS`] times at random moments; each must end within a second of the
/// Ctrl-C, with 130 and `resume` (the command that resumes it) on screen, or end by itself (a code in
/// `done`). Returns the slowest stop and how many runs the Ctrl-C stopped (the others ended first).
fn interrupt_repeatedly(
    args: &[&str],
    env: &[(&'static str, String)],
    resume: &str,
    done: &[i32],
) -> (Duration, usize) {
    let (mut slowest, mut stopped) = (Duration::ZERO, 0);
    for run in 0..INTERRUPTS {
        let (code, screen, took) = interrupted(args, env, run);
        if let Some(took) = took {
            assert!(took < STOPS_WITHIN, "{args:?} took {took:?} to end after Ctrl-C (run {run}):\n{screen}");
            slowest = slowest.max(took);
        }
        match code {
            130 if run % 5 == 4 => stopped += 1, // the second Ctrl-C may end it before the message
            130 => {
                assert!(screen.contains(resume), "{args:?} (run {run}) stopped without `{resume}`:\n{screen}");
                stopped += 1;
            }
            code if done.contains(&code) => {}
            code => panic!("{args:?} (run {run}) ended {code}:\n{screen}"),
        }
        assert!(!screen.contains("panicked"), "{screen}");
    }
    (slowest, stopped)
}

/// Ctrl-C at random moments, 20 times each, to `apply` (from nothing) and then `destroy` of one
/// deployment behind a slowed endpoint: each ends within a second and says how to resume, and the next
/// run resumes cleanly (apply converges, destroy leaves nothing). With the next test, every long-running
/// command the issue names, in two tests the harness runs side by side.
#[test]
fn ctrl_c_at_any_moment_stops_apply_and_destroy_within_a_second_and_they_resume() {
    let ws = Workspace::from_example("web-tier.yaml", "sigint");
    let path = ws.topology().to_string_lossy().into_owned();
    let proxy = FaultProxy::start(endpoint(), Schedule::All(Fault::Delay(SLOW)));
    let slow = aws_env(&proxy.url);

    let resume = format!("run `clusterup apply {path}` again");
    let apply = interrupt_repeatedly(&["apply", "--yes", &path], &slow, &resume, &[0]);
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);

    let mut region = slow.clone();
    region.push(("AWS_REGION", "us-east-1".into()));
    let resume = format!("run `clusterup destroy {}` again", ws.name);
    let destroy = interrupt_repeatedly(&["destroy", "--yes", &ws.name], &region, &resume, &[0]);
    let last = clusterup(&["destroy", "--yes", &ws.name, "--region", "us-east-1"]);
    assert_code(&last, 0);
    assert!(stderr(&last).contains("nothing tagged clusterup:deployment="), "{}", stderr(&last));
    assert_eq!(block_on(live_tagged(&block_on(clients()), &ws.name)), Vec::<String>::new());
    eprintln!("slowest stop after Ctrl-C (runs stopped of {INTERRUPTS}): apply {apply:?}, destroy {destroy:?}");
}

/// The same for `status --watch` (which ends with its last read's code, 130 before a read ended) and a
/// canary `rollout` of a new node type, which then finishes.
#[test]
fn ctrl_c_at_any_moment_stops_status_watch_and_rollout_within_a_second_and_the_rollout_resumes() {
    let ws = Workspace::from_example("web-tier.yaml", "sigwatch");
    let path = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    let proxy = FaultProxy::start(endpoint(), Schedule::All(Fault::Delay(SLOW)));
    let slow = aws_env(&proxy.url);
    let mut region = slow.clone();
    region.push(("AWS_REGION", "us-east-1".into()));

    let watch = ["status", &ws.name, "--watch", "--interval", "1"];
    let (mut slowest_watch, mut codes) = (Duration::ZERO, Vec::new());
    for run in 0..INTERRUPTS {
        let (code, screen, took) = interrupted(&watch, &region, run);
        let took = took.unwrap_or_else(|| panic!("a watch ended by itself ({code}):\n{screen}"));
        assert!(took < STOPS_WITHIN, "the watch took {took:?} to end after Ctrl-C:\n{screen}");
        slowest_watch = slowest_watch.max(took);
        assert!([0, 3, 130].contains(&code), "{code}:\n{screen}");
        assert!(!screen.contains("panicked"), "{screen}");
        codes.push(code);
    }

    ws.edit("instance_type: t3.small", "instance_type: t3.medium");
    let rollout = ["rollout", &path, "--canary", "50,100", "--step-time", "2s", "--yes"];
    // Its messages differ with where it stood (before any change, the new version, a canary step), and
    // name the resume command on a line longer than the pane: each says `Interrupted`.
    let slowest_rollout = interrupt_repeatedly(&rollout, &slow, "Interrupted", &[0]);
    let finished = clusterup(&["rollout", &path, "--canary", "50,100", "--step-time", "1s", "--yes"]);
    assert_code(&finished, 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);
    assert_code(&clusterup(&["destroy", "--yes", &path]), 0);
    eprintln!(
        "slowest stop after Ctrl-C: watch {slowest_watch:?} (codes {codes:?}), rollout {slowest_rollout:?} (runs stopped of {INTERRUPTS})"
    );
}
