//! `clusterup spark submit` and `spark jobs`, and `status` of the Spark deployment, against the
//! emulator. The emulator adds steps but never runs them (moto keeps the first step RUNNING and the
//! others PENDING), so here the step EMR was given is checked (its arguments, the job copied to the
//! bucket) and the wait is seen to time out naming the state; following a step to COMPLETED is covered
//! with SDK mocks in src/spark/tests.rs.

use crate::apply_destroy::block_on;
use crate::spark::active_clusters;
use crate::status::status_json;
use crate::support::{
    assert_code, clients, clusterup, clusterup_with_endpoint, stderr, stdout, CallCounter, Workspace,
};

#[test]
fn spark_submit_adds_a_cluster_mode_step_and_status_names_a_terminated_cluster() {
    let ws = Workspace::from_example("smarten-spark.yaml", "sparkjob");
    let topology = ws.topology().to_string_lossy().into_owned();
    let name = ws.name.clone();
    let c = block_on(clients());
    // Before apply: the plan ends with the cost of what it creates, per hour and month, with the date of
    // the prices (the figures are pinned by the unit test in src/cost/tests.rs).
    let plan = clusterup(&["plan", &topology]);
    assert_code(&plan, 0);
    let text = stdout(&plan);
    assert!(
        text.contains("Estimated cost once applied (us-east-1, on demand, list prices read 2026-11-30):"),
        "{text}"
    );
    let total = text.lines().find(|l| l.trim_start().starts_with("Total")).unwrap_or_else(|| panic!("{text}"));
    // With the private hosted zone's $0.50 a month.
    assert!(total.contains("$1.1613/h") && total.contains("$847.78/month"), "{total}");
    let json = clusterup(&["plan", "--json", &topology]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("plan --json");
    assert_eq!(doc["cost"]["basis"]["read_on"], "2026-11-30");
    assert!((doc["cost"]["total_monthly"].as_f64().expect("total") - 847.777).abs() < 1e-6);

    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);

    // Every tier is there and healthy; the emulator has no FreeStorageSpace datapoint yet.
    let (code, doc) = status_json(&topology);
    assert_eq!(code, Some(0), "{doc:#}");
    for tier in ["load_balancer", "app", "database", "storage", "spark"] {
        assert_eq!(doc["tiers"][tier]["health"], "healthy", "{tier}: {doc:#}");
    }
    assert_eq!(doc["tiers"]["spark"]["groups"].as_array().map(Vec::len), Some(2), "master and core");
    assert_eq!(doc["tiers"]["database"]["multi_az"], true);
    // The emulator launcher answers CloudWatch's rpcv2Cbor protocol, but moto has no RDS metrics: the free
    // storage is unknown there, with a note, and does not change the tier's health (read with SDK mocks in
    // src/status/collect.rs).
    let note = doc["tiers"]["database"]["free_storage_note"].as_str().unwrap_or_default().to_owned();
    assert_eq!(note, "CloudWatch has no FreeStorageSpace datapoint in the last 15 minutes");
    assert_eq!(doc["tiers"]["storage"]["mount_targets"].as_array().map(Vec::len), Some(2));

    // Submit a job without waiting: copied to the bucket, added as spark-submit in cluster mode.
    let job = ws.dir.path().join("report_job.py");
    std::fs::write(&job, "from pyspark.sql import SparkSession\nprint('report')\n").expect("job");
    let job_path = job.to_string_lossy().into_owned();
    let out = clusterup(&["spark", "submit", "--no-wait", &topology, &job_path, "--month", "2026-11"]);
    assert_code(&out, 0);
    let text = stdout(&out);
    let cluster_id = active_clusters_id(&c, &name);
    let step_id = text
        .lines()
        .find_map(|l| l.strip_prefix("step  "))
        .and_then(|l| l.split(' ').next())
        .expect("step id")
        .to_owned();
    assert!(text.contains("state RUNNING"), "{text}");
    let bucket_prefix = format!("s3://clusterup-{name}-");
    let logs = text.lines().find_map(|l| l.strip_prefix("logs  ")).expect("logs line");
    assert!(
        logs.starts_with(&bucket_prefix) && logs.ends_with(&format!("/logs/{cluster_id}/steps/{step_id}/")),
        "{logs}"
    );

    let steps = block_on(c.emr.list_steps().cluster_id(&cluster_id).send()).expect("steps");
    let step = steps.steps().iter().find(|s| s.id() == Some(step_id.as_str())).expect("the step");
    assert_eq!(step.name(), Some("clusterup: report_job.py"));
    assert_eq!(step.action_on_failure().map(|a| a.as_str()), Some("CONTINUE"));
    let config = step.config().expect("config");
    assert_eq!(config.jar(), Some("command-runner.jar"));
    let args = config.args();
    assert_eq!(&args[..3], ["spark-submit", "--deploy-mode", "cluster"]);
    assert_eq!(&args[4..], ["--month", "2026-11"]);
    let url = &args[3];
    assert!(url.starts_with(&bucket_prefix) && url.ends_with("/report_job.py") && url.contains("/jobs/"), "{url}");
    let (bucket, key) = url.trim_start_matches("s3://").split_once('/').expect("s3 url");
    let copied = block_on(async {
        let object = c.s3.get_object().bucket(bucket).key(key).send().await.expect("the job is in the bucket");
        object.body.collect().await.expect("body").into_bytes().to_vec()
    });
    assert_eq!(copied, std::fs::read(&job).expect("job"));

    // The step's stderr: none yet (the emulator never runs it), then as EMR writes it, gzipped, under the
    // cluster's log URI.
    let out = clusterup(&["spark", "logs", &name, &step_id]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains(&format!("step {step_id} has no stderr at {logs}stderr.gz yet")), "{}", stderr(&out));
    let (log_bucket, log_folder) = logs.trim_start_matches("s3://").split_once('/').expect("s3 url");
    let stderr_text =
        "26/12/06 23:40:01 INFO SparkContext: Running Spark version 3.5.2\nTraceback: ValueError: bad month\n";
    let gz = {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(stderr_text.as_bytes()).expect("gzip");
        encoder.finish().expect("gzip")
    };
    block_on(c.s3.put_object().bucket(log_bucket).key(format!("{log_folder}stderr.gz")).body(gz.into()).send())
        .expect("put stderr.gz");
    let out = clusterup(&["spark", "logs", &topology, &step_id]);
    assert_code(&out, 0);
    assert_eq!(stdout(&out), stderr_text);

    // Waiting: the emulator never ends a step, so the wait gives up, naming the step and what it saw.
    let out = clusterup(&[
        "spark",
        "submit",
        "--timeout",
        "3s",
        "--name",
        "second",
        &name,
        &job_path,
        "--region",
        "us-east-1",
    ]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("is still PENDING after 3s of waiting; it goes on without clusterup"),
        "{}",
        stderr(&out)
    );

    // Listed, newest first; status shows them running and pending.
    let out = clusterup(&["spark", "jobs", "--json", "--region", "us-east-1", &name]);
    assert_code(&out, 0);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let names: Vec<&str> =
        listed["steps"].as_array().expect("steps").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["second", "clusterup: report_job.py"]);
    let out = clusterup(&["spark", "jobs", &topology]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains(&step_id), "{}", stdout(&out));
    let (_, doc) = status_json(&name);
    assert_eq!(doc["tiers"]["spark"]["steps"].as_array().map(Vec::len), Some(2));

    // The database stopped behind clusterup's back: down, the deployment degraded (the app still serves).
    block_on(c.rds.stop_db_instance().db_instance_identifier(format!("{name}-db")).send()).expect("stop db");
    let out = clusterup(&["status", &topology]);
    assert_code(&out, 3);
    let line = stdout(&out).lines().last().unwrap_or_default().to_owned();
    assert_eq!(line, format!("degraded: database: {name}-db is stopped"));
    block_on(c.rds.start_db_instance().db_instance_identifier(format!("{name}-db")).send()).expect("start db");

    // The cluster terminated behind clusterup's back: the spark tier is down, the deployment degraded.
    block_on(c.emr.terminate_job_flows().job_flow_ids(&cluster_id).send()).expect("terminate");
    let out = clusterup(&["status", &topology]);
    assert_code(&out, 3);
    let line = stdout(&out).lines().last().unwrap_or_default().to_owned();
    assert!(line.starts_with("degraded: "), "{line}");
    assert!(line.contains(&format!("spark: cluster {cluster_id} is TERMINATED")), "{line}");
    let (code, doc) = status_json(&name);
    assert_eq!((code, doc["tiers"]["spark"]["health"].as_str()), (Some(3), Some("down")));
    let out = clusterup(&["spark", "submit", "--no-wait", &topology, &job_path]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains(&format!("deployment {name} has no running Spark cluster in us-east-1")),
        "{}",
        stderr(&out)
    );

    // What it costs, from what exists (the cluster is gone, so no EMR line).
    let out = clusterup(&["status", "--cost", &topology]);
    assert!(
        stdout(&out).contains("list prices read 2026-11-30")
            && stdout(&out).contains("db.t3.medium Multi-AZ, 50 GB gp3"),
        "{}",
        stdout(&out)
    );

    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
}

fn active_clusters_id(c: &crate::support::Clients, name: &str) -> String {
    let clusters = block_on(active_clusters(c, name));
    assert_eq!(clusters.len(), 1);
    clusters[0].id().expect("id").to_owned()
}

/// A file that is not a job is refused before any AWS call.
#[test]
fn spark_submit_refuses_a_file_that_is_not_a_job_before_calling_aws() {
    let counter = CallCounter::start();
    let dir = tempfile::tempdir().expect("dir");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a job").expect("write");
    let out = clusterup_with_endpoint(
        &counter.url,
        &["spark", "submit", "--region", "us-east-1", "demo", &notes.to_string_lossy()],
    );
    assert_code(&out, 1);
    assert!(stderr(&out).contains("not a Spark job: expected a .py or a .jar file"), "{}", stderr(&out));
    assert_eq!(counter.connections(), 0);
}
