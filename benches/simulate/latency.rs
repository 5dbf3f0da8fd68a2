//! How long AWS takes, per kind of resource and action, as ranges the simulation draws from (uniformly,
//! from the seed). The figures come from `LATENCIES.md` in the project's shared notes; each row names
//! its source. D = documented by AWS or HashiCorp, U = user reports (terraform logs, issues),
//! E = estimate. `gh:` = github.com, `aws:` = docs.aws.amazon.com, `tpa` = hashicorp/terraform-provider-aws.

use clusterup::engine::Op;
use clusterup::model::Kind;

/// A range of seconds.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

const fn secs(min: f64, max: f64) -> Range {
    Range { min, max }
}

/// One API round trip inside a region (E: 50-300 ms is what the SDK's own request logs show).
pub const API_CALL: Range = secs(0.08, 0.25);

/// From the create (or delete) call's answer until the resource is usable (or gone), for the kinds
/// clusterup waits on. None: usable when the call answers (VPCs, subnets, security groups, route
/// tables, IAM, S3 and the like; AWS documents eventual consistency of 0-15 s for new EC2 ids, which
/// clusterup absorbs by retrying NotFound, aws:ec2/latest/devguide/eventual-consistency.html).
pub fn readiness(kind: Kind, op: Op, multi_az: bool) -> Option<Range> {
    Some(match (op, kind) {
        // pending -> available 1.5-2 min (U, gh:kubernetes/kops/pull/944)
        (Op::Create, Kind::NatGateway) => secs(90.0, 120.0),
        // provisioning -> active about 2.5 min, 2-5 seen (U, gh:hashicorp/terraform/issues/24799)
        (Op::Create, Kind::LoadBalancer) => secs(120.0, 180.0),
        // nodes InService 30-60 s (E, daemonology.net/blog/2021-08-12-EC2-boot-time-benchmarking.html)
        // plus one passing health check at the default 30 s interval (D, aws:elasticloadbalancing/latest/
        // application/target-group-health-checks.html)
        (Op::Create, Kind::AutoScalingGroup) => secs(60.0, 90.0),
        // Multi-AZ 15-20 min, single-AZ 4-6 (U, gh:hashicorp/terraform/issues/498, gh:tpa/issues/43322)
        (Op::Create, Kind::DbInstance) if multi_az => secs(15.0 * 60.0, 20.0 * 60.0),
        (Op::Create, Kind::DbInstance) => secs(4.0 * 60.0, 6.0 * 60.0),
        // 5-15 s (U, gh:turbot/steampipe-plugin-aws/pull/426)
        (Op::Create, Kind::FileSystem) => secs(5.0, 15.0),
        // 1-2 min (U, gh:tpa/issues/15278)
        (Op::Create, Kind::MountTarget) => secs(60.0, 120.0),
        // not published; creating -> available within seconds (E)
        (Op::Create, Kind::AccessPoint) => secs(1.0, 5.0),
        // WAITING after 6-8 min without bootstrap actions (U, gh:aws/aws-cli awscli/examples/emr/
        // list-clusters.rst), plus clusterup's bootstrap script (installs efs-utils, mounts: 1-2 min, E)
        (Op::Create, Kind::EmrCluster) => secs(7.0 * 60.0, 10.0 * 60.0),
        // 4-6 min, plus 2-5 min for the final snapshot clusterup takes by default
        // (U, gh:hashicorp/terraform/issues/32358 and /5161; E for the snapshot)
        (Op::Delete, Kind::DbInstance) => secs(6.0 * 60.0, 11.0 * 60.0),
        // 5-10 min (U, gh:tpa/pull/8428)
        (Op::Delete, Kind::EmrCluster) => secs(5.0 * 60.0, 10.0 * 60.0),
        // 30-90 s (E, gh:hashicorp/terraform/issues/12677)
        (Op::Delete, Kind::MountTarget) => secs(30.0, 90.0),
        // deleting -> deleted and the Elastic IP released: about a minute (E)
        (Op::Delete, Kind::NatGateway) => secs(45.0, 75.0),
        // gone from the API at once, its network interfaces within a minute or two (E)
        (Op::Delete, Kind::LoadBalancer) => secs(30.0, 90.0),
        // nodes shut down and terminate (E, the reverse of the boot figures above)
        (Op::Delete, Kind::AutoScalingGroup) => secs(60.0, 120.0),
        (Op::Delete, Kind::FileSystem) => secs(2.0, 10.0),
        _ => return None,
    })
}

/// The AWS service a kind's calls go to (each has its own rate limit).
pub fn service(kind: Kind) -> &'static str {
    match kind {
        Kind::TargetGroup | Kind::LoadBalancer | Kind::Listener => "elasticloadbalancingv2",
        Kind::AutoScalingGroup | Kind::ScalingPolicy => "autoscaling",
        Kind::IamRole | Kind::InstanceProfile => "iam",
        Kind::DbSubnetGroup | Kind::DbParameterGroup | Kind::DbInstance => "rds",
        Kind::FileSystem | Kind::MountTarget | Kind::AccessPoint => "efs",
        Kind::Bucket | Kind::BucketObject => "s3",
        Kind::EmrCluster => "emr",
        _ => "ec2",
    }
}
