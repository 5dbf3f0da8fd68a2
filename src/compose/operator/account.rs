//! What is read account-wide, and the deployment's lock.

use serde_json::Value;

use super::{allow, Scope};
use crate::topology::Image;

/// Reads that AWS authorises only on `*` (the Service Authorization Reference lists no resource type
/// for them), or that clusterup makes without naming a resource (discovery's filtered Describe and
/// List calls: a call that names no resource is authorised on `*`). None of them changes anything.
pub const ACCOUNT_WIDE_READS: &[&str] = &[
    // Discovery by tag filter, the zones, the leftover check's reads.
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances",
    "ec2:DescribeImages",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVolumes",
    "ec2:DescribeVpcs",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeInstanceRefreshes",
    "autoscaling:DescribePolicies",
    "autoscaling:DescribeScalingActivities",
    // RDS has no tag filter: discovery lists the instances, groups and pending actions.
    "rds:DescribeDBInstances",
    "rds:DescribeDBParameterGroups",
    "rds:DescribeDBSubnetGroups",
    "rds:DescribePendingMaintenanceActions",
    // The file system is found by its creation token, not its id.
    "elasticfilesystem:DescribeFileSystems",
    "elasticmapreduce:ListClusters",
    // The log groups are listed by name prefix (no resource type: Service Authorization Reference).
    "logs:DescribeLogGroups",
    "s3:ListAllMyBuckets",
    // The alarm topic is found by listing the account's topics (SNS has no tag or name filter).
    "sns:ListTopics",
    // The private hosted zone is found by its name, and a retried create finds its zone in the VPC (no
    // resource type: Service Authorization Reference, Route 53).
    "route53:ListHostedZonesByName",
    "route53:ListHostedZonesByVPC",
    // Creating a private zone also reads its VPC and the regions (Route 53 API permissions reference,
    // CreateHostedZone).
    "ec2:DescribeRegions",
    // destroy's leftover check across services.
    "tag:GetResources",
    // The canary gate, and status.
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    // `exec` following its command on each node (no resource type: Service Authorization Reference).
    "ssm:GetCommandInvocation",
    // Live prices (`--pricing-api`).
    "pricing:GetProducts",
    // Who the credentials are (needs no permission on AWS; listed so a deny-by-default SCP sees it).
    "sts:GetCallerIdentity",
];

pub fn statements(scope: &Scope) -> Vec<Value> {
    let mut out = vec![allow("AccountWideReads", ACCOUNT_WIDE_READS, vec!["*".into()], None)];
    // One run at a time: the lock is an SSM parameter of the deployment's own name (a parameter written
    // with Overwrite cannot carry tags, so it is scoped by name).
    out.push(allow(
        "DeploymentLock",
        &["ssm:DeleteParameter", "ssm:GetParameter", "ssm:PutParameter"],
        vec![scope.arn("ssm", &format!("parameter{}", crate::model::names::lock::parameter(scope.deployment())))],
        None,
    ));
    // The AMIs' SSM parameters, read at plan time: AWS's public ones have no account in their ARN.
    let mut arns: Vec<String> = scope
        .topology
        .groups
        .iter()
        .filter_map(|g| match &g.nodes.image {
            Image::SsmParameter(name) => Some(name.trim_start_matches('/')),
            Image::AmiId(_) => None,
        })
        .map(|name| {
            if name.starts_with("aws/service/") {
                format!("arn:{}:ssm:{}::parameter/{name}", scope.partition, scope.region())
            } else {
                scope.arn("ssm", &format!("parameter/{name}"))
            }
        })
        .collect();
    arns.sort();
    arns.dedup();
    if !arns.is_empty() {
        out.push(allow("ReadImageParameter", &["ssm:GetParameter"], arns, None));
    }
    out
}
