use serde::{Deserialize, Serialize};

/// Every kind of AWS resource clusterup manages. The order of the variants is the order of creation
/// (used to sort output; the real ordering comes from dependencies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Vpc,
    InternetGateway,
    Subnet,
    ElasticIp,
    NatGateway,
    RouteTable,
    SecurityGroup,
    TargetGroup,
    LoadBalancer,
    Listener,
    IamRole,
    InstanceProfile,
    DbSubnetGroup,
    DbParameterGroup,
    DbInstance,
    FileSystem,
    MountTarget,
    AccessPoint,
    LaunchTemplate,
    AutoScalingGroup,
    ScalingPolicy,
    Bucket,
    BucketObject,
    EmrCluster,
}

impl Kind {
    /// Properties whose change cannot be made in place: the resource is replaced (`-/+`).
    pub fn replaced_on(self) -> &'static [&'static str] {
        match self {
            Kind::Vpc => &["cidr"],
            Kind::Subnet => &["vpc", "cidr", "zone"],
            Kind::NatGateway => &["subnet", "eip"],
            Kind::RouteTable => &["vpc"],
            Kind::SecurityGroup => &["vpc", "group_name", "description"],
            Kind::TargetGroup => &["name", "vpc", "port", "protocol"],
            Kind::LoadBalancer => &["name", "scheme"],
            Kind::Listener => &["load_balancer", "port"],
            Kind::LaunchTemplate => &["name"],
            Kind::AutoScalingGroup => &["name"],
            Kind::ScalingPolicy => &["group", "name"],
            Kind::IamRole | Kind::InstanceProfile => &["name"],
            Kind::DbSubnetGroup => &["name"],
            Kind::DbParameterGroup => &["name", "family"],
            Kind::DbInstance => &["identifier", "engine", "encrypted"],
            Kind::FileSystem => &["creation_token", "encrypted", "performance_mode"],
            Kind::MountTarget => &["file_system", "subnet"],
            Kind::AccessPoint => &["file_system", "path", "uid", "gid", "permissions"],
            Kind::Bucket => &["name"],
            Kind::BucketObject => &["bucket", "key"],
            // EMR fixes all of these when the cluster starts; counts, scaling and tags change in place.
            Kind::EmrCluster => &[
                "name",
                "release",
                "applications",
                "subnet",
                "master_security_group",
                "core_security_group",
                "service_security_group",
                "service_role",
                "instance_profile",
                "autoscaling_role",
                "log_uri",
                "bootstrap",
                "configurations",
                "master_type",
                "core_type",
                "task_type",
            ],
            Kind::InternetGateway | Kind::ElasticIp => &[],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Vpc => "VPC",
            Kind::InternetGateway => "internet gateway",
            Kind::Subnet => "subnet",
            Kind::ElasticIp => "Elastic IP",
            Kind::NatGateway => "NAT gateway",
            Kind::RouteTable => "route table",
            Kind::SecurityGroup => "security group",
            Kind::TargetGroup => "target group",
            Kind::LoadBalancer => "load balancer",
            Kind::Listener => "listener",
            Kind::IamRole => "IAM role",
            Kind::InstanceProfile => "instance profile",
            Kind::DbSubnetGroup => "DB subnet group",
            Kind::DbParameterGroup => "DB parameter group",
            Kind::DbInstance => "database",
            Kind::FileSystem => "file system",
            Kind::MountTarget => "mount target",
            Kind::AccessPoint => "access point",
            Kind::LaunchTemplate => "launch template",
            Kind::AutoScalingGroup => "auto scaling group",
            Kind::ScalingPolicy => "scaling policy",
            Kind::Bucket => "S3 bucket",
            Kind::BucketObject => "S3 object",
            Kind::EmrCluster => "EMR cluster",
        }
    }
}
