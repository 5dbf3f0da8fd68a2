use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};

use super::target::resolve;
use super::{lenient, until_stopped, warn_skipped_reads, ExitStatus};
use crate::aws::clock::utc_stamp;
use crate::cli::AwsArgs;
use crate::engine::StopSignal;
use crate::output::{render_step, render_steps, Printer};
use crate::spark::{self, JobKind};

/// What `spark submit` was given.
pub struct Submit<'a> {
    pub target: &'a str,
    pub job: &'a Path,
    pub args: &'a [String],
    pub class: Option<&'a str>,
    pub name: Option<&'a str>,
    pub no_wait: bool,
    pub timeout: Duration,
}

/// `stop` is Ctrl-C: before the step is added nothing runs; once it is, clusterup stops following it and
/// the step goes on (`spark jobs` shows it).
pub async fn submit(g: &AwsArgs, submit: &Submit<'_>, stop: &StopSignal, printer: &Printer) -> Result<ExitStatus> {
    // The job is checked before anything talks to AWS.
    let kind = JobKind::of(submit.job)?;
    let body = std::fs::read(submit.job).with_context(|| format!("reading the job {}", submit.job.display()))?;
    let file_name = submit.job.file_name().and_then(|n| n.to_str()).unwrap_or("job").to_owned();
    let not_submitted = |printer: &Printer| {
        printer.status("\nInterrupted before the job was submitted: no step was added.");
        Ok(ExitStatus::Interrupted)
    };
    let prepare = async {
        let ctx = lenient(resolve(g, submit.target, false, printer).await?.ctx);
        let cluster = spark::find(&ctx).await;
        warn_skipped_reads(&ctx, printer, "spark submit");
        let cluster = cluster?;
        let key = spark::job_key(&file_name, &utc_stamp(SystemTime::now()));
        let url = spark::upload(&ctx, &cluster, &key, body).await?;
        Ok((ctx, cluster, url))
    };
    let Some((ctx, cluster, url)) = until_stopped(stop, prepare).await? else { return not_submitted(printer) };
    printer.status(&format!("Copied {} to {url}", submit.job.display()));
    let name = submit.name.map(str::to_owned).unwrap_or_else(|| format!("clusterup: {file_name}"));
    let args = spark::submit_args(kind, &url, submit.class, submit.args);
    let add = async { Ok(spark::add_step(&ctx, &cluster, &name, args).await?) };
    let Some(step_id) = until_stopped(stop, add).await? else {
        printer.status(&format!(
            "\nInterrupted while adding the step: if `clusterup spark jobs {}` lists it, it runs.",
            submit.target
        ));
        return Ok(ExitStatus::Interrupted);
    };
    printer.status(&format!("Added step {step_id} ({name}) to cluster {}", cluster.id));
    if submit.no_wait {
        let step = spark::describe(&ctx, &cluster, &step_id).await?;
        printer.out(&render_step(&step));
        return Ok(ExitStatus::Success);
    }
    let follow = async {
        Ok(spark::wait(&ctx, &cluster, &step_id, submit.timeout, |seen, waited| {
            printer.progress(&format!("  step {step_id}: {seen} ({}s)", waited.as_secs()));
        })
        .await?)
    };
    let Some(step) = until_stopped(stop, follow).await? else {
        printer.status(&format!(
            "\nStopped following step {step_id}; it goes on in cluster {}. Follow it with `clusterup spark jobs {}`.",
            cluster.id, submit.target
        ));
        return Ok(ExitStatus::Interrupted);
    };
    printer.out(&render_step(&step));
    if step.state != "COMPLETED" {
        bail!(
            "step {} ({}) on cluster {} ended {}{}\n  hint: read its logs under {} (stderr.gz), and the driver's under {}{}/containers/",
            step.id,
            step.name,
            cluster.id,
            step.state,
            // EMR gave no failure details: the state alone, and the logs say the rest.
            step.failure.as_ref().map(|f| format!(": {f}")).unwrap_or_default(),
            step.logs,
            if cluster.log_uri.ends_with('/') { cluster.log_uri.clone() } else { format!("{}/", cluster.log_uri) },
            cluster.id
        );
    }
    Ok(ExitStatus::Success)
}

pub async fn jobs(g: &AwsArgs, target: &str, limit: u16, json: bool, printer: &Printer) -> Result<ExitStatus> {
    let ctx = lenient(resolve(g, target, false, printer).await?.ctx);
    let cluster = spark::find(&ctx).await;
    warn_skipped_reads(&ctx, printer, "spark jobs");
    let cluster = cluster?;
    let steps = spark::list(&ctx, &cluster, usize::from(limit)).await?;
    if json {
        let body = serde_json::json!({ "cluster_id": cluster.id, "steps": steps });
        printer.out(&format!("{body:#}\n"));
    } else {
        printer.out(&render_steps(&cluster.id, &steps));
    }
    Ok(ExitStatus::Success)
}

/// `spark logs NAME STEP`: the step's stderr from the bucket, as it is.
pub async fn logs(g: &AwsArgs, target: &str, step: &str, printer: &Printer) -> Result<ExitStatus> {
    let ctx = lenient(resolve(g, target, false, printer).await?.ctx);
    let cluster = spark::find(&ctx).await;
    warn_skipped_reads(&ctx, printer, "spark logs");
    let text = spark::step_stderr(&ctx, &cluster?, step).await?;
    printer.out(&text);
    if !text.is_empty() && !text.ends_with('\n') {
        printer.out("\n");
    }
    Ok(ExitStatus::Success)
}
