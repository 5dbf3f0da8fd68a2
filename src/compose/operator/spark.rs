//! The Spark cluster (an id: by tag) and the deployment's bucket (its exact name).

use serde_json::Value;

use super::{allow, Scope};
use crate::model::names;

pub fn statements(scope: &Scope) -> Vec<Value> {
    let bucket = names::spark::bucket_name(scope.deployment(), scope.account, scope.region());
    let bucket_arn = format!("arn:{}:s3:::{bucket}", scope.partition);
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
        // S3 evaluates aws:ResourceTag only on buckets that enabled attribute-based access control, so the
        // bucket (whose name holds the deployment, the account and the region) is scoped by name.
        allow(
            "SparkBucket",
            &[
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:GetBucketTagging",
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketTagging",
            ],
            vec![bucket_arn.clone()],
            None,
        ),
        allow(
            "SparkBucketObjects",
            &["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:PutObject"],
            vec![format!("{bucket_arn}/*")],
            None,
        ),
    ]
}
