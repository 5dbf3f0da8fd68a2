//! What the database costs: its instance class by the hour and its storage by the GB-month, twice for
//! Multi-AZ, which bills the standby's instance hours and storage as well as the primary's.

use super::instance_props::{INSTANCE_CLASS, MULTI_AZ, STORAGE_GB, STORAGE_TYPE};
use crate::model::charge::{Charge, Item, PriceKey, Quantity};

/// A read replica: a single-AZ instance of its class with the database's storage (RDS bills a replica
/// as a DB instance: https://aws.amazon.com/rds/mysql/pricing/).
pub(super) fn replica(item: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    let class = item.text(&INSTANCE_CLASS).unwrap_or("unknown");
    let storage = item.int(&STORAGE_GB).unwrap_or(0);
    // Replicas take the database's storage type; clusterup's is always gp3.
    let storage_type = "gp3";
    Some(Charge {
        what: format!("{class} read replica, {storage} GB {storage_type}"),
        parts: vec![
            (PriceKey::RdsMysqlInstance(class.to_owned()), Quantity::Hours(1.0)),
            (PriceKey::RdsStorage(storage_type.to_owned()), Quantity::GbMonths(storage as f64)),
        ],
        note: None,
    })
}

pub(super) fn database(item: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    // The composition sets all four; a resource missing one (read from AWS mid-change) is still priced,
    // naming what is unknown rather than dropping the line.
    let class = item.text(&INSTANCE_CLASS).unwrap_or("unknown");
    let multi_az = item.flag(&MULTI_AZ).unwrap_or(false);
    let storage = item.int(&STORAGE_GB).unwrap_or(0);
    let storage_type = item.text(&STORAGE_TYPE).unwrap_or("gp3");
    let copies = if multi_az { 2.0 } else { 1.0 };
    Some(Charge {
        what: format!("{class}{}, {storage} GB {storage_type}", if multi_az { " Multi-AZ" } else { "" }),
        parts: vec![
            (PriceKey::RdsMysqlInstance(class.to_owned()), Quantity::Hours(copies)),
            (PriceKey::RdsStorage(storage_type.to_owned()), Quantity::GbMonths(copies * storage as f64)),
        ],
        note: None,
    })
}
