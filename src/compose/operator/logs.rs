//! CloudWatch Logs: the node groups' log groups, made, kept to their retention, tagged, read by
//! `clusterup logs` and deleted (`destroy --delete-data`), all named `/clusterup/<deployment>/<group>`.
//!
//! Resource types per the Service Authorization Reference (CloudWatch Logs): every call below is
//! authorised on the `log-group` (`arn:...:log-group:<name>`), so the deployment's name prefix scopes
//! them; CreateLogGroup with tags also needs `logs:TagResource` on the group. DescribeLogGroups has no
//! resource type and is one of the account-wide reads.

use serde_json::Value;

use super::{allow, Scope};
use crate::model::names::logs::prefix;

pub fn statements(scope: &Scope) -> Vec<Value> {
    let groups = vec![scope.arn("logs", &format!("log-group:{}*", prefix(scope.deployment())))];
    vec![allow(
        "LogGroupsOwn",
        &[
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:FilterLogEvents",
            "logs:ListTagsForResource",
            "logs:PutRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
        ],
        groups,
        None,
    )]
}
