//! While a rollout is in progress, `plan` and `apply` leave its resources alone: the canary group and
//! target group are not planned for deletion and the weighted forwards of the routes it moves (listeners'
//! default actions, listener rules' actions) are not drift to undo. The plan says so in notes instead;
//! apply refuses to change what the rollout holds (the rolled-out group, its launch template, the
//! listeners, the rules it moves) and says how to end the rollout. A listener the rollout does not move
//! (a redirect, a fixed response) keeps its planned change, with nothing held.

use super::route;
use super::state::State;
use crate::model::names::app;
use crate::model::Kind;
use crate::plan::{Action, Plan};
use crate::resources::elbv2::{listener, listener_rule};

/// How the operator ends a rollout of `topology` (a path as they typed it).
pub fn how_to_end(topology: &str) -> String {
    format!(
        "`clusterup rollout {topology} --canary STEPS` resumes it, `clusterup rollout {topology} --rollback` undoes it"
    )
}

/// Mark what the rollout holds in `plan`: its resources and weighted listeners become unchanged, with a
/// note; a change to the rolled-out group or its launch template stays, with a note that it waits.
pub fn hold(plan: &mut Plan, state: &State, topology: &str) {
    if !state.in_progress() {
        return;
    }
    let note = format!("rollout in progress: {}; {}", state.summary(), how_to_end(topology));
    for change in &mut plan.changes {
        let routes = matches!(change.kind, Kind::Listener | Kind::ListenerRule);
        if app::is_canary(change.address.as_str()) && change.action == Action::Delete {
            change.action = Action::NoOp;
            change.notes.push(note.clone());
        } else if routes && change.action == Action::Update && state.moves(&change.address) {
            let Some(action) = change.actual.as_ref().and_then(route::action) else { continue };
            // Only the action differs, and it is the rollout's split: held. Anything else is still a change,
            // which apply refuses while the rollout runs.
            let prop =
                if change.kind == Kind::ListenerRule { &listener_rule::ACTION } else { &listener::DEFAULT_ACTION };
            let only_forward = change.changes.iter().all(|c| c.key == prop.name);
            if only_forward && state.is_split(&action) {
                let canary_share = state.share_of(&change.address, &action);
                change.action = Action::NoOp;
                change.changes.clear();
                change
                    .notes
                    .push(format!("{canary_share}% of the {} group's requests go to the canary: {note}", state.group));
            }
        } else if change.action != Action::NoOp && state.rolls(change.address.as_str()) {
            change.notes.push(format!("held until the rollout ends ({}); {}", state.summary(), how_to_end(topology)));
        }
    }
}

/// Why apply must not run `plan` now, if it must not: it changes what a rollout in progress holds.
pub fn refusal(plan: &Plan, state: &State, topology: &str) -> Option<String> {
    if !state.in_progress() {
        return None;
    }
    let held: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .filter(|c| {
            c.kind == Kind::Listener
                || (c.kind == Kind::ListenerRule && state.moves(&c.address))
                || app::is_canary(c.address.as_str())
                || state.rolls(c.address.as_str())
        })
        .map(|c| format!("{} {}", c.action.symbol().trim(), c.address))
        .collect();
    if held.is_empty() {
        return None;
    }
    Some(format!(
        "a canary rollout is in progress ({}), and this plan changes what it holds: {}. \
         End the rollout first: {}; then apply again",
        state.summary(),
        held.join(", "),
        how_to_end(topology)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::names::load_balancer;
    use crate::model::{Desired, Value};
    use crate::plan::diff;
    use crate::resources::autoscaling::group;
    use crate::rollout::state::tests::deployment;

    /// What the topology asks for: the app group on v4, each listener forwarding to the app target group.
    fn wanted(listeners: usize) -> Vec<Desired> {
        let mut out = vec![Desired::new(app::AUTO_SCALING_GROUP, Kind::AutoScalingGroup)
            .prop(&group::LAUNCH_TEMPLATE_VERSION, Value::str("4"))];
        out.push(Desired::new(load_balancer::TARGET_GROUP, Kind::TargetGroup));
        out.push(Desired::new(app::LAUNCH_TEMPLATE, Kind::LaunchTemplate));
        for i in 0..listeners {
            let port = 80 + i64::try_from(i).unwrap_or(0);
            out.push(
                Desired::new(load_balancer::listener(port), Kind::Listener).prop(
                    &listener::DEFAULT_ACTION,
                    Value::Ref(crate::model::Address::new(load_balancer::TARGET_GROUP)),
                ),
            );
        }
        out
    }

    fn actions(plan: &Plan) -> Vec<(String, Action)> {
        plan.changes.iter().map(|c| (c.address.to_string(), c.action)).collect()
    }

    #[test]
    fn a_plan_during_a_rollout_keeps_the_canary_and_the_split_and_says_so() {
        let actuals = deployment(true, &[50]);
        let state = State::read(&actuals);
        let mut plan = diff("shop", "us-east-1", &wanted(1), actuals);
        assert!(plan.changes.iter().any(|c| c.action == Action::Delete), "without hold the canary would go");
        hold(&mut plan, &state, "shop.yaml");
        let acted: Vec<(String, Action)> = actions(&plan).into_iter().filter(|(_, a)| *a != Action::NoOp).collect();
        assert_eq!(acted, [(app::AUTO_SCALING_GROUP.to_owned(), Action::Update)], "only the app group's version");
        let note_of = |address: &str| {
            plan.changes.iter().find(|c| c.address.as_str() == address).map(|c| c.notes.join("\n")).unwrap_or_default()
        };
        let canary = note_of(app::CANARY_GROUP);
        assert!(canary.starts_with("rollout in progress: canary at 50% (launch template v4); "), "{canary}");
        assert!(canary.contains("`clusterup rollout shop.yaml --rollback` undoes it"), "{canary}");
        assert!(note_of(app::CANARY_TARGET_GROUP).starts_with("rollout in progress"));
        assert!(note_of(&load_balancer::listener(80)).starts_with("50% of the app group's requests go to the canary"));
        assert!(note_of(app::AUTO_SCALING_GROUP).contains("held until the rollout ends (canary at 50%"));

        let refused = refusal(&plan, &state, "shop.yaml").expect("apply refuses");
        assert!(refused.contains("changes what it holds: ~ app/auto-scaling-group."), "{refused}");
        assert!(refused.contains("`clusterup rollout shop.yaml --canary STEPS` resumes it"), "{refused}");
    }

    #[test]
    fn a_rollout_of_another_group_holds_that_groups_resources_and_canary() {
        use crate::rollout::state::tests::group_deployment;
        let actuals = group_deployment("web", true, &[50]);
        let state = State::read(&actuals);
        let wanted = vec![
            Desired::new(app::auto_scaling_group("web"), Kind::AutoScalingGroup)
                .prop(&group::LAUNCH_TEMPLATE_VERSION, Value::str("4")),
            Desired::new(load_balancer::target_group("web"), Kind::TargetGroup),
            Desired::new(app::launch_template("web"), Kind::LaunchTemplate),
            Desired::new(load_balancer::listener(80), Kind::Listener).prop(
                &listener::DEFAULT_ACTION,
                Value::Ref(crate::model::Address::new(load_balancer::target_group("web"))),
            ),
        ];
        let mut plan = diff("shop", "us-east-1", &wanted, actuals);
        hold(&mut plan, &state, "shop.yaml");
        let acted: Vec<(String, Action)> = actions(&plan).into_iter().filter(|(_, a)| *a != Action::NoOp).collect();
        assert_eq!(acted, [("groups/web/auto-scaling-group".to_owned(), Action::Update)], "the canary is kept");
        let refused = refusal(&plan, &state, "shop.yaml").expect("apply refuses");
        assert!(refused.contains("~ groups/web/auto-scaling-group"), "{refused}");
    }

    #[test]
    fn without_a_rollout_nothing_is_held_and_a_split_listener_is_drift() {
        let mut actuals = deployment(false, &[]);
        actuals.push(crate::rollout::state::tests::forwarding(80, &[("tg-app", 1)]));
        let state = State::read(&actuals);
        let mut plan = diff("shop", "us-east-1", &wanted(1), actuals);
        let before = plan.clone();
        hold(&mut plan, &state, "shop.yaml");
        assert_eq!(plan, before);
        assert_eq!(refusal(&plan, &state, "shop.yaml"), None);
    }

    #[test]
    fn apply_may_change_what_the_rollout_does_not_hold() {
        let actuals = deployment(true, &[10]);
        let state = State::read(&actuals);
        // The app group already on v4 (as wanted); only the target group's tags differ.
        let mut wanted = wanted(1);
        wanted[0] = Desired::new(app::AUTO_SCALING_GROUP, Kind::AutoScalingGroup)
            .prop(&group::LAUNCH_TEMPLATE_VERSION, Value::str("3"));
        wanted[1] = wanted[1].clone().prop(&crate::model::TAGS, Value::Map(Default::default()));
        let mut plan = diff("shop", "us-east-1", &wanted, actuals);
        hold(&mut plan, &state, "shop.yaml");
        assert!(plan.has_changes());
        assert_eq!(refusal(&plan, &state, "shop.yaml"), None);
    }

    #[test]
    fn a_listener_the_rollout_does_not_move_keeps_its_planned_change() {
        use crate::rollout::state::tests::{listening, redirect_to_https};
        // A rollout at 50% on listener 80; someone made listener 81 redirect where the topology forwards.
        let mut actuals = deployment(true, &[50]);
        actuals.push(listening(81, &redirect_to_https()));
        let state = State::read(&actuals);
        let mut plan = diff("shop", "us-east-1", &wanted(2), actuals);
        hold(&mut plan, &state, "shop.yaml");
        let redirect = plan.changes.iter().find(|c| c.address.as_str() == load_balancer::listener(81)).expect("81");
        assert_eq!(redirect.action, Action::Update, "the redirect is not the rollout's split");
        assert!(redirect.notes.is_empty(), "{:?}", redirect.notes);
        let refused = refusal(&plan, &state, "shop.yaml").expect("apply still refuses listener changes meanwhile");
        assert!(refused.contains("~ load_balancer/listener/81"), "{refused}");
        assert!(!refused.contains("listener/80"), "the split on 80 is held: {refused}");
    }

    #[test]
    fn a_split_shared_route_and_a_split_rule_are_held_with_the_groups_share() {
        use crate::rollout::state::tests::{composed_shared, rule_deployment, shared_deployment};
        let note_of = |plan: &Plan, address: &str| {
            let change = plan.changes.iter().find(|c| c.address.as_str() == address).expect("change");
            (change.action, change.notes.join("\n"))
        };
        // web at 10% of its share of the route it shares with web-small.
        let actuals = shared_deployment(Some(10));
        let state = State::read(&actuals);
        let mut plan = diff("shop", "us-east-1", &[composed_shared()], actuals);
        hold(&mut plan, &state, "shop.yaml");
        let (action, note) = note_of(&plan, &load_balancer::listener(80));
        assert_eq!(action, Action::NoOp);
        assert!(note.starts_with("10% of the web group's requests go to the canary"), "{note}");

        // api's rules at 50%; the topology's rule forwards to api alone.
        let actuals = rule_deployment(Some(50));
        let state = State::read(&actuals);
        let rule = load_balancer::listener_rule(80, "api");
        let wanted = vec![Desired::new(&rule, Kind::ListenerRule)
            .prop(&listener_rule::ACTION, Value::Ref(crate::model::Address::new(load_balancer::target_group("api"))))];
        let mut plan = diff("shop", "us-east-1", &wanted, actuals);
        hold(&mut plan, &state, "shop.yaml");
        let (action, note) = note_of(&plan, &rule);
        assert_eq!(action, Action::NoOp);
        assert!(note.starts_with("50% of the api group's requests go to the canary"), "{note}");
        assert_eq!(note_of(&plan, &load_balancer::listener_rule(443, "api")).0, Action::Delete, "not in the topology");
        let refused = refusal(&plan, &state, "shop.yaml").expect("apply refuses to delete a rule the rollout moves");
        assert!(refused.contains("- load_balancer/listener/443/rule/api"), "{refused}");
    }
}
