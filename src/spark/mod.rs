//! Work on the deployment's Spark cluster from the operator's machine: a job file (`.py` or `.jar`) is
//! copied to the deployment's bucket and run as an EMR step (`spark-submit --deploy-mode cluster` through
//! `command-runner.jar`), followed until it ends; the recent steps can be listed.
//!
//! The cluster and the bucket are found the way discovery finds them (the cluster's name and tag, the
//! bucket's name and tag), so nothing local is needed but the job file.

use std::path::Path;
use std::time::Duration;

use aws_sdk_emr::types::{ActionOnFailure, HadoopJarStepConfig, StepConfig};
use aws_smithy_types::date_time::DateTime;
use serde::Serialize;

use crate::aws::clock::rfc3339;
use crate::aws::{poll, AwsError, PollPolicy, PollStatus, Required, ResultExt};
use crate::model::names::spark::{CLUSTER, LOG_PREFIX};
use crate::model::Kind;
use crate::resources::emr::cluster::LOG_URI;
use crate::resources::{of, Ctx};

/// Where jobs are copied in the deployment's bucket, next to the bootstrap script and EMR's logs (the
/// cluster nodes' role may read there: `compose::policies`).
pub const JOB_PREFIX: &str = crate::model::names::spark::JOBS_PREFIX;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Resources(#[from] crate::resources::Error),
    #[error("deployment {deployment} has no running Spark cluster in {region}\n  hint: {hint}")]
    NoCluster { deployment: String, region: String, hint: String },
    #[error("{path}: {reason}\n  hint: {hint}")]
    Job { path: String, reason: String, hint: &'static str },
    #[error("step {step} has no stderr at {url} yet\n  hint: EMR copies a step's logs to the bucket every few minutes while it runs and once it ends; `clusterup spark jobs` shows its state")]
    NoStepLog { step: String, url: String },
    #[error("{url}: {reason}\n  hint: download it with `aws s3 cp {url} -` and read it by hand")]
    BadStepLog { url: String, reason: String },
    #[error("step {step} is still {state} after {}s of waiting; it goes on without clusterup\n  hint: follow it with `clusterup spark jobs` (or the EMR console); its logs will be under {logs}", waited.as_secs())]
    StillRunning { step: String, state: String, waited: Duration, logs: String },
}

/// `90s`, `30m`, `2h`: how long to follow a step.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number.parse().map_err(|_| format!("expected a duration such as 90s, 30m or 2h, not {text:?}"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("expected a duration such as 90s, 30m or 2h, not {text:?}")),
    };
    if seconds == 0 {
        return Err("the duration must be more than 0".into());
    }
    Ok(Duration::from_secs(seconds))
}

/// The deployment's cluster and bucket.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub id: String,
    pub bucket: String,
    /// `s3://<bucket>/logs/`, where EMR writes each step's logs.
    pub log_uri: String,
}

/// A job file's kind, from its extension: what spark-submit is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Python,
    Jar,
}

impl JobKind {
    pub fn of(path: &Path) -> Result<JobKind, Error> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("py") => Ok(JobKind::Python),
            Some("jar") => Ok(JobKind::Jar),
            _ => Err(Error::Job {
                path: path.display().to_string(),
                reason: "not a Spark job: expected a .py or a .jar file".into(),
                hint: "pass a PySpark script (.py) or an application jar (.jar)",
            }),
        }
    }
}

/// The active cluster and its bucket, found as discovery finds them.
pub async fn find(ctx: &Ctx) -> Result<Cluster, Error> {
    let (clusters, buckets) =
        tokio::try_join!(of(Kind::EmrCluster).discover(ctx, None), of(Kind::Bucket).discover(ctx, None))?;
    let no_cluster =
        |hint: String| Error::NoCluster { deployment: ctx.deployment.clone(), region: ctx.aws.region.clone(), hint };
    let Some(cluster) = clusters.iter().find(|c| c.address.as_str() == CLUSTER) else {
        return Err(no_cluster(
            "a topology with a `spark:` section makes one with `clusterup apply`; `clusterup status` says what happened to it".into(),
        ));
    };
    let Some(bucket) = buckets.first() else {
        return Err(no_cluster(format!(
            "the cluster {} runs but the deployment's bucket is gone; run `clusterup apply` to make it again",
            cluster.id
        )));
    };
    let log_uri = cluster.text(&LOG_URI).filter(|u| !u.is_empty()).map(str::to_owned);
    Ok(Cluster {
        id: cluster.id.clone(),
        log_uri: log_uri.unwrap_or_else(|| format!("s3://{}/{LOG_PREFIX}", bucket.id)),
        bucket: bucket.id.clone(),
    })
}

/// The key a job is copied to: its own folder per submission (UTC time and a random suffix, for two
/// submissions within a second), so a resubmitted job never overwrites the file a running step reads.
pub fn job_key(file_name: &str, stamp: &str) -> String {
    format!("{JOB_PREFIX}{stamp}-{:04x}/{file_name}", fastrand::u16(..))
}

/// spark-submit's arguments for a job at `job_url`: cluster deploy mode (the driver runs on the cluster,
/// so the step survives the operator's machine going away), a jar's main class if given, then the job's
/// own arguments.
pub fn submit_args(kind: JobKind, job_url: &str, class: Option<&str>, args: &[String]) -> Vec<String> {
    let mut out = vec!["spark-submit".to_owned(), "--deploy-mode".to_owned(), "cluster".to_owned()];
    if let (JobKind::Jar, Some(class)) = (kind, class) {
        out.extend(["--class".to_owned(), class.to_owned()]);
    }
    out.push(job_url.to_owned());
    out.extend(args.iter().cloned());
    out
}

/// Copy the job to the bucket; its `s3://` URL.
pub async fn upload(ctx: &Ctx, cluster: &Cluster, key: &str, body: Vec<u8>) -> Result<String, Error> {
    ctx.aws
        .s3
        .put_object()
        .bucket(&cluster.bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .call("PutObject", &format!("s3://{}/{key}", cluster.bucket))?;
    Ok(format!("s3://{}/{key}", cluster.bucket))
}

/// Add the step; its id. A failed job leaves the cluster running (`CONTINUE`): the cluster is shared.
pub async fn add_step(ctx: &Ctx, cluster: &Cluster, name: &str, args: Vec<String>) -> Result<String, Error> {
    let step = StepConfig::builder()
        .name(name)
        .action_on_failure(ActionOnFailure::Continue)
        .hadoop_jar_step(HadoopJarStepConfig::builder().jar("command-runner.jar").set_args(Some(args)).build())
        .build();
    let out = ctx
        .aws
        .emr
        .add_job_flow_steps()
        .job_flow_id(&cluster.id)
        .steps(step)
        .send()
        .await
        .call("AddJobFlowSteps", &cluster.id)?;
    out.step_ids()
        .first()
        .cloned()
        .ok_or_else(|| AwsError::local(&cluster.id, "AddJobFlowSteps", "EMR answered without the step's id").into())
}

/// One step as the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepInfo {
    pub id: String,
    pub name: String,
    /// `PENDING`, `RUNNING`, `COMPLETED`, `CANCELLED`, `FAILED`, `INTERRUPTED`, ...
    pub state: String,
    pub created: Option<String>,
    pub ended: Option<String>,
    /// EMR's reason for a failure, and the log file it points at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Where EMR writes this step's logs (controller, stderr, stdout).
    pub logs: String,
}

impl StepInfo {
    pub fn finished(&self) -> bool {
        matches!(self.state.as_str(), "COMPLETED" | "CANCELLED" | "FAILED" | "INTERRUPTED")
    }
}

/// The folder EMR writes a step's logs to (`<log uri><cluster>/steps/<step>/`). The driver's own log of a
/// cluster-mode job is with YARN's container logs, `<log uri><cluster>/containers/`.
pub fn step_logs(log_uri: &str, cluster_id: &str, step_id: &str) -> String {
    let base = if log_uri.ends_with('/') { log_uri.to_owned() } else { format!("{log_uri}/") };
    format!("{base}{cluster_id}/steps/{step_id}/")
}

fn time_text(time: Option<&DateTime>) -> Option<String> {
    time.and_then(rfc3339)
}

/// A step as `call` (DescribeStep, ListSteps) reports it; its id, name and state are always there.
fn info(step: &aws_sdk_emr::types::Step, cluster: &Cluster, call: &'static str) -> Result<StepInfo, AwsError> {
    let status = step.status();
    let id = step.id().required(call, "Id", &cluster.id)?.to_owned();
    let failure = status.and_then(|s| s.failure_details()).map(|f| {
        let mut text = [f.reason(), f.message()].into_iter().flatten().collect::<Vec<_>>().join(": ");
        if let Some(log) = f.log_file() {
            text.push_str(&format!(" (log: {log})"));
        }
        text
    });
    Ok(StepInfo {
        logs: step_logs(&cluster.log_uri, &cluster.id, &id),
        name: step.name().required(call, "Name", &id)?.to_owned(),
        state: status.and_then(|s| s.state()).required(call, "Status.State", &id)?.as_str().to_owned(),
        id,
        created: time_text(status.and_then(|s| s.timeline()).and_then(|t| t.creation_date_time())),
        ended: time_text(status.and_then(|s| s.timeline()).and_then(|t| t.end_date_time())),
        failure: failure.filter(|f| !f.is_empty()),
    })
}

/// The step now.
pub async fn describe(ctx: &Ctx, cluster: &Cluster, step_id: &str) -> Result<StepInfo, Error> {
    let out = ctx
        .aws
        .emr
        .describe_step()
        .cluster_id(&cluster.id)
        .step_id(step_id)
        .send()
        .await
        .call("DescribeStep", step_id)?;
    let step = out.step().ok_or_else(|| AwsError::local(step_id, "DescribeStep", "EMR answered without the step"))?;
    Ok(info(step, cluster, "DescribeStep")?)
}

/// Follow the step until it ends (any end: the caller judges it), telling `progress` each state seen.
/// Steps run for minutes to hours: the looks grow to every 10 s.
pub async fn wait(
    ctx: &Ctx,
    cluster: &Cluster,
    step_id: &str,
    timeout: Duration,
    mut progress: impl FnMut(&str, Duration),
) -> Result<StepInfo, Error> {
    // The deadline is kept here rather than by the poller: running out of patience is not an AWS failure.
    let policy = PollPolicy {
        first_delay: Duration::from_secs(2),
        factor: 1.5,
        max_delay: Duration::from_secs(10),
        timeout: Duration::MAX,
        jitter: 0.5,
    };
    let last_seen = std::sync::Mutex::new(String::from("PENDING"));
    let following = poll(
        policy,
        step_id,
        "DescribeStep",
        |seen, waited| {
            if let Ok(mut last) = last_seen.lock() {
                seen.clone_into(&mut last);
            }
            progress(seen, waited)
        },
        || async {
            let step = describe(ctx, cluster, step_id).await.map_err(|err| match err {
                Error::Aws(err) => err,
                other => AwsError::local(step_id, "DescribeStep", other.to_string()),
            })?;
            Ok(if step.finished() { PollStatus::Ready(step) } else { PollStatus::Pending(step.state.clone()) })
        },
    );
    match tokio::time::timeout(timeout, following).await {
        Ok(step) => Ok(step?),
        Err(_) => Err(Error::StillRunning {
            step: step_id.to_owned(),
            // A progress callback that panicked still left the last state it saw.
            state: last_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone(),
            waited: timeout,
            logs: step_logs(&cluster.log_uri, &cluster.id, step_id),
        }),
    }
}

/// The cluster's most recent steps (EMR lists newest first), at most `limit`.
pub async fn list(ctx: &Ctx, cluster: &Cluster, limit: usize) -> Result<Vec<StepInfo>, Error> {
    let out = ctx.aws.emr.list_steps().cluster_id(&cluster.id).send().await.call("ListSteps", &cluster.id)?;
    let steps: Result<Vec<StepInfo>, AwsError> = out
        .steps()
        .iter()
        .take(limit)
        .map(|s| {
            // ListSteps' summaries carry the same fields as DescribeStep's step.
            let step = aws_sdk_emr::types::Step::builder()
                .set_id(s.id().map(str::to_owned))
                .set_name(s.name().map(str::to_owned))
                .set_status(s.status().cloned())
                .build();
            info(&step, cluster, "ListSteps")
        })
        .collect();
    Ok(steps?)
}

#[cfg(test)]
mod tests;

/// The bucket and key of a step's `stderr.gz` (`<log uri><cluster>/steps/<step>/stderr.gz`), or `None`
/// when the log URI is not an `s3://` one.
pub fn stderr_location(cluster: &Cluster, step_id: &str) -> Option<(String, String)> {
    let folder = step_logs(&cluster.log_uri, &cluster.id, step_id);
    let (bucket, prefix) = folder.strip_prefix("s3://")?.split_once('/')?;
    Some((bucket.to_owned(), format!("{prefix}stderr.gz")))
}

/// A step's standard error as EMR wrote it to the bucket (gzip, which this unpacks), as text.
pub async fn step_stderr(ctx: &Ctx, cluster: &Cluster, step_id: &str) -> Result<String, Error> {
    let url = format!("{}stderr.gz", step_logs(&cluster.log_uri, &cluster.id, step_id));
    let bad = |reason: String| Error::BadStepLog { url: url.clone(), reason };
    let (bucket, key) = stderr_location(cluster, step_id).ok_or_else(|| bad("not an s3:// location".into()))?;
    let got = ctx.aws.s3.get_object().bucket(&bucket).key(&key).send().await.call("GetObject", &url);
    let Some(object) = crate::aws::Outcome::found(got)? else {
        return Err(Error::NoStepLog { step: step_id.to_owned(), url });
    };
    let body = object.body.collect().await.map_err(|e| bad(format!("reading it failed: {e}")))?.into_bytes();
    gunzip(&body).map_err(|e| bad(format!("not a gzip file EMR writes: {e}")))
}

/// The text of a gzip file (lossy: a log may hold bytes that are not UTF-8).
pub fn gunzip(bytes: &[u8]) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut text)?;
    Ok(String::from_utf8_lossy(&text).into_owned())
}
