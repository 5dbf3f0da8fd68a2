//! IAM roles: who may assume each (its trust policy) and the one inline policy clusterup manages on it.

use super::{iam_tags, read_tags};
use crate::aws::{ErrorClass, Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::json::canonical;
use crate::model::names::{self, iam::ROLES};
use crate::model::{tags, Actual, Address, Desired, Kind, Op, Prop, Value, NAME, TAGS};
use std::collections::BTreeMap;

use crate::resources::support::{self, check_owner, concurrently, returned_id};
use crate::resources::{tag_pairs, Ctx, Error, Latency, Progress, ResourceKind, Spec};

/// Who may assume the role, as canonical JSON.
pub const TRUST: Prop = Prop::new("trust");
/// The inline policy, as canonical JSON; a role without one has none.
pub const POLICY: Prop = Prop::new("policy");
/// The ARN of the managed policy that bounds the role's permissions (`iam.permissions_boundary`), empty
/// for none: always set, so that removing the setting removes the boundary.
pub const BOUNDARY: Prop = Prop::new("permissions_boundary");

pub struct Role;

const SPEC: Spec = Spec::new(Kind::IamRole, "IAM role", Service::Iam, PollPolicy::FAST, latency)
    .props(&[&NAME, &TRUST, &POLICY, &BOUNDARY, &TAGS])
    // EMR uses its service role until the cluster has terminated.
    .deleted_after(&[Kind::InstanceProfile, Kind::EmrCluster]);

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // Until EC2 and EMR accept it: 5-10 s (U, gh:hashicorp/terraform/pull/2037); the call
        // answers at once, the estimate counts the wait that follows.
        Op::Create => Latency { typical: std::time::Duration::from_secs(10), ready_after: None },
        _ => Latency::at_once(op),
    }
}

impl ResourceKind for Role {
    const SPEC: &'static Spec = &SPEC;

    /// Every role of the deployment, each looked up by its name (IAM has no tag filter), all at once.
    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let found = concurrently(ctx, ROLES, |ctx, spec| async move { discover_one(&ctx, spec).await }).await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let iam = &ctx.aws.iam;
        let name = want.text(&NAME)?;
        let spec = spec_of(&want.address)?;
        let created = iam
            .create_role()
            .role_name(name)
            .description(format!("clusterup {}: {}", ctx.deployment, spec.description))
            .assume_role_policy_document(want.text(&TRUST)?)
            .set_permissions_boundary(Some(want.text(&BOUNDARY)?).filter(|arn| !arn.is_empty()).map(str::to_owned))
            .set_tags(Some(iam_tags(&tag_pairs(want), want.address.as_str())?))
            .send()
            .await
            .call("CreateRole", want.address.as_str());
        let arn = match created {
            Ok(out) => returned_id(out.role().map(|r| r.arn()), want.address.as_str(), "CreateRole")?,
            // Made by a run that was interrupted before it heard the answer: take it if it is ours.
            Err(err) if err.is(ErrorClass::AlreadyExists) => {
                let out = iam.get_role().role_name(name).send().await.call("GetRole", name)?;
                let role = out.role().required("GetRole", "Role", name)?;
                check_owner(ctx, "role", name, &read_tags(role.tags()))?;
                // The interrupted run's role may not have the boundary yet (or one since removed).
                let boundary = role.permissions_boundary().and_then(|b| b.permissions_boundary_arn());
                set_boundary(ctx, name, boundary, want).await?;
                role.arn().to_owned()
            }
            Err(err) => return Err(err.into()),
        };
        put_policy(ctx, want).await?;
        Ok(Actual::made(want, name).attr("arn", arn))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = have.address.as_str();
        if want.differs_from(have, &TRUST) {
            ctx.aws
                .iam
                .update_assume_role_policy()
                .role_name(&have.id)
                .policy_document(want.text(&TRUST)?)
                .send()
                .await
                .call("UpdateAssumeRolePolicy", resource)?;
        }
        if want.differs_from(have, &BOUNDARY) {
            set_boundary(ctx, &have.id, have.text(&BOUNDARY).filter(|arn| !arn.is_empty()), want).await?;
        }
        if have.props.get(POLICY.name) != want.props.get(POLICY.name) {
            put_policy(ctx, want).await?;
        }
        let (iam, name) = (&ctx.aws.iam, &have.id);
        let set = move |tags: BTreeMap<String, String>| async move {
            iam.tag_role()
                .role_name(name)
                .set_tags(Some(iam_tags(&tags, resource)?))
                .send()
                .await
                .call("TagRole", resource)?;
            Ok(())
        };
        let remove = move |keys: Vec<String>| async move {
            iam.untag_role().role_name(name).set_tag_keys(Some(keys)).send().await.call("UntagRole", resource)?;
            Ok(())
        };
        support::sync_tags(have, want, set, remove).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        let iam = &ctx.aws.iam;
        // A role goes only without inline policies and outside every instance profile.
        let policies =
            match iam.list_role_policies().role_name(&have.id).send().await.call("ListRolePolicies", resource) {
                Ok(out) => out.policy_names().to_vec(),
                Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
                Err(err) => return Err(err.into()),
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
        iam.delete_role().role_name(&have.id).send().await.call("DeleteRole", resource).gone_ok()?;
        Ok(())
    }
}

async fn discover_one(ctx: &Ctx, spec: &'static names::iam::Role) -> Result<Option<Actual>, Error> {
    let iam = &ctx.aws.iam;
    let name = names::iam::name(&ctx.deployment, &ctx.aws.region, spec.suffix);
    let role = iam
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
        .prop(&NAME, Value::str(&name))
        .prop(
            &TRUST,
            Value::str(canonical_from_aws(role.assume_role_policy_document().required(
                "GetRole",
                "AssumeRolePolicyDocument",
                &name,
            )?)),
        )
        .prop(&TAGS, tags::to_value(&tags))
        // No boundary: GetRole leaves PermissionsBoundary out.
        .prop(
            &BOUNDARY,
            Value::str(role.permissions_boundary().and_then(|b| b.permissions_boundary_arn()).unwrap_or("")),
        )
        .attr("arn", role.arn());
    match iam
        .get_role_policy()
        .role_name(&name)
        .policy_name(names::iam::policy_name(spec.suffix))
        .send()
        .await
        .call("GetRolePolicy", &name)
    {
        Ok(policy) => actual = actual.prop(&POLICY, Value::str(canonical_from_aws(policy.policy_document()))),
        Err(err) if err.is(ErrorClass::NotFound) => {}
        Err(err) => return Err(err.into()),
    }
    Ok(Some(actual))
}

/// The role `address` names: every role's address is one of [`names::iam::ROLES`].
fn spec_of(address: &Address) -> Result<&'static names::iam::Role, Error> {
    names::iam::role(address.as_str()).ok_or_else(|| Error::Bug(format!("{address}: not a role clusterup knows")))
}

/// Put the wanted permissions boundary on role `name` (which has `current`), or take it off.
async fn set_boundary(ctx: &Ctx, name: &str, current: Option<&str>, want: &Desired) -> Result<(), Error> {
    let resource = want.address.as_str();
    let wanted = want.text(&BOUNDARY)?;
    match (current, wanted.is_empty()) {
        (Some(current), false) if current == wanted => {}
        (None, true) => {}
        (_, false) => {
            ctx.aws
                .iam
                .put_role_permissions_boundary()
                .role_name(name)
                .permissions_boundary(wanted)
                .send()
                .await
                .call("PutRolePermissionsBoundary", resource)?;
        }
        (Some(_), true) => {
            ctx.aws
                .iam
                .delete_role_permissions_boundary()
                .role_name(name)
                .send()
                .await
                .call("DeleteRolePermissionsBoundary", resource)?;
        }
    }
    Ok(())
}

async fn put_policy(ctx: &Ctx, want: &Desired) -> Result<(), Error> {
    let iam = &ctx.aws.iam;
    let name = want.text(&NAME)?;
    let policy = names::iam::policy_name(spec_of(&want.address)?.suffix);
    match want.value(&POLICY).is_some().then(|| want.text(&POLICY)).transpose()? {
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
        None => match iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await
            .call("DeleteRolePolicy", want.address.as_str())
        {
            Err(err) if !err.is(ErrorClass::NotFound) => return Err(err.into()),
            _ => {}
        },
    }
    Ok(())
}

/// A policy document as AWS returns it (URL-encoded JSON) in canonical form; unparseable text stays as is.
fn canonical_from_aws(encoded: &str) -> String {
    let decoded = percent_decode(encoded);
    serde_json::from_str::<serde_json::Value>(&decoded).map(|v| canonical(&v)).unwrap_or(decoded)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_documents_decode_to_the_canonical_form() {
        let encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(canonical_from_aws(encoded), r#"{"Statement":[],"Version":"2012-10-17"}"#);
        assert_eq!(canonical_from_aws(r#"{"b":1,"a":2}"#), r#"{"a":2,"b":1}"#);
    }
}
