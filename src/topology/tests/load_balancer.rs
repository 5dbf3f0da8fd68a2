//! The load_balancer section: listeners, algorithm, stickiness, health check, idle timeout.

use std::time::Duration;

use super::*;
use crate::topology::*;

const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/0f2c1d3e-aaaa-bbbb-cccc-1234567890ab";

fn lb(body: &str) -> String {
    minimal_with(&format!("load_balancer:\n{body}"))
}

#[test]
fn https_listener_needs_a_certificate() {
    expect_err(
        &lb("  listeners:\n    - port: 80\n    - port: 443\n"),
        8,
        13,
        "load_balancer.listeners[1]",
        "port 443 is HTTPS and needs certificate_arn",
    );
    let t = ok(&lb(&format!("  listeners: [{{ port: 80 }}, {{ port: 443, certificate_arn: \"{CERT}\" }}]\n"))).topology;
    assert_eq!(t.load_balancer.listeners[1], Listener { port: 443, certificate_arn: Some(CERT.into()) });
    // Any port with a certificate is HTTPS.
    ok(&lb(&format!("  listeners: [{{ port: 8443, certificate_arn: \"{CERT}\" }}]\n")));
    ok(&lb("  listeners: [{ port: 443, certificate_arn: arn:aws:iam::123456789012:server-certificate/web }]\n"));
}

#[test]
fn certificate_format_and_region() {
    expect_err(
        &lb("  listeners: [{ port: 443, certificate_arn: arn:aws:s3:::bucket }]\n"),
        6,
        45,
        "load_balancer.listeners[0].certificate_arn",
        "is not a certificate ARN",
    );
    expect_err(
        &lb("  listeners: [{ port: 443, certificate_arn: \"arn:aws:acm:eu-west-1:123456789012:certificate/x\" }]\n"),
        6,
        45,
        "load_balancer.listeners[0].certificate_arn",
        "the certificate is in eu-west-1",
    );
}

#[test]
fn listener_ports_are_unique_and_in_range() {
    expect_err(
        &lb("  listeners:\n    - port: 8080\n    - port: 8080\n"),
        8,
        13,
        "load_balancer.listeners[1].port",
        "port 8080 is already used by listeners[0]",
    );
    expect_err(
        &lb("  listeners: [{ port: 70000 }]\n"),
        6,
        23,
        "load_balancer.listeners[0].port",
        "70000 is out of range: expected a port number from 1 to 65535",
    );
    expect_err(&lb("  listeners: []\n"), 6, 14, "load_balancer.listeners", "at least one listener");
    expect_err(
        &lb(&format!("  listeners: [{{ certificate_arn: \"{CERT}\" }}]\n")),
        6,
        15,
        "load_balancer.listeners[0]",
        "missing required field `port`",
    );
}

#[test]
fn algorithm_and_scheme_list_their_choices() {
    expect_err(
        &lb("  algorithm: random\n"),
        6,
        14,
        "load_balancer.algorithm",
        "expected one of round_robin, least_outstanding_requests, weighted_random",
    );
    expect_err(&lb("  scheme: public\n"), 6, 11, "load_balancer.scheme", "expected one of internet-facing, internal");
    let t = ok(&lb("  algorithm: least_outstanding_requests\n  scheme: internal\n")).topology;
    assert_eq!(t.load_balancer.algorithm, Algorithm::LeastOutstandingRequests);
    assert_eq!(t.load_balancer.scheme, Scheme::Internal);
}

#[test]
fn durations() {
    expect_err(
        &lb("  idle_timeout: soon\n"),
        6,
        17,
        "load_balancer.idle_timeout",
        "expected a duration such as 30s, 5m, 1h or 7d",
    );
    expect_err(&lb("  idle_timeout: 60\n"), 6, 17, "load_balancer.idle_timeout", "expected a duration such as 30s");
    expect_err(&lb("  idle_timeout: 1h30m\n"), 6, 17, "load_balancer.idle_timeout", "is not a duration");
    expect_err(
        &lb("  idle_timeout: 2h\n"),
        6,
        17,
        "load_balancer.idle_timeout",
        "`2h` is out of range: expected 1s to 4000s",
    );
    expect_err(&lb("  idle_timeout: [1s]\n"), 6, 17, "load_balancer.idle_timeout", "invalid type: sequence");
    assert_eq!(ok(&lb("  idle_timeout: 5m\n")).topology.load_balancer.idle_timeout, Duration::from_secs(300));
}

#[test]
fn stickiness_forms() {
    let sticky = |body: &str| ok(&lb(&format!("  stickiness: {body}\n"))).topology.load_balancer.stickiness;
    assert_eq!(
        sticky("{ enabled: true, duration: 1h }"),
        Some(Stickiness::LbCookie { duration: Duration::from_secs(3600) })
    );
    assert_eq!(sticky("{}"), Some(Stickiness::LbCookie { duration: Duration::from_secs(86_400) }));
    assert_eq!(sticky("{ enabled: false, duration: 1h }"), None);
    assert_eq!(
        sticky("{ type: app_cookie, cookie_name: SESSION }"),
        Some(Stickiness::AppCookie { cookie_name: "SESSION".into(), duration: Duration::from_secs(86_400) })
    );
    expect_err(
        &lb("  stickiness:\n    type: app_cookie\n"),
        7,
        11,
        "load_balancer.stickiness.cookie_name",
        "type: app_cookie needs cookie_name",
    );
    expect_err(
        &lb("  stickiness:\n    cookie_name: SESSION\n"),
        7,
        5,
        "load_balancer.stickiness.cookie_name",
        "cookie_name applies only to type: app_cookie",
    );
    expect_err(
        &lb("  stickiness: { type: app_cookie, cookie_name: AWSALBX }\n"),
        6,
        48,
        "load_balancer.stickiness.cookie_name",
        "reserves",
    );
    expect_err(
        &lb("  stickiness: { duration: 8d }\n"),
        6,
        27,
        "load_balancer.stickiness.duration",
        "expected 1s to 7d",
    );
    expect_err(
        &lb("  stickiness: { type: ip }\n"),
        6,
        23,
        "load_balancer.stickiness.type",
        "expected one of lb_cookie, app_cookie",
    );
}

#[test]
fn health_check_ranges() {
    let hc = |body: &str| lb(&format!("  health_check:\n{body}"));
    expect_err(&hc("    interval: 1s\n"), 7, 15, "load_balancer.health_check.interval", "expected 5s to 5m");
    expect_err(&hc("    timeout: 1s\n"), 7, 14, "load_balancer.health_check.timeout", "expected 2s to 2m");
    expect_err(
        &hc("    healthy_threshold: 1\n"),
        7,
        24,
        "load_balancer.health_check.healthy_threshold",
        "1 is out of range: expected a health check count from 2 to 10",
    );
    expect_err(
        &hc("    unhealthy_threshold: 11\n"),
        7,
        26,
        "load_balancer.health_check.unhealthy_threshold",
        "from 2 to 10",
    );
    expect_err(&hc("    path: health\n"), 7, 11, "load_balancer.health_check.path", "must start with `/`");
    expect_err(&hc("    matcher: \"600\"\n"), 7, 14, "load_balancer.health_check.matcher", "not an HTTP code matcher");
    expect_err(&hc("    matcher: 399-200\n"), 7, 14, "load_balancer.health_check.matcher", "not an HTTP code matcher");
    let t = ok(&hc("    matcher: 200\n    interval: 1m\n    timeout: 30s\n")).topology;
    assert_eq!(t.load_balancer.health_check.matcher, "200");
    assert_eq!(t.load_balancer.health_check.interval, Duration::from_secs(60));
}

#[test]
fn health_check_timeout_must_be_shorter_than_interval() {
    let hc = |body: &str| lb(&format!("  health_check:\n{body}"));
    expect_err(
        &hc("    interval: 10s\n    timeout: 10s\n"),
        8,
        14,
        "load_balancer.health_check.timeout",
        "timeout (10s) must be shorter than interval (10s)",
    );
    // With only the interval written, the default timeout (5s) conflicts with it: point at the interval.
    expect_err(
        &hc("    interval: 5s\n"),
        7,
        15,
        "load_balancer.health_check.interval",
        "timeout (5s, the default) must be shorter than interval (5s)",
    );
}

/// ELBv2 refuses stickiness on a target group whose algorithm is weighted_random, only when the target
/// group is modified; validate says so first, at the algorithm.
#[test]
fn weighted_random_cannot_be_sticky() {
    expect_err(
        &lb("  algorithm: weighted_random\n  stickiness: { duration: 1h }\n"),
        6,
        14,
        "load_balancer.algorithm",
        "weighted_random cannot be combined with load_balancer.stickiness",
    );
    // Stickiness first, or as an empty section (on, with defaults): the same.
    let d = err(&lb("  stickiness:\n    type: app_cookie\n    cookie_name: SID\n  algorithm: weighted_random\n"));
    assert_eq!((d.line, d.column, d.field.as_str()), (9, 14, "load_balancer.algorithm"), "{d}");
    assert!(d.message.contains("You cannot have both stickiness and weighted random algorithm enabled"), "{d}");
    expect_err(
        &lb("  stickiness:\n  algorithm: weighted_random\n"),
        7,
        14,
        "load_balancer.algorithm",
        "cannot be combined",
    );
    // Without stickiness, or with it turned off, weighted_random is fine; so is stickiness with the others.
    let t = ok(&lb("  algorithm: weighted_random\n  stickiness: { enabled: false }\n")).topology;
    assert_eq!((t.load_balancer.algorithm, t.load_balancer.stickiness), (Algorithm::WeightedRandom, None));
    ok(&lb("  algorithm: weighted_random\n"));
    ok(&lb("  algorithm: round_robin\n  stickiness: { duration: 1h }\n"));
    ok(&lb("  algorithm: least_outstanding_requests\n  stickiness: { duration: 1h }\n"));
}
