use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};

use std::sync::Arc;

use super::batch::Batches;
use super::http::{default_client, ApiCalls, Metered};
use super::kill_switch::KillSwitch;

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
    pub emr: aws_sdk_emr::Client,
    pub s3: aws_sdk_s3::Client,
    /// The alarms' topic and its subscriptions.
    pub sns: aws_sdk_sns::Client,
    pub sts: aws_sdk_sts::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub backup: aws_sdk_backup::Client,
    /// Metrics: the database's free storage for `status`, a canary rollout's 5xx gate (the load
    /// balancer's per-target-group counts), and the deployment's alarms.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// CloudWatch Logs: the node groups' log groups, and the events `clusterup logs` reads from them.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Route 53: the deployment's private hosted zone (node group discovery).
    pub route53: aws_sdk_route53::Client,
    /// Secrets Manager: the database password clusterup keeps when the database has read replicas.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// The Price List API for `--pricing-api`: served from us-east-1 whatever the deployment's region.
    pub pricing: aws_sdk_pricing::Client,
    /// Every HTTP request the clients have sent, per service.
    pub calls: Arc<ApiCalls>,
    /// The waits' shared Describe calls (`aws::batch`), one batch per key for the life of the clients.
    pub batches: Batches,
    /// Where the clients get their credentials (the standard chain, or `--profile`); `check_credentials`
    /// asks it directly, as the service clients' own configs no longer expose it.
    pub credentials: Option<aws_sdk_sts::config::SharedCredentialsProvider>,
    /// Whether reads that only describe a resource may fail without failing the command (destroy,
    /// `status`, `output`: see [`super::Reads`]); strict unless a command says otherwise.
    pub reads: super::Reads,
}

/// Build the clients. Makes no network call: credentials are resolved lazily on the first request.
pub async fn connect(options: &ConnectOptions) -> Aws {
    // Standard retry mode backs off with jitter on throttling and transient errors; a few more attempts
    // than the default 3 because a full apply makes hundreds of calls in parallel.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(options.region.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .timeout_config(timeouts());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    Aws::from_config(options.region.clone(), &config)
}

/// A call that hangs (a dead connection, a stuck proxy) fails after these and is retried like any
/// transient error, instead of hanging the run. No call clusterup makes legitimately takes a minute.
fn timeouts() -> TimeoutConfig {
    // Test builds may shorten the attempt timeout, so fault tests do not wait a minute per hang.
    let attempt = std::env::var("CLUSTERUP_ATTEMPT_TIMEOUT_MS")
        .ok()
        .filter(|_| cfg!(debug_assertions))
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(60));
    TimeoutConfig::builder().connect_timeout(Duration::from_secs(10)).operation_attempt_timeout(attempt).build()
}

/// A client of one service from the shared configuration: its own rate limit and call count, and the
/// crash-test kill switch when a debug build is asked for one.
macro_rules! client {
    ($krate:ident, $builder:expr, $http:expr, $calls:expr, $kill:expr) => {{
        let mut builder = $builder.http_client(Metered::new(stringify!($krate), $http.clone(), $calls.clone()));
        if let Some(kill) = $kill {
            builder = builder.interceptor(kill.clone());
        }
        $krate::Client::from_conf(builder.build())
    }};
    ($krate:ident, $config:expr, $http:expr, $calls:expr, $kill:expr, default) => {
        client!($krate, $krate::config::Builder::from($config), $http, $calls, $kill)
    };
}

impl Aws {
    fn from_config(region: String, config: &aws_config::SdkConfig) -> Aws {
        let kill = KillSwitch::from_env();
        let kill = kill.as_ref();
        let http = config.http_client().unwrap_or_else(default_client);
        let calls = Arc::new(ApiCalls::default());
        // Bucket names in the host (virtual-hosted style) only resolve on AWS itself; an endpoint override
        // (an emulator, a proxy) is reached by path.
        let s3 = aws_sdk_s3::config::Builder::from(config).force_path_style(config.endpoint_url().is_some());
        Aws {
            region,
            ec2: client!(aws_sdk_ec2, config, http, calls, kill, default),
            elb: client!(aws_sdk_elasticloadbalancingv2, config, http, calls, kill, default),
            autoscaling: client!(aws_sdk_autoscaling, config, http, calls, kill, default),
            ssm: client!(aws_sdk_ssm, config, http, calls, kill, default),
            iam: client!(aws_sdk_iam, config, http, calls, kill, default),
            rds: client!(aws_sdk_rds, config, http, calls, kill, default),
            efs: client!(aws_sdk_efs, config, http, calls, kill, default),
            emr: client!(aws_sdk_emr, config, http, calls, kill, default),
            s3: client!(aws_sdk_s3, s3, http, calls, kill),
            sns: client!(aws_sdk_sns, config, http, calls, kill, default),
            sts: client!(aws_sdk_sts, config, http, calls, kill, default),
            tagging: client!(aws_sdk_resourcegroupstagging, config, http, calls, kill, default),
            backup: client!(aws_sdk_backup, config, http, calls, kill, default),
            cloudwatch: client!(aws_sdk_cloudwatch, config, http, calls, kill, default),
            logs: client!(aws_sdk_cloudwatchlogs, config, http, calls, kill, default),
            route53: client!(aws_sdk_route53, config, http, calls, kill, default),
            secrets: client!(aws_sdk_secretsmanager, config, http, calls, kill, default),
            pricing: client!(
                aws_sdk_pricing,
                aws_sdk_pricing::config::Builder::from(config).region(Region::new("us-east-1")),
                http,
                calls,
                kill
            ),
            calls,
            batches: Batches::default(),
            credentials: config.credentials_provider(),
            reads: super::Reads::default(),
        }
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
        Aws::from_config("us-east-1".into(), &config)
    }
}
