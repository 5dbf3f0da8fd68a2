//! clusterup in a real terminal (a tmux pane): the live progress view of apply, the plain lines that
//! replace it in CI, and the typed confirmation of destroy.

use std::time::Duration;

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
use crate::support::terminal::Pane;
use crate::support::{assert_code, clients, clusterup, endpoint, Workspace};

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
