//! Instance profiles: how a role reaches the EC2 instances (app nodes, EMR nodes) that use it.

use super::{iam_tags, read_tags};
use crate::aws::{ErrorClass, Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::names::{self, iam::PROFILES};
use crate::model::{tags, Actual, Address, Desired, Kind, Op, Prop, Value, NAME, TAGS};
use std::collections::BTreeMap;

use crate::resources::support::{self, check_owner, concurrently, returned_id};
use crate::resources::{tag_pairs, Ctx, Error, Latency, Progress, ResourceKind, Spec};

/// The name of the one role the profile holds.
pub const ROLE: Prop = Prop::new("role");

pub struct InstanceProfile;

const SPEC: Spec = Spec::new(Kind::InstanceProfile, "instance profile", Service::Iam, PollPolicy::FAST, latency)
    .props(&[&NAME, &ROLE, &TAGS])
    .deleted_after(&[Kind::AutoScalingGroup, Kind::LaunchTemplate, Kind::EmrCluster]);

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // Until EC2 and EMR accept it: 5-10 s (U, gh:hashicorp/terraform/pull/2037).
        Op::Create => Latency { typical: std::time::Duration::from_secs(10), ready_after: None },
        _ => Latency::at_once(op),
    }
}

impl ResourceKind for InstanceProfile {
    const SPEC: &'static Spec = &SPEC;

    /// Every instance profile of the deployment, looked up by name, all at once.
    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let found = concurrently(ctx, PROFILES, |ctx, (address, suffix)| async move {
            discover_one(&ctx, address, &names::iam::name(&ctx.deployment, &ctx.aws.region, suffix)).await
        })
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let iam = &ctx.aws.iam;
        let name = want.text(&NAME)?;
        let resource = want.address.as_str();
        let created = iam
            .create_instance_profile()
            .instance_profile_name(name)
            .set_tags(Some(iam_tags(&tag_pairs(want), want.address.as_str())?))
            .send()
            .await
            .call("CreateInstanceProfile", resource);
        let (arn, roles) = match created {
            Ok(out) => {
                (returned_id(out.instance_profile().map(|p| p.arn()), resource, "CreateInstanceProfile")?, Vec::new())
            }
            Err(err) if err.is(ErrorClass::AlreadyExists) => {
                let out = iam
                    .get_instance_profile()
                    .instance_profile_name(name)
                    .send()
                    .await
                    .call("GetInstanceProfile", name)?;
                let profile = out.instance_profile().required("GetInstanceProfile", "InstanceProfile", name)?;
                check_owner(ctx, "instance profile", name, &read_tags(profile.tags()))?;
                let roles: Vec<String> = profile.roles().iter().map(|r| r.role_name().to_owned()).collect();
                (profile.arn().to_owned(), roles)
            }
            Err(err) => return Err(err.into()),
        };
        // A profile holds at most one role; none when an interrupted run made it bare.
        let have = Actual::new(want.address.clone(), Kind::InstanceProfile, name)
            .prop_if_set(&ROLE, roles.first().map(Value::str));
        set_role(ctx, &have, want).await?;
        Ok(Actual { props: want.props.clone(), ..have }.attr("arn", arn))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        set_role(ctx, have, want).await?;
        let (iam, name, resource) = (&ctx.aws.iam, &have.id, have.address.as_str());
        let set = move |tags: BTreeMap<String, String>| async move {
            iam.tag_instance_profile()
                .instance_profile_name(name)
                .set_tags(Some(iam_tags(&tags, resource)?))
                .send()
                .await
                .call("TagInstanceProfile", resource)?;
            Ok(())
        };
        let remove = move |keys: Vec<String>| async move {
            iam.untag_instance_profile()
                .instance_profile_name(name)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .call("UntagInstanceProfile", resource)?;
            Ok(())
        };
        support::sync_tags(have, want, set, remove).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let iam = &ctx.aws.iam;
        let resource = have.address.as_str();
        if let Some(role) = have.text(&ROLE).filter(|r| !r.is_empty()) {
            match iam
                .remove_role_from_instance_profile()
                .instance_profile_name(&have.id)
                .role_name(role)
                .send()
                .await
                .call("RemoveRoleFromInstanceProfile", resource)
            {
                Err(err) if !err.is(ErrorClass::NotFound) => return Err(err.into()),
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
            .gone_ok()?;
        Ok(())
    }
}

async fn discover_one(ctx: &Ctx, address: &str, name: &str) -> Result<Option<Actual>, Error> {
    let iam = &ctx.aws.iam;
    let found = iam.get_instance_profile().instance_profile_name(name).send().await;
    let profile = found.call("GetInstanceProfile", name).found()?.and_then(|out| out.instance_profile().cloned());
    let Some(profile) = profile else { return Ok(None) };
    let tags = read_tags(profile.tags());
    check_owner(ctx, "instance profile", name, &tags)?;
    // No role: an interrupted run made the profile but had not added the role yet.
    let role = profile.roles().first().map(|r| Value::str(r.role_name()));
    Ok(Some(
        Actual::new(Address::new(address), Kind::InstanceProfile, name)
            .prop(&NAME, Value::str(name))
            .prop_if_set(&ROLE, role)
            .prop(&TAGS, tags::to_value(&tags))
            .attr("arn", profile.arn()),
    ))
}

/// A profile holds one role: swap it if it is another.
async fn set_role(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let resource = have.address.as_str();
    // Absent: the profile holds no role yet.
    let current = have.text(&ROLE).filter(|role| !role.is_empty());
    let wanted = want.text(&ROLE)?;
    if current == Some(wanted) {
        return Ok(());
    }
    if let Some(current) = current {
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
