//! The Spark cluster (an id: by tag), its security configuration (by nothing: see below), and the
//! deployment's buckets, Spark's and the load balancer's access logs' (their exact names).

use serde_json::Value;

use super::{allow, Scope};
use crate::model::names;

pub fn statements(scope: &Scope) -> Vec<Value> {
    let buckets: Vec<String> = [
        names::spark::bucket_name(scope.deployment(), scope.account, scope.region()),
        names::load_balancer::log_bucket_name(scope.deployment(), scope.account, scope.region()),
    ]
    .iter()
    .map(|bucket| format!("arn:{}:s3:::{bucket}", scope.partition))
    .collect();
    let objects = buckets.iter().map(|arn| format!("{arn}/*")).collect();
    vec![
        // RunJobFlow names no resource: only the tag scopes it.
        allow("SparkCreateTagged", &["elasticmapreduce:RunJobFlow"], vec!["*".into()], Some(scope.tagged_on_create())),
        allow(
            "SparkChangeOwn",
            &[
                "elasticmapreduce:AddJobFlowSteps",
                "elasticmapreduce:AddTags",
                "elasticmapreduce:CancelSteps",
                "elasticmapreduce:DescribeCluster",
                "elasticmapreduce:DescribeStep",
                "elasticmapreduce:GetManagedScalingPolicy",
                "elasticmapreduce:ListBootstrapActions",
                "elasticmapreduce:ListInstanceGroups",
                "elasticmapreduce:ListInstances",
                "elasticmapreduce:ListSteps",
                "elasticmapreduce:ModifyInstanceGroups",
                "elasticmapreduce:PutAutoScalingPolicy",
                "elasticmapreduce:PutManagedScalingPolicy",
                "elasticmapreduce:RemoveAutoScalingPolicy",
                "elasticmapreduce:RemoveManagedScalingPolicy",
                "elasticmapreduce:RemoveTags",
                "elasticmapreduce:SetTerminationProtection",
                "elasticmapreduce:TerminateJobFlows",
            ],
            vec![scope.arn("elasticmapreduce", "cluster/*")],
            Some(scope.owned()),
        ),
        // EMR authorises security configurations on no resource type and with no condition key (Service
        // Authorization Reference, Amazon EMR: CreateSecurityConfiguration, DescribeSecurityConfiguration,
        // DeleteSecurityConfiguration), and they take no tags: they cannot be scoped to a deployment.
        // What that gives an operator of another deployment is reading a document that holds no secret,
        // or deleting one (EMR applies it when a cluster launches), which the next apply makes again. scripts/contract/authorize.py lists these as UNSCOPABLE.
        allow(
            "SparkSecurityConfigurations",
            &[
                "elasticmapreduce:CreateSecurityConfiguration",
                "elasticmapreduce:DeleteSecurityConfiguration",
                "elasticmapreduce:DescribeSecurityConfiguration",
            ],
            vec!["*".into()],
            None,
        ),
        // S3 evaluates aws:ResourceTag only on buckets that enabled attribute-based access control, so the
        // buckets (whose names hold the deployment, the account and the region) are scoped by name.
        allow(
            "Buckets",
            &[
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:GetBucketPolicy",
                "s3:GetBucketTagging",
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketTagging",
            ],
            buckets,
            None,
        ),
        allow(
            "BucketObjects",
            &["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:PutObject"],
            objects,
            None,
        ),
    ]
}
