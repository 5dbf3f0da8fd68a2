//! A rollout from wherever it stands to its end:
//!
//! 1. the canary target group (the app target group's health check and attributes), then every route
//!    of the group (a listener's default action or a listener rule's action that forwards to its target
//!    group) forwarding to the canary too, at weight 0: AWS health-checks a target group only once a
//!    listener or rule names it, so the canary's nodes can be seen healthy before they get a request.
//!    Listeners that redirect or answer by themselves, and other groups' rules, are never touched
//!    ([`State`]);
//! 2. the canary group on the new version, as many nodes as the app group has, waited for until they
//!    are in service and healthy;
//! 3. each step: the weights set (the group's share split, group 100 - w, canary w; other groups sharing
//!    the route keep theirs: [`super::route::split`]), then the canary watched for the step's time
//!    ([`super::gate`]); a failure goes back at once ([`super::undo`]);
//! 4. once the canary has carried all the traffic for a step, the app group (now taking none) is moved
//!    to the new version by an instance refresh, the traffic goes back to it in one move (each route
//!    forwarding what the topology composes for it), and the canary group and target group are deleted.
//!    The deployment is then what apply builds for the topology.
//!
//! A run that finds part of this done (a kill, Ctrl-C) picks up where AWS says it stopped.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::gate::{self, Target};
use super::route::{self, MAX_TARGET_GROUPS};
use super::state::{Phase, State};
use super::undo::back;
use super::{Error, Event, Hook, Input, Options, Outcome, Waits};
use crate::engine::StopSignal;
use crate::model::{Actual, Address, Desired, Value};
use crate::resources::autoscaling::{group, refresh};
use crate::resources::elbv2::listener_action::ListenerAction;
use crate::resources::{registry, Ctx};

/// How a walk through the steps ended, short of an error.
enum Walked {
    /// The canary carried all the traffic for a whole step.
    Passed,
    Failed(String),
    Stopped(u32),
}

/// Take the rollout `input` describes to its end, or back if the canary fails.
pub async fn forward(
    ctx: &Ctx,
    input: Input<'_>,
    options: &Options,
    hook: &dyn Hook,
    stop: &StopSignal,
    topology: &str,
) -> Result<Outcome, Error> {
    let version = input.canary.group.text(&group::LAUNCH_TEMPLATE_VERSION)?;
    let mut run = Run {
        ctx,
        hook,
        stop,
        options,
        state: input.state.clone(),
        known: input.known.iter().map(|a| (a.address.clone(), a.clone())).collect(),
        version: version.to_owned(),
    };
    let walked = match run.walk(input).await {
        Ok(Walked::Passed) => match run.finish().await {
            Ok(nodes) => {
                // Done whatever happens next: a failed delete is finished by the next run, never undone.
                run.clean_up().await?;
                return Ok(Outcome::Done { version: run.version, nodes });
            }
            // Past the app group's refresh there is nothing to go back to (it runs the new version, and
            // the canary still carries the traffic): the next run finishes instead.
            Err(err) if run.state.phase() == Phase::Finishing => return Err(err),
            Err(err) => Err(err),
        },
        Ok(Walked::Stopped(percent)) => return Ok(Outcome::Stopped { percent }),
        Ok(Walked::Failed(reason)) => Ok(reason),
        Err(err) => Err(err),
    };
    let reason = match walked {
        Ok(reason) => reason,
        Err(err) => err.to_string(),
    };
    hook.event(&Event::Doing(&format!("the canary failed: {reason}; going back")));
    match back(ctx, &run.state, hook).await {
        Ok(()) => Ok(Outcome::RolledBack { version: run.version, reason }),
        Err(undo) => Err(Error::UndoFailed { cause: reason, undo: Box::new(undo), topology: topology.to_owned() }),
    }
}

struct Run<'a> {
    ctx: &'a Ctx,
    hook: &'a dyn Hook,
    stop: &'a StopSignal,
    options: &'a Options,
    /// Where the rollout stands, kept up to date as this run makes things (what [`back`] undoes).
    state: State,
    /// Every resource known so far, by address, to resolve the canary's references.
    known: BTreeMap<Address, Actual>,
    version: String,
}

impl Run<'_> {
    fn doing(&self, text: &str) {
        self.hook.event(&Event::Doing(text));
    }

    fn waits(&self, address: &Address) -> Waits<'_> {
        Waits { hook: self.hook, address: address.clone() }
    }

    /// `want` with its references replaced by the ids (or attributes) of what exists.
    fn resolved(&self, want: &Desired) -> Desired {
        let resolve = |address: &Address, attr: Option<&str>| {
            self.known.get(address).and_then(|a| a.reference(attr)).unwrap_or(Value::Unknown)
        };
        Desired {
            props: want.props.iter().map(|(k, v)| (k.clone(), v.resolve(&resolve))).collect(),
            create_only: want.create_only.iter().map(|(k, v)| (k.clone(), v.resolve(&resolve))).collect(),
            ..want.clone()
        }
    }

    fn required<'s>(&self, found: &'s Option<Actual>, what: &str) -> Result<&'s Actual, Error> {
        found.as_ref().ok_or_else(|| {
            Error::Refused(format!(
                "the deployment has no {what}: apply the topology first (`clusterup apply`), then roll out"
            ))
        })
    }

    /// The canary made (where missing) and taken through the steps it has not passed.
    async fn walk(&mut self, input: Input<'_>) -> Result<Walked, Error> {
        let group = self.state.group_label();
        let app_tg = self.required(&self.state.app_target_group, &format!("{group}'s target group"))?.id.clone();
        let load_balancer = self.required(&self.state.load_balancer, "load balancer")?.id.clone();
        if self.state.phase() == Phase::Finishing {
            return Ok(Walked::Passed);
        }
        if self.state.routes.is_empty() {
            // The canary would get no request, and AWS would never health-check it.
            return Err(Error::Refused(format!(
                "no listener or listener rule of the load balancer forwards to the {group}'s target group, so no traffic could be shifted to a canary: apply the topology first (`clusterup apply`), then roll out"
            )));
        }

        // 1. The canary's target group, named by every listener (at weight 0 until the first step).
        let canary_tg = match self.state.canary_target_group.clone() {
            Some(tg) => tg,
            None => {
                let want = self.resolved(&input.canary.target_group);
                self.doing(&format!(
                    "creating the canary target group {}",
                    want.text(&crate::model::NAME).unwrap_or("")
                ));
                let made = registry::of(want.kind).create(self.ctx, &want, &self.waits(&want.address)).await?;
                self.known.insert(made.address.clone(), made.clone());
                self.state.canary_target_group = Some(made.clone());
                made
            }
        };
        let start = self.options.steps.resume_at(self.state.canary_percent());
        if self.state.canary_percent() == 0 {
            self.weigh(&app_tg, &canary_tg.id, 0).await?;
        }

        // 2. The canary group, waited for until its nodes serve (a run killed while they booted resumes
        // here). One that exists already is only waited for, never created again: CreateAutoScalingGroup
        // is not something to repeat blindly (the emulator replaces a group of the same name, orphaning
        // its nodes, where AWS answers AlreadyExists).
        let want = self.resolved(&input.canary.group);
        let nodes = usize::try_from(want.int(&group::DESIRED)?).unwrap_or(0);
        let name = want.text(&crate::model::NAME).unwrap_or("").to_owned();
        if self.state.canary_group.is_some() {
            self.doing(&format!(
                "waiting for the canary group {name} ({nodes} nodes, launch template v{})",
                self.version
            ));
            group::wait_for_capacity(self.ctx, &want, &self.waits(&want.address)).await?;
        } else {
            self.doing(&format!("creating the canary group {name} ({nodes} nodes, launch template v{})", self.version));
            // Recorded before the call: a group whose creation failed half-way is still there to delete.
            self.state.canary_group = Some(Actual::made(&want, &name));
            let made = registry::of(want.kind).create(self.ctx, &want, &self.waits(&want.address)).await?;
            self.state.canary_group = Some(made);
        }

        // 3. The steps.
        let target = Target {
            target_group: &canary_tg.id,
            load_balancer: &load_balancer,
            expected: nodes,
            resource: canary_tg.address.as_str(),
        };
        if self.state.canary_percent() > 0 {
            self.doing(&format!("resuming at {}%", self.options.steps.as_slice()[start]));
        }
        for &percent in &self.options.steps.as_slice()[start..] {
            if self.stop.is_stopped() {
                return Ok(Walked::Stopped(self.state.canary_percent()));
            }
            self.weigh(&app_tg, &canary_tg.id, percent).await?;
            match self.watch(percent, target).await? {
                Watch::Passed => {}
                Watch::Failed(why) => return Ok(Walked::Failed(format!("canary at {percent}%: {why}"))),
                Watch::Stopped => return Ok(Walked::Stopped(percent)),
            }
        }
        if self.stop.is_stopped() {
            return Ok(Walked::Stopped(100));
        }
        Ok(Walked::Passed)
    }

    /// Every route the rollout moves forwarding `percent` of the group's requests to the canary, the rest
    /// to the group; other groups sharing a route keep their share.
    async fn weigh(&mut self, app_tg: &str, canary_tg: &str, percent: u32) -> Result<(), Error> {
        if percent > 0 {
            let group = &self.state.group;
            self.doing(&format!("canary at {percent}%: {percent}% of the {group} group's requests to the new version"));
        }
        let sticky = self.options.sticky;
        self.set_routes(|state, r| {
            let base = state.restored(r).ok_or_else(|| {
                Error::Refused(format!("{}: the {}'s target group is gone", r.address, state.group_label()))
            })?;
            let split = route::split(&base, app_tg, canary_tg, percent, sticky);
            if split.shares().len() > MAX_TARGET_GROUPS {
                // Checked before the rollout begins (`rollout` refuses such a group); a topology changed since.
                return Err(Error::Refused(format!(
                    "{}: with the canary it would forward to {} target groups, and AWS allows {MAX_TARGET_GROUPS} in one forward",
                    r.address,
                    split.shares().len()
                )));
            }
            Ok(split)
        })
        .await
    }

    /// Every route the rollout moves (the others are not in its state) given the action `action` says.
    async fn set_routes(
        &mut self,
        action: impl Fn(&State, &Actual) -> Result<ListenerAction, Error>,
    ) -> Result<(), Error> {
        for i in 0..self.state.routes.len() {
            let r = self.state.routes[i].clone();
            let wanted = action(&self.state, &r)?;
            route::set(self.ctx, &r, &wanted).await?;
            self.state.routes[i] = route::with_action(r, &wanted);
        }
        Ok(())
    }

    /// Look at the canary until the step's time is up and CloudWatch has published its last minutes
    /// (`metrics_delay` more: the last look counts them), or it fails.
    async fn watch(&self, percent: u32, target: Target<'_>) -> Result<Watch, Error> {
        let step = self.options.step_time;
        let whole = step + self.options.metrics_delay;
        let every = (step / 10).clamp(Duration::from_secs(1), Duration::from_secs(10));
        let started = tokio::time::Instant::now();
        let since = SystemTime::now();
        loop {
            let reading = gate::read(self.ctx, target, since, SystemTime::now()).await?;
            let elapsed = started.elapsed();
            let left = whole.saturating_sub(elapsed);
            let awaiting_metrics = elapsed >= step;
            self.hook.event(&Event::Watched { percent, reading: &reading, left, awaiting_metrics });
            if let Some(why) = reading.failure(self.options.max_5xx_percent) {
                return Ok(Watch::Failed(why));
            }
            if left.is_zero() {
                return Ok(Watch::Passed);
            }
            // The next look, or a stop, whichever comes first.
            tokio::select! {
                () = tokio::time::sleep(every.min(left)) => {}
                () = self.stop.stopped() => return Ok(Watch::Stopped),
            }
        }
    }

    /// The app group onto the new version, the traffic back to it, the canary deleted. Returns the nodes.
    async fn finish(&mut self) -> Result<usize, Error> {
        let group = self.state.group_label();
        let app = self.required(&self.state.app_group, &group)?.clone();
        let template = self.required(&self.state.launch_template, "launch template")?.id.clone();
        let app_tg = self.required(&self.state.app_target_group, &format!("{group}'s target group"))?.clone();
        let load_balancer = self.required(&self.state.load_balancer, "load balancer")?.id.clone();
        if self.state.app_version().as_deref() != Some(self.version.as_str()) {
            self.doing(&format!(
                "the canary carries all the traffic: moving the {group} {} to launch template v{}",
                app.id, self.version
            ));
            let nodes = app.props.get(group::DESIRED.name).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok());
            let target = refresh::Target { group: &app.id, template: &template, version: &self.version, nodes };
            refresh::roll_to(self.ctx, target, app.address.as_str(), &self.waits(&app.address)).await?;
            // From here on the rollout can only be finished, never undone (see `forward`).
            self.state.app_group = Some(app.clone().prop(&group::LAUNCH_TEMPLATE_VERSION, Value::str(&self.version)));
        }
        // The app group takes the traffic back only with as many healthy nodes as it should have. The
        // nodes the refresh replaced may still be listed, draining, for the target group's deregistration
        // delay: they do not count either way.
        let nodes = app.props.get(group::DESIRED.name).and_then(Value::as_int).unwrap_or(0);
        let nodes = usize::try_from(nodes).unwrap_or(0);
        let target = Target {
            target_group: &app_tg.id,
            load_balancer: &load_balancer,
            expected: nodes,
            resource: app_tg.address.as_str(),
        };
        let (healthy, not_healthy) = gate::target_health(self.ctx, target).await?;
        if healthy < nodes {
            let mut why = format!("after its refresh the {group} has {healthy}/{nodes} healthy targets");
            if !not_healthy.is_empty() {
                why.push_str(&format!(" ({})", not_healthy.join("; ")));
            }
            why.push_str(&format!(
                "; the canary still carries all the traffic\n  hint: once the {group}'s nodes are healthy, run the same `clusterup rollout` again to finish (launch template v{})",
                self.version
            ));
            return Err(Error::Refused(why));
        }
        self.doing(&format!("all the {group}'s traffic back to it, now on the new version"));
        self.set_routes(|state, r| {
            state
                .restored(r)
                .ok_or_else(|| Error::Refused(format!("{}: the {group}'s target group is gone", r.address)))
        })
        .await?;
        self.state.app_group = Some(app.prop(&group::LAUNCH_TEMPLATE_VERSION, Value::str(&self.version)));
        Ok(nodes)
    }

    /// The canary group and target group deleted, once nothing forwards to them.
    async fn clean_up(&mut self) -> Result<(), Error> {
        for canary in [self.state.canary_group.take(), self.state.canary_target_group.take()].into_iter().flatten() {
            self.doing(&format!("deleting {} {}", registry::label(canary.kind), canary.id));
            registry::of(canary.kind).delete(self.ctx, &canary, &self.waits(&canary.address)).await.map_err(|err| {
                Error::Refused(format!(
                    "the rollout is done (every node runs launch template v{}), but deleting the canary failed: {err}\n  hint: run the same `clusterup rollout` again to finish cleaning up",
                    self.version
                ))
            })?;
        }
        Ok(())
    }
}

enum Watch {
    Passed,
    Failed(String),
    Stopped,
}

/// What the steps send to AWS, recorded with SDK mocks: every ModifyListener call is matched by the
/// listener it names, so a call to a listener the rollout does not move would show.
#[cfg(test)]
mod tests {
    use aws_sdk_elasticloadbalancingv2::operation::modify_listener::ModifyListenerOutput;
    use aws_sdk_elasticloadbalancingv2::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::aws::Aws;
    use crate::resources::DataPolicy;
    use crate::rollout::state::tests::{deployment, listening, redirect_to_https};

    struct Silent;

    impl Hook for Silent {
        fn event(&self, _event: &Event<'_>) {}
    }

    /// The (app, canary) weights and stickiness of a request's weighted forward, if it is one.
    fn split(
        req: &aws_sdk_elasticloadbalancingv2::operation::modify_listener::ModifyListenerInput,
    ) -> Option<ListenerAction> {
        ListenerAction::from_sdk(req.default_actions(), "test").ok()
    }

    #[tokio::test]
    async fn a_step_moves_the_forward_and_leaves_the_redirect_sdk_mock() {
        let sticky = Some(Duration::from_secs(3600));
        let wanted = ListenerAction::weighted(&[("tg-app", 90), ("tg-canary", 10)], sticky);
        let expected = wanted.clone();
        let forward = mock!(Client::modify_listener)
            .match_requests(move |req| {
                req.listener_arn() == Some("listener-80") && split(req) == Some(expected.clone())
            })
            .then_output(|| ModifyListenerOutput::builder().build());
        let any_other = mock!(Client::modify_listener).then_output(|| ModifyListenerOutput::builder().build());
        let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [&forward, &any_other]);
        let ctx = Ctx { aws: Aws { elb, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };

        // A canary made, not yet weighted in, on listener 80; listener 81 redirects to HTTPS.
        let mut actuals = deployment(true, &[0]);
        actuals.push(listening(81, &redirect_to_https()));
        let state = State::read(&actuals);
        let options = Options {
            steps: "10,100".parse().expect("steps"),
            step_time: Duration::from_secs(60),
            max_5xx_percent: 1.0,
            metrics_delay: crate::rollout::METRICS_DELAY,
            sticky,
        };
        let stop = StopSignal::default();
        let mut run = Run {
            ctx: &ctx,
            hook: &Silent,
            stop: &stop,
            options: &options,
            state,
            known: BTreeMap::new(),
            version: "4".into(),
        };
        run.weigh("tg-app", "tg-canary", 10).await.expect("weighed");

        assert_eq!((forward.num_calls(), any_other.num_calls()), (1, 0), "only the forward is modified");
        assert_eq!(run.state.canary_percent(), 10);
        let moved: Vec<Option<ListenerAction>> = run.state.routes.iter().map(route::action).collect();
        assert_eq!(moved, [Some(wanted)]);
    }

    fn run_on<'a>(ctx: &'a Ctx, options: &'a Options, stop: &'a StopSignal, state: State) -> Run<'a> {
        Run { ctx, hook: &Silent, stop, options, state, known: BTreeMap::new(), version: "4".into() }
    }

    fn options(sticky: Option<Duration>) -> Options {
        Options {
            steps: "10,100".parse().expect("steps"),
            step_time: Duration::from_secs(60),
            max_5xx_percent: 1.0,
            metrics_delay: crate::rollout::METRICS_DELAY,
            sticky,
        }
    }

    /// web (3) shares the default route with web-small (1): at 10% the canary takes a tenth of web's
    /// share and web-small keeps its own; at the end the composition's weighted forward is back.
    #[tokio::test]
    async fn a_step_in_a_shared_route_splits_the_groups_share_alone_sdk_mock() {
        use crate::rollout::state::tests::{composed_shared, shared_deployment};
        let at10 = ListenerAction::weighted(&[("tg-app", 270), ("tg-canary", 30), ("tg-small", 100)], None);
        let composed = ListenerAction::weighted(&[("tg-app", 3), ("tg-small", 1)], None);
        let (step, end) = (at10.clone(), composed.clone());
        let stepped = mock!(Client::modify_listener)
            .match_requests(move |req| split(req) == Some(step.clone()))
            .then_output(|| ModifyListenerOutput::builder().build());
        let ended = mock!(Client::modify_listener)
            .match_requests(move |req| split(req) == Some(end.clone()))
            .then_output(|| ModifyListenerOutput::builder().build());
        let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [&stepped, &ended]);
        let ctx = Ctx { aws: Aws { elb, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };
        let (options, stop) = (options(None), StopSignal::default());
        let state = State::read(&shared_deployment(Some(0))).with_composed(&[composed_shared()]);
        let mut run = run_on(&ctx, &options, &stop, state);
        run.weigh("tg-app", "tg-canary", 10).await.expect("weighed");
        assert_eq!(run.state.canary_percent(), 10);
        assert_eq!(run.state.routes.iter().map(route::action).collect::<Vec<_>>(), [Some(at10)]);
        run.set_routes(|state, r| Ok(state.restored(r).expect("restored"))).await.expect("ended");
        assert_eq!((stepped.num_calls(), ended.num_calls()), (1, 1));
        assert_eq!(run.state.routes.iter().map(route::action).collect::<Vec<_>>(), [Some(composed)]);
    }

    /// A group routed by paths: a step moves its rule on every listener (ModifyRule, actions only) and
    /// never a listener's default action or another group's rule.
    #[tokio::test]
    async fn a_step_of_a_path_route_moves_the_groups_rules_sdk_mock() {
        use crate::rollout::state::tests::rule_deployment;
        use aws_sdk_elasticloadbalancingv2::operation::modify_rule::ModifyRuleOutput;
        let sticky = Some(Duration::from_secs(60));
        let wanted = ListenerAction::weighted(&[("tg-app", 90), ("tg-canary", 10)], sticky);
        let rules = mock!(Client::modify_rule)
            .match_requests(move |req| {
                matches!(req.rule_arn(), Some("rule-80" | "rule-443"))
                    && req.conditions().is_empty()
                    && ListenerAction::from_rule_sdk(req.actions(), "test").ok() == Some(wanted.clone())
            })
            .then_output(|| ModifyRuleOutput::builder().build());
        let other_rule = mock!(Client::modify_rule).then_output(|| ModifyRuleOutput::builder().build());
        let listener = mock!(Client::modify_listener).then_output(|| ModifyListenerOutput::builder().build());
        let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [&rules, &other_rule, &listener]);
        let ctx = Ctx { aws: Aws { elb, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };
        let (options, stop) = (options(sticky), StopSignal::default());
        let mut run = run_on(&ctx, &options, &stop, State::read(&rule_deployment(Some(0))));
        run.weigh("tg-app", "tg-canary", 10).await.expect("weighed");
        assert_eq!((rules.num_calls(), other_rule.num_calls(), listener.num_calls()), (2, 0, 0));
        assert_eq!(run.state.canary_percent(), 10);
    }

    /// A watch of one step against mocked AWS: two healthy canary targets, and CloudWatch answering
    /// nothing for its first `published_after` calls, then the load balancer's own 5xx (10 of 100
    /// requests) for a minute of the step that it published late.
    async fn watch_with_late_figures(metrics_delay: Duration, published_after: usize) -> (Watch, usize) {
        use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
        use aws_sdk_cloudwatch::types::MetricDataResult;
        use aws_sdk_elasticloadbalancingv2::operation::describe_target_health::DescribeTargetHealthOutput;
        use aws_sdk_elasticloadbalancingv2::types::{
            TargetDescription, TargetHealth, TargetHealthDescription, TargetHealthStateEnum,
        };
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        let healthy = |id: &str| {
            TargetHealthDescription::builder()
                .target(TargetDescription::builder().id(id).build())
                .target_health(TargetHealth::builder().state(TargetHealthStateEnum::Healthy).build())
                .build()
        };
        let targets = vec![healthy("i-1"), healthy("i-2")];
        let health = mock!(Client::describe_target_health).then_output(move || {
            DescribeTargetHealthOutput::builder().set_target_health_descriptions(Some(targets.clone())).build()
        });
        let looks = Arc::new(AtomicUsize::new(0));
        let counted = looks.clone();
        let figures = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_output(move || {
            let published = counted.fetch_add(1, Ordering::SeqCst) >= published_after;
            let result = |id: &str, value: f64| {
                MetricDataResult::builder()
                    .id(id)
                    .set_values(Some(if published { vec![value] } else { vec![] }))
                    .build()
            };
            GetMetricDataOutput::builder()
                .metric_data_results(result("lb_errors", 10.0))
                .metric_data_results(result("lb_requests", 100.0))
                .build()
        });
        let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [&health]);
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&figures]);
        let ctx = Ctx {
            aws: Aws { elb, cloudwatch, ..Aws::offline() },
            deployment: "shop".into(),
            data: DataPolicy::default(),
        };
        let options = Options {
            steps: "10,100".parse().expect("steps"),
            step_time: Duration::from_secs(60),
            max_5xx_percent: 1.0,
            metrics_delay,
            sticky: None,
        };
        let stop = StopSignal::default();
        let run = Run {
            ctx: &ctx,
            hook: &Silent,
            stop: &stop,
            options: &options,
            state: State::read(&deployment(true, &[10])),
            known: BTreeMap::new(),
            version: "4".into(),
        };
        let target = Target {
            target_group: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/shop-canary/1",
            load_balancer: "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/shop-alb/1",
            expected: 2,
            resource: "app/canary/target-group",
        };
        let watched = run.watch(10, target).await.expect("watched");
        (watched, looks.load(Ordering::SeqCst))
    }

    /// The step's last minute reaches CloudWatch after the step time: the last look, after the
    /// reporting delay, counts it and fails the step; without the delay the step would have passed on
    /// figures that were not in yet.
    #[tokio::test(start_paused = true)]
    async fn the_last_look_waits_out_cloudwatchs_reporting_delay_sdk_mock_emulator_gap() {
        // A look every 6 s (a tenth of the step): 11 looks in the step's 60 s, the figures after 15.
        let (watched, looks) = watch_with_late_figures(crate::rollout::METRICS_DELAY, 15).await;
        match watched {
            Watch::Failed(why) => assert!(why.contains("of the load balancer's answers were its own 5xx"), "{why}"),
            _ => panic!("the late figures were not counted"),
        }
        assert_eq!(looks, 16, "failed at the first look that saw them");
        let (watched, looks) = watch_with_late_figures(Duration::ZERO, 15).await;
        assert!(matches!(watched, Watch::Passed), "without the delay the step passes blind");
        assert_eq!(looks, 11);
        // Nothing late: the step passes once the delay is over, not before.
        let started = tokio::time::Instant::now();
        let (watched, _) = watch_with_late_figures(crate::rollout::METRICS_DELAY, usize::MAX).await;
        assert!(matches!(watched, Watch::Passed));
        assert!(
            started.elapsed() >= Duration::from_secs(60) + crate::rollout::METRICS_DELAY,
            "{:?}",
            started.elapsed()
        );
    }
}
