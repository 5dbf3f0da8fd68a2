//! Facts about the account that the desired state depends on: the zones, the AMI, the VPC's CIDR, the
//! account id and partition. Read once per plan.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;

use super::ec2::subnet::ZONE;
use crate::aws::{Aws, AwsError, ErrorClass, Required, ResultExt};
use crate::model::{Actual, BootImage, Facts, Kind};
use crate::topology::{Image, Network, Topology, Zones};

/// Read what the desired state depends on: the zones, the AMI, the VPC's CIDR.
///
/// Zones stick to what exists: if the deployment's public subnets already span the wanted number of
/// zones, those zones are kept, so a zone that AWS lists differently tomorrow never replaces subnets.
pub async fn gather(aws: &Aws, topology: &Topology, existing: &[Actual]) -> Result<Facts, AwsError> {
    let zones = match &topology.network {
        Network::Managed(m) => match &m.zones {
            Zones::Names(names) => {
                check_zones_exist(aws, names).await?;
                names.clone()
            }
            Zones::Count(n) => {
                let n = usize::from(*n);
                let used = zones_in_use(existing);
                if used.len() == n {
                    used
                } else {
                    let available = available_zones(aws).await?;
                    if available.len() < n {
                        return Err(AwsError::local(
                            &topology.region,
                            "DescribeAvailabilityZones",
                            format!(
                                "network.availability_zones asks for {n} zones but {} has only {} available: {}",
                                topology.region,
                                available.len(),
                                available.join(", ")
                            ),
                        ));
                    }
                    available.into_iter().take(n).collect()
                }
            }
        },
        Network::Existing(_) => Vec::new(),
    };
    let mut images = BTreeMap::new();
    for image in topology.groups.iter().map(|g| &g.nodes.image) {
        if let std::collections::btree_map::Entry::Vacant(slot) = images.entry(image.written()) {
            slot.insert(boot_image(aws, topology, image).await?);
        }
    }
    let (vpc_cidr, private_subnet_zones) = match &topology.network {
        Network::Managed(m) => (m.cidr.to_string(), zones.clone()),
        Network::Existing(e) => {
            let out = aws.ec2.describe_vpcs().vpc_ids(&e.vpc_id).send().await.call("DescribeVpcs", &e.vpc_id)?;
            let cidr = out
                .vpcs()
                .first()
                .and_then(|v| v.cidr_block())
                .required("DescribeVpcs", "CidrBlock", &e.vpc_id)?
                .to_owned();
            let subnets = aws
                .ec2
                .describe_subnets()
                .set_subnet_ids(Some(e.private_subnet_ids.clone()))
                .send()
                .await
                .call("DescribeSubnets", &e.vpc_id)?;
            let zone_of = |id: &str| {
                subnets
                    .subnets()
                    .iter()
                    .find(|s| s.subnet_id() == Some(id))
                    .and_then(|s| s.availability_zone())
                    .unwrap_or(id)
                    .to_owned()
            };
            (cidr, e.private_subnet_ids.iter().map(|id| zone_of(id)).collect())
        }
    };
    // The account names the Spark bucket and the ARNs of the role and trust policies; the partition of
    // the caller's ARN is the partition of every ARN clusterup writes (`aws-cn`, `aws-us-gov`, ...).
    let identity = aws.sts.get_caller_identity().send().await.call("GetCallerIdentity", &topology.region)?;
    let account_id = identity.account().required("GetCallerIdentity", "Account", &topology.region)?.to_owned();
    let caller = identity.arn().required("GetCallerIdentity", "Arn", &topology.region)?;
    let partition = crate::model::facts::partition_of(caller)
        .ok_or_else(|| {
            AwsError::local(
                &topology.region,
                "GetCallerIdentity",
                format!("the caller's ARN `{caller}` names no partition; is the endpoint AWS?"),
            )
        })?
        .to_owned();
    // Only a database still to be made is restored: once it exists, restore_from is not read at all,
    // so a snapshot deleted since cannot fail the plans of a running deployment.
    let restore = match topology.database.as_ref().and_then(|d| Some((d.restore_from.as_ref()?, d))) {
        Some((from, db)) if !existing.iter().any(|a| a.kind == Kind::DbInstance) => {
            Some(super::rds::snapshots::resolve(aws, &topology.name, from, db).await?)
        }
        _ => None,
    };
    let kept_password = existing.iter().any(|a| a.kind == Kind::DatabaseSecret);
    Ok(Facts { restore, zones, images, vpc_cidr, private_subnet_zones, account_id, partition, kept_password })
}

/// The AMI `image` names (resolving an SSM parameter) and its root device.
async fn boot_image(aws: &Aws, topology: &Topology, image: &Image) -> Result<BootImage, AwsError> {
    let id = match image {
        Image::AmiId(id) => id.clone(),
        Image::SsmParameter(name) => {
            let out =
                aws.ssm.get_parameter().name(name).send().await.call("GetParameter", name).map_err(|mut err| {
                    if err.is(ErrorClass::NotFound) || err.code_is("ParameterNotFound") {
                        err.message = format!(
                            "{} (the image of a node group names an SSM parameter that does not exist in {})",
                            err.message, topology.region
                        );
                    }
                    err
                })?;
            out.parameter().and_then(|p| p.value()).required("GetParameter", "Parameter.Value", name)?.to_owned()
        }
    };
    let (root_device_name, root_volume_gb) = root_device(aws, &id).await?;
    Ok(BootImage { id, root_device_name, root_volume_gb })
}

/// The root device of image `id` and its volume's size: the launch template maps the nodes' root volume
/// on it. The device differs between images (`/dev/xvda` for Amazon Linux 2023, `/dev/sda1` for
/// Ubuntu), and a mapping on another device would add a second, empty volume instead
/// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/RootDeviceStorage.html). The size is the
/// image's own, written out because a mapping that names neither size nor snapshot is refused by the
/// emulator, where AWS takes the image's snapshot.
async fn root_device(aws: &Aws, id: &str) -> Result<(String, Option<i32>), AwsError> {
    let out = aws.ec2.describe_images().image_ids(id).send().await.call("DescribeImages", id)?;
    let Some(image) = out.images().first() else {
        return Err(AwsError::local(
            id,
            "DescribeImages",
            format!("the image {id} (app.image) does not exist in {} or is not shared with this account", aws.region),
        ));
    };
    let device = image.root_device_name().required("DescribeImages", "RootDeviceName", id)?.to_owned();
    let size = image
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == Some(device.as_str()))
        .and_then(|m| m.ebs())
        .and_then(|ebs| ebs.volume_size());
    Ok((device, size))
}

fn zones_in_use(existing: &[Actual]) -> Vec<String> {
    let mut zones: Vec<(String, String)> = existing
        .iter()
        .filter(|a| a.kind == Kind::Subnet && a.address.leaf().starts_with("public-"))
        .filter_map(|a| Some((a.address.to_string(), a.text(&ZONE)?.to_owned())))
        .collect();
    zones.sort();
    zones.into_iter().map(|(_, zone)| zone).collect()
}

async fn available_zones(aws: &Aws) -> Result<Vec<String>, AwsError> {
    let out = aws
        .ec2
        .describe_availability_zones()
        .filters(Filter::builder().name("state").values("available").build())
        .filters(Filter::builder().name("zone-type").values("availability-zone").build())
        .send()
        .await
        .call("DescribeAvailabilityZones", &aws.region)?;
    let mut zones: Vec<String> =
        out.availability_zones().iter().filter_map(|z| z.zone_name().map(str::to_owned)).collect();
    zones.sort();
    Ok(zones)
}

async fn check_zones_exist(aws: &Aws, names: &[String]) -> Result<(), AwsError> {
    let available = available_zones(aws).await?;
    if let Some(missing) = names.iter().find(|n| !available.contains(n)) {
        return Err(AwsError::local(
            missing,
            "DescribeAvailabilityZones",
            format!("zone {missing} is not available in {}; available: {}", aws.region, available.join(", ")),
        ));
    }
    Ok(())
}
