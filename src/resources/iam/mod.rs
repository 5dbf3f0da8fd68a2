//! The IAM family: the roles and instance profiles of the app nodes and of the Spark cluster, each with
//! one inline policy that allows what that role needs and nothing else. No AWS managed policy is used:
//! they change under you, grant far more than a deployment needs, and emulators do not have them.
//! IAM is global: names carry the region so one deployment name can live in several regions.

mod instance_profile;
mod policies;
mod role;

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;

use super::network::named;
use super::{BoxFuture, Ctx, Facts, Family, Progress};
use crate::aws::{built, AwsError};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::topology::{SparkScalingMode, Topology};

pub use policies::{app_policy, canonical, canonical_from_aws};

pub struct Iam;

pub const ROLE: &str = "iam/role/app";
pub const INSTANCE_PROFILE: &str = "iam/instance-profile/app";
pub const SPARK_SERVICE_ROLE: &str = "iam/role/spark-service";
pub const SPARK_NODE_ROLE: &str = "iam/role/spark-node";
pub const SPARK_AUTOSCALING_ROLE: &str = "iam/role/spark-autoscaling";
pub const SPARK_INSTANCE_PROFILE: &str = "iam/instance-profile/spark-node";

/// One role clusterup may manage: where it lives in the plan, what its name ends with, who may assume it.
pub struct RoleSpec {
    pub address: &'static str,
    pub suffix: &'static str,
    pub principals: &'static [&'static str],
    pub description: &'static str,
}

/// Every role a deployment can have. Discovery looks for all of them, so a role whose section left the
/// topology (or a destroy by name) is still found.
pub const ROLES: &[RoleSpec] = &[
    RoleSpec { address: ROLE, suffix: "app", principals: &["ec2.amazonaws.com"], description: "app nodes" },
    RoleSpec {
        address: SPARK_SERVICE_ROLE,
        suffix: "spark-service",
        principals: &["elasticmapreduce.amazonaws.com"],
        description: "EMR service role of the Spark cluster",
    },
    RoleSpec {
        address: SPARK_NODE_ROLE,
        suffix: "spark-node",
        principals: &["ec2.amazonaws.com"],
        description: "Spark cluster nodes",
    },
    RoleSpec {
        address: SPARK_AUTOSCALING_ROLE,
        suffix: "spark-autoscaling",
        principals: &["application-autoscaling.amazonaws.com", "elasticmapreduce.amazonaws.com"],
        description: "automatic scaling of the Spark cluster's instance groups",
    },
];

/// Every instance profile: its address and the role (by suffix) it holds.
pub const PROFILES: &[(&str, &str)] = &[(INSTANCE_PROFILE, "app"), (SPARK_INSTANCE_PROFILE, "spark-node")];

pub fn spec(address: &str) -> Option<&'static RoleSpec> {
    ROLES.iter().find(|r| r.address == address)
}

/// `<deployment>-<region>-<suffix>`; the app's role and profile keep their first name, `-app`.
pub fn iam_name(deployment: &str, region: &str, suffix: &str) -> String {
    format!("{deployment}-{region}-{suffix}")
}

/// The one inline policy clusterup manages on a role: `clusterup-app` on the app's role.
pub fn policy_name(spec: &RoleSpec) -> String {
    format!("clusterup-{}", spec.suffix)
}

/// Only the listed AWS services may assume the role.
pub fn trust_policy(principals: &[&str]) -> String {
    let service = match principals {
        [one] => serde_json::json!(one),
        many => serde_json::json!(many),
    };
    canonical(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
    }))
}

pub(super) fn iam_tags(want: &Desired) -> Result<Vec<Tag>, AwsError> {
    tags::from_value(want.props.get("tags"))
        .iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), want.address.as_str(), "TagRole"))
        .collect()
}

pub(super) fn read_tags(list: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(list.iter().map(|t| (Some(t.key()), Some(t.value()))))
}

impl Family for Iam {
    fn name(&self) -> &'static str {
        "iam"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[Kind::IamRole, Kind::InstanceProfile]
    }

    fn desired(&self, topology: &Topology, facts: &Facts) -> Vec<Desired> {
        let spark = topology.spark.as_ref();
        let custom_scaling = spark.and_then(|s| s.scaling).is_some_and(|s| s.mode == SparkScalingMode::Custom);
        let mut out = Vec::new();
        for spec in ROLES {
            let (wanted, policy) = match spec.address {
                ROLE => (true, app_policy(topology)),
                SPARK_SERVICE_ROLE => (spark.is_some(), Some(policies::spark_service(topology))),
                SPARK_NODE_ROLE => (spark.is_some(), Some(policies::spark_node(topology, facts))),
                SPARK_AUTOSCALING_ROLE => (custom_scaling, Some(policies::spark_autoscaling(topology))),
                _ => (false, None),
            };
            if !wanted {
                continue;
            }
            let name = iam_name(&topology.name, &topology.region, spec.suffix);
            let mut role = named(topology, spec.address, Kind::IamRole, &name)
                .prop("name", Value::str(&name))
                .prop("trust", Value::str(trust_policy(spec.principals)));
            if let Some(policy) = policy {
                role = role.prop("policy", policy);
            }
            out.push(role);
        }
        for (address, suffix) in PROFILES {
            let role_address = ROLES.iter().find(|r| r.suffix == *suffix).map(|r| r.address).unwrap_or(ROLE);
            if !out.iter().any(|d| d.address.as_str() == role_address) {
                continue;
            }
            let name = iam_name(&topology.name, &topology.region, suffix);
            out.push(
                named(topology, address, Kind::InstanceProfile, &name)
                    .prop("name", Value::str(&name))
                    .prop("role", Value::Ref(Address::new(role_address))),
            );
        }
        out
    }

    fn discover<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Vec<Actual>, AwsError>> {
        Box::pin(async move {
            let (roles, profiles) = tokio::try_join!(role::discover(ctx), instance_profile::discover(ctx))?;
            Ok([roles, profiles].concat())
        })
    }

    fn create<'a>(
        &'a self,
        ctx: &'a Ctx,
        want: &'a Desired,
        _progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::IamRole => role::create(ctx, want).await,
                Kind::InstanceProfile => instance_profile::create(ctx, want).await,
                other => unreachable!("{other:?} is not an IAM kind"),
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
                Kind::IamRole => role::update(ctx, have, want).await,
                Kind::InstanceProfile => instance_profile::update(ctx, have, want).await,
                other => unreachable!("{other:?} is not an IAM kind"),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        _progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(async move {
            match have.kind {
                Kind::IamRole => role::delete(ctx, have).await,
                Kind::InstanceProfile => instance_profile::delete(ctx, have).await,
                other => unreachable!("{other:?} is not an IAM kind"),
            }
        })
    }
}
