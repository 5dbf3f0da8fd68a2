//! The inline policies, as canonical JSON. ARNs of resources that do not exist yet are references, cut
//! into the text at marker strings and filled in when the role is written.

use serde_json::json;

use crate::model::json::canonical;
use crate::model::{names, Address, Facts, Value};
use crate::topology::Topology;

const FILE_SYSTEM: &str = "@@FILE_SYSTEM@@";
const ACCESS_POINT: &str = "@@ACCESS_POINT@@";
const NODE_ROLE: &str = "@@NODE_ROLE@@";
const AUTOSCALING_ROLE: &str = "@@AUTOSCALING_ROLE@@";
const HOSTED_ZONE: &str = "@@HOSTED_ZONE@@";

/// A policy of these statements, its markers replaced by references.
fn document(statements: Vec<serde_json::Value>) -> Value {
    let text = canonical(&json!({"Version": "2012-10-17", "Statement": statements}));
    let marks = [
        (FILE_SYSTEM, Value::Attr(Address::new(names::storage::FILE_SYSTEM), "arn".into())),
        (ACCESS_POINT, Value::Attr(Address::new(names::storage::ACCESS_POINT), "arn".into())),
        (NODE_ROLE, Value::Attr(Address::new(names::iam::SPARK_NODE_ROLE), "arn".into())),
        (AUTOSCALING_ROLE, Value::Attr(Address::new(names::iam::SPARK_AUTOSCALING_ROLE), "arn".into())),
        (HOSTED_ZONE, Value::Ref(Address::new(names::discovery::ZONE))),
    ];
    Value::with_references(text, &marks)
}

/// The database instance's ARN, known from its name before it exists.
fn database_arn(topology: &Topology, facts: &Facts) -> String {
    facts.arn("rds", &topology.region, &format!("db:{}", names::database::identifier(&topology.name)))
}

/// Reading the database's RDS-managed secret, without naming it: its ARN exists only once the database
/// is being created, and a policy that named it would hold every role (and the nodes and cluster behind
/// them) until the database is available. RDS names its secrets `rds!db-...` and tags each with the
/// instance it belongs to, `aws:rds:primaryDBInstanceArn` (the tag keys RDS's service-linked role may
/// set: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonRDSServiceRolePolicy.html),
/// and the instance's ARN follows from its name: this statement admits that one secret only.
fn read_database_secret(topology: &Topology, facts: &Facts) -> serde_json::Value {
    if super::database::kept_password(topology, facts) {
        // The kept password's secret (read replicas): named by clusterup, so its ARN is known but for the
        // six characters Secrets Manager appends.
        let name = names::database::password_secret_name(&topology.name);
        return json!({
            "Sid": "ReadDatabaseSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
            "Resource": facts.arn("secretsmanager", &topology.region, &format!("secret:{name}-??????"))
        });
    }
    json!({
        "Sid": "ReadDatabaseSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
        "Resource": facts.arn("secretsmanager", &topology.region, "secret:rds!db-*"),
        "Condition": {"StringEquals": {"aws:ResourceTag/aws:rds:primaryDBInstanceArn": database_arn(topology, facts)}}
    })
}

/// The statements every node that uses the shared data tier needs: read the database's managed secret,
/// mount the file system through its access point (and nothing else of it).
fn data_tier_statements(topology: &Topology, facts: &Facts, read_secret: bool) -> Vec<serde_json::Value> {
    let mut statements = Vec::new();
    if topology.database.is_some() && read_secret {
        statements.push(read_database_secret(topology, facts));
    }
    if topology.shared_storage.is_some() {
        statements.push(json!({
            "Sid": "MountSharedData", "Effect": "Allow",
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": FILE_SYSTEM,
            "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": ACCESS_POINT}}
        }));
    }
    statements
}

/// Condition: the resource carries this deployment's tag (EMR copies the cluster's tags to its instances).
fn owned_by(topology: &Topology) -> serde_json::Value {
    json!({"StringEquals": {"aws:ResourceTag/clusterup:deployment": topology.name}})
}

/// What the SSM agent on a node needs to register with Systems Manager and to run what `clusterup exec`
/// (Run Command) and `clusterup shell` (Session Manager) send it: the actions of AWS's managed policy
/// `AmazonSSMManagedInstanceCore`, v2
/// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSSMManagedInstanceCore.html),
/// written inline because every role clusterup makes carries inline policies only (one document to read,
/// to diff and to put under a permissions boundary). Left out: `ssm:GetParameter` and
/// `ssm:GetParameters`, which the managed policy grants on every parameter of the account (the
/// deployment's lock among them); neither Run Command with AWS-RunShellScript nor a session reads one.
/// AWS authorises these calls on `*` (the agent calls before it knows any resource), as the managed
/// policy does. Amazon Linux 2023 ships the agent, running at boot.
fn managed_instance() -> serde_json::Value {
    json!({
        "Sid": "SystemsManagerAgent", "Effect": "Allow",
        "Action": [
            "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
            "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
            "ssm:DescribeAssociation", "ssm:DescribeDocument", "ssm:GetDeployablePatchSnapshotForInstance",
            "ssm:GetDocument", "ssm:GetManifest", "ssm:ListAssociations", "ssm:ListInstanceAssociations",
            "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:PutInventory",
            "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation",
            "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel"
        ],
        "Resource": "*"
    })
}

/// The CloudWatch agent on a node writing its app log and journal to the deployment's log groups
/// (`/clusterup/<deployment>/<group>`): a stream per node (CreateLogStream, authorised on the log
/// group) and its events (PutLogEvents, authorised on the stream, which the group's ARN with `*` covers).
/// The groups themselves are clusterup's to make: the nodes may not create, retain or delete any, nor
/// write to another deployment's.
fn ship_logs(topology: &Topology, facts: &Facts) -> serde_json::Value {
    let groups = format!("log-group:{}*", names::logs::prefix(&topology.name));
    json!({
        "Sid": "ShipLogs", "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": facts.arn("logs", &topology.region, &groups)
    })
}

/// The discovery keeper on every app node (templates/app-user-data.sh): it UPSERTs the A record of a
/// node group's name in the deployment's private zone, and nothing else. One role serves every group, so
/// the names are all of this deployment's groups' (`ForAllValues`: every name in the request must be one
/// of them, as must every type and action), never another deployment's, never a record deleted. Route 53
/// compares these keys with the names normalized (lower case, no final dot), per "Using IAM policy
/// conditions for fine-grained access control" in its Developer Guide.
///
/// `FindGroupNodes`: the keeper reads its group's instances in service and their private addresses.
/// DescribeAutoScalingGroups and DescribeInstances have no resource-level permissions (Service
/// Authorization Reference: no resource type), so they are allowed on `*`, reads of the account's
/// inventory like the other shared reads.
fn keep_group_records(topology: &Topology, facts: &Facts) -> Vec<serde_json::Value> {
    if topology.groups.is_empty() {
        return Vec::new();
    }
    let hosts: Vec<String> = topology.groups.iter().map(|g| names::discovery::host(&topology.name, &g.name)).collect();
    vec![
        json!({
            "Sid": "KeepGroupRecords", "Effect": "Allow", "Action": "route53:ChangeResourceRecordSets",
            "Resource": format!("arn:{}:route53:::hostedzone/{HOSTED_ZONE}", facts.partition),
            "Condition": {"ForAllValues:StringEquals": {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": hosts,
                "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
                "route53:ChangeResourceRecordSetsActions": ["UPSERT"]
            }}
        }),
        json!({
            "Sid": "FindGroupNodes", "Effect": "Allow",
            "Action": ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances"],
            "Resource": "*"
        }),
    ]
}

/// The app nodes: registered with Systems Manager (`exec`, `shell`), the data tier, finding the database (its endpoint, once it is available: the nodes may
/// boot before it, see templates/app-user-data.sh) and, with a Spark cluster, submitting and following
/// steps on it.
pub fn app(topology: &Topology, facts: &Facts) -> Value {
    let mut statements = vec![managed_instance(), ship_logs(topology, facts)];
    statements.extend(keep_group_records(topology, facts));
    statements.extend(data_tier_statements(topology, facts, true));
    if let Some(db) = &topology.database {
        // The database, and its read replicas (DB_READ_HOSTS) by name: no other instance.
        let mut found = vec![database_arn(topology, facts)];
        found.extend((1..=db.read_replicas.len()).map(|n| {
            facts.arn(
                "rds",
                &topology.region,
                &format!("db:{}", names::database::replica_identifier(&topology.name, n)),
            )
        }));
        let resource = if found.len() == 1 { json!(found[0]) } else { json!(found) };
        statements.push(json!({
            "Sid": "FindDatabase", "Effect": "Allow", "Action": "rds:DescribeDBInstances", "Resource": resource
        }));
    }
    if topology.spark.is_some() {
        statements.push(json!({
            "Sid": "SubmitSparkSteps", "Effect": "Allow",
            "Action": [
                "elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:CancelSteps", "elasticmapreduce:DescribeCluster",
                "elasticmapreduce:DescribeStep", "elasticmapreduce:ListSteps"
            ],
            "Resource": "*",
            "Condition": owned_by(topology)
        }));
        statements.push(json!({
            "Sid": "FindSparkCluster", "Effect": "Allow", "Action": "elasticmapreduce:ListClusters", "Resource": "*"
        }));
    }
    document(statements)
}

/// EMR itself, modelled on AWS's `AmazonEMRServicePolicy_v2` but scoped to this deployment: it may read
/// the account's EC2 state, launch instances into our subnet and groups, and change or terminate only
/// what carries the deployment's tag (EMR tags what it launches with the cluster's tags). With custom
/// scaling it also registers the instance groups with Application Auto Scaling, passing it the
/// autoscaling role, as the v2 policy's `AutoScaling` and `PassRoleForAutoScaling` statements allow
/// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEMRServicePolicy_v2.html):
/// without them the cluster starts but its scaling policies never attach.
pub fn spark_service(topology: &Topology) -> Value {
    let custom_scaling = topology
        .spark
        .as_ref()
        .and_then(|s| s.scaling)
        .is_some_and(|s| s.mode == crate::topology::SparkScalingMode::Custom);
    let mut statements = vec![
        json!({
            "Sid": "ReadEc2", "Effect": "Allow",
            "Action": [
                "ec2:DescribeAccountAttributes", "ec2:DescribeAvailabilityZones", "ec2:DescribeCapacityReservations",
                "ec2:DescribeDhcpOptions", "ec2:DescribeImages", "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstances", "ec2:DescribeLaunchTemplates", "ec2:DescribeNetworkAcls",
                "ec2:DescribeNetworkInterfaces", "ec2:DescribePlacementGroups", "ec2:DescribePrefixLists",
                "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeSpotInstanceRequests",
                "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets", "ec2:DescribeTags", "ec2:DescribeVolumeStatus",
                "ec2:DescribeVolumes", "ec2:DescribeVpcAttribute", "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs",
                "cloudwatch:DescribeAlarms", "iam:GetRole"
            ],
            "Resource": "*"
        }),
        json!({
            "Sid": "LaunchNodes", "Effect": "Allow",
            "Action": [
                "ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion",
                "ec2:CreateNetworkInterface", "ec2:CreateTags", "ec2:RunInstances"
            ],
            "Resource": "*"
        }),
        json!({
            "Sid": "ManageOwnNodesAndGroups", "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteLaunchTemplate",
                "ec2:DeleteNetworkInterface", "ec2:DeleteTags", "ec2:DetachNetworkInterface",
                "ec2:ModifyInstanceAttribute", "ec2:ModifyNetworkInterfaceAttribute",
                "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:TerminateInstances"
            ],
            "Resource": "*",
            "Condition": owned_by(topology)
        }),
        json!({
            "Sid": "ScalingAlarms", "Effect": "Allow",
            "Action": ["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"],
            "Resource": "*"
        }),
        json!({
            "Sid": "PassNodeRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": NODE_ROLE,
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
        }),
    ];
    if custom_scaling {
        statements.push(json!({
            "Sid": "AutoScaling", "Effect": "Allow",
            "Action": [
                "application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies",
                "application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget"
            ],
            "Resource": "*"
        }));
        statements.push(json!({
            "Sid": "PassAutoScalingRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": AUTOSCALING_ROLE,
            "Condition": {"StringLike": {"iam:PassedToService": "application-autoscaling.amazonaws.com*"}}
        }));
    }
    if let Some(key) = disk_encryption_key(topology) {
        // EBS encryption with a customer managed key: EMR has EC2 make the nodes' volumes with it, which
        // takes a grant for EC2 on the key (only for an AWS resource) and the key's use (EMR Management
        // Guide, "Encrypt data at rest": enabling EBS encryption by providing permissions for KMS keys).
        statements.push(json!({
            "Sid": "GrantDiskKeyToEbs", "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": key,
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}
        }));
        statements.push(disk_key_use("UseDiskKey", key));
    }
    document(statements)
}

/// The Spark section's customer managed key of local disk and EBS encryption, if it names one.
fn disk_encryption_key(topology: &Topology) -> Option<&str> {
    topology.spark.as_ref().and_then(|s| s.disk_encryption_key.as_deref())
}

/// What a key user of `key` may do (KMS's key-user permissions: encrypt, decrypt and make data keys).
fn disk_key_use(sid: &str, key: &str) -> serde_json::Value {
    json!({
        "Sid": sid, "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": key
    })
}

/// The cluster's nodes: the bootstrap script and logs in the deployment's bucket, EMR's own software
/// repositories, reading their cluster, the shared data tier (the secret only for the Hive metastore),
/// and Systems Manager's agent (EMR's images run it too), for a Session Manager session on a node.
pub fn spark_node(topology: &Topology, facts: &Facts) -> Value {
    let bucket = names::spark::bucket_name(&topology.name, &facts.account_id, &topology.region);
    let shared_metastore = super::spark::shared_metastore(topology);
    let mut statements = vec![
        json!({
            "Sid": "ReadBootstrap", "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": facts.s3_arn(&format!("{bucket}/{}*", names::spark::BOOTSTRAP_PREFIX))
        }),
        // `spark submit` puts the job under jobs/ and adds a step whose spark-submit reads it through
        // EMRFS, with this role's credentials: without this statement every submitted job fails on AWS.
        json!({
            "Sid": "ReadJobs", "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": facts.s3_arn(&format!("{bucket}/{}*", names::spark::JOBS_PREFIX))
        }),
        json!({
            "Sid": "WriteLogs", "Effect": "Allow", "Action": "s3:PutObject",
            "Resource": facts.s3_arn(&format!("{bucket}/{}*", names::spark::LOG_PREFIX))
        }),
        json!({"Sid": "ListBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": facts.s3_arn(&bucket)}),
        json!({
            "Sid": "EmrSoftware", "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": facts.s3_arn(&format!("{}.elasticmapreduce/*", topology.region))
        }),
        json!({
            "Sid": "ReadOwnCluster", "Effect": "Allow",
            "Action": [
                "ec2:DescribeInstances", "ec2:DescribeTags", "elasticmapreduce:DescribeCluster",
                "elasticmapreduce:ListBootstrapActions", "elasticmapreduce:ListInstanceGroups",
                "elasticmapreduce:ListInstances", "elasticmapreduce:ListSteps", "cloudwatch:PutMetricData"
            ],
            "Resource": "*"
        }),
    ];
    statements.extend(data_tier_statements(topology, facts, shared_metastore));
    statements.push(managed_instance());
    if let Some(zip) = topology.spark.as_ref().and_then(|s| s.in_transit_certificates.as_deref()) {
        // In-transit encryption: each node fetches the PEM zip with its instance role as it starts.
        let object = zip.trim_start_matches("s3://");
        statements.push(json!({
            "Sid": "ReadTransitCertificates", "Effect": "Allow", "Action": "s3:GetObject", "Resource": facts.s3_arn(object)
        }));
    }
    if let Some(key) = disk_encryption_key(topology) {
        // Local disk encryption (LUKS on instance store and EBS volumes): each node makes and opens its
        // volumes' data keys with the cluster's key, as its key user (EMR Release Guide, "Providing keys
        // for at-rest data encryption").
        statements.push(disk_key_use("UseDiskKey", key));
    }
    document(statements)
}

/// Instance-group automatic scaling (custom mode): read the alarms, resize the account's clusters in this
/// region. Not behind a tag condition: Application Auto Scaling calls ModifyInstanceGroups on its own
/// (the AWS managed `AmazonElasticMapReduceforAutoScalingRole` allows it on `*`), and the cluster's id is
/// not known when the role is written; the ARN pattern keeps it to this account and region.
pub fn spark_autoscaling(topology: &Topology, facts: &Facts) -> Value {
    let clusters = facts.arn("elasticmapreduce", &topology.region, "cluster/*");
    document(vec![
        json!({"Sid": "ReadAlarms", "Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"}),
        json!({
            "Sid": "ResizeGroups", "Effect": "Allow",
            "Action": ["elasticmapreduce:ListInstanceGroups", "elasticmapreduce:ModifyInstanceGroups"],
            "Resource": clusters
        }),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom_scaling_example() -> (Topology, Facts) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let text = std::fs::read_to_string(&path).expect("example");
        assert!(text.contains("mode: custom"), "the full example scales Spark with custom rules");
        let topology = crate::topology::parse(&path, &text).expect("valid").topology;
        let facts = Facts { account_id: "123456789012".into(), ..crate::compose::offline_facts(&topology) };
        (topology, facts)
    }

    /// The policy text with its references filled in as AWS would see it.
    fn text(doc: &Value) -> serde_json::Value {
        let filled = doc.resolve(&|address, attr| {
            Value::str(format!("arn:aws:iam::123456789012:role/{address}-{}", attr.unwrap_or("id")))
        });
        serde_json::from_str(filled.as_str().expect("resolved")).expect("JSON")
    }

    fn statement<'a>(doc: &'a serde_json::Value, sid: &str) -> &'a serde_json::Value {
        doc["Statement"]
            .as_array()
            .expect("statements")
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no {sid}: {doc}"))
    }

    #[test]
    fn custom_scaling_lets_emr_register_the_groups_and_pass_the_autoscaling_role() {
        let (topology, _) = custom_scaling_example();
        let service = text(&spark_service(&topology));
        let actions = statement(&service, "AutoScaling")["Action"].to_string();
        for action in ["RegisterScalableTarget", "PutScalingPolicy", "DescribeScalableTargets"] {
            assert!(actions.contains(&format!("application-autoscaling:{action}")), "{actions}");
        }
        let pass = statement(&service, "PassAutoScalingRole");
        assert!(pass["Resource"].as_str().is_some_and(|r| r.contains("iam/role/spark-autoscaling")), "{pass}");
        assert_eq!(pass["Condition"]["StringLike"]["iam:PassedToService"], "application-autoscaling.amazonaws.com*");
        assert!(statement(&service, "ReadEc2")["Action"].to_string().contains("ec2:DescribeVolumeStatus"));
    }

    /// `spark submit` copies the job under jobs/ and spark-submit reads it with the nodes' role.
    #[test]
    fn spark_nodes_read_submitted_jobs_in_the_callers_partition() {
        let (topology, facts) = custom_scaling_example();
        let facts = Facts { partition: "aws-us-gov".into(), ..facts };
        let doc = spark_node(&topology, &facts);
        // Before the references are filled in (this test fills them with commercial ARNs).
        assert!(!format!("{doc:?}").contains("arn:aws:"), "every ARN in the caller's partition: {doc:?}");
        let role = text(&doc);
        let bucket = names::spark::bucket_name(&topology.name, &facts.account_id, &topology.region);
        assert_eq!(statement(&role, "ReadJobs")["Resource"], format!("arn:aws-us-gov:s3:::{bucket}/jobs/*"));
    }

    #[test]
    fn a_disk_encryption_key_is_used_by_the_nodes_and_granted_to_ebs_by_emr_and_no_other_key() {
        let (mut topology, facts) = custom_scaling_example();
        for doc in [spark_node(&topology, &facts), spark_service(&topology)] {
            assert!(!format!("{doc:?}").contains("kms:"), "no key, no KMS permission: {doc:?}");
        }
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        topology.spark.as_mut().expect("spark").disk_encryption_key = Some(key.into());
        let node = text(&spark_node(&topology, &facts));
        assert_eq!(statement(&node, "UseDiskKey")["Resource"], key);
        assert!(statement(&node, "UseDiskKey")["Action"].to_string().contains("kms:GenerateDataKey*"));
        let service = text(&spark_service(&topology));
        let grant = statement(&service, "GrantDiskKeyToEbs");
        assert_eq!(grant["Resource"], key);
        assert_eq!(grant["Condition"]["Bool"]["kms:GrantIsForAWSResource"], "true");
        assert_eq!(statement(&service, "UseDiskKey")["Resource"], key);
    }

    #[test]
    fn the_nodes_read_the_in_transit_certificates_zip_and_nothing_else_of_its_bucket() {
        let (mut topology, facts) = custom_scaling_example();
        let facts = Facts { partition: "aws-cn".into(), ..facts };
        assert!(!text(&spark_node(&topology, &facts)).to_string().contains("ReadTransitCertificates"));
        topology.spark.as_mut().expect("spark").in_transit_certificates = Some("s3://my-certs/emr/certs.zip".into());
        let node = text(&spark_node(&topology, &facts));
        let read = statement(&node, "ReadTransitCertificates");
        assert_eq!(
            (&read["Action"], &read["Resource"]),
            (&json!("s3:GetObject"), &json!("arn:aws-cn:s3:::my-certs/emr/certs.zip"))
        );
    }

    #[test]
    fn app_nodes_upsert_only_a_records_of_this_deployments_group_names_in_its_zone() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/node-groups.yaml");
        let topology = crate::topology::load(&path).expect("example loads").topology;
        let facts = Facts { account_id: "123456789012".into(), ..crate::compose::offline_facts(&topology) };
        let doc = app(&topology, &facts);
        // The zone's id is filled in once the zone exists: the role names that zone alone.
        let mut refs = Vec::new();
        doc.refs(&mut refs);
        assert!(refs.iter().any(|r| r.as_str() == names::discovery::ZONE), "{refs:?}");
        let policy = text(&doc);
        let keep = statement(&policy, "KeepGroupRecords");
        assert_eq!(keep["Action"], "route53:ChangeResourceRecordSets");
        assert_eq!(keep["Resource"], "arn:aws:route53:::hostedzone/arn:aws:iam::123456789012:role/discovery/zone-id");
        let condition = &keep["Condition"]["ForAllValues:StringEquals"];
        let hosts: Vec<String> =
            topology.groups.iter().map(|g| format!("{}.{}.internal", g.name, topology.name)).collect();
        assert!(hosts.len() > 1, "the example has several groups");
        assert_eq!(condition["route53:ChangeResourceRecordSetsNormalizedRecordNames"], json!(hosts));
        assert_eq!(condition["route53:ChangeResourceRecordSetsRecordTypes"], json!(["A"]));
        assert_eq!(condition["route53:ChangeResourceRecordSetsActions"], json!(["UPSERT"]));
        assert_eq!(keep["Condition"].as_object().expect("conditions").len(), 1, "{keep}");
        let find = statement(&policy, "FindGroupNodes");
        assert_eq!(find["Action"], json!(["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances"]));
        assert_eq!(find["Resource"], "*");
    }

    #[test]
    fn the_autoscaling_role_resizes_groups_without_a_tag_condition_it_cannot_match() {
        let (topology, facts) = custom_scaling_example();
        let role = text(&spark_autoscaling(&topology, &facts));
        let resize = statement(&role, "ResizeGroups");
        assert!(resize.get("Condition").is_none(), "{resize}");
        assert_eq!(resize["Resource"], "arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/*");
    }

    #[test]
    fn markers_become_references() {
        let doc = document(vec![json!({"Resource": FILE_SYSTEM}), json!({"Resource": NODE_ROLE})]);
        let Value::Template(parts) = doc else { panic!("expected a template: {doc:?}") };
        let refs: Vec<&Value> = parts.iter().filter(|p| !matches!(p, Value::Str(_))).collect();
        assert_eq!(
            refs,
            [
                &Value::Attr(Address::new(names::storage::FILE_SYSTEM), "arn".into()),
                &Value::Attr(Address::new(names::iam::SPARK_NODE_ROLE), "arn".into())
            ]
        );
    }

    /// The roles of the full example name nothing of the database that exists only once it does: they
    /// (and the instances and the cluster that use them) need not wait for it.
    #[test]
    fn no_role_waits_for_the_database() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let topology = crate::topology::load(&example).expect("valid example").topology;
        let facts = crate::compose::offline_facts(&topology);
        for policy in [app(&topology, &facts), spark_node(&topology, &facts)] {
            let mut refs = Vec::new();
            policy.refs(&mut refs);
            assert!(refs.iter().all(|r| r.as_str() != names::database::INSTANCE), "{refs:?}");
            let text = format!("{policy:?}");
            assert!(text.contains("aws:rds:primaryDBInstanceArn") && text.contains(":db:smarten-spark-db"), "{text}");
        }
    }
}
