//! `clusterup force-unlock NAME|FILE LOCK_ID`: release the lock of a run that is gone, as Terraform's
//! `force-unlock` does. The id must be the lock's, so a lock another run took since is left alone.

use anyhow::Result;

use super::target::resolve;
use super::ExitStatus;
use crate::cli::AwsArgs;
use crate::output::Printer;

pub async fn run(g: &AwsArgs, target: &str, lock_id: &str, printer: &Printer) -> Result<ExitStatus> {
    let ctx = resolve(g, target, false, printer).await?.ctx;
    let holder = crate::lock::force_unlock(&ctx.aws, &ctx.deployment, lock_id).await?;
    printer.status(&format!(
        "Released the lock of deployment {} held by `{}` ({}@{}, pid {}).",
        ctx.deployment, holder.command, holder.user, holder.host, holder.pid
    ));
    Ok(ExitStatus::Success)
}
