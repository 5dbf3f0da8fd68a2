//! Crashes, concurrency and lost local state, against the emulator with the full example (Spark included).
//!
//! The kill tests use the debug build's `CLUSTERUP_KILL_AFTER=<k>`: the process aborts right after its
//! k-th successful mutating AWS call, as `kill -9` would at that instant. Every k from 1 up to the
//! run's last mutating call is covered, for apply and for destroy.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_ec2::types::Filter;

use crate::apply_destroy::{block_on, tag_filter};

use crate::spark::active_clusters;
use crate::support::{
    assert_code, clients, clusterup, clusterup_with_env, endpoint, spawn_clusterup, stderr, Clients, Workspace,
};

const EXAMPLE: &str = "smarten-spark.yaml";
/// Kill points run side by side (each on its own deployment).
const WORKERS: usize = 4;

/// What exists of a deployment, counted per kind and `clusterup:resource` address (or name), from
/// independent describe calls, one or two per kind. (Not the tagging API: the emulator's pages shift under
/// the other kill points' concurrent changes.)
async fn inventory(c: &Clients, name: &str) -> BTreeMap<String, usize> {
    type Ec2Tag = aws_sdk_ec2::types::Tag;
    let mut counts = BTreeMap::new();
    let mut add = |what: &str, address: &str| *counts.entry(format!("{what} {address}")).or_insert(0) += 1;
    // Filters by tag on the server and checks again here (the emulator ignores some tag filters).
    let address_of = |tags: &[Ec2Tag]| -> Option<String> {
        tags.iter().any(|t| t.key() == Some("clusterup:deployment") && t.value() == Some(name)).then(|| {
            tags.iter()
                .find(|t| t.key() == Some("clusterup:resource"))
                .and_then(|t| t.value())
                .unwrap_or("?")
                .to_owned()
        })
    };
    let ec2 = &c.ec2;
    let f = || tag_filter(name);
    for v in ec2.describe_vpcs().filters(f()).send().await.expect("vpcs").vpcs() {
        address_of(v.tags()).into_iter().for_each(|a| add("vpc", &a));
    }
    for s in ec2.describe_subnets().filters(f()).send().await.expect("subnets").subnets() {
        address_of(s.tags()).into_iter().for_each(|a| add("subnet", &a));
    }
    for g in ec2.describe_security_groups().filters(f()).send().await.expect("groups").security_groups() {
        address_of(g.tags()).into_iter().for_each(|a| add("security-group", &a));
    }
    for g in ec2.describe_internet_gateways().filters(f()).send().await.expect("igws").internet_gateways() {
        address_of(g.tags()).into_iter().for_each(|a| add("internet-gateway", &a));
    }
    for t in ec2.describe_route_tables().filters(f()).send().await.expect("route tables").route_tables() {
        address_of(t.tags()).into_iter().for_each(|a| add("route-table", &a));
    }
    for e in ec2.describe_addresses().filters(f()).send().await.expect("addresses").addresses() {
        address_of(e.tags()).into_iter().for_each(|a| add("eip", &a));
    }
    for n in ec2.describe_nat_gateways().filter(f()).send().await.expect("nats").nat_gateways() {
        if matches!(n.state().map(|s| s.as_str()), Some("pending" | "available")) {
            address_of(n.tags()).into_iter().for_each(|a| add("nat-gateway", &a));
        }
    }
    let lts = ec2
        .describe_launch_templates()
        .filters(Filter::builder().name("launch-template-name").values(format!("{name}-app")).build())
        .send()
        .await
        .expect("launch templates");
    lts.launch_templates().iter().for_each(|_| add("launch-template", "app/launch-template"));
    let albs = c.elb.describe_load_balancers().send().await.expect("load balancers");
    let alb_name = format!("{name}-alb");
    albs.load_balancers()
        .iter()
        .filter(|l| l.load_balancer_name() == Some(&alb_name))
        .for_each(|_| add("alb", "load_balancer/alb"));
    let tgs = c.elb.describe_target_groups().send().await.expect("target groups");
    let tg_name = format!("{name}-app");
    tgs.target_groups()
        .iter()
        .filter(|t| t.target_group_name() == Some(&tg_name))
        .for_each(|_| add("target-group", "load_balancer/target-group/app"));
    let asgs = c
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(format!("{name}-app"))
        .send()
        .await
        .expect("groups");
    asgs.auto_scaling_groups().iter().for_each(|_| add("auto-scaling-group", "app"));
    let dbs = c.rds.describe_db_instances().send().await.expect("databases");
    let db_name = format!("{name}-db");
    dbs.db_instances()
        .iter()
        .filter(|d| d.db_instance_identifier() == Some(&db_name))
        .for_each(|_| add("database", "database/instance"));
    let fss = c.efs.describe_file_systems().creation_token(format!("clusterup-{name}-data")).send().await.expect("fs");
    for fs in fss.file_systems() {
        add("file-system", "storage/file-system");
        let mts = c.efs.describe_mount_targets().file_system_id(fs.file_system_id()).send().await.expect("mts");
        mts.mount_targets().iter().for_each(|_| add("mount-target", "storage/mount-target"));
        let aps = c.efs.describe_access_points().file_system_id(fs.file_system_id()).send().await.expect("aps");
        aps.access_points().iter().for_each(|_| add("access-point", "storage/access-point"));
    }
    active_clusters(c, name).await.iter().for_each(|_| add("emr-cluster", "spark/cluster"));
    let buckets = c.s3.list_buckets().send().await.expect("buckets");
    let prefix = format!("clusterup-{name}-");
    buckets
        .buckets()
        .iter()
        .filter(|b| b.name().is_some_and(|n| n.starts_with(&prefix)))
        .for_each(|_| add("bucket", "spark/bucket"));
    for role in ["app", "spark-service", "spark-node", "spark-autoscaling"] {
        if c.iam.get_role().role_name(format!("{name}-us-east-1-{role}")).send().await.is_ok() {
            add("role", role);
        }
    }
    counts
}

/// Kinds counted more than once (a mount target per private subnet is expected twice).
fn duplicates(inventory: &BTreeMap<String, usize>) -> Vec<&String> {
    inventory.iter().filter(|(k, &n)| n > 1 && !k.starts_with("mount-target ")).map(|(k, _)| k).collect()
}

/// Nothing of the deployment is left, by clusterup's own final check (exit 0) and by independent calls.
fn assert_gone(c: &Clients, name: &str, context: &str) {
    let left = block_on(inventory(c, name));
    assert!(left.is_empty(), "{context}: left behind: {left:?}");
}

/// Run `k` kill points, `WORKERS` at a time, until a run finishes without reaching its k-th call.
/// Returns how many kill points were covered.
fn every_kill_point(check: impl Fn(usize) -> bool + Sync) -> usize {
    let next = AtomicUsize::new(1);
    let last = AtomicUsize::new(usize::MAX);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                if k > last.load(Ordering::SeqCst) || k > 1000 {
                    return;
                }
                // `check` answers whether the run was killed at k; a run that finished means k is past
                // its last mutating call.
                if !check(k) {
                    last.fetch_min(k - 1, Ordering::SeqCst);
                }
            });
        }
    });
    last.load(Ordering::SeqCst)
}

fn killed_at(out: &std::process::Output, k: usize) -> bool {
    match out.status.code() {
        Some(0) => false,
        _ => {
            assert!(
                stderr(out).contains(&format!("aborting after mutating call {k} ")),
                "the run at k={k} failed instead of being killed:\n{}",
                stderr(out)
            );
            true
        }
    }
}

/// One deployment per kill point k: apply killed after its k-th mutating call, apply again and compare
/// with an uninterrupted apply; then destroy killed after its k-th mutating call, destroy again, and
/// nothing may be left. Apply and destroy share the loop (and the deployment) to halve the emulator work.
#[test]
fn apply_and_destroy_killed_after_every_mutating_call_converge_and_leave_nothing() {
    let c = block_on(clients());
    // The reference: an uninterrupted apply.
    let reference = Workspace::from_example(EXAMPLE, "kref");
    let reference_path = reference.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &reference_path]), 0);
    let expected = block_on(inventory(&c, &reference.name));
    assert!(duplicates(&expected).is_empty(), "the reference has duplicates: {expected:?}");
    assert!(expected.len() > 30, "the reference inventory is too small to mean anything: {expected:?}");
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &reference_path]), 0);

    let failures = Mutex::new(Vec::new());
    let apply_points = AtomicUsize::new(0);
    let destroy_points = AtomicUsize::new(0);
    let fail = |text: String| failures.lock().expect("lock").push(text);
    let kill = |k: usize| [("CLUSTERUP_KILL_AFTER", k.to_string())];
    let covered = every_kill_point(|k| {
        let ws = Workspace::from_example(EXAMPLE, &format!("k{k}"));
        let path = ws.topology().to_string_lossy().into_owned();
        let env = kill(k);
        let env = [(env[0].0, env[0].1.as_str())];

        let first = clusterup_with_env(endpoint(), &["apply", "--yes", &path], &env);
        let apply_killed = killed_at(&first, k);
        if apply_killed {
            apply_points.fetch_max(k, Ordering::SeqCst);
            let again = clusterup(&["apply", "--yes", &path]);
            if again.status.code() != Some(0) {
                fail(format!("k={k}: re-apply failed: {}", stderr(&again)));
                return true;
            }
        }
        let plan = clusterup(&["plan", "--detailed-exitcode", &path]);
        let found = block_on(inventory(&c, &ws.name));
        if plan.status.code() != Some(0) || found != expected {
            fail(format!(
                "k={k}: after apply the plan exits {:?} and the deployment differs from an uninterrupted one:\n  expected {expected:?}\n  found    {found:?}",
                plan.status.code()
            ));
        }

        let first = clusterup_with_env(endpoint(), &["destroy", "--yes", "--delete-data", &path], &env);
        let destroy_killed = killed_at(&first, k);
        if destroy_killed {
            destroy_points.fetch_max(k, Ordering::SeqCst);
            let again = clusterup(&["destroy", "--yes", "--delete-data", &path]);
            if again.status.code() != Some(0) {
                fail(format!("k={k}: re-run of destroy failed: {}", stderr(&again)));
            }
        }
        let left = block_on(inventory(&c, &ws.name));
        if !left.is_empty() {
            fail(format!("k={k}: left behind {left:?}"));
        }
        apply_killed || destroy_killed
    });
    let failures = failures.into_inner().expect("lock");
    assert!(failures.is_empty(), "{} of {covered} kill points failed:\n{}", failures.len(), failures.join("\n"));
    let (applies, destroys) = (apply_points.into_inner(), destroy_points.into_inner());
    assert!(applies > 50 && destroys > 50, "only {applies} apply and {destroys} destroy kill points");
    eprintln!(
        "kill points: apply killed after each of its {applies} mutating calls and re-applied to the same deployment; destroy killed after each of its {destroys} and re-run to nothing left"
    );
}

/// The master group's requested and applied configuration versions, and whether its hive-site names the
/// database: what spark/metastore did to the running cluster.
fn master_configuration(c: &Clients, name: &str) -> (i64, i64, bool) {
    let clusters = block_on(crate::spark::active_clusters(c, name));
    assert_eq!(clusters.len(), 1, "one cluster: {clusters:?}");
    let id = clusters[0].id().expect("id");
    let groups = block_on(c.emr.list_instance_groups().cluster_id(id).send()).expect("groups");
    let master = groups
        .instance_groups()
        .iter()
        .find(|g| g.instance_group_type() == Some(&aws_sdk_emr::types::InstanceGroupType::Master))
        .expect("master group");
    let names_database = master.configurations().iter().any(|conf| {
        conf.properties()
            .and_then(|p| p.get("javax.jdo.option.ConnectionURL"))
            .is_some_and(|u| u.contains(&format!("{name}-db")))
    });
    (
        master.configurations_version().unwrap_or_default(),
        master.last_successfully_applied_configurations_version().unwrap_or_default(),
        names_database,
    )
}

/// The metastore attachment (spark/metastore) killed before it (the database just requested), during it
/// (right after ModifyInstanceGroups: the reconfiguration requested, never seen applied) and after it
/// (at the next mutating call, or the end of the run when it was the last): each re-apply converges to
/// the metastore on the database, reconfigured once (EMR restarts Hive for every request), with nothing
/// left to change; destroy then leaves nothing.
#[test]
fn apply_killed_before_during_and_after_the_metastore_attachment_converges_and_reconfigures_once() {
    let c = block_on(clients());
    let mut attach_call = None;
    for (point, kill) in [
        ("before", "CreateDBInstance".to_owned()),
        ("during", "ModifyInstanceGroups".to_owned()),
        ("after", String::new()),
    ] {
        let ws = Workspace::from_example(EXAMPLE, &format!("meta-{point}"));
        let path = ws.topology().to_string_lossy().into_owned();
        // After: the mutating call that followed ModifyInstanceGroups in the run killed during it.
        let kill = if point == "after" {
            let k: usize = attach_call.expect("the run killed during the attachment said where");
            (k + 1).to_string()
        } else {
            kill
        };
        let first =
            clusterup_with_env(endpoint(), &["apply", "--yes", &path], &[("CLUSTERUP_KILL_AFTER", kill.as_str())]);
        let text = stderr(&first);
        match point {
            "after" => assert!(
                first.status.code() == Some(0) || text.contains("aborting after mutating call"),
                "{point}: {text}"
            ),
            _ => {
                assert_ne!(first.status.code(), Some(0), "{point}: the kill switch must stop the run");
                assert!(text.contains(&format!("({kill})")), "{point}: {text}");
            }
        }
        if point == "during" {
            // `aborting after mutating call K (ModifyInstanceGroups)`
            let k = text
                .split("aborting after mutating call ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|k| k.parse::<usize>().ok());
            attach_call = k;
            let (requested, _, names_database) = master_configuration(&c, &ws.name);
            assert_eq!((requested, names_database), (1, true), "{point}: the request reached EMR before the kill");
        }
        if point == "before" {
            let (requested, _, _) = master_configuration_if_any(&c, &ws.name);
            assert_eq!(requested, 0, "{point}: nothing attached before the database exists");
        }
        assert_code(&clusterup(&["apply", "--yes", &path]), 0);
        assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);
        let (requested, applied, names_database) = master_configuration(&c, &ws.name);
        assert!(names_database, "{point}: the metastore is on the database");
        assert_eq!((requested, applied), (1, 1), "{point}: reconfigured exactly once, and applied");
        assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &path]), 0);
        assert_gone(&c, &ws.name, &format!("destroy after the kill {point} the attachment"));
    }
}

/// Like [`master_configuration`], for a deployment whose cluster may not exist yet: zeros then.
fn master_configuration_if_any(c: &Clients, name: &str) -> (i64, i64, bool) {
    if block_on(crate::spark::active_clusters(c, name)).is_empty() {
        return (0, 0, false);
    }
    master_configuration(c, name)
}

#[test]
fn apply_killed_by_a_real_signal_at_a_random_time_converges() {
    let c = block_on(clients());
    let ws = Workspace::from_example(EXAMPLE, "sigkill");
    let path = ws.topology().to_string_lossy().into_owned();
    let mut child = spawn_clusterup(endpoint(), &["apply", "--yes", &path]);
    let delay = Duration::from_millis(fastrand_delay());
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &path]), 0);
    let found = block_on(inventory(&c, &ws.name));
    assert!(duplicates(&found).is_empty(), "duplicates after SIGKILL at {delay:?}: {found:?}");
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &path]), 0);
    assert_gone(&c, &ws.name, "destroy after SIGKILL");
    eprintln!("apply: SIGKILL after {delay:?}, converged");
}

/// Somewhere inside an apply of the full example on the emulator (about half a second long).
fn fastrand_delay() -> u64 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    100 + u64::from(nanos % 500)
}

#[test]
fn nothing_local_is_needed_plan_and_destroy_work_from_an_empty_home_and_directory() {
    let c = block_on(clients());
    let ws = Workspace::from_example(EXAMPLE, "nolocal");
    let path = ws.topology().to_string_lossy().into_owned();
    let home = tempfile::tempdir().expect("home");
    let env = [("HOME", home.path().to_str().expect("utf-8 path"))];
    assert_code(&clusterup_with_env(endpoint(), &["apply", "--yes", &path], &env), 0);
    let written: Vec<_> = std::fs::read_dir(home.path()).expect("home").collect();
    assert!(written.is_empty(), "apply wrote into HOME: {written:?}");
    let in_dir: Vec<_> = std::fs::read_dir(ws.dir.path()).expect("dir").flatten().map(|e| e.file_name()).collect();
    assert_eq!(in_dir, ["topology.yaml"], "apply wrote next to the topology");

    // Another machine: a new HOME, a new copy of the topology elsewhere.
    let other_home = tempfile::tempdir().expect("home");
    let other_dir = tempfile::tempdir().expect("dir");
    let copy = other_dir.path().join("topology.yaml");
    std::fs::copy(&path, &copy).expect("copy");
    let env = [("HOME", other_home.path().to_str().expect("utf-8 path"))];
    let copy = copy.to_string_lossy().into_owned();
    assert_code(&clusterup_with_env(endpoint(), &["plan", "--detailed-exitcode", &copy], &env), 0);
    assert_code(
        &clusterup_with_env(
            endpoint(),
            &["destroy", "--yes", "--delete-data", "--region", "us-east-1", &ws.name],
            &env,
        ),
        0,
    );
    assert_gone(&c, &ws.name, "destroy by name from another HOME");
}

/// Holds a deployment's lock as a live process on this host would: a `sleep` child's pid.
fn hold_lock(c: &Clients, name: &str, pid: u32) {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    let holder = serde_json::json!({
        "id": "test-holder", "command": "apply", "user": "tester", "host": host, "pid": pid, "since": "20261123000000"
    });
    block_on(
        c.ssm
            .put_parameter()
            .name(format!("/clusterup/{name}/lock"))
            .value(holder.to_string())
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send(),
    )
    .expect("put lock");
}

fn lock_exists(c: &Clients, name: &str) -> bool {
    block_on(c.ssm.get_parameter().name(format!("/clusterup/{name}/lock")).send()).is_ok()
}

#[test]
fn a_second_run_is_refused_while_the_first_holds_the_lock_and_a_dead_holder_is_taken_over() {
    let c = block_on(clients());
    let ws = Workspace::from_example("web-tier.yaml", "lock");
    let path = ws.topology().to_string_lossy().into_owned();
    let mut first = std::process::Command::new("sleep").arg("60").spawn().expect("a live holder");
    hold_lock(&c, &ws.name, first.id());

    for args in [vec!["apply", "--yes", path.as_str()], vec!["destroy", "--yes", path.as_str()]] {
        let refused = clusterup(&args);
        assert_code(&refused, 1);
        let text = stderr(&refused);
        assert!(text.contains(&format!("deployment {} is locked by `apply` by tester@", ws.name)), "{text}");
        assert!(text.contains("--force-unlock"), "the message says what to do: {text}");
    }
    assert!(block_on(inventory(&c, &ws.name)).is_empty(), "a refused apply creates nothing");

    // The holder dies (as a killed run would): the next run takes over at once, says so, and releases.
    first.kill().expect("kill the holder");
    let _ = first.wait();
    let taken = clusterup(&["apply", "--yes", &path]);
    assert_code(&taken, 0);
    assert!(stderr(&taken).contains("no longer running on this host"), "{}", stderr(&taken));
    assert!(!lock_exists(&c, &ws.name), "apply released the lock");

    // A live holder elsewhere: only --force-unlock gets past it.
    let mut other = std::process::Command::new("sleep").arg("60").spawn().expect("a live holder");
    hold_lock(&c, &ws.name, other.id());
    assert_code(&clusterup(&["destroy", "--yes", &path]), 1);
    let forced = clusterup(&["destroy", "--yes", "--force-unlock", &path]);
    assert_code(&forced, 0);
    assert!(stderr(&forced).contains("--force-unlock: took the lock of `apply` by tester@"), "{}", stderr(&forced));
    assert!(!lock_exists(&c, &ws.name), "destroy released the lock");
    other.kill().expect("kill");
    let _ = other.wait();
    assert_gone(&c, &ws.name, "forced destroy");
}

/// `clusterup force-unlock NAME|FILE LOCK_ID` releases a lock whose holder is gone: only with the lock's
/// own id (which the refusal shows), so a lock another run took since is left alone.
#[test]
fn force_unlock_releases_the_lock_named_by_its_id_and_nothing_else() {
    let c = block_on(clients());
    let ws = Workspace::from_example("web-tier.yaml", "unlock");
    let path = ws.topology().to_string_lossy().into_owned();
    let mut holder = std::process::Command::new("sleep").arg("60").spawn().expect("a live holder");
    hold_lock(&c, &ws.name, holder.id());

    let refused = clusterup(&["apply", "--yes", &path]);
    assert_code(&refused, 1);
    let text = stderr(&refused);
    assert!(text.contains("running since 2026-11-23 00:00:00 UTC (last heartbeat "), "a readable time: {text}");
    assert!(text.contains(&format!("`clusterup force-unlock {} test-holder`", ws.name)), "{text}");
    assert!(!text.contains("PutParameter failed"), "the lock is not an AWS failure: {text}");

    let wrong = clusterup(&["force-unlock", &ws.name, "another-id", "--region", "us-east-1"]);
    assert_code(&wrong, 1);
    assert!(stderr(&wrong).contains("has id test-holder, not another-id"), "{}", stderr(&wrong));
    assert!(lock_exists(&c, &ws.name), "a wrong id releases nothing");

    // By file or by name, as every command takes a deployment.
    let released = clusterup(&["force-unlock", &path, "test-holder"]);
    assert_code(&released, 0);
    assert!(stderr(&released).contains("Released the lock of deployment"), "{}", stderr(&released));
    assert!(!lock_exists(&c, &ws.name));
    let again = clusterup(&["force-unlock", &ws.name, "test-holder", "--region", "us-east-1"]);
    assert_code(&again, 1);
    assert!(stderr(&again).contains("is not locked: nothing to release"), "{}", stderr(&again));
    holder.kill().expect("kill");
    let _ = holder.wait();
}

#[test]
fn destroy_deletes_network_interfaces_left_behind_in_the_deployments_subnets() {
    let c = block_on(clients());
    let ws = Workspace::from_example("web-tier.yaml", "eni");
    let path = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &path]), 0);
    // What a load balancer or EMR can leave: a detached, untagged interface in our subnet and group.
    let subnets = block_on(c.ec2.describe_subnets().filters(tag_filter(&ws.name)).send()).expect("subnets");
    let subnet = subnets.subnets()[0].subnet_id().expect("subnet").to_owned();
    let groups = block_on(c.ec2.describe_security_groups().filters(tag_filter(&ws.name)).send()).expect("groups");
    let group = groups.security_groups()[0].group_id().expect("group").to_owned();
    let eni = block_on(c.ec2.create_network_interface().subnet_id(&subnet).groups(&group).send()).expect("eni");
    let eni = eni.network_interface().and_then(|e| e.network_interface_id()).expect("eni id").to_owned();

    assert_code(&clusterup(&["destroy", "--yes", &path]), 0);
    let left = block_on(c.ec2.describe_network_interfaces().network_interface_ids(&eni).send());
    let gone = left.map(|out| out.network_interfaces().is_empty()).unwrap_or(true);
    assert!(gone, "the detached interface {eni} is deleted with the deployment");
    assert_gone(&c, &ws.name, "destroy with a leftover interface");
}
