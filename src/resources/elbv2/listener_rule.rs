//! Listener rules: a listener's routes before its default action. Each forwards the requests whose path
//! and host match its conditions (path-pattern and host-header conditions) to one target group, in the
//! order of its priority (lowest first); what no rule takes goes to the listener's default action.
//!
//! A rule is a child of its listener, found through it with DescribeRules (the listener's default rule,
//! `IsDefault`, is the listener's default action and is skipped), and carries the deployment's tags like
//! everything else: its address is its `clusterup:resource` tag, since AWS gives rules no name.
//!
//! The composition asks for one with its address (`names::load_balancer::listener_rule`) and:
//!
//! ```text
//! named(topology, &listener_rule(port, group), Kind::ListenerRule, &format!("{name}-{group}"))  // TAGS
//!     .prop(&LISTENER, Value::Ref(listener))
//!     .prop(&PRIORITY, Value::Int(n))                      // 1..=50000, unique per listener
//!     .prop(&CONDITIONS, conditions_value(&paths, &hosts)) // at least one value, at most 5 in all
//!     .prop(&ACTION, listener_action::forward_to(Value::Ref(target_group)))
//! ```
//!
//! Priorities of one listener are unique (`PriorityInUse`), and a plan may move several rules at once
//! (a route inserted before others shifts them, two routes swapped trade places) while each rule's
//! update moves only its own. So a rule whose new priority is still held by another first steps aside
//! to the highest free priority (last of the rules, still before the default action), freeing its old
//! one for whoever wants it, then waits for its own to be free; a rule created at a held priority waits
//! the same way. Any order of the moves, swaps included, then converges without deleting a route.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::{
    HostHeaderConditionConfig, PathPatternConditionConfig, Rule, RuleCondition, RulePriorityPair,
};

use super::listener_action::ListenerAction;
use super::{elb_tags, read_tags, sync_tags};
use crate::aws::{AwsError, Outcome, PollPolicy, PollStatus, Required, ResultExt, Service};
use crate::model::{tags, Actual, Desired, Kind, Prop, PropError, Value, TAGS};
use crate::resources::support::{owned_address, returned_id, wait_for};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// The listener's ARN: a rule cannot move to another listener.
pub const LISTENER: Prop = Prop::new("listener").replaces();
/// Where it stands among the listener's rules (lowest first), in [`PRIORITIES`]; changed in place.
pub const PRIORITY: Prop = Prop::new("priority");
/// What a request must match, as [`conditions_value`] writes it: `{paths: [...], hosts: [...]}`, each
/// key only when it has values. A request matches when its path matches one of the paths and its host
/// one of the hosts (AWS's conditions are ANDed, the values of one condition ORed).
pub const CONDITIONS: Prop = Prop::new("conditions");
/// What it does with a request it takes, as [`ListenerAction::to_value`] writes it: for a plain
/// forward, the target group's ARN (`listener_action::forward_to`).
pub const ACTION: Prop = Prop::new("action");

/// The priorities a rule may have (CreateRule's `Priority`: "1-50000").
pub const PRIORITIES: RangeInclusive<i64> = 1..=50_000;

/// How long a rule waits for a priority another rule of the plan still holds: every such move is one
/// call, so minutes mean a rule the plan does not move holds it.
const PRIORITY_WAIT: Duration = Duration::from_secs(180);

pub struct ListenerRule;

const SPEC: Spec = Spec::new(Kind::ListenerRule, "listener rule", Service::Elbv2, PollPolicy::FAST, at_once)
    .props(&[&LISTENER, &PRIORITY, &CONDITIONS, &ACTION, &TAGS])
    .child_of(Kind::Listener);

// Keys of the conditions' property value.
const PATHS: &str = "paths";
const HOSTS: &str = "hosts";
const UNMODELLED: &str = "unmodelled";
// AWS's condition fields.
const PATH_PATTERN: &str = "path-pattern";
const HOST_HEADER: &str = "host-header";

/// The conditions property of a rule that takes requests for `paths` (path patterns such as `/api/*`)
/// on `hosts` (host names such as `api.example.com`); either may be empty, not both. AWS's limits on
/// them (values per rule, their length) are located `validate` errors of the topology's routes.
pub fn conditions_value(paths: &[String], hosts: &[String]) -> Value {
    Conditions { paths: paths.to_vec(), hosts: hosts.to_vec(), unmodelled: Vec::new() }.to_value()
}

/// A rule's conditions as clusterup models them: path patterns and host names. Conditions of other
/// kinds (HTTP headers, query strings, source addresses, methods, regular expressions) are reported by
/// field, so that a plan shows a rule someone changed, and are never made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Conditions {
    paths: Vec<String>,
    hosts: Vec<String>,
    unmodelled: Vec<String>,
}

impl Conditions {
    fn to_value(&self) -> Value {
        let list = |items: &[String]| Value::List(items.iter().map(Value::str).collect());
        let entries = [(PATHS, &self.paths), (HOSTS, &self.hosts), (UNMODELLED, &self.unmodelled)];
        Value::Map(
            entries.into_iter().filter(|(_, items)| !items.is_empty()).map(|(k, v)| (k.to_owned(), list(v))).collect(),
        )
    }

    /// The conditions a property value describes; `None` when it is not one.
    fn from_value(value: &Value) -> Option<Conditions> {
        let Value::Map(map) = value else { return None };
        if map.keys().any(|k| ![PATHS, HOSTS, UNMODELLED].contains(&k.as_str())) {
            return None;
        }
        let strings = |key: &str| match map.get(key) {
            None => Some(Vec::new()),
            Some(Value::List(items)) => items.iter().map(|v| v.as_str().map(str::to_owned)).collect(),
            Some(_) => None,
        };
        Some(Conditions { paths: strings(PATHS)?, hosts: strings(HOSTS)?, unmodelled: strings(UNMODELLED)? })
    }

    /// The conditions as CreateRule and ModifyRule take them: one path-pattern and one host-header
    /// condition, each with its values in its config (AWS refuses `Values` beside a config).
    fn to_sdk(&self, resource: &str) -> Result<Vec<RuleCondition>, Error> {
        if !self.unmodelled.is_empty() {
            return Err(Error::Bug(format!(
                "{resource}: asked to make conditions clusterup does not model ({})",
                self.unmodelled.join(", ")
            )));
        }
        // Only the default rule has no condition; AWS refuses any other without one.
        if self.paths.is_empty() && self.hosts.is_empty() {
            return Err(Error::Bug(format!(
                "{resource}: asked for a rule with no path or host; a route needs at least one"
            )));
        }
        let mut conditions = Vec::new();
        if !self.paths.is_empty() {
            let config = PathPatternConditionConfig::builder().set_values(Some(self.paths.clone())).build();
            conditions.push(RuleCondition::builder().field(PATH_PATTERN).path_pattern_config(config).build());
        }
        if !self.hosts.is_empty() {
            let config = HostHeaderConditionConfig::builder().set_values(Some(self.hosts.clone())).build();
            conditions.push(RuleCondition::builder().field(HOST_HEADER).host_header_config(config).build());
        }
        Ok(conditions)
    }

    /// The conditions DescribeRules reports for `resource`. AWS reports a path or host condition's values
    /// in its config (and in the older `Values` beside it); every condition has its field.
    fn from_sdk(conditions: &[RuleCondition], resource: &str) -> Result<Conditions, AwsError> {
        let mut read = Conditions::default();
        for condition in conditions {
            let field = condition.field().required(DESCRIBE, "Conditions.Field", resource)?;
            let (values, regex) = match field {
                PATH_PATTERN => condition.path_pattern_config().map(|c| (c.values(), c.regex_values())),
                HOST_HEADER => condition.host_header_config().map(|c| (c.values(), c.regex_values())),
                _ => {
                    read.unmodelled.push(field.to_owned());
                    continue;
                }
            }
            // No config: a condition made with the older `Values` alone (as the emulator reports it).
            .unwrap_or((condition.values(), &[]));
            if !regex.is_empty() {
                read.unmodelled.push(format!("{field} (regex)"));
            }
            let values = if values.is_empty() { condition.values() } else { values };
            match field {
                PATH_PATTERN => read.paths.extend(values.iter().cloned()),
                _ => read.hosts.extend(values.iter().cloned()),
            }
        }
        Ok(read)
    }
}

/// The call whose answer discovery reads.
const DESCRIBE: &str = "DescribeRules";

impl ResourceKind for ListenerRule {
    const SPEC: &'static Spec = &SPEC;

    /// The deployment's rules of one discovered listener, at the addresses their tags give.
    async fn discover(ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(listener) = parent else { return Ok(Vec::new()) };
        // A listener deleted since it was found (ListenerNotFound) has no rules left.
        let Some(rules) = rules_of(ctx, &listener.id, listener.address.as_str()).await.found()? else {
            return Ok(Vec::new());
        };
        let arns: Vec<String> = rules.iter().filter_map(|r| r.rule_arn().map(str::to_owned)).collect();
        let all_tags = if arns.is_empty() { BTreeMap::new() } else { read_tags(ctx, &arns).await? };
        let mut found = Vec::new();
        for rule in &rules {
            let arn = rule.rule_arn().required(DESCRIBE, "RuleArn", &listener.id)?;
            // A rule DescribeTags did not answer for has no tags: not this deployment's.
            let Some(tags) = all_tags.get(arn) else { continue };
            let Some(address) = owned_address(ctx, tags) else { continue };
            let Some(priority) = priority_of(rule, arn)? else { continue };
            found.push(
                Actual::new(address, Kind::ListenerRule, arn)
                    .prop(&LISTENER, Value::str(&listener.id))
                    .prop(&PRIORITY, Value::Int(priority))
                    .prop(&CONDITIONS, Conditions::from_sdk(rule.conditions(), arn)?.to_value())
                    .prop(&ACTION, ListenerAction::from_rule_sdk(rule.actions(), arn)?.to_value())
                    .prop(&TAGS, tags::to_value(tags)),
            );
        }
        Ok(found)
    }

    /// CreateRule with the tags in the request. A priority still held by another rule is waited for: a
    /// rule the same plan moves or deletes; or this very rule, made by an earlier attempt whose answer
    /// was lost (CreateRule takes no idempotency token), which is then adopted.
    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = want.address.as_str();
        let listener = want.text(&LISTENER)?;
        let priority = wanted_priority(want)?;
        let conditions = wanted_conditions(want)?.to_sdk(resource)?;
        let action = wanted_action(want)?.to_sdk(resource)?;
        let create = || async {
            ctx.aws
                .elb
                .create_rule()
                .listener_arn(listener)
                .priority(priority)
                .set_conditions(Some(conditions.clone()))
                .actions(action.clone())
                .set_tags(Some(elb_tags(want)))
                .send()
                .await
                .call("CreateRule", resource)
        };
        let arn = wait_for(priority_wait(), resource, "CreateRule", progress, || async {
            let err = match create().await {
                Ok(out) => {
                    let arn = out.rules().first().and_then(|r| r.rule_arn());
                    return Ok(PollStatus::Ready(returned_id(arn, resource, "CreateRule")?));
                }
                Err(err) if err.code_is(PRIORITY_IN_USE) => err,
                Err(err) => return Err(err),
            };
            match holder(ctx, listener, priority, resource).await? {
                Some(held) if held.address.as_deref() == Some(resource) => Ok(PollStatus::Ready(held.arn)),
                Some(held) => Ok(PollStatus::Pending(held.describe(priority))),
                // Freed since: the next look creates it.
                None => Ok(PollStatus::Pending(format!("priority {priority} was held ({})", err.message))),
            }
        })
        .await?;
        Ok(Actual::made(want, arn))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = have.address.as_str();
        if want.differs_from(have, &CONDITIONS) || want.differs_from(have, &ACTION) {
            ctx.aws
                .elb
                .modify_rule()
                .rule_arn(&have.id)
                .set_conditions(Some(wanted_conditions(want)?.to_sdk(resource)?))
                .actions(wanted_action(want)?.to_sdk(resource)?)
                .send()
                .await
                .call("ModifyRule", resource)?;
        }
        if want.differs_from(have, &PRIORITY) {
            move_to(ctx, have, wanted_priority(want)?, progress).await?;
        }
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    /// DeleteRule; a rule already gone (`RuleNotFound`, or its listener deleted with it) is done.
    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        ctx.aws
            .elb
            .delete_rule()
            .rule_arn(&have.id)
            .send()
            .await
            .call("DeleteRule", have.address.as_str())
            .gone_ok()?;
        Ok(())
    }
}

/// AWS's answer when another rule of the listener has the priority asked for.
const PRIORITY_IN_USE: &str = "PriorityInUse";

/// The wait for a held priority: the kind's looks, for [`PRIORITY_WAIT`] at most.
fn priority_wait() -> PollPolicy {
    PollPolicy { timeout: PRIORITY_WAIT, ..PollPolicy::FAST }
}

/// Every rule of listener `listener` (its default rule included), for `resource`'s messages.
async fn rules_of(ctx: &Ctx, listener: &str, resource: &str) -> Result<Vec<Rule>, AwsError> {
    ctx.aws
        .elb
        .describe_rules()
        .listener_arn(listener)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        // Spelled out: the contract's operator policy check finds the calls of src/ by their labels.
        .call("DescribeRules", resource)
}

/// A rule's priority; `None` for the listener's default rule (`IsDefault`, priority `default`), which is
/// the listener's default action rather than a rule of its own.
fn priority_of(rule: &Rule, arn: &str) -> Result<Option<i64>, AwsError> {
    let priority = rule.priority().required(DESCRIBE, "Priority", arn)?;
    if rule.is_default() == Some(true) || priority == "default" {
        return Ok(None);
    }
    priority.parse().map(Some).map_err(|_| AwsError {
        resource: arn.to_owned(),
        call: DESCRIBE,
        code: None,
        message: format!("the answer's Priority is `{priority}`, neither a number nor `default`"),
        class: crate::aws::ErrorClass::Incomplete,
    })
}

/// The rule holding a priority of a listener.
struct Holder {
    arn: String,
    /// Its clusterup address, when it is this deployment's.
    address: Option<String>,
}

impl Holder {
    fn describe(&self, priority: i32) -> String {
        match &self.address {
            Some(address) => format!("priority {priority} is held by {address} ({})", self.arn),
            None => format!(
                "priority {priority} is held by {}, a rule of no clusterup resource here: move or delete that rule",
                self.arn
            ),
        }
    }
}

/// Which rule of `listener` holds `priority`, if any.
async fn holder(ctx: &Ctx, listener: &str, priority: i32, resource: &str) -> Result<Option<Holder>, AwsError> {
    let rules = rules_of(ctx, listener, resource).await?;
    let Some(rule) = rules.iter().find(|r| r.priority() == Some(priority.to_string().as_str())) else {
        return Ok(None);
    };
    let arn = rule.rule_arn().required(DESCRIBE, "RuleArn", resource)?.to_owned();
    let tags = read_tags(ctx, std::slice::from_ref(&arn)).await?;
    let address = tags.get(&arn).and_then(|t| owned_address(ctx, t)).map(|a| a.to_string());
    Ok(Some(Holder { arn, address }))
}

/// SetRulePriorities for rule `arn` alone.
async fn set_priority(ctx: &Ctx, arn: &str, priority: i32, resource: &str) -> Result<(), AwsError> {
    let pair = RulePriorityPair::builder().rule_arn(arn).priority(priority).build();
    ctx.aws.elb.set_rule_priorities().rule_priorities(pair).send().await.call("SetRulePriorities", resource)?;
    Ok(())
}

/// Move rule `have` to `priority`. When another rule holds it, step aside first to the highest free
/// priority of the listener (see the module's documentation), then wait until it is free.
async fn move_to(ctx: &Ctx, have: &Actual, priority: i32, progress: &dyn Progress) -> Result<(), Error> {
    let resource = have.address.as_str();
    match set_priority(ctx, &have.id, priority, resource).await {
        Err(err) if err.code_is(PRIORITY_IN_USE) => {}
        done => return Ok(done?),
    }
    let listener =
        have.text(&LISTENER).ok_or_else(|| Error::Bug(format!("{resource}: discovered without a listener")))?;
    step_aside(ctx, have, listener).await?;
    wait_for(priority_wait(), resource, "SetRulePriorities", progress, || async {
        match set_priority(ctx, &have.id, priority, resource).await {
            Ok(()) => Ok(PollStatus::Ready(())),
            Err(err) if err.code_is(PRIORITY_IN_USE) => {
                Ok(PollStatus::Pending(match holder(ctx, listener, priority, resource).await? {
                    Some(held) => held.describe(priority),
                    None => format!("priority {priority} was held ({})", err.message),
                }))
            }
            Err(err) => Err(err),
        }
    })
    .await?;
    Ok(())
}

/// Move rule `have` to the highest priority no rule of `listener` holds, freeing the one it had. Rules
/// stepping aside at the same time may pick the same one: then the next free one.
async fn step_aside(ctx: &Ctx, have: &Actual, listener: &str) -> Result<(), Error> {
    let resource = have.address.as_str();
    for _ in 0..5 {
        let rules = rules_of(ctx, listener, resource).await?;
        // The default rule's `default` is no number, and holds none.
        let held: BTreeSet<i64> = rules.iter().filter_map(|r| r.priority()?.parse().ok()).collect();
        let Some(aside) = PRIORITIES.rev().find(|p| !held.contains(p)).and_then(|p| i32::try_from(p).ok()) else {
            return Err(AwsError::local(resource, "SetRulePriorities", "the listener has no free priority left").into());
        };
        match set_priority(ctx, &have.id, aside, resource).await {
            Err(err) if err.code_is(PRIORITY_IN_USE) => continue,
            done => return Ok(done?),
        }
    }
    Err(AwsError::local(resource, "SetRulePriorities", "every free priority tried was taken at once; re-run").into())
}

/// The priority the composition asks for, in [`PRIORITIES`].
fn wanted_priority(want: &Desired) -> Result<i32, Error> {
    let priority = want.int(&PRIORITY)?;
    if !PRIORITIES.contains(&priority) {
        return Err(bad(want, &PRIORITY, "a priority from 1 to 50000"));
    }
    Ok(want.int32(&PRIORITY)?)
}

/// The conditions the composition asks for.
fn wanted_conditions(want: &Desired) -> Result<Conditions, Error> {
    want.value(&CONDITIONS).and_then(Conditions::from_value).ok_or_else(|| bad(want, &CONDITIONS, "{paths, hosts}"))
}

/// The action of a discovered rule; `None` for a resource without one (not a rule).
pub fn action(have: &Actual) -> Option<ListenerAction> {
    have.props.get(ACTION.name).and_then(ListenerAction::from_value)
}

/// Replace rule `arn`'s action (a canary rollout moving a path or host route's traffic). Only the
/// actions are sent: ModifyRule leaves the conditions it is not given as they are, and the priority is
/// not part of it.
pub async fn set_action(ctx: &Ctx, arn: &str, resource: &str, action: &ListenerAction) -> Result<(), Error> {
    ctx.aws
        .elb
        .modify_rule()
        .rule_arn(arn)
        .actions(action.to_sdk(resource)?)
        .send()
        .await
        .call("ModifyRule", resource)?;
    Ok(())
}

/// The action the composition asks for (its references resolved by now).
fn wanted_action(want: &Desired) -> Result<ListenerAction, Error> {
    want.value(&ACTION)
        .and_then(ListenerAction::from_value)
        .ok_or_else(|| bad(want, &ACTION, "a listener action (a target group ARN, or a map naming the action)"))
}

fn bad(want: &Desired, prop: &Prop, expected: &'static str) -> Error {
    Error::from(PropError {
        address: want.address.clone(),
        prop: prop.name,
        expected,
        found: want.value(prop).map_or_else(|| "missing".to_owned(), Value::to_string),
    })
}

#[cfg(test)]
mod tests;
