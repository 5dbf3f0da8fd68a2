//! The shared storage tier: the file system and its mount targets, one in each zone of the private
//! subnets.

use std::collections::BTreeSet;

use super::super::{judge, Judged, Storage};
use super::gone;
use crate::model::{Actual, Kind};
use crate::resources::ec2::subnet;
use crate::resources::efs::status::describe_now;
use crate::resources::{Ctx, Error};

/// The zones of the private subnets discovery found: the file system should have a mount target in each.
pub(super) fn zones(resources: &[Actual]) -> Vec<String> {
    let zones: BTreeSet<String> = resources
        .iter()
        .filter(|r| r.kind == Kind::Subnet && r.address.leaf().starts_with("private-"))
        .filter_map(|s| s.text(&subnet::ZONE).map(str::to_owned))
        .collect();
    zones.into_iter().collect()
}

/// The file system of a deployment that should have one but has none.
pub(super) fn missing() -> Storage {
    Storage {
        judged: gone("the shared file system does not exist; run apply to make it"),
        id: String::new(),
        state: "missing".into(),
        size_bytes: 0,
        mount_targets: vec![],
    }
}

pub(super) async fn tier(ctx: &Ctx, fs: &Actual, zones: &[String]) -> Result<Storage, Error> {
    let described = describe_now(ctx, fs).await?;
    let mut tier = Storage {
        judged: Judged::healthy(),
        id: fs.id.clone(),
        // Gone since discovery: judged as missing.
        state: described.state.unwrap_or_else(|| "missing".into()),
        size_bytes: described.size_bytes,
        mount_targets: described.mount_targets,
    };
    judge::storage(&mut tier, zones);
    Ok(tier)
}
