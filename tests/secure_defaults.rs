//! The secure defaults (docs/real-aws.md, "Security defaults"), each read back with the SDK from the
//! emulator after an apply through the real binary, and destroy still leaving nothing.

use aws_sdk_elasticloadbalancingv2::types::{ActionTypeEnum, Listener, RedirectActionStatusCodeEnum};

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::{assert_code, clients, clusterup, stdout, Clients, Workspace};

/// An IAM server certificate the emulator knows (it checks that a listener's certificate exists, and
/// does not parse the PEM): HTTPS listeners need one. Its ARN.
async fn server_certificate(c: &Clients, name: &str) -> String {
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

async fn listeners(c: &Clients, name: &str) -> Vec<Listener> {
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
