use std::path::Path;

use super::*;
use crate::compose;
use crate::model::{Actual, Address, Desired, Kind, Value};
use crate::resources::autoscaling::group;
use crate::resources::ec2::launch_template;
use crate::topology;

fn desired(example: &str) -> Vec<Desired> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(example);
    let topology = topology::load(&path).expect("example loads").topology;
    compose::desired(&topology, &compose::offline_facts(&topology)).expect("composes")
}

fn line<'a>(estimate: &'a Estimate, address: &str) -> &'a Line {
    estimate.lines.iter().find(|l| l.address == address).unwrap_or_else(|| panic!("no line for {address}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The figures for examples/smarten-spark.yaml, pinned to data/prices/us-east-1.json (read 2026-11-30).
/// A change to the table or to what is priced shows here first.
#[test]
fn smarten_spark_costs_what_the_table_says() {
    let wanted = desired("smarten-spark.yaml");
    let items: Vec<Item<'_>> = wanted.iter().map(Item::from).collect();
    let estimate = estimate(&items, &table::prices("us-east-1"));
    assert_eq!(
        estimate.basis,
        Basis::Table { read_on: "2026-11-30".into(), file: "data/prices/us-east-1.json".into() }
    );
    // 2 x t3.large at $0.0832.
    let app = line(&estimate, "app/auto-scaling-group");
    assert_eq!(app.what, "2 x t3.large (scales to 6)");
    assert!(close(app.hourly, 0.1664), "{app:?}");
    // db.t3.medium Multi-AZ: two instances at $0.068, and 2 x 50 GB of gp3 at $0.115 per GB-month.
    let db = line(&estimate, "database/instance");
    assert!(close(db.hourly, 2.0 * 0.068 + 100.0 * 0.115 / 730.0), "{db:?}");
    assert!(close(db.monthly, 2.0 * 0.068 * 730.0 + 11.5), "{db:?}");
    // One master and two core m5.xlarge: $0.192 EC2 + $0.048 EMR each.
    let spark = line(&estimate, "spark/cluster");
    assert_eq!(spark.what, "master 1 x m5.xlarge + core 2 x m5.xlarge (EC2 + EMR)");
    assert!(close(spark.hourly, 3.0 * 0.24), "{spark:?}");
    // nat: per_az over two zones: two gateways at $0.045 and their two addresses at $0.005.
    assert!(close(line(&estimate, "network/nat-gateway/a").hourly, 0.045));
    assert_eq!(line(&estimate, "network/nat-gateway/a").note.as_deref(), Some("plus $0.045 per GB processed"));
    assert!(close(line(&estimate, "network/eip/nat-b").hourly, 0.005));
    assert!(close(line(&estimate, "load_balancer/alb").hourly, 0.0225));
    // The file system costs what is stored: nothing before apply, its rate shown.
    let fs = line(&estimate, "storage/file-system");
    assert_eq!((fs.hourly, fs.note.as_deref()), (0.0, Some("$0.30 per GB-month of data stored")));
    // The private hosted zone: $0.50 a zone-month.
    let zone = line(&estimate, "discovery/zone");
    assert!(close(zone.monthly, 0.5), "{zone:?}");
    assert_eq!(zone.what, "Route 53 private hosted zone");
    assert!(estimate.complete);
    let hourly = 0.1664 + 0.09 + 0.01 + 0.0225 + 0.136 + 11.5 / 730.0 + 0.72 + 0.5 / 730.0;
    assert!(close(estimate.total_hourly.unwrap_or_default(), hourly), "{:?}", estimate.total_hourly);
    assert!(close(estimate.total_monthly.unwrap_or_default(), 847.777), "{:?}", estimate.total_monthly);
    // The log group is billed by use (GB ingested and stored): listed as such, nothing in the totals.
    let logs = line(&estimate, "logs/app");
    assert_eq!(
        (logs.what.as_str(), logs.hourly, logs.note.as_deref()),
        ("usage-priced: per GB ingested and GB-month stored", 0.0, None)
    );
    // Nothing free is listed: 10 priced resources of the 40-odd the example makes, and the log group.
    assert_eq!(estimate.lines.len(), 11, "{:#?}", estimate.lines);
}

#[test]
fn a_region_without_a_table_has_no_total_and_says_why_once() {
    let wanted = desired("web-tier.yaml");
    let items: Vec<Item<'_>> = wanted.iter().map(Item::from).collect();
    let estimate = estimate(&items, &table::prices("eu-west-3"));
    assert!(!estimate.complete);
    assert_eq!((estimate.total_hourly, estimate.total_monthly), (None, None), "no false $0 total");
    let why = estimate.unpriced_region.as_deref().unwrap_or_default();
    assert!(why.contains("no price table for eu-west-3") && why.contains("--pricing-api"), "{why}");
    let json = serde_json::to_value(&estimate).expect("json");
    assert!(json["total_monthly"].is_null(), "{json}");
    let app = line(&estimate, "app/auto-scaling-group");
    assert_eq!(app.unpriced.len(), 1);
    assert!(
        app.unpriced[0].contains("no price table for eu-west-3") && app.unpriced[0].contains("--pricing-api"),
        "{:?}",
        app.unpriced
    );
}

#[test]
fn an_instance_type_not_in_the_table_is_named_and_left_out_of_the_total() {
    let mut wanted = desired("web-tier.yaml");
    for d in wanted.iter_mut().filter(|d| d.kind == Kind::LaunchTemplate) {
        d.props.insert(launch_template::INSTANCE_TYPE.name.into(), Value::str("m7g.large"));
    }
    let items: Vec<Item<'_>> = wanted.iter().map(Item::from).collect();
    let estimate = estimate(&items, &table::prices("us-east-1"));
    let app = line(&estimate, "app/auto-scaling-group");
    assert_eq!(app.hourly, 0.0);
    assert_eq!(
        app.unpriced,
        vec!["EC2 m7g.large per hour: not in the price table data/prices/us-east-1.json (read 2026-11-30)".to_owned()]
    );
    assert!(!estimate.complete);
    // The rest is still priced: the load balancer, one NAT gateway and its address, the private zone.
    let rest = 0.0225 + 0.045 + 0.005 + 0.5 / 730.0;
    assert!(close(estimate.total_hourly.unwrap_or_default(), rest), "{:?}", estimate.total_hourly);
}

#[test]
fn the_change_a_plan_makes_to_the_monthly_cost_reads_as_from_to_and_difference() {
    let wanted = desired("web-tier.yaml");
    let items: Vec<Item<'_>> = wanted.iter().map(Item::from).collect();
    let after = estimate(&items, &table::prices("us-east-1"));
    let mut before = after.clone();
    before.total_monthly = after.total_monthly.map(|m| m - 30.0);
    assert_eq!(after.change_from(&before).as_deref(), Some("$53.79 \u{2192} $83.79/month, +$30.00"));
    assert_eq!(before.change_from(&after).as_deref(), Some("$83.79 \u{2192} $53.79/month, -$30.00"));
    let unpriced = estimate(&items, &table::prices("eu-west-3"));
    assert_eq!(after.change_from(&unpriced), None, "no difference from figures that leave things out");
}

#[test]
fn what_exists_is_priced_from_what_aws_reports() {
    use crate::model::names;
    let template = Actual::new(Address::new(names::app::LAUNCH_TEMPLATE), Kind::LaunchTemplate, "lt-1")
        .prop(&launch_template::INSTANCE_TYPE, Value::str("t3.small"));
    // The autoscaler grew the group to 3: the cost follows.
    let group = Actual::new(Address::new(names::app::AUTO_SCALING_GROUP), Kind::AutoScalingGroup, "web-app")
        .prop(&group::LAUNCH_TEMPLATE, Value::str("lt-1"))
        .prop(&group::DESIRED, Value::Int(3))
        .prop(&group::MAX, Value::Int(3));
    let fs = Actual::new(Address::new(names::storage::FILE_SYSTEM), Kind::FileSystem, "fs-1")
        .attr("size_bytes", (10u64 * 1024 * 1024 * 1024).to_string());
    let all = [template, group, fs];
    let items: Vec<Item<'_>> = all.iter().map(Item::from).collect();
    let estimate = estimate(&items, &table::prices("us-east-1"));
    assert_eq!(line(&estimate, "app/auto-scaling-group").what, "3 x t3.small");
    assert!(close(line(&estimate, "app/auto-scaling-group").hourly, 3.0 * 0.0208));
    assert!(close(line(&estimate, "storage/file-system").monthly, 10.0 * 0.30));
}

#[test]
fn every_table_parses_and_names_its_sources() {
    for region in table::regions() {
        let prices = table::prices(region);
        assert!(!prices.values.is_empty(), "{region}: {}", prices.missing_reason);
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("data/prices/{region}.json")))
                .expect("table");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        for group in [
            "ec2_instance_hour",
            "rds_mysql_instance_hour",
            "rds_storage_gb_month",
            "emr_uplift_hour",
            "nat_gateway",
            "public_ipv4_hour",
            "application_load_balancer",
            "efs_standard_gb_month",
            "cloudwatch_alarm_month",
            "route53_hosted_zone_month",
        ] {
            let source = &doc["sources"][group];
            for field in ["aws_page", "read_on"] {
                assert!(source[field].as_str().is_some_and(|s| !s.is_empty()), "{region}: {group}.{field} missing");
            }
            // Each group says where its figures were read, or why it has none: never both, never neither.
            let text = |field: &str| source[field].as_str().is_some_and(|s| !s.is_empty());
            assert!(text("read_from") != text("not_priced"), "{region}: {group} needs read_from or not_priced");
            let figures: &[&str] = match group {
                "nat_gateway" => &["nat_gateway_hour", "nat_gateway_gb"],
                "application_load_balancer" => &["alb_hour", "alb_lcu_hour"],
                other => &[other],
            };
            for key in figures {
                let present = match &doc[key] {
                    serde_json::Value::Object(map) => !map.is_empty(),
                    value => !value.is_null(),
                };
                assert_eq!(present, text("read_from"), "{region}: {key} must be there exactly when {group} is sourced");
            }
        }
    }
}

#[test]
fn a_partial_table_prices_what_it_has_and_names_the_rest() {
    // eu-west-1's table has the nodes and the NAT gateway, not the load balancer (no source was found).
    let wanted = desired("web-tier.yaml");
    let items: Vec<Item<'_>> = wanted.iter().map(Item::from).collect();
    let estimate = estimate(&items, &table::prices("eu-west-1"));
    assert_eq!(estimate.unpriced_region, None, "the region has a table");
    assert!(!estimate.complete, "the total is a lower bound");
    let alb = line(&estimate, "load_balancer/alb");
    assert_eq!(alb.hourly, 0.0);
    assert!(alb.unpriced.iter().all(|u| u.contains("not in the price table data/prices/eu-west-1.json")), "{alb:?}");
    assert!(close(line(&estimate, "network/nat-gateway/a").hourly, 0.048));
    let app = line(&estimate, "app/auto-scaling-group");
    assert!(app.unpriced.is_empty() && app.hourly > 0.0, "{app:?}");
    assert!(estimate.total_hourly.is_some_and(|t| t > 0.048), "{:?}", estimate.total_hourly);
}
