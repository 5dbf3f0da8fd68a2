use super::{canonical_from_aws, iam_name, iam_tags, policy_name, read_tags, spec, RoleSpec, ROLES};
use crate::aws::{AwsError, ErrorClass, Outcome, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::{check_owner, concurrently, Ctx};

/// Every role of the deployment, each looked up by its name (IAM has no tag filter), all at once.
pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let found = concurrently(ctx, ROLES, |ctx, spec| async move { discover_one(&ctx, spec).await }).await?;
    Ok(found.into_iter().flatten().collect())
}

async fn discover_one(ctx: &Ctx, spec: &'static RoleSpec) -> Result<Option<Actual>, AwsError> {
    let name = iam_name(&ctx.deployment, &ctx.aws.region, spec.suffix);
    let role = ctx
        .aws
        .iam
        .get_role()
        .role_name(&name)
        .send()
        .await
        .call("GetRole", &name)
        .found()?
        .and_then(|out| out.role().cloned());
    let Some(role) = role else { return Ok(None) };
    let tags = read_tags(role.tags());
    check_owner(ctx, "role", &name, &tags)?;
    let mut actual = Actual::new(Address::new(spec.address), Kind::IamRole, &name)
        .prop("name", Value::str(&name))
        .prop("trust", Value::str(canonical_from_aws(role.assume_role_policy_document().unwrap_or_default())))
        .prop("tags", tags::to_value(&tags))
        .attr("arn", role.arn());
    match ctx
        .aws
        .iam
        .get_role_policy()
        .role_name(&name)
        .policy_name(policy_name(spec))
        .send()
        .await
        .call("GetRolePolicy", &name)
    {
        Ok(policy) => actual = actual.prop("policy", Value::str(canonical_from_aws(policy.policy_document()))),
        Err(err) if err.is(ErrorClass::NotFound) => {}
        Err(err) => return Err(err),
    }
    Ok(Some(actual))
}

/// The spec of the role `want` describes.
fn spec_of(address: &Address) -> Result<&'static RoleSpec, AwsError> {
    spec(address.as_str()).ok_or_else(|| AwsError::local(address.as_str(), "CreateRole", "not a role clusterup knows"))
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let name = want.text("name");
    let spec = spec_of(&want.address)?;
    let created = ctx
        .aws
        .iam
        .create_role()
        .role_name(name)
        .description(format!("clusterup {}: {}", ctx.deployment, spec.description))
        .assume_role_policy_document(want.text("trust"))
        .set_tags(Some(iam_tags(want)?))
        .send()
        .await
        .call("CreateRole", want.address.as_str());
    let arn = match created {
        Ok(out) => out.role().map(|r| r.arn().to_owned()).unwrap_or_default(),
        // Made by a run that was interrupted before it heard the answer: take it if it is ours.
        Err(err) if err.is(ErrorClass::AlreadyExists) => {
            let out = ctx.aws.iam.get_role().role_name(name).send().await.call("GetRole", name)?;
            let role = out.role().cloned();
            check_owner(ctx, "role", name, &read_tags(role.as_ref().map(|r| r.tags()).unwrap_or_default()))?;
            role.map(|r| r.arn().to_owned()).unwrap_or_default()
        }
        Err(err) => return Err(err),
    };
    put_policy(ctx, want).await?;
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::IamRole, name) }.attr("arn", arn))
}

async fn put_policy(ctx: &Ctx, want: &Desired) -> Result<(), AwsError> {
    let name = want.text("name");
    let policy = policy_name(spec_of(&want.address)?);
    match want.props.get("policy").and_then(Value::as_str) {
        Some(document) => {
            ctx.aws
                .iam
                .put_role_policy()
                .role_name(name)
                .policy_name(&policy)
                .policy_document(document)
                .send()
                .await
                .call("PutRolePolicy", want.address.as_str())?;
        }
        None => match ctx
            .aws
            .iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await
            .call("DeleteRolePolicy", want.address.as_str())
        {
            Err(err) if !err.is(ErrorClass::NotFound) => return Err(err),
            _ => {}
        },
    }
    Ok(())
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    let resource = have.address.as_str();
    if !have.props.get("trust").zip(want.props.get("trust")).is_some_and(|(a, b)| a.same_as(b)) {
        ctx.aws
            .iam
            .update_assume_role_policy()
            .role_name(&have.id)
            .policy_document(want.text("trust"))
            .send()
            .await
            .call("UpdateAssumeRolePolicy", resource)?;
    }
    if have.props.get("policy") != want.props.get("policy") {
        put_policy(ctx, want).await?;
    }
    if let Some(change) = tags::change(have.props.get("tags"), want.props.get("tags")) {
        if !change.set.is_empty() {
            ctx.aws
                .iam
                .tag_role()
                .role_name(&have.id)
                .set_tags(Some(iam_tags(want)?))
                .send()
                .await
                .call("TagRole", resource)?;
        }
        if !change.remove.is_empty() {
            ctx.aws
                .iam
                .untag_role()
                .role_name(&have.id)
                .set_tag_keys(Some(change.remove))
                .send()
                .await
                .call("UntagRole", resource)?;
        }
    }
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

pub async fn delete(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    let iam = &ctx.aws.iam;
    // A role goes only without inline policies and outside every instance profile.
    let policies = match iam.list_role_policies().role_name(&have.id).send().await.call("ListRolePolicies", resource) {
        Ok(out) => out.policy_names().to_vec(),
        Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
        Err(err) => return Err(err),
    };
    for policy in policies {
        iam.delete_role_policy()
            .role_name(&have.id)
            .policy_name(policy)
            .send()
            .await
            .call("DeleteRolePolicy", resource)?;
    }
    let profiles = iam
        .list_instance_profiles_for_role()
        .role_name(&have.id)
        .send()
        .await
        .call("ListInstanceProfilesForRole", resource)?;
    for profile in profiles.instance_profiles() {
        iam.remove_role_from_instance_profile()
            .instance_profile_name(profile.instance_profile_name())
            .role_name(&have.id)
            .send()
            .await
            .call("RemoveRoleFromInstanceProfile", resource)?;
    }
    iam.delete_role().role_name(&have.id).send().await.call("DeleteRole", resource).gone_ok()
}
