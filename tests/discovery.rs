//! Node group discovery through the real binary on the project's emulator: the private hosted zone
//! `<deployment>.internal` read back from Route 53 (its name, its VPC, its tags), each group's name in
//! `output` and in the nodes' environment, the keeper the user data installs run as a node runs it (the
//! AWS CLI against the emulator) writing its group's A record and rewriting it only when the group's nodes
//! change, and destroy emptying the zone of the nodes' records, deleting it and leaving nothing.

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine;

use crate::apply_destroy::{block_on, live_tagged};
use crate::status::status_json;
use crate::support::{
    assert_code, clients, clusterup, endpoint, path_with_aws_cli, stderr, stdout, Clients, Workspace,
};

/// Two groups, one behind the load balancer and one not, in place of web-tier's `app:`.
const GROUPS: &str = "node_groups:
  web:
    instance_type: t3.small
    port: 8080
    capacity: { min: 2, max: 4 }
    route: default
  workers:
    instance_type: t3.small
    port: 7001
    capacity: { min: 1, max: 3 }
    route: none
";

const ENV: &str = "cat > \"$ROOT/etc/clusterup/app.env\" <<'ENV'\n";
const KEEPER: &str = "cat > \"$ROOT/usr/local/lib/clusterup/dns-keeper\" <<'SCRIPT'\n";

/// The zones named `<name>.internal`, as Route 53 lists them.
fn zones(aws: &Clients, name: &str) -> Vec<aws_sdk_route53::types::HostedZone> {
    let wanted = format!("{name}.internal.");
    let listed =
        block_on(aws.route53.list_hosted_zones_by_name().dns_name(&wanted).send()).expect("ListHostedZonesByName");
    listed.hosted_zones().iter().filter(|z| z.name() == wanted).cloned().collect()
}

/// The group's nodes in service, their private addresses sorted as the keeper sorts them.
fn addresses(aws: &Clients, group: &str) -> Vec<String> {
    let described = block_on(aws.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(group).send())
        .expect("DescribeAutoScalingGroups");
    let ids: Vec<String> = described.auto_scaling_groups()[0]
        .instances()
        .iter()
        .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    let instances =
        block_on(aws.ec2.describe_instances().set_instance_ids(Some(ids)).send()).expect("DescribeInstances");
    let mut ips: Vec<std::net::Ipv4Addr> = instances
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.private_ip_address()?.parse().ok())
        .collect();
    ips.sort();
    ips.iter().map(ToString::to_string).collect()
}

/// The values of the A record `name` in the zone, in Route 53's order.
fn record(aws: &Clients, zone: &str, name: &str) -> Option<Vec<String>> {
    let sets =
        block_on(aws.route53.list_resource_record_sets().hosted_zone_id(zone).send()).expect("ListResourceRecordSets");
    sets.resource_record_sets().iter().find(|r| r.name() == format!("{name}.") && r.r#type().as_str() == "A").map(|r| {
        assert_eq!(r.ttl(), Some(10), "{r:?}");
        r.resource_records().iter().map(|v| v.value().to_owned()).collect()
    })
}

/// The discovery tier's record of `group` in a `status --json` document.
fn discovery_record<'a>(doc: &'a serde_json::Value, group: &str) -> &'a serde_json::Value {
    let records = doc["tiers"]["discovery"]["records"].as_array().expect("discovery records");
    records.iter().find(|r| r["group"] == group).unwrap_or_else(|| panic!("no record of {group}: {doc:#}"))
}

/// Sets the A record `name` to `addresses`, as someone other than the keepers would.
fn upsert(aws: &Clients, zone: &str, name: &str, addresses: &[String]) {
    use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType};
    let records: Vec<ResourceRecord> =
        addresses.iter().map(|a| ResourceRecord::builder().value(a).build().expect("record")).collect();
    let set = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .ttl(10)
        .set_resource_records(Some(records))
        .build()
        .expect("record set");
    let change = Change::builder().action(ChangeAction::Upsert).resource_record_set(set).build().expect("change");
    let batch = ChangeBatch::builder().changes(change).build().expect("batch");
    block_on(aws.route53.change_resource_record_sets().hosted_zone_id(zone).change_batch(batch).send())
        .expect("ChangeResourceRecordSets");
}

/// The group's user data as its launch template holds it.
fn user_data(aws: &Clients, template: &str) -> String {
    let versions = block_on(
        aws.ec2.describe_launch_template_versions().launch_template_name(template).versions("$Default").send(),
    )
    .expect("DescribeLaunchTemplateVersions");
    let data =
        versions.launch_template_versions()[0].launch_template_data().and_then(|d| d.user_data()).expect("user data");
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(data).expect("base64")).expect("UTF-8")
}

/// The keeper, run as the node's timer runs it: its own scratch root, the AWS CLI pointed at the emulator.
fn keep(root: &Path, keeper: &Path) -> Output {
    Command::new("bash")
        .arg(keeper)
        .env("CLUSTERUP_TEST_ROOT", root)
        .env("PATH", path_with_aws_cli())
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run the keeper")
}

#[test]
fn each_group_has_a_name_in_the_private_zone_kept_by_its_nodes_and_destroy_leaves_nothing() {
    let cli = Command::new("aws").arg("--version").env("PATH", path_with_aws_cli()).output();
    assert!(
        cli.is_ok_and(|o| o.status.success()),
        "no AWS CLI (which the nodes run the keeper with): run `scripts/emulator.sh install` (scripts/test.sh does)"
    );
    let ws = Workspace::from_example("web-tier.yaml", "dns");
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    let (head, _) = text.split_once("\napp:\n").expect("web-tier has an app section");
    std::fs::write(ws.topology(), format!("{head}\n{GROUPS}")).expect("write");
    let path = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);

    // The zone: one, private, of the deployment's VPC in its region, tagged like every resource.
    let aws = block_on(clients());
    let found = zones(&aws, &ws.name);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].config().is_some_and(|c| c.private_zone()), "{:?}", found[0]);
    let zone = found[0].id().trim_start_matches("/hostedzone/").to_owned();
    let vpcs = block_on(aws.ec2.describe_vpcs().filters(crate::apply_destroy::tag_filter(&ws.name)).send())
        .expect("DescribeVpcs");
    let vpc = vpcs.vpcs()[0].vpc_id().expect("vpc id").to_owned();
    let got = block_on(aws.route53.get_hosted_zone().id(&zone).send()).expect("GetHostedZone");
    let associated: Vec<(Option<&str>, Option<&str>)> =
        got.vpcs().iter().map(|v| (v.vpc_id(), v.vpc_region().map(|r| r.as_str()))).collect();
    assert_eq!(associated, [(Some(vpc.as_str()), Some("us-east-1"))]);
    let tags = block_on(
        aws.route53
            .list_tags_for_resource()
            .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
            .resource_id(&zone)
            .send(),
    )
    .expect("ListTagsForResource");
    let tags: std::collections::BTreeMap<&str, &str> = tags
        .resource_tag_set()
        .map(|s| s.tags())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value()?)))
        .collect();
    assert_eq!(tags.get("clusterup:deployment"), Some(&ws.name.as_str()));
    assert_eq!(tags.get("clusterup:resource"), Some(&"discovery/zone"));
    assert_eq!(tags.get("team"), Some(&"web"));

    // `output` names each group's host; every node's environment lists every group's.
    let out = clusterup(&["output", &ws.name]);
    assert_code(&out, 0);
    let shown = stdout(&out);
    for group in ["web", "workers"] {
        assert!(shown.contains(&format!("{group}.{}.internal", ws.name)), "{shown}");
    }
    let web = format!("{}-web", ws.name);
    let script = user_data(&aws, &web);
    let (_, rest) = script.split_once(ENV).expect("the user data writes app.env");
    let (env, _) = rest.split_once("\nENV\n").expect("app.env's end");
    for line in ["CLUSTERUP_GROUP=web".to_owned(), format!("CLUSTERUP_ZONE={}.internal", ws.name)] {
        assert!(env.lines().any(|l| l == line), "no line {line} in app.env:\n{env}");
    }

    // The keeper, as the user data installs it on a node of `web`.
    let (_, rest) = script.split_once(KEEPER).expect("the user data installs the keeper");
    let (keeper_text, _) = rest.split_once("\nSCRIPT\n").expect("the keeper's end");
    assert!(keeper_text.contains(&format!("--hosted-zone-id \"{zone}\"")), "{keeper_text}");
    let node = tempfile::tempdir().expect("node root");
    std::fs::create_dir_all(node.path().join("etc/clusterup")).expect("etc");
    std::fs::create_dir_all(node.path().join("var/lib/clusterup")).expect("var");
    std::fs::write(node.path().join("etc/clusterup/app.env"), format!("{env}\n")).expect("env");
    let keeper = node.path().join("dns-keeper");
    std::fs::write(&keeper, format!("{keeper_text}\n")).expect("keeper");

    let host = format!("web.{}.internal", ws.name);
    assert_eq!(record(&aws, &zone, &host), None, "no record before a node writes it");
    // status: no record yet, from nodes launched a moment ago, is no fault.
    let (code, doc) = status_json(&ws.name);
    assert_eq!(code, Some(0), "{doc:#}");
    assert_eq!(discovery_record(&doc, "web")["addresses"], serde_json::Value::Null, "{doc:#}");
    assert_eq!(doc["tiers"]["discovery"]["zone_id"], zone.as_str());
    let first = keep(node.path(), &keeper);
    assert_code(&first, 0);
    let nodes = addresses(&aws, &web);
    assert_eq!(nodes.len(), 2);
    assert_eq!(record(&aws, &zone, &host), Some(nodes.clone()));
    assert!(stdout(&first).contains(&format!("{host} -> {}", nodes.join(" "))), "{}", stdout(&first));
    // Every group's name, read from the deployment's Auto Scaling groups, in the node's app.env.
    let written = std::fs::read_to_string(node.path().join("etc/clusterup/app.env")).expect("app.env");
    let hosts: Vec<&str> = written.lines().filter(|l| l.starts_with("GROUP_HOST_")).collect();
    assert_eq!(
        hosts,
        [
            format!("GROUP_HOST_WEB=web.{}.internal", ws.name),
            format!("GROUP_HOST_WORKERS=workers.{}.internal", ws.name)
        ]
    );
    // Nothing changed: nothing written.
    let again = keep(node.path(), &keeper);
    assert_code(&again, 0);
    assert_eq!(stdout(&again), "", "wrote an unchanged set: {}", stderr(&again));
    // A third node: the record follows.
    block_on(aws.autoscaling.set_desired_capacity().auto_scaling_group_name(&web).desired_capacity(3).send())
        .expect("SetDesiredCapacity");
    assert_code(&keep(node.path(), &keeper), 0);
    let three = addresses(&aws, &web);
    assert_eq!(three.len(), 3);
    assert_eq!(record(&aws, &zone, &host), Some(three.clone()));
    let (code, doc) = status_json(&ws.name);
    assert_eq!(code, Some(0), "{doc:#}");
    let mut sorted = three.clone();
    sorted.sort();
    assert_eq!(discovery_record(&doc, "web")["addresses"], serde_json::json!(sorted), "{doc:#}");
    assert_eq!(discovery_record(&doc, "web")["in_service"], serde_json::json!(sorted), "{doc:#}");

    // A record changed behind the keepers' back: status names the address no node has (exit 3), until a
    // keeper's next write 15 minutes after its last (its mark set back here) puts it right.
    let mut stale = three.clone();
    stale.push("10.255.0.9".into());
    upsert(&aws, &zone, &host, &stale);
    let (code, doc) = status_json(&ws.name);
    assert_eq!(code, Some(3), "{doc:#}");
    let reason = doc["verdict"]["reasons"][0]["reason"].as_str().unwrap_or_default().to_owned();
    assert!(reason.starts_with(&format!("{host} lists 10.255.0.9, which no node of web in service has")), "{doc:#}");
    assert_eq!(doc["verdict"]["reasons"][0]["tier"], "discovery");
    let mark = node.path().join("var/lib/clusterup/dns-written");
    let quiet = keep(node.path(), &keeper);
    assert_eq!(stdout(&quiet), "", "wrote within 15 minutes of its last write: {}", stderr(&quiet));
    let before = std::time::SystemTime::now() - std::time::Duration::from_secs(16 * 60);
    std::fs::File::options().write(true).open(&mark).and_then(|f| f.set_modified(before)).expect("set the mark back");
    let rewrote = keep(node.path(), &keeper);
    assert_code(&rewrote, 0);
    assert!(stdout(&rewrote).contains(&format!("{host} -> ")), "{}", stdout(&rewrote));
    assert_eq!(record(&aws, &zone, &host).map(|r| r.len()), Some(3));
    assert_code(&clusterup(&["status", &ws.name]), 0);

    // Destroy empties the zone of the nodes' records, deletes it, and nothing is left.
    let destroyed = clusterup(&["destroy", "--yes", "--delete-data", &ws.name]);
    assert_code(&destroyed, 0);
    assert!(stderr(&destroyed).contains("Verified: nothing tagged"), "{}", stderr(&destroyed));
    assert!(zones(&aws, &ws.name).is_empty(), "the zone is still there");
    assert_eq!(block_on(live_tagged(&aws, &ws.name)), Vec::<String>::new());
}
