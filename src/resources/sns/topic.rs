//! The deployment's SNS topic, which its CloudWatch alarms notify (`alerts:` without `sns_topic_arn`).
//!
//! SNS cannot list topics by tag: discovery lists the account's topics, keeps the one named
//! `clusterup-<deployment>-alerts` and checks its tags (a same-named topic of someone else is an error,
//! never adopted). CreateTopic is idempotent on the name, so a retried create returns the same topic.
//!
//! The topic is not encrypted at rest: CloudWatch can publish to an encrypted topic only when its key
//! is a customer managed key whose policy lets CloudWatch use it; the AWS managed key `alias/aws/sns`
//! has a policy nobody can change, and CloudWatch's notifications to a topic encrypted with it are lost
//! (SNS Developer Guide, "Enabling compatibility between event sources from AWS services and encrypted
//! topics", <https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html>). An alarm notification
//! holds the alarm's name, metric and threshold, nothing of the app's data.

use super::{desired_tags, read_tags, sync_tags};
use crate::aws::{Outcome, PollPolicy, ResultExt, Service};
use crate::model::names::alerts::{topic_name, TOPIC};
use crate::model::{tags, Actual, Address, Desired, Kind, Value, NAME, TAGS};
use crate::resources::support::{check_owner, returned_id};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub struct SnsTopic;

const SPEC: Spec = Spec::new(Kind::SnsTopic, "SNS topic", Service::Sns, PollPolicy::FAST, at_once)
    .props(&[&NAME, &TAGS])
    // The alarms name it in their actions.
    .deleted_after(&[Kind::MetricAlarm]);

impl ResourceKind for SnsTopic {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let name = topic_name(&ctx.deployment);
        let suffix = format!(":{name}");
        let mut token = None;
        let mut found = Vec::new();
        loop {
            let page = ctx
                .aws
                .sns
                .list_topics()
                .set_next_token(token.take())
                .send()
                .await
                .call("ListTopics", &ctx.deployment)?;
            for arn in page.topics().iter().filter_map(|t| t.topic_arn()).filter(|arn| arn.ends_with(&suffix)) {
                // Deleted meanwhile: nothing to find.
                let Some(tags) = read_tags(ctx, arn).await.found()? else { continue };
                check_owner(ctx, "SNS topic", &name, &tags)?;
                let address = tags.get(tags::RESOURCE).map_or_else(|| Address::new(TOPIC), Address::new);
                found.push(
                    Actual::new(address, Kind::SnsTopic, arn)
                        .prop(&NAME, Value::str(&name))
                        .prop(&TAGS, tags::to_value(&tags)),
                );
            }
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = want.address.as_str();
        let out = ctx
            .aws
            .sns
            .create_topic()
            .name(want.text(&NAME)?)
            .set_tags(Some(desired_tags(want, "CreateTopic")?))
            .send()
            .await
            .call("CreateTopic", resource)?;
        let arn = returned_id(out.topic_arn(), resource, "CreateTopic")?;
        Ok(Actual::made(want, arn))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    /// Deleting a topic deletes its subscriptions too, confirmed or pending.
    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        ctx.aws.sns.delete_topic().topic_arn(&have.id).send().await.call("DeleteTopic", resource).gone_ok()?;
        Ok(())
    }
}
