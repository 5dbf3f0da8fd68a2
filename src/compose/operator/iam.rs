//! IAM: the deployment's own roles and instance profiles, by their exact names (a name prefix would
//! also cover a deployment whose name starts with this one's), each passed only to the service it is
//! for, and with `iam.permissions_boundary` made and changed only under that boundary.

use serde_json::{json, Value};

use super::{allow, Scope};
use crate::model::names::iam::{self as names, ROLES};

/// The service each role is passed to (`iam:PassedToService`): the app's and the Spark nodes' roles go
/// to EC2 (instance profiles), EMR's service role to EMR, the automatic-scaling role to Application Auto
/// Scaling (which the AWS managed `AmazonEMRFullAccessPolicy_v2` matches as
/// `application-autoscaling.amazonaws.com*`).
fn passed_to(address: &str) -> &'static str {
    match address {
        names::SPARK_SERVICE_ROLE => "elasticmapreduce.amazonaws.com",
        names::SPARK_AUTOSCALING_ROLE => "application-autoscaling.amazonaws.com*",
        _ => "ec2.amazonaws.com",
    }
}

/// The services whose service-linked role a first use in an account creates with the caller's
/// permissions (`iam:CreateServiceLinkedRole`, limited by `iam:AWSServiceName`).
const SERVICE_LINKED: &[&str] = &[
    "autoscaling.amazonaws.com",
    "elasticfilesystem.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "elasticmapreduce.amazonaws.com",
    "rds.amazonaws.com",
];

pub fn statements(scope: &Scope) -> Vec<Value> {
    let roles: Vec<String> = ROLES.iter().map(|r| scope.role_arn(r.suffix)).collect();
    let profiles: Vec<String> = names::PROFILES
        .iter()
        .map(|(_, suffix)| {
            let name = names::name(scope.deployment(), scope.region(), suffix);
            scope.global_arn("iam", &format!("instance-profile/{name}"))
        })
        .collect();
    let mut both = roles.clone();
    both.extend(profiles.iter().cloned());
    let boundary = scope.topology.iam.permissions_boundary.as_deref();
    // With a boundary, the calls that make a role or change what it may do must set exactly it.
    let with_boundary = |condition: Value| match boundary {
        Some(arn) => {
            let mut condition = condition;
            condition["StringEquals"]["iam:PermissionsBoundary"] = json!(arn);
            condition
        }
        None => condition,
    };
    let mut out = vec![
        allow("IamCreateRole", &["iam:CreateRole"], roles.clone(), Some(with_boundary(scope.tagged_on_create()))),
        // The tags of a create call are authorised as Tag* calls of their own.
        allow(
            "IamCreateTagged",
            &["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:TagRole"],
            both.clone(),
            Some(scope.tagged_on_create()),
        ),
        allow(
            "IamReadOwn",
            &[
                "iam:GetInstanceProfile",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
            ],
            both.clone(),
            None,
        ),
        allow(
            "IamChangeOwn",
            &[
                "iam:AddRoleToInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:TagInstanceProfile",
                "iam:TagRole",
                "iam:UntagInstanceProfile",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
            ],
            both,
            Some(scope.owned()),
        ),
    ];
    // What a role may do: its inline policy and its boundary. With a boundary set, only under it (and the
    // boundary cannot be taken off); without one, a boundary may be put on or taken off.
    let mut permissions = vec!["iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"];
    if boundary.is_none() {
        permissions.push("iam:DeleteRolePermissionsBoundary");
    }
    out.push(allow("IamRolePermissions", &permissions, roles, Some(with_boundary(scope.owned()))));
    for role in ROLES {
        let service = passed_to(role.address);
        let operator = if service.ends_with('*') { "StringLike" } else { "StringEquals" };
        out.push(allow(
            &format!("PassRole{}", sid_part(role.suffix)),
            &["iam:PassRole"],
            vec![scope.role_arn(role.suffix)],
            Some(json!({ operator: {"iam:PassedToService": service} })),
        ));
    }
    out.push(allow(
        "ServiceLinkedRoles",
        &["iam:CreateServiceLinkedRole"],
        vec![scope.global_arn("iam", "role/aws-service-role/*")],
        Some(json!({"StringEquals": {"iam:AWSServiceName": SERVICE_LINKED}})),
    ));
    out
}

/// `spark-node` -> `SparkNode`, for a statement id.
fn sid_part(suffix: &str) -> String {
    suffix
        .split('-')
        .flat_map(|word| word.char_indices().map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c }))
        .collect()
}
