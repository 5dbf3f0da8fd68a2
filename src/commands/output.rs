use anyhow::{bail, Result};

use super::{context, resolve_region, ExitStatus};
use crate::cli::AwsArgs;
use crate::compose::outputs;
use crate::output::{outputs_json, render_outputs, Printer};
use crate::resources::discover_all;

pub async fn run(g: &AwsArgs, name: &str, json: bool, printer: &Printer) -> Result<ExitStatus> {
    let region = resolve_region(g).await?;
    let ctx = context(g, false, name, region.clone(), None).await?;
    let resources = discover_all(&ctx).await?;
    if resources.is_empty() {
        bail!("no deployment named {name} in {region}: nothing is tagged clusterup:deployment={name} there (wrong --region or --profile?)");
    }
    let values = outputs(&resources);
    if json {
        printer.out(&format!("{:#}\n", outputs_json(&values)));
    } else {
        printer.out(&render_outputs(&values));
    }
    Ok(ExitStatus::Success)
}
