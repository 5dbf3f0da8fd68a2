//! The roles and instance profiles of the app nodes and of the Spark cluster, each role with one inline
//! policy that allows what it needs and nothing else (see `policies`). No AWS managed policy is used:
//! they change under you, grant far more than a deployment needs, and emulators do not have them.

use super::{id_of, named, policies};
use crate::model::json::canonical;
use crate::model::names::iam::{self as names, ROLES};
use crate::model::{Desired, Facts, Kind, Value, NAME};
use crate::resources::iam::{instance_profile, role};
use crate::topology::{SparkScalingMode, Topology};

/// Who may assume the role at `address`: one statement per AWS service, each limited to this account
/// (and to the service's own resources in it) where the service documents the source keys, so that no
/// other account can have the service act with the role (the confused deputy).
///
/// - EMR (the service role, and the automatic-scaling role it also assumes): `aws:SourceAccount` and an
///   `aws:SourceArn` on EMR's ARNs in this region, as in the trust policies of the EMR Management Guide
///   ("Service role for Amazon EMR", https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-iam-role.html);
/// - Application Auto Scaling (the automatic-scaling role): `aws:SourceAccount` and its scalable targets
///   ("Service role for automatic scaling in Amazon EMR",
///   https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-iam-role-automatic-scaling.html);
/// - EC2 (the app's and the Spark nodes' roles): EC2 documents no source key for the roles of instance
///   profiles (the EMR guide's instance-profile trust policy names the principal alone), and a condition
///   it never sets would keep every node without credentials. Those roles reach an instance only through
///   `iam:PassRole`, which the operator policy limits to this deployment's roles passed to EC2.
fn trust(address: &str, topology: &Topology, facts: &Facts) -> String {
    let region = &topology.region;
    let from = |service: &str, source_arn: String| {
        serde_json::json!({
            "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": facts.account_id},
                "ArnLike": {"aws:SourceArn": source_arn}
            }
        })
    };
    let emr = || from("elasticmapreduce.amazonaws.com", facts.arn("elasticmapreduce", region, "*"));
    let statements = match address {
        names::SPARK_SERVICE_ROLE => vec![emr()],
        names::SPARK_AUTOSCALING_ROLE => vec![
            from(
                "application-autoscaling.amazonaws.com",
                facts.arn("application-autoscaling", region, "scalable-target/*"),
            ),
            emr(),
        ],
        _ => vec![serde_json::json!({
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"
        })],
    };
    canonical(&serde_json::json!({"Version": "2012-10-17", "Statement": statements}))
}

pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    let spark = topology.spark.as_ref();
    let custom_scaling = spark.and_then(|s| s.scaling).is_some_and(|s| s.mode == SparkScalingMode::Custom);
    let mut out = Vec::new();
    for spec in ROLES {
        let (wanted, policy) = match spec.address {
            names::APP_ROLE => (true, Some(policies::app(topology, facts))),
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
            .prop(&role::TRUST, Value::str(trust(spec.address, topology, facts)))
            .prop(&role::BOUNDARY, Value::str(topology.iam.permissions_boundary.as_deref().unwrap_or("")));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn full_example() -> (Topology, Facts) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let topology = crate::topology::load(&path).expect("valid example").topology;
        let facts = Facts {
            account_id: "123456789012".into(),
            partition: "aws-cn".into(),
            ..crate::compose::offline_facts(&topology)
        };
        (topology, facts)
    }

    fn trust_of(address: &str) -> serde_json::Value {
        let (topology, facts) = full_example();
        serde_json::from_str(&trust(address, &topology, &facts)).expect("JSON")
    }

    #[test]
    fn emr_may_assume_its_roles_only_for_this_account_and_its_clusters() {
        let service = trust_of(names::SPARK_SERVICE_ROLE);
        let statement = &service["Statement"][0];
        assert_eq!(statement["Principal"]["Service"], "elasticmapreduce.amazonaws.com");
        assert_eq!(statement["Condition"]["StringEquals"]["aws:SourceAccount"], "123456789012");
        assert_eq!(
            statement["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws-cn:elasticmapreduce:us-east-1:123456789012:*"
        );
        let scaling = trust_of(names::SPARK_AUTOSCALING_ROLE);
        let sources: Vec<String> = scaling["Statement"]
            .as_array()
            .expect("statements")
            .iter()
            .map(|s| format!("{} {}", s["Principal"]["Service"], s["Condition"]["ArnLike"]["aws:SourceArn"]))
            .collect();
        assert_eq!(
            sources,
            [
                r#""application-autoscaling.amazonaws.com" "arn:aws-cn:application-autoscaling:us-east-1:123456789012:scalable-target/*""#,
                r#""elasticmapreduce.amazonaws.com" "arn:aws-cn:elasticmapreduce:us-east-1:123456789012:*""#
            ]
        );
    }

    #[test]
    fn instance_roles_trust_ec2_alone() {
        for address in [names::APP_ROLE, names::SPARK_NODE_ROLE] {
            let trust = trust_of(address);
            assert_eq!(trust["Statement"][0]["Principal"]["Service"], "ec2.amazonaws.com", "{trust}");
            assert!(trust["Statement"][0].get("Condition").is_none(), "{trust}");
        }
    }
}
