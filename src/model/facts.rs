/// Facts about the account that the desired state depends on, read once per plan (or made up offline).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// The availability zones to use, in order.
    pub zones: Vec<String>,
    /// The AMI the app nodes boot (an SSM parameter resolved at plan time).
    pub image_id: String,
    /// That AMI's root device (`/dev/xvda` for Amazon Linux 2023), where the launch template puts the
    /// nodes' encrypted root volume.
    pub root_device_name: String,
    /// The size of that AMI's root volume in GiB, when the image says (the nodes' root volume takes it).
    pub root_volume_gb: Option<i32>,
    /// The CIDR of the VPC the deployment lives in (managed or existing).
    pub vpc_cidr: String,
    /// The zone of each private subnet, in order (mount targets are named after them).
    pub private_subnet_zones: Vec<String>,
    /// The AWS account id, read only when a name or ARN needs it (the Spark bucket, the database's and
    /// its secret's ARNs in role policies).
    pub account_id: String,
}
