use super::{iam_name, iam_tags, read_tags, PROFILES};
use crate::aws::{AwsError, ErrorClass, Outcome, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::{check_owner, concurrently, Ctx};

/// Every instance profile of the deployment, looked up by name, all at once.
pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let found = concurrently(ctx, PROFILES, |ctx, (address, suffix)| async move {
        discover_one(&ctx, address, &iam_name(&ctx.deployment, &ctx.aws.region, suffix)).await
    })
    .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn discover_one(ctx: &Ctx, address: &str, name: &str) -> Result<Option<Actual>, AwsError> {
    let found = ctx.aws.iam.get_instance_profile().instance_profile_name(name).send().await;
    let profile = found.call("GetInstanceProfile", name).found()?.and_then(|out| out.instance_profile().cloned());
    let Some(profile) = profile else { return Ok(None) };
    let tags = read_tags(profile.tags());
    check_owner(ctx, "instance profile", name, &tags)?;
    let role = profile.roles().first().map(|r| r.role_name()).unwrap_or_default();
    Ok(Some(
        Actual::new(Address::new(address), Kind::InstanceProfile, name)
            .prop("name", Value::str(name))
            .prop("role", Value::str(role))
            .prop("tags", tags::to_value(&tags))
            .attr("arn", profile.arn()),
    ))
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let name = want.text("name");
    let resource = want.address.as_str();
    let created = ctx
        .aws
        .iam
        .create_instance_profile()
        .instance_profile_name(name)
        .set_tags(Some(iam_tags(want)?))
        .send()
        .await
        .call("CreateInstanceProfile", resource);
    let (arn, roles) = match created {
        Ok(out) => (out.instance_profile().map(|p| p.arn().to_owned()).unwrap_or_default(), Vec::new()),
        Err(err) if err.is(ErrorClass::AlreadyExists) => {
            let out = ctx
                .aws
                .iam
                .get_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
                .call("GetInstanceProfile", name)?;
            let profile = out.instance_profile().cloned();
            check_owner(
                ctx,
                "instance profile",
                name,
                &read_tags(profile.as_ref().map(|p| p.tags()).unwrap_or_default()),
            )?;
            let roles = profile
                .as_ref()
                .map(|p| p.roles().iter().map(|r| r.role_name().to_owned()).collect())
                .unwrap_or_default();
            (profile.map(|p| p.arn().to_owned()).unwrap_or_default(), roles)
        }
        Err(err) => return Err(err),
    };
    let have = Actual::new(want.address.clone(), Kind::InstanceProfile, name)
        .prop("role", Value::str(roles.first().cloned().unwrap_or_default()));
    set_role(ctx, &have, want).await?;
    Ok(Actual { props: want.props.clone(), ..have }.attr("arn", arn))
}

/// A profile holds one role: swap it if it is another.
async fn set_role(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    let current = have.props.get("role").and_then(Value::as_str).unwrap_or_default();
    let wanted = want.text("role");
    if current == wanted {
        return Ok(());
    }
    if !current.is_empty() {
        ctx.aws
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(&have.id)
            .role_name(current)
            .send()
            .await
            .call("RemoveRoleFromInstanceProfile", resource)?;
    }
    ctx.aws
        .iam
        .add_role_to_instance_profile()
        .instance_profile_name(&have.id)
        .role_name(wanted)
        .send()
        .await
        .call("AddRoleToInstanceProfile", resource)?;
    Ok(())
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    set_role(ctx, have, want).await?;
    if let Some(change) = tags::change(have.props.get("tags"), want.props.get("tags")) {
        let resource = have.address.as_str();
        let iam = &ctx.aws.iam;
        if !change.set.is_empty() {
            iam.tag_instance_profile()
                .instance_profile_name(&have.id)
                .set_tags(Some(iam_tags(want)?))
                .send()
                .await
                .call("TagInstanceProfile", resource)?;
        }
        if !change.remove.is_empty() {
            iam.untag_instance_profile()
                .instance_profile_name(&have.id)
                .set_tag_keys(Some(change.remove))
                .send()
                .await
                .call("UntagInstanceProfile", resource)?;
        }
    }
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

pub async fn delete(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    if let Some(role) = have.props.get("role").and_then(Value::as_str).filter(|r| !r.is_empty()) {
        match ctx
            .aws
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(&have.id)
            .role_name(role)
            .send()
            .await
            .call("RemoveRoleFromInstanceProfile", resource)
        {
            Err(err) if !err.is(ErrorClass::NotFound) => return Err(err),
            _ => {}
        }
    }
    ctx.aws
        .iam
        .delete_instance_profile()
        .instance_profile_name(&have.id)
        .send()
        .await
        .call("DeleteInstanceProfile", resource)
        .gone_ok()
}
