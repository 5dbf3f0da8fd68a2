//! Going back to where a rollout began: every route the rollout moves forwards again what the topology
//! composes for it, at once (the group's traffic back on the group, and a shared default route's other
//! groups on their shares as before; a redirect stays a redirect, as it is no route of the rollout's),
//! then the canary group and target group deleted, then the launch template's default version put back
//! to the one the app group runs, so that plans again compare the topology with what the nodes boot from.
//! Each step is skipped when it is done already, so an interrupted undo is finished by the next run.

use super::route;
use super::state::{template_version, Phase, State};
use super::{Error, Event, Hook, Waits};
use crate::resources::autoscaling::refresh;
use crate::resources::ec2::launch_template;
use crate::resources::{registry, Ctx};

/// Undo the rollout `state` describes. `topology` is the path the operator gave, for messages.
pub async fn undo(ctx: &Ctx, state: &State, hook: &dyn Hook, topology: &str) -> Result<(), Error> {
    if state.phase() == Phase::Finishing {
        return Err(Error::Refused(format!(
            "the rollout of {} is past its last step: the canary carried all the traffic and the {} already runs that version, so there is nothing to go back to. Finish it with `clusterup rollout {topology} --canary 100`; to return to the old version, change the topology back and roll that out",
            template_version(state.canary_version()),
            state.group_label()
        )));
    }
    if let Some(app) = &state.app_group {
        // The last step passed and the app group is being moved to the new version: going back now would
        // leave it half on each. Let that finish instead.
        if let Some(running) = refresh::active_refresh(ctx, &app.id, app.address.as_str()).await? {
            return Err(Error::Refused(format!(
                "the canary passed every step and the {} {} is being moved to the new version (instance refresh {}); let it finish with `clusterup rollout {topology} --canary 100`",
                state.group_label(),
                app.id,
                running.instance_refresh_id().unwrap_or("(no id given)")
            )));
        }
    }
    back(ctx, state, hook).await?;
    Ok(())
}

/// The steps back, without the checks of [`undo`] (a failed step of a running rollout goes back at once).
pub(super) async fn back(ctx: &Ctx, state: &State, hook: &dyn Hook) -> Result<(), crate::resources::Error> {
    for r in &state.routes {
        let Some(restored) = state.restored(r) else { continue };
        if route::action(r).as_ref() != Some(&restored) {
            hook.event(&Event::Doing(&format!("{}: the {}'s traffic back to it", r.address, state.group_label())));
            route::set(ctx, r, &restored).await?;
        }
    }
    for canary in [&state.canary_group, &state.canary_target_group].into_iter().flatten() {
        hook.event(&Event::Doing(&format!("deleting {} {}", registry::label(canary.kind), canary.id)));
        let waits = Waits { hook, address: canary.address.clone() };
        registry::of(canary.kind).delete(ctx, canary, &waits).await?;
    }
    if let (Some(template), Some(app)) = (&state.launch_template, state.app_version()) {
        let numbered = app.parse::<u64>().is_ok();
        if numbered && state.default_version().as_deref() != Some(app.as_str()) {
            hook.event(&Event::Doing(&format!(
                "launch template {}: default version back to v{app}, the one the nodes run",
                template.id
            )));
            launch_template::set_default_version(ctx, &template.id, &app, template.address.as_str()).await?;
        }
    }
    Ok(())
}

/// What going back sends to AWS, recorded with SDK mocks: every ModifyListener call is matched by the
/// listener it names, so a call to a listener the rollout does not move would show.
#[cfg(test)]
mod tests {
    use aws_sdk_elasticloadbalancingv2::operation::modify_listener::ModifyListenerOutput;
    use aws_sdk_elasticloadbalancingv2::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::aws::Aws;
    use crate::model::names::app;
    use crate::model::Actual;
    use crate::resources::elbv2::listener_action::ListenerAction;
    use crate::resources::DataPolicy;
    use crate::rollout::state::tests::{deployment, listening, redirect_to_https};

    struct Silent;

    impl Hook for Silent {
        fn event(&self, _event: &Event<'_>) {}
    }

    #[tokio::test]
    async fn going_back_forwards_the_split_to_the_app_and_leaves_the_redirect_sdk_mock() {
        let to_app = mock!(Client::modify_listener)
            .match_requests(|req| {
                req.listener_arn() == Some("listener-80")
                    && ListenerAction::from_sdk(req.default_actions(), "test").ok()
                        == Some(ListenerAction::Forward("tg-app".into()))
            })
            .then_output(|| ModifyListenerOutput::builder().build());
        let any_other = mock!(Client::modify_listener).then_output(|| ModifyListenerOutput::builder().build());
        let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [&to_app, &any_other]);
        let ctx = Ctx { aws: Aws { elb, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };

        // Listener 80 still splits 50/50 (the canary already deleted by an interrupted undo, and the launch
        // template's default version put back); listener 81 redirects to HTTPS.
        let mut actuals: Vec<Actual> =
            deployment(true, &[50]).into_iter().filter(|a| !app::is_canary(a.address.as_str())).collect();
        actuals[0] = actuals[0].clone().attr(crate::resources::ec2::launch_template::DEFAULT_VERSION, "3");
        actuals.push(listening(81, &redirect_to_https()));
        let state = State::read(&actuals);
        assert_eq!(state.routes.len(), 1, "the split on 80 is the rollout's, the redirect is not");

        back(&ctx, &state, &Silent).await.expect("went back");
        assert_eq!((to_app.num_calls(), any_other.num_calls()), (1, 0), "only the forward is modified");
    }

    /// web (3) and web-small (1) share the default route; web's canary at 50% is undone: the listener
    /// forwards the composition's weighted forward again, not a plain forward to web.
    #[tokio::test]
    async fn going_back_puts_the_shared_routes_weighted_forward_back_sdk_mock() {
        use crate::rollout::state::tests::{composed_shared, shared_deployment};
        let composed = ListenerAction::weighted(&[("tg-app", 3), ("tg-small", 1)], None);
        let expected = composed.clone();
        let shared = mock!(Client::modify_listener)
            .match_requests(move |req| {
                req.listener_arn() == Some("listener-80")
                    && ListenerAction::from_sdk(req.default_actions(), "test").ok() == Some(expected.clone())
            })
            .then_output(|| ModifyListenerOutput::builder().build());
        let any_other = mock!(Client::modify_listener).then_output(|| ModifyListenerOutput::builder().build());
        let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [&shared, &any_other]);
        let ctx = Ctx { aws: Aws { elb, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };

        // The canary already deleted and the default version put back by an interrupted undo.
        let mut actuals: Vec<Actual> =
            shared_deployment(Some(50)).into_iter().filter(|a| !app::is_canary(a.address.as_str())).collect();
        actuals[0] = actuals[0].clone().attr(crate::resources::ec2::launch_template::DEFAULT_VERSION, "3");
        let state = State::read_group(&actuals, "web").with_composed(&[composed_shared()]);
        assert!(state.in_progress(), "a forward to a target group no group has is a rollout's");
        back(&ctx, &state, &Silent).await.expect("went back");
        assert_eq!((shared.num_calls(), any_other.num_calls()), (1, 0), "the composed weighted forward");
    }

    /// A path route's canary is undone through its rules (ModifyRule), on every listener, and no listener
    /// or other group's rule is touched.
    #[tokio::test]
    async fn going_back_from_a_rule_canary_puts_each_rules_forward_back_sdk_mock() {
        use crate::rollout::state::tests::rule_deployment;
        use aws_sdk_elasticloadbalancingv2::operation::modify_rule::ModifyRuleOutput;
        let to_api = mock!(Client::modify_rule)
            .match_requests(|req| {
                matches!(req.rule_arn(), Some("rule-80" | "rule-443"))
                    && ListenerAction::from_rule_sdk(req.actions(), "test").ok()
                        == Some(ListenerAction::Forward("tg-app".into()))
                    && req.conditions().is_empty()
            })
            .then_output(|| ModifyRuleOutput::builder().build());
        let other_rule = mock!(Client::modify_rule).then_output(|| ModifyRuleOutput::builder().build());
        let listener = mock!(Client::modify_listener).then_output(|| ModifyListenerOutput::builder().build());
        let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [&to_api, &other_rule, &listener]);
        let ctx = Ctx { aws: Aws { elb, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };

        let mut actuals: Vec<Actual> =
            rule_deployment(Some(10)).into_iter().filter(|a| !app::is_canary(a.address.as_str())).collect();
        actuals[0] = actuals[0].clone().attr(crate::resources::ec2::launch_template::DEFAULT_VERSION, "3");
        let state = State::read_group(&actuals, "api");
        back(&ctx, &state, &Silent).await.expect("went back");
        assert_eq!((to_api.num_calls(), other_rule.num_calls(), listener.num_calls()), (2, 0, 0));
    }
}
