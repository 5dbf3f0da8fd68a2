//! Rolling the app nodes onto a new launch template version with an Auto Scaling instance refresh.
//!
//! The refresh names the new version as its desired configuration: Auto Scaling replaces the nodes that
//! do not run it (skip matching), keeps the group's instance maintenance policy (minimum and maximum
//! healthy percentages) and instance warm-up, and switches the group to the new version only once every
//! node is replaced. If it fails, it rolls back on its own. Auto rollback needs the desired configuration
//! and a group on a numbered version: a group still on `$Default` or `$Latest` is pinned first
//! ([`super::pin`]).
//!
//! AWS runs one refresh per group at a time. One that is already running is ours when it goes to the same
//! launch template version (an earlier apply, interrupted, started it): it is waited on, never started
//! twice. One going elsewhere (an interrupted apply of another topology, a refresh started by hand) is
//! not taken as ours: it is waited for until it ends, whatever its end, and ours starts then. Cancelling
//! it instead would undo someone's work half-way; refusing would leave the operator to wait and re-run
//! apply, which is what waiting does, while keeping the plan's promise that apply converges
//! (docs/reliability.md).

use std::sync::atomic::{AtomicI32, Ordering};

use aws_sdk_autoscaling::types::{
    DesiredConfiguration, InstanceRefresh, InstanceRefreshStatus, LaunchTemplateSpecification, RefreshPreferences,
};

use super::pin::pin_numbered_version;
use crate::aws::{AwsError, PollPolicy, PollStatus, Required, ResultExt};
use crate::resources::support::wait_for;
use crate::resources::{Ctx, Error, Progress};

/// A refresh replaces nodes in batches, each waiting for the new nodes to pass their health checks and
/// warm up: minutes per batch, and a large group may need many.
const REFRESH_WAIT: PollPolicy = PollPolicy::LONG;

/// How many refreshes of others are waited out before giving up: each is followed to its end, so more
/// than a few means someone keeps starting them.
const OTHERS_WAITED_AT_MOST: usize = 3;

/// How many times a refresh that AWS says is running, but does not list yet, is looked for again.
const RACES_AT_MOST: usize = 5;

/// What a refresh moves where.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The Auto Scaling group's name.
    pub group: &'a str,
    /// The launch template's id, and the version the group is to run.
    pub template: &'a str,
    pub version: &'a str,
    /// How many nodes the group has (its desired capacity) when the refresh starts, if known: the total
    /// progress counts to. AWS reports only the nodes left, which after a first batch is not the total.
    pub nodes: Option<i32>,
}

/// Replace the nodes of the group that do not run the target version of the launch template, and wait
/// until the group runs it.
pub async fn roll_to(ctx: &Ctx, target: Target<'_>, resource: &str, progress: &dyn Progress) -> Result<(), Error> {
    let Target { group: name, template, version, nodes } = target;
    let id = ours(ctx, name, template, version, resource, progress).await?;
    let done = follow(ctx, name, &id, resource, progress, "", nodes.unwrap_or(0)).await?;
    match done.status() {
        Some(InstanceRefreshStatus::Successful) => Ok(()),
        status => Err(failed(&done, status, name, version, resource).into()),
    }
}

/// The id of our refresh: the one running towards `template` version `version`, or one started once the
/// group has none running (others waited out first).
async fn ours(
    ctx: &Ctx,
    name: &str,
    template: &str,
    version: &str,
    resource: &str,
    progress: &dyn Progress,
) -> Result<String, Error> {
    let (mut others, mut races) = (0, 0);
    loop {
        match active_refresh(ctx, name, resource).await? {
            Some(running) if goes_to(&running, template, version) => {
                return Ok(running
                    .instance_refresh_id()
                    .required("DescribeInstanceRefreshes", "InstanceRefreshId", resource)?
                    .to_owned());
            }
            Some(other) => {
                others += 1;
                let id =
                    other.instance_refresh_id().required("DescribeInstanceRefreshes", "InstanceRefreshId", resource)?;
                if others > OTHERS_WAITED_AT_MOST {
                    return Err(AwsError::local(
                        resource,
                        "StartInstanceRefresh",
                        format!(
                            "group {name} keeps running instance refreshes that are not clusterup's (the latest: {id}, {}); \
                             find who starts them (aws autoscaling describe-instance-refreshes --auto-scaling-group-name {name}), \
                             then run apply again",
                            target_text(&other)
                        ),
                    )
                    .into());
                }
                let note =
                    format!("instance refresh {id} ({}) is not ours: waiting for it to end; ", target_text(&other));
                let left = other.instances_to_update().unwrap_or(0);
                let ended = follow(ctx, name, id, resource, progress, &note, left).await?;
                tracing::info!(
                    "{resource}: instance refresh {id} of group {name} ended {}; starting ours (launch template version {version})",
                    ended.status().map_or("unknown", |s| s.as_str())
                );
            }
            None => {
                if let Some(pinned) = pin_numbered_version(ctx, name, resource).await? {
                    // Said where the operator looks: the group's launch template version changed by hand.
                    progress.waiting(
                        &format!("group {name} launched an alias ($Default/$Latest): pinned to launch template version {pinned}, the one its nodes run, so that AWS can roll the refresh back"),
                        std::time::Duration::ZERO,
                    );
                }
                match start(ctx, name, template, version, resource).await {
                    Ok(id) => return Ok(id),
                    // Started between our look and this call (another run, or the console): look again,
                    // a moment later if AWS does not list it yet.
                    Err(err) if err.code_is("InstanceRefreshInProgress") && races < RACES_AT_MOST => {
                        races += 1;
                        if races > 1 {
                            tokio::time::sleep(PollPolicy::FAST.max_delay).await;
                        }
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        }
    }
}

/// Whether `refresh` replaces nodes with version `version` of launch template `template`. A refresh
/// without a desired configuration (it replaces nodes with what the group already launches), or naming
/// the template by name or a version by alias, is not one clusterup started.
fn goes_to(refresh: &InstanceRefresh, template: &str, version: &str) -> bool {
    let target = refresh.desired_configuration().and_then(|d| d.launch_template());
    target.is_some_and(|t| t.launch_template_id() == Some(template) && t.version() == Some(version))
}

/// Where a refresh goes, in words: `to launch template lt-1 version 3`.
fn target_text(refresh: &InstanceRefresh) -> String {
    match refresh.desired_configuration().and_then(|d| d.launch_template()) {
        Some(t) => format!(
            "to launch template {} version {}",
            t.launch_template_id().or(t.launch_template_name()).unwrap_or("(unnamed)"),
            t.version().unwrap_or("$Default")
        ),
        None => "replacing nodes with the group's own configuration".to_owned(),
    }
}

/// Follow refresh `id` of group `name` until it ends, saying how far it got (after `note`); `left` is
/// how many nodes it is known to replace (the group's size, or what it had left when last seen; 0 when
/// unknown): "2 of 4 nodes replaced" counts to at least that.
async fn follow(
    ctx: &Ctx,
    name: &str,
    id: &str,
    resource: &str,
    progress: &dyn Progress,
    note: &str,
    left: i32,
) -> Result<InstanceRefresh, Error> {
    // The most nodes the refresh said it had left: the total, for "2 of 4 nodes replaced".
    let most_left = AtomicI32::new(left);
    let done = wait_for(REFRESH_WAIT, resource, "DescribeInstanceRefreshes", progress, || {
        let most_left = &most_left;
        async move {
            let refresh = describe(ctx, name, id, resource).await?;
            let Some(refresh) = refresh else {
                return Err(AwsError::local(
                    resource,
                    "DescribeInstanceRefreshes",
                    format!(
                        "instance refresh {id} of group {name} is no longer listed; run apply again to start a new one"
                    ),
                ));
            };
            let left = refresh.instances_to_update().unwrap_or(0);
            let total = most_left.fetch_max(left, Ordering::Relaxed).max(left);
            Ok(match refresh.status() {
                Some(status) if ended(status) => PollStatus::Ready(refresh),
                status => PollStatus::Pending(format!(
                    "{note}{}",
                    progress_text(status, total, left, refresh.percentage_complete())
                )),
            })
        }
    })
    .await?;
    Ok(done)
}

/// "2 of 4 nodes replaced": what a refresh reports, in nodes.
fn progress_text(status: Option<&InstanceRefreshStatus>, total: i32, left: i32, percent: Option<i32>) -> String {
    let status = status.map_or("Pending", |s| s.as_str());
    match status {
        "RollbackInProgress" => {
            format!("rolling back after a failed replacement ({} of {total} nodes back)", total - left)
        }
        _ if total > 0 => format!("{} of {total} nodes replaced ({}%)", total - left, percent.unwrap_or(0)),
        _ => format!("instance refresh {}", status.to_ascii_lowercase()),
    }
}

/// States a refresh does not leave.
fn ended(status: &InstanceRefreshStatus) -> bool {
    matches!(
        status,
        InstanceRefreshStatus::Successful
            | InstanceRefreshStatus::Failed
            | InstanceRefreshStatus::Cancelled
            | InstanceRefreshStatus::RollbackSuccessful
            | InstanceRefreshStatus::RollbackFailed
    )
}

/// A refresh that ended without replacing the nodes, said as what happened and what to do.
fn failed(
    refresh: &InstanceRefresh,
    status: Option<&InstanceRefreshStatus>,
    name: &str,
    version: &str,
    resource: &str,
) -> AwsError {
    let reason = refresh.status_reason().unwrap_or("AWS gave no reason");
    let id = refresh.instance_refresh_id().unwrap_or("(no id given)");
    let what = match status {
        Some(InstanceRefreshStatus::RollbackSuccessful) => {
            "failed and was rolled back: the nodes run the version they ran before".to_owned()
        }
        Some(InstanceRefreshStatus::RollbackFailed) => {
            "failed, and so did its rollback: the group may run two versions".to_owned()
        }
        Some(InstanceRefreshStatus::Cancelled) => "was cancelled before every node was replaced".to_owned(),
        other => format!("ended as {}", other.map_or("unknown", |s| s.as_str())),
    };
    AwsError::local(
        resource,
        "StartInstanceRefresh",
        format!(
            "instance refresh {id} of group {name} to launch template version {version} {what} ({reason}). \
             Look at the group's activity history (aws autoscaling describe-scaling-activities \
             --auto-scaling-group-name {name}) for why new nodes did not become healthy, fix it, then run apply again"
        ),
    )
}

async fn start(ctx: &Ctx, name: &str, template: &str, version: &str, resource: &str) -> Result<String, AwsError> {
    let out = ctx
        .aws
        .autoscaling
        .start_instance_refresh()
        .auto_scaling_group_name(name)
        .desired_configuration(
            DesiredConfiguration::builder()
                .launch_template(
                    LaunchTemplateSpecification::builder().launch_template_id(template).version(version).build(),
                )
                .build(),
        )
        // Healthy percentages and warm-up come from the group (its maintenance policy and default
        // warm-up), so a refresh started by hand behaves the same.
        .preferences(RefreshPreferences::builder().skip_matching(true).auto_rollback(true).build())
        .send()
        .await
        .call("StartInstanceRefresh", resource)?;
    Ok(out.instance_refresh_id().required("StartInstanceRefresh", "InstanceRefreshId", resource)?.to_owned())
}

/// The group's refresh that has not ended, if any (AWS allows one at a time).
pub async fn active_refresh(ctx: &Ctx, name: &str, resource: &str) -> Result<Option<InstanceRefresh>, AwsError> {
    let out = ctx
        .aws
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(name)
        .send()
        .await
        .call("DescribeInstanceRefreshes", resource)?;
    Ok(out.instance_refreshes().iter().find(|r| r.status().is_some_and(|s| !ended(s))).cloned())
}

async fn describe(ctx: &Ctx, name: &str, id: &str, resource: &str) -> Result<Option<InstanceRefresh>, AwsError> {
    let out = ctx
        .aws
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(name)
        .instance_refresh_ids(id)
        .send()
        .await
        .call("DescribeInstanceRefreshes", resource)?;
    Ok(out.instance_refreshes().first().cloned())
}

/// The emulator has no instance refresh of its own (the project's launcher adds one that always
/// succeeds at once), so what AWS answers along the way is checked here with SDK mocks.
#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use aws_sdk_autoscaling::operation::describe_auto_scaling_groups::DescribeAutoScalingGroupsOutput;
    use aws_sdk_autoscaling::operation::describe_instance_refreshes::DescribeInstanceRefreshesOutput;
    use aws_sdk_autoscaling::operation::start_instance_refresh::{
        StartInstanceRefreshError, StartInstanceRefreshOutput,
    };
    use aws_sdk_autoscaling::operation::update_auto_scaling_group::UpdateAutoScalingGroupOutput;
    use aws_sdk_autoscaling::types::{AutoScalingGroup, Instance, LifecycleState};
    use aws_sdk_autoscaling::Client;
    use aws_sdk_ec2::operation::describe_launch_templates::DescribeLaunchTemplatesOutput;
    use aws_sdk_ec2::types::LaunchTemplate;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::aws::Aws;
    use crate::resources::DataPolicy;

    /// Remembers what the wait reported, as the progress view would show it.
    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    impl Progress for Seen {
        fn waiting(&self, seen: &str, _waited: Duration) {
            self.0.lock().expect("lock").push(seen.to_owned());
        }
    }

    /// Refresh `id` towards version `version` of lt-1.
    fn refresh_to(id: &str, version: &str, status: InstanceRefreshStatus, left: i32, percent: i32) -> InstanceRefresh {
        InstanceRefresh::builder()
            .instance_refresh_id(id)
            .auto_scaling_group_name("shop-app")
            .status(status)
            .instances_to_update(left)
            .percentage_complete(percent)
            .desired_configuration(
                DesiredConfiguration::builder()
                    .launch_template(
                        LaunchTemplateSpecification::builder().launch_template_id("lt-1").version(version).build(),
                    )
                    .build(),
            )
            .build()
    }

    /// Ours: towards version 4.
    fn refresh(status: InstanceRefreshStatus, left: i32, percent: i32) -> InstanceRefresh {
        refresh_to("r-1", "4", status, left, percent)
    }

    /// DescribeInstanceRefreshes answers, one per call, in order (the last one repeats).
    fn describes(answers: Vec<Option<InstanceRefresh>>) -> Rule {
        let answers = Arc::new(Mutex::new(answers));
        mock!(Client::describe_instance_refreshes)
            .match_requests(|req| req.auto_scaling_group_name() == Some("shop-app"))
            .then_output(move || {
                let mut answers = answers.lock().expect("lock");
                let next = if answers.len() > 1 { answers.remove(0) } else { answers[0].clone() };
                DescribeInstanceRefreshesOutput::builder().set_instance_refreshes(next.map(|r| vec![r])).build()
            })
    }

    /// The calls that change the group, in order, as `Call(version)` lines.
    type Calls = Arc<Mutex<Vec<String>>>;

    fn started(calls: &Calls) -> Rule {
        let calls = calls.clone();
        mock!(Client::start_instance_refresh)
            .match_requests(|req| {
                let prefs = req.preferences();
                let template = req.desired_configuration().and_then(|d| d.launch_template());
                req.auto_scaling_group_name() == Some("shop-app")
                    && template.and_then(|t| t.launch_template_id()) == Some("lt-1")
                    && template.and_then(|t| t.version()) == Some("4")
                    && prefs.and_then(|p| p.skip_matching()) == Some(true)
                    && prefs.and_then(|p| p.auto_rollback()) == Some(true)
            })
            .then_output(move || {
                calls.lock().expect("lock").push("StartInstanceRefresh(4)".into());
                StartInstanceRefreshOutput::builder().instance_refresh_id("r-1").build()
            })
    }

    fn pinned(calls: &Calls) -> Rule {
        let calls = calls.clone();
        mock!(Client::update_auto_scaling_group)
            .match_requests(|req| {
                req.auto_scaling_group_name() == Some("shop-app")
                    && req.launch_template().and_then(|t| t.launch_template_id()) == Some("lt-1")
                    && req.min_size().is_none()
                    && req.max_size().is_none()
            })
            .then_compute_output(move |req| {
                let version = req.launch_template().and_then(|t| t.version()).unwrap_or("(none)");
                calls.lock().expect("lock").push(format!("UpdateAutoScalingGroup({version})"));
                UpdateAutoScalingGroupOutput::builder().build()
            })
    }

    /// The group on launch template version `version`, its nodes on `nodes`.
    fn group(version: &str, nodes: &[&str]) -> Rule {
        let instance = |(i, v): (usize, &&str)| {
            Instance::builder()
                .instance_id(format!("i-{i}"))
                .availability_zone("us-east-1a")
                .lifecycle_state(LifecycleState::InService)
                .health_status("Healthy")
                .protected_from_scale_in(false)
                .launch_template(LaunchTemplateSpecification::builder().launch_template_id("lt-1").version(*v).build())
                .build()
        };
        let found = AutoScalingGroup::builder()
            .auto_scaling_group_name("shop-app")
            .launch_template(LaunchTemplateSpecification::builder().launch_template_id("lt-1").version(version).build())
            .set_instances(Some(nodes.iter().enumerate().map(instance).collect()))
            .build();
        mock!(Client::describe_auto_scaling_groups)
            .match_requests(|req| req.auto_scaling_group_names() == ["shop-app"])
            .then_output(move || DescribeAutoScalingGroupsOutput::builder().auto_scaling_groups(found.clone()).build())
    }

    fn ctx(rules: &[&Rule]) -> Ctx {
        ctx_with_ec2(rules, &[])
    }

    fn ctx_with_ec2(rules: &[&Rule], ec2_rules: &[&Rule]) -> Ctx {
        let autoscaling = mock_client!(aws_sdk_autoscaling, RuleMode::MatchAny, rules);
        let ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, ec2_rules);
        Ctx { aws: Aws { autoscaling, ec2, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() }
    }

    async fn roll(ctx: &Ctx, seen: &Seen) -> Result<(), Error> {
        roll_with(ctx, seen, None).await
    }

    async fn roll_with(ctx: &Ctx, seen: &Seen, nodes: Option<i32>) -> Result<(), Error> {
        let target = Target { group: "shop-app", template: "lt-1", version: "4", nodes };
        roll_to(ctx, target, "app/auto-scaling-group", seen).await
    }

    /// The emulator's refresh replaces one node per describe: the first look already sees one replaced.
    #[tokio::test(start_paused = true)]
    async fn progress_counts_to_the_groups_size_when_the_first_look_comes_after_a_batch_sdk_mock_emulator_gap() {
        let describe = describes(vec![
            None,
            Some(refresh(InstanceRefreshStatus::InProgress, 1, 50)),
            Some(refresh(InstanceRefreshStatus::Successful, 0, 100)),
        ]);
        let log = calls();
        let (start, on_v3) = (started(&log), group("3", &["3", "3"]));
        let seen = Seen::default();
        roll_with(&ctx(&[&describe, &start, &on_v3]), &seen, Some(2)).await.expect("rolled");
        let seen = seen.0.lock().expect("lock").clone();
        assert_eq!(seen, ["1 of 2 nodes replaced (50%)"]);
    }

    fn calls() -> Calls {
        Arc::default()
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_is_started_and_followed_to_success_in_nodes_sdk_mock_emulator_gap() {
        let describe = describes(vec![
            None, // no refresh running yet
            Some(refresh(InstanceRefreshStatus::Pending, 4, 0)),
            Some(refresh(InstanceRefreshStatus::InProgress, 3, 25)),
            Some(refresh(InstanceRefreshStatus::InProgress, 1, 75)),
            Some(refresh(InstanceRefreshStatus::Successful, 0, 100)),
        ]);
        let log = calls();
        let (start, pin, on_v3) = (started(&log), pinned(&log), group("3", &["3", "3"]));
        let seen = Seen::default();
        roll(&ctx(&[&describe, &start, &pin, &on_v3]), &seen).await.expect("rolled");
        assert_eq!(*log.lock().expect("lock"), ["StartInstanceRefresh(4)"], "a numbered group is not pinned again");
        let seen = seen.0.lock().expect("lock").clone();
        assert_eq!(seen, ["0 of 4 nodes replaced (0%)", "1 of 4 nodes replaced (25%)", "3 of 4 nodes replaced (75%)"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_that_rolled_back_is_an_error_saying_so_sdk_mock_emulator_gap() {
        let rolled_back = InstanceRefresh::builder()
            .instance_refresh_id("r-1")
            .status(InstanceRefreshStatus::RollbackSuccessful)
            .status_reason("New instances failed ELB health checks")
            .instances_to_update(0)
            .build();
        let describe = describes(vec![
            None,
            Some(refresh(InstanceRefreshStatus::InProgress, 2, 50)),
            Some(refresh(InstanceRefreshStatus::RollbackInProgress, 1, 50)),
            Some(rolled_back),
        ]);
        let log = calls();
        let (start, on_v3) = (started(&log), group("3", &["3", "3"]));
        let err = roll(&ctx(&[&describe, &start, &on_v3]), &Seen::default()).await.expect_err("rolled back");
        let text = err.to_string();
        assert!(text.contains("instance refresh r-1 of group shop-app to launch template version 4"), "{text}");
        assert!(text.contains("rolled back: the nodes run the version they ran before"), "{text}");
        assert!(text.contains("New instances failed ELB health checks"), "{text}");
        assert!(text.contains("describe-scaling-activities --auto-scaling-group-name shop-app"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_of_ours_already_running_is_waited_on_not_started_again_sdk_mock_emulator_gap() {
        let describe = describes(vec![
            Some(refresh(InstanceRefreshStatus::InProgress, 2, 50)),
            Some(refresh(InstanceRefreshStatus::InProgress, 2, 50)),
            Some(refresh(InstanceRefreshStatus::Successful, 0, 100)),
        ]);
        let log = calls();
        let start = started(&log);
        roll(&ctx(&[&describe, &start]), &Seen::default()).await.expect("rolled");
        assert!(log.lock().expect("lock").is_empty(), "never started twice");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_of_ours_started_elsewhere_in_between_is_waited_on_sdk_mock_emulator_gap() {
        let describe = describes(vec![
            None,
            Some(refresh(InstanceRefreshStatus::InProgress, 1, 50)),
            Some(refresh(InstanceRefreshStatus::Successful, 0, 100)),
        ]);
        let in_progress = mock!(Client::start_instance_refresh).then_error(|| {
            StartInstanceRefreshError::generic(ErrorMetadata::builder().code("InstanceRefreshInProgress").build())
        });
        let on_v3 = group("3", &["3"]);
        roll(&ctx(&[&describe, &in_progress, &on_v3]), &Seen::default()).await.expect("rolled");
        assert_eq!(in_progress.num_calls(), 1);
    }

    /// A refresh towards another version (an interrupted apply of another topology, or one started by
    /// hand) would leave the group on that version: it is followed to its end, then ours starts.
    #[tokio::test(start_paused = true)]
    async fn a_refresh_towards_another_version_is_waited_out_then_ours_starts_sdk_mock_emulator_gap() {
        let other = |status, left, percent| Some(refresh_to("r-other", "3", status, left, percent));
        let describe = describes(vec![
            other(InstanceRefreshStatus::InProgress, 2, 0),
            other(InstanceRefreshStatus::InProgress, 1, 50),
            other(InstanceRefreshStatus::Successful, 0, 100),
            other(InstanceRefreshStatus::Successful, 0, 100), // no longer active: ours may start
            Some(refresh(InstanceRefreshStatus::InProgress, 2, 0)),
            Some(refresh(InstanceRefreshStatus::Successful, 0, 100)),
        ]);
        let log = calls();
        let (start, on_v3) = (started(&log), group("3", &["3", "3"]));
        let seen = Seen::default();
        roll(&ctx(&[&describe, &start, &on_v3]), &seen).await.expect("rolled");
        assert_eq!(*log.lock().expect("lock"), ["StartInstanceRefresh(4)"]);
        let seen = seen.0.lock().expect("lock").clone();
        assert_eq!(
            seen[0],
            "instance refresh r-other (to launch template lt-1 version 3) is not ours: waiting for it to end; 1 of 2 nodes replaced (50%)"
        );
        assert_eq!(seen.last().map(String::as_str), Some("0 of 2 nodes replaced (0%)"), "{seen:?}");
    }

    /// One refresh without a desired configuration (it rolls nodes onto the group's own configuration)
    /// is not ours either.
    #[test]
    fn only_a_refresh_to_the_same_template_and_version_is_ours() {
        assert!(goes_to(&refresh(InstanceRefreshStatus::InProgress, 1, 0), "lt-1", "4"));
        assert!(!goes_to(&refresh_to("r", "3", InstanceRefreshStatus::InProgress, 1, 0), "lt-1", "4"));
        assert!(!goes_to(&refresh(InstanceRefreshStatus::InProgress, 1, 0), "lt-2", "4"));
        let plain =
            InstanceRefresh::builder().instance_refresh_id("r").status(InstanceRefreshStatus::InProgress).build();
        assert!(!goes_to(&plain, "lt-1", "4"));
        assert_eq!(target_text(&plain), "replacing nodes with the group's own configuration");
    }

    /// AWS refuses AutoRollback on a group that launches `$Default`: it is pinned to the version its
    /// nodes run first, not to what `$Default` names (already the new version).
    #[tokio::test(start_paused = true)]
    async fn a_group_on_default_is_pinned_to_the_version_its_nodes_run_before_the_refresh_sdk_mock_emulator_gap() {
        let describe = describes(vec![None, Some(refresh(InstanceRefreshStatus::Successful, 0, 100))]);
        let log = calls();
        let (start, pin, on_default) = (started(&log), pinned(&log), group("$Default", &["3", "3"]));
        let seen = Seen::default();
        roll(&ctx(&[&describe, &start, &pin, &on_default]), &seen).await.expect("rolled");
        assert_eq!(*log.lock().expect("lock"), ["UpdateAutoScalingGroup(3)", "StartInstanceRefresh(4)"]);
        let seen = seen.0.lock().expect("lock").clone();
        assert!(seen[0].contains("pinned to launch template version 3, the one its nodes run"), "{seen:?}");
    }

    /// With no node to ask, the alias is resolved through the launch template.
    #[tokio::test(start_paused = true)]
    async fn a_group_on_latest_with_no_node_is_pinned_to_what_latest_names_sdk_mock_emulator_gap() {
        let describe = describes(vec![None, Some(refresh(InstanceRefreshStatus::Successful, 0, 100))]);
        let log = calls();
        let (start, pin, empty) = (started(&log), pinned(&log), group("$Latest", &[]));
        let template = mock!(aws_sdk_ec2::Client::describe_launch_templates)
            .match_requests(|req| req.launch_template_ids() == ["lt-1"])
            .then_output(|| {
                let found = LaunchTemplate::builder()
                    .launch_template_id("lt-1")
                    .default_version_number(2)
                    .latest_version_number(3)
                    .build();
                DescribeLaunchTemplatesOutput::builder().launch_templates(found).build()
            });
        roll(&ctx_with_ec2(&[&describe, &start, &pin, &empty], &[&template]), &Seen::default()).await.expect("rolled");
        assert_eq!(*log.lock().expect("lock"), ["UpdateAutoScalingGroup(3)", "StartInstanceRefresh(4)"]);
    }
}
