//! After apply or destroy: where the time went. The run took as long as its longest chain of actions,
//! so that chain is what to look at (and what `plan` estimated); the longest single waits and the AWS
//! calls made complete the picture.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{secs, Style};
use crate::engine::{longest_chain, Outcome, Report};

/// How many of the longest actions to name.
const LONGEST: usize = 3;

pub fn render_time_summary(report: &Report, calls: &BTreeMap<&'static str, u64>, style: Style) -> String {
    let mut text = String::new();
    let chain = longest_chain(&report.nodes);
    if chain.is_empty() {
        return text;
    }
    let _ = writeln!(text, "{} ({}):", style.bold("Where the time went"), secs(report.elapsed));
    let steps: Vec<String> = chain
        .iter()
        .map(|&i| {
            let (node, outcome) = &report.nodes[i];
            let took = match outcome {
                Outcome::Done(span) => secs(span.elapsed()),
                _ => String::new(),
            };
            format!("{} {took}", node.address)
        })
        .collect();
    let _ = writeln!(text, "  longest chain: {}", steps.join(" -> "));
    let mut done: Vec<(&str, std::time::Duration)> = report
        .nodes
        .iter()
        .filter_map(|(node, outcome)| match outcome {
            Outcome::Done(span) => Some((node.address.as_str(), span.elapsed())),
            _ => None,
        })
        .collect();
    done.sort_by_key(|(_, took)| std::cmp::Reverse(*took));
    let longest: Vec<String> = done.iter().take(LONGEST).map(|(a, took)| format!("{a} {}", secs(*took))).collect();
    let _ = writeln!(text, "  longest actions: {}", longest.join(", "));
    if !calls.is_empty() {
        let _ = writeln!(text, "  {}", render_calls(calls));
    }
    text
}

/// When the app first served through the load balancer with every node healthy, apart from the end of
/// the apply (what else was still being made then: the database, the Spark cluster). None when the apply
/// made none of it (it was serving already).
pub fn render_serving(serving: Option<std::time::Duration>, elapsed: std::time::Duration) -> Option<String> {
    let at = serving?;
    let rest = elapsed.saturating_sub(at);
    Some(if rest.as_secs() >= 1 {
        format!(
            "Serving after {}: the load balancer answered with every node healthy, {} before the apply completed.",
            secs(at),
            secs(rest)
        )
    } else {
        format!("Serving after {}: the load balancer answered with every node healthy.", secs(at))
    })
}

/// `AWS calls: 212 (ec2 120, rds 40, ...)`, busiest service first.
pub fn render_calls(calls: &BTreeMap<&'static str, u64>) -> String {
    let mut by_count: Vec<(&&str, &u64)> = calls.iter().collect();
    by_count.sort_by_key(|(service, n)| (std::cmp::Reverse(**n), **service));
    let parts: Vec<String> = by_count.iter().map(|(service, n)| format!("{service} {n}")).collect();
    format!("AWS calls: {} ({})", calls.values().sum::<u64>(), parts.join(", "))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::{Node, Span};
    use crate::model::{Kind, Op};

    #[test]
    fn serving_is_told_apart_from_the_end_of_the_apply() {
        let line = render_serving(Some(Duration::from_secs(432)), Duration::from_secs(1263)).expect("a line");
        assert_eq!(
            line,
            "Serving after 7m12s: the load balancer answered with every node healthy, 13m51s before the apply completed."
        );
        let last = render_serving(Some(Duration::from_secs(200)), Duration::from_millis(200_400)).expect("a line");
        assert_eq!(last, "Serving after 3m20s: the load balancer answered with every node healthy.");
        assert_eq!(render_serving(None, Duration::from_secs(10)), None, "nothing of it was made: serving already");
    }

    #[test]
    fn names_the_chain_the_longest_actions_and_the_calls() {
        let node = |address: &str, kind, deps: &[usize]| Node::bare(address, kind, Op::Create, deps);
        let done = |start, end| {
            Outcome::Done(Span { start: Duration::from_secs(start), end: Duration::from_secs(end), stopped: None })
        };
        let report = Report {
            nodes: vec![
                (node("database/subnet-group", Kind::DbSubnetGroup, &[]), done(0, 1)),
                (node("database/instance", Kind::DbInstance, &[0]), done(1, 1081)),
                (node("network/security-group/app", Kind::SecurityGroup, &[]), done(0, 2)),
            ],
            resources: Vec::new(),
            elapsed: Duration::from_secs(1082),
            stopped: false,
        };
        let calls = BTreeMap::from([("ec2", 12), ("rds", 400)]);
        let text = render_time_summary(&report, &calls, Style { enabled: false });
        assert!(text.contains("(18m02s)"), "{text}");
        assert!(text.contains("longest chain: database/subnet-group 1.0s -> database/instance 18m00s"), "{text}");
        assert!(text.contains("longest actions: database/instance 18m00s, network/security-group/app 2.0s"), "{text}");
        assert!(text.contains("AWS calls: 412 (rds 400, ec2 12)"), "{text}");
    }
}
