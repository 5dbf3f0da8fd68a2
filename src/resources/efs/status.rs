//! What `status` reads of the shared storage: the file system's state and size, and its mount targets,
//! in two calls made at once.

use serde::Serialize;

use crate::aws::{Required, ResultExt};
use crate::model::Actual;
use crate::resources::{Ctx, Error};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MountTarget {
    pub id: String,
    pub zone: String,
    pub state: String,
}

/// The file system as EFS describes it now.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// EFS's life cycle state (`available`, `creating`, ...); `None` when it is gone since discovery.
    pub state: Option<String>,
    /// The data stored, as EFS last metered it; 0 when it is gone.
    pub size_bytes: i64,
    /// By zone.
    pub mount_targets: Vec<MountTarget>,
}

pub async fn describe_now(ctx: &Ctx, fs: &Actual) -> Result<Described, Error> {
    let resource = fs.address.as_str();
    let efs = &ctx.aws.efs;
    let (described, targets) = tokio::try_join!(
        async { efs.describe_file_systems().file_system_id(&fs.id).send().await.call("DescribeFileSystems", resource) },
        async {
            efs.describe_mount_targets().file_system_id(&fs.id).send().await.call("DescribeMountTargets", resource)
        },
    )?;
    let mut mount_targets = Vec::new();
    for m in targets.mount_targets() {
        mount_targets.push(MountTarget {
            id: m.mount_target_id().to_owned(),
            zone: m
                .availability_zone_name()
                .required("DescribeMountTargets", "AvailabilityZoneName", resource)?
                .to_owned(),
            state: m.life_cycle_state().as_str().to_owned(),
        });
    }
    mount_targets.sort_by(|a, b| a.zone.cmp(&b.zone));
    let (state, size_bytes) = match described.file_systems().first() {
        Some(found) => {
            let size = found.size_in_bytes().required("DescribeFileSystems", "SizeInBytes", resource)?;
            (Some(found.life_cycle_state().as_str().to_owned()), size.value())
        }
        None => (None, 0),
    };
    Ok(Described { state, size_bytes, mount_targets })
}
