/// The AWS services whose resources clusterup manages: each has its own client, rate limit and call count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Ec2,
    Elbv2,
    AutoScaling,
    Iam,
    Rds,
    Efs,
    S3,
    Emr,
    Sns,
    CloudWatch,
    Logs,
    Route53,
    SecretsManager,
}

impl Service {
    pub const ALL: &'static [Service] = &[
        Service::Ec2,
        Service::Elbv2,
        Service::AutoScaling,
        Service::Iam,
        Service::Rds,
        Service::Efs,
        Service::S3,
        Service::Emr,
        Service::Sns,
        Service::CloudWatch,
        Service::Logs,
        Service::Route53,
        Service::SecretsManager,
    ];

    /// The name its calls are counted under: its SDK crate's name without `aws_sdk_`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Elbv2 => "elasticloadbalancingv2",
            Service::AutoScaling => "autoscaling",
            Service::Iam => "iam",
            Service::Rds => "rds",
            Service::Efs => "efs",
            Service::S3 => "s3",
            Service::Emr => "emr",
            Service::Sns => "sns",
            Service::CloudWatch => "cloudwatch",
            Service::Logs => "cloudwatchlogs",
            Service::Route53 => "route53",
            Service::SecretsManager => "secretsmanager",
        }
    }
}
