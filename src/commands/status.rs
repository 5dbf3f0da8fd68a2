use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use super::target::resolve;
use super::{lenient, until_stopped, warn_skipped_reads, ExitStatus};
use crate::cli::AwsArgs;
use crate::cost::{self, Estimate, Item};
use crate::engine::StopSignal;
use crate::output::{clear_screen, render_status, Printer};
use crate::resources::Ctx;
use crate::status::{self, Expect, Health, Report};

/// What `status` was given.
pub struct Options {
    pub json: bool,
    pub watch: bool,
    pub interval: Duration,
    pub count: Option<u64>,
    pub cost: bool,
    pub pricing_api: bool,
}

/// `stop` is Ctrl-C for `--watch` (which ends with the last read's exit status, or 130 before the first
/// read ended); a single read is a short command and ends at once at Ctrl-C.
pub async fn run(
    g: &AwsArgs,
    target: &str,
    options: &Options,
    stop: &StopSignal,
    printer: &Printer,
) -> Result<ExitStatus> {
    let Some(super::target::Target { ctx, topology }) = until_stopped(stop, resolve(g, target, false, printer)).await?
    else {
        return Ok(ExitStatus::Interrupted);
    };
    let ctx = lenient(ctx);
    let expect = topology
        .as_ref()
        .map(|t| Expect {
            database: t.database.is_some(),
            storage: t.shared_storage.is_some(),
            spark: t.spark.is_some(),
        })
        // Without a topology, no tier is known to be missing: each is expected when any of it exists.
        .unwrap_or_default();
    if !options.watch {
        let report = read_once(&ctx, expect, options).await;
        warn_skipped_reads(&ctx, printer, "status");
        let report = report?;
        show(&report, options, printer, false)?;
        return Ok(exit_status(&report));
    }
    // Redraw in place only for a person at a terminal; logs, CI and pipes get one report after another.
    let in_place = !options.json
        && printer.progress
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var("CI").map_or(true, |ci| ci != "true");
    let mut reads = 0u64;
    let mut last = ExitStatus::Interrupted;
    loop {
        reads += 1;
        // A read is dropped where it stands at Ctrl-C: it changes nothing.
        let read = until_stopped(stop, read_once(&ctx, expect, options)).await;
        warn_skipped_reads(&ctx, printer, "status");
        last = match read {
            Ok(None) => return Ok(last),
            Ok(Some(report)) => {
                show(&report, options, printer, in_place)?;
                exit_status(&report)
            }
            // A failed read is shown and the watch goes on: the next read may succeed.
            Err(err) => {
                printer.error(&format!("{err:#}"));
                ExitStatus::Failure
            }
        };
        if options.count.is_some_and(|n| reads >= n) {
            return Ok(last);
        }
        tokio::select! {
            () = tokio::time::sleep(options.interval) => {}
            () = stop.stopped() => return Ok(last),
        }
    }
}

async fn read_once(ctx: &Ctx, expect: Expect, options: &Options) -> Result<Report> {
    let (mut report, resources) = status::collect(ctx, expect).await?;
    if !crate::resources::deployed(&resources) {
        bail!(
            "no deployment named {} in {}: nothing is tagged clusterup:deployment={} there (wrong --region or --profile?)",
            ctx.deployment,
            ctx.aws.region,
            ctx.deployment
        );
    }
    if options.cost {
        let items: Vec<Item<'_>> = resources.iter().map(Item::from).collect();
        report.cost = Some(estimate(ctx, &items, options.pricing_api).await?);
    }
    Ok(report)
}

/// The estimate of `items` in the context's region, priced by the table or the Price List API.
pub(super) async fn estimate(ctx: &Ctx, items: &[Item<'_>], pricing_api: bool) -> Result<Estimate> {
    Ok(cost::estimate(items, &prices(ctx, items, pricing_api).await?))
}

/// The prices `items` need in the context's region, from the table or the Price List API.
pub(super) async fn prices(ctx: &Ctx, items: &[Item<'_>], pricing_api: bool) -> Result<cost::Prices> {
    Ok(if pricing_api {
        let read_at = crate::aws::clock::utc_rfc3339(std::time::SystemTime::now());
        cost::api::prices(&ctx.aws.pricing, &ctx.aws.region, &cost::needed(items), read_at).await.map_err(|err| {
            anyhow!(
                "{}: {} failed: {}\n  hint: the AWS Price List API is on AWS itself (not on emulators) and needs pricing:GetProducts; without --pricing-api the estimate uses the price table in the repository",
                err.resource,
                err.call,
                err.code_and_message()
            )
        })?
    } else {
        cost::table::prices(&ctx.aws.region)
    })
}

fn show(report: &Report, options: &Options, printer: &Printer, in_place: bool) -> Result<()> {
    if options.json {
        // One document per read: with --watch, one per line (JSON Lines).
        let text = if options.watch { serde_json::to_string(report) } else { serde_json::to_string_pretty(report) };
        printer.out(&format!("{}\n", text.context("writing the report as JSON")?));
        return Ok(());
    }
    let view = render_status(report, printer.out_style());
    if in_place {
        printer.out(&format!("{}{view}", clear_screen()));
    } else if options.watch {
        printer.out(&format!("{view}\n"));
    } else {
        printer.out(&view);
    }
    Ok(())
}

/// 0 healthy, 3 degraded or down (README: exit codes).
fn exit_status(report: &Report) -> ExitStatus {
    match report.verdict.health {
        Health::Healthy => ExitStatus::Success,
        Health::Degraded | Health::Down => ExitStatus::Unhealthy,
    }
}
