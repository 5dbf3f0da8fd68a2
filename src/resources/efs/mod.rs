//! EFS's kinds: the file system every app and Spark node mounts as the shared data folder, a mount
//! target in every private subnet, the access point for the data folder, and the file system's policy. EFS has no SDK waiters;
//! clusterup's poller follows their states.

pub mod access_point;
mod cost;
pub mod file_system;
pub mod file_system_policy;
mod guard;
pub mod mount_target;
pub mod recovery_points;
pub mod status;

use std::collections::BTreeMap;

use aws_sdk_efs::types::{LifeCycleState, Tag};

use super::support::{self, built};
use super::{tag_pairs, Ctx, Error};
use crate::aws::{AwsError, ErrorClass, PollStatus, ResultExt};
use crate::model::{tags, Actual, Desired};

/// One look at a new EFS resource, usable once `available`: the state seen (with what the caller wants
/// back once ready), or none when EFS does not list it yet. A resource not found is not visible yet
/// either: EFS lists what it just created a moment later.
fn until_available<T>(looked: Result<Option<(LifeCycleState, T)>, AwsError>) -> Result<PollStatus<T>, AwsError> {
    match looked {
        Ok(Some((LifeCycleState::Available, ready))) => Ok(PollStatus::Ready(ready)),
        Ok(Some((state, _))) => Ok(PollStatus::Pending(format!("state {}", state.as_str()))),
        Ok(None) => Ok(PollStatus::Pending("not visible yet".into())),
        Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Pending("not visible yet".into())),
        Err(err) => Err(err),
    }
}

fn efs_tags(want: &Desired) -> Result<Vec<Tag>, Error> {
    tag_pairs(want)
        .iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), want.address.as_str(), "TagResource"))
        .collect()
}

fn read_tags(list: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(list.iter().map(|t| (Some(t.key()), Some(t.value()))))
}

/// Tags of an EFS resource (file system or access point), by id.
async fn sync_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let (efs, id, resource) = (&ctx.aws.efs, &have.id, have.address.as_str());
    let set = move |tags: BTreeMap<String, String>| async move {
        let tags = tags
            .iter()
            .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), resource, "TagResource"))
            .collect::<Result<Vec<_>, _>>()?;
        efs.tag_resource().resource_id(id).set_tags(Some(tags)).send().await.call("TagResource", resource)?;
        Ok(())
    };
    let remove = move |keys: Vec<String>| async move {
        efs.untag_resource().resource_id(id).set_tag_keys(Some(keys)).send().await.call("UntagResource", resource)?;
        Ok(())
    };
    support::sync_tags(have, want, set, remove).await
}
