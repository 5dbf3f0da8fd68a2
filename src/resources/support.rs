//! What many kinds need: ownership checks, retrying while AWS catches up, idempotency tokens, and
//! looking several things up at once.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{Ctx, Error, Progress, Spec};
use crate::aws::batch::{Batch, BatchCall};
use aws_sdk_resourcegroupstagging::types::TagFilter;

use crate::aws::{poll, poll_in_windows, AwsError, ErrorClass, PollPolicy, PollStatus, Required, ResultExt, Schedule};
use crate::model::{tags, Actual, Address, Desired, Props, Value, TAGS};

/// The address of a discovered resource, if it belongs to this deployment. Discovery already filters by
/// the deployment tag on the server; checking again here means a filter an API (or an emulator) applies
/// loosely can never make clusterup adopt, change or delete another deployment's resource.
pub fn owned_address(ctx: &Ctx, tags: &BTreeMap<String, String>) -> Option<Address> {
    if tags.get(tags::DEPLOYMENT) != Some(&ctx.deployment) {
        return None;
    }
    tags.get(tags::RESOURCE).map(Address::new)
}

/// A resource found by its deterministic name must carry this deployment's tag; anything else is a name
/// clash that clusterup must never adopt, change or delete.
pub fn check_owner(ctx: &Ctx, what: &'static str, name: &str, tags: &BTreeMap<String, String>) -> Result<(), Error> {
    match tags.get(tags::DEPLOYMENT) {
        Some(owner) if owner == &ctx.deployment => Ok(()),
        owner => Err(Error::NotOurs {
            what,
            name: name.to_owned(),
            owner: owner.map(|o| format!("deployment {o}")).unwrap_or_else(|| "no clusterup deployment".into()),
        }),
    }
}

/// A request shape clusterup could not build (a required field left empty): a bug, reported as one.
pub fn built<T>(
    result: Result<T, aws_smithy_types::error::operation::BuildError>,
    resource: &str,
    call: &'static str,
) -> Result<T, Error> {
    result.map_err(|err| Error::Bug(format!("{resource}: cannot build the {call} request: {err}")))
}

/// One lookup per item, all at once, results in item order. Each lookup gets its own handle on the context.
pub async fn concurrently<I, T, F, Fut>(
    ctx: &Ctx,
    items: impl IntoIterator<Item = I>,
    lookup: F,
) -> Result<Vec<T>, Error>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(Ctx, I) -> Fut,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let lookup = lookup(ctx.clone(), item);
        tasks.spawn(async move { (index, lookup.await) });
    }
    let mut found = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, result) = joined.map_err(|e| Error::Bug(format!("a lookup of {} stopped: {e}", ctx.deployment)))?;
        found.push((index, result?));
    }
    found.sort_by_key(|(index, _)| *index);
    Ok(found.into_iter().map(|(_, value)| value).collect())
}

/// AWS is eventually consistent: an id a create call just returned may answer NotFound for a few
/// seconds (EC2 documents it). Retry `call` while it says NotFound, for up to 30 s.
pub async fn settle<T, F, Fut>(resource: &str, call: &'static str, mut f: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let policy = PollPolicy { timeout: Duration::from_secs(30), ..PollPolicy::FAST };
    poll(
        policy,
        resource,
        call,
        |_, _| {},
        || {
            let attempt = f();
            async {
                match attempt.await {
                    Ok(value) => Ok(PollStatus::Ready(value)),
                    Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Pending(err.message.clone())),
                    Err(err) => Err(err),
                }
            }
        },
    )
    .await
}

/// Delete with `f`, retrying while AWS says the resource is still in use (ENIs of a deleted load
/// balancer or terminated instances linger for minutes). Already gone counts as done.
pub async fn delete_when_free<F, Fut>(
    resource: &str,
    call: &'static str,
    progress: &dyn Progress,
    mut f: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    wait_for(PollPolicy::MINUTES, resource, call, progress, || {
        let attempt = f();
        async {
            match attempt.await {
                Ok(()) => Ok(PollStatus::Ready(())),
                Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Ready(())),
                Err(err) if err.is(ErrorClass::DependencyViolation) => {
                    Ok(PollStatus::Pending(format!("still in use: {}", err.message)))
                }
                Err(err) => Err(err),
            }
        }
    })
    .await
}

/// An idempotency token for a create call, the same for every retry of the same resource: a crashed
/// apply that re-runs gets the resource the first run created instead of a second one. It includes the
/// inputs that would make a different resource, so a replacement is not answered with the old one.
pub fn client_token(deployment: &str, address: &str, inputs: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [deployment, address].iter().chain(inputs) {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    let digest = hash.finalize();
    // EC2 tokens are at most 64 ASCII characters.
    digest.iter().take(24).map(|b| format!("{b:02x}")).collect()
}

/// The id a create call returned. AWS always returns one; an answer without it is reported against the
/// call rather than carried on as an empty id.
pub fn returned_id(id: Option<&str>, resource: &str, call: &'static str) -> Result<String, AwsError> {
    id.filter(|id| !id.is_empty()).map(str::to_owned).required(call, "the new resource's id", resource)
}

/// A text field AWS always returns in `call`'s answer about `actual`, as a property value; its absence is
/// an error naming the call and the field (see [`Required`]).
pub fn text_field(
    value: Option<&str>,
    call: &'static str,
    field: &'static str,
    actual: &Actual,
) -> Result<Value, AwsError> {
    value.map(Value::str).required(call, field, actual.address.as_str())
}

/// Look with `check` until it answers ready, telling `progress` what each look saw: the wait every kind
/// makes for a resource to become usable, or gone. `schedule` is the kind's `Spec::schedule` for the
/// operation, or a plain policy for waits of no known length.
pub async fn wait_for<T, F, Fut>(
    schedule: impl Into<Schedule>,
    resource: &str,
    call: &'static str,
    progress: &dyn Progress,
    check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<PollStatus<T>, AwsError>>,
{
    poll(schedule, resource, call, |seen, waited| progress.waiting(seen, waited), check).await
}

/// The batch of looks a wait on a resource of `spec` with `props` joins (`Spec::batch_key`), made with
/// `make`'s `call` (one call for several ids, answering each resource it lists by id) if it is the first.
pub fn batch_of<T: Clone + Send + 'static>(
    ctx: &Ctx,
    spec: &Spec,
    props: &Props,
    call: &'static str,
    make: impl FnOnce() -> BatchCall<T>,
) -> Arc<Batch<T>> {
    ctx.aws.batches.get(spec.batch_key(props), call, make)
}

/// [`wait_for`] with each look answered by `batch`'s shared call: `judge` is told what the call listed
/// for `id` (None: not listed) and says whether that is ready, pending or a failure.
pub async fn wait_batched<T, R>(
    batch: &Arc<Batch<T>>,
    schedule: Schedule,
    (id, resource): (&str, &str),
    call: &'static str,
    progress: &dyn Progress,
    judge: impl Fn(Option<T>) -> Result<PollStatus<R>, AwsError>,
) -> Result<R, AwsError>
where
    T: Clone + Send + 'static,
{
    let judge = &judge;
    poll_in_windows(
        schedule,
        resource,
        call,
        |seen, waited| progress.waiting(seen, waited),
        move |look| async move { judge(batch.look(id, resource, look).await?) },
    )
    .await
}

/// Bring a resource's tags from what it has to what is wanted, with its service's own two calls: `set`
/// adds or overwrites tags, `remove` deletes keys. Neither is called when there is nothing to change.
pub async fn sync_tags<S, SetDone, R, RemoveDone>(have: &Actual, want: &Desired, set: S, remove: R) -> Result<(), Error>
where
    S: FnOnce(BTreeMap<String, String>) -> SetDone,
    SetDone: Future<Output = Result<(), Error>>,
    R: FnOnce(Vec<String>) -> RemoveDone,
    RemoveDone: Future<Output = Result<(), Error>>,
{
    let Some(change) = tags::change(have.props.get(TAGS.name), want.props.get(TAGS.name)) else { return Ok(()) };
    if !change.set.is_empty() {
        set(change.set).await?;
    }
    if !change.remove.is_empty() {
        remove(change.remove).await?;
    }
    Ok(())
}

/// How long IAM may take to show a new role or instance profile to the other services: Terraform's AWS
/// provider allows two minutes (its `propagationTimeout`); AWS documents "a few seconds" to minutes
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
const IAM_PROPAGATION: PollPolicy = PollPolicy {
    first_delay: Duration::from_secs(2),
    factor: 1.5,
    max_delay: Duration::from_secs(10),
    timeout: Duration::from_secs(120),
    jitter: 0.5,
};

/// Make the call `f` until the service it goes to can see the IAM role or instance profile it names
/// (see `ErrorClass::NotYetVisible`): a call made right after the role was created is refused as if the
/// role did not exist.
pub async fn once_iam_visible<T, F, Fut>(
    resource: &str,
    call: &'static str,
    progress: &dyn Progress,
    mut f: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    wait_for(IAM_PROPAGATION, resource, call, progress, || {
        let attempt = f();
        async {
            match attempt.await {
                Ok(value) => Ok(PollStatus::Ready(value)),
                Err(err) if err.is(ErrorClass::NotYetVisible) => {
                    Ok(PollStatus::Pending(format!("IAM not visible to the service yet: {}", err.message)))
                }
                Err(err) => Err(err),
            }
        }
    })
    .await
}

/// The ARN of everything the Resource Groups Tagging API indexes with the deployment's tag, in every
/// service: destroy's final look, and the recovery points `clusterup snapshots` lists.
pub async fn tagged_arns(
    tagging: &aws_sdk_resourcegroupstagging::Client,
    deployment: &str,
) -> Result<Vec<String>, AwsError> {
    Ok(tagging
        .get_resources()
        .tag_filters(TagFilter::builder().key(tags::DEPLOYMENT).values(deployment).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("GetResources", deployment)?
        .into_iter()
        .filter_map(|m| m.resource_arn().map(str::to_owned))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Quiet;

    fn refused(class: ErrorClass, message: &str) -> AwsError {
        AwsError {
            resource: "spark/cluster".into(),
            call: "RunJobFlow",
            code: Some("ValidationException".into()),
            message: message.into(),
            class,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_refused_while_iam_propagates_is_made_again_until_it_succeeds() {
        let mut attempts = 0;
        let id = once_iam_visible("spark/cluster", "RunJobFlow", &Quiet, || {
            attempts += 1;
            let n = attempts;
            async move {
                if n < 3 {
                    Err(refused(
                        ErrorClass::NotYetVisible,
                        "Invalid InstanceProfile: arn:aws:iam::1:instance-profile/x",
                    ))
                } else {
                    Ok("j-1")
                }
            }
        })
        .await
        .expect("succeeds once IAM is visible");
        assert_eq!((id, attempts), ("j-1", 3));
    }

    #[tokio::test(start_paused = true)]
    async fn any_other_refusal_is_returned_at_once() {
        let mut attempts = 0;
        let err = once_iam_visible("spark/cluster", "RunJobFlow", &Quiet, || {
            attempts += 1;
            async { Err::<(), _>(refused(ErrorClass::Other, "Invalid release label")) }
        })
        .await
        .expect_err("not an IAM delay");
        assert_eq!((err.message.as_str(), attempts), ("Invalid release label", 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_role_that_never_becomes_visible_fails_with_what_aws_said() {
        let err = once_iam_visible("spark/cluster", "RunJobFlow", &Quiet, || async {
            Err::<(), _>(refused(ErrorClass::NotYetVisible, "Invalid InstanceProfile: x"))
        })
        .await
        .expect_err("gives up after the propagation window");
        assert!(err.message.contains("Invalid InstanceProfile"), "{}", err.message);
    }
}
