//! The price tables kept in the repository (`data/prices/<region>.json`): AWS's on-demand list prices for
//! one region, each group of figures with the AWS page that publishes it, the page it was read from, and
//! the date it was read. They are compiled in, so an estimate needs no network and no credentials.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Basis, PriceKey, Prices};

/// Every region with a table: (region, the table's text).
const TABLES: &[(&str, &str)] = &[
    ("us-east-1", include_str!("../../data/prices/us-east-1.json")),
    ("us-west-2", include_str!("../../data/prices/us-west-2.json")),
    ("eu-west-1", include_str!("../../data/prices/eu-west-1.json")),
    ("eu-central-1", include_str!("../../data/prices/eu-central-1.json")),
];

/// A table may leave out what no source could be found for (its `sources` entry then says
/// `not_priced` and why): each line that needs it is then shown as not priced, and the totals as lower
/// bounds, instead of a figure guessed from another region.
#[derive(Debug, Deserialize)]
struct Table {
    region: String,
    read_on: String,
    #[serde(default)]
    ec2_instance_hour: BTreeMap<String, f64>,
    #[serde(default)]
    rds_mysql_instance_hour: BTreeMap<String, f64>,
    #[serde(default)]
    rds_storage_gb_month: BTreeMap<String, f64>,
    #[serde(default)]
    emr_uplift_hour: BTreeMap<String, f64>,
    nat_gateway_hour: Option<f64>,
    nat_gateway_gb: Option<f64>,
    public_ipv4_hour: Option<f64>,
    alb_hour: Option<f64>,
    alb_lcu_hour: Option<f64>,
    efs_standard_gb_month: Option<f64>,
    cloudwatch_alarm_month: Option<f64>,
    route53_hosted_zone_month: Option<f64>,
}

/// The regions clusterup has a table for.
pub fn regions() -> Vec<&'static str> {
    TABLES.iter().map(|(region, _)| *region).collect()
}

/// The table's prices for `region`. A region without a table gives no prices and says why, so every
/// line of the estimate names the gap instead of guessing another region's figures.
pub fn prices(region: &str) -> Prices {
    let Some((_, text)) = TABLES.iter().find(|(r, _)| *r == region) else {
        return Prices {
            region: region.to_owned(),
            basis: Basis::Table { read_on: "none".into(), file: String::new() },
            values: BTreeMap::new(),
            missing_reason: format!(
                "no price table for {region} (clusterup has {}); use --pricing-api to ask AWS",
                regions().join(", ")
            ),
        };
    };
    // The tables are part of the build and a unit test parses each one: a broken table is a bug.
    let table: Table = match serde_json::from_str(text) {
        Ok(table) => table,
        Err(err) => {
            return Prices {
                region: region.to_owned(),
                basis: Basis::Table { read_on: "unreadable".into(), file: file(region) },
                values: BTreeMap::new(),
                missing_reason: format!("the price table {} is unreadable ({err}); this is a bug", file(region)),
            }
        }
    };
    let mut values = BTreeMap::new();
    values.extend(table.ec2_instance_hour.iter().map(|(t, p)| (PriceKey::Ec2Instance(t.clone()), *p)));
    values.extend(table.rds_mysql_instance_hour.iter().map(|(c, p)| (PriceKey::RdsMysqlInstance(c.clone()), *p)));
    values.extend(table.rds_storage_gb_month.iter().map(|(t, p)| (PriceKey::RdsStorage(t.clone()), *p)));
    values.extend(table.emr_uplift_hour.iter().map(|(t, p)| (PriceKey::EmrUplift(t.clone()), *p)));
    let scalars = [
        (PriceKey::NatGatewayHour, table.nat_gateway_hour),
        (PriceKey::NatGatewayGb, table.nat_gateway_gb),
        (PriceKey::PublicIpv4Hour, table.public_ipv4_hour),
        (PriceKey::AlbHour, table.alb_hour),
        (PriceKey::AlbLcuHour, table.alb_lcu_hour),
        (PriceKey::EfsStandardGbMonth, table.efs_standard_gb_month),
        (PriceKey::CloudWatchAlarmMonth, table.cloudwatch_alarm_month),
        (PriceKey::Route53HostedZoneMonth, table.route53_hosted_zone_month),
    ];
    values.extend(scalars.into_iter().filter_map(|(key, price)| price.map(|p| (key, p))));
    Prices {
        region: table.region,
        basis: Basis::Table { read_on: table.read_on.clone(), file: file(region) },
        values,
        missing_reason: format!("not in the price table {} (read {})", file(region), table.read_on),
    }
}

fn file(region: &str) -> String {
    format!("data/prices/{region}.json")
}
