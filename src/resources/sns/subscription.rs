//! An email subscription to the deployment's alarm topic: SNS emails the address a confirmation link,
//! and the alarms once it is confirmed.
//!
//! Subscriptions carry no tags; they are children of the topic (ListSubscriptionsByTopic), each at the
//! address of its email. An unconfirmed subscription has no ARN yet (SNS lists it as
//! `PendingConfirmation`), so there is nothing to unsubscribe by: deleting the topic removes it, and SNS
//! removes unconfirmed subscriptions itself after a few days.

use crate::aws::{Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::names::alerts::subscription;
use crate::model::{Actual, Address, Desired, Kind, Prop, Value};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// The topic's ARN.
pub const TOPIC: Prop = Prop::new("topic").replaces();
/// `email`: the only protocol clusterup subscribes.
pub const PROTOCOL: Prop = Prop::new("protocol").replaces();
/// The email address.
pub const ENDPOINT: Prop = Prop::new("endpoint").replaces();

/// What SNS lists instead of an ARN until the address confirms.
const PENDING: &str = "PendingConfirmation";

pub struct SnsSubscription;

const SPEC: Spec = Spec::new(Kind::SnsSubscription, "SNS subscription", Service::Sns, PollPolicy::FAST, at_once)
    .props(&[&TOPIC, &PROTOCOL, &ENDPOINT])
    .child_of(Kind::SnsTopic);

impl ResourceKind for SnsSubscription {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(topic) = parent else { return Ok(Vec::new()) };
        let call = "ListSubscriptionsByTopic";
        let mut token = None;
        let mut found = Vec::new();
        loop {
            let page = ctx
                .aws
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(&topic.id)
                .set_next_token(token.take())
                .send()
                .await
                .call(call, &topic.id);
            // The topic went meanwhile, and its subscriptions with it.
            let Some(page) = page.found()? else { break };
            for sub in page.subscriptions() {
                let protocol = sub.protocol().required(call, "Protocol", &topic.id)?;
                let endpoint = sub.endpoint().required(call, "Endpoint", &topic.id)?;
                let arn = sub.subscription_arn().required(call, "SubscriptionArn", &topic.id)?;
                let id = if arn == PENDING { pending_id(endpoint) } else { arn.to_owned() };
                found.push(
                    Actual::new(Address::new(subscription(endpoint)), Kind::SnsSubscription, id)
                        .prop(&TOPIC, Value::str(&topic.id))
                        .prop(&PROTOCOL, Value::str(protocol))
                        .prop(&ENDPOINT, Value::str(endpoint)),
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
        let endpoint = want.text(&ENDPOINT)?;
        // SNS answers a repeated Subscribe with the subscription it has, so a retried create makes no
        // second one. With ReturnSubscriptionArn, the ARN even before the address confirms.
        let out = ctx
            .aws
            .sns
            .subscribe()
            .topic_arn(want.text(&TOPIC)?)
            .protocol(want.text(&PROTOCOL)?)
            .endpoint(endpoint)
            .return_subscription_arn(true)
            .send()
            .await
            .call("Subscribe", resource)?;
        let arn = out.subscription_arn().required("Subscribe", "SubscriptionArn", resource)?;
        let id = if arn == PENDING { pending_id(endpoint) } else { arn.to_owned() };
        Ok(Actual::made(want, id))
    }

    async fn update(_ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        // Every property replaces it.
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        if have.id.starts_with(PENDING) {
            // Listed without an ARN to unsubscribe by: the topic's deletion removes it.
            return Ok(());
        }
        let resource = have.address.as_str();
        ctx.aws.sns.unsubscribe().subscription_arn(&have.id).send().await.call("Unsubscribe", resource).gone_ok()?;
        Ok(())
    }
}

/// The id of a subscription that has no ARN yet: SNS's word for it, with the address that keeps two
/// such subscriptions apart.
fn pending_id(endpoint: &str) -> String {
    format!("{PENDING} ({endpoint})")
}
