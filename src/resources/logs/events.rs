//! Reading the nodes' log events back, for `clusterup logs`: the deployment's log groups, and their
//! events through FilterLogEvents (which `--follow` polls: the emulator has no Live Tail, and polling
//! needs no event stream the operator policy would have to allow).

use crate::aws::{Aws, AwsError, Outcome, ResultExt};
use crate::model::names::logs::{log_group_name, prefix};

/// One log event: the log group's name, the stream (the node's instance id, `/journal` after it for
/// the system journal), when it happened (milliseconds since 1970, UTC), and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub group: String,
    pub stream: String,
    pub time_ms: i64,
    pub id: String,
    pub message: String,
}

/// The names of the deployment's log groups, or only `group`'s; a named group that does not exist is
/// an error naming the groups there are.
pub async fn log_groups(aws: &Aws, deployment: &str, group: Option<&str>) -> Result<Vec<String>, AwsError> {
    let names: Vec<String> = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(prefix(deployment))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribeLogGroups", deployment)?
        .into_iter()
        .filter_map(|g| g.log_group_name().map(str::to_owned))
        .collect();
    let Some(group) = group else { return Ok(names) };
    let wanted = log_group_name(deployment, group);
    if names.contains(&wanted) {
        return Ok(vec![wanted]);
    }
    let there: Vec<&str> = names.iter().filter_map(|n| n.strip_prefix(&prefix(deployment))).collect();
    Err(AwsError::local(
        &wanted,
        "DescribeLogGroups",
        format!(
            "deployment {deployment} has no log group for group {group}; its groups with logs: {}",
            if there.is_empty() { "none (was it applied?)".to_owned() } else { there.join(", ") }
        ),
    ))
}

/// Every event of `groups` from `start_ms` on (inclusive), matching CloudWatch Logs' filter pattern
/// `filter` when given (a plain word or quoted phrase matches events that contain it), in time order.
pub async fn read(aws: &Aws, groups: &[String], start_ms: i64, filter: Option<&str>) -> Result<Vec<Event>, AwsError> {
    let mut events = Vec::new();
    for group in groups {
        let found = aws
            .logs
            .filter_log_events()
            .log_group_name(group)
            .start_time(start_ms)
            .set_filter_pattern(filter.map(pattern))
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("FilterLogEvents", group)
            .found()?;
        // A group deleted meanwhile has nothing more to say.
        let Some(pages) = found else { continue };
        for page in pages {
            for event in page.events() {
                let (Some(time_ms), Some(message)) = (event.timestamp(), event.message()) else { continue };
                events.push(Event {
                    group: group.clone(),
                    stream: event.log_stream_name().unwrap_or("(no stream)").to_owned(),
                    time_ms,
                    id: event.event_id().unwrap_or("").to_owned(),
                    message: message.trim_end_matches('\n').to_owned(),
                });
            }
        }
    }
    events.sort_by(|a, b| (a.time_ms, &a.group, &a.stream, &a.id).cmp(&(b.time_ms, &b.group, &b.stream, &b.id)));
    Ok(events)
}

/// `--filter TEXT` as a CloudWatch Logs filter pattern that matches events containing TEXT: quoted, so
/// that spaces and the pattern syntax's own characters (`-`, `?`, `{`) are taken as written.
fn pattern(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::pattern;

    #[test]
    fn a_filter_is_matched_as_written() {
        assert_eq!(pattern("ERROR"), "\"ERROR\"");
        assert_eq!(pattern("GET /health 503"), "\"GET /health 503\"");
        assert_eq!(pattern("say \"hi\""), "\"say \\\"hi\\\"\"");
    }
}
