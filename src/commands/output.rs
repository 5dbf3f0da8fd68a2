use anyhow::{bail, Result};

use super::target::resolve;
use super::{lenient, warn_skipped_reads, ExitStatus};
use crate::cli::AwsArgs;
use crate::compose::outputs;
use crate::output::{outputs_json, render_outputs, Printer};
use crate::resources::discover_all;

/// The outputs of the deployment `target` names (NAME or FILE), read from AWS.
pub async fn run(g: &AwsArgs, target: &str, json: bool, printer: &Printer) -> Result<ExitStatus> {
    let ctx = lenient(resolve(g, target, false, printer).await?.ctx);
    let resources = discover_all(&ctx).await;
    warn_skipped_reads(&ctx, printer, "output");
    let resources = resources?;
    if !crate::resources::deployed(&resources) {
        let (name, region) = (&ctx.deployment, &ctx.aws.region);
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
