//! The app tier: launch template, Auto Scaling group in the private subnets registered with the target
//! group, and a target-tracking scaling policy.

mod auto_scaling_group;
mod launch_template;
mod scaling_policy;
pub mod user_data;

use super::load_balancer::{LOAD_BALANCER, TARGET_GROUP};
use super::network::{self, named};
use super::{BoxFuture, Ctx, Facts, Family, Progress};
use crate::aws::AwsError;
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::topology::{Scaling, Topology};

pub struct AppTier;

pub const LAUNCH_TEMPLATE: &str = "app/launch-template";
pub const AUTO_SCALING_GROUP: &str = "app/auto-scaling-group";

pub fn group_name(deployment: &str) -> String {
    format!("{deployment}-app")
}

impl Family for AppTier {
    fn name(&self) -> &'static str {
        "app"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[Kind::LaunchTemplate, Kind::AutoScalingGroup, Kind::ScalingPolicy]
    }

    fn desired(&self, topology: &Topology, facts: &Facts) -> Vec<Desired> {
        let name = &topology.name;
        let app = &topology.app;
        let net = network::refs(topology, facts);
        // Rendering was checked by `validate`; a failure here would be a bug, so show it rather than hide it.
        let user_data = user_data::render_for(topology).unwrap_or_else(|err| Value::str(format!("# {err}\n")));
        let instance_tags =
            tags::for_resource(&topology.tags, name, &Address::new(AUTO_SCALING_GROUP), &group_name(name));
        let mut out = vec![named(topology, LAUNCH_TEMPLATE, Kind::LaunchTemplate, &group_name(name))
            .prop("name", Value::str(group_name(name)))
            .prop("image", Value::str(&facts.image_id))
            .prop("instance_type", Value::str(&app.instance_type))
            .prop("security_groups", Value::List(vec![Value::Ref(Address::new(network::APP_SECURITY_GROUP))]))
            .prop("user_data", user_data)
            .prop("instance_profile", Value::Ref(Address::new(crate::resources::iam::INSTANCE_PROFILE)))
            .create_only("instance_tags", tags::to_value(&instance_tags))];
        let mut group = named(topology, AUTO_SCALING_GROUP, Kind::AutoScalingGroup, &group_name(name))
            .prop("name", Value::str(group_name(name)))
            .prop("launch_template", Value::Ref(Address::new(LAUNCH_TEMPLATE)))
            .prop("min", Value::Int(i64::from(app.capacity.min)))
            .prop("max", Value::Int(i64::from(app.capacity.max)))
            .prop("subnets", Value::List(net.private_subnets))
            .prop("target_groups", Value::List(vec![Value::Ref(Address::new(TARGET_GROUP))]))
            .prop("health_check", Value::str("ELB"));
        // With a scaling policy the autoscaler owns the desired capacity: set it once, never fight it.
        let desired = Value::Int(i64::from(app.capacity.desired));
        group = match app.scaling {
            Some(_) => group.create_only("desired", desired),
            None => group.prop("desired", desired),
        };
        out.push(group);
        if let Some(scaling) = app.scaling {
            let (leaf, metric, target) = match scaling {
                Scaling::CpuTarget(pct) => ("cpu", "ASGAverageCPUUtilization", format!("{pct:.1}")),
                Scaling::RequestsPerTarget(n) => {
                    ("requests", "ALBRequestCountPerTarget", format!("{:.1}", f64::from(n)))
                }
            };
            // Scaling policies have no tags of their own; they are found through their group.
            let mut policy = Desired::new(format!("app/scaling-policy/{leaf}"), Kind::ScalingPolicy)
                .prop("group", Value::Ref(Address::new(AUTO_SCALING_GROUP)))
                .prop("name", Value::str(format!("{name}-{leaf}-target")))
                .prop("metric", Value::str(metric))
                .prop("target", Value::str(target));
            if matches!(scaling, Scaling::RequestsPerTarget(_)) {
                policy = policy
                    .create_only("load_balancer", Value::Ref(Address::new(LOAD_BALANCER)))
                    .create_only("target_group", Value::Ref(Address::new(TARGET_GROUP)));
            }
            out.push(policy);
        }
        out
    }

    fn outputs(&self, resources: &[Actual]) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(group) = super::id_of(resources, AUTO_SCALING_GROUP) {
            out.push(("auto_scaling_group", group.to_owned()));
        }
        if let Some(template) = super::id_of(resources, LAUNCH_TEMPLATE) {
            out.push(("launch_template_id", template.to_owned()));
        }
        out
    }

    fn discover<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Vec<Actual>, AwsError>> {
        Box::pin(async move {
            let (templates, groups) =
                tokio::try_join!(launch_template::discover(ctx), auto_scaling_group::discover(ctx))?;
            let mut out = templates;
            // Policies belong to their group; with the group gone there are none (AWS deletes them with it).
            for group in &groups {
                out.extend(scaling_policy::discover(ctx, group).await?);
            }
            out.extend(groups);
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
                Kind::LaunchTemplate => launch_template::create(ctx, want).await,
                Kind::AutoScalingGroup => auto_scaling_group::create(ctx, want, progress).await,
                Kind::ScalingPolicy => scaling_policy::put(ctx, want).await,
                other => unreachable!("{other:?} is not an app kind"),
            }
        })
    }

    fn update<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::LaunchTemplate => launch_template::update(ctx, have, want).await,
                Kind::AutoScalingGroup => auto_scaling_group::update(ctx, have, want, progress).await,
                Kind::ScalingPolicy => scaling_policy::put(ctx, want).await,
                other => unreachable!("{other:?} is not an app kind"),
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
                Kind::LaunchTemplate => launch_template::delete(ctx, have).await,
                Kind::AutoScalingGroup => auto_scaling_group::delete(ctx, have, progress).await,
                Kind::ScalingPolicy => scaling_policy::delete(ctx, have).await,
                other => unreachable!("{other:?} is not an app kind"),
            }
        })
    }
}
