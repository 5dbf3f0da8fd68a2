//! `clusterup snapshots NAME|FILE`: the deployment's DB snapshots, read from AWS.

use anyhow::Result;

use super::{target::resolve, ExitStatus};
use crate::cli::AwsArgs;
use crate::output::{render_snapshots, snapshots_json, Printer};
use crate::resources::rds::snapshots::of_deployment;

pub async fn run(g: &AwsArgs, target: &str, json: bool, printer: &Printer) -> Result<ExitStatus> {
    let ctx = resolve(g, target, false, printer).await?.ctx;
    let snapshots = of_deployment(&ctx.aws, &ctx.deployment).await?;
    if json {
        printer.out(&format!("{:#}\n", snapshots_json(&ctx.deployment, &ctx.aws.region, &snapshots)));
    } else {
        printer.out(&render_snapshots(&ctx.deployment, &ctx.aws.region, &snapshots));
    }
    Ok(ExitStatus::Success)
}
