//! `clusterup iam-policy FILE`: the operator policy for one deployment, as JSON on stdout.

use std::path::Path;

use anyhow::{bail, Result};

use super::{load_topology, ExitStatus};
use crate::aws::{check_credentials, connect, ConnectOptions};
use crate::cli::AwsArgs;
use crate::compose::operator_policy;
use crate::model::facts::partition_of_region;
use crate::output::Printer;

/// With `--account`, offline (the partition given, or the region's); else the caller's account and
/// partition, from STS.
pub async fn run(
    g: &AwsArgs,
    file: &Path,
    account: Option<String>,
    partition: Option<String>,
    printer: &Printer,
) -> Result<ExitStatus> {
    let topology = load_topology(file, printer)?;
    let (account, partition) = match account {
        Some(account) => (account, partition.unwrap_or_else(|| partition_of_region(&topology.region).to_owned())),
        None => {
            if let Some(region) = &g.region {
                if region != &topology.region {
                    bail!("--region {region} does not match the topology's region {}; drop --region", topology.region);
                }
            }
            let options = ConnectOptions {
                region: topology.region.clone(),
                profile: g.profile.clone(),
                endpoint_url: g.endpoint_url.clone(),
            };
            let identity = check_credentials(&connect(&options).await, g.profile.as_deref()).await?;
            let Some(partition) = crate::model::facts::partition_of(&identity.arn) else {
                bail!(
                    "STS GetCallerIdentity answered the ARN `{}`, which names no partition; pass --account (and --partition)",
                    identity.arn
                );
            };
            (identity.account, partition.to_owned())
        }
    };
    let policy = operator_policy(&topology, &account, &partition);
    printer.out(&format!("{}\n", serde_json::to_string_pretty(&policy)?));
    Ok(ExitStatus::Success)
}
