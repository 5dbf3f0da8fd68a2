//! The one way every command names a deployment that already exists (`destroy`, `output`, `status`,
//! `spark`, `force-unlock`): `NAME` or `FILE`. A topology file gives the name and the region (and is
//! checked as `validate` checks it); a bare name takes the region from `--region` or the AWS chain.

use std::path::Path;

use anyhow::{bail, Result};

use super::{context, context_for, load_topology, read, resolve_region};
use crate::cli::AwsArgs;
use crate::output::Printer;
use crate::resources::Ctx;
use crate::topology::{self, Topology};

/// What `NAME|FILE` was.
pub(super) struct Target {
    pub ctx: Ctx,
    /// The topology, when a file was given.
    pub topology: Option<Topology>,
}

/// `target` as the AWS context of its deployment; `delete_data` is destroy's `--delete-data`.
pub(super) async fn resolve(g: &AwsArgs, target: &str, delete_data: bool, printer: &Printer) -> Result<Target> {
    let path = Path::new(target);
    if path.is_file() {
        let topology = load_topology(path, printer)?;
        let ctx = context_for(g, delete_data, &topology).await?;
        return Ok(Target { ctx, topology: Some(topology) });
    }
    let looks_like_file = target.contains('/') || target.ends_with(".yaml") || target.ends_with(".yml");
    if looks_like_file {
        // Worded as every command words a file it cannot read.
        read(path)?;
        bail!("{target} is not a topology file");
    }
    if let Err(why) = topology::check_deployment_name(target) {
        bail!("`{target}` is neither a topology file nor a deployment name: {why}");
    }
    let region = resolve_region(g).await?;
    Ok(Target { ctx: context(g, delete_data, target, region, None).await?, topology: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn what_is_neither_a_file_nor_a_name_is_refused_before_any_aws_call() {
        let printer = Printer::new(true, 0, false, crate::output::ColorChoice::Never);
        let g = AwsArgs { endpoint_url: Some("http://127.0.0.1:9".into()), ..AwsArgs::default() };
        for bad in ["no/such/file.yaml", "missing.yaml", "Shop", "-x", ""] {
            let err = resolve(&g, bad, false, &printer).await.err().map(|e| format!("{e:#}")).unwrap_or_default();
            assert!(
                err.contains("no such file") || err.contains("is neither a topology file nor a deployment name: "),
                "{bad}: {err}"
            );
        }
    }
}
