use std::collections::BTreeMap;

/// Facts about the account that the desired state depends on, read once per plan (or made up offline).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// The availability zones to use, in order.
    pub zones: Vec<String>,
    /// The AMIs the node groups boot, by the image as the topology writes it (`ami-...`, or `ssm:/...`
    /// resolved at plan time).
    pub images: BTreeMap<String, BootImage>,
    /// The CIDR of the VPC the deployment lives in (managed or existing).
    pub vpc_cidr: String,
    /// The zone of each private subnet, in order (mount targets are named after them).
    pub private_subnet_zones: Vec<String>,
    /// The AWS account id (the Spark bucket's name, the ARNs in role policies, the trust policies'
    /// `aws:SourceAccount`).
    pub account_id: String,
    /// The partition of the caller's identity (`aws`, `aws-cn`, `aws-us-gov`): the second field of every
    /// ARN the policies name. Read from STS GetCallerIdentity's ARN, never assumed.
    pub partition: String,
    /// The DB snapshot a database that does not exist yet is made from (`database.restore_from`),
    /// found at plan time; `None` without `restore_from` or once the database exists.
    pub restore: Option<RestoreSource>,
    /// Whether the deployment's kept database password (a Secrets Manager secret of clusterup's, see
    /// `resources::secretsmanager::password`) exists: once made, the database keeps using it even
    /// without read replicas. Offline: false.
    pub kept_password: bool,
}

/// An AMI the nodes of a group boot.
#[derive(Debug, Clone, PartialEq)]
pub struct BootImage {
    pub id: String,
    /// Its root device (`/dev/xvda` for Amazon Linux 2023), where the launch template puts the nodes'
    /// encrypted root volume.
    pub root_device_name: String,
    /// The size of its root volume in GiB, when the image says (the nodes' root volume takes it).
    pub root_volume_gb: Option<i32>,
}

/// A DB snapshot to restore the database from, as the plan shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreSource {
    /// Its identifier (`latest` when planned offline, where snapshots cannot be listed).
    pub snapshot: String,
    /// When RDS took it (RFC 3339, UTC); unknown offline.
    pub taken: Option<String>,
    /// The MySQL version it holds; unknown offline.
    pub engine_version: Option<String>,
}

impl Facts {
    /// `arn:<partition>:<service>:<region>:<account>:<resource>`, in this account.
    pub fn arn(&self, service: &str, region: &str, resource: &str) -> String {
        format!("arn:{}:{service}:{region}:{}:{resource}", self.partition, self.account_id)
    }

    /// An S3 ARN (`arn:<partition>:s3:::<bucket/key>`): S3 ARNs name neither region nor account.
    pub fn s3_arn(&self, path: &str) -> String {
        format!("arn:{}:s3:::{path}", self.partition)
    }
}

/// The partition of an ARN (`arn:aws-cn:iam::...` -> `aws-cn`), if it is an ARN.
pub fn partition_of(arn: &str) -> Option<&str> {
    let mut fields = arn.split(':');
    (fields.next() == Some("arn")).then(|| fields.next()).flatten().filter(|p| !p.is_empty())
}

/// The partition a region belongs to, by its name (AWS General Reference, "Partitions"): for what is
/// written before, or without, asking AWS whose the credentials are.
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_of_a_region_is_told_by_its_name() {
        assert_eq!(partition_of_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of_region("eu-west-1"), "aws");
    }

    #[test]
    fn the_partition_is_the_second_field_of_the_arn() {
        assert_eq!(partition_of("arn:aws:iam::123456789012:user/a"), Some("aws"));
        assert_eq!(partition_of("arn:aws-cn:sts::123456789012:assumed-role/r/s"), Some("aws-cn"));
        assert_eq!(partition_of("arn:aws-us-gov:iam::123456789012:root"), Some("aws-us-gov"));
        assert_eq!(partition_of("not-an-arn"), None);
        assert_eq!(partition_of("arn::iam::1:root"), None);
    }
}
