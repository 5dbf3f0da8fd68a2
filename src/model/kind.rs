use serde::{Deserialize, Serialize};

/// Declares [`Kind`] and [`Kind::ALL`] from one list, so the two can never disagree.
macro_rules! kinds {
    ($($variant:ident),* $(,)?) => {
        /// Every kind of AWS resource clusterup manages. The order of the variants is the order of
        /// creation (used to sort output; the real ordering comes from dependencies). What each kind is
        /// and does lives in its own module under `resources/`, found through `resources::registry::of`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $($variant),*
        }

        impl Kind {
            /// Every kind, in creation order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];
        }
    };
}

kinds!(
    Vpc,
    InternetGateway,
    Subnet,
    ElasticIp,
    NatGateway,
    RouteTable,
    SecurityGroup,
    SecurityGroupEgress,
    TargetGroup,
    LoadBalancer,
    Listener,
    ListenerRule,
    IamRole,
    InstanceProfile,
    DbSubnetGroup,
    DbParameterGroup,
    DatabaseSecret,
    DbInstance,
    DbReplica,
    FileSystem,
    MountTarget,
    AccessPoint,
    FileSystemPolicy,
    LogGroup,
    HostedZone,
    LaunchTemplate,
    AutoScalingGroup,
    ScalingPolicy,
    Bucket,
    BucketObject,
    EmrSecurityConfiguration,
    EmrCluster,
    HiveMetastore,
    SnsTopic,
    SnsSubscription,
    MetricAlarm,
);
