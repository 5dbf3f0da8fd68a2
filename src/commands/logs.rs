//! `clusterup logs NAME|FILE [--group G] [--since 15m] [--follow] [--filter TEXT]`: the nodes' log
//! events from CloudWatch Logs, with the node each came from and its time.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use aws_smithy_types::date_time::{DateTime, Format};

use super::interrupt::until_stopped;
use super::{target::resolve, ExitStatus};
use crate::cli::AwsArgs;
use crate::engine::StopSignal;
use crate::output::Printer;
use crate::resources::logs::events::{self, Event};

/// How often `--follow` asks for new events. FilterLogEvents is limited to 5 calls a second per account
/// and region; once a second per group leaves room for other readers.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// What to read.
pub struct Read<'a> {
    pub group: Option<&'a str>,
    pub since: Duration,
    pub filter: Option<&'a str>,
}

pub async fn run(
    g: &AwsArgs,
    target: &str,
    read: &Read<'_>,
    follow: bool,
    stop: &StopSignal,
    printer: &Printer,
) -> Result<ExitStatus> {
    let Some(resolved) = until_stopped(stop, resolve(g, target, false, printer)).await? else {
        return Ok(ExitStatus::Interrupted);
    };
    let ctx = resolved.ctx;
    let Some(groups) =
        until_stopped(stop, async { Ok(events::log_groups(&ctx.aws, &ctx.deployment, read.group).await?) }).await?
    else {
        return Ok(ExitStatus::Interrupted);
    };
    if groups.is_empty() {
        printer.status(&format!(
            "Deployment {} has no log groups in {} (was it applied?).",
            ctx.deployment, ctx.aws.region
        ));
        return Ok(ExitStatus::Success);
    }
    let several = groups.len() > 1;
    let mut start = now_ms().saturating_sub(i64::try_from(read.since.as_millis()).unwrap_or(i64::MAX));
    // Events already printed at the latest time seen: the next read starts at that time again (events
    // may arrive late with it), and these are not printed twice.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    loop {
        let read_now = async { Ok(events::read(&ctx.aws, &groups, start, read.filter).await?) };
        let Some(found) = until_stopped(stop, read_now).await? else { return Ok(ExitStatus::Interrupted) };
        let fresh: Vec<&Event> = found.iter().filter(|e| !seen.contains(&key(e))).collect();
        for event in &fresh {
            printer.out(&format!("{}\n", line(event, several)));
        }
        if let Some(last) = found.last() {
            if last.time_ms > start || seen.is_empty() {
                start = last.time_ms;
                seen.clear();
            }
            seen.extend(found.iter().filter(|e| e.time_ms == start).map(key));
        }
        if !follow {
            return Ok(ExitStatus::Success);
        }
        // Ctrl-C ends a follow at once, between reads or during one (130, as every long-running command).
        if until_stopped(stop, async {
            tokio::time::sleep(FOLLOW_EVERY).await;
            Ok(())
        })
        .await?
        .is_none()
        {
            return Ok(ExitStatus::Interrupted);
        }
    }
}

fn key(event: &Event) -> String {
    format!("{} {} {} {}", event.group, event.stream, event.id, event.time_ms)
}

/// `2026-12-06T23:40:01.123Z  i-0abc  message`, with the log group's node group in front when several
/// groups are read.
fn line(event: &Event, several: bool) -> String {
    let time =
        DateTime::from_millis(event.time_ms).fmt(Format::DateTime).unwrap_or_else(|_| format!("{} ms", event.time_ms));
    let group = match several {
        true => format!("{}  ", event.group.rsplit('/').next().unwrap_or(&event.group)),
        false => String::new(),
    };
    format!("{time}  {group}{}  {}", event.stream, event.message)
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(group: &str, stream: &str, time_ms: i64, message: &str) -> Event {
        Event { group: group.into(), stream: stream.into(), time_ms, id: "1".into(), message: message.into() }
    }

    #[test]
    fn a_line_has_the_time_the_node_and_the_event() {
        let e = event("/clusterup/shop/app", "i-0abc", 1_765_064_401_123, "GET / 200");
        assert_eq!(line(&e, false), "2025-12-06T23:40:01.123Z  i-0abc  GET / 200");
        assert_eq!(line(&e, true), "2025-12-06T23:40:01.123Z  app  i-0abc  GET / 200");
    }
}
