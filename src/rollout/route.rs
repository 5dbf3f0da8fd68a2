//! A route a rollout moves, and the weights it gives it. A node group gets its requests from a listener's
//! default action (`route: default`: a forward to the group alone, or a forward weighted between the
//! groups that share the route) or from a listener rule's action (`route: { paths, hosts }`); the rollout
//! splits that action's forward so that the canary takes a share *of its group's share* and every other
//! target group keeps its own.
//!
//! At step `p` the group's weight `w` becomes `w × (100 − p)` for the group and `w × p` for the canary,
//! and every other target group's weight `v` becomes `v × 100`: web (3) beside web-small (1) at 10% is
//! web 270, canary 30, web-small 100, so web-small keeps its quarter and the canary has a tenth of web's
//! three quarters.

use std::time::Duration;

use crate::model::{Actual, Kind};
use crate::resources::elbv2::listener_action::{ListenerAction, WeightedTarget};
use crate::resources::elbv2::{listener, listener_rule};
use crate::resources::Ctx;

/// The highest weight of a target group in a forward: AWS takes 0 to 999 (`TargetGroupTuple.Weight`).
pub const MAX_WEIGHT: u32 = 999;

/// The most target groups one forward may name (AWS's limit for a forward action).
pub const MAX_TARGET_GROUPS: usize = 5;

/// What a route does now: a listener's default action or a rule's action; `None` for anything else.
pub fn action(route: &Actual) -> Option<ListenerAction> {
    match route.kind {
        Kind::Listener => listener::default_action(route),
        Kind::ListenerRule => listener_rule::action(route),
        _ => None,
    }
}

/// `route` as it is once its action is `action`.
pub fn with_action(route: Actual, action: &ListenerAction) -> Actual {
    let prop = if route.kind == Kind::ListenerRule { &listener_rule::ACTION } else { &listener::DEFAULT_ACTION };
    route.prop(prop, action.to_value())
}

/// Give `route` the action `action`: ModifyListener for a listener's default action, ModifyRule for a
/// rule's. Nothing else of either is sent, so nothing else changes.
pub async fn set(ctx: &Ctx, route: &Actual, action: &ListenerAction) -> Result<(), crate::resources::Error> {
    match route.kind {
        Kind::ListenerRule => listener_rule::set_action(ctx, &route.id, route.address.as_str(), action).await,
        _ => listener::set_default_action(ctx, &route.id, route.address.as_str(), action).await,
    }
}

/// The (target group, weight) pairs of a forward; none when the action does not forward.
fn weights(action: &ListenerAction) -> Vec<(String, u32)> {
    match action {
        ListenerAction::Forward(arn) => vec![(arn.clone(), 1)],
        ListenerAction::WeightedForward { targets, .. } => {
            targets.iter().map(|t| (t.target_group.clone(), t.weight)).collect()
        }
        _ => Vec::new(),
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The weights divided by their greatest common divisor (all 0 stays all 0).
fn reduced(weights: &mut [u32]) {
    let divisor = weights.iter().fold(0, |g, w| gcd(g, u64::from(*w)));
    if divisor > 1 {
        for w in weights.iter_mut() {
            *w = u32::try_from(u64::from(*w) / divisor).unwrap_or(MAX_WEIGHT);
        }
    }
}

/// The weights within AWS's 0..=999. Weights that fit are kept as they are, so that a group alone reads
/// as percentages (app 90, canary 10), as operators and `status` read them. Others (100 × a group weight
/// of up to 100 is 10 000) are first divided by their greatest common divisor, which changes no share;
/// if still too big, scaled down in proportion, the largest to 999, rounded, each nonzero weight kept at
/// 1 or more: a weight rounded to 0 would take that target group out of the route altogether, where
/// a share off by a fraction of a percent only moves a little traffic.
pub fn fit(weights: &mut [u32]) {
    if weights.iter().all(|w| *w <= MAX_WEIGHT) {
        return;
    }
    reduced(weights);
    let largest = u64::from(weights.iter().copied().max().unwrap_or(0));
    if largest <= u64::from(MAX_WEIGHT) {
        return;
    }
    for w in weights.iter_mut().filter(|w| **w > 0) {
        let scaled = (u64::from(*w) * u64::from(MAX_WEIGHT) + largest / 2) / largest;
        *w = u32::try_from(scaled.max(1)).unwrap_or(MAX_WEIGHT);
    }
}

/// `action`'s forward with the canary (every target group `canary` says is one) folded back into its
/// group: the canary's weight added to the group's, the canary gone, the weights reduced by their
/// greatest common divisor. What the route did before the rollout, as far as its weights tell (the 999
/// cap may have rounded them).
fn merged(action: &ListenerAction, group: &str, canary: &dyn Fn(&str) -> bool) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = Vec::new();
    for (tg, weight) in weights(action) {
        let tg = if canary(&tg) { group.to_owned() } else { tg };
        match out.iter_mut().find(|(t, _)| *t == tg) {
            Some((_, w)) => *w += weight,
            None => out.push((tg, weight)),
        }
    }
    let mut ws: Vec<u32> = out.iter().map(|(_, w)| *w).collect();
    reduced(&mut ws);
    out.iter().zip(ws).map(|((tg, _), w)| (tg.clone(), w)).collect()
}

/// The route's action without the canary, when nothing better is known (see `merged`): a plain forward
/// when one target group is left, else a weighted forward without stickiness, as the composition makes.
pub fn without_canary(action: &ListenerAction, group: &str, canary: &dyn Fn(&str) -> bool) -> Option<ListenerAction> {
    match merged(action, group, canary).as_slice() {
        [] => None,
        [(only, _)] => Some(ListenerAction::Forward(only.clone())),
        many => {
            let targets: Vec<(&str, u32)> = many.iter().map(|(tg, w)| (tg.as_str(), *w)).collect();
            Some(ListenerAction::weighted(&targets, None))
        }
    }
}

/// `base` (the route without a canary) with `percent` of the group's share going to the canary and the
/// rest staying with the group; every other target group keeps its share (see the module's
/// documentation), the weights fitted to AWS's range ([`fit`]). A canary already in `base` is folded
/// back into its group first.
pub fn split(
    base: &ListenerAction,
    group: &str,
    canary: &str,
    percent: u32,
    stickiness: Option<Duration>,
) -> ListenerAction {
    let percent = percent.min(100);
    let mut targets: Vec<(String, u32)> = Vec::new();
    for (tg, weight) in merged(base, group, &|tg| tg == canary) {
        if tg == group {
            targets.push((tg, weight * (100 - percent)));
            targets.push((canary.to_owned(), weight * percent));
        } else {
            targets.push((tg, weight * 100));
        }
    }
    let mut ws: Vec<u32> = targets.iter().map(|(_, w)| *w).collect();
    fit(&mut ws);
    let targets =
        targets.into_iter().zip(ws).map(|((target_group, _), weight)| WeightedTarget { target_group, weight });
    ListenerAction::WeightedForward { targets: targets.collect(), stickiness }
}

/// The canary's share of its group's share of `action`, in whole percent, rounded down (a run that
/// resumes from it watches a step again rather than skip one): its weight over the group's and its own.
/// 0 when it has none (not in the forward, or both weights 0).
pub fn canary_share(action: &ListenerAction, group: &str, canary: &str) -> u32 {
    let of = |arn: &str| weights(action).iter().filter(|(tg, _)| tg == arn).map(|(_, w)| u64::from(*w)).sum::<u64>();
    let (g, c) = (of(group), of(canary));
    if c == 0 {
        return 0;
    }
    u32::try_from(c * 100 / (g + c)).unwrap_or(100)
}

/// The step `action` is at, when `base` is what it was split from: the percent whose [`split`] gives the
/// same weights. Exact where [`canary_share`] is not (the cap rounds weights); where rounding gives two
/// steps the same weights, the lower (watched again rather than skipped); `None` when no step does.
pub fn step_of(base: &ListenerAction, action: &ListenerAction, group: &str, canary: &str) -> Option<u32> {
    let now = weights(action);
    (0..=100).find(|&p| weights(&split(base, group, canary, p, None)) == now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights_of(action: &ListenerAction) -> Vec<(&str, u32)> {
        match action {
            ListenerAction::WeightedForward { targets, .. } => {
                targets.iter().map(|t| (t.target_group.as_str(), t.weight)).collect()
            }
            ListenerAction::Forward(arn) => vec![(arn.as_str(), 1)],
            _ => Vec::new(),
        }
    }

    /// web 3 beside web-small 1, as the composition writes a shared default route.
    fn shared() -> ListenerAction {
        ListenerAction::weighted(&[("tg-web", 3), ("tg-small", 1)], None)
    }

    #[test]
    fn a_canary_splits_its_groups_share_and_the_others_keep_theirs() {
        let at10 = split(&shared(), "tg-web", "tg-canary", 10, None);
        assert_eq!(weights_of(&at10), [("tg-web", 270), ("tg-canary", 30), ("tg-small", 100)]);
        // web-small keeps a quarter of the requests; the canary has a tenth of web's three quarters.
        assert_eq!(at10.shares(), [("tg-web", 67), ("tg-canary", 7), ("tg-small", 25)]);
        assert_eq!(canary_share(&at10, "tg-web", "tg-canary"), 10, "10% of web, not 7.5% of the listener");
        let at100 = split(&shared(), "tg-web", "tg-canary", 100, None);
        assert_eq!(weights_of(&at100), [("tg-web", 0), ("tg-canary", 300), ("tg-small", 100)]);
        assert_eq!(canary_share(&at100, "tg-web", "tg-canary"), 100);
        // Weighed in at 0: the canary is named, with no request yet.
        let at0 = split(&shared(), "tg-web", "tg-canary", 0, None);
        assert_eq!(weights_of(&at0), [("tg-web", 300), ("tg-canary", 0), ("tg-small", 100)]);
        assert_eq!(canary_share(&at0, "tg-web", "tg-canary"), 0);
    }

    #[test]
    fn a_group_alone_is_split_in_percent_with_the_stickiness_asked_for() {
        let sticky = Some(Duration::from_secs(3600));
        let alone = ListenerAction::Forward("tg-app".into());
        assert_eq!(
            split(&alone, "tg-app", "tg-canary", 10, sticky),
            ListenerAction::weighted(&[("tg-app", 90), ("tg-canary", 10)], sticky)
        );
        // A step from another step: the canary folded back first, so the same weights as from the start.
        let at50 = split(&alone, "tg-app", "tg-canary", 50, None);
        assert_eq!(split(&at50, "tg-app", "tg-canary", 10, sticky), split(&alone, "tg-app", "tg-canary", 10, sticky));
    }

    #[test]
    fn weights_over_999_are_reduced_by_their_gcd_then_scaled_keeping_every_share() {
        // Within the range: kept as they are.
        let mut within = [270, 30, 100];
        fit(&mut within);
        assert_eq!(within, [270, 30, 100]);
        // web 100 beside web-small 1 at 10%: 9000, 1000, 100, all divisible by 100.
        let base = ListenerAction::weighted(&[("tg-web", 100), ("tg-small", 1)], None);
        let at10 = split(&base, "tg-web", "tg-canary", 10, None);
        assert_eq!(weights_of(&at10), [("tg-web", 90), ("tg-canary", 10), ("tg-small", 1)]);
        assert_eq!(canary_share(&at10, "tg-web", "tg-canary"), 10);
        // 97 beside 89 at 37%: 6111, 3589, 8900 have no common divisor: scaled, the largest to 999.
        let base = ListenerAction::weighted(&[("tg-web", 97), ("tg-small", 89)], None);
        let at37 = split(&base, "tg-web", "tg-canary", 37, None);
        assert_eq!(weights_of(&at37), [("tg-web", 686), ("tg-canary", 403), ("tg-small", 999)]);
        assert!(weights_of(&at37).iter().all(|(_, w)| *w <= MAX_WEIGHT));
        assert_eq!(canary_share(&at37, "tg-web", "tg-canary"), 37);
        assert_eq!(step_of(&base, &at37, "tg-web", "tg-canary"), Some(37));
        // A weight scaled below 1 stays 1: the target group keeps a (larger) share rather than none.
        let base = ListenerAction::weighted(&[("tg-web", 1), ("tg-small", 100)], None);
        let at1 = split(&base, "tg-web", "tg-canary", 1, None);
        assert_eq!(weights_of(&at1), [("tg-web", 10), ("tg-canary", 1), ("tg-small", 999)]);
        let mut tiny = [99, 1, 10_000];
        fit(&mut tiny);
        assert_eq!(tiny, [10, 1, 999]);
        // Where the cap rounded the canary's share, the step is still read exactly against the base.
        assert_eq!(canary_share(&at1, "tg-web", "tg-canary"), 9);
        assert_eq!(step_of(&base, &at1, "tg-web", "tg-canary"), Some(1));
    }

    #[test]
    fn without_the_canary_the_route_is_what_the_composition_makes() {
        let at50 = split(&shared(), "tg-web", "tg-canary", 50, None);
        let canary = |tg: &str| tg == "tg-canary";
        assert_eq!(without_canary(&at50, "tg-web", &canary), Some(shared()));
        let alone = split(&ListenerAction::Forward("tg-app".into()), "tg-app", "tg-canary", 30, None);
        assert_eq!(without_canary(&alone, "tg-app", &canary), Some(ListenerAction::Forward("tg-app".into())));
        assert_eq!(without_canary(&ListenerAction::redirect_to_https(443), "tg-app", &canary), None);
    }

    #[test]
    fn a_rule_and_a_listener_are_read_and_written_through_their_own_property() {
        use crate::model::names::load_balancer;
        use crate::model::Address;
        let rule = Actual::new(Address::new(load_balancer::listener_rule(80, "api")), Kind::ListenerRule, "rule-1");
        let moved = with_action(rule, &shared());
        assert_eq!(action(&moved), Some(shared()));
        assert!(moved.props.contains_key(listener_rule::ACTION.name));
        let l = Actual::new(Address::new(load_balancer::listener(80)), Kind::Listener, "listener-80");
        let moved = with_action(l, &shared());
        assert_eq!(listener::default_action(&moved), Some(shared()));
        let tg = Actual::new(Address::new(load_balancer::TARGET_GROUP), Kind::TargetGroup, "tg-app");
        assert_eq!(action(&tg), None);
    }
}
