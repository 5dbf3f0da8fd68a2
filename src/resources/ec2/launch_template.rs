//! The launch template the app nodes boot from. A change makes a new version and sets it as default; the
//! Auto Scaling group launches that version by its number, and an instance refresh moves the nodes to it.

use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType, VolumeType,
};
use base64::Engine as _;

use super::{deployment_filter, ec2_tags, read_tags, sync_tags, tag_spec};
use crate::aws::{AwsError, Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::{tags, Actual, Desired, Kind, Prop, Value, NAME, TAGS};
use crate::resources::support::{client_token, owned_address, returned_id, settle};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// The AMI id.
pub const IMAGE: Prop = Prop::new("image");
/// The nodes' instance type: a property every kind can read (the Auto Scaling group prices its nodes by it).
pub use crate::model::INSTANCE_TYPE;
pub const SECURITY_GROUPS: Prop = Prop::new("security_groups");
/// The script every node runs at first boot, as text (sent base64-encoded).
pub const USER_DATA: Prop = Prop::new("user_data");
/// The instance profile's name.
pub const INSTANCE_PROFILE: Prop = Prop::new("instance_profile");
/// The EBS volumes the nodes boot with ([`root_volume`]): a list of maps (`device`, `size_gb` when set,
/// `volume_type`, `encrypted`, `delete_on_termination`).
pub const BLOCK_DEVICES: Prop = Prop::new("block_devices");
/// Tags the nodes and their volumes get at launch (create-only: AWS does not report them back as such).
pub const INSTANCE_TAGS: Prop = Prop::new("instance_tags").not_a_dependency();

/// The version new nodes launch from (the Auto Scaling group names it by number).
pub const DEFAULT_VERSION: &str = "default_version";
/// The highest version number made so far; the next change makes this plus one.
pub const LATEST_VERSION: &str = "latest_version";

/// What a node boots with: a change to any of these makes a new version, and the nodes are replaced.
const CONTENT: [&Prop; 6] = [&IMAGE, &INSTANCE_TYPE, &SECURITY_GROUPS, &USER_DATA, &INSTANCE_PROFILE, &BLOCK_DEVICES];

pub struct LaunchTemplate;

const SPEC: Spec = Spec::new(Kind::LaunchTemplate, "launch template", Service::Ec2, PollPolicy::FAST, at_once)
    .props(&[
        &NAME,
        &IMAGE,
        &INSTANCE_TYPE,
        &SECURITY_GROUPS,
        &USER_DATA,
        &INSTANCE_PROFILE,
        &BLOCK_DEVICES,
        &INSTANCE_TAGS,
        &TAGS,
    ])
    .deleted_after(&[Kind::AutoScalingGroup])
    .attrs_after_update(next_version);

/// An update that changes what nodes boot with makes version `latest + 1` the default; any other leaves
/// the versions as they are.
fn next_version(attr: &str, have: &Actual, changed: &[&str]) -> Option<Value> {
    if attr != DEFAULT_VERSION || !CONTENT.iter().any(|p| changed.contains(&p.name)) {
        return None;
    }
    let latest: u64 = have.attrs.get(LATEST_VERSION)?.parse().ok()?;
    Some(Value::str((latest + 1).to_string()))
}

impl ResourceKind for LaunchTemplate {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let ec2 = &ctx.aws.ec2;
        let templates: Vec<_> = ec2
            .describe_launch_templates()
            .filters(deployment_filter(&ctx.deployment))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("DescribeLaunchTemplates", &ctx.deployment)?;
        // Tags come from DescribeTags (one call for every template): it is what AWS updates on CreateTags,
        // and the emulator does not reflect tag changes in DescribeLaunchTemplates.
        const CALL: &str = "DescribeLaunchTemplates";
        let ids = templates
            .iter()
            .map(|t| t.launch_template_id().map(str::to_owned).required(CALL, "LaunchTemplateId", &ctx.deployment))
            .collect::<Result<Vec<String>, _>>()?;
        let mut tags_by_id: std::collections::BTreeMap<String, Vec<aws_sdk_ec2::types::Tag>> = Default::default();
        if !ids.is_empty() {
            let described = ec2
                .describe_tags()
                .filters(
                    aws_sdk_ec2::types::Filter::builder().name("resource-id").set_values(Some(ids.clone())).build(),
                )
                .send()
                .await
                .call("DescribeTags", &ctx.deployment)?;
            for tag in described.tags() {
                let id = tag.resource_id().required("DescribeTags", "ResourceId", &ctx.deployment)?.to_owned();
                tags_by_id.entry(id).or_default().push(
                    aws_sdk_ec2::types::Tag::builder()
                        .set_key(tag.key().map(str::to_owned))
                        .set_value(tag.value().map(str::to_owned))
                        .build(),
                );
            }
        }
        let mut out = Vec::new();
        for (template, id) in templates.iter().zip(&ids) {
            // A template without tags has none listed by DescribeTags.
            let tags = read_tags(tags_by_id.get(id).map(Vec::as_slice).unwrap_or_default());
            let Some(address) = owned_address(ctx, &tags) else { continue };
            let versions = ec2
                .describe_launch_template_versions()
                .launch_template_id(id)
                .versions("$Default")
                .send()
                .await
                .call("DescribeLaunchTemplateVersions", address.as_str())?;
            let versions_call = "DescribeLaunchTemplateVersions";
            let data = versions.launch_template_versions().first().and_then(|v| v.launch_template_data()).required(
                versions_call,
                "LaunchTemplateVersions[$Default].LaunchTemplateData",
                address.as_str(),
            )?;
            // The version's settings are reported only when set: one that is not set is left out, and the
            // diff shows it as missing.
            let user_data = data
                .user_data()
                .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
                .map(|bytes| Value::str(String::from_utf8_lossy(&bytes)));
            let name = template.launch_template_name().required(CALL, "LaunchTemplateName", address.as_str())?;
            let default_version =
                template.default_version_number().required(CALL, "DefaultVersionNumber", address.as_str())?;
            let latest_version =
                template.latest_version_number().required(CALL, "LatestVersionNumber", address.as_str())?;
            out.push(
                Actual::new(address, Kind::LaunchTemplate, id)
                    .prop(&NAME, Value::str(name))
                    .prop_if_set(&IMAGE, data.image_id().map(Value::str))
                    .prop_if_set(&INSTANCE_TYPE, data.instance_type().map(|t| Value::str(t.as_str())))
                    .prop(&SECURITY_GROUPS, Value::List(data.security_group_ids().iter().map(Value::str).collect()))
                    .prop_if_set(&USER_DATA, user_data)
                    .prop_if_set(&INSTANCE_PROFILE, data.iam_instance_profile().and_then(|p| p.name()).map(Value::str))
                    .prop(&BLOCK_DEVICES, block_devices(data.block_device_mappings()))
                    .prop(&TAGS, tags::to_value(&tags))
                    .attr(DEFAULT_VERSION, default_version.to_string())
                    .attr(LATEST_VERSION, latest_version.to_string()),
            );
        }
        Ok(out)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = want.address.as_str();
        let name = want.text(&NAME)?;
        let data = template_data(want)?;
        let out = settle(resource, "CreateLaunchTemplate", || async {
            ctx.aws
                .ec2
                .create_launch_template()
                .launch_template_name(name)
                .client_token(client_token(&ctx.deployment, resource, &[name]))
                .launch_template_data(data.clone())
                .tag_specifications(tag_spec(ResourceType::LaunchTemplate, want))
                .send()
                .await
                .call("CreateLaunchTemplate", resource)
        })
        .await?;
        let made = out.launch_template();
        let id = returned_id(made.and_then(|t| t.launch_template_id()), resource, "CreateLaunchTemplate")?;
        let version = made.and_then(|t| t.default_version_number()).unwrap_or(1).to_string();
        Ok(Actual::made(want, id).attr(DEFAULT_VERSION, &version).attr(LATEST_VERSION, version))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let ec2 = &ctx.aws.ec2;
        let resource = have.address.as_str();
        let mut updated = have.updated_to(want);
        if CONTENT.iter().any(|p| want.differs_from(have, p)) {
            let out = ec2
                .create_launch_template_version()
                .launch_template_id(&have.id)
                .launch_template_data(template_data(want)?)
                .send()
                .await
                .call("CreateLaunchTemplateVersion", resource)?;
            let version = out.launch_template_version().and_then(|v| v.version_number()).ok_or_else(|| {
                AwsError::local(
                    resource,
                    "CreateLaunchTemplateVersion",
                    "AWS answered without the new version's number",
                )
            })?;
            ctx.aws
                .ec2
                .modify_launch_template()
                .launch_template_id(&have.id)
                .default_version(version.to_string())
                .send()
                .await
                .call("ModifyLaunchTemplate", resource)?;
            updated = updated.attr(DEFAULT_VERSION, version.to_string()).attr(LATEST_VERSION, version.to_string());
        }
        sync_tags(ctx, have, want).await?;
        Ok(updated)
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        ctx.aws
            .ec2
            .delete_launch_template()
            .launch_template_id(&have.id)
            .send()
            .await
            .call("DeleteLaunchTemplate", have.address.as_str())
            .gone_ok()?;
        Ok(())
    }
}

/// Make `version` the template's default again (a canary rollout that is undone puts back the version the
/// nodes run, so that plans compare the topology with what the nodes boot from).
pub async fn set_default_version(ctx: &Ctx, id: &str, version: &str, resource: &str) -> Result<(), Error> {
    ctx.aws
        .ec2
        .modify_launch_template()
        .launch_template_id(id)
        .default_version(version)
        .send()
        .await
        .call("ModifyLaunchTemplate", resource)?;
    Ok(())
}

const DEVICE: &str = "device";
const SIZE_GB: &str = "size_gb";
const VOLUME_TYPE: &str = "volume_type";
const ENCRYPTED: &str = "encrypted";
const DELETE_ON_TERMINATION: &str = "delete_on_termination";

/// The nodes' root volume on `device` (the image's root device): gp3 (AWS's current general-purpose
/// type, 3000 IOPS and 125 MiB/s included at a lower price than gp2), encrypted with the account's
/// default EBS key (AWS's managed `aws/ebs` unless the account chose another), gone with the node, of
/// the image's size (`size_gb`, when known). Explicit, so the volume is encrypted whatever the account's
/// EBS default is (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html).
pub fn root_volume(device: &str, size_gb: Option<i32>) -> Value {
    let mut volume = std::collections::BTreeMap::from([
        (DEVICE.to_owned(), Value::str(device)),
        (VOLUME_TYPE.to_owned(), Value::str("gp3")),
        (ENCRYPTED.to_owned(), Value::Bool(true)),
        (DELETE_ON_TERMINATION.to_owned(), Value::Bool(true)),
    ]);
    if let Some(size) = size_gb {
        volume.insert(SIZE_GB.to_owned(), Value::Int(i64::from(size)));
    }
    Value::Map(volume)
}

/// The EBS mappings of a version, as [`root_volume`] writes one. Mappings of instance store volumes,
/// or with no device, are not clusterup's and are shown as they are so the diff removes them.
fn block_devices(mappings: &[aws_sdk_ec2::types::LaunchTemplateBlockDeviceMapping]) -> Value {
    Value::List(
        mappings
            .iter()
            .map(|m| {
                let mut device = std::collections::BTreeMap::new();
                if let Some(name) = m.device_name() {
                    device.insert(DEVICE.to_owned(), Value::str(name));
                }
                if let Some(ebs) = m.ebs() {
                    // Each reported only when the mapping sets it.
                    if let Some(size) = ebs.volume_size() {
                        device.insert(SIZE_GB.to_owned(), Value::Int(i64::from(size)));
                    }
                    if let Some(kind) = ebs.volume_type() {
                        device.insert(VOLUME_TYPE.to_owned(), Value::str(kind.as_str()));
                    }
                    if let Some(encrypted) = ebs.encrypted() {
                        device.insert(ENCRYPTED.to_owned(), Value::Bool(encrypted));
                    }
                    if let Some(delete) = ebs.delete_on_termination() {
                        device.insert(DELETE_ON_TERMINATION.to_owned(), Value::Bool(delete));
                    }
                }
                Value::Map(device)
            })
            .collect(),
    )
}

/// The mappings `want` asks for, in EC2's request form.
fn block_device_requests(want: &Desired) -> Result<Vec<LaunchTemplateBlockDeviceMappingRequest>, Error> {
    want.list(&BLOCK_DEVICES)?
        .iter()
        .map(|device| {
            let bad = || {
                Error::Bug(format!(
                    "{}: block device {device} is not a device, a volume type and two flags",
                    want.address
                ))
            };
            let Value::Map(map) = device else { return Err(bad()) };
            let text = |key: &str| map.get(key).and_then(Value::as_str).ok_or_else(bad);
            let flag = |key: &str| map.get(key).and_then(Value::as_bool).ok_or_else(bad);
            let size = map.get(SIZE_GB).map(|v| v.as_int().and_then(|s| i32::try_from(s).ok()).ok_or_else(bad));
            Ok(LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name(text(DEVICE)?)
                .ebs(
                    LaunchTemplateEbsBlockDeviceRequest::builder()
                        .set_volume_size(size.transpose()?)
                        .volume_type(VolumeType::from(text(VOLUME_TYPE)?))
                        .encrypted(flag(ENCRYPTED)?)
                        .delete_on_termination(flag(DELETE_ON_TERMINATION)?)
                        .build(),
                )
                .build())
        })
        .collect()
}

fn template_data(want: &Desired) -> Result<RequestLaunchTemplateData, Error> {
    let instance_tags = ec2_tags(&tags::from_value(want.value(&INSTANCE_TAGS)));
    let tag = |kind| {
        LaunchTemplateTagSpecificationRequest::builder()
            .resource_type(kind)
            .set_tags(Some(instance_tags.clone()))
            .build()
    };
    Ok(RequestLaunchTemplateData::builder()
        .image_id(want.text(&IMAGE)?)
        .instance_type(InstanceType::from(want.text(&INSTANCE_TYPE)?))
        .set_security_group_ids(Some(want.strings(&SECURITY_GROUPS)?))
        .set_block_device_mappings(Some(block_device_requests(want)?))
        .user_data(base64::engine::general_purpose::STANDARD.encode(want.text(&USER_DATA)?))
        .iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder().name(want.text(&INSTANCE_PROFILE)?).build(),
        )
        // IMDSv2 only: the instance role's credentials are not readable by a simple SSRF.
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::Enabled)
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .build(),
        )
        .tag_specifications(tag(ResourceType::Instance))
        .tag_specifications(tag(ResourceType::Volume))
        .build())
}
