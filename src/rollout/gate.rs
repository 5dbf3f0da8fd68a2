//! The gate every step passes: for the whole step, every canary target stays healthy in the load
//! balancer's eyes, and the canary target group's share of 5xx answers (CloudWatch,
//! `AWS/ApplicationELB` `HTTPCode_Target_5XX_Count` / `RequestCount`, per load balancer and target group)
//! stays at or under `--max-5xx-percent`. No datapoints means no requests were counted: no errors.

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
    /// Requests and 5xx answers counted by CloudWatch since the step began.
    pub requests: f64,
    pub errors: f64,
}

impl Reading {
    /// 5xx answers per request, in percent (0 without requests).
    pub fn five_xx_percent(&self) -> f64 {
        if self.requests > 0.0 {
            self.errors / self.requests * 100.0
        } else {
            0.0
        }
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
        let share = self.five_xx_percent();
        (share > max_5xx_percent).then(|| {
            format!(
                "{share:.1}% of the canary's answers were 5xx ({} of {} requests), above --max-5xx-percent {max_5xx_percent}",
                self.errors, self.requests
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
    let (errors, requests) = five_xx(ctx, target, since, now).await?;
    Ok(Reading { healthy, expected: target.expected, not_healthy, requests, errors })
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
const REQUESTS: &str = "RequestCount";
/// CloudWatch's load balancer metrics come per minute.
const PERIOD_SECONDS: i32 = 60;

/// 5xx answers and requests of the target group from `since` until `now`, whole minutes (CloudWatch
/// aggregates per minute; the minute `since` falls in is counted whole).
async fn five_xx(ctx: &Ctx, target: Target<'_>, since: SystemTime, now: SystemTime) -> Result<(f64, f64), Error> {
    let minute = u64::from(PERIOD_SECONDS.unsigned_abs());
    let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let start = secs(since) / minute * minute;
    let end = (secs(now) / minute + 1) * minute;
    let dimensions = [
        ("LoadBalancer", dimension_value(target.load_balancer, ":loadbalancer/")),
        ("TargetGroup", dimension_value(target.target_group, ":")),
    ];
    let query = |id: &str, metric: &str| {
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
    let pages = ctx
        .aws
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(query("errors", ERRORS))
        .metric_data_queries(query("requests", REQUESTS))
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
            .sum()
    };
    Ok((sum("errors"), sum("requests")))
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

    /// GetMetricData answering `errors` and `requests` per minute; checks what is asked for.
    fn metrics(errors: Vec<f64>, requests: Vec<f64>) -> Rule {
        mock!(aws_sdk_cloudwatch::Client::get_metric_data)
            .match_requests(|req| {
                let queries = req.metric_data_queries();
                let asks = |id: &str, name: &str| {
                    queries.iter().any(|q| {
                        let stat = q.metric_stat();
                        let metric = stat.and_then(|s| s.metric());
                        let dims: Vec<(&str, &str)> = metric
                            .map(|m| m.dimensions().iter().filter_map(|d| Some((d.name()?, d.value()?))).collect())
                            .unwrap_or_default();
                        q.id() == Some(id)
                            && metric.and_then(|m| m.namespace()) == Some(NAMESPACE)
                            && metric.and_then(|m| m.metric_name()) == Some(name)
                            && stat.and_then(|s| s.stat()) == Some("Sum")
                            && stat.and_then(|s| s.period()) == Some(60)
                            && dims.contains(&("LoadBalancer", "app/shop-alb/50dc6c495c0c9188"))
                            && dims.contains(&("TargetGroup", "targetgroup/shop-canary/73e2d6bc24d8a067"))
                    })
                };
                // Whole minutes, from the one the step began in to the one after now.
                req.start_time() == Some(&DateTime::from_secs(1_700_000_040))
                    && req.end_time() == Some(&DateTime::from_secs(1_700_000_400))
                    && asks("errors", ERRORS)
                    && asks("requests", REQUESTS)
            })
            .then_output(move || {
                let result = |id: &str, values: &[f64]| {
                    MetricDataResult::builder().id(id).set_values(Some(values.to_vec())).build()
                };
                GetMetricDataOutput::builder()
                    .metric_data_results(result("errors", &errors))
                    .metric_data_results(result("requests", &requests))
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
        let reading = reading(healthy(), metrics(vec![1.0, 2.0], vec![60.0, 90.0])).await;
        assert_eq!((reading.errors, reading.requests), (3.0, 150.0));
        assert!((reading.five_xx_percent() - 2.0).abs() < 1e-9);
        let why = reading.failure(1.0).expect("fails");
        assert_eq!(why, "2.0% of the canary's answers were 5xx (3 of 150 requests), above --max-5xx-percent 1");
        assert_eq!(reading.failure(2.0), None, "at the threshold it passes");
    }

    #[tokio::test]
    async fn no_datapoints_is_no_errors_sdk_mock_emulator_gap() {
        let reading = reading(healthy(), metrics(vec![], vec![])).await;
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
        let reading = reading(sick, metrics(vec![], vec![])).await;
        let why = reading.failure(1.0).expect("fails");
        assert_eq!(
            why,
            "1/2 canary targets healthy (i-2: unhealthy (Target.FailedHealthChecks: Health checks failed))"
        );
    }

    #[tokio::test]
    async fn a_missing_canary_target_fails_the_gate_sdk_mock_emulator_gap() {
        let gone = health(vec![target(TargetHealthStateEnum::Healthy, "i-1")]);
        let reading = reading(gone, metrics(vec![], vec![])).await;
        assert_eq!(reading.failure(1.0).as_deref(), Some("1/2 canary targets healthy"));
    }

    #[test]
    fn cloudwatch_names_load_balancers_and_target_groups_by_the_end_of_their_arns() {
        assert_eq!(dimension_value(LB, ":loadbalancer/"), "app/shop-alb/50dc6c495c0c9188");
        assert_eq!(dimension_value(TG, ":"), "targetgroup/shop-canary/73e2d6bc24d8a067");
    }
}
