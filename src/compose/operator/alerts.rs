//! The alarms and their topic (`alerts:`): the topic by its exact name, the alarms by their name prefix
//! and the deployment's tag.
//!
//! Per the Service Authorization Reference: SNS authorises the topic calls on the topic (`CreateTopic`
//! and `TagResource` with `aws:RequestTag`; tagging at creation needs both, SNS API reference,
//! CreateTopic); `Unsubscribe` on the subscription, whose ARN is the topic's with the subscription's id
//! after it; `ListTopics` names no resource (an account-wide read). CloudWatch authorises every alarm
//! call on the alarm (`alarm:<name>`, with `aws:ResourceTag`, and `aws:RequestTag` for PutMetricAlarm
//! and TagResource; tagging at creation needs both, CloudWatch API reference, PutMetricAlarm).
//!
//! Discovery lists the alarms by name prefix and reads their tags to keep the deployment's own: the
//! alarms of a deployment whose name starts with this one's (`shop-b` for `shop`) share the prefix, so
//! those two reads are allowed on the prefix without a tag condition (`AlarmsRead`, reads only).

use serde_json::Value;

use super::{allow, Scope};
use crate::model::names::alerts::{alarm_prefix, topic_name};

pub fn statements(scope: &Scope) -> Vec<Value> {
    let d = scope.deployment();
    let topic = scope.arn("sns", &topic_name(d));
    let subscriptions = format!("{topic}:*");
    let alarms = vec![scope.arn("cloudwatch", &format!("alarm:{}*", alarm_prefix(d)))];
    vec![
        allow(
            "AlertTopicCreateTagged",
            &["sns:CreateTopic", "sns:TagResource"],
            vec![topic.clone()],
            Some(scope.tagged_on_create()),
        ),
        // The topic's exact name is the deployment's: nobody else's topic matches it.
        allow(
            "AlertTopicOwn",
            &[
                "sns:DeleteTopic",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTagsForResource",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:Unsubscribe",
                "sns:UntagResource",
            ],
            vec![topic, subscriptions],
            None,
        ),
        allow("AlarmsRead", &["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"], alarms.clone(), None),
        allow(
            "AlarmsCreateTagged",
            &["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"],
            alarms.clone(),
            Some(scope.tagged_on_create()),
        ),
        allow(
            "AlarmsChangeOwn",
            &[
                "cloudwatch:DeleteAlarms",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            alarms,
            Some(scope.owned()),
        ),
    ]
}
