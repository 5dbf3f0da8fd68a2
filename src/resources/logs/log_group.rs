//! A node group's CloudWatch Logs log group, `/clusterup/<deployment>/<group>`, with its retention.
//!
//! Found by name prefix (DescribeLogGroups' `logGroupNamePrefix`, `/clusterup/<deployment>/`) and kept
//! only when its tags (ListTagsForResource) say it is this deployment's: CloudWatch Logs has no tag
//! filter. The tags go in the create call, so no log group of clusterup's ever exists untagged.
//!
//! Log groups are encrypted at rest by CloudWatch Logs with AWS-owned keys whatever the request says;
//! clusterup sets no KMS key. They hold the record of what the nodes did, so destroy keeps them (with
//! their size in the "Kept:" list) unless losing data was asked for (`--delete-data`), and a plan that
//! would delete one (a node group taken out of the topology) is refused without it.

use std::collections::BTreeMap;

use crate::aws::{ErrorClass, Outcome, PollPolicy, ResultExt, Service};
use crate::model::charge::{Charge, Item};
use crate::model::names::logs::prefix;
use crate::model::{tags, Actual, Desired, Kind, Prop, Value, NAME, TAGS};
use crate::resources::support::{check_owner, owned_address};
use crate::resources::{at_once, tag_pairs, Ctx, DataPolicy, Error, Progress, ResourceKind, Spec};

/// How long events are kept, in days (one of the values PutRetentionPolicy accepts).
pub const RETENTION_DAYS: Prop = Prop::new("retention_days");

/// The attribute discovery records the log group's ARN in (without the `:*` DescribeLogGroups' `arn`
/// ends with): what the tags are read and written by.
pub const ARN: &str = "arn";
/// The attribute discovery records the bytes stored in: what destroy says it keeps.
pub const STORED_BYTES: &str = "stored_bytes";

pub struct LogGroup;

const SPEC: Spec = Spec::new(Kind::LogGroup, "log group", Service::Logs, PollPolicy::FAST, at_once)
    .props(&[&NAME, &RETENTION_DAYS, &TAGS])
    .charge(charge)
    .data_guard(data_guard)
    .kept(kept);

/// CloudWatch Logs bills per GB ingested and per GB-month stored: usage, which the plan cannot know.
fn charge(_: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    Some(Charge { what: "usage-priced: per GB ingested and GB-month stored".into(), parts: vec![], note: None })
}

/// Deleting a log group loses the nodes' logs: only with `--delete-data`.
fn data_guard(have: &Actual, data: DataPolicy) -> Option<String> {
    (!data.delete_data).then(|| {
        format!(
            "this would delete the log group {} ({}) and the logs in it. If that is what you want, re-run with --delete-data",
            have.id, have.address
        )
    })
}

/// What destroy keeps without `--delete-data`: the log group, with its size and the command that
/// deletes it.
fn kept(have: &Actual, data: DataPolicy) -> Option<String> {
    (!data.delete_data).then(|| {
        let size = have.attrs.get(STORED_BYTES).map_or_else(|| "size unknown".to_owned(), |b| format!("{b} bytes stored"));
        format!(
            "{size}, the nodes' logs, billed as log storage until its retention ends or it is deleted: aws logs delete-log-group --log-group-name {}",
            have.id
        )
    })
}

impl ResourceKind for LogGroup {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let logs = &ctx.aws.logs;
        let listed = logs
            .describe_log_groups()
            .log_group_name_prefix(prefix(&ctx.deployment))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("DescribeLogGroups", &ctx.deployment)?;
        let mut found = Vec::new();
        for group in listed {
            let (Some(name), Some(arn)) = (group.log_group_name(), log_group_arn(&group)) else { continue };
            let Some(tags) = read_tags(ctx, &arn, name).await? else { continue };
            let Some(address) = owned_address(ctx, &tags) else { continue };
            let mut actual = Actual::new(address, Kind::LogGroup, name)
                .prop(&NAME, Value::str(name))
                .prop_if_set(&RETENTION_DAYS, group.retention_in_days().map(|d| Value::Int(d.into())))
                .prop(&TAGS, tags::to_value(&tags))
                .attr(ARN, &arn);
            if let Some(bytes) = group.stored_bytes() {
                actual = actual.attr(STORED_BYTES, bytes.to_string());
            }
            found.push(actual);
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let name = want.text(&NAME)?;
        let resource = want.address.as_str();
        let logs = &ctx.aws.logs;
        let made = logs
            .create_log_group()
            .log_group_name(name)
            .set_tags(Some(tag_pairs(want).into_iter().collect()))
            .send()
            .await;
        match made.call("CreateLogGroup", resource) {
            // Made by a run interrupted before it saw the answer, or someone else's: the tags say which.
            Err(err) if err.is(ErrorClass::AlreadyExists) => {
                let arn = arn_by_name(ctx, name, resource).await?;
                // Gone again meanwhile: no tags, so not adopted (the next run makes it).
                let (tags, none) = (read_tags(ctx, &arn, name).await?, BTreeMap::new());
                check_owner(ctx, "log group", name, tags.as_ref().unwrap_or(&none))?;
            }
            other => {
                other?;
            }
        }
        put_retention(ctx, name, want).await?;
        let arn = arn_by_name(ctx, name, resource).await?;
        Ok(Actual::made(want, name).attr(ARN, arn))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = have.address.as_str();
        if want.differs_from(have, &RETENTION_DAYS) {
            put_retention(ctx, &have.id, want).await?;
        }
        if want.differs_from(have, &TAGS) {
            let arn = match have.attrs.get(ARN) {
                Some(arn) => arn.clone(),
                None => arn_by_name(ctx, &have.id, resource).await?,
            };
            let wanted = tag_pairs(want);
            let had = tags::from_value(have.props.get(TAGS.name));
            let gone: Vec<String> = had.keys().filter(|k| !wanted.contains_key(*k)).cloned().collect();
            if !gone.is_empty() {
                ctx.aws
                    .logs
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .call("UntagResource", resource)?;
            }
            ctx.aws
                .logs
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(wanted.into_iter().collect()))
                .send()
                .await
                .call("TagResource", resource)?;
        }
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        if let Some(reason) = data_guard(have, ctx.data) {
            return Err(Error::Refused {
                resource: have.address.to_string(),
                reason,
                hint: "re-run with --delete-data to delete the logs too",
            });
        }
        ctx.aws
            .logs
            .delete_log_group()
            .log_group_name(&have.id)
            .send()
            .await
            .call("DeleteLogGroup", have.address.as_str())
            .gone_ok()?;
        Ok(())
    }
}

async fn put_retention(ctx: &Ctx, name: &str, want: &Desired) -> Result<(), Error> {
    ctx.aws
        .logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(want.int32(&RETENTION_DAYS)?)
        .send()
        .await
        .call("PutRetentionPolicy", want.address.as_str())?;
    Ok(())
}

/// The log group's ARN without the `:*` that DescribeLogGroups' `arn` carries (the tagging calls take
/// the bare one, `logGroupArn`, which older answers leave out).
fn log_group_arn(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> Option<String> {
    group
        .log_group_arn()
        .map(str::to_owned)
        .or_else(|| group.arn().map(|arn| arn.strip_suffix(":*").unwrap_or(arn).to_owned()))
}

/// The ARN of the log group called exactly `name` (DescribeLogGroups matches by prefix).
async fn arn_by_name(ctx: &Ctx, name: &str, resource: &str) -> Result<String, Error> {
    let out = ctx
        .aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .call("DescribeLogGroups", resource)?;
    out.log_groups().iter().find(|g| g.log_group_name() == Some(name)).and_then(log_group_arn).ok_or_else(|| {
        Error::Bug(format!("{resource}: log group {name} was made but DescribeLogGroups does not list it"))
    })
}

/// The log group's tags, or `None` when it is gone meanwhile.
async fn read_tags(ctx: &Ctx, arn: &str, name: &str) -> Result<Option<BTreeMap<String, String>>, Error> {
    let out = ctx.aws.logs.list_tags_for_resource().resource_arn(arn).send().await;
    Ok(out.call("ListTagsForResource", name).found()?.map(|out| {
        tags::from_pairs(out.tags().into_iter().flatten().map(|(k, v)| (Some(k.as_str()), Some(v.as_str()))))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;

    fn log_group() -> Actual {
        Actual::new(Address::new("logs/app"), Kind::LogGroup, "/clusterup/shop/app").attr(STORED_BYTES, "2048")
    }

    #[test]
    fn destroy_keeps_the_log_group_with_its_size_unless_data_may_go() {
        let note = kept(&log_group(), DataPolicy::default()).expect("kept by default");
        assert_eq!(
            note,
            "2048 bytes stored, the nodes' logs, billed as log storage until its retention ends or it is deleted: \
             aws logs delete-log-group --log-group-name /clusterup/shop/app"
        );
        let delete_data = DataPolicy { delete_data: true, ..DataPolicy::default() };
        assert_eq!(kept(&log_group(), delete_data), None);
        // Deleting it (a group taken out of the topology) is refused the same way.
        assert!(data_guard(&log_group(), DataPolicy::default()).is_some_and(|m| m.contains("--delete-data")));
        assert_eq!(data_guard(&log_group(), delete_data), None);
    }

    #[test]
    fn kept_log_groups_alone_are_no_deployment() {
        assert!(!crate::resources::deployed(&[log_group()]));
        let vpc = Actual::new(Address::new("network/vpc"), Kind::Vpc, "vpc-1");
        assert!(crate::resources::deployed(&[log_group(), vpc]));
    }

    #[test]
    fn a_log_group_is_priced_by_usage_with_no_invented_figure() {
        let have = log_group();
        let charge = charge(&Item::from(&have), &[]).expect("a line in the estimate");
        assert!(charge.parts.is_empty() && charge.note.is_none(), "{charge:?}");
        assert!(charge.what.starts_with("usage-priced"), "{}", charge.what);
    }
}
