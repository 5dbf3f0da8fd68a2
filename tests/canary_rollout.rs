//! The weighted canary rollout through the real binary on the emulator: a rollout to 100% that ends with
//! one group on the new version, a canary made to fail (one of its nodes stopped, which the load balancer
//! reports as it does on AWS) that goes back to where it began, and a rollout killed at a step that the
//! next run resumes, with plan and apply holding off and status showing it meanwhile, and a rollout behind
//! HTTPS that never touches port 80's redirect. Each ends with a clean
//! `plan --detailed-exitcode` and a destroy that leaves nothing.
//!
//! Rollouts that must end quickly here pass `--metrics-delay` of a second or none: there are no
//! CloudWatch figures to wait for. The 5xx gate reads CloudWatch, which has no load balancer metrics on
//! the emulator (no datapoints: no errors); it is covered by SDK mocks in src/rollout/gate.rs and
//! src/rollout/forward.rs.

use std::collections::BTreeSet;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::apply_destroy::{block_on, live_tagged};
use crate::support::{
    assert_code, clients, clusterup, endpoint, spawn_clusterup, stderr, stdout, CallCounter, Clients, Workspace,
};

const EXAMPLE: &str = "web-tier.yaml";
const OLD_TYPE: &str = "instance_type: t3.small";
const NEW_TYPE: &str = "instance_type: t3.medium";

/// A deployment of the example, applied, with its topology changed to a new node type.
fn deployed(prefix: &str) -> (Workspace, String, Clients) {
    let ws = Workspace::from_example(EXAMPLE, prefix);
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    ws.edit(OLD_TYPE, NEW_TYPE);
    (ws, topology, block_on(clients()))
}

/// Each listener's forward: (target group name, weight) pairs; one pair at weight 100 for a plain forward.
async fn forwards(c: &Clients, deployment: &str) -> Vec<Vec<(String, i32)>> {
    let lbs = c.elb.describe_load_balancers().names(format!("{deployment}-alb")).send().await.expect("lb");
    let lb = lbs.load_balancers()[0].load_balancer_arn().expect("arn").to_owned();
    let listeners = c.elb.describe_listeners().load_balancer_arn(lb).send().await.expect("listeners");
    let name = |arn: &str| arn.split('/').nth(1).unwrap_or(arn).to_owned();
    listeners
        .listeners()
        .iter()
        .map(|l| {
            let action = &l.default_actions()[0];
            let tuples = action.forward_config().map(|f| f.target_groups()).unwrap_or_default();
            if tuples.len() > 1 {
                tuples
                    .iter()
                    .map(|t| (name(t.target_group_arn().unwrap_or_default()), t.weight().unwrap_or(1)))
                    .collect()
            } else {
                let arn = action.target_group_arn().or_else(|| tuples.first().and_then(|t| t.target_group_arn()));
                vec![(name(arn.unwrap_or_default()), 100)]
            }
        })
        .collect()
}

/// The share of traffic the canary gets on the first listener.
async fn canary_share(c: &Clients, deployment: &str) -> i32 {
    let canary = format!("{deployment}-canary");
    forwards(c, deployment).await[0].iter().find(|(tg, _)| *tg == canary).map_or(0, |(_, w)| *w)
}

/// Wait until the canary gets `share` percent; fails the test after two minutes or if `child` ends first.
fn wait_for_share(c: &Clients, deployment: &str, share: i32, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while block_on(canary_share(c, deployment)) != share {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the rollout ended ({status}) before the canary reached {share}%");
        }
        assert!(Instant::now() < deadline, "the canary never reached {share}%");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The deployment's Auto Scaling groups: (name, launch template version, nodes as (id, version, type)).
async fn groups(c: &Clients, deployment: &str) -> Vec<(String, String, Vec<(String, String, String)>)> {
    let filter =
        aws_sdk_autoscaling::types::Filter::builder().name("tag:clusterup:deployment").values(deployment).build();
    let out = c.autoscaling.describe_auto_scaling_groups().filters(filter).send().await.expect("groups");
    let mut found = Vec::new();
    for group in out.auto_scaling_groups() {
        let nodes: Vec<(String, String)> = group
            .instances()
            .iter()
            .map(|i| {
                (
                    i.instance_id().unwrap_or_default().to_owned(),
                    i.launch_template().and_then(|t| t.version()).unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let ids: Vec<String> = nodes.iter().map(|(id, _)| id.clone()).collect();
        let types = c.ec2.describe_instances().set_instance_ids(Some(ids)).send().await.expect("instances");
        let type_of = |id: &str| {
            types
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .find(|i| i.instance_id() == Some(id))
                .and_then(|i| i.instance_type())
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default()
        };
        found.push((
            group.auto_scaling_group_name().unwrap_or_default().to_owned(),
            group.launch_template().and_then(|t| t.version()).unwrap_or_default().to_owned(),
            nodes.into_iter().map(|(id, version)| (id.clone(), version, type_of(&id))).collect(),
        ));
    }
    found
}

async fn target_group_exists(c: &Clients, name: &str) -> bool {
    c.elb.describe_target_groups().names(name).send().await.is_ok_and(|out| !out.target_groups().is_empty())
}

async fn default_version(c: &Clients, deployment: &str) -> i64 {
    template_default_version(c, &format!("{deployment}-app")).await
}

async fn template_default_version(c: &Clients, template: &str) -> i64 {
    let out = c.ec2.describe_launch_templates().launch_template_names(template).send().await.expect("templates");
    out.launch_templates()[0].default_version_number().unwrap_or(0)
}

/// What a rollout stopped after making its launch template version, before its canary, leaves: a new
/// version of `template` (a copy of v1) as its default, which the group's nodes do not run.
async fn stray_default_version(c: &Clients, template: &str) {
    let made = c
        .ec2
        .create_launch_template_version()
        .launch_template_name(template)
        .source_version("1")
        .launch_template_data(aws_sdk_ec2::types::RequestLaunchTemplateData::builder().build())
        .send()
        .await
        .expect("CreateLaunchTemplateVersion");
    let version = made.launch_template_version().and_then(|v| v.version_number()).expect("version");
    c.ec2
        .modify_launch_template()
        .launch_template_name(template)
        .default_version(version.to_string())
        .send()
        .await
        .expect("ModifyLaunchTemplate");
}

fn destroyed(c: &Clients, ws: &Workspace, topology: &str) {
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", topology]), 0);
    assert_eq!(block_on(live_tagged(c, &ws.name)), Vec::<String>::new());
}

#[test]
fn a_canary_rollout_to_100_ends_with_one_group_on_the_new_version_and_a_clean_plan() {
    let ws = Workspace::from_example(EXAMPLE, "canary");
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let c = block_on(clients());
    let before = block_on(groups(&c, &ws.name));

    // The nodes run what the topology says: nothing to roll out.
    let nothing = clusterup(&["rollout", "--yes", "--canary", "10,50,100", &topology]);
    assert_code(&nothing, 0);
    assert!(
        stderr(&nothing).contains("Nothing to roll out: the app nodes run launch template v1"),
        "{}",
        stderr(&nothing)
    );

    ws.edit(OLD_TYPE, NEW_TYPE);
    // Watch the listener's weights all through the rollout.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (done, name) = (done.clone(), ws.name.clone());
        std::thread::spawn(move || {
            let c = block_on(clients());
            let mut seen = Vec::new();
            // One last look after the rollout ended: a look begun before its last change would miss it.
            loop {
                let ended = done.load(Ordering::SeqCst);
                let now = block_on(forwards(&c, &name));
                if seen.last() != Some(&now) {
                    seen.push(now);
                }
                if ended {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            seen
        })
    };
    // Each step watched 2 s, then 1 s more for CloudWatch's last minutes (3 minutes on AWS by default).
    let rolled = clusterup(&[
        "rollout",
        "--yes",
        "--canary",
        "10,50,100",
        "--step-time",
        "2s",
        "--metrics-delay",
        "1s",
        &topology,
    ]);
    done.store(true, Ordering::SeqCst);
    let seen = sampler.join().expect("sampler");
    assert_code(&rolled, 0);
    let log = stderr(&rolled);
    for line in [
        "creating the canary target group",
        "canary at 10%: 2/2 healthy, 0.0% failed, load balancer 0.0% 5xx, ",
        "canary at 50%: 2/2 healthy, 0.0% failed, load balancer 0.0% 5xx",
        "canary at 100%: 2/2 healthy, 0.0% failed, load balancer 0.0% 5xx",
        "left (waiting for CloudWatch's last minutes)",
        "moving the app group",
        "Rollout complete in",
    ] {
        assert!(log.contains(line), "no {line:?} in:\n{log}");
    }
    // The traffic moved step by step, and came back to the app group alone.
    let (app, canary) = (format!("{}-app", ws.name), format!("{}-canary", ws.name));
    let shares: Vec<i32> =
        seen.iter().map(|listeners| listeners[0].iter().find(|(tg, _)| *tg == canary).map_or(0, |(_, w)| *w)).collect();
    let mut steps: Vec<i32> = shares.clone();
    steps.dedup();
    for step in [10, 50, 100] {
        assert!(steps.contains(&step), "the canary never got {step}%: {shares:?}");
    }
    assert_eq!(seen.last().map(|l| l[0].clone()), Some(vec![(app.clone(), 100)]), "{seen:?}");

    // One group, on the new version, every node new and of the new type; the canary is gone.
    let after = block_on(groups(&c, &ws.name));
    assert_eq!(after.len(), 1, "{after:?}");
    let (name, version, nodes) = &after[0];
    assert_eq!((name, version.as_str()), (&app, "2"));
    assert_eq!(nodes.len(), 2);
    let old: BTreeSet<&String> = before[0].2.iter().map(|(id, ..)| id).collect();
    for (id, version, kind) in nodes {
        assert_eq!((version.as_str(), kind.as_str()), ("2", "t3.medium"), "{id}");
        assert!(!old.contains(id), "{id} was not replaced");
    }
    assert!(!block_on(target_group_exists(&c, &canary)), "the canary target group is left");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    destroyed(&c, &ws, &topology);
}

#[test]
fn a_canary_that_fails_its_step_is_rolled_back_to_the_old_version() {
    let (ws, topology, c) = deployed("canback");
    let before = block_on(groups(&c, &ws.name));
    let mut child =
        spawn_clusterup(endpoint(), &["rollout", "--yes", "--canary", "10,50,100", "--step-time", "60s", &topology]);
    wait_for_share(&c, &ws.name, 10, &mut child);

    // One canary node goes down: the load balancer reports it `unused` (Target.InvalidState), as AWS
    // reports a stopped instance.
    let canary = format!("{}-canary", ws.name);
    let canary_nodes = block_on(groups(&c, &ws.name)).into_iter().find(|(n, ..)| *n == canary).expect("canary").2;
    block_on(c.ec2.stop_instances().instance_ids(&canary_nodes[0].0).send()).expect("StopInstances");

    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the rollout did not stop on an unhealthy canary");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr"), &mut log).expect("read stderr");
    assert_eq!(status.code(), Some(1), "{log}");
    for line in [
        "the rollout of launch template v2 failed: canary at 10%: 1/2 canary targets healthy",
        "Target.InvalidState",
        "Rolled back: all the app group's traffic is on it again (launch template v1)",
        "hint: find out why the new version failed",
    ] {
        assert!(log.contains(line), "no {line:?} in:\n{log}");
    }

    // Back where it began: all traffic to the app group, one group on the old version with the same
    // nodes, no canary, the launch template's default back on v1.
    let app = format!("{}-app", ws.name);
    assert_eq!(block_on(forwards(&c, &ws.name)), vec![vec![(app.clone(), 100)]]);
    let after = block_on(groups(&c, &ws.name));
    assert_eq!(after, before, "the app group changed");
    assert_eq!(after[0].1, "1");
    assert!(after[0].2.iter().all(|(_, version, kind)| version == "1" && kind == "t3.small"), "{after:?}");
    assert!(!block_on(target_group_exists(&c, &canary)), "the canary target group is left");
    assert_eq!(block_on(default_version(&c, &ws.name)), 1);

    // The topology still asks for the new type: plans say so. Changed back, the deployment matches it.
    let replan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&replan, 2);
    assert!(stdout(&replan).contains("instance_type : \"t3.small\" -> \"t3.medium\""), "{}", stdout(&replan));
    ws.edit(NEW_TYPE, OLD_TYPE);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    destroyed(&c, &ws, &topology);
}

#[test]
fn a_killed_rollout_is_held_by_plan_and_apply_and_resumed_by_the_next_run() {
    let (ws, topology, c) = deployed("canresume");
    let mut child =
        spawn_clusterup(endpoint(), &["rollout", "--yes", "--canary", "50,100", "--step-time", "60s", &topology]);
    wait_for_share(&c, &ws.name, 50, &mut child);
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    // What the rollout made carries the deployment's tags, its own address and the version it runs.
    let canary = format!("{}-canary", ws.name);
    let described =
        block_on(c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&canary).send()).expect("group");
    let tags: BTreeSet<(String, String)> = described.auto_scaling_groups()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
        .collect();
    for tag in [
        ("clusterup:deployment", ws.name.as_str()),
        ("clusterup:resource", "app/canary/auto-scaling-group"),
        ("clusterup:launch-template-version", "2"),
    ] {
        assert!(tags.contains(&(tag.0.to_owned(), tag.1.to_owned())), "no {tag:?} in {tags:?}");
    }

    // plan shows the rollout and plans nothing against it; apply refuses to touch it.
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    let shown = stdout(&plan);
    assert!(shown.contains("rollout in progress: canary at 50% (launch template v2)"), "{shown}");
    assert!(!shown.contains("  - app/canary"), "the canary is planned for deletion:\n{shown}");
    let applied = clusterup(&["apply", "--yes", &topology]);
    assert_code(&applied, 1);
    let refused = stderr(&applied);
    assert!(refused.contains("a canary rollout is in progress (canary at 50% (launch template v2))"), "{refused}");
    assert!(refused.contains(&format!("`clusterup rollout {topology} --rollback` undoes it")), "{refused}");
    assert_eq!(block_on(canary_share(&c, &ws.name)), 50, "apply changed the weights");

    // status shows the rollout in progress and the canary's group by its role; the canary's nodes are
    // healthy targets of their own target group, so the deployment is healthy.
    let status = clusterup(&["status", &topology]);
    let shown = stdout(&status);
    assert_code(&status, 0);
    assert!(shown.contains("healthy: every tier is healthy"), "{shown}");
    assert!(shown.contains("canary rollout in progress: canary at 50% (launch template v2)"), "{shown}");
    assert!(shown.contains(&format!("{canary} (canary)")), "{shown}");

    // The next run picks up at 50% and finishes.
    let resumed =
        clusterup(&["rollout", "--yes", "--canary", "50,100", "--step-time", "1s", "--metrics-delay", "0s", &topology]);
    assert_code(&resumed, 0);
    let log = stderr(&resumed);
    assert!(log.contains("Resuming the rollout of launch template v2: canary at 50% (launch template v2)."), "{log}");
    assert!(log.contains("resuming at 50%"), "{log}");
    assert!(!log.contains("creating the canary"), "made the canary again:\n{log}");
    let after = block_on(groups(&c, &ws.name));
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(after[0].2.iter().all(|(_, version, kind)| version == "2" && kind == "t3.medium"), "{after:?}");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    destroyed(&c, &ws, &topology);
}

/// A rollout killed half way is destroyed with everything else: the canary's group and target group
/// carry the deployment's tags, so destroy finds them, and the listener's weighted forward goes with
/// the listener.
#[test]
fn a_killed_rollout_is_destroyed_with_everything_else() {
    let (ws, topology, c) = deployed("candestroy");
    let mut child =
        spawn_clusterup(endpoint(), &["rollout", "--yes", "--canary", "50,100", "--step-time", "60s", &topology]);
    wait_for_share(&c, &ws.name, 50, &mut child);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let plan = clusterup(&["destroy", "--yes", "--delete-data", &topology]);
    assert_code(&plan, 0);
    let said = stdout(&plan);
    assert!(said.contains("app/canary/auto-scaling-group"), "the canary group is not destroyed:\n{said}");
    assert!(said.contains("app/canary/target-group"), "the canary target group is not destroyed:\n{said}");
    assert!(!block_on(target_group_exists(&c, &format!("{}-canary", ws.name))));
    assert_eq!(block_on(live_tagged(&c, &ws.name)), Vec::<String>::new());
}

#[test]
fn bad_canary_steps_are_refused_before_any_aws_call() {
    let ws = Workspace::from_example(EXAMPLE, "cansteps");
    let topology = ws.topology().to_string_lossy().into_owned();
    let counter = CallCounter::start();
    for (steps, message) in [
        ("10,50", "the last step must be 100"),
        ("50,10,100", "steps must rise: 10 comes after 50"),
        ("10,x,100", "`x` is not a whole percentage"),
    ] {
        let out =
            crate::support::clusterup_with_endpoint(&counter.url, &["rollout", "--yes", "--canary", steps, &topology]);
        assert_code(&out, 1);
        assert!(stderr(&out).contains(message), "{steps}: {}", stderr(&out));
    }
    let out = crate::support::clusterup_with_endpoint(&counter.url, &["rollout", "--yes", &topology]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("--canary"), "{}", stderr(&out));
    assert_eq!(counter.connections(), 0, "an AWS call was made");
}

/// With a certificate, port 80 redirects to HTTPS: a rollout moves only the forward of 443 and leaves
/// the redirect as it is at every moment (the rollout changes only the forwards it owns).
#[test]
fn a_rollout_moves_the_https_forward_and_never_touches_port_80s_redirect() {
    use crate::secure_defaults::{listeners, server_certificate};
    use aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum;

    let ws = Workspace::from_example(EXAMPLE, "canary-tls");
    let topology = ws.topology().to_string_lossy().into_owned();
    let c = block_on(clients());
    let cert = block_on(server_certificate(&c, &ws.name));
    ws.edit("    - port: 80\n", &format!("    - port: 80\n    - port: 443\n      certificate_arn: {cert}\n"));
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    ws.edit(OLD_TYPE, NEW_TYPE);

    // (port 80's action type, its redirect's port, how many target groups 443 forwards to) while it runs.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (done, name) = (done.clone(), ws.name.clone());
        std::thread::spawn(move || {
            let c = block_on(clients());
            let mut seen = BTreeSet::new();
            while !done.load(Ordering::SeqCst) {
                let found = block_on(listeners(&c, &name));
                let http = &found[0].default_actions()[0];
                let https = &found[1].default_actions()[0];
                let forwarded = https.forward_config().map_or(1, |f| f.target_groups().len().max(1));
                seen.insert((
                    http.r#type().map(|t| t.as_str().to_owned()),
                    http.redirect_config().and_then(|r| r.port()).map(str::to_owned),
                    forwarded,
                ));
                std::thread::sleep(Duration::from_millis(50));
            }
            seen
        })
    };
    let rolled =
        clusterup(&["rollout", "--yes", "--canary", "50,100", "--step-time", "1s", "--metrics-delay", "0s", &topology]);
    done.store(true, Ordering::SeqCst);
    let seen = sampler.join().expect("sampler");
    assert_code(&rolled, 0);
    let redirect = Some(ActionTypeEnum::Redirect.as_str().to_owned());
    assert!(seen.iter().all(|(kind, port, _)| *kind == redirect && port.as_deref() == Some("443")), "{seen:?}");
    assert!(seen.iter().any(|(.., forwarded)| *forwarded == 2), "443 never forwarded to the canary: {seen:?}");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    destroyed(&c, &ws, &topology);
}

/// web-tier's `app:` as node group `web` (the default route), beside a group `workers` the load
/// balancer does not route to.
fn as_web_and_workers(ws: &Workspace) {
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    let mut doc: serde_yaml::Mapping = serde_yaml::from_str(&text).expect("a mapping");
    let mut web = doc.remove("app").expect("an app section");
    web.as_mapping_mut().expect("app is a mapping").insert("route".into(), "default".into());
    let workers: serde_yaml::Value =
        serde_yaml::from_str("{ instance_type: m5.large, port: 7001, route: none }").expect("workers");
    let mut groups = serde_yaml::Mapping::new();
    groups.insert("web".into(), web);
    groups.insert("workers".into(), workers);
    doc.insert("node_groups".into(), serde_yaml::Value::Mapping(groups));
    std::fs::write(ws.topology(), serde_yaml::to_string(&doc).expect("yaml")).expect("write");
}

#[test]
fn a_canary_rollout_of_a_group_other_than_app_moves_that_group_alone() {
    let ws = Workspace::from_example(EXAMPLE, "cangrp");
    as_web_and_workers(&ws);
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let c = block_on(clients());
    let (web, workers, canary) =
        (format!("{}-web", ws.name), format!("{}-workers", ws.name), format!("{}-canary", ws.name));

    // Without --group, the one group that takes the default route.
    let nothing = clusterup(&["rollout", "--yes", "--canary", "50,100", &topology]);
    assert_code(&nothing, 0);
    assert!(
        stderr(&nothing).contains("Nothing to roll out: the web nodes run launch template v1"),
        "{}",
        stderr(&nothing)
    );
    // A group no traffic reaches cannot have a canary, and nothing is made for it.
    let refused = clusterup(&["rollout", "--yes", "--group", "workers", "--canary", "100", &topology]);
    assert_code(&refused, 1);
    assert!(
        stderr(&refused).contains("group `workers` cannot have a canary rollout: it is not behind the load balancer"),
        "{}",
        stderr(&refused)
    );

    // Nothing to undo either: the group a rollout would pick has none in progress.
    let undone = clusterup(&["rollout", "--yes", "--rollback", &topology]);
    assert_code(&undone, 0);
    assert!(stderr(&undone).contains("No rollout in progress: nothing to undo."), "{}", stderr(&undone));
    // A rollout of web stopped after its new launch template version, before its canary: the undo finds
    // web's template (no --group) and puts its default version back.
    block_on(stray_default_version(&c, &web));
    let undone = clusterup(&["rollout", "--yes", "--rollback", &topology]);
    assert_code(&undone, 0);
    assert!(stderr(&undone).contains("default version back to v1"), "{}", stderr(&undone));
    assert_eq!(block_on(template_default_version(&c, &web)), 1);

    ws.edit(OLD_TYPE, NEW_TYPE);
    let rolled = clusterup(&[
        "rollout",
        "--yes",
        "--group",
        "web",
        "--canary",
        "50,100",
        "--step-time",
        "2s",
        "--metrics-delay",
        "0s",
        &topology,
    ]);
    assert_code(&rolled, 0);
    let log = stderr(&rolled);
    for line in
        ["canary at 50%: 2/2 healthy", "canary at 100%: 2/2 healthy", "moving the web group", "Rollout complete in"]
    {
        assert!(log.contains(line), "no {line:?} in:\n{log}");
    }
    assert!(stdout(&rolled).contains("the web group"), "{}", stdout(&rolled));

    // Group web moved to v3 (v2 was the stopped rollout's, undone above) on the new type; workers kept v1
    // and its nodes; the canary is gone and the listener forwards to web alone.
    let after = block_on(groups(&c, &ws.name));
    let of = |name: &str| after.iter().find(|(n, ..)| n == name).unwrap_or_else(|| panic!("no {name}: {after:?}"));
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(of(&web).1, "3");
    assert!(of(&web).2.iter().all(|(_, version, kind)| version == "3" && kind == "t3.medium"), "{after:?}");
    assert_eq!(of(&workers).1, "1");
    assert!(of(&workers).2.iter().all(|(_, version, kind)| version == "1" && kind == "m5.large"), "{after:?}");
    assert!(!block_on(target_group_exists(&c, &canary)), "the canary target group is left");
    assert_eq!(block_on(forwards(&c, &ws.name)), vec![vec![(web.clone(), 100)]]);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    destroyed(&c, &ws, &topology);
}

/// web-tier's `app:` as node group `web` with `web_route` merged into it (its `route:`, `weight:`),
/// beside the groups of `others` (a YAML mapping of group name to group).
fn as_groups(ws: &Workspace, web_route: &str, others: &str) {
    let text = std::fs::read_to_string(ws.topology()).expect("read");
    let mut doc: serde_yaml::Mapping = serde_yaml::from_str(&text).expect("a mapping");
    let mut web = doc.remove("app").expect("an app section");
    let route: serde_yaml::Mapping = serde_yaml::from_str(web_route).expect("web's route");
    web.as_mapping_mut().expect("app is a mapping").extend(route);
    let mut groups = serde_yaml::Mapping::new();
    groups.insert("web".into(), web);
    groups.extend(serde_yaml::from_str::<serde_yaml::Mapping>(others).expect("other groups"));
    doc.insert("node_groups".into(), serde_yaml::Value::Mapping(groups));
    std::fs::write(ws.topology(), serde_yaml::to_string(&doc).expect("yaml")).expect("write");
}

/// Each listener's rules (not its default rule), in the order AWS lists them: each rule's forward as
/// (target group name, weight) pairs, one pair at weight 100 for a plain forward.
async fn rule_forwards(c: &Clients, deployment: &str) -> Vec<Vec<Vec<(String, i32)>>> {
    let lbs = c.elb.describe_load_balancers().names(format!("{deployment}-alb")).send().await.expect("lb");
    let lb = lbs.load_balancers()[0].load_balancer_arn().expect("arn").to_owned();
    let listeners = c.elb.describe_listeners().load_balancer_arn(lb).send().await.expect("listeners");
    let name = |arn: &str| arn.split('/').nth(1).unwrap_or(arn).to_owned();
    let mut out = Vec::new();
    for l in listeners.listeners() {
        let rules = c.elb.describe_rules().listener_arn(l.listener_arn().expect("arn")).send().await.expect("rules");
        let forwards = rules
            .rules()
            .iter()
            .filter(|r| r.is_default() != Some(true))
            .map(|r| {
                let action = &r.actions()[0];
                let tuples = action.forward_config().map(|f| f.target_groups()).unwrap_or_default();
                if tuples.len() > 1 {
                    tuples
                        .iter()
                        .map(|t| (name(t.target_group_arn().unwrap_or_default()), t.weight().unwrap_or(1)))
                        .collect()
                } else {
                    let arn = action.target_group_arn().or_else(|| tuples.first().and_then(|t| t.target_group_arn()));
                    vec![(name(arn.unwrap_or_default()), 100)]
                }
            })
            .collect();
        out.push(forwards);
    }
    out
}

/// Samples `look` every 50 ms, keeping each new answer, until `done`; one last look after it.
fn sample<T: PartialEq + Send + 'static>(
    done: Arc<AtomicBool>,
    look: impl Fn(&Clients) -> T + Send + 'static,
) -> std::thread::JoinHandle<Vec<T>> {
    std::thread::spawn(move || {
        let c = block_on(clients());
        let mut seen = Vec::new();
        loop {
            let ended = done.load(Ordering::SeqCst);
            let now = look(&c);
            if seen.last() != Some(&now) {
                seen.push(now);
            }
            if ended {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        seen
    })
}

/// web (weight 3) and web-small (weight 1) share the default route, and group api takes `/api/*` by a
/// listener rule. A canary of web splits web's share alone: web-small keeps a quarter of the requests
/// at every moment, api's rule is never touched, and both the undo and the end put the composed
/// weighted forward (web 3, web-small 1) back.
#[test]
fn a_canary_inside_a_shared_default_route_keeps_the_other_groups_share() {
    let ws = Workspace::from_example(EXAMPLE, "canshr");
    as_groups(
        &ws,
        "{ route: default, weight: 3 }",
        "{ web-small: { instance_type: t3.micro, port: 8080, route: default, weight: 1 }, api: { instance_type: t3.micro, port: 8080, route: { paths: [/api/*] } } }",
    );
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let c = block_on(clients());
    let (web, small, api, canary) = (
        format!("{}-web", ws.name),
        format!("{}-web-small", ws.name),
        format!("{}-api", ws.name),
        format!("{}-canary", ws.name),
    );
    let composed = vec![vec![(web.clone(), 3), (small.clone(), 1)]];
    assert_eq!(block_on(forwards(&c, &ws.name)), composed);

    // Without --group, which of the two is not for rollout to guess.
    ws.edit(OLD_TYPE, NEW_TYPE);
    let unnamed = clusterup(&["rollout", "--yes", "--canary", "50,100", &topology]);
    assert_code(&unnamed, 1);
    assert!(
        stderr(&unnamed).contains("name the one to roll out with --group (e.g. --group web)"),
        "{}",
        stderr(&unnamed)
    );

    // A rollout of web killed at 50%: web and its canary have web's three quarters half each.
    let mut child = spawn_clusterup(
        endpoint(),
        &["rollout", "--yes", "--group", "web", "--canary", "50,100", "--step-time", "60s", &topology],
    );
    let at50 = vec![vec![(web.clone(), 150), (canary.clone(), 150), (small.clone(), 100)]];
    let deadline = Instant::now() + Duration::from_secs(120);
    while block_on(forwards(&c, &ws.name)) != at50 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the rollout ended ({status}) before the canary reached 50%");
        }
        assert!(Instant::now() < deadline, "never {at50:?}: {:?}", block_on(forwards(&c, &ws.name)));
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    let shown = stdout(&plan);
    assert!(shown.contains("50% of the web group's requests go to the canary"), "{shown}");
    assert!(!shown.contains("  - groups/web/canary"), "the canary is planned for deletion:\n{shown}");
    // status reads the same share: of web's requests, not of the listener's.
    let status = clusterup(&["status", &topology]);
    assert!(
        stdout(&status).contains("canary rollout in progress: canary at 50% (launch template v2)"),
        "{}",
        stdout(&status)
    );

    // Undone: the composed weighted forward, not a forward to web alone.
    let undone = clusterup(&["rollout", "--yes", "--rollback", &topology]);
    assert_code(&undone, 0);
    assert!(stderr(&undone).contains("Rolled back: all the web group's traffic is on it again"), "{}", stderr(&undone));
    assert_eq!(block_on(forwards(&c, &ws.name)), composed);
    assert!(!block_on(target_group_exists(&c, &canary)), "the canary target group is left");

    // To the end, watched all along.
    let done = Arc::new(AtomicBool::new(false));
    let name = ws.name.clone();
    let sampler = sample(done.clone(), move |c| (block_on(forwards(c, &name)), block_on(rule_forwards(c, &name))));
    let rolled = clusterup(&[
        "rollout",
        "--yes",
        "--group",
        "web",
        "--canary",
        "50,100",
        "--step-time",
        "2s",
        "--metrics-delay",
        "0s",
        &topology,
    ]);
    done.store(true, Ordering::SeqCst);
    let seen = sampler.join().expect("sampler");
    assert_code(&rolled, 0);
    assert!(stderr(&rolled).contains("canary at 50%: 50% of the web group's requests"), "{}", stderr(&rolled));
    let listener: Vec<&Vec<(String, i32)>> = seen.iter().map(|(l, _)| &l[0]).collect();
    for forward in &listener {
        let total: i32 = forward.iter().map(|(_, w)| w).sum();
        let small_weight = forward.iter().find(|(tg, _)| *tg == small).map_or(0, |(_, w)| *w);
        assert_eq!(4 * small_weight, total, "web-small does not have its quarter: {forward:?}");
    }
    for step in [&at50[0], &vec![(web.clone(), 0), (canary.clone(), 300), (small.clone(), 100)]] {
        assert!(listener.contains(&step), "never {step:?}: {listener:?}");
    }
    assert_eq!(listener.last().map(|l| (*l).clone()), Some(composed[0].clone()));
    assert!(seen.iter().all(|(_, rules)| *rules == vec![vec![vec![(api.clone(), 100)]]]), "api's rule moved: {seen:?}");

    // web on v3 (v2 was the undone rollout's) and the new type; web-small and api as they were.
    let after = block_on(groups(&c, &ws.name));
    let of = |name: &str| after.iter().find(|(n, ..)| n == name).unwrap_or_else(|| panic!("no {name}: {after:?}"));
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(of(&web).2.iter().all(|(_, version, kind)| version == "3" && kind == "t3.medium"), "{after:?}");
    for other in [&small, &api] {
        assert!(of(other).2.iter().all(|(_, version, kind)| version == "1" && kind == "t3.micro"), "{after:?}");
    }
    assert!(!block_on(target_group_exists(&c, &canary)), "the canary target group is left");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);

    // A rollout of web-small stopped after its new launch template version, before its canary: with
    // two groups on the default route, `--rollback` alone finds the one template to put back.
    block_on(stray_default_version(&c, &small));
    let undone = clusterup(&["rollout", "--yes", "--rollback", &topology]);
    assert_code(&undone, 0);
    assert!(stderr(&undone).contains("default version back to v1"), "{}", stderr(&undone));
    assert_eq!(block_on(template_default_version(&c, &small)), 1);
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    destroyed(&c, &ws, &topology);
}

/// Group api takes `/api/*` on two HTTP listeners (a rule on each); web takes the default route. A
/// canary of api moves both of api's rules and never a listener's default action; killed half way,
/// plan holds the rules and the undo puts their forwards back.
#[test]
fn a_canary_of_a_path_routed_group_moves_its_rule_on_every_listener() {
    let ws = Workspace::from_example(EXAMPLE, "canrule");
    ws.edit("    - port: 80\n", "    - port: 80\n    - port: 8081\n");
    as_groups(
        &ws,
        "{ route: default }",
        "{ api: { instance_type: t3.micro, port: 8080, route: { paths: [/api/*] } } }",
    );
    let topology = ws.topology().to_string_lossy().into_owned();
    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let c = block_on(clients());
    let (web, api, canary) = (format!("{}-web", ws.name), format!("{}-api", ws.name), format!("{}-canary", ws.name));
    let alone = vec![vec![vec![(api.clone(), 100)]]; 2];
    assert_eq!(block_on(rule_forwards(&c, &ws.name)), alone);

    ws.edit("instance_type: t3.micro", "instance_type: t3.medium");
    // Killed at 50%: both rules split, plan holds them, and the undo puts each rule's forward back.
    let mut child = spawn_clusterup(
        endpoint(),
        &["rollout", "--yes", "--group", "api", "--canary", "50,100", "--step-time", "60s", &topology],
    );
    let at50 = vec![vec![vec![(api.clone(), 50), (canary.clone(), 50)]]; 2];
    let deadline = Instant::now() + Duration::from_secs(120);
    while block_on(rule_forwards(&c, &ws.name)) != at50 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the rollout ended ({status}) before the canary reached 50%");
        }
        assert!(Instant::now() < deadline, "never {at50:?}: {:?}", block_on(rule_forwards(&c, &ws.name)));
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let plan = clusterup(&["plan", "--detailed-exitcode", &topology]);
    assert_code(&plan, 2);
    let shown = stdout(&plan);
    assert!(shown.contains("50% of the api group's requests go to the canary"), "{shown}");
    assert!(!shown.contains("~ load_balancer/listener/80/rule/api"), "the split rule is planned as drift:\n{shown}");
    let undone = clusterup(&["rollout", "--yes", "--rollback", &topology]);
    assert_code(&undone, 0);
    assert_eq!(block_on(rule_forwards(&c, &ws.name)), alone);
    assert!(!block_on(target_group_exists(&c, &canary)), "the canary target group is left");

    let done = Arc::new(AtomicBool::new(false));
    let name = ws.name.clone();
    let sampler = sample(done.clone(), move |c| (block_on(forwards(c, &name)), block_on(rule_forwards(c, &name))));
    let rolled = clusterup(&[
        "rollout",
        "--yes",
        "--group",
        "api",
        "--canary",
        "50,100",
        "--step-time",
        "2s",
        "--metrics-delay",
        "0s",
        &topology,
    ]);
    done.store(true, Ordering::SeqCst);
    let seen = sampler.join().expect("sampler");
    assert_code(&rolled, 0);
    let log = stderr(&rolled);
    for line in
        ["canary at 50%: 2/2 healthy", "canary at 100%: 2/2 healthy", "moving the api group", "Rollout complete in"]
    {
        assert!(log.contains(line), "no {line:?} in:\n{log}");
    }
    // The listeners' default actions forward to web alone all along; each rule went through both steps.
    assert!(seen.iter().all(|(listeners, _)| *listeners == vec![vec![(web.clone(), 100)]; 2]), "{seen:?}");
    for step in [[(api.clone(), 50), (canary.clone(), 50)], [(api.clone(), 0), (canary.clone(), 100)]] {
        let both = vec![vec![step.to_vec()]; 2];
        assert!(seen.iter().any(|(_, rules)| *rules == both), "never {both:?}: {seen:?}");
    }
    assert_eq!(seen.last().map(|(_, rules)| rules.clone()), Some(alone));
    let after = block_on(groups(&c, &ws.name));
    let api_group = after.iter().find(|(n, ..)| *n == api).expect("api");
    // v3: v2 was the undone rollout's.
    assert!(api_group.2.iter().all(|(_, version, kind)| version == "3" && kind == "t3.medium"), "{after:?}");
    assert!(!block_on(target_group_exists(&c, &canary)), "the canary target group is left");
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    destroyed(&c, &ws, &topology);
}
