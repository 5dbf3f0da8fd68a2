//! The alerts section: who is notified, and the alarms' thresholds.

use std::time::Duration;

use super::*;
use crate::topology::*;

fn alerts(body: &str) -> String {
    minimal_with(&format!("alerts:\n{body}"))
}

#[test]
fn email_addresses_make_the_deployments_topic_with_the_default_thresholds() {
    let checked = ok(&alerts("  email: [ops@example.com, on-call+web@example.co.uk]\n"));
    let alerts = checked.topology.alerts.expect("alerts");
    assert_eq!(
        alerts.topic,
        AlertTopic::Own { email: vec!["ops@example.com".into(), "on-call+web@example.co.uk".into()] }
    );
    assert_eq!(alerts.thresholds.load_balancer_5xx, 10);
    assert_eq!(alerts.thresholds.response_time_p99, Duration::from_secs(2));
    assert_eq!(alerts.thresholds.database_connections_percent, 80);
    assert!(ok(MINIMAL).topology.alerts.is_none());
}

#[test]
fn thresholds_override_the_defaults() {
    let checked = ok(&alerts(
        "  email: [ops@example.com]\n  thresholds:\n    database_cpu_percent: 75\n    response_time_p99: 500s\n",
    ));
    let t = checked.topology.alerts.expect("alerts").thresholds;
    assert_eq!(t.database_cpu_percent, 75);
    assert_eq!(t.response_time_p99, Duration::from_secs(500));
    assert_eq!(t.spark_apps_pending, 5, "the others keep their defaults");
}

#[test]
fn a_bad_email_is_reported_at_the_address() {
    expect_err(&alerts("  email: [ops.example.com]\n"), 6, 11, "alerts.email[0]", "is not an email address: no @");
    expect_err(
        &alerts("  email:\n    - ops@example.com\n    - ops@localhost\n"),
        8,
        7,
        "alerts.email[1]",
        "the domain must be dot-separated labels",
    );
    expect_err(&alerts("  email: [\"a b@example.com\"]\n"), 6, 11, "alerts.email[0]", "1-64 visible characters");
    expect_err(
        &alerts("  email:\n    - ops@example.com\n    - OPS@example.com\n"),
        8,
        7,
        "alerts.email[1]",
        "OPS@example.com is listed twice",
    );
}

#[test]
fn a_bad_topic_arn_is_reported_at_the_arn() {
    expect_err(
        &alerts("  sns_topic_arn: arn:aws:sqs:us-east-1:123456789012:ops\n"),
        6,
        18,
        "alerts.sns_topic_arn",
        "is not an SNS topic ARN",
    );
    expect_err(
        &alerts("  sns_topic_arn: arn:aws:sns:us-east-1:123456789012:ops.fifo\n"),
        6,
        18,
        "alerts.sns_topic_arn",
        "CloudWatch alarms notify standard SNS topics only",
    );
    expect_err(
        &alerts("  sns_topic_arn: arn:aws:sns:eu-west-1:123456789012:ops\n"),
        6,
        18,
        "alerts.sns_topic_arn",
        "the topic is in eu-west-1, the deployment in us-east-1",
    );
    let existing = ok(&alerts("  sns_topic_arn: arn:aws:sns:us-east-1:123456789012:ops\n"));
    assert_eq!(
        existing.topology.alerts.expect("alerts").topic,
        AlertTopic::Existing("arn:aws:sns:us-east-1:123456789012:ops".into())
    );
}

#[test]
fn an_unknown_threshold_is_reported_with_the_known_ones() {
    let d = err(&alerts("  email: [ops@example.com]\n  thresholds:\n    cpu: 80\n"));
    assert_eq!((d.line, d.field.as_str()), (8, "alerts.thresholds.cpu"), "{d}");
    assert!(d.message.contains("database_cpu_percent"), "{d}");
    expect_err(
        &alerts("  email: [ops@example.com]\n  thresholds:\n    database_cpu_percent: 0\n"),
        8,
        27,
        "alerts.thresholds.database_cpu_percent",
        "from 1 to 100",
    );
}

#[test]
fn alerts_tell_someone_and_only_through_one_topic() {
    let d = err(&alerts("  thresholds:\n    database_cpu_percent: 80\n"));
    assert_eq!(d.field, "alerts", "{d}");
    assert!(d.message.contains("alerts needs email"), "{d}");
    let d = err(&alerts("  email: [ops@example.com]\n  sns_topic_arn: arn:aws:sns:us-east-1:123456789012:ops\n"));
    assert_eq!((d.line, d.field.as_str()), (6, "alerts.email"), "{d}");
    assert!(d.message.contains("write email or sns_topic_arn, not both"), "{d}");
}
