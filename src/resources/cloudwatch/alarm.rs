//! A CloudWatch metric alarm of the deployment, notifying its topic. Every alarm is one metric, one
//! statistic and one threshold (`compose::alerts` says which).
//!
//! Discovery lists the alarms whose names start with `clusterup-<deployment>-` (DescribeAlarms filters
//! by name prefix only) and keeps those tagged with the deployment: another deployment's name may start
//! the same way. PutMetricAlarm creates an alarm or replaces its whole definition, so a retried create
//! and every update make the same call; it sets tags only on create (AWS ignores them on an update), so
//! updates set tags with TagResource and UntagResource.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, Dimension, MetricAlarm as AwsAlarm, Statistic};

use super::{cloudwatch_tags, read_tags};
use crate::aws::{AwsError, Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::names::alerts::alarm_prefix;
use crate::model::{tags, Actual, Desired, Kind, Prop, Value, NAME, TAGS};
use crate::resources::support::{self, owned_address};
use crate::resources::{at_once, tag_pairs, Ctx, Error, Progress, ResourceKind, Spec};

/// `AWS/ApplicationELB`, `AWS/RDS`, ...
pub const NAMESPACE: Prop = Prop::new("namespace");
pub const METRIC: Prop = Prop::new("metric");
/// The metric's dimensions, name to value (`{LoadBalancer: app/shop-alb/...}`).
pub const DIMENSIONS: Prop = Prop::new("dimensions").not_a_dependency();
/// `Sum`, `Average`, `Minimum`, `Maximum`, or a percentile such as `p99` (an extended statistic).
pub const STATISTIC: Prop = Prop::new("statistic");
/// Seconds per datapoint.
pub const PERIOD: Prop = Prop::new("period");
pub const EVALUATION_PERIODS: Prop = Prop::new("evaluation_periods");
/// How many of the evaluated datapoints must breach.
pub const DATAPOINTS: Prop = Prop::new("datapoints_to_alarm");
/// A whole number in the metric's unit.
pub const THRESHOLD: Prop = Prop::new("threshold");
/// `GreaterThanOrEqualToThreshold`, `LessThanThreshold`, ...
pub const COMPARISON: Prop = Prop::new("comparison");
/// `notBreaching`, `missing`, ...: what a period without data counts as.
pub const TREAT_MISSING: Prop = Prop::new("treat_missing_data");
/// The topics notified on ALARM and back to OK.
pub const ACTIONS: Prop = Prop::new("actions");
/// What it means and what to do, in the operator's words (sent with every notification).
pub const DESCRIPTION: Prop = Prop::new("description").not_a_dependency();

/// The alarm's state (`OK`, `ALARM`, `INSUFFICIENT_DATA`), as discovery saw it, CloudWatch's reason for
/// it, and since when (RFC 3339).
pub const STATE: &str = "state";
pub const STATE_REASON: &str = "state_reason";
pub const STATE_SINCE: &str = "state_since";

pub struct MetricAlarm;

const SPEC: Spec = Spec::new(Kind::MetricAlarm, "CloudWatch alarm", Service::CloudWatch, PollPolicy::FAST, at_once)
    .props(&[
        &NAME,
        &NAMESPACE,
        &METRIC,
        &DIMENSIONS,
        &STATISTIC,
        &PERIOD,
        &EVALUATION_PERIODS,
        &DATAPOINTS,
        &THRESHOLD,
        &COMPARISON,
        &TREAT_MISSING,
        &ACTIONS,
        &DESCRIPTION,
        &TAGS,
    ])
    .charge(super::cost::alarm);

const DESCRIBE: &str = "DescribeAlarms";

impl ResourceKind for MetricAlarm {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let cloudwatch = &ctx.aws.cloudwatch;
        let mut found = Vec::new();
        for alarm in listed(ctx).await? {
            let arn = alarm.alarm_arn().required(DESCRIBE, "AlarmArn", &ctx.deployment)?;
            // Deleted meanwhile: nothing to find.
            let Some(tags) = read_tags(cloudwatch, arn).await.found()? else { continue };
            let Some(address) = owned_address(ctx, &tags) else { continue };
            found.push(read(&alarm, arn, address, &tags)?);
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        put(ctx, want, true).await?;
        let name = want.text(&NAME)?;
        Ok(Actual::made(want, name))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        if SPEC.props.iter().any(|p| p.name != TAGS.name && want.differs_from(have, p)) {
            put(ctx, want, false).await?;
        }
        let Some(arn) = have.attrs.get("arn") else {
            return Err(Error::Bug(format!("{}: discovery recorded no alarm ARN", have.address)));
        };
        let (cloudwatch, resource) = (&ctx.aws.cloudwatch, have.address.as_str());
        let set = move |pairs: BTreeMap<String, String>| async move {
            let tags = cloudwatch_tags(&pairs);
            cloudwatch
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags))
                .send()
                .await
                .call("TagResource", resource)?;
            Ok(())
        };
        let remove = move |keys: Vec<String>| async move {
            cloudwatch
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .call("UntagResource", resource)?;
            Ok(())
        };
        support::sync_tags(have, want, set, remove).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        ctx.aws
            .cloudwatch
            .delete_alarms()
            .alarm_names(&have.id)
            .send()
            .await
            .call("DeleteAlarms", resource)
            .gone_ok()?;
        Ok(())
    }
}

/// Every metric alarm whose name starts with the deployment's prefix, whoever tagged it.
pub(super) async fn listed(ctx: &Ctx) -> Result<Vec<AwsAlarm>, AwsError> {
    let mut token = None;
    let mut all = Vec::new();
    loop {
        let page = ctx
            .aws
            .cloudwatch
            .describe_alarms()
            .alarm_name_prefix(alarm_prefix(&ctx.deployment))
            .alarm_types(AlarmType::MetricAlarm)
            .set_next_token(token.take())
            .send()
            .await
            .call(DESCRIBE, &ctx.deployment)?;
        all.extend(page.metric_alarms().iter().cloned());
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    Ok(all)
}

fn read(
    alarm: &AwsAlarm,
    arn: &str,
    address: crate::model::Address,
    tags: &BTreeMap<String, String>,
) -> Result<Actual, AwsError> {
    let name = alarm.alarm_name().required(DESCRIBE, "AlarmName", arn)?;
    let statistic = match (alarm.statistic(), alarm.extended_statistic()) {
        (Some(s), _) => s.as_str().to_owned(),
        (None, Some(p)) => p.to_owned(),
        (None, None) => String::new(),
    };
    let dimensions: BTreeMap<String, Value> = alarm
        .dimensions()
        .iter()
        .map(|d| {
            Ok((
                d.name().required(DESCRIBE, "Dimension.Name", arn)?.to_owned(),
                Value::str(d.value().required(DESCRIBE, "Dimension.Value", arn)?),
            ))
        })
        .collect::<Result<_, AwsError>>()?;
    let int = |v: Option<i32>, field| v.map(|v| Value::Int(i64::from(v))).required(DESCRIBE, field, arn);
    let mut actual = Actual::new(address, Kind::MetricAlarm, name)
        .prop(&NAME, Value::str(name))
        .prop(&NAMESPACE, Value::str(alarm.namespace().required(DESCRIBE, "Namespace", arn)?))
        .prop(&METRIC, Value::str(alarm.metric_name().required(DESCRIBE, "MetricName", arn)?))
        .prop(&DIMENSIONS, Value::Map(dimensions))
        .prop(&STATISTIC, Value::str(statistic))
        .prop(&PERIOD, int(alarm.period(), "Period")?)
        .prop(&EVALUATION_PERIODS, int(alarm.evaluation_periods(), "EvaluationPeriods")?)
        .prop_if_set(&DATAPOINTS, alarm.datapoints_to_alarm().map(|v| Value::Int(i64::from(v))))
        .prop(&THRESHOLD, threshold_value(alarm.threshold().required(DESCRIBE, "Threshold", arn)?))
        .prop(
            &COMPARISON,
            Value::str(alarm.comparison_operator().required(DESCRIBE, "ComparisonOperator", arn)?.as_str()),
        )
        .prop_if_set(&TREAT_MISSING, alarm.treat_missing_data().map(Value::str))
        .prop(&ACTIONS, Value::List(alarm.alarm_actions().iter().map(Value::str).collect()))
        .prop_if_set(&DESCRIPTION, alarm.alarm_description().map(Value::str))
        .prop(&TAGS, tags::to_value(tags))
        .attr("arn", arn);
    if let Some(state) = alarm.state_value() {
        actual = actual.attr(STATE, state.as_str());
    }
    if let Some(reason) = alarm.state_reason() {
        actual = actual.attr(STATE_REASON, reason);
    }
    if let Some(since) = alarm.state_updated_timestamp() {
        if let Ok(text) = since.fmt(aws_smithy_types::date_time::Format::DateTime) {
            actual = actual.attr(STATE_SINCE, text);
        }
    }
    Ok(actual)
}

/// A threshold as the composition writes it: a whole number, or (for a threshold someone set by hand)
/// its exact text, which then differs.
fn threshold_value(threshold: f64) -> Value {
    if threshold.fract() == 0.0 && threshold.abs() < 1e15 {
        // Whole and in range: the conversion is exact.
        Value::Int(threshold as i64)
    } else {
        Value::str(threshold.to_string())
    }
}

/// PutMetricAlarm with the whole definition of `want` (and its tags when it is new).
async fn put(ctx: &Ctx, want: &Desired, new: bool) -> Result<(), Error> {
    let resource = want.address.as_str();
    let call = "PutMetricAlarm";
    let dimensions = want
        .map(&DIMENSIONS)?
        .iter()
        .map(|(name, value)| {
            let value = value.as_str().ok_or_else(|| {
                Error::Bug(format!("{resource}: dimension {name} is not resolved to a value: {value:?}"))
            })?;
            Ok(Dimension::builder().name(name).value(value).build())
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let statistic = want.text(&STATISTIC)?;
    let mut request = ctx
        .aws
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(want.text(&NAME)?)
        .alarm_description(want.text(&DESCRIPTION)?)
        .namespace(want.text(&NAMESPACE)?)
        .metric_name(want.text(&METRIC)?)
        .set_dimensions(Some(dimensions))
        .period(want.int32(&PERIOD)?)
        .evaluation_periods(want.int32(&EVALUATION_PERIODS)?)
        .datapoints_to_alarm(want.int32(&DATAPOINTS)?)
        // Whole numbers: exact as a double.
        .threshold(want.int(&THRESHOLD)? as f64)
        .comparison_operator(ComparisonOperator::from(want.text(&COMPARISON)?))
        .treat_missing_data(want.text(&TREAT_MISSING)?)
        .actions_enabled(true)
        .set_alarm_actions(Some(want.strings(&ACTIONS)?))
        .set_ok_actions(Some(want.strings(&ACTIONS)?));
    request = if statistic.starts_with('p') {
        request.extended_statistic(statistic)
    } else {
        request.statistic(Statistic::from(statistic))
    };
    if new {
        request = request.set_tags(Some(cloudwatch_tags(&tag_pairs(want))));
    }
    request.send().await.call(call, resource)?;
    Ok(())
}
