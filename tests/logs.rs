//! Logs through the real binary on the project's emulator: the node group's log group made with its
//! retention and tags, an event written to it as a node's CloudWatch agent writes one, read back by
//! `clusterup logs` with the node and the time (and `--filter`, `--group`, `--follow` stopped by Ctrl-C),
//! destroy keeping the log group (listed with its size) and `destroy --delete-data` deleting it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use crate::apply_destroy::block_on;
use crate::support::{assert_code, clients, clusterup, endpoint, spawn_clusterup, stderr, stdout, Workspace};

fn now_ms() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis()).expect("fits")
}

#[test]
fn a_log_group_per_node_group_is_read_by_logs_and_kept_by_destroy_unless_data_may_go() {
    let ws = Workspace::from_example("web-tier.yaml", "logs");
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    std::fs::write(ws.topology(), format!("{text}\nlogs:\n  retention: 14d\n")).expect("write");
    let path = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);

    // Read back: the group's log group, its retention and tags.
    let aws = block_on(clients());
    let group = format!("/clusterup/{}/app", ws.name);
    let listed =
        block_on(aws.logs.describe_log_groups().log_group_name_prefix(format!("/clusterup/{}/", ws.name)).send())
            .expect("DescribeLogGroups");
    let names: Vec<&str> = listed.log_groups().iter().filter_map(|g| g.log_group_name()).collect();
    assert_eq!(names, [group.as_str()]);
    assert_eq!(listed.log_groups()[0].retention_in_days(), Some(14));
    let arn = listed.log_groups()[0].log_group_arn().expect("arn").to_owned();
    let tags = block_on(aws.logs.list_tags_for_resource().resource_arn(&arn).send()).expect("tags");
    let tags = tags.tags().expect("tags");
    assert_eq!(tags.get("clusterup:deployment").map(String::as_str), Some(ws.name.as_str()));
    assert_eq!(tags.get("clusterup:resource").map(String::as_str), Some("logs/app"));

    // A node's agent: a stream named by its instance id, and its events.
    let node = "i-0123456789abcdef0";
    block_on(aws.logs.create_log_stream().log_group_name(&group).log_stream_name(node).send()).expect("stream");
    let at = now_ms() - 60_000;
    let event = |offset: i64, message: &str| {
        InputLogEvent::builder().timestamp(at + offset).message(message).build().expect("event")
    };
    block_on(
        aws.logs
            .put_log_events()
            .log_group_name(&group)
            .log_stream_name(node)
            .log_events(event(0, "GET /health 200"))
            .log_events(event(1000, "ERROR disk full on /var"))
            .send(),
    )
    .expect("PutLogEvents");

    let read = clusterup(&["logs", &ws.name]);
    assert_code(&read, 0);
    let out = stdout(&read);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    // Time (UTC, to the millisecond), node, event, oldest first.
    let time =
        aws_smithy_types::DateTime::from_millis(at).fmt(aws_smithy_types::date_time::Format::DateTime).expect("time");
    assert_eq!(lines[0], format!("{time}  {node}  GET /health 200"));
    assert!(lines[1].ends_with(&format!("  {node}  ERROR disk full on /var")), "{out}");

    let filtered = clusterup(&["logs", &ws.name, "--group", "app", "--filter", "ERROR"]);
    assert_code(&filtered, 0);
    let out = stdout(&filtered);
    assert!(out.contains("ERROR disk full on /var") && !out.contains("GET /health"), "{out}");
    // Events older than --since are not read.
    let recent = clusterup(&["logs", &ws.name, "--since", "10s"]);
    assert_code(&recent, 0);
    assert_eq!(stdout(&recent), "");
    // A group that is not there is named with the ones that are.
    let missing = clusterup(&["logs", &ws.name, "--group", "workers"]);
    assert_code(&missing, 1);
    assert!(
        stderr(&missing).contains("no log group for group workers; its groups with logs: app"),
        "{}",
        stderr(&missing)
    );

    // --follow runs until Ctrl-C, and stops within a second of it.
    let mut follow = spawn_clusterup(endpoint(), &["logs", &ws.name, "--follow"]);
    std::thread::sleep(Duration::from_secs(3));
    assert!(follow.try_wait().expect("wait").is_none(), "--follow ended by itself");
    let pid = follow.id().to_string();
    let sent = Instant::now();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().expect("kill").success());
    let status = loop {
        if let Some(status) = follow.try_wait().expect("wait") {
            break status;
        }
        assert!(sent.elapsed() < Duration::from_secs(5), "--follow still running 5 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(sent.elapsed() < Duration::from_secs(1), "took {:?} to stop", sent.elapsed());
    assert_eq!(status.code(), Some(130));

    // Destroy keeps the log group, named with its size and how to delete it.
    let destroyed = clusterup(&["destroy", "--yes", &ws.name]);
    assert_code(&destroyed, 0);
    let err = stderr(&destroyed);
    assert!(err.contains(&format!("Kept: log group {group} (")), "{err}");
    assert!(
        err.contains("bytes stored") && err.contains(&format!("aws logs delete-log-group --log-group-name {group}")),
        "{err}"
    );
    let still = block_on(aws.logs.describe_log_groups().log_group_name_prefix(&group).send()).expect("describe");
    assert_eq!(still.log_groups().len(), 1);

    // With --delete-data it goes, and nothing of the deployment is left.
    let deleted = clusterup(&["destroy", "--yes", "--delete-data", &ws.name]);
    assert_code(&deleted, 0);
    assert!(!stderr(&deleted).contains("Kept:"), "{}", stderr(&deleted));
    let gone = block_on(aws.logs.describe_log_groups().log_group_name_prefix(&group).send()).expect("describe");
    assert!(gone.log_groups().is_empty(), "{:?}", gone.log_groups());
}
