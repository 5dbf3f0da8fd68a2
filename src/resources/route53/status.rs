//! What `status` reads of the private hosted zone: the A records the node groups' DNS keepers wrote.

use std::collections::BTreeMap;

use aws_sdk_route53::types::RrType;

use super::hosted_zone::record_sets;
use crate::aws::AwsError;
use crate::model::names::discovery::ZONE;
use crate::resources::Ctx;

/// Every A record of the zone `id`: its name (lower case, without the root's dot) and its addresses.
/// One ListResourceRecordSets per hundred records, whatever the number of nodes.
pub async fn a_records(ctx: &Ctx, id: &str) -> Result<BTreeMap<String, Vec<String>>, AwsError> {
    let sets = record_sets(ctx, id, ZONE).await?;
    Ok(sets
        .iter()
        .filter(|set| set.r#type() == &RrType::A)
        .map(|set| {
            let name = set.name().trim_end_matches('.').to_ascii_lowercase();
            let addresses = set.resource_records().iter().map(|r| r.value().to_owned()).collect();
            (name, addresses)
        })
        .collect())
}
