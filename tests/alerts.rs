//! Alarms through the real binary on the project's emulator: apply a topology with `alerts:`, read back
//! the topic, its email subscription and the alarms (with their actions, dimensions and the groups'
//! metrics), set one alarm to ALARM and see `status` exit 3 naming it, and destroy leaving nothing.

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::{assert_code, clients, clusterup, stderr, stdout, Workspace};

#[test]
fn alerts_apply_their_topic_subscription_and_alarms_status_names_one_in_alarm_and_destroy_removes_them() {
    let ws = Workspace::from_example("web-tier.yaml", "alrt");
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    let alerts = "\nalerts:\n  email: [ops@example.com]\n  thresholds:\n    load_balancer_5xx: 25\n";
    std::fs::write(ws.topology(), format!("{text}{alerts}")).expect("write");
    let path = ws.topology().to_string_lossy().into_owned();

    let plan = clusterup(&["plan", &path]);
    assert_code(&plan, 0);
    let planned = stdout(&plan);
    assert!(planned.contains("+ alerts/topic"), "{planned}");
    assert!(planned.contains("+ alerts/alarm/alb-5xx"), "{planned}");
    assert!(planned.contains("CloudWatch alarm"), "the cost prices the alarms: {planned}");

    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    // What was made is what is wanted: no alarm, topic or group is planned again.
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);

    let aws = block_on(clients());
    let topic_name = format!("clusterup-{}-alerts", ws.name);
    let topics = block_on(aws.sns.list_topics().send()).expect("ListTopics");
    let topic = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .find(|arn| arn.ends_with(&format!(":{topic_name}")))
        .unwrap_or_else(|| panic!("no topic {topic_name}"))
        .to_owned();
    let tags = block_on(aws.sns.list_tags_for_resource().resource_arn(&topic).send()).expect("topic tags");
    assert!(tags.tags().iter().any(|t| t.key() == "clusterup:deployment" && t.value() == ws.name));
    let subscriptions =
        block_on(aws.sns.list_subscriptions_by_topic().topic_arn(&topic).send()).expect("ListSubscriptionsByTopic");
    let emails: Vec<(Option<&str>, Option<&str>)> =
        subscriptions.subscriptions().iter().map(|s| (s.protocol(), s.endpoint())).collect();
    assert_eq!(emails, vec![(Some("email"), Some("ops@example.com"))]);

    let prefix = format!("clusterup-{}-", ws.name);
    let alarms = block_on(aws.cloudwatch.describe_alarms().alarm_name_prefix(&prefix).send()).expect("DescribeAlarms");
    let mut names: Vec<&str> = alarms.metric_alarms().iter().filter_map(|a| a.alarm_name()).collect();
    names.sort_unstable();
    let wanted: Vec<String> =
        ["alb-5xx", "group-app-at-max-capacity", "group-app-unhealthy-hosts", "response-time-p99", "target-5xx"]
            .iter()
            .map(|w| format!("{prefix}{w}"))
            .collect();
    assert_eq!(names, wanted);
    for alarm in alarms.metric_alarms() {
        assert_eq!(alarm.alarm_actions(), std::slice::from_ref(&topic), "{:?}", alarm.alarm_name());
    }
    let alb_5xx = alarms
        .metric_alarms()
        .iter()
        .find(|a| a.alarm_name() == Some(format!("{prefix}alb-5xx").as_str()))
        .expect("alb-5xx");
    assert_eq!(alb_5xx.threshold(), Some(25.0));
    // CloudWatch names the load balancer by the end of its ARN.
    let dimension = alb_5xx.dimensions().first().expect("a dimension");
    assert_eq!(dimension.name(), Some("LoadBalancer"));
    assert!(dimension.value().is_some_and(|v| v.starts_with(&format!("app/{}-alb/", ws.name))), "{dimension:?}");
    let tags = block_on(aws.cloudwatch.list_tags_for_resource().resource_arn(alb_5xx.alarm_arn().expect("arn")).send())
        .expect("alarm tags");
    assert!(tags.tags().iter().any(|t| t.key() == Some("clusterup:deployment") && t.value() == Some(ws.name.as_str())));
    // The at-max-capacity alarm's metric is sent by the group.
    let groups = block_on(
        aws.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(format!("{}-app", ws.name)).send(),
    )
    .expect("DescribeAutoScalingGroups");
    let metrics: Vec<&str> =
        groups.auto_scaling_groups()[0].enabled_metrics().iter().filter_map(|m| m.metric()).collect();
    assert!(metrics.contains(&"GroupInServiceInstances"), "{metrics:?}");

    // Healthy until an alarm fires; then degraded, naming it, exit 3.
    let status = clusterup(&["status", &ws.name, "--region", "us-east-1"]);
    assert!(stdout(&status).contains("5 alarms, 0 in ALARM"), "{}", stdout(&status));
    let firing = format!("{prefix}alb-5xx");
    block_on(
        aws.cloudwatch
            .set_alarm_state()
            .alarm_name(&firing)
            .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
            .state_reason("the test set it")
            .send(),
    )
    .expect("SetAlarmState");
    let status = clusterup(&["status", &ws.name, "--region", "us-east-1"]);
    assert_code(&status, 3);
    let shown = stdout(&status);
    assert!(shown.contains("5 alarms, 1 in ALARM"), "{shown}");
    assert!(shown.contains(&format!("alarms: {firing} is in ALARM: the test set it")), "{shown}");
    let json = clusterup(&["status", &ws.name, "--region", "us-east-1", "--json"]);
    assert_code(&json, 3);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    let states: Vec<(&str, &str)> = doc["tiers"]["alarms"]["alarms"]
        .as_array()
        .expect("alarms")
        .iter()
        .map(|a| (a["name"].as_str().unwrap_or(""), a["state"].as_str().unwrap_or("")))
        .filter(|(_, state)| *state == "ALARM")
        .collect();
    assert_eq!(states, vec![(firing.as_str(), "ALARM")]);

    let destroyed = clusterup(&["destroy", "--yes", "--delete-data", &ws.name, "--region", "us-east-1"]);
    assert_code(&destroyed, 0);
    assert!(stderr(&destroyed).contains("Verified: nothing tagged"), "{}", stderr(&destroyed));
    let left = block_on(aws.cloudwatch.describe_alarms().alarm_name_prefix(&prefix).send()).expect("DescribeAlarms");
    assert!(left.metric_alarms().is_empty(), "{:?}", left.metric_alarms());
    let topics = block_on(aws.sns.list_topics().send()).expect("ListTopics");
    assert!(topics.topics().iter().all(|t| t.topic_arn() != Some(topic.as_str())), "the topic is still there");
    let subscriptions = block_on(aws.sns.list_subscriptions().send()).expect("ListSubscriptions");
    assert!(subscriptions.subscriptions().iter().all(|s| s.topic_arn() != Some(topic.as_str())));
    assert_eq!(block_on(live_tagged(&aws, &ws.name)), Vec::<String>::new());
}

/// `sns_topic_arn`: the alarms notify the user's own topic, which clusterup neither subscribes to,
/// changes nor deletes; destroy removes the alarms and leaves the topic.
#[test]
fn alarms_notify_a_topic_named_by_its_arn_and_destroy_leaves_that_topic() {
    let ws = Workspace::from_example("web-tier.yaml", "alrt-own");
    let aws = block_on(clients());
    let topic = block_on(aws.sns.create_topic().name(format!("ops-{}", ws.name)).send())
        .expect("CreateTopic")
        .topic_arn()
        .expect("arn")
        .to_owned();
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    std::fs::write(ws.topology(), format!("{text}\nalerts:\n  sns_topic_arn: {topic}\n")).expect("write");
    let path = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);

    let prefix = format!("clusterup-{}-", ws.name);
    let alarms = block_on(aws.cloudwatch.describe_alarms().alarm_name_prefix(&prefix).send()).expect("DescribeAlarms");
    assert_eq!(alarms.metric_alarms().len(), 5);
    for alarm in alarms.metric_alarms() {
        assert_eq!(alarm.alarm_actions(), std::slice::from_ref(&topic), "{:?}", alarm.alarm_name());
    }
    let topics = block_on(aws.sns.list_topics().send()).expect("ListTopics");
    let own = format!(":clusterup-{}-alerts", ws.name);
    assert!(topics.topics().iter().filter_map(|t| t.topic_arn()).all(|arn| !arn.ends_with(&own)), "a topic was made");
    let subscriptions =
        block_on(aws.sns.list_subscriptions_by_topic().topic_arn(&topic).send()).expect("subscriptions");
    assert!(subscriptions.subscriptions().is_empty(), "{:?}", subscriptions.subscriptions());

    let destroyed = clusterup(&["destroy", "--yes", "--delete-data", &ws.name, "--region", "us-east-1"]);
    assert_code(&destroyed, 0);
    let left = block_on(aws.cloudwatch.describe_alarms().alarm_name_prefix(&prefix).send()).expect("DescribeAlarms");
    assert!(left.metric_alarms().is_empty(), "{:?}", left.metric_alarms());
    let topics = block_on(aws.sns.list_topics().send()).expect("ListTopics");
    assert!(topics.topics().iter().any(|t| t.topic_arn() == Some(topic.as_str())), "the user's topic was deleted");
    block_on(aws.sns.delete_topic().topic_arn(&topic).send()).expect("DeleteTopic");
}
