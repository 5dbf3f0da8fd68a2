//! The roles and instance profiles of the app nodes and of the Spark cluster, each role with one inline
//! policy that allows what it needs and nothing else (see `policies`). No AWS managed policy is used:
//! they change under you, grant far more than a deployment needs, and emulators do not have them.

use super::{id_of, named, policies};
use crate::model::json::canonical;
use crate::model::names::iam::{self as names, ROLES};
use crate::model::{Desired, Facts, Kind, Value, NAME};
use crate::resources::iam::{instance_profile, role};
use crate::topology::{SparkScalingMode, Topology};

/// Only these AWS services may assume the role at `address`.
fn principals(address: &str) -> &'static [&'static str] {
    match address {
        names::SPARK_SERVICE_ROLE => &["elasticmapreduce.amazonaws.com"],
        names::SPARK_AUTOSCALING_ROLE => &["application-autoscaling.amazonaws.com", "elasticmapreduce.amazonaws.com"],
        // The app's and the Spark nodes' roles are for EC2 instances.
        _ => &["ec2.amazonaws.com"],
    }
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

pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    let spark = topology.spark.as_ref();
    let custom_scaling = spark.and_then(|s| s.scaling).is_some_and(|s| s.mode == SparkScalingMode::Custom);
    let mut out = Vec::new();
    for spec in ROLES {
        let (wanted, policy) = match spec.address {
            names::APP_ROLE => (true, policies::app(topology, facts)),
            names::SPARK_SERVICE_ROLE => (spark.is_some(), Some(policies::spark_service(topology))),
            names::SPARK_NODE_ROLE => (spark.is_some(), Some(policies::spark_node(topology, facts))),
            names::SPARK_AUTOSCALING_ROLE => (custom_scaling, Some(policies::spark_autoscaling(topology, facts))),
            _ => (false, None),
        };
        if !wanted {
            continue;
        }
        let name = names::name(&topology.name, &topology.region, spec.suffix);
        let mut desired = named(topology, spec.address, Kind::IamRole, &name)
            .prop(&NAME, Value::str(&name))
            .prop(&role::TRUST, Value::str(trust_policy(principals(spec.address))));
        if let Some(policy) = policy {
            desired = desired.prop(&role::POLICY, policy);
        }
        out.push(desired);
    }
    for (address, suffix) in names::PROFILES {
        let Some(role_address) = ROLES.iter().find(|r| r.suffix == *suffix).map(|r| r.address) else { continue };
        if !out.iter().any(|d| d.address.as_str() == role_address) {
            continue;
        }
        let name = names::name(&topology.name, &topology.region, suffix);
        out.push(
            named(topology, address, Kind::InstanceProfile, &name)
                .prop(&NAME, Value::str(&name))
                .prop(&instance_profile::ROLE, id_of(role_address)),
        );
    }
    out
}
