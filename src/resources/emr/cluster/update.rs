//! What changes in place: the tags, the core and task node counts, and the scaling. A cluster started by
//! an interrupted run is first waited for, as create would have.

use std::collections::BTreeMap;

use aws_sdk_emr::types::{InstanceGroupModifyConfig, Tag};

use super::ready::wait_ready;
use super::scaling::set_scaling;
use super::{CORE_COUNT, SCALING, STATE, TASK_COUNT};
use crate::aws::ResultExt;
use crate::model::{Actual, Desired};
use crate::resources::{support, Ctx, Error, Progress};

/// Bring the cluster `have` to `want` without replacing it.
pub(super) async fn update(ctx: &Ctx, have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
    let resource = have.address.as_str();
    let emr = &ctx.aws.emr;
    let mut have = have.clone();
    if want.differs_from(&have, &STATE) {
        // Started by an interrupted run: wait for it as create would have.
        have = wait_ready(ctx, super::SPEC.wait.into(), &have.id, resource, progress).await?;
    }
    let id = &have.id;
    let set = move |tags: BTreeMap<String, String>| async move {
        let tags = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        emr.add_tags().resource_id(id).set_tags(Some(tags)).send().await.call("AddTags", resource)?;
        Ok(())
    };
    let remove = move |keys: Vec<String>| async move {
        emr.remove_tags().resource_id(id).set_tag_keys(Some(keys)).send().await.call("RemoveTags", resource)?;
        Ok(())
    };
    support::sync_tags(&have, want, set, remove).await?;
    let mut resize = Vec::new();
    for (prefix, count) in [("core", &CORE_COUNT), ("task", &TASK_COUNT)] {
        if want.differs_from(&have, count) {
            let group = have.attrs.get(&format!("{prefix}_group_id")).ok_or_else(|| {
                Error::Bug(format!("{resource}: the {prefix} instance group was not discovered with the cluster"))
            })?;
            resize.push(
                InstanceGroupModifyConfig::builder()
                    .instance_group_id(group)
                    .instance_count(want.int32(count)?)
                    .build(),
            );
        }
    }
    if !resize.is_empty() {
        emr.modify_instance_groups()
            .cluster_id(&have.id)
            .set_instance_groups(Some(resize))
            .send()
            .await
            .call("ModifyInstanceGroups", resource)?;
    }
    if want.differs_from(&have, &SCALING) {
        set_scaling(ctx, &have, want).await?;
    }
    Ok(Actual { props: want.props.clone(), ..have })
}
