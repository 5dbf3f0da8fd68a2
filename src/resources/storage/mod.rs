//! The storage family: the EFS file system every app node mounts as the shared data folder, a mount
//! target in every private subnet, an access point for the data folder, lifecycle (IA) and backups,
//! behind a security group that admits NFS (2049) only from the app nodes.
//!
//! EFS has no SDK waiters; the engine's poller follows file system and mount target states.

mod access_point;
mod file_system;
mod mount_target;

use std::collections::BTreeMap;

use aws_sdk_efs::types::Tag;

use super::network::{self, ingress_from_group, named, zone_letter};
use super::{BoxFuture, Ctx, Facts, Family, Progress};
use crate::aws::{built, AwsError};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::topology::Topology;

pub struct Storage;

pub const FILE_SYSTEM: &str = "storage/file-system";
pub const ACCESS_POINT: &str = "storage/access-point";
pub const SECURITY_GROUP: &str = "network/security-group/efs";
/// The tag that records where nodes mount the file system, so `output` can say it without the topology.
/// Mount targets are `storage/mount-target/<zone letter>`.
pub const MOUNT_TARGET_PREFIX: &str = "storage/mount-target";
pub const MOUNT_PATH_TAG: &str = "clusterup:mount-path";

/// The data folder inside the file system that the access point exposes, owned by this POSIX user.
const DATA_PATH: &str = "/data";
const DATA_UID: i64 = 1000;

fn efs_tags(want: &Desired) -> Result<Vec<Tag>, AwsError> {
    tags::from_value(want.props.get("tags"))
        .iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), want.address.as_str(), "TagResource"))
        .collect()
}

fn read_tags(list: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(list.iter().map(|t| (Some(t.key()), Some(t.value()))))
}

impl Family for Storage {
    fn name(&self) -> &'static str {
        "storage"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[Kind::FileSystem, Kind::MountTarget, Kind::AccessPoint]
    }

    fn desired(&self, topology: &Topology, facts: &Facts) -> Vec<Desired> {
        let Some(storage) = &topology.shared_storage else { return vec![] };
        let name = &topology.name;
        let net = network::refs(topology, facts);
        let fs = Value::Ref(Address::new(FILE_SYSTEM));
        let sg = Value::Ref(Address::new(SECURITY_GROUP));
        let mut file_system = named(topology, FILE_SYSTEM, Kind::FileSystem, &format!("{name}-data"))
            .prop("creation_token", Value::str(format!("clusterup-{name}-data")))
            .prop("encrypted", Value::Bool(storage.encrypted))
            .prop("performance_mode", Value::str("generalPurpose"))
            .prop(
                "transition_to_ia",
                Value::str(
                    storage
                        .transition_to_ia
                        .map(|d| format!("AFTER_{}_DAYS", d.as_secs() / 86_400))
                        .unwrap_or_default(),
                ),
            )
            .prop("backups", Value::Bool(storage.backups));
        if let Some(Value::Map(tags)) = file_system.props.get_mut("tags") {
            tags.insert(MOUNT_PATH_TAG.to_owned(), Value::str(&storage.mount_path));
        }
        let mut out = vec![
            named(topology, SECURITY_GROUP, Kind::SecurityGroup, &format!("{name}-efs"))
                .prop("vpc", net.vpc)
                .prop("group_name", Value::str(format!("{name}-efs")))
                .prop(
                    "description",
                    Value::str(format!("clusterup {name}: shared data folder (NFS), reached only from the app")),
                )
                .prop(
                    "ingress",
                    Value::List(
                        network::data_tier_clients(topology).into_iter().map(|g| ingress_from_group(2049, g)).collect(),
                    ),
                ),
            file_system,
            named(topology, ACCESS_POINT, Kind::AccessPoint, &format!("{name}-data"))
                .prop("file_system", fs.clone())
                .prop("path", Value::str(DATA_PATH))
                .prop("uid", Value::Int(DATA_UID))
                .prop("gid", Value::Int(DATA_UID))
                .prop("permissions", Value::str("0755")),
        ];
        for (zone, subnet) in facts.private_subnet_zones.iter().zip(net.private_subnets) {
            let letter = zone_letter(&topology.region, zone);
            let mut target = Desired::new(format!("storage/mount-target/{letter}"), Kind::MountTarget)
                .prop("file_system", fs.clone())
                .prop("subnet", subnet)
                .prop("security_groups", Value::List(vec![sg.clone()]));
            // Mount targets carry no tags: they are found through their file system.
            target.props.remove("tags");
            out.push(target);
        }
        out
    }

    fn outputs(&self, resources: &[Actual]) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(fs) = resources.iter().find(|r| r.address.as_str() == FILE_SYSTEM) {
            out.push(("file_system_id", fs.id.clone()));
            let tags = tags::from_value(fs.props.get("tags"));
            if let Some(path) = tags.get(MOUNT_PATH_TAG) {
                out.push(("mount_path", path.clone()));
            }
        }
        if let Some(ap) = super::id_of(resources, ACCESS_POINT) {
            out.push(("access_point_id", ap.to_owned()));
        }
        out
    }

    fn discover<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Vec<Actual>, AwsError>> {
        Box::pin(async move {
            let systems = file_system::discover(ctx).await?;
            let mut out = Vec::new();
            for fs in &systems {
                let (targets, points) =
                    tokio::try_join!(mount_target::discover(ctx, fs), access_point::discover(ctx, fs))?;
                out.extend(targets);
                out.extend(points);
            }
            out.extend(systems);
            Ok(out)
        })
    }

    fn create<'a>(
        &'a self,
        ctx: &'a Ctx,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::FileSystem => file_system::create(ctx, want, progress).await,
                Kind::MountTarget => mount_target::create(ctx, want, progress).await,
                Kind::AccessPoint => access_point::create(ctx, want, progress).await,
                other => unreachable!("{other:?} is not a storage kind"),
            }
        })
    }

    fn update<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        want: &'a Desired,
        _progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::FileSystem => file_system::update(ctx, have, want).await,
                Kind::MountTarget => mount_target::update(ctx, have, want).await,
                Kind::AccessPoint => access_point::update_tags(ctx, have, want).await,
                other => unreachable!("{other:?} is not a storage kind"),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(async move {
            match have.kind {
                Kind::FileSystem => file_system::delete(ctx, have, progress).await,
                Kind::MountTarget => mount_target::delete(ctx, have, progress).await,
                Kind::AccessPoint => access_point::delete(ctx, have).await,
                other => unreachable!("{other:?} is not a storage kind"),
            }
        })
    }
}

/// Tags of an EFS resource (file system or access point), by id.
async fn sync_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    use crate::aws::ResultExt;
    let Some(change) = tags::change(have.props.get("tags"), want.props.get("tags")) else { return Ok(()) };
    let resource = have.address.as_str();
    if !change.set.is_empty() {
        let set = change
            .set
            .iter()
            .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), resource, "TagResource"))
            .collect::<Result<Vec<_>, _>>()?;
        ctx.aws
            .efs
            .tag_resource()
            .resource_id(&have.id)
            .set_tags(Some(set))
            .send()
            .await
            .call("TagResource", resource)?;
    }
    if !change.remove.is_empty() {
        ctx.aws
            .efs
            .untag_resource()
            .resource_id(&have.id)
            .set_tag_keys(Some(change.remove))
            .send()
            .await
            .call("UntagResource", resource)?;
    }
    Ok(())
}
