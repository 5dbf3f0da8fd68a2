//! The discovery tier: the private hosted zone's A records (one ListResourceRecordSets per hundred
//! records) against the app tier's nodes, already read with their addresses.

use std::time::{SystemTime, UNIX_EPOCH};

use super::super::{judge, App, Discovery, GroupRecord, Judged};
use crate::model::names::discovery::{host, zone_name};
use crate::model::Actual;
use crate::resources::route53::status::a_records;
use crate::resources::{Ctx, Error};

/// The tier of the zone discovery found, judged against the groups `app` read.
pub(super) async fn tier(ctx: &Ctx, zone: &Actual, app: Option<&App>) -> Result<Discovery, Error> {
    let records = a_records(ctx, &zone.id).await?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let mut out = Vec::new();
    for group in app.iter().flat_map(|a| &a.groups) {
        // A canary's nodes run their group's keeper and keep its record; the canary has none.
        let name = match group.role.as_str() {
            "canary" => continue,
            "main" => "app",
            other => other,
        };
        let record = host(&ctx.deployment, name);
        let nodes: Vec<(String, String, Option<i64>)> = group
            .instances
            .iter()
            .filter(|i| i.lifecycle == "InService")
            .filter_map(|i| {
                let address = i.private_ip.clone()?;
                Some((address, i.id.clone(), i.launched_epoch.map(|t| now - t)))
            })
            .collect();
        let mut in_service: Vec<String> = nodes.iter().map(|n| n.0.clone()).collect();
        in_service.sort();
        let addresses = records.get(&record).map(|a| {
            let mut a = a.clone();
            a.sort();
            a
        });
        out.push(GroupRecord { group: name.to_owned(), name: record, addresses, in_service, nodes });
    }
    let mut tier = Discovery {
        judged: Judged::healthy(),
        zone: zone_name(&ctx.deployment),
        zone_id: zone.id.clone(),
        records: out,
    };
    judge::discovery(&mut tier);
    Ok(tier)
}
