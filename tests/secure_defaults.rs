//! The secure defaults (docs/real-aws.md, "Security defaults"), each read back with the SDK from the
//! emulator after an apply through the real binary, and destroy still leaving nothing.

use aws_sdk_elasticloadbalancingv2::types::{ActionTypeEnum, Listener, RedirectActionStatusCodeEnum};

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::{assert_code, clients, clusterup, stdout, Clients, Workspace};

/// An IAM server certificate the emulator knows (it checks that a listener's certificate exists, and
/// does not parse the PEM): HTTPS listeners need one. Its ARN.
pub(crate) async fn server_certificate(c: &Clients, name: &str) -> String {
    let uploaded = c
        .iam
        .upload_server_certificate()
        .server_certificate_name(format!("{name}-cert"))
        .certificate_body("-----BEGIN CERTIFICATE-----\nnot a real certificate\n-----END CERTIFICATE-----\n")
        .private_key("-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n")
        .send()
        .await
        .expect("UploadServerCertificate");
    uploaded.server_certificate_metadata().expect("metadata").arn().to_owned()
}

pub(crate) async fn listeners(c: &Clients, name: &str) -> Vec<Listener> {
    let lb = c.elb.describe_load_balancers().names(format!("{name}-alb")).send().await.expect("load balancer");
    let arn = lb.load_balancers()[0].load_balancer_arn().expect("arn");
    let mut listeners =
        c.elb.describe_listeners().load_balancer_arn(arn).send().await.expect("listeners").listeners().to_vec();
    listeners.sort_by_key(|l| l.port());
    listeners
}

/// With a certificate, port 80 answers with a permanent redirect to 443 and only 443 forwards to the
/// app, over the TLS 1.3 policy; `redirect_to_https: false` puts the forward back.
#[test]
fn with_a_certificate_port_80_redirects_to_https_on_443_which_speaks_tls_1_3() {
    let ws = Workspace::from_example("web-tier.yaml", "https");
    let topology = ws.topology().to_string_lossy().into_owned();
    let c = block_on(clients());
    let cert = block_on(server_certificate(&c, &ws.name));
    ws.edit("    - port: 80\n", &format!("    - port: 80\n    - port: 443\n      certificate_arn: {cert}\n"));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    let found = block_on(listeners(&c, &ws.name));
    let (http, https) = (&found[0], &found[1]);
    assert_eq!((http.port(), https.port()), (Some(80), Some(443)));
    let redirect = http.default_actions()[0].redirect_config().expect("port 80 redirects");
    assert_eq!(http.default_actions()[0].r#type(), Some(&ActionTypeEnum::Redirect));
    assert_eq!((redirect.protocol(), redirect.port()), (Some("HTTPS"), Some("443")));
    assert_eq!(redirect.status_code(), Some(&RedirectActionStatusCodeEnum::Http301));
    assert_eq!(https.default_actions()[0].r#type(), Some(&ActionTypeEnum::Forward));
    assert_eq!(https.ssl_policy(), Some("ELBSecurityPolicy-TLS13-1-2-2021-06"));
    assert_eq!(https.certificates()[0].certificate_arn(), Some(cert.as_str()));
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // The opt-out: port 80 forwards again, in place.
    ws.edit("  algorithm:", "  redirect_to_https: false\n  algorithm:");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    assert!(stdout(&plan).contains("~ load_balancer/listener/80"), "{}", stdout(&plan));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let found = block_on(listeners(&c, &ws.name));
    assert_eq!(found[0].default_actions()[0].r#type(), Some(&ActionTypeEnum::Forward));

    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}

/// The load balancer's attributes clusterup manages, as AWS reports them.
async fn load_balancer_attributes(c: &Clients, name: &str) -> std::collections::BTreeMap<String, String> {
    let lb = c.elb.describe_load_balancers().names(format!("{name}-alb")).send().await.expect("load balancer");
    let arn = lb.load_balancers()[0].load_balancer_arn().expect("arn");
    let attributes = c.elb.describe_load_balancer_attributes().load_balancer_arn(arn).send().await.expect("attributes");
    attributes.attributes().iter().filter_map(|a| Some((a.key()?.to_owned(), a.value()?.to_owned()))).collect()
}

async fn bucket_exists(c: &Clients, bucket: &str) -> bool {
    c.s3.head_bucket().bucket(bucket).send().await.is_ok()
}

/// The load balancer drops invalid header fields and is protected from deletion while the deployment
/// lives (destroy still deletes it: the emulator refuses a protected one, as AWS does); with
/// `access_logs: true` it logs to a bucket of its own, whose policy lets the region's log delivery
/// account write under AWSLogs/ and nothing else, and which goes when the logs are turned off.
#[test]
fn the_load_balancer_is_protected_drops_invalid_headers_and_logs_to_its_own_bucket() {
    let ws = Workspace::from_example("web-tier.yaml", "alb-logs");
    let topology = ws.topology().to_string_lossy().into_owned();
    let c = block_on(clients());
    ws.edit("  algorithm:", "  access_logs: true\n  algorithm:");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    let attributes = block_on(load_balancer_attributes(&c, &ws.name));
    // clusterup-<name>-<account>-us-east-1-alb
    let bucket = attributes.get("access_logs.s3.bucket").cloned().unwrap_or_default();
    let account = bucket
        .strip_prefix(&format!("clusterup-{}-", ws.name))
        .and_then(|rest| rest.strip_suffix("-us-east-1-alb"))
        .unwrap_or_else(|| panic!("log bucket {bucket:?}"))
        .to_owned();
    for (key, value) in [
        ("routing.http.drop_invalid_header_fields.enabled", "true"),
        ("deletion_protection.enabled", "true"),
        ("access_logs.s3.enabled", "true"),
    ] {
        assert_eq!(attributes.get(key).map(String::as_str), Some(value), "{key}: {attributes:?}");
    }
    let policy = block_on(c.s3.get_bucket_policy().bucket(&bucket).send()).expect("bucket policy");
    let policy: serde_json::Value = serde_json::from_str(policy.policy().expect("policy")).expect("JSON");
    let statements = policy["Statement"].as_array().expect("statements");
    let delivery = statements.iter().find(|s| s["Effect"] == "Allow").expect("log delivery statement");
    assert_eq!(delivery["Principal"]["AWS"], "arn:aws:iam::127311923021:root");
    assert_eq!(delivery["Action"], "s3:PutObject");
    assert_eq!(delivery["Resource"], format!("arn:aws:s3:::{bucket}/AWSLogs/{account}/*"));
    assert_eq!(statements.len(), 1, "{policy:#}");
    let public = block_on(c.s3.get_public_access_block().bucket(&bucket).send()).expect("public access block");
    let block = public.public_access_block_configuration().expect("configuration");
    assert_eq!(
        (
            block.block_public_acls(),
            block.block_public_policy(),
            block.ignore_public_acls(),
            block.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // Logs off: the load balancer stops logging and the bucket goes.
    ws.edit("  access_logs: true\n", "");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    let text = stdout(&plan);
    assert!(text.contains("~ load_balancer/alb") && text.contains("- load_balancer/log-bucket"), "{text}");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let attributes = block_on(load_balancer_attributes(&c, &ws.name));
    assert_eq!(attributes.get("access_logs.s3.enabled").map(String::as_str), Some("false"));
    assert!(!block_on(bucket_exists(&c, &bucket)));

    ws.edit("  algorithm:", "  access_logs: true\n  algorithm:");
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
    assert!(!block_on(bucket_exists(&c, &bucket)), "destroy leaves the log bucket");
}

/// Every rule of every group clusterup manages has a description; the database and file-system groups
/// send nothing; the app nodes send HTTPS anywhere, MySQL to the database's group and NFS to the file
/// system's, and nothing else; the load balancer sends only to the nodes' port. Egress drift shows in
/// the plan and apply removes it.
#[test]
fn security_group_rules_are_described_and_egress_is_only_what_each_tier_needs() {
    use aws_sdk_ec2::types::{IpPermission, SecurityGroup};

    let ws = Workspace::from_example("smarten.yaml", "sg-rules");
    let topology = ws.topology().to_string_lossy().into_owned();
    let c = block_on(clients());
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    let described =
        block_on(c.ec2.describe_security_groups().filters(crate::apply_destroy::tag_filter(&ws.name)).send())
            .expect("security groups");
    let group = |suffix: &str| -> SecurityGroup {
        let name = format!("{}-{suffix}", ws.name);
        described.security_groups().iter().find(|g| g.group_name() == Some(name.as_str())).cloned().expect(&name)
    };
    // (protocol, port, peer, description) of each rule.
    let rules = |perms: &[IpPermission]| -> Vec<(String, Option<i32>, String, String)> {
        let mut out = Vec::new();
        for p in perms {
            let (protocol, port) = (p.ip_protocol().unwrap_or_default().to_owned(), p.from_port());
            for r in p.ip_ranges() {
                out.push((
                    protocol.clone(),
                    port,
                    r.cidr_ip().unwrap_or_default().to_owned(),
                    r.description().unwrap_or_default().to_owned(),
                ));
            }
            for g in p.user_id_group_pairs() {
                out.push((
                    protocol.clone(),
                    port,
                    g.group_id().unwrap_or_default().to_owned(),
                    g.description().unwrap_or_default().to_owned(),
                ));
            }
        }
        out.sort();
        out
    };
    let (alb, app, db, efs) = (group("alb"), group("app"), group("db"), group("efs"));
    let id = |g: &SecurityGroup| g.group_id().expect("id").to_owned();
    for g in [&alb, &app, &db, &efs] {
        for (direction, perms) in [("ingress", g.ip_permissions()), ("egress", g.ip_permissions_egress())] {
            for rule in rules(perms) {
                assert!(!rule.3.is_empty(), "{:?} {direction} rule without a description: {rule:?}", g.group_name());
            }
        }
    }
    assert_eq!(rules(db.ip_permissions_egress()), vec![], "the database's group sends nothing");
    assert_eq!(rules(efs.ip_permissions_egress()), vec![], "the file system's group sends nothing");
    let peers = |perms: &[IpPermission]| -> Vec<(Option<i32>, String)> {
        rules(perms).into_iter().map(|(_, port, peer, _)| (port, peer)).collect()
    };
    let mut app_out = vec![(Some(443), "0.0.0.0/0".to_owned()), (Some(3306), id(&db)), (Some(2049), id(&efs))];
    app_out.sort();
    let mut found = peers(app.ip_permissions_egress());
    found.sort();
    assert_eq!(found, app_out);
    assert_eq!(peers(alb.ip_permissions_egress()), vec![(Some(8080), id(&app))]);
    assert_eq!(rules(db.ip_permissions())[0].3, "MySQL from the app nodes");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // Someone opens the database's group outward: the plan shows it, apply takes it back.
    block_on(
        c.ec2
            .authorize_security_group_egress()
            .group_id(id(&db))
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(25)
                    .to_port(25)
                    .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send(),
    )
    .expect("authorize egress");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    assert!(stdout(&plan).contains("~ network/security-group-egress/database"), "{}", stdout(&plan));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let db_now = block_on(c.ec2.describe_security_groups().group_ids(id(&db)).send()).expect("db group");
    assert_eq!(rules(db_now.security_groups()[0].ip_permissions_egress()), vec![]);

    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}

/// The file system has a policy: NFS without TLS is refused, and only the app nodes' role may mount and
/// write, through the deployment's access point. Policy drift shows in the plan and apply puts it back.
#[test]
fn the_file_system_policy_refuses_nfs_without_tls_and_mounts_but_for_the_node_role() {
    let ws = Workspace::from_example("smarten.yaml", "efs-policy");
    let topology = ws.topology().to_string_lossy().into_owned();
    let c = block_on(clients());
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    let systems = block_on(c.efs.describe_file_systems().creation_token(format!("clusterup-{}-data", ws.name)).send())
        .expect("file system");
    let fs = systems.file_systems()[0].clone();
    let points = block_on(c.efs.describe_access_points().file_system_id(fs.file_system_id()).send()).expect("points");
    let access_point = points.access_points()[0].access_point_arn().expect("arn").to_owned();
    let role = block_on(c.iam.get_role().role_name(format!("{}-us-east-1-app", ws.name)).send()).expect("app role");
    let read = || -> serde_json::Value {
        let out = block_on(c.efs.describe_file_system_policy().file_system_id(fs.file_system_id()).send())
            .expect("DescribeFileSystemPolicy");
        serde_json::from_str(out.policy().expect("policy")).expect("JSON")
    };
    let doc = read();
    let statements = doc["Statement"].as_array().expect("statements");
    let deny = statements.iter().find(|s| s["Effect"] == "Deny").expect("a deny");
    assert_eq!(deny["Condition"]["Bool"]["aws:SecureTransport"], "false");
    assert_eq!(deny["Resource"], fs.file_system_arn().expect("arn"));
    let allow = statements.iter().find(|s| s["Effect"] == "Allow").expect("an allow");
    assert_eq!(allow["Principal"]["AWS"], role.role().expect("role").arn());
    assert_eq!(allow["Condition"]["StringEquals"]["elasticfilesystem:AccessPointArn"], access_point.as_str());
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // Someone opens the file system to everyone: the plan shows it, apply puts the policy back.
    let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"}]}"#;
    block_on(c.efs.put_file_system_policy().file_system_id(fs.file_system_id()).policy(open).send())
        .expect("PutFileSystemPolicy");
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    assert!(stdout(&plan).contains("~ storage/file-system-policy"), "{}", stdout(&plan));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    assert_eq!(read(), doc);

    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}

/// The launch template maps an encrypted gp3 root volume on the image's root device, whatever the
/// account's EBS default, and the nodes boot with it.
#[test]
fn nodes_boot_from_an_encrypted_gp3_root_volume_on_the_images_root_device() {
    let ws = Workspace::from_example("web-tier.yaml", "root-volume");
    let topology = ws.topology().to_string_lossy().into_owned();
    let c = block_on(clients());
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    let name = format!("{}-app", ws.name);
    let versions =
        block_on(c.ec2.describe_launch_template_versions().launch_template_name(&name).versions("$Default").send())
            .expect("versions");
    let data = versions.launch_template_versions()[0].launch_template_data().expect("data").clone();
    let image = block_on(c.ec2.describe_images().image_ids(data.image_id().expect("image")).send()).expect("image");
    let root = image.images()[0].root_device_name().expect("root device").to_owned();
    let mappings = data.block_device_mappings();
    assert_eq!(mappings.len(), 1, "{mappings:?}");
    assert_eq!(mappings[0].device_name(), Some(root.as_str()));
    let ebs = mappings[0].ebs().expect("an EBS volume");
    assert_eq!(ebs.volume_type(), Some(&aws_sdk_ec2::types::VolumeType::Gp3));
    assert_eq!((ebs.encrypted(), ebs.delete_on_termination()), (Some(true), Some(true)));
    let metadata = data.metadata_options().expect("metadata options");
    assert_eq!(
        metadata.http_tokens(),
        Some(&aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Required),
        "IMDSv2 only"
    );
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // The nodes' root volumes, as EC2 made them.
    let group =
        block_on(c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&name).send()).expect("group");
    let node = group.auto_scaling_groups()[0].instances()[0].instance_id().expect("node").to_owned();
    let volumes = block_on(
        c.ec2
            .describe_volumes()
            .filters(aws_sdk_ec2::types::Filter::builder().name("attachment.instance-id").values(&node).build())
            .send(),
    )
    .expect("volumes");
    let on_root: Vec<_> = volumes
        .volumes()
        .iter()
        .filter(|v| v.attachments().iter().any(|a| a.device() == Some(root.as_str())))
        .collect();
    assert_eq!(on_root.len(), 1, "{volumes:?}");
    assert_eq!(
        (on_root[0].encrypted(), on_root[0].volume_type()),
        (Some(true), Some(&aws_sdk_ec2::types::VolumeType::Gp3))
    );

    assert_code(&clusterup(&["destroy", "--yes", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}

/// The Spark cluster starts with a security configuration of the deployment's (S3 encryption at rest,
/// local disks with the operator's KMS key and in-transit TLS with their certificates, which the roles are
/// let use), made before it and deleted after it has terminated.
#[test]
fn the_spark_cluster_starts_with_its_security_configuration_which_destroy_deletes() {
    let ws = Workspace::from_example("smarten-spark.yaml", "emr-security");
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let certificates = "s3://emr-security-certs/emr/certificates.zip";
    ws.edit(
        "\nspark:\n",
        &format!("\nspark:\n  disk_encryption_key: {key}\n  in_transit_certificates: {certificates}\n"),
    );
    let topology = ws.topology().to_string_lossy().into_owned();
    let c = block_on(clients());
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    let name = format!("clusterup-{}-spark", ws.name);
    let described =
        block_on(c.emr.describe_security_configuration().name(&name).send()).expect("security configuration");
    let doc: serde_json::Value =
        serde_json::from_str(described.security_configuration().expect("document")).expect("JSON");
    let encryption = &doc["EncryptionConfiguration"];
    assert_eq!(encryption["EnableAtRestEncryption"], true);
    assert_eq!(encryption["AtRestEncryptionConfiguration"]["S3EncryptionConfiguration"]["EncryptionMode"], "SSE-S3");
    let disks = &encryption["AtRestEncryptionConfiguration"]["LocalDiskEncryptionConfiguration"];
    assert_eq!(
        (&disks["AwsKmsKey"], &disks["EnableEbsEncryption"]),
        (&serde_json::json!(key), &serde_json::json!(true))
    );
    assert_eq!(encryption["EnableInTransitEncryption"], true);
    let tls = &encryption["InTransitEncryptionConfiguration"]["TLSCertificateConfiguration"];
    assert_eq!(
        (&tls["CertificateProviderType"], &tls["S3Object"]),
        (&serde_json::json!("PEM"), &serde_json::json!(certificates))
    );
    // The nodes use the key, and EMR grants it to EBS: both role policies name it, and only it.
    for (role, sid) in [("spark-node", "UseDiskKey"), ("spark-service", "GrantDiskKeyToEbs")] {
        let role_name = format!("{}-us-east-1-{role}", ws.name);
        let policies = block_on(c.iam.list_role_policies().role_name(&role_name).send()).expect("ListRolePolicies");
        let policy_name = policies.policy_names().first().expect("an inline policy").to_owned();
        let got = block_on(c.iam.get_role_policy().role_name(&role_name).policy_name(policy_name).send())
            .expect("GetRolePolicy");
        let text = crate::data_tier::percent_decoded(got.policy_document());
        let doc: serde_json::Value = serde_json::from_str(&text).expect("policy JSON");
        let statements = doc["Statement"].as_array().expect("statements");
        let found = statements.iter().find(|s| s["Sid"] == sid).unwrap_or_else(|| panic!("{role}: no {sid}: {doc}"));
        assert_eq!(found["Resource"], key, "{role}");
        let kms: Vec<&serde_json::Value> =
            statements.iter().filter(|s| s["Action"].to_string().contains("kms:")).collect();
        assert!(kms.iter().all(|s| s["Resource"] == key), "{role}: KMS only on the key: {kms:?}");
        if role == "spark-node" {
            let read = statements.iter().find(|s| s["Sid"] == "ReadTransitCertificates").expect("certificates read");
            assert_eq!(read["Resource"], "arn:aws:s3:::emr-security-certs/emr/certificates.zip");
        }
    }
    // Every page of active clusters: the tests share one emulator, whose first page may hold others'.
    let clusters = block_on(crate::spark::active_clusters(&c, &ws.name));
    assert_eq!(clusters.len(), 1, "one active cluster named after {}", ws.name);
    assert_eq!(clusters[0].security_configuration(), Some(name.as_str()));
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
    assert!(block_on(c.emr.describe_security_configuration().name(&name).send()).is_err(), "destroy leaves {name}");
}
