//! Rolling the app nodes onto a new launch template version with an Auto Scaling instance refresh.
//!
//! The refresh names the new version as its desired configuration: Auto Scaling replaces the nodes that
//! do not run it (skip matching), keeps the group's instance maintenance policy (minimum and maximum
//! healthy percentages) and instance warm-up, and switches the group to the new version only once every
//! node is replaced. If it fails, it rolls back on its own (auto rollback needs the desired configuration
//! and a numbered version, which is why the group never launches `$Default`). A refresh that is already
//! running, because an earlier apply was interrupted, is waited on, never started twice.

use std::sync::atomic::{AtomicI32, Ordering};

use aws_sdk_autoscaling::types::{
    DesiredConfiguration, InstanceRefresh, InstanceRefreshStatus, LaunchTemplateSpecification, RefreshPreferences,
};

use crate::aws::{AwsError, PollPolicy, PollStatus, Required, ResultExt};
use crate::resources::support::wait_for;
use crate::resources::{Ctx, Error, Progress};

/// A refresh replaces nodes in batches, each waiting for the new nodes to pass their health checks and
/// warm up: minutes per batch, and a large group may need many.
const REFRESH_WAIT: PollPolicy = PollPolicy::LONG;

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
    let id = match active_refresh(ctx, name, resource).await? {
        // An earlier, interrupted apply started it; it replaces towards the same version or an older
        // one. Either way, wait for it: the group then shows which version it runs, and the next plan
        // rolls again if that is not the one wanted.
        Some(running) => running
            .instance_refresh_id()
            .required("DescribeInstanceRefreshes", "InstanceRefreshId", resource)?
            .to_owned(),
        None => start(ctx, name, template, version, resource).await?,
    };
    // The total for "2 of 4 nodes replaced": the group's size, or the most nodes the refresh said it had
    // left when the size is not known.
    let most_left = AtomicI32::new(nodes.unwrap_or(0));
    let done = wait_for(REFRESH_WAIT, resource, "DescribeInstanceRefreshes", progress, || {
        let (id, most_left) = (id.clone(), &most_left);
        async move {
            let refresh = describe(ctx, name, &id, resource).await?;
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
                status => PollStatus::Pending(progress_text(status, total, left, refresh.percentage_complete())),
            })
        }
    })
    .await?;
    match done.status() {
        Some(InstanceRefreshStatus::Successful) => Ok(()),
        status => Err(failed(&done, status, name, version, resource).into()),
    }
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

async fn start(ctx: &Ctx, name: &str, template: &str, version: &str, resource: &str) -> Result<String, Error> {
    let started = ctx
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
        .call("StartInstanceRefresh", resource);
    match started {
        Ok(out) => {
            Ok(out.instance_refresh_id().required("StartInstanceRefresh", "InstanceRefreshId", resource)?.to_owned())
        }
        // Started between our look and this call (another run, or the console): wait on that one.
        Err(err) if err.code_is("InstanceRefreshInProgress") => match active_refresh(ctx, name, resource).await? {
            Some(running) => Ok(running
                .instance_refresh_id()
                .required("DescribeInstanceRefreshes", "InstanceRefreshId", resource)?
                .to_owned()),
            None => Err(err.into()),
        },
        Err(err) => Err(err.into()),
    }
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
/// succeeds), so what AWS answers along the way is checked here with SDK mocks.
#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use aws_sdk_autoscaling::operation::describe_instance_refreshes::DescribeInstanceRefreshesOutput;
    use aws_sdk_autoscaling::operation::start_instance_refresh::{
        StartInstanceRefreshError, StartInstanceRefreshOutput,
    };
    use aws_sdk_autoscaling::Client;
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

    fn refresh(status: InstanceRefreshStatus, left: i32, percent: i32) -> InstanceRefresh {
        InstanceRefresh::builder()
            .instance_refresh_id("r-1")
            .auto_scaling_group_name("shop-app")
            .status(status)
            .instances_to_update(left)
            .percentage_complete(percent)
            .build()
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

    fn started() -> Rule {
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
            .then_output(|| StartInstanceRefreshOutput::builder().instance_refresh_id("r-1").build())
    }

    fn ctx(rules: &[&Rule]) -> Ctx {
        let autoscaling = mock_client!(aws_sdk_autoscaling, RuleMode::MatchAny, rules);
        Ctx { aws: Aws { autoscaling, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() }
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
        let start = started();
        let seen = Seen::default();
        roll_with(&ctx(&[&describe, &start]), &seen, Some(2)).await.expect("rolled");
        let seen = seen.0.lock().expect("lock").clone();
        assert_eq!(seen, ["1 of 2 nodes replaced (50%)"]);
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
        let start = started();
        let seen = Seen::default();
        roll(&ctx(&[&describe, &start]), &seen).await.expect("rolled");
        assert_eq!(start.num_calls(), 1);
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
        let start = started();
        let err = roll(&ctx(&[&describe, &start]), &Seen::default()).await.expect_err("rolled back");
        let text = err.to_string();
        assert!(text.contains("instance refresh r-1 of group shop-app to launch template version 4"), "{text}");
        assert!(text.contains("rolled back: the nodes run the version they ran before"), "{text}");
        assert!(text.contains("New instances failed ELB health checks"), "{text}");
        assert!(text.contains("describe-scaling-activities --auto-scaling-group-name shop-app"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_already_running_is_waited_on_not_started_again_sdk_mock_emulator_gap() {
        let describe = describes(vec![
            Some(refresh(InstanceRefreshStatus::InProgress, 2, 50)),
            Some(refresh(InstanceRefreshStatus::InProgress, 2, 50)),
            Some(refresh(InstanceRefreshStatus::Successful, 0, 100)),
        ]);
        let start = started();
        roll(&ctx(&[&describe, &start]), &Seen::default()).await.expect("rolled");
        assert_eq!(start.num_calls(), 0, "never started twice");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_started_elsewhere_in_between_is_waited_on_sdk_mock_emulator_gap() {
        let describe = describes(vec![
            None,
            Some(refresh(InstanceRefreshStatus::InProgress, 1, 50)),
            Some(refresh(InstanceRefreshStatus::Successful, 0, 100)),
        ]);
        let in_progress = mock!(Client::start_instance_refresh).then_error(|| {
            StartInstanceRefreshError::generic(ErrorMetadata::builder().code("InstanceRefreshInProgress").build())
        });
        roll(&ctx(&[&describe, &in_progress]), &Seen::default()).await.expect("rolled");
        assert_eq!(in_progress.num_calls(), 1);
    }
}
