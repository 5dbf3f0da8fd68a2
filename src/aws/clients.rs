use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};

/// How to reach AWS: everything else comes from the standard credential chain.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub region: String,
    pub profile: Option<String>,
    /// Overrides every service endpoint (e.g. a local emulator). `AWS_ENDPOINT_URL` is read by the SDK
    /// itself when this is unset.
    pub endpoint_url: Option<String>,
}

/// One client per service clusterup calls, all sharing one configuration.
#[derive(Clone, Debug)]
pub struct Aws {
    pub region: String,
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub iam: aws_sdk_iam::Client,
    pub rds: aws_sdk_rds::Client,
    pub efs: aws_sdk_efs::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
}

/// Build the clients. Makes no network call: credentials are resolved lazily on the first request.
pub async fn connect(options: &ConnectOptions) -> Aws {
    // Standard retry mode backs off with jitter on throttling and transient errors; a few more attempts
    // than the default 3 because a full apply makes hundreds of calls in parallel.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(options.region.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(5));
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    Aws {
        region: options.region.clone(),
        ec2: aws_sdk_ec2::Client::new(&config),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        autoscaling: aws_sdk_autoscaling::Client::new(&config),
        ssm: aws_sdk_ssm::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        rds: aws_sdk_rds::Client::new(&config),
        efs: aws_sdk_efs::Client::new(&config),
        tagging: aws_sdk_resourcegroupstagging::Client::new(&config),
    }
}

#[cfg(test)]
impl Aws {
    /// Clients that reach nothing; unit tests put an SDK mock in the field they exercise.
    pub fn offline() -> Aws {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        Aws {
            region: "us-east-1".into(),
            ec2: aws_sdk_ec2::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            rds: aws_sdk_rds::Client::new(&config),
            efs: aws_sdk_efs::Client::new(&config),
            tagging: aws_sdk_resourcegroupstagging::Client::new(&config),
        }
    }
}
