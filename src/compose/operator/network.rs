//! EC2: the VPC and everything in it, the launch templates, the nodes' launch. EC2 resources have ids,
//! not names: everything is scoped by the deployment's tag, which clusterup sets in every create call
//! (`TagSpecifications`), so a resource that exists carries it and a create must ask for it.

use serde_json::{json, Value};

use super::{allow, Scope};

/// Each create, with the resource types it makes. One statement each: a create's `aws:RequestTag` is in
/// the context of every resource the call names, so a statement shared with another create would let
/// one use the other's existing resources of any owner (a subnet made in a neighbour's VPC).
const CREATES: &[(&str, &[&str])] = &[
    ("CreateVpc", &["vpc"]),
    ("CreateSubnet", &["subnet"]),
    ("CreateInternetGateway", &["internet-gateway"]),
    ("CreateRouteTable", &["route-table"]),
    ("CreateSecurityGroup", &["security-group"]),
    ("AllocateAddress", &["elastic-ip"]),
    ("CreateNatGateway", &["natgateway"]),
    ("CreateLaunchTemplate", &["launch-template"]),
    // Checked with the caller's permissions when an Auto Scaling group is made or changed with a launch
    // template (Amazon EC2 Auto Scaling User Guide, "Control Amazon EC2 launch template usage in Auto
    // Scaling groups"): the instances and volumes it launches carry the template's tags.
    ("RunInstances", &["instance", "volume"]),
];

/// Changes to what exists, and the existing resources a create uses (its VPC, subnet, groups).
const CHANGES: &[&str] = &[
    "ec2:AssociateRouteTable",
    "ec2:AttachInternetGateway",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:CreateNatGateway",
    "ec2:CreateNetworkInterface",
    "ec2:CreateRoute",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateTags",
    "ec2:DeleteInternetGateway",
    "ec2:DeleteLaunchTemplate",
    "ec2:DeleteNatGateway",
    "ec2:DeleteRoute",
    "ec2:DeleteRouteTable",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteSubnet",
    "ec2:DeleteTags",
    "ec2:DeleteVpc",
    "ec2:DescribeVpcAttribute",
    "ec2:DetachInternetGateway",
    "ec2:DisassociateRouteTable",
    "ec2:ModifyLaunchTemplate",
    "ec2:ModifyVpcAttribute",
    "ec2:ReleaseAddress",
    "ec2:ReplaceRoute",
    "ec2:ReplaceRouteTableAssociation",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RunInstances",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
];

/// The resource types of the deployment's EC2 resources.
const OWNED: &[&str] = &[
    "elastic-ip",
    "internet-gateway",
    "launch-template",
    "natgateway",
    "route-table",
    "security-group",
    "subnet",
    "vpc",
];

pub fn statements(scope: &Scope) -> Vec<Value> {
    let ec2 = |kind: &str| scope.arn("ec2", &format!("{kind}/*"));
    let mut out = Vec::new();
    for (action, kinds) in CREATES {
        out.push(allow(
            &format!("Ec2{action}Tagged"),
            &[&format!("ec2:{action}")],
            kinds.iter().map(|k| ec2(k)).collect(),
            Some(scope.tagged_on_create()),
        ));
    }
    // The tags of a create call: ec2:CreateTags is authorised for them, limited to those creates.
    let creates: Vec<&str> = CREATES.iter().map(|(action, _)| *action).collect();
    let made: Vec<String> = CREATES.iter().flat_map(|(_, kinds)| kinds.iter().map(|k| ec2(k))).collect();
    out.push(allow(
        "Ec2TagOnCreate",
        &["ec2:CreateTags"],
        made,
        Some(json!({"StringEquals": {
            "aws:RequestTag/clusterup:deployment": scope.deployment(),
            "ec2:CreateAction": creates
        }})),
    ));
    out.push(allow("Ec2ChangeOwn", CHANGES, OWNED.iter().map(|k| ec2(k)).collect(), Some(scope.owned())));
    // The AMI the nodes boot is AWS's (or the account's), never tagged by clusterup.
    out.push(allow(
        "Ec2LaunchFromImages",
        &["ec2:RunInstances"],
        vec![format!("arn:{}:ec2:{}::image/*", scope.partition, scope.region())],
        None,
    ));
    // Network interfaces made for the caller by another service carry no tag of ours, and their VPC's id is
    // not known when this policy is written: a node's interface (RunInstances), a mount target's (EFS
    // creates and deletes it with the caller's permissions: Amazon EFS User Guide, "Creating mount
    // targets"). Creating one still needs a subnet and groups of this deployment (Ec2ChangeOwn).
    out.push(allow(
        "Ec2ServiceNetworkInterfaces",
        &["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:RunInstances"],
        vec![ec2("network-interface")],
        None,
    ));
    out
}
