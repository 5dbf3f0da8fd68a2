use serde_json::Value;

use super::operator_policy;
use crate::topology::Topology;

const ACCOUNT: &str = "123456789012";

fn example(name: &str) -> Topology {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    crate::topology::load(&path).expect("valid example").topology
}

fn statements(policy: &Value) -> &Vec<Value> {
    policy["Statement"].as_array().expect("statements")
}

fn list(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    statements(policy).iter().find(|s| s["Sid"] == sid).unwrap_or_else(|| panic!("no {sid}"))
}

/// The committed example is what the command prints for the full example (regenerate it with
/// `clusterup iam-policy examples/smarten-spark.yaml --account 123456789012 > docs/iam-policy.json`).
#[test]
fn docs_iam_policy_json_is_the_policy_of_the_full_example() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/iam-policy.json");
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    let generated = operator_policy(&example("smarten-spark.yaml"), ACCOUNT, "aws");
    assert!(
        committed == generated,
        "docs/iam-policy.json is stale: run `clusterup iam-policy examples/smarten-spark.yaml --account {ACCOUNT} > docs/iam-policy.json`"
    );
}

/// Whoever holds the policy cannot make or change a role that is not the deployment's, nor pass one.
#[test]
fn no_iam_write_action_is_allowed_on_every_resource() {
    for name in ["web-tier.yaml", "smarten-spark.yaml"] {
        let policy = operator_policy(&example(name), ACCOUNT, "aws");
        for s in statements(&policy) {
            let writes: Vec<&str> = list(&s["Action"])
                .into_iter()
                .filter(|a| a.starts_with("iam:") && !a.starts_with("iam:Get") && !a.starts_with("iam:List"))
                .collect();
            if !writes.is_empty() {
                let resources = list(&s["Resource"]);
                assert!(resources.iter().all(|r| !r.contains('*') || r.ends_with("role/aws-service-role/*")), "{s}");
            }
        }
    }
}

#[test]
fn each_role_is_passed_only_to_its_service() {
    let policy = operator_policy(&example("smarten-spark.yaml"), ACCOUNT, "aws");
    let app = statement(&policy, "PassRoleApp");
    assert_eq!(list(&app["Resource"]), ["arn:aws:iam::123456789012:role/smarten-spark-us-east-1-app"]);
    assert_eq!(app["Condition"]["StringEquals"]["iam:PassedToService"], "ec2.amazonaws.com");
    let service = statement(&policy, "PassRoleSparkService");
    assert_eq!(service["Condition"]["StringEquals"]["iam:PassedToService"], "elasticmapreduce.amazonaws.com");
    let scaling = statement(&policy, "PassRoleSparkAutoscaling");
    assert_eq!(scaling["Condition"]["StringLike"]["iam:PassedToService"], "application-autoscaling.amazonaws.com*");
}

#[test]
fn with_a_boundary_roles_are_made_and_changed_only_under_it() {
    let boundary = "arn:aws:iam::123456789012:policy/clusterup-boundary";
    let mut topology = example("web-tier.yaml");
    let without = operator_policy(&topology, ACCOUNT, "aws");
    assert!(statement(&without, "IamCreateRole")["Condition"]["StringEquals"].get("iam:PermissionsBoundary").is_none());
    topology.iam.permissions_boundary = Some(boundary.into());
    let with = operator_policy(&topology, ACCOUNT, "aws");
    for sid in ["IamCreateRole", "IamRolePermissions"] {
        assert_eq!(statement(&with, sid)["Condition"]["StringEquals"]["iam:PermissionsBoundary"], boundary, "{sid}");
    }
    let permissions = list(&statement(&with, "IamRolePermissions")["Action"]).join(" ");
    assert!(permissions.contains("iam:PutRolePolicy") && !permissions.contains("DeleteRolePermissionsBoundary"));
}

#[test]
fn every_arn_is_in_the_given_partition_and_account() {
    let policy = operator_policy(&example("smarten-spark.yaml"), ACCOUNT, "aws-cn");
    for s in statements(&policy) {
        for resource in list(&s["Resource"]).into_iter().filter(|r| *r != "*") {
            assert!(resource.starts_with("arn:aws-cn:"), "{resource}");
            let account = resource.split(':').nth(4).unwrap_or("");
            assert!(account.is_empty() || account == ACCOUNT, "{resource}");
        }
    }
}
