//! The file as a whole: defaults, the full form, emptiness, syntax, unknown fields, types.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::*;
use crate::topology::*;

#[test]
fn minimal_file_gets_every_default() {
    let checked = ok(MINIMAL);
    let t = checked.topology;
    assert_eq!(t.name, "web");
    assert_eq!(t.region, "us-east-1");
    assert!(t.tags.is_empty());
    assert_eq!(
        t.network,
        Network::Managed(ManagedNetwork {
            cidr: Cidr { addr: Ipv4Addr::new(10, 0, 0, 0), prefix: 16 },
            zones: Zones::Count(2),
            nat: NatMode::Single,
        })
    );
    assert_eq!(
        t.load_balancer,
        LoadBalancer {
            scheme: Scheme::InternetFacing,
            listeners: vec![Listener { port: 80, certificate_arn: None }],
            algorithm: Algorithm::RoundRobin,
            stickiness: None,
            health_check: HealthCheck {
                path: "/".into(),
                interval: Duration::from_secs(15),
                timeout: Duration::from_secs(5),
                healthy_threshold: 2,
                unhealthy_threshold: 2,
                matcher: "200-399".into(),
            },
            idle_timeout: Duration::from_secs(60),
            redirect_to_https: true,
            access_logs: false,
        }
    );
    assert_eq!(
        t.groups[0].nodes,
        App {
            instance_type: "t3.small".into(),
            image: Image::SsmParameter("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64".into()),
            port: 8080,
            capacity: Capacity { min: 2, desired: 2, max: 4 },
            scaling: None,
            user_data_template: default_user_data(),
            user_data_origin: "built-in".into(),
            min_healthy_percent: 90,
            singleton: false,
        }
    );
    let group = &t.groups[0];
    assert_eq!((t.groups.len(), group.name.as_str(), &group.route), (1, "app", &Route::Default));
    assert_eq!((group.weight, group.start_after.is_empty()), (None, true));
    assert_eq!((t.database, t.shared_storage, t.spark), (None, None, None));
    assert_eq!(t.source, source());
    // The default network has one NAT gateway, which is worth a warning; nothing else is.
    let fields: Vec<&str> = checked.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["network.nat"]);
}

pub const FULL: &str = r#"name: smarten-prod
region: us-east-1
tags: { team: bi, cost-center: "42" }
network:
  cidr: 10.20.0.0/16
  availability_zones: [us-east-1a, us-east-1b, us-east-1c]
  nat: per_az
load_balancer:
  scheme: internal
  listeners: [{ port: 80 }, { port: 443, certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/abc" }]
  algorithm: least_outstanding_requests
  stickiness: { enabled: true, type: app_cookie, cookie_name: JSESSIONID, duration: 2h }
  health_check: { path: /health, interval: 30s, timeout: 10s, healthy_threshold: 3, unhealthy_threshold: 4, matcher: "200,302" }
  idle_timeout: 120s
app:
  instance_type: t3.large
  image: ami-0123456789abcdef0
  port: 9090
  capacity: { min: 3, desired: 4, max: 6 }
  scaling: { requests_per_target: 1000 }
database:
  engine_version: "8.4.3"
  instance_class: db.r6g.large
  storage_gb: 50
  multi_az: true
  backup_retention_days: 14
  deletion: delete
  parameters: { max_connections: "500", long_query_time: 2 }
shared_storage:
  mount_path: /mnt/smarten-data
  encrypted: false
  transition_to_ia: 30d
  backups: false
spark:
  release: emr-7.13.0
  master: { instance_type: m5.2xlarge }
  core: { instance_type: r5.xlarge, count: 3 }
  task: { instance_type: c5.xlarge, count: 1 }
  scaling: { min: 2, max: 10 }
"#;

#[test]
fn full_form_sets_every_field() {
    let checked = ok(FULL);
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    let t = checked.topology;
    assert_eq!(t.tags.get("cost-center").map(String::as_str), Some("42"));
    assert_eq!(
        t.network,
        Network::Managed(ManagedNetwork {
            cidr: Cidr { addr: Ipv4Addr::new(10, 20, 0, 0), prefix: 16 },
            zones: Zones::Names(vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()]),
            nat: NatMode::PerAz,
        })
    );
    let lb = &t.load_balancer;
    assert_eq!(lb.scheme, Scheme::Internal);
    assert_eq!(lb.listeners[1].certificate_arn.as_deref(), Some("arn:aws:acm:us-east-1:123456789012:certificate/abc"));
    assert_eq!(lb.algorithm, Algorithm::LeastOutstandingRequests);
    assert_eq!(
        lb.stickiness,
        Some(Stickiness::AppCookie { cookie_name: "JSESSIONID".into(), duration: Duration::from_secs(7200) })
    );
    assert_eq!(lb.health_check.timeout, Duration::from_secs(10));
    assert_eq!((lb.health_check.healthy_threshold, lb.health_check.unhealthy_threshold), (3, 4));
    assert_eq!(lb.health_check.matcher, "200,302");
    assert_eq!(lb.idle_timeout, Duration::from_secs(120));
    assert_eq!(t.groups[0].nodes.image, Image::AmiId("ami-0123456789abcdef0".into()));
    assert_eq!(t.groups[0].nodes.port, 9090);
    assert_eq!(t.groups[0].nodes.capacity, Capacity { min: 3, desired: 4, max: 6 });
    assert_eq!(t.groups[0].nodes.scaling, Some(Scaling::RequestsPerTarget(1000)));
    let db = t.database.expect("database");
    assert_eq!(db.engine_version, "8.4.3");
    assert_eq!((db.instance_class.as_str(), db.storage_gb, db.backup_retention_days), ("db.r6g.large", 50, 14));
    assert_eq!(db.deletion, DeletionPolicy::Delete);
    // An unquoted number keeps its spelling as a parameter value.
    assert_eq!(db.parameters.get("long_query_time").map(String::as_str), Some("2"));
    let storage = t.shared_storage.expect("shared storage");
    assert_eq!(storage.mount_path, "/mnt/smarten-data");
    assert_eq!(storage.transition_to_ia, Some(Duration::from_secs(30 * 86_400)));
    assert!(!storage.encrypted && !storage.backups);
    let spark = t.spark.expect("spark");
    assert_eq!(spark.master, InstanceGroup { instance_type: "m5.2xlarge".into(), count: 1 });
    assert_eq!(spark.core, InstanceGroup { instance_type: "r5.xlarge".into(), count: 3 });
    assert_eq!(spark.task, Some(InstanceGroup { instance_type: "c5.xlarge".into(), count: 1 }));
    assert_eq!(spark.scaling, Some(SparkScaling { min: 2, max: 10, mode: SparkScalingMode::Managed }));
    // A database section makes the shared metastore the default.
    assert_eq!(spark.metastore, Metastore::SharedDatabase);
}

#[test]
fn empty_file_is_reported_at_the_start() {
    for text in ["", "\n\n", "# only a comment\n", "---\n", "~\n"] {
        let d = err(text);
        assert_eq!((d.line, d.column, d.field.as_str()), (1, 1, ""), "{text:?}");
        assert_eq!(d.message, "the topology is empty; expected a mapping with at least name, region and app");
    }
}

#[test]
fn top_level_must_be_a_mapping() {
    expect_err("- web\n", 1, 1, "", "expected a mapping with at least name, region and app");
    expect_err("just words\n", 1, 1, "", "expected a mapping with at least name, region and app");
}

#[test]
fn yaml_syntax_error_has_a_position_and_no_field() {
    expect_err("name: web: x\n", 1, 10, "", "mapping values are not allowed");
    expect_err(&minimal_with("tags: { team: \"bi }\n"), 6, 1, "", "quoted scalar");
}

#[test]
fn tab_indentation_gets_a_plain_explanation() {
    expect_err("name: web\nregion: us-east-1\napp:\n\tinstance_type: t3.small\n", 4, 1, "", "a tab cannot indent YAML");
}

#[test]
fn unknown_field_in_app_points_at_the_key_and_lists_the_fields() {
    let d = err(&minimal_with("  capcity: { min: 2 }\n"));
    assert_eq!((d.line, d.column, d.field.as_str()), (5, 3, "app.capcity"));
    assert!(d.message.starts_with("unknown field `capcity`, expected one of"), "{d}");
    assert!(d.message.contains("`capacity`"), "{d}");
}

#[test]
fn an_unknown_key_close_to_a_known_one_is_suggested_after_the_list() {
    let d = err(&minimal_with("  instnce_type: t3.small\n"));
    assert_eq!((d.line, d.column, d.field.as_str()), (5, 3, "app.instnce_type"));
    assert!(d.message.starts_with("unknown field `instnce_type`, expected one of `instance_type`, `image`"), "{d}");
    assert!(d.message.ends_with("; did you mean `instance_type`?"), "{d}");
    // Nothing close: the list alone.
    let d = err(&minimal_with("  colour: blue\n"));
    assert!(!d.message.contains("did you mean"), "{d}");
}

#[test]
fn names_aws_does_not_know_are_refused_with_the_closest_one() {
    let d = err(&minimal_with("").replace("t3.small", "t3.smal"));
    assert_eq!(d.field, "app.instance_type", "{d}");
    assert!(d.message.contains("`t3.smal` is not an EC2 instance type"), "{d}");
    assert!(d.message.ends_with("did you mean t3.small?"), "{d}");
    let d = err(&minimal_with("").replace("us-east-1", "us-east-9"));
    assert_eq!((d.line, d.column, d.field.as_str()), (2, 9, "region"), "{d}");
    assert!(d.message.contains("`us-east-9` is not an AWS region"), "{d}");
    assert!(d.message.contains("data/aws-names.json"), "the table it was checked against: {d}");
}

#[test]
fn unknown_fields_at_every_depth() {
    expect_err(&minimal_with("regoin: us-east-2\n"), 5, 1, "regoin", "unknown field `regoin`");
    expect_err(
        &minimal_with("load_balancer:\n  health_check:\n    intervall: 10s\n"),
        7,
        5,
        "load_balancer.health_check.intervall",
        "expected one of `path`, `interval`",
    );
    expect_err(
        &minimal_with("load_balancer:\n  listeners:\n    - port: 80\n      protocol: http\n"),
        8,
        7,
        "load_balancer.listeners[0].protocol",
        "unknown field `protocol`, expected `port` or `certificate_arn`",
    );
    expect_err(
        &minimal_with("spark:\n  release: emr-7.5.0\n  core: { size: 2 }\n"),
        7,
        11,
        "spark.core.size",
        "unknown field `size`",
    );
}

#[test]
fn wrong_types_name_what_was_expected() {
    expect_err(
        &minimal_with("  port: eighty\n"),
        5,
        9,
        "app.port",
        "invalid type: string \"eighty\", expected a port number from 1 to 65535",
    );
    expect_err(&minimal_with("  port: 80.5\n"), 5, 9, "app.port", "expected a port number");
    expect_err(
        &minimal_with("load_balancer: [80]\n"),
        5,
        16,
        "load_balancer",
        "expected the load_balancer section, a mapping",
    );
    expect_err(&minimal_with("database:\n  multi_az: yes\n"), 6, 13, "database.multi_az", "expected a boolean");
    expect_err(&minimal_with("tags: [a, b]\n"), 5, 7, "tags", "expected a mapping of tag keys to values");
    expect_err(
        &minimal_with("network:\n  nat: [single]\n"),
        6,
        8,
        "network.nat",
        "expected one of single, per_az, none",
    );
}

#[test]
fn name_and_region_errors_point_at_the_value() {
    let forty = "a".repeat(40);
    let text = format!("name: {forty}\nregion: us-east-1\napp:\n  instance_type: t3.small\n");
    expect_err(&text, 1, 7, "name", "is 40 characters; at most 21 are allowed");
    expect_err("name: Web\nregion: us-east-1\napp: { instance_type: t3.small }\n", 1, 7, "name", "contains `W`");
    expect_err("name: web-\nregion: us-east-1\napp: { instance_type: t3.small }\n", 1, 7, "name", "ends with a hyphen");
    expect_err("name: \"\"\nregion: us-east-1\napp: { instance_type: t3.small }\n", 1, 7, "name", "the value is empty");
    expect_err(
        "name: web\nregion: Virginia\napp: { instance_type: t3.small }\n",
        2,
        9,
        "region",
        "not an AWS region name",
    );
}

#[test]
fn missing_app_is_reported_at_the_document() {
    expect_err("name: web\nregion: us-east-1\n", 1, 1, "", "missing required field `app`");
}

#[test]
fn missing_fields_inside_a_section_point_into_it() {
    expect_err(
        "name: web\nregion: us-east-1\napp:\n  port: 80\n",
        4,
        3,
        "app",
        "missing required field `instance_type`",
    );
    expect_err("name: web\nregion: us-east-1\napp:\n", 3, 5, "app", "missing required field `instance_type`");
    expect_err("region: us-east-1\napp: { instance_type: t3.small }\n", 1, 1, "", "missing required field `name`");
}

#[test]
fn duplicate_keys_point_at_the_repeat() {
    expect_err(&minimal_with("tags:\n  team: a\n  team: b\n"), 7, 3, "tags.team", "duplicate key `team`");
    expect_err(
        &minimal_with("  instance_type: t3.large\n"),
        5,
        3,
        "app.instance_type",
        "duplicate key `instance_type`",
    );
}

#[test]
fn only_one_document() {
    expect_err(&minimal_with("---\nname: other\n"), 5, 1, "", "more than one YAML document");
}

#[test]
fn byte_order_mark_is_ignored() {
    assert_eq!(ok(&format!("\u{feff}{MINIMAL}")).topology.name, "web");
    expect_err("\u{feff}name: Web\nregion: us-east-1\napp: { instance_type: t3.small }\n", 1, 7, "name", "`Web`");
}

#[test]
fn sections_written_empty_get_their_defaults() {
    let t = ok(&minimal_with("network:\nload_balancer:\ndatabase:\nshared_storage:\n")).topology;
    let db = t.database.expect("`database:` with no value is a database with defaults");
    assert_eq!((db.engine_version.as_str(), db.instance_class.as_str()), ("8.4", "db.t3.medium"));
    assert_eq!((db.storage_gb, db.multi_az, db.backup_retention_days), (20, true, 7));
    assert_eq!(db.deletion, DeletionPolicy::Snapshot);
    assert!(db.parameters.is_empty());
    let storage = t.shared_storage.expect("shared storage with defaults");
    assert_eq!(
        storage,
        SharedStorage { mount_path: "/mnt/data".into(), encrypted: true, transition_to_ia: None, backups: true }
    );
}

#[test]
fn tags_are_checked_where_written() {
    let t = ok(&minimal_with("tags: { team: bi, cost-center: 42, owner: \"a.b@example.com\" }\n")).topology;
    assert_eq!(t.tags.len(), 3);
    expect_err(&minimal_with("tags:\n  aws:team: x\n"), 6, 3, "tags.aws:team", "aws: prefix is reserved");
    expect_err(&minimal_with("tags:\n  clusterup:x: y\n"), 6, 3, "tags.clusterup:x", "clusterup: prefix is reserved");
    expect_err(&minimal_with("tags:\n  Name: web\n"), 6, 3, "tags.Name", "sets the Name tag");
    expect_err(&minimal_with("tags:\n  team: \"a;b\"\n"), 6, 9, "tags.team", "contains `;`");
    let long = "v".repeat(257);
    expect_err(&minimal_with(&format!("tags:\n  team: {long}\n")), 6, 9, "tags.team", "at most 256 characters");
    let forty_one: String = (0..41).map(|i| format!("  k{i}: v\n")).collect();
    expect_err(&minimal_with(&format!("tags:\n{forty_one}")), 46, 3, "tags.k40", "more than 40 tags");
}

#[test]
fn diagnostic_display_omits_an_empty_field() {
    let mut d =
        Diagnostic { file: "t.yaml".into(), line: 3, column: 9, field: "app.port".into(), message: "bad".into() };
    assert_eq!(d.to_string(), "t.yaml:3:9: app.port: bad");
    d.field.clear();
    assert_eq!(d.to_string(), "t.yaml:3:9: bad");
    assert_eq!(TopologyError::Invalid(d).to_string(), "t.yaml:3:9: bad");
}

#[test]
fn the_iam_section_names_a_permissions_boundary_and_a_bad_arn_is_located() {
    let arn = "arn:aws:iam::123456789012:policy/clusterup-boundary";
    let checked = ok(&minimal_with(&format!("iam:\n  permissions_boundary: {arn}\n")));
    assert_eq!(checked.topology.iam.permissions_boundary.as_deref(), Some(arn));
    assert_eq!(ok(&minimal_with("iam:\n")).topology.iam.permissions_boundary, None);
    assert_eq!(ok(MINIMAL).topology.iam.permissions_boundary, None);
    expect_err(
        &minimal_with("iam:\n  permissions_boundary: arn:aws:iam::123456789012:role/r\n"),
        6,
        25,
        "iam.permissions_boundary",
        "is not an IAM policy ARN",
    );
}

#[test]
fn the_default_user_data_keeps_its_commands_and_drops_its_comments() {
    let script = default_user_data();
    assert!(script.starts_with("#!/bin/bash\n# clusterup's default app-node bootstrap"), "{script}");
    let comments: Vec<&str> = script
        .lines()
        .skip(2)
        .filter(|l| l.trim_start().starts_with('#'))
        .filter(|l| !l.trim_start().starts_with("#!") && !l.trim_start().starts_with("# shellcheck "))
        .collect();
    assert_eq!(comments, Vec::<&str>::new());
    // The scripts it installs keep their interpreter line, and every command line is there.
    assert_eq!(script.matches("#!/bin/bash").count(), DEFAULT_USER_DATA.matches("#!/bin/bash").count());
    let commands = |text: &str| text.lines().filter(|l| !l.trim_start().starts_with('#')).count();
    assert_eq!(commands(&script), commands(DEFAULT_USER_DATA));
    assert!(script.len() * 10 < DEFAULT_USER_DATA.len() * 8, "{} of {} bytes", script.len(), DEFAULT_USER_DATA.len());
}
