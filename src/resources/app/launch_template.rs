//! The launch template the app nodes boot from. A change makes a new version and sets it as default; the
//! Auto Scaling group always launches `$Default`.

use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
};
use base64::Engine as _;

use crate::aws::{AwsError, Outcome, ResultExt};
use crate::model::{tags, Actual, Desired, Kind, Value};
use crate::resources::ec2_util::{client_token, deployment_filter, ec2_tags, read_tags, settle, sync_tags, tag_spec};
use crate::resources::owned_address;
use crate::resources::Ctx;

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let templates: Vec<_> = ctx
        .aws
        .ec2
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
    let ids: Vec<String> = templates.iter().filter_map(|t| t.launch_template_id().map(str::to_owned)).collect();
    let mut tags_by_id: std::collections::BTreeMap<String, Vec<aws_sdk_ec2::types::Tag>> = Default::default();
    if !ids.is_empty() {
        let described = ctx
            .aws
            .ec2
            .describe_tags()
            .filters(aws_sdk_ec2::types::Filter::builder().name("resource-id").set_values(Some(ids)).build())
            .send()
            .await
            .call("DescribeTags", &ctx.deployment)?;
        for tag in described.tags() {
            let id = tag.resource_id().unwrap_or_default().to_owned();
            tags_by_id.entry(id).or_default().push(
                aws_sdk_ec2::types::Tag::builder()
                    .set_key(tag.key().map(str::to_owned))
                    .set_value(tag.value().map(str::to_owned))
                    .build(),
            );
        }
    }
    let mut out = Vec::new();
    for template in templates {
        let tags = read_tags(
            tags_by_id.get(template.launch_template_id().unwrap_or_default()).map(Vec::as_slice).unwrap_or_default(),
        );
        let (Some(address), Some(id)) = (owned_address(ctx, &tags), template.launch_template_id()) else { continue };
        let versions = ctx
            .aws
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions("$Default")
            .send()
            .await
            .call("DescribeLaunchTemplateVersions", address.as_str())?;
        let data = versions.launch_template_versions().first().and_then(|v| v.launch_template_data());
        let user_data = data
            .and_then(|d| d.user_data())
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        out.push(
            Actual::new(address, Kind::LaunchTemplate, id)
                .prop("name", Value::str(template.launch_template_name().unwrap_or_default()))
                .prop("image", Value::str(data.and_then(|d| d.image_id()).unwrap_or_default()))
                .prop(
                    "instance_type",
                    Value::str(data.and_then(|d| d.instance_type()).map(|t| t.as_str()).unwrap_or_default()),
                )
                .prop(
                    "security_groups",
                    Value::List(
                        data.map(|d| d.security_group_ids()).unwrap_or_default().iter().map(Value::str).collect(),
                    ),
                )
                .prop("user_data", Value::str(user_data))
                .prop(
                    "instance_profile",
                    Value::str(data.and_then(|d| d.iam_instance_profile()).and_then(|p| p.name()).unwrap_or_default()),
                )
                .prop("tags", tags::to_value(&tags))
                .attr("default_version", template.default_version_number().unwrap_or(0).to_string()),
        );
    }
    Ok(out)
}

fn template_data(want: &Desired) -> RequestLaunchTemplateData {
    let instance_tags = ec2_tags(&tags::from_value(want.value("instance_tags")));
    let tag = |kind| {
        LaunchTemplateTagSpecificationRequest::builder()
            .resource_type(kind)
            .set_tags(Some(instance_tags.clone()))
            .build()
    };
    RequestLaunchTemplateData::builder()
        .image_id(want.text("image"))
        .instance_type(InstanceType::from(want.text("instance_type")))
        .set_security_group_ids(Some(want.props.get("security_groups").map(Value::strings).unwrap_or_default()))
        .user_data(base64::engine::general_purpose::STANDARD.encode(want.text("user_data")))
        .iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder().name(want.text("instance_profile")).build(),
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
        .build()
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let out = settle(resource, "CreateLaunchTemplate", || async {
        ctx.aws
            .ec2
            .create_launch_template()
            .launch_template_name(want.text("name"))
            .client_token(client_token(&ctx.deployment, resource, &[want.text("name")]))
            .launch_template_data(template_data(want))
            .tag_specifications(tag_spec(ResourceType::LaunchTemplate, want))
            .send()
            .await
            .call("CreateLaunchTemplate", resource)
    })
    .await?;
    let id = out.launch_template().and_then(|t| t.launch_template_id()).unwrap_or_default();
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::LaunchTemplate, id) })
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    let resource = have.address.as_str();
    let content_changed = ["image", "instance_type", "security_groups", "user_data", "instance_profile"]
        .iter()
        .any(|k| want.differs_from(have, k));
    if content_changed {
        let out = ctx
            .aws
            .ec2
            .create_launch_template_version()
            .launch_template_id(&have.id)
            .launch_template_data(template_data(want))
            .send()
            .await
            .call("CreateLaunchTemplateVersion", resource)?;
        let version = out.launch_template_version().and_then(|v| v.version_number()).unwrap_or_default();
        ctx.aws
            .ec2
            .modify_launch_template()
            .launch_template_id(&have.id)
            .default_version(version.to_string())
            .send()
            .await
            .call("ModifyLaunchTemplate", resource)?;
    }
    sync_tags(&ctx.aws.ec2, have, want).await?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

pub async fn delete(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    ctx.aws
        .ec2
        .delete_launch_template()
        .launch_template_id(&have.id)
        .send()
        .await
        .call("DeleteLaunchTemplate", have.address.as_str())
        .gone_ok()
}
