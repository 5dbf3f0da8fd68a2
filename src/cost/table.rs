//! The price tables kept in the repository (`data/prices/<region>.json`): AWS's on-demand list prices for
//! one region, each group of figures with the AWS page that publishes it, the page it was read from, and
//! the date it was read. They are compiled in, so an estimate needs no network and no credentials.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Basis, PriceKey, Prices};

/// Every region with a table: (region, the table's text).
const TABLES: &[(&str, &str)] = &[("us-east-1", include_str!("../../data/prices/us-east-1.json"))];

#[derive(Debug, Deserialize)]
struct Table {
    region: String,
    read_on: String,
    ec2_instance_hour: BTreeMap<String, f64>,
    rds_mysql_instance_hour: BTreeMap<String, f64>,
    rds_storage_gb_month: BTreeMap<String, f64>,
    emr_uplift_hour: BTreeMap<String, f64>,
    nat_gateway_hour: f64,
    nat_gateway_gb: f64,
    public_ipv4_hour: f64,
    alb_hour: f64,
    alb_lcu_hour: f64,
    efs_standard_gb_month: f64,
    cloudwatch_alarm_month: f64,
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
    values.extend([
        (PriceKey::NatGatewayHour, table.nat_gateway_hour),
        (PriceKey::NatGatewayGb, table.nat_gateway_gb),
        (PriceKey::PublicIpv4Hour, table.public_ipv4_hour),
        (PriceKey::AlbHour, table.alb_hour),
        (PriceKey::AlbLcuHour, table.alb_lcu_hour),
        (PriceKey::EfsStandardGbMonth, table.efs_standard_gb_month),
        (PriceKey::CloudWatchAlarmMonth, table.cloudwatch_alarm_month),
    ]);
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
