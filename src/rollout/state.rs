//! Where a rollout stands, read from AWS alone: the canary group and target group exist (found by their
//! `clusterup:resource` tags, each tagged with the launch template version it runs), and the weighted
//! forwards of the group's routes say which share of the group's traffic the canary has reached. A route
//! is a listener's default action (`route: default`, alone or shared by weight with other groups) or a
//! listener rule's action (`route: { paths, hosts }`, one rule per listener that forwards). Only the
//! routes that forward to the rolled-out group's target group or the canary's are the rollout's: a
//! redirect (HTTP to HTTPS), a fixed response, a forward elsewhere or another group's rule is neither read
//! nor moved.
//!
//! A rollout is of one node group (`app` unless `--group` says otherwise), and a deployment has one at a
//! time: the canary's addresses are under its group's prefix (`app/canary/...`, `groups/web/canary/...`),
//! so the canary found says which group is being rolled out.

use std::collections::BTreeMap;

use super::route;
use crate::model::names::{app, load_balancer};
use crate::model::{tags, Actual, Address, Desired, Kind, Value, TAGS};
use crate::resources::autoscaling::group;
use crate::resources::ec2::launch_template;
use crate::resources::elbv2::listener_action::ListenerAction;
use crate::resources::elbv2::{listener, listener_rule};
use crate::topology::APP_GROUP;

/// The deployment's resources a rollout deals with, as discovered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// The node group rolled out: its launch template, Auto Scaling group and target group are the
    /// `app_*` fields (named for the group that had them first).
    pub group: String,
    pub launch_template: Option<Actual>,
    pub load_balancer: Option<Actual>,
    pub app_group: Option<Actual>,
    pub app_target_group: Option<Actual>,
    pub canary_group: Option<Actual>,
    pub canary_target_group: Option<Actual>,
    /// The routes the rollout moves: the listeners whose default action, and the listener rules whose
    /// action, forwards (plainly or weighted) to the group's target group or the canary's.
    pub routes: Vec<Actual>,
    /// Every node group's target group (not a canary's): address to ARN. A forward to these alone is
    /// what the composition makes, not a rollout's split.
    pub target_groups: BTreeMap<String, String>,
    /// What the topology composes for each route, its target groups resolved ([`State::with_composed`]):
    /// what the end of a rollout, or its undo, puts back. Empty when read without the topology.
    pub composed: BTreeMap<Address, ListenerAction>,
}

/// What a run of `clusterup rollout` has to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No rollout in progress.
    Idle,
    /// A canary exists and gets this share of its group's traffic (0 before the first step).
    Canary(u32),
    /// The canary carried all the traffic and the app group runs its version already: what is left is to
    /// send the traffic back to the app group and delete the canary.
    Finishing,
}

impl State {
    /// Where the rollout in progress stands, of whichever group it is (the `app` group's when none is).
    pub fn read(actuals: &[Actual]) -> State {
        let group = actuals.iter().find_map(|a| app::canary_of(a.address.as_str())).unwrap_or(APP_GROUP);
        State::read_group(actuals, group)
    }

    /// Where a rollout of node group `group` stands.
    pub fn read_group(actuals: &[Actual], group: &str) -> State {
        let at = |address: &str| actuals.iter().find(|a| a.address.as_str() == address).cloned();
        let app_target_group = at(&load_balancer::target_group(group));
        let canary_target_group = at(&app::canary_target_group(group));
        let ours: Vec<&str> =
            [&app_target_group, &canary_target_group].into_iter().flatten().map(|tg| tg.id.as_str()).collect();
        let routes = actuals
            .iter()
            .filter(|a| matches!(a.kind, Kind::Listener | Kind::ListenerRule))
            .filter(|r| route::action(r).is_some_and(|action| ours.iter().any(|tg| action.forwards_to(tg))))
            .cloned()
            .collect();
        let target_groups = actuals
            .iter()
            .filter(|a| a.kind == Kind::TargetGroup && !app::is_canary(a.address.as_str()))
            .map(|tg| (tg.address.as_str().to_owned(), tg.id.clone()))
            .collect();
        State {
            group: group.to_owned(),
            launch_template: at(&app::launch_template(group)),
            load_balancer: at(load_balancer::LOAD_BALANCER),
            app_group: at(&app::auto_scaling_group(group)),
            app_target_group,
            canary_group: at(&app::canary_group(group)),
            canary_target_group,
            routes,
            target_groups,
            composed: BTreeMap::new(),
        }
    }

    /// The state with what the topology composes for each of its routes (`wanted`: the composition,
    /// references unresolved), so that the rollout's end and its undo put back exactly what `apply`
    /// would make: a shared default route's weighted forward, not a forward to the group alone.
    pub fn with_composed(mut self, wanted: &[Desired]) -> State {
        let resolve = |address: &Address, attr: Option<&str>| match attr {
            None => self.target_groups.get(address.as_str()).map_or(Value::Unknown, Value::str),
            Some(_) => Value::Unknown,
        };
        let mut composed = BTreeMap::new();
        for r in &self.routes {
            let Some(want) = wanted.iter().find(|w| w.address == r.address && w.kind == r.kind) else { continue };
            let prop = if r.kind == Kind::ListenerRule { &listener_rule::ACTION } else { &listener::DEFAULT_ACTION };
            let action = want.value(prop).map(|v| v.resolve(&resolve)).as_ref().and_then(ListenerAction::from_value);
            if let Some(action) = action {
                composed.insert(r.address.clone(), action);
            }
        }
        self.composed = composed;
        self
    }

    /// Whether the rollout moves `route` (one of [`State::routes`]: a listener or a listener rule).
    pub fn moves(&self, route: &Address) -> bool {
        self.routes.iter().any(|r| &r.address == route)
    }

    /// A rollout has begun and not ended: a canary resource exists, or a route still splits traffic.
    pub fn in_progress(&self) -> bool {
        self.canary_group.is_some()
            || self.canary_target_group.is_some()
            || self.routes.iter().filter_map(route::action).any(|a| self.is_split(&a))
    }

    /// Whether `action` is a rollout's split: it forwards to the canary, or to a target group that is no
    /// node group's (a canary's left behind). A forward weighted between node groups' target groups is
    /// the composition's shared default route, not a split.
    pub fn is_split(&self, action: &ListenerAction) -> bool {
        if self.canary_target_group.as_ref().is_some_and(|tg| action.forwards_to(&tg.id)) {
            return true;
        }
        action.shares().len() > 1 && action.shares().iter().any(|(tg, _)| !self.target_groups.values().any(|t| t == tg))
    }

    /// Whether `address` is the rolled-out group's Auto Scaling group or launch template: what the
    /// rollout changes and `apply` must leave to it meanwhile.
    pub fn rolls(&self, address: &str) -> bool {
        address == app::auto_scaling_group(&self.group) || address == app::launch_template(&self.group)
    }

    /// `app group`, `web group`: the group rolled out, for messages.
    pub fn group_label(&self) -> String {
        format!("{} group", self.group)
    }

    /// The launch template version the canary runs (its group's tag, else its target group's).
    pub fn canary_version(&self) -> Option<String> {
        [&self.canary_group, &self.canary_target_group]
            .into_iter()
            .flatten()
            .find_map(|a| tags::from_value(a.props.get(TAGS.name)).get(tags::LAUNCH_TEMPLATE_VERSION).cloned())
    }

    /// The numbered launch template version the app group launches.
    pub fn app_version(&self) -> Option<String> {
        self.app_group.as_ref().and_then(|g| g.text(&group::LAUNCH_TEMPLATE_VERSION)).map(str::to_owned)
    }

    /// The launch template's default version: what the topology's launch template is now.
    pub fn default_version(&self) -> Option<String> {
        self.launch_template.as_ref().and_then(|t| t.attrs.get(launch_template::DEFAULT_VERSION)).cloned()
    }

    /// The share of its group's traffic the canary gets: the smallest over the routes (a run stopped while
    /// it moved them one by one resumes at the step every route has reached).
    pub fn canary_percent(&self) -> u32 {
        if self.canary_target_group.is_none() {
            return 0;
        }
        self.routes
            .iter()
            .map(|r| route::action(r).map_or(0, |action| self.share_of(&r.address, &action)))
            .min()
            .unwrap_or(0)
    }

    /// The canary's share of its group's share in `action`, the action of route `route`: web 270,
    /// canary 30, web-small 100 is 10% (of web's requests), not the 7.5% of the listener's. Read against
    /// what the topology composes when known (exact where AWS's 999 cap rounded the weights).
    pub fn share_of(&self, route: &Address, action: &ListenerAction) -> u32 {
        let Some(canary) = &self.canary_target_group else { return 0 };
        let Some(group) = &self.app_target_group else {
            // The group's target group is gone: the canary's share of the whole forward.
            return action.shares().iter().find(|(tg, _)| *tg == canary.id).map_or(0, |(_, share)| *share);
        };
        self.composed
            .get(route)
            .filter(|base| base.forwards_to(&group.id))
            .and_then(|base| route::step_of(base, action, &group.id, &canary.id))
            .unwrap_or_else(|| route::canary_share(action, &group.id, &canary.id))
    }

    /// What `route` (one of [`State::routes`]) forwards to without the canary: what the topology composes
    /// for it when known, else its own forward with the canary's weight given back to the group (and
    /// that of any target group that is no node group's: a canary's left behind). `None`
    /// without the group's target group (nothing to give it back to).
    pub fn restored(&self, route: &Actual) -> Option<ListenerAction> {
        let group = &self.app_target_group.as_ref()?.id;
        let canary = self.canary_target_group.as_ref().map(|tg| tg.id.as_str());
        // The canary, or a target group that is no node group's: a canary's whose target group is gone.
        let leftover = |tg: &str| Some(tg) == canary || !self.target_groups.values().any(|t| t == tg);
        let composed = self
            .composed
            .get(&route.address)
            .filter(|c| c.forwards_to(group) && c.shares().iter().all(|(tg, _)| !leftover(tg)));
        match composed {
            Some(action) => Some(action.clone()),
            None => route::without_canary(&route::action(route)?, group, &leftover),
        }
    }

    pub fn phase(&self) -> Phase {
        if !self.in_progress() {
            Phase::Idle
        } else if self.canary_version().is_some() && self.canary_version() == self.app_version() {
            Phase::Finishing
        } else {
            Phase::Canary(self.canary_percent())
        }
    }

    /// `canary at 50% (launch template v4)`, for notes and messages.
    pub fn summary(&self) -> String {
        let version = template_version(self.canary_version());
        match self.phase() {
            Phase::Finishing => format!("canary done, cleaning up ({version})"),
            _ => format!("canary at {}% ({version})", self.canary_percent()),
        }
    }
}

/// `launch template v4`, or `launch template unknown` for a version nobody recorded, for messages.
pub fn template_version(version: Option<String>) -> String {
    version.map_or_else(|| "launch template unknown".to_owned(), |v| format!("launch template v{v}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::resources::elbv2::listener_action::{FixedResponse, Redirect};

    pub fn tagged(address: &str, kind: Kind, id: &str, version: Option<&str>) -> Actual {
        let mut tags = BTreeMap::from([(tags::RESOURCE.to_owned(), address.to_owned())]);
        if let Some(v) = version {
            tags.insert(tags::LAUNCH_TEMPLATE_VERSION.to_owned(), v.to_owned());
        }
        Actual::new(Address::new(address), kind, id).prop(&TAGS, tags::to_value(&tags))
    }

    /// A listener on `port` forwarding to one target group, or weighted between several.
    pub fn forwarding(port: i64, targets: &[(&str, u32)]) -> Actual {
        let action = match targets {
            [(arn, _)] => ListenerAction::Forward((*arn).to_owned()),
            many => ListenerAction::weighted(many, None),
        };
        listening(port, &action)
    }

    /// A listener on `port` whose default action is `action`.
    pub fn listening(port: i64, action: &ListenerAction) -> Actual {
        Actual::new(Address::new(load_balancer::listener(port)), Kind::Listener, format!("listener-{port}"))
            .prop(&listener::DEFAULT_ACTION, action.to_value())
    }

    /// The HTTP to HTTPS redirect a listener on 80 makes when there is a certificate.
    pub fn redirect_to_https() -> ListenerAction {
        ListenerAction::Redirect(Redirect {
            protocol: Some("HTTPS".into()),
            port: Some("443".into()),
            status_code: "HTTP_301".into(),
            ..Redirect::default()
        })
    }

    /// An app on v3 with the launch template at v4, and, with `canary`, a canary on v4 getting `percent`.
    pub fn deployment(canary: bool, listeners: &[u32]) -> Vec<Actual> {
        group_deployment("app", canary, listeners)
    }

    /// [`deployment`] of node group `name` (its target group's id is still `tg-app`).
    pub fn group_deployment(name: &str, canary: bool, listeners: &[u32]) -> Vec<Actual> {
        let mut all = vec![
            Actual::new(Address::new(app::launch_template(name)), Kind::LaunchTemplate, "lt-1")
                .attr(launch_template::DEFAULT_VERSION, "4"),
            tagged(&app::auto_scaling_group(name), Kind::AutoScalingGroup, &format!("shop-{name}"), None)
                .prop(&group::LAUNCH_TEMPLATE_VERSION, Value::str("3")),
            tagged(&load_balancer::target_group(name), Kind::TargetGroup, "tg-app", None),
        ];
        if canary {
            all.push(tagged(&app::canary_group(name), Kind::AutoScalingGroup, "shop-canary", Some("4")));
            all.push(tagged(&app::canary_target_group(name), Kind::TargetGroup, "tg-canary", Some("4")));
        }
        for (i, &percent) in listeners.iter().enumerate() {
            let port = 80 + i64::try_from(i).unwrap_or(0);
            let listener = if percent == 0 && !canary {
                forwarding(port, &[("tg-app", 1)])
            } else {
                forwarding(port, &[("tg-app", 100 - percent), ("tg-canary", percent)])
            };
            all.push(listener);
        }
        all
    }

    #[test]
    fn the_canary_found_says_which_group_is_rolled_out() {
        // A rollout of group web at 50%, beside an idle group workers: read without a group, it is web's.
        let mut all = group_deployment("web", true, &[50]);
        all.push(tagged(&app::auto_scaling_group("workers"), Kind::AutoScalingGroup, "shop-workers", None));
        let state = State::read(&all);
        assert_eq!(state.group, "web");
        assert_eq!(state.group_label(), "web group");
        assert_eq!(state.app_group.as_ref().map(|g| g.id.as_str()), Some("shop-web"));
        assert_eq!(state.launch_template.as_ref().map(|t| t.id.as_str()), Some("lt-1"));
        assert_eq!(state.phase(), Phase::Canary(50));
        assert!(state.rolls("groups/web/auto-scaling-group") && state.rolls("groups/web/launch-template"));
        assert!(!state.rolls("groups/workers/auto-scaling-group") && !state.rolls(app::AUTO_SCALING_GROUP));
        // Read for another group, the same resources are not that group's rollout.
        let other = State::read_group(&all, "workers");
        assert_eq!((other.canary_group.is_some(), other.app_target_group.is_some()), (false, false));
        // Nothing in progress: the app group's, as before node groups.
        assert_eq!(State::read(&group_deployment("web", false, &[0])).group, "app");
    }

    #[test]
    fn no_canary_and_plain_forwards_is_no_rollout() {
        let state = State::read(&deployment(false, &[0]));
        assert!(!state.in_progress());
        assert_eq!(state.phase(), Phase::Idle);
        assert_eq!((state.app_version().as_deref(), state.default_version().as_deref()), (Some("3"), Some("4")));
    }

    #[test]
    fn the_listeners_weights_say_which_step_the_canary_reached() {
        let state = State::read(&deployment(true, &[50]));
        assert_eq!(state.phase(), Phase::Canary(50));
        assert_eq!(state.canary_version().as_deref(), Some("4"));
        assert_eq!(state.summary(), "canary at 50% (launch template v4)");
        // Stopped between two listeners: the step both have reached.
        assert_eq!(State::read(&deployment(true, &[50, 10])).phase(), Phase::Canary(10));
        // Made but not yet weighted in: step 0.
        let mut made = deployment(true, &[]);
        made.push(forwarding(80, &[("tg-app", 1)]));
        assert_eq!(State::read(&made).phase(), Phase::Canary(0));
    }

    #[test]
    fn an_app_group_already_on_the_canarys_version_is_the_end_of_the_rollout() {
        let mut all = deployment(true, &[100]);
        all[1] = all[1].clone().prop(&group::LAUNCH_TEMPLATE_VERSION, Value::str("4"));
        assert_eq!(State::read(&all).phase(), Phase::Finishing);
        // Traffic back on the app group, the canary group already deleted: still finishing.
        let rest: Vec<Actual> = all
            .into_iter()
            .filter(|a| a.address.as_str() != app::CANARY_GROUP)
            .map(|a| if a.kind == Kind::Listener { forwarding(80, &[("tg-app", 1)]) } else { a })
            .collect();
        assert_eq!(State::read(&rest).phase(), Phase::Finishing);
    }

    #[test]
    fn a_listener_still_split_between_target_groups_is_a_rollout_in_progress() {
        let mut all = deployment(false, &[]);
        all.push(forwarding(80, &[("tg-app", 100), ("tg-other", 0)]));
        let state = State::read(&all);
        assert!(state.in_progress());
        assert_eq!(state.phase(), Phase::Canary(0));
        assert_eq!(state.summary(), "canary at 0% (launch template unknown)");
    }

    #[test]
    fn only_the_listeners_forwarding_to_the_app_or_the_canary_are_the_rollouts() {
        let mut all = deployment(true, &[50]);
        all.push(listening(81, &redirect_to_https()));
        let maintenance = FixedResponse { status_code: "503".into(), ..FixedResponse::default() };
        all.push(listening(82, &ListenerAction::FixedResponse(maintenance)));
        all.push(forwarding(83, &[("tg-someone-elses", 1)]));
        all.push(listening(84, &ListenerAction::Unmodelled(vec!["authenticate-oidc".into(), "forward".into()])));
        let state = State::read(&all);
        let moved: Vec<&str> = state.routes.iter().map(|l| l.address.as_str()).collect();
        assert_eq!(moved, [load_balancer::listener(80)]);
        assert!(state.moves(&Address::new(load_balancer::listener(80))));
        assert!(!state.moves(&Address::new(load_balancer::listener(81))));
        // The redirect gives the canary no share, and does not hold the rollout at 0% for that.
        assert_eq!(state.phase(), Phase::Canary(50));

        // Without a rollout, a redirect is no rollout either.
        let mut idle = deployment(false, &[0]);
        idle.push(listening(81, &redirect_to_https()));
        assert_eq!(State::read(&idle).phase(), Phase::Idle);
        assert_eq!(State::read(&idle).routes.len(), 1);
    }

    /// Group web (target group `tg-app`, weight 3) sharing the default route with web-small (`tg-small`,
    /// weight 1), with a canary of web at `percent` (`None`: no canary, the composed forward).
    pub fn shared_deployment(percent: Option<u32>) -> Vec<Actual> {
        let mut all = group_deployment("web", percent.is_some(), &[]);
        all.push(tagged(&load_balancer::target_group("web-small"), Kind::TargetGroup, "tg-small", None));
        let composed = ListenerAction::weighted(&[("tg-app", 3), ("tg-small", 1)], None);
        let action = match percent {
            Some(p) => crate::rollout::route::split(&composed, "tg-app", "tg-canary", p, None),
            None => composed,
        };
        all.push(listening(80, &action));
        all
    }

    /// What the composition asks of the shared route's listener on 80: web 3, web-small 1, by reference.
    pub fn composed_shared() -> Desired {
        let tg = |g: &str| Value::Ref(Address::new(load_balancer::target_group(g)));
        Desired::new(load_balancer::listener(80), Kind::Listener).prop(
            &listener::DEFAULT_ACTION,
            crate::resources::elbv2::listener_action::weighted_forward_to(vec![(tg("web"), 3), (tg("web-small"), 1)]),
        )
    }

    /// Group api (target group `tg-app`) routed by paths: its rule on listeners 80 and 443 at `percent`,
    /// beside another group's rule and listener 80's default forward to group web (`tg-web`).
    pub fn rule_deployment(percent: Option<u32>) -> Vec<Actual> {
        let mut all = group_deployment("api", percent.is_some(), &[]);
        all.push(tagged(&load_balancer::target_group("web"), Kind::TargetGroup, "tg-web", None));
        all.push(forwarding(80, &[("tg-web", 1)]));
        let alone = ListenerAction::Forward("tg-app".into());
        let action = match percent {
            Some(p) => crate::rollout::route::split(&alone, "tg-app", "tg-canary", p, None),
            None => alone,
        };
        for port in [80, 443] {
            all.push(
                Actual::new(
                    Address::new(load_balancer::listener_rule(port, "api")),
                    Kind::ListenerRule,
                    format!("rule-{port}"),
                )
                .prop(&listener_rule::ACTION, action.to_value()),
            );
        }
        all.push(
            Actual::new(Address::new(load_balancer::listener_rule(80, "admin")), Kind::ListenerRule, "rule-admin")
                .prop(&listener_rule::ACTION, ListenerAction::Forward("tg-admin".into()).to_value()),
        );
        all
    }

    #[test]
    fn a_canary_in_a_shared_default_route_reads_as_its_share_of_its_groups_share() {
        let state = State::read(&shared_deployment(Some(10)));
        assert_eq!(state.group, "web");
        assert_eq!(state.phase(), Phase::Canary(10), "10% of web's requests, not 7.5% of the listener's");
        assert_eq!(state.summary(), "canary at 10% (launch template v4)");
        // Without a canary, the composition's weighted forward between two groups is no rollout.
        let idle = State::read_group(&shared_deployment(None), "web");
        assert_eq!(idle.routes.len(), 1, "web's route is the shared listener");
        assert!(!idle.in_progress());
        assert_eq!(idle.phase(), Phase::Idle);
        // Weighed in, nothing sent yet: step 0, still a rollout.
        assert_eq!(State::read(&shared_deployment(Some(0))).phase(), Phase::Canary(0));
    }

    #[test]
    fn the_app_group_sharing_the_default_route_by_weight_is_no_rollout() {
        // `app` (weight 3) beside web-small (weight 1), nothing rolled out: read without a group, as plan,
        // apply and status read it, the composition's weighted forward is not a split.
        let mut all = deployment(false, &[]);
        all.push(tagged(&load_balancer::target_group("web-small"), Kind::TargetGroup, "tg-small", None));
        all.push(forwarding(80, &[("tg-app", 3), ("tg-small", 1)]));
        let state = State::read(&all);
        assert_eq!((state.group.as_str(), state.routes.len()), ("app", 1));
        assert!(!state.in_progress(), "{state:?}");
        assert_eq!(state.phase(), Phase::Idle);
    }

    #[test]
    fn what_a_shared_route_goes_back_to_is_the_composed_weighted_forward() {
        let all = shared_deployment(Some(50));
        let state = State::read(&all).with_composed(&[composed_shared()]);
        let composed = ListenerAction::weighted(&[("tg-app", 3), ("tg-small", 1)], None);
        assert_eq!(state.composed.get(&Address::new(load_balancer::listener(80))), Some(&composed));
        assert_eq!(state.restored(&state.routes[0]), Some(composed.clone()));
        // Without the topology, the canary's weight folded back into web gives the same.
        assert_eq!(State::read(&all).restored(&State::read(&all).routes[0]), Some(composed));
        // A group alone goes back to a plain forward, as the composition makes it.
        let alone = State::read(&deployment(true, &[30]));
        assert_eq!(alone.restored(&alone.routes[0]), Some(ListenerAction::Forward("tg-app".into())));
    }

    #[test]
    fn a_canary_in_a_path_route_moves_the_groups_rules_on_every_listener_and_no_other() {
        let state = State::read(&rule_deployment(Some(50)));
        assert_eq!(state.group, "api");
        let moved: Vec<&str> = state.routes.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(moved, [load_balancer::listener_rule(80, "api"), load_balancer::listener_rule(443, "api")]);
        assert_eq!(state.phase(), Phase::Canary(50));
        assert_eq!(state.restored(&state.routes[1]), Some(ListenerAction::Forward("tg-app".into())));
        let idle = State::read_group(&rule_deployment(None), "api");
        assert_eq!((idle.routes.len(), idle.phase()), (2, Phase::Idle));
    }
}
