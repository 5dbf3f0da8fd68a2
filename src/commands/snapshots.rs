//! `clusterup snapshots NAME|FILE`: the deployment's DB snapshots and EFS backups, read from AWS.

use anyhow::Result;

use super::{target::resolve, ExitStatus};
use crate::cli::AwsArgs;
use crate::output::{render_snapshots, snapshots_json, Printer};
use crate::resources::efs::recovery_points;
use crate::resources::rds::snapshots::of_deployment;

pub async fn run(g: &AwsArgs, target: &str, json: bool, printer: &Printer) -> Result<ExitStatus> {
    let ctx = resolve(g, target, false, printer).await?.ctx;
    let snapshots = of_deployment(&ctx.aws, &ctx.deployment).await?;
    let points = recovery_points::of_deployment(&ctx.aws.tagging, &ctx.aws.backup, &ctx.deployment).await?;
    let (deployment, region) = (&ctx.deployment, &ctx.aws.region);
    if json {
        printer.out(&format!("{:#}\n", snapshots_json(deployment, region, &snapshots, &points)));
    } else {
        printer.out(&render_snapshots(deployment, region, &snapshots, &points));
    }
    Ok(ExitStatus::Success)
}
