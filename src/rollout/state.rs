//! Where a rollout stands, read from AWS alone: the canary group and target group exist (found by their
//! `clusterup:resource` tags, each tagged with the launch template version it runs), and the listeners'
//! weighted forwards say which share of the traffic the canary has reached. Only the listeners that
//! forward to the rolled-out group's target group or the canary's are the rollout's: a redirect (HTTP to
//! HTTPS), a fixed response or a forward elsewhere is neither read nor moved.
//!
//! A rollout is of one node group (`app` unless `--group` says otherwise), and a deployment has one at a
//! time: the canary's addresses are under its group's prefix (`app/canary/...`, `groups/web/canary/...`),
//! so the canary found says which group is being rolled out.

use crate::model::names::{app, load_balancer};
use crate::model::{tags, Actual, Kind, TAGS};
use crate::resources::autoscaling::group;
use crate::resources::ec2::launch_template;
use crate::resources::elbv2::listener;
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
    /// The listeners the rollout moves: those whose default action forwards (plainly or weighted) to the
    /// app's target group or the canary's.
    pub listeners: Vec<Actual>,
}

/// What a run of `clusterup rollout` has to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No rollout in progress.
    Idle,
    /// A canary exists and gets this share of the traffic (0 before the first step).
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
        let listeners = actuals
            .iter()
            .filter(|a| a.kind == Kind::Listener)
            .filter(|l| listener::default_action(l).is_some_and(|action| ours.iter().any(|tg| action.forwards_to(tg))))
            .cloned()
            .collect();
        State {
            group: group.to_owned(),
            launch_template: at(&app::launch_template(group)),
            load_balancer: at(load_balancer::LOAD_BALANCER),
            app_group: at(&app::auto_scaling_group(group)),
            app_target_group,
            canary_group: at(&app::canary_group(group)),
            canary_target_group,
            listeners,
        }
    }

    /// Whether the rollout moves `listener` (one of [`State::listeners`]).
    pub fn moves(&self, listener: &crate::model::Address) -> bool {
        self.listeners.iter().any(|l| &l.address == listener)
    }

    /// A rollout has begun and not ended: a canary resource exists, or a listener still splits traffic.
    pub fn in_progress(&self) -> bool {
        self.canary_group.is_some()
            || self.canary_target_group.is_some()
            || self.listeners.iter().any(|l| shares(l).len() > 1)
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

    /// The share of the traffic the canary gets: the smallest over the listeners (a run stopped while it
    /// moved the listeners one by one resumes at the step every listener has reached).
    pub fn canary_percent(&self) -> u32 {
        let Some(canary) = &self.canary_target_group else { return 0 };
        self.listeners
            .iter()
            .map(|l| shares(l).iter().find(|(arn, _)| *arn == canary.id).map_or(0, |(_, w)| *w))
            .min()
            .unwrap_or(0)
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

/// The target groups a listener forwards to, each with its share in percent (none when it does not).
fn shares(listener: &Actual) -> Vec<(String, u32)> {
    let Some(action) = listener::default_action(listener) else { return Vec::new() };
    action.shares().into_iter().map(|(tg, share)| (tg.to_owned(), share)).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{Address, Value};
    use crate::resources::elbv2::listener_action::{FixedResponse, ListenerAction, Redirect};

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
        let moved: Vec<&str> = state.listeners.iter().map(|l| l.address.as_str()).collect();
        assert_eq!(moved, [load_balancer::listener(80)]);
        assert!(state.moves(&Address::new(load_balancer::listener(80))));
        assert!(!state.moves(&Address::new(load_balancer::listener(81))));
        // The redirect gives the canary no share, and does not hold the rollout at 0% for that.
        assert_eq!(state.phase(), Phase::Canary(50));

        // Without a rollout, a redirect is no rollout either.
        let mut idle = deployment(false, &[0]);
        idle.push(listening(81, &redirect_to_https()));
        assert_eq!(State::read(&idle).phase(), Phase::Idle);
        assert_eq!(State::read(&idle).listeners.len(), 1);
    }
}
