//! Where every resource lives in a plan (its address) and what it is called in AWS, in one leaf module that
//! the composition, the resource kinds and the outputs all read. Names are derived from the deployment
//! name, so discovery can find by name what has no tag filter, and two deployments never collide.

/// `a` for `us-east-1a`: the suffix used in addresses and names.
pub fn zone_letter(region: &str, zone: &str) -> String {
    zone.strip_prefix(region).filter(|l| !l.is_empty()).unwrap_or(zone).to_owned()
}

pub mod network {
    pub const VPC: &str = "network/vpc";
    pub const INTERNET_GATEWAY: &str = "network/internet-gateway";
    pub const ALB_SECURITY_GROUP: &str = "network/security-group/alb";
    pub const APP_SECURITY_GROUP: &str = "network/security-group/app";
    pub const DATABASE_SECURITY_GROUP: &str = "network/security-group/database";
    pub const EFS_SECURITY_GROUP: &str = "network/security-group/efs";
    pub const SPARK_MASTER_SECURITY_GROUP: &str = "network/security-group/spark-master";
    pub const SPARK_CORE_SECURITY_GROUP: &str = "network/security-group/spark-core";
    pub const SPARK_SERVICE_SECURITY_GROUP: &str = "network/security-group/spark-service";

    /// The egress rules of the group at `group` (`network/security-group/app` ->
    /// `network/security-group-egress/app`).
    pub fn egress_of(group: &str) -> String {
        let leaf = group.rsplit('/').next().unwrap_or(group);
        format!("network/security-group-egress/{leaf}")
    }

    /// `network/subnet/public-a`; `tier` is `public` or `private`.
    pub fn subnet(tier: &str, letter: &str) -> String {
        format!("network/subnet/{tier}-{letter}")
    }

    pub fn elastic_ip(letter: &str) -> String {
        format!("network/eip/nat-{letter}")
    }

    pub fn nat_gateway(letter: &str) -> String {
        format!("network/nat-gateway/{letter}")
    }

    /// `network/route-table/public`, `.../private` or `.../private-a`.
    pub fn route_table(table: &str) -> String {
        format!("network/route-table/{table}")
    }
}

pub mod iam {
    pub const APP_ROLE: &str = "iam/role/app";
    pub const APP_INSTANCE_PROFILE: &str = "iam/instance-profile/app";
    pub const SPARK_SERVICE_ROLE: &str = "iam/role/spark-service";
    pub const SPARK_NODE_ROLE: &str = "iam/role/spark-node";
    pub const SPARK_AUTOSCALING_ROLE: &str = "iam/role/spark-autoscaling";
    pub const SPARK_INSTANCE_PROFILE: &str = "iam/instance-profile/spark-node";

    /// One role a deployment can have: where it lives in the plan, what its name ends with, what it is for.
    pub struct Role {
        pub address: &'static str,
        pub suffix: &'static str,
        pub description: &'static str,
    }

    /// Every role a deployment can have. Discovery looks for all of them, so a role whose section left the
    /// topology (or a destroy by name) is still found.
    pub const ROLES: &[Role] = &[
        Role { address: APP_ROLE, suffix: "app", description: "app nodes" },
        Role {
            address: SPARK_SERVICE_ROLE,
            suffix: "spark-service",
            description: "EMR service role of the Spark cluster",
        },
        Role { address: SPARK_NODE_ROLE, suffix: "spark-node", description: "Spark cluster nodes" },
        Role {
            address: SPARK_AUTOSCALING_ROLE,
            suffix: "spark-autoscaling",
            description: "automatic scaling of the Spark cluster's instance groups",
        },
    ];

    /// Every instance profile: its address and the suffix of the role it holds.
    pub const PROFILES: &[(&str, &str)] = &[(APP_INSTANCE_PROFILE, "app"), (SPARK_INSTANCE_PROFILE, "spark-node")];

    pub fn role(address: &str) -> Option<&'static Role> {
        ROLES.iter().find(|r| r.address == address)
    }

    /// `<deployment>-<region>-<suffix>`: IAM is global, so the region keeps one deployment name usable in
    /// several regions.
    pub fn name(deployment: &str, region: &str, suffix: &str) -> String {
        format!("{deployment}-{region}-{suffix}")
    }

    /// The one inline policy clusterup manages on a role: `clusterup-app` on the app's role.
    pub fn policy_name(suffix: &str) -> String {
        format!("clusterup-{suffix}")
    }
}

pub mod database {
    pub const INSTANCE: &str = "database/instance";
    pub const SUBNET_GROUP: &str = "database/subnet-group";
    /// Where the read replicas live: `database/replicas/1` is the first.
    pub const REPLICAS: &str = "database/replicas/";

    /// The address of replica `n` (from 1).
    pub fn replica(n: usize) -> String {
        format!("{REPLICAS}{n}")
    }

    /// The number of the replica at `address`, if it is one.
    pub fn replica_number(address: &str) -> Option<usize> {
        address.strip_prefix(REPLICAS)?.parse().ok()
    }

    /// Replica `n`'s identifier: `<deployment>-db-replica-<n>`, at most 34 characters with the longest
    /// deployment name, within RDS's 63.
    pub fn replica_identifier(deployment: &str, n: usize) -> String {
        format!("{}-replica-{n}", identifier(deployment))
    }

    /// The password clusterup keeps for a database with read replicas (Secrets Manager).
    pub const PASSWORD: &str = "database/password";

    /// The kept password's secret: `clusterup/<deployment>/database`, under the prefix the operator
    /// policy allows (`secret:clusterup/<deployment>/*`).
    pub fn password_secret_name(deployment: &str) -> String {
        format!("clusterup/{deployment}/database")
    }
    /// Where parameter groups live: one per engine family (`database/parameter-group/mysql8-4`), so a
    /// major version upgrade makes the new family's group before the instance moves to it, and deletes the
    /// old one after.
    pub const PARAMETER_GROUPS: &str = "database/parameter-group/";

    /// The instance's identifier, and its subnet group's name.
    pub fn identifier(deployment: &str) -> String {
        format!("{deployment}-db")
    }

    /// The start of the name of every final snapshot destroy keeps of the deployment's database:
    /// `<deployment>-final-`, followed by the time (`YYYYMMDDhhmmss`, UTC), so names sort by time.
    pub fn final_snapshot_prefix(deployment: &str) -> String {
        format!("{deployment}-final-")
    }

    /// `mysql8.4` -> `mysql8-4`: RDS names take no dots.
    fn family_suffix(family: &str) -> String {
        family.replace('.', "-")
    }

    /// The address of the parameter group for engine family `family` (`mysql8.4`).
    pub fn parameter_group(family: &str) -> String {
        format!("{PARAMETER_GROUPS}{}", family_suffix(family))
    }

    /// Its name: `shop-db-mysql8-4`.
    pub fn parameter_group_name(deployment: &str, family: &str) -> String {
        format!("{}-{}", identifier(deployment), family_suffix(family))
    }
}

pub mod storage {
    pub const FILE_SYSTEM: &str = "storage/file-system";
    pub const ACCESS_POINT: &str = "storage/access-point";
    pub const FILE_SYSTEM_POLICY: &str = "storage/file-system-policy";

    /// `storage/mount-target/a`: one per zone.
    pub fn mount_target(letter: &str) -> String {
        format!("storage/mount-target/{letter}")
    }

    /// EFS's idempotency token for the file system: one file system per deployment, ever.
    pub fn creation_token(deployment: &str) -> String {
        format!("clusterup-{deployment}-data")
    }
}

pub mod load_balancer {
    pub const LOAD_BALANCER: &str = "load_balancer/alb";
    pub const TARGET_GROUP: &str = "load_balancer/target-group/app";

    pub fn listener(port: i64) -> String {
        format!("load_balancer/listener/{port}")
    }

    /// The rule of the listener on `port` that routes a node group's paths and hosts to its target group.
    pub fn listener_rule(port: i64, group: &str) -> String {
        format!("load_balancer/listener/{port}/rule/{group}")
    }

    /// Load balancer names are unique per account and region, at most 32 characters.
    pub fn load_balancer_name(deployment: &str) -> String {
        format!("{deployment}-alb")
    }

    pub fn target_group_name(deployment: &str) -> String {
        format!("{deployment}-app")
    }

    /// Node group `group`'s target group (`app`'s is [`TARGET_GROUP`]).
    pub fn target_group(group: &str) -> String {
        format!("load_balancer/target-group/{group}")
    }

    /// The bucket the load balancer's access logs go to (`load_balancer.access_logs: true`).
    pub const LOG_BUCKET: &str = "load_balancer/log-bucket";

    /// `clusterup-<deployment>-<account>-<region>-alb`: the Spark bucket's name with a suffix no region
    /// ends with, so it can be no deployment's Spark bucket; at most 63 characters, as S3 requires.
    pub fn log_bucket_name(deployment: &str, account: &str, region: &str) -> String {
        format!("{}-alb", super::spark::bucket_name(deployment, account, region))
    }
}

/// Node groups (`node_groups:`; `app:` is the group named `app`). The group named `app` keeps the
/// addresses the app tier always had (`app/...`), so a deployment rewritten from `app:` to
/// `node_groups: { app: ... }` plans no change; every other group's resources are under `groups/<name>/`.
pub mod app {
    pub const LAUNCH_TEMPLATE: &str = "app/launch-template";
    pub const AUTO_SCALING_GROUP: &str = "app/auto-scaling-group";

    pub use crate::topology::APP_GROUP;

    fn prefix(group: &str) -> String {
        if group == APP_GROUP {
            "app".to_owned()
        } else {
            format!("groups/{group}")
        }
    }

    pub fn launch_template(group: &str) -> String {
        format!("{}/launch-template", prefix(group))
    }

    pub fn auto_scaling_group(group: &str) -> String {
        format!("{}/auto-scaling-group", prefix(group))
    }

    /// `<group prefix>/scaling-policy/cpu` or `.../requests`.
    pub fn group_scaling_policy(group: &str, metric: &str) -> String {
        format!("{}/scaling-policy/{metric}", prefix(group))
    }

    /// The group whose Auto Scaling group is at `address`, if it is one.
    pub fn group_of(address: &str) -> Option<&str> {
        if address == AUTO_SCALING_GROUP {
            return Some(APP_GROUP);
        }
        // Not a canary's (`groups/<name>/canary/auto-scaling-group`): group names have no `/`.
        address.strip_prefix("groups/")?.strip_suffix("/auto-scaling-group").filter(|g| !g.contains('/'))
    }

    /// The Auto Scaling group's, the launch template's and the target group's name: `<deployment>-<group>`
    /// (`validate` keeps it within the target group's 32 characters).
    pub fn aws_name(deployment: &str, group: &str) -> String {
        format!("{deployment}-{group}")
    }

    /// `app/scaling-policy/cpu` or `.../requests`.
    pub fn scaling_policy(metric: &str) -> String {
        format!("app/scaling-policy/{metric}")
    }

    /// The Auto Scaling group's and the launch template's name.
    pub fn group_name(deployment: &str) -> String {
        format!("{deployment}-app")
    }

    /// A weighted canary rollout's second group, running the new launch template version, and its own
    /// target group: they exist only while a rollout is in progress (`clusterup rollout`). These are the
    /// `app` group's canary; another group's is under its own prefix ([`canary_group`]).
    pub const CANARY_GROUP: &str = "app/canary/auto-scaling-group";
    pub const CANARY_TARGET_GROUP: &str = "app/canary/target-group";

    /// Group `group`'s canary group: `app/canary/auto-scaling-group`, `groups/<name>/canary/...`.
    pub fn canary_group(group: &str) -> String {
        format!("{}/canary/auto-scaling-group", prefix(group))
    }

    /// Group `group`'s canary target group.
    pub fn canary_target_group(group: &str) -> String {
        format!("{}/canary/target-group", prefix(group))
    }

    /// The group whose canary `address` is one of the resources of, if it is one.
    pub fn canary_of(address: &str) -> Option<&str> {
        let (prefix, _) = address.split_once("/canary/")?;
        if prefix == "app" {
            return Some(APP_GROUP);
        }
        prefix.strip_prefix("groups/").filter(|g| !g.is_empty() && !g.contains('/'))
    }

    /// Whether `address` is one of a canary rollout's resources, of any group.
    pub fn is_canary(address: &str) -> bool {
        canary_of(address).is_some()
    }

    /// The canary group's and its target group's name, whichever group it is the canary of: a deployment
    /// runs one rollout at a time (at most 28 characters: target group names may have 32, and deployment
    /// names 21).
    pub fn canary_name(deployment: &str) -> String {
        format!("{deployment}-canary")
    }
}

/// Node group discovery: the deployment's private hosted zone and each group's name in it.
pub mod discovery {
    pub const ZONE: &str = "discovery/zone";

    /// `<deployment>.internal`: the private hosted zone of the deployment's VPC.
    pub fn zone_name(deployment: &str) -> String {
        format!("{deployment}.internal")
    }

    /// `<group>.<deployment>.internal`: the A record the group's nodes keep, one address per node in
    /// service.
    pub fn host(deployment: &str, group: &str) -> String {
        format!("{group}.{}", zone_name(deployment))
    }

    /// `GROUP_HOST_<GROUP>`: the environment variable naming `group`'s host on every node (upper case,
    /// `-` as `_`: group names are lowercase letters, digits and hyphens).
    pub fn host_variable(group: &str) -> String {
        format!("GROUP_HOST_{}", group.to_ascii_uppercase().replace('-', "_"))
    }
}

/// CloudWatch Logs: one log group per node group.
pub mod logs {
    /// Every log group of a deployment is named under this prefix, which discovery lists by and the
    /// roles' and the operator's policies scope to: `/clusterup/<deployment>/`.
    pub fn prefix(deployment: &str) -> String {
        format!("/clusterup/{deployment}/")
    }

    /// `/clusterup/<deployment>/<group>`: the log group the nodes of `group` ship their logs to.
    pub fn log_group_name(deployment: &str, group: &str) -> String {
        format!("{}{group}", prefix(deployment))
    }

    /// `logs/<group>`.
    pub fn log_group(group: &str) -> String {
        format!("logs/{group}")
    }
}

pub mod lock {
    /// The SSM parameter that holds a deployment's lock (`crate::lock`).
    pub fn parameter(deployment: &str) -> String {
        format!("/clusterup/{deployment}/lock")
    }
}

/// Systems Manager documents `exec` and `shell` use on the nodes (and the operator policy names).
pub mod ssm {
    /// AWS's document that runs shell commands on Linux (`exec`): AWS-owned, so its ARN has no account.
    pub const RUN_SHELL_DOCUMENT: &str = "AWS-RunShellScript";
    /// The session document the AWS CLI's `start-session` uses without `--document-name` (`shell`): the
    /// account's Session Manager preferences
    /// (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-default-session-document.html).
    pub const SESSION_DOCUMENT: &str = "SSM-SessionManagerRunShell";
}

pub mod spark {
    pub const BUCKET: &str = "spark/bucket";
    pub const BOOTSTRAP_OBJECT: &str = "spark/bootstrap-script";
    pub const CLUSTER: &str = "spark/cluster";
    /// The cluster's Hive metastore on the shared database: its own step, after the cluster and the
    /// database (see `resources::emr::metastore`).
    pub const METASTORE: &str = "spark/metastore";

    /// Where in the bucket the bootstrap script and EMR's logs live.
    pub const BOOTSTRAP_PREFIX: &str = "bootstrap/";
    pub const LOG_PREFIX: &str = "logs/";
    /// Where `spark submit` copies jobs; the nodes' role reads them from there.
    pub const JOBS_PREFIX: &str = "jobs/";
    pub const BOOTSTRAP_KEY: &str = "bootstrap/clusterup-node.sh";

    /// `clusterup-<deployment>-<account>-<region>`: bucket names are global, so the account keeps two
    /// accounts' deployments of the same name apart, and the region two regions'.
    pub fn bucket_name(deployment: &str, account: &str, region: &str) -> String {
        format!("clusterup-{deployment}-{account}-{region}")
    }

    /// Whether `name` is this deployment's bucket name in this region, for any account.
    pub fn is_bucket_name(name: &str, deployment: &str, region: &str) -> bool {
        let Some(rest) = name.strip_prefix(&format!("clusterup-{deployment}-")) else { return false };
        let Some(account) = rest.strip_suffix(&format!("-{region}")) else { return false };
        account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
    }

    pub fn cluster_name(deployment: &str) -> String {
        format!("{deployment}-spark")
    }

    /// The cluster's EMR security configuration (its encryption settings).
    pub const SECURITY_CONFIGURATION: &str = "spark/security-configuration";

    /// Its name: security configurations carry no tags, so the name alone says whose it is.
    pub fn security_configuration_name(deployment: &str) -> String {
        format!("clusterup-{deployment}-spark")
    }
}

/// The alarms and who they notify (`alerts:`).
pub mod alerts {
    pub const TOPIC: &str = "alerts/topic";

    /// `clusterup-<deployment>-alerts`: SNS cannot list topics by tag, so discovery goes by this name
    /// and then checks the tags.
    pub fn topic_name(deployment: &str) -> String {
        format!("clusterup-{deployment}-alerts")
    }

    /// `alerts/subscription/<address>`.
    pub fn subscription(email: &str) -> String {
        format!("alerts/subscription/{email}")
    }

    /// `alerts/alarm/<what>`, e.g. `alerts/alarm/database-cpu`.
    pub fn alarm(what: &str) -> String {
        format!("alerts/alarm/{what}")
    }

    /// What every alarm name of the deployment starts with: DescribeAlarms lists by name prefix only.
    pub fn alarm_prefix(deployment: &str) -> String {
        format!("clusterup-{deployment}-")
    }

    /// `clusterup-<deployment>-<what>`.
    pub fn alarm_name(deployment: &str, what: &str) -> String {
        format!("{}{what}", alarm_prefix(deployment))
    }
}

/// The address of `name` if it is one of this deployment's buckets in `region`, for any account: the
/// Spark bucket or the load balancer's log bucket. S3 cannot filter buckets by tag, so discovery goes by
/// name first.
pub fn bucket_address(name: &str, deployment: &str, region: &str) -> Option<&'static str> {
    if spark::is_bucket_name(name, deployment, region) {
        Some(spark::BUCKET)
    } else if name.strip_suffix("-alb").is_some_and(|base| spark::is_bucket_name(base, deployment, region)) {
        Some(load_balancer::LOG_BUCKET)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::bucket_address;
    use super::load_balancer::{log_bucket_name, LOG_BUCKET};
    use super::spark::{bucket_name, is_bucket_name, BUCKET};

    #[test]
    fn the_group_named_app_keeps_the_app_tiers_addresses_and_names() {
        use super::{app, load_balancer};
        assert_eq!(app::launch_template("app"), app::LAUNCH_TEMPLATE);
        assert_eq!(app::auto_scaling_group("app"), app::AUTO_SCALING_GROUP);
        assert_eq!(app::group_scaling_policy("app", "cpu"), app::scaling_policy("cpu"));
        assert_eq!(load_balancer::target_group("app"), load_balancer::TARGET_GROUP);
        assert_eq!(app::aws_name("shop", "app"), load_balancer::target_group_name("shop"));
        assert_eq!(app::aws_name("shop", "app"), app::group_name("shop"));
        assert_eq!(app::auto_scaling_group("web"), "groups/web/auto-scaling-group");
        assert_eq!(app::group_of("groups/web/auto-scaling-group"), Some("web"));
        assert_eq!(app::group_of(app::AUTO_SCALING_GROUP), Some("app"));
        assert_eq!(app::group_of("groups/web/launch-template"), None);
    }

    #[test]
    fn each_group_has_its_canary_under_its_own_prefix_and_the_app_groups_is_where_it_always_was() {
        use super::app;
        assert_eq!(app::canary_group("app"), app::CANARY_GROUP);
        assert_eq!(app::canary_target_group("app"), app::CANARY_TARGET_GROUP);
        assert_eq!(app::canary_group("web"), "groups/web/canary/auto-scaling-group");
        for (address, group) in [
            (app::CANARY_GROUP, Some("app")),
            (app::CANARY_TARGET_GROUP, Some("app")),
            ("groups/web/canary/auto-scaling-group", Some("web")),
            ("groups/web/canary/target-group", Some("web")),
            ("groups/web/auto-scaling-group", None),
            ("app/auto-scaling-group", None),
            ("groups//canary/target-group", None),
            ("groups/a/b/canary/target-group", None),
        ] {
            assert_eq!(app::canary_of(address), group, "{address}");
            assert_eq!(app::is_canary(address), group.is_some(), "{address}");
        }
        // A canary's group is no node group of its own.
        assert_eq!(app::group_of("groups/web/canary/auto-scaling-group"), None);
        assert_eq!(app::group_of(app::CANARY_GROUP), None);
    }

    #[test]
    fn bucket_names_fit_the_s3_limit_for_the_longest_inputs() {
        for name in [
            bucket_name("a23456789012345678901", "123456789012", "ap-southeast-2"),
            log_bucket_name("a23456789012345678901", "123456789012", "ap-southeast-2"),
        ] {
            assert!(name.len() <= 63, "{name} is {} characters", name.len());
        }
    }

    #[test]
    fn each_bucket_name_has_one_owner_and_one_address() {
        let (account, region) = ("123456789012", "us-east-1");
        assert_eq!(bucket_address(&bucket_name("a", account, region), "a", region), Some(BUCKET));
        assert_eq!(bucket_address(&log_bucket_name("a", account, region), "a", region), Some(LOG_BUCKET));
        // Deployment `a-alb`'s buckets are not `a`'s, and `a`'s log bucket is no deployment's Spark bucket.
        assert_eq!(bucket_address(&bucket_name("a-alb", account, region), "a", region), None);
        assert_eq!(bucket_address(&log_bucket_name("a", account, region), "a-alb", region), None);
        assert!(!is_bucket_name(&log_bucket_name("a", account, region), "a", region));
    }

    #[test]
    fn bucket_names_of_other_deployments_are_not_ours() {
        assert!(is_bucket_name("clusterup-a-123456789012-us-east-1", "a", "us-east-1"));
        // Deployment `a-b`'s bucket starts like deployment `a`'s.
        assert!(!is_bucket_name("clusterup-a-b-123456789012-us-east-1", "a", "us-east-1"));
        assert!(!is_bucket_name("clusterup-a-123456789012-eu-west-1", "a", "us-east-1"));
        assert!(!is_bucket_name("clusterup-a-12345-us-east-1", "a", "us-east-1"));
    }
}
