//! The gate every step passes: for the whole step, every canary target stays healthy in the load
//! balancer's eyes, and two shares of failed requests stay at or under `--max-5xx-percent` (CloudWatch,
//! `AWS/ApplicationELB`, <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>):
//!
//! - the canary target group's: its targets' 5xx answers (`HTTPCode_Target_5XX_Count`) and the
//!   connections the load balancer could not open to them (`TargetConnectionErrorCount`, answered with a
//!   502 that the targets' count never sees), per request (`RequestCount`, which counts every request the
//!   load balancer chose a target for), per load balancer and target group;
//! - the load balancer's own 5xx answers (`HTTPCode_ELB_5XX_Count`) per request, for the whole load
//!   balancer: CloudWatch has no per-target-group figure for them, and a canary that times out (504) or
//!   resets connections (502) shows only there. A rise of them while the canary takes traffic fails the
//!   step, even if the app group's nodes caused it: the gate cannot tell, and says so.
//!
//! No datapoints means no requests were counted: no errors.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;
use aws_smithy_types::DateTime;

use crate::aws::ResultExt;
use crate::resources::{Ctx, Error};

/// One look at a target group.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub healthy: usize,
    /// How many healthy targets the group should have: its nodes.
    pub expected: usize,
    /// Each target that is not healthy: `i-0abc: unhealthy (Target.Timeout: ...)`.
    pub not_healthy: Vec<String>,
    /// The canary target group's requests, its targets' 5xx answers and the connections the load
    /// balancer could not open to them, counted by CloudWatch since the step began.
    pub requests: f64,
    pub errors: f64,
    pub connection_errors: f64,
    /// The whole load balancer's requests and its own 5xx answers, since the step began.
    pub lb_requests: f64,
    pub lb_errors: f64,
}

/// `failed` per `requests`, in percent: 0 without either, all of them when failures were counted
/// without their requests (CloudWatch published one minute's figures before the other's).
fn share(failed: f64, requests: f64) -> f64 {
    match (failed > 0.0, requests > 0.0) {
        (false, _) => 0.0,
        (true, false) => 100.0,
        (true, true) => (failed / requests * 100.0).min(100.0),
    }
}

impl Reading {
    /// The canary's failed requests (its targets' 5xx and the connections not made to them) per
    /// request, in percent.
    pub fn five_xx_percent(&self) -> f64 {
        share(self.errors + self.connection_errors, self.requests)
    }

    /// The load balancer's own 5xx answers per request, in percent.
    pub fn lb_five_xx_percent(&self) -> f64 {
        share(self.lb_errors, self.lb_requests)
    }

    /// Why this reading fails the gate, if it does.
    pub fn failure(&self, max_5xx_percent: f64) -> Option<String> {
        if !self.not_healthy.is_empty() || self.healthy < self.expected {
            let mut why = format!("{}/{} canary targets healthy", self.healthy, self.expected);
            if !self.not_healthy.is_empty() {
                why.push_str(&format!(" ({})", self.not_healthy.join("; ")));
            }
            return Some(why);
        }
        let canary = self.five_xx_percent();
        if canary > max_5xx_percent {
            return Some(format!(
                "{canary:.1}% of the canary's requests failed ({} 5xx answers and {} connection errors of {} requests), above --max-5xx-percent {max_5xx_percent}",
                self.errors, self.connection_errors, self.requests
            ));
        }
        let lb = self.lb_five_xx_percent();
        (lb > max_5xx_percent).then(|| {
            format!(
                "{lb:.1}% of the load balancer's answers were its own 5xx ({} of {} requests, HTTPCode_ELB_5XX_Count), above --max-5xx-percent {max_5xx_percent}; CloudWatch does not split them by target group, and a canary that times out or resets connections shows only there",
                self.lb_errors, self.lb_requests
            )
        })
    }
}

/// Where to look: the target group and its load balancer (ARNs).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub target_group: &'a str,
    pub load_balancer: &'a str,
    /// How many nodes should be healthy in it.
    pub expected: usize,
    /// What errors name it as: `app/canary/target-group`.
    pub resource: &'a str,
}

/// How the target group is doing: its targets' health now, and its 5xx share from `since` until `now`.
pub async fn read(ctx: &Ctx, target: Target<'_>, since: SystemTime, now: SystemTime) -> Result<Reading, Error> {
    let (healthy, not_healthy) = target_health(ctx, target).await?;
    let counts = failures(ctx, target, since, now).await?;
    Ok(Reading {
        healthy,
        expected: target.expected,
        not_healthy,
        requests: counts.requests,
        errors: counts.errors,
        connection_errors: counts.connection_errors,
        lb_requests: counts.lb_requests,
        lb_errors: counts.lb_errors,
    })
}

/// Healthy targets, and a line for each target that is not.
pub async fn target_health(ctx: &Ctx, target: Target<'_>) -> Result<(usize, Vec<String>), Error> {
    let out = ctx
        .aws
        .elb
        .describe_target_health()
        .target_group_arn(target.target_group)
        .send()
        .await
        .call("DescribeTargetHealth", target.resource)?;
    let mut healthy = 0;
    let mut not_healthy = Vec::new();
    for description in out.target_health_descriptions() {
        let id = description.target().and_then(|t| t.id()).unwrap_or("(unknown target)");
        let health = description.target_health();
        match health.and_then(|h| h.state()) {
            Some(TargetHealthStateEnum::Healthy) => healthy += 1,
            state => {
                let state = state.map_or("unknown", |s| s.as_str());
                let reason = health.and_then(|h| h.reason()).map(|r| r.as_str());
                let detail = health.and_then(|h| h.description());
                let why = match (reason, detail) {
                    (Some(r), Some(d)) => format!(" ({r}: {d})"),
                    (Some(r), None) => format!(" ({r})"),
                    (None, Some(d)) => format!(" ({d})"),
                    (None, None) => String::new(),
                };
                not_healthy.push(format!("{id}: {state}{why}"));
            }
        }
    }
    Ok((healthy, not_healthy))
}

const NAMESPACE: &str = "AWS/ApplicationELB";
const ERRORS: &str = "HTTPCode_Target_5XX_Count";
const CONNECTION_ERRORS: &str = "TargetConnectionErrorCount";
const REQUESTS: &str = "RequestCount";
const LB_ERRORS: &str = "HTTPCode_ELB_5XX_Count";
/// CloudWatch's load balancer metrics come per minute.
const PERIOD_SECONDS: i32 = 60;

/// What CloudWatch counted for the gate.
struct Counts {
    requests: f64,
    errors: f64,
    connection_errors: f64,
    lb_requests: f64,
    lb_errors: f64,
}

/// The target group's requests and failures, and the load balancer's requests and own 5xx, from `since`
/// until `now`, whole minutes (CloudWatch aggregates per minute; the minute `since` falls in is counted
/// whole). One GetMetricData call.
async fn failures(ctx: &Ctx, target: Target<'_>, since: SystemTime, now: SystemTime) -> Result<Counts, Error> {
    let minute = u64::from(PERIOD_SECONDS.unsigned_abs());
    let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let start = secs(since) / minute * minute;
    let end = (secs(now) / minute + 1) * minute;
    let load_balancer = ("LoadBalancer", dimension_value(target.load_balancer, ":loadbalancer/"));
    let target_group = ("TargetGroup", dimension_value(target.target_group, ":"));
    let query = |id: &str, metric: &str, dimensions: &[(&str, &str)]| {
        let metric = Metric::builder()
            .namespace(NAMESPACE)
            .metric_name(metric)
            .set_dimensions(Some(
                dimensions.iter().map(|(name, value)| Dimension::builder().name(*name).value(*value).build()).collect(),
            ))
            .build();
        let stat = MetricStat::builder().metric(metric).period(PERIOD_SECONDS).stat("Sum").build();
        MetricDataQuery::builder().id(id).metric_stat(stat).return_data(true).build()
    };
    let per_target_group = [load_balancer, target_group];
    let pages = ctx
        .aws
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(query("errors", ERRORS, &per_target_group))
        .metric_data_queries(query("connections", CONNECTION_ERRORS, &per_target_group))
        .metric_data_queries(query("requests", REQUESTS, &per_target_group))
        .metric_data_queries(query("lb_errors", LB_ERRORS, &[load_balancer]))
        .metric_data_queries(query("lb_requests", REQUESTS, &[load_balancer]))
        .start_time(DateTime::from_secs(i64::try_from(start).unwrap_or(i64::MAX)))
        .end_time(DateTime::from_secs(i64::try_from(end).unwrap_or(i64::MAX)))
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("GetMetricData", target.resource)?;
    let sum = |id: &str| -> f64 {
        pages
            .iter()
            .flat_map(|page| page.metric_data_results())
            .filter(|result| result.id() == Some(id))
            .flat_map(|result| result.values())
            // From 0, not `sum()`, whose empty sum is -0 (printed so).
            .fold(0.0, |total, value| total + value)
    };
    Ok(Counts {
        requests: sum("requests"),
        errors: sum("errors"),
        connection_errors: sum("connections"),
        lb_requests: sum("lb_requests"),
        lb_errors: sum("lb_errors"),
    })
}

/// The dimension value CloudWatch names a load balancer or target group by: the ARN after `marker`
/// (`app/<name>/<id>` for a load balancer, `targetgroup/<name>/<id>` for a target group).
fn dimension_value<'a>(arn: &'a str, marker: &str) -> &'a str {
    match marker {
        ":" => arn.rsplit_once(':').map_or(arn, |(_, rest)| rest),
        _ => arn.split_once(marker).map_or(arn, |(_, rest)| rest),
    }
}

/// The emulator's CloudWatch has no load balancer metrics (it answers with no datapoints), so the 5xx
/// gate is checked here with SDK mocks, as are the target health answers the emulator never gives.
#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
    use aws_sdk_cloudwatch::types::MetricDataResult;
    use aws_sdk_elasticloadbalancingv2::operation::describe_target_health::DescribeTargetHealthOutput;
    use aws_sdk_elasticloadbalancingv2::types::{
        TargetDescription, TargetHealth, TargetHealthDescription, TargetHealthReasonEnum,
    };
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

    use std::time::Duration;

    use super::*;
    use crate::aws::Aws;
    use crate::resources::DataPolicy;

    const LB: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188";
    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-canary/73e2d6bc24d8a067";

    fn target(state: TargetHealthStateEnum, id: &str) -> TargetHealthDescription {
        let mut health = TargetHealth::builder().state(state.clone());
        if state != TargetHealthStateEnum::Healthy {
            health = health.reason(TargetHealthReasonEnum::FailedHealthChecks).description("Health checks failed");
        }
        TargetHealthDescription::builder()
            .target(TargetDescription::builder().id(id).port(8080).build())
            .target_health(health.build())
            .build()
    }

    fn health(targets: Vec<TargetHealthDescription>) -> Rule {
        mock!(aws_sdk_elasticloadbalancingv2::Client::describe_target_health)
            .match_requests(|req| req.target_group_arn() == Some(TG))
            .then_output(move || {
                DescribeTargetHealthOutput::builder().set_target_health_descriptions(Some(targets.clone())).build()
            })
    }

    const LB_DIMENSION: (&str, &str) = ("LoadBalancer", "app/shop-alb/50dc6c495c0c9188");
    const TG_DIMENSION: (&str, &str) = ("TargetGroup", "targetgroup/shop-canary/73e2d6bc24d8a067");

    /// Per minute: the canary's 5xx, connection errors and requests, the load balancer's own 5xx and
    /// requests.
    #[derive(Default)]
    struct Minutes {
        errors: Vec<f64>,
        connections: Vec<f64>,
        requests: Vec<f64>,
        lb_errors: Vec<f64>,
        lb_requests: Vec<f64>,
    }

    /// GetMetricData answering `minutes`; checks what is asked for: each metric, its statistic, period
    /// and dimensions (the load balancer's own 5xx and requests for the whole load balancer).
    fn metrics(minutes: Minutes) -> Rule {
        mock!(aws_sdk_cloudwatch::Client::get_metric_data)
            .match_requests(|req| {
                let queries = req.metric_data_queries();
                let asks = |id: &str, name: &str, dimensions: &[(&str, &str)]| {
                    queries.iter().any(|q| {
                        let stat = q.metric_stat();
                        let metric = stat.and_then(|s| s.metric());
                        let mut dims: Vec<(&str, &str)> = metric
                            .map(|m| m.dimensions().iter().filter_map(|d| Some((d.name()?, d.value()?))).collect())
                            .unwrap_or_default();
                        dims.sort_unstable();
                        q.id() == Some(id)
                            && metric.and_then(|m| m.namespace()) == Some(NAMESPACE)
                            && metric.and_then(|m| m.metric_name()) == Some(name)
                            && stat.and_then(|s| s.stat()) == Some("Sum")
                            && stat.and_then(|s| s.period()) == Some(60)
                            && dims == dimensions
                    })
                };
                let per_target_group = [LB_DIMENSION, TG_DIMENSION];
                // Whole minutes, from the one the step began in to the one after now.
                req.start_time() == Some(&DateTime::from_secs(1_700_000_040))
                    && req.end_time() == Some(&DateTime::from_secs(1_700_000_400))
                    && queries.len() == 5
                    && asks("errors", ERRORS, &per_target_group)
                    && asks("connections", CONNECTION_ERRORS, &per_target_group)
                    && asks("requests", REQUESTS, &per_target_group)
                    && asks("lb_errors", LB_ERRORS, &[LB_DIMENSION])
                    && asks("lb_requests", REQUESTS, &[LB_DIMENSION])
            })
            .then_output(move || {
                let result = |id: &str, values: &[f64]| {
                    MetricDataResult::builder().id(id).set_values(Some(values.to_vec())).build()
                };
                GetMetricDataOutput::builder()
                    .metric_data_results(result("errors", &minutes.errors))
                    .metric_data_results(result("connections", &minutes.connections))
                    .metric_data_results(result("requests", &minutes.requests))
                    .metric_data_results(result("lb_errors", &minutes.lb_errors))
                    .metric_data_results(result("lb_requests", &minutes.lb_requests))
                    .build()
            })
    }

    fn ctx(health: &Rule, metrics: &Rule) -> Ctx {
        let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [health]);
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [metrics]);
        Ctx { aws: Aws { elb, cloudwatch, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() }
    }

    async fn reading(health: Rule, metrics: Rule) -> Reading {
        let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
        let target = Target { target_group: TG, load_balancer: LB, expected: 2, resource: "app/canary/target-group" };
        read(&ctx(&health, &metrics), target, at(1_700_000_077), at(1_700_000_377)).await.expect("read")
    }

    fn healthy() -> Rule {
        health(vec![target(TargetHealthStateEnum::Healthy, "i-1"), target(TargetHealthStateEnum::Healthy, "i-2")])
    }

    #[tokio::test]
    async fn a_5xx_share_over_the_threshold_fails_the_gate_sdk_mock_emulator_gap() {
        let minutes = Minutes {
            errors: vec![1.0, 2.0],
            requests: vec![60.0, 90.0],
            lb_requests: vec![600.0, 900.0],
            ..Minutes::default()
        };
        let reading = reading(healthy(), metrics(minutes)).await;
        assert_eq!((reading.errors, reading.requests), (3.0, 150.0));
        assert!((reading.five_xx_percent() - 2.0).abs() < 1e-9);
        let why = reading.failure(1.0).expect("fails");
        assert_eq!(
            why,
            "2.0% of the canary's requests failed (3 5xx answers and 0 connection errors of 150 requests), above --max-5xx-percent 1"
        );
        assert_eq!(reading.failure(2.0), None, "at the threshold it passes");
    }

    #[tokio::test]
    async fn no_datapoints_is_no_errors_sdk_mock_emulator_gap() {
        let reading = reading(healthy(), metrics(Minutes::default())).await;
        assert_eq!((reading.healthy, reading.five_xx_percent()), (2, 0.0));
        assert_eq!(reading.failure(1.0), None);
        assert_eq!(reading.failure(0.0), None, "no requests cannot exceed even a zero threshold");
    }

    #[tokio::test]
    async fn an_unhealthy_canary_target_fails_the_gate_whatever_the_5xx_share_sdk_mock_emulator_gap() {
        let sick = health(vec![
            target(TargetHealthStateEnum::Healthy, "i-1"),
            target(TargetHealthStateEnum::Unhealthy, "i-2"),
        ]);
        let reading = reading(sick, metrics(Minutes::default())).await;
        let why = reading.failure(1.0).expect("fails");
        assert_eq!(
            why,
            "1/2 canary targets healthy (i-2: unhealthy (Target.FailedHealthChecks: Health checks failed))"
        );
    }

    #[tokio::test]
    async fn a_missing_canary_target_fails_the_gate_sdk_mock_emulator_gap() {
        let gone = health(vec![target(TargetHealthStateEnum::Healthy, "i-1")]);
        let reading = reading(gone, metrics(Minutes::default())).await;
        assert_eq!(reading.failure(1.0).as_deref(), Some("1/2 canary targets healthy"));
    }

    #[test]
    fn cloudwatch_names_load_balancers_and_target_groups_by_the_end_of_their_arns() {
        assert_eq!(dimension_value(LB, ":loadbalancer/"), "app/shop-alb/50dc6c495c0c9188");
        assert_eq!(dimension_value(TG, ":"), "targetgroup/shop-canary/73e2d6bc24d8a067");
    }

    /// A canary whose nodes refuse connections answers no 5xx of its own: the load balancer answers 502
    /// for it, and counts the failed connections.
    #[tokio::test]
    async fn connections_the_load_balancer_could_not_open_to_the_canary_fail_the_gate_sdk_mock_emulator_gap() {
        let minutes = Minutes {
            connections: vec![2.0, 3.0],
            requests: vec![50.0, 50.0],
            lb_errors: vec![2.0, 3.0],
            lb_requests: vec![500.0, 500.0],
            ..Minutes::default()
        };
        let reading = reading(healthy(), metrics(minutes)).await;
        assert_eq!(reading.connection_errors, 5.0);
        assert_eq!(
            reading.failure(1.0).as_deref(),
            Some("5.0% of the canary's requests failed (0 5xx answers and 5 connection errors of 100 requests), above --max-5xx-percent 1")
        );
    }

    /// A canary that times out shows only in the load balancer's own 504s, which CloudWatch counts for
    /// the whole load balancer: their share fails the step.
    #[tokio::test]
    async fn the_load_balancers_own_5xx_fail_the_gate_sdk_mock_emulator_gap() {
        let minutes = Minutes {
            requests: vec![10.0, 10.0],
            lb_errors: vec![4.0, 6.0],
            lb_requests: vec![100.0, 100.0],
            ..Minutes::default()
        };
        let reading = reading(healthy(), metrics(minutes)).await;
        assert_eq!(reading.five_xx_percent(), 0.0, "nothing of the canary's own");
        let why = reading.failure(1.0).expect("fails");
        assert!(
            why.starts_with("5.0% of the load balancer's answers were its own 5xx (10 of 200 requests, HTTPCode_ELB_5XX_Count), above --max-5xx-percent 1"),
            "{why}"
        );
        assert!(why.contains("does not split them by target group"), "{why}");
        assert_eq!(reading.failure(5.0), None);
    }

    #[test]
    fn failures_without_their_requests_count_as_all_failed() {
        assert_eq!(share(0.0, 0.0), 0.0);
        assert_eq!(share(0.0, 10.0), 0.0);
        assert_eq!(share(3.0, 0.0), 100.0, "the errors' minute published before the requests'");
        assert_eq!(share(1.0, 4.0), 25.0);
        assert_eq!(share(5.0, 4.0), 100.0);
    }
}
