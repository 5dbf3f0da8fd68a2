//! What a listener does with a request no rule takes: its default action, as a type. clusterup's
//! listeners forward to the app target group; a canary rollout weighs that forward between the app's
//! target group and the canary's; a listener may also redirect (HTTP to HTTPS) or answer by itself (a
//! fixed response). [`ListenerAction`] converts to and from the one property a listener keeps it in
//! ([`super::listener::DEFAULT_ACTION`], which the diff compares and the plan shows) and to and from the
//! ELBv2 API's `Action`.
//!
//! As a property value, a plain forward is the target group's ARN (a reference to the target group in
//! what the composition asks for), so plans read as they did when listeners could only forward; every
//! other action is a map with one key naming it:
//!
//! ```text
//! "arn:...:targetgroup/shop-app/..."
//! {weighted_forward: {target_groups: [{target_group: "arn:...", weight: 90}, ...], stickiness_seconds: 3600}}
//! {redirect: {port: "443", protocol: "HTTPS", status_code: "HTTP_301"}}
//! {fixed_response: {content_type: "text/plain", message_body: "down for maintenance", status_code: "503"}}
//! {unmodelled: ["authenticate-oidc", "forward"]}
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, ForwardActionConfig, RedirectActionConfig,
    RedirectActionStatusCodeEnum, TargetGroupStickinessConfig, TargetGroupTuple,
};

use crate::aws::{AwsError, Required};
use crate::model::Value;
use crate::resources::Error;

/// Where an answer lists the actions [`ListenerAction::from_sdk`] reads: the call, and the names of the
/// fields it requires there (for the error that names one missing).
#[derive(Debug, Clone, Copy)]
struct Answer {
    call: &'static str,
    r#type: &'static str,
    target_group: &'static str,
    redirect: &'static str,
    fixed_response: &'static str,
}

/// A listener's default action (DescribeListeners' `DefaultActions`).
const LISTENER: Answer = Answer {
    call: "DescribeListeners",
    r#type: "DefaultActions.Type",
    target_group: "DefaultActions.TargetGroupArn",
    redirect: "DefaultActions.RedirectConfig",
    fixed_response: "DefaultActions.FixedResponseConfig",
};

/// A listener rule's action (DescribeRules' `Actions`).
const RULE: Answer = Answer {
    call: "DescribeRules",
    r#type: "Actions.Type",
    target_group: "Actions.TargetGroupArn",
    redirect: "Actions.RedirectConfig",
    fixed_response: "Actions.FixedResponseConfig",
};

/// A listener's default action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerAction {
    /// Every request to one target group (its ARN).
    Forward(String),
    /// Requests shared between target groups in proportion to their weights. With `stickiness`, a
    /// client stays on the target group it first reached for that long.
    WeightedForward {
        targets: Vec<WeightedTarget>,
        stickiness: Option<Duration>,
    },
    Redirect(Redirect),
    FixedResponse(FixedResponse),
    /// Default actions clusterup does not model, by type in the order AWS runs them: an authentication
    /// step before the forward (HTTPS listeners). Reported so that a plan shows it; never made, and
    /// never moved by a rollout (replacing it with a forward would drop the authentication).
    Unmodelled(Vec<String>),
}

/// One target group of a weighted forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedTarget {
    pub target_group: String,
    /// 0 to 999; AWS sends each target group a share of requests proportional to its weight.
    pub weight: u32,
}

/// A redirect (e.g. HTTP to HTTPS). A part left `None` is kept from the request, which is AWS's default
/// for it (`#{protocol}`, `#{port}`, `#{host}`, `/#{path}`, `#{query}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redirect {
    pub protocol: Option<String>,
    pub port: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    /// `HTTP_301` (permanent) or `HTTP_302` (temporary).
    pub status_code: String,
}

/// An answer the load balancer gives by itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixedResponse {
    /// An HTTP status code, `2XX`, `4XX` or `5XX`.
    pub status_code: String,
    pub content_type: Option<String>,
    pub message_body: Option<String>,
}

// Keys of the property value.
const WEIGHTED_FORWARD: &str = "weighted_forward";
const TARGET_GROUPS: &str = "target_groups";
const TARGET_GROUP: &str = "target_group";
const WEIGHT: &str = "weight";
const STICKINESS_SECONDS: &str = "stickiness_seconds";
const REDIRECT: &str = "redirect";
const FIXED_RESPONSE: &str = "fixed_response";
const UNMODELLED: &str = "unmodelled";
const STATUS_CODE: &str = "status_code";
const CONTENT_TYPE: &str = "content_type";
const MESSAGE_BODY: &str = "message_body";

/// The parts of a redirect, each with the value AWS gives it when it is not set.
const REDIRECT_PARTS: [(&str, &str); 5] = [
    ("protocol", "#{protocol}"),
    ("port", "#{port}"),
    ("host", "#{host}"),
    ("path", "/#{path}"),
    ("query", "#{query}"),
];

/// The property value of a plain forward to `target_group`, which may be a reference to a target group
/// still to be made (the composition's): once resolved, it is [`ListenerAction::Forward`]'s value.
pub fn forward_to(target_group: Value) -> Value {
    target_group
}

/// The property value of a forward shared between target groups by weight, each target group a value
/// (references to target groups still to be made, in the composition): once resolved, it is
/// [`ListenerAction::WeightedForward`]'s value, without stickiness.
pub fn weighted_forward_to(targets: Vec<(Value, u32)>) -> Value {
    let groups = targets
        .into_iter()
        .map(|(target_group, weight)| {
            Value::Map(BTreeMap::from([
                (TARGET_GROUP.to_owned(), target_group),
                (WEIGHT.to_owned(), Value::Int(i64::from(weight))),
            ]))
        })
        .collect();
    Value::Map(BTreeMap::from([(
        WEIGHTED_FORWARD.to_owned(),
        Value::Map(BTreeMap::from([(TARGET_GROUPS.to_owned(), Value::List(groups))])),
    )]))
}

impl ListenerAction {
    /// A permanent redirect (HTTP 301) of every request to HTTPS on `port`, keeping host, path and query.
    pub fn redirect_to_https(port: u16) -> ListenerAction {
        ListenerAction::Redirect(Redirect {
            protocol: Some("HTTPS".into()),
            port: Some(port.to_string()),
            status_code: "HTTP_301".into(),
            ..Redirect::default()
        })
    }

    /// A weighted forward to `targets` (target group ARN, weight).
    pub fn weighted(targets: &[(&str, u32)], stickiness: Option<Duration>) -> ListenerAction {
        ListenerAction::WeightedForward {
            targets: targets
                .iter()
                .map(|(target_group, weight)| WeightedTarget {
                    target_group: (*target_group).to_owned(),
                    weight: *weight,
                })
                .collect(),
            stickiness,
        }
    }

    /// The target groups it forwards to, each with its share of requests in percent (rounded down): one
    /// at 100 for a plain forward, none when it does not forward.
    pub fn shares(&self) -> Vec<(&str, u32)> {
        match self {
            ListenerAction::Forward(arn) => vec![(arn.as_str(), 100)],
            ListenerAction::WeightedForward { targets, .. } => {
                let total: u64 = targets.iter().map(|t| u64::from(t.weight)).sum();
                targets
                    .iter()
                    .map(|t| {
                        // No share at all when every weight is 0.
                        let percent = (u64::from(t.weight) * 100).checked_div(total).unwrap_or(0);
                        (t.target_group.as_str(), u32::try_from(percent).unwrap_or(100))
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Whether it forwards any request, or could by its weights, to the target group `arn`.
    pub fn forwards_to(&self, arn: &str) -> bool {
        match self {
            ListenerAction::Forward(target) => target == arn,
            ListenerAction::WeightedForward { targets, .. } => targets.iter().any(|t| t.target_group == arn),
            _ => false,
        }
    }

    /// The action as the listener's property value (see the module's documentation).
    pub fn to_value(&self) -> Value {
        let map = |entries: Vec<(&str, Value)>| {
            Value::Map(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<BTreeMap<_, _>>())
        };
        let optional = |entries: &mut Vec<(&str, Value)>, key, value: &Option<String>| {
            if let Some(value) = value {
                entries.push((key, Value::str(value)));
            }
        };
        match self {
            ListenerAction::Forward(arn) => Value::str(arn),
            ListenerAction::WeightedForward { targets, stickiness } => {
                let groups = targets
                    .iter()
                    .map(|t| {
                        map(vec![
                            (TARGET_GROUP, Value::str(&t.target_group)),
                            (WEIGHT, Value::Int(i64::from(t.weight))),
                        ])
                    })
                    .collect();
                let mut entries = vec![(TARGET_GROUPS, Value::List(groups))];
                if let Some(duration) = stickiness {
                    entries
                        .push((STICKINESS_SECONDS, Value::Int(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))));
                }
                map(vec![(WEIGHTED_FORWARD, map(entries))])
            }
            ListenerAction::Redirect(r) => {
                let mut entries = vec![(STATUS_CODE, Value::str(&r.status_code))];
                for ((key, _), value) in REDIRECT_PARTS.iter().zip(r.parts()) {
                    optional(&mut entries, key, value);
                }
                map(vec![(REDIRECT, map(entries))])
            }
            ListenerAction::FixedResponse(f) => {
                let mut entries = vec![(STATUS_CODE, Value::str(&f.status_code))];
                optional(&mut entries, CONTENT_TYPE, &f.content_type);
                optional(&mut entries, MESSAGE_BODY, &f.message_body);
                map(vec![(FIXED_RESPONSE, map(entries))])
            }
            ListenerAction::Unmodelled(types) => {
                map(vec![(UNMODELLED, Value::List(types.iter().map(Value::str).collect()))])
            }
        }
    }

    /// The action a property value describes; `None` when the value is not one (a reference not yet
    /// resolved, or a shape [`Self::to_value`] does not make).
    pub fn from_value(value: &Value) -> Option<ListenerAction> {
        if let Value::Str(arn) = value {
            return Some(ListenerAction::Forward(arn.clone()));
        }
        let Value::Map(outer) = value else { return None };
        let [(key, inner)] = outer.iter().collect::<Vec<_>>()[..] else { return None };
        let text = |map: &BTreeMap<String, Value>, key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        match (key.as_str(), inner) {
            (WEIGHTED_FORWARD, Value::Map(forward)) => {
                let targets = forward
                    .get(TARGET_GROUPS)?
                    .as_list()
                    .iter()
                    .map(|target| match target {
                        Value::Map(t) => Some(WeightedTarget {
                            target_group: text(t, TARGET_GROUP)?,
                            weight: u32::try_from(t.get(WEIGHT)?.as_int()?).ok()?,
                        }),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                let stickiness = match forward.get(STICKINESS_SECONDS) {
                    None => None,
                    Some(seconds) => Some(Duration::from_secs(u64::try_from(seconds.as_int()?).ok()?)),
                };
                Some(ListenerAction::WeightedForward { targets, stickiness })
            }
            (REDIRECT, Value::Map(r)) => {
                let [protocol, port, host, path, query] = REDIRECT_PARTS.map(|(key, _)| text(r, key));
                Some(ListenerAction::Redirect(Redirect {
                    protocol,
                    port,
                    host,
                    path,
                    query,
                    status_code: text(r, STATUS_CODE)?,
                }))
            }
            (FIXED_RESPONSE, Value::Map(f)) => Some(ListenerAction::FixedResponse(FixedResponse {
                status_code: text(f, STATUS_CODE)?,
                content_type: text(f, CONTENT_TYPE),
                message_body: text(f, MESSAGE_BODY),
            })),
            (UNMODELLED, Value::List(types)) => Some(ListenerAction::Unmodelled(
                types.iter().map(|t| t.as_str().map(str::to_owned)).collect::<Option<_>>()?,
            )),
            _ => None,
        }
    }

    /// The action as ELBv2's `DefaultActions` entry. An [`ListenerAction::Unmodelled`] one cannot be
    /// made: only discovery reports it, so asking for it is a bug.
    pub fn to_sdk(&self, resource: &str) -> Result<Action, Error> {
        let action = Action::builder();
        Ok(match self {
            ListenerAction::Forward(arn) => action.r#type(ActionTypeEnum::Forward).target_group_arn(arn).build(),
            ListenerAction::WeightedForward { targets, stickiness } => {
                let tuples = targets
                    .iter()
                    .map(|t| {
                        TargetGroupTuple::builder()
                            .target_group_arn(&t.target_group)
                            .weight(i32::try_from(t.weight).unwrap_or(i32::MAX))
                            .build()
                    })
                    .collect();
                let stickiness = match stickiness {
                    Some(duration) => TargetGroupStickinessConfig::builder()
                        .enabled(true)
                        .duration_seconds(i32::try_from(duration.as_secs()).unwrap_or(i32::MAX))
                        .build(),
                    None => TargetGroupStickinessConfig::builder().enabled(false).build(),
                };
                let config = ForwardActionConfig::builder()
                    .set_target_groups(Some(tuples))
                    .target_group_stickiness_config(stickiness)
                    .build();
                action.r#type(ActionTypeEnum::Forward).forward_config(config).build()
            }
            ListenerAction::Redirect(r) => {
                let [protocol, port, host, path, query] = r.parts().map(Clone::clone);
                let config = RedirectActionConfig::builder()
                    .set_protocol(protocol)
                    .set_port(port)
                    .set_host(host)
                    .set_path(path)
                    .set_query(query)
                    .status_code(RedirectActionStatusCodeEnum::from(r.status_code.as_str()))
                    .build();
                action.r#type(ActionTypeEnum::Redirect).redirect_config(config).build()
            }
            ListenerAction::FixedResponse(f) => {
                let config = FixedResponseActionConfig::builder()
                    .status_code(&f.status_code)
                    .set_content_type(f.content_type.clone())
                    .set_message_body(f.message_body.clone())
                    .build();
                action.r#type(ActionTypeEnum::FixedResponse).fixed_response_config(config).build()
            }
            ListenerAction::Unmodelled(types) => {
                return Err(Error::Bug(format!(
                    "{resource}: asked to make a default action clusterup does not model ({})",
                    types.join(", ")
                )))
            }
        })
    }

    /// The default action a listener of `resource` reports (DescribeListeners' `DefaultActions`). AWS
    /// always returns each action's type and the configuration that type needs: an answer without them
    /// is an [`crate::aws::ErrorClass::Incomplete`] error, never an empty forward.
    pub fn from_sdk(actions: &[Action], resource: &str) -> Result<ListenerAction, AwsError> {
        Self::read(actions, LISTENER, resource)
    }

    /// The action a listener rule of `resource` reports (DescribeRules' `Actions`), read as
    /// [`Self::from_sdk`] reads a listener's: a rule's actions are the same type as a default action.
    pub fn from_rule_sdk(actions: &[Action], resource: &str) -> Result<ListenerAction, AwsError> {
        Self::read(actions, RULE, resource)
    }

    fn read(actions: &[Action], answer: Answer, resource: &str) -> Result<ListenerAction, AwsError> {
        let [action] = actions else {
            let mut ordered: Vec<&Action> = actions.iter().collect();
            ordered.sort_by_key(|a| a.order());
            let types = ordered
                .iter()
                .map(|a| Ok(a.r#type().required(answer.call, answer.r#type, resource)?.as_str().to_owned()))
                .collect::<Result<_, AwsError>>()?;
            return Ok(ListenerAction::Unmodelled(types));
        };
        match action.r#type().required(answer.call, answer.r#type, resource)? {
            ActionTypeEnum::Forward => forward_from_sdk(action, answer, resource),
            ActionTypeEnum::Redirect => {
                let r = action.redirect_config().required(answer.call, answer.redirect, resource)?;
                // A part AWS reports as its default is the same as one never set.
                let part = |value: Option<&str>, default: &str| value.filter(|v| *v != default).map(str::to_owned);
                let [protocol, port, host, path, query] = [r.protocol(), r.port(), r.host(), r.path(), r.query()];
                let [d_protocol, d_port, d_host, d_path, d_query] = REDIRECT_PARTS.map(|(_, default)| default);
                Ok(ListenerAction::Redirect(Redirect {
                    protocol: part(protocol, d_protocol),
                    port: part(port, d_port),
                    host: part(host, d_host),
                    path: part(path, d_path),
                    query: part(query, d_query),
                    status_code: r
                        .status_code()
                        .required(answer.call, "RedirectConfig.StatusCode", resource)?
                        .as_str()
                        .to_owned(),
                }))
            }
            ActionTypeEnum::FixedResponse => {
                let f = action.fixed_response_config().required(answer.call, answer.fixed_response, resource)?;
                Ok(ListenerAction::FixedResponse(FixedResponse {
                    status_code: f
                        .status_code()
                        .required(answer.call, "FixedResponseConfig.StatusCode", resource)?
                        .to_owned(),
                    // Absent when none was given: AWS then answers with an empty body of no declared type.
                    content_type: f.content_type().map(str::to_owned),
                    message_body: f.message_body().map(str::to_owned),
                }))
            }
            other => Ok(ListenerAction::Unmodelled(vec![other.as_str().to_owned()])),
        }
    }
}

impl Redirect {
    /// The parts in the order of [`REDIRECT_PARTS`].
    fn parts(&self) -> [&Option<String>; 5] {
        [&self.protocol, &self.port, &self.host, &self.path, &self.query]
    }
}

/// A forward as AWS reports it: a plain one carries `TargetGroupArn` (and, on AWS, a forward config of
/// that one target group); a weighted one, or one with stickiness between its target groups, only the
/// forward config.
fn forward_from_sdk(action: &Action, answer: Answer, resource: &str) -> Result<ListenerAction, AwsError> {
    let config = action.forward_config();
    // No forward config: a plain forward given as TargetGroupArn alone (as the emulator reports it).
    let tuples = config.map(|c| c.target_groups()).unwrap_or_default();
    let stickiness = match config.and_then(|c| c.target_group_stickiness_config()) {
        Some(sticky) if sticky.enabled() == Some(true) => Some(Duration::from_secs(
            u64::try_from(sticky.duration_seconds().required(
                answer.call,
                "TargetGroupStickinessConfig.DurationSeconds",
                resource,
            )?)
            .unwrap_or(0),
        )),
        // Absent or not enabled: requests are not kept on a target group.
        _ => None,
    };
    if tuples.len() < 2 && stickiness.is_none() {
        let arn = action.target_group_arn().or_else(|| tuples.first().and_then(|t| t.target_group_arn()));
        return Ok(ListenerAction::Forward(arn.required(answer.call, answer.target_group, resource)?.to_owned()));
    }
    let targets = tuples
        .iter()
        .map(|t| {
            Ok(WeightedTarget {
                target_group: t
                    .target_group_arn()
                    .required(answer.call, "TargetGroups.TargetGroupArn", resource)?
                    .to_owned(),
                // AWS's weight when none was given is 1.
                weight: u32::try_from(t.weight().unwrap_or(1)).unwrap_or(0),
            })
        })
        .collect::<Result<_, AwsError>>()?;
    Ok(ListenerAction::WeightedForward { targets, stickiness })
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticloadbalancingv2::types::AuthenticateOidcActionConfig;

    use super::*;
    use crate::aws::ErrorClass;

    fn redirect_to_https() -> ListenerAction {
        ListenerAction::redirect_to_https(443)
    }

    /// One of each kind of action, with and without their optional parts.
    fn every_action() -> Vec<ListenerAction> {
        vec![
            ListenerAction::Forward("arn:tg/app".into()),
            ListenerAction::weighted(&[("arn:tg/app", 90), ("arn:tg/canary", 10)], None),
            ListenerAction::weighted(&[("arn:tg/app", 50), ("arn:tg/canary", 50)], Some(Duration::from_secs(3600))),
            redirect_to_https(),
            ListenerAction::Redirect(Redirect {
                protocol: Some("HTTPS".into()),
                port: Some("8443".into()),
                host: Some("shop.example.com".into()),
                path: Some("/new/#{path}".into()),
                query: Some("from=old".into()),
                status_code: "HTTP_302".into(),
            }),
            ListenerAction::FixedResponse(FixedResponse {
                status_code: "503".into(),
                content_type: Some("text/plain".into()),
                message_body: Some("down for maintenance".into()),
            }),
            ListenerAction::FixedResponse(FixedResponse { status_code: "404".into(), ..FixedResponse::default() }),
        ]
    }

    #[test]
    fn every_action_goes_to_its_property_value_and_back() {
        let mut all = every_action();
        all.push(ListenerAction::Unmodelled(vec!["authenticate-oidc".into(), "forward".into()]));
        for action in all {
            let value = action.to_value();
            assert_eq!(ListenerAction::from_value(&value), Some(action.clone()), "{value}");
        }
    }

    #[test]
    fn a_plain_forward_is_its_target_group_as_before_and_the_others_are_named() {
        assert_eq!(ListenerAction::Forward("arn:tg/app".into()).to_value(), Value::str("arn:tg/app"));
        // What the composition writes for a target group still to be made becomes that once resolved.
        let app = crate::model::Address::new("load_balancer/target-group/app");
        let wanted = forward_to(Value::Ref(app)).resolve(&|_, _| Value::str("arn:tg/app"));
        assert_eq!(ListenerAction::from_value(&wanted), Some(ListenerAction::Forward("arn:tg/app".into())));
        assert_eq!(
            redirect_to_https().to_value().to_string(),
            r#"{redirect: {port: "443", protocol: "HTTPS", status_code: "HTTP_301"}}"#
        );
        assert_eq!(
            ListenerAction::weighted(&[("arn:tg/app", 90), ("arn:tg/canary", 10)], Some(Duration::from_secs(60)))
                .to_value()
                .to_string(),
            r#"{weighted_forward: {stickiness_seconds: 60, target_groups: [{target_group: "arn:tg/app", weight: 90}, {target_group: "arn:tg/canary", weight: 10}]}}"#
        );
        assert_eq!(
            every_action()[5].to_value().to_string(),
            r#"{fixed_response: {content_type: "text/plain", message_body: "down for maintenance", status_code: "503"}}"#
        );
    }

    #[test]
    fn values_that_are_no_action_are_none() {
        let address = crate::model::Address::new("load_balancer/target-group/app");
        for value in [
            Value::Ref(address),
            Value::Unknown,
            Value::Int(3),
            Value::Map(BTreeMap::new()),
            Value::Map(BTreeMap::from([("teleport".to_owned(), Value::Map(BTreeMap::new()))])),
            // A redirect needs its status code.
            Value::Map(BTreeMap::from([(REDIRECT.to_owned(), Value::Map(BTreeMap::new()))])),
        ] {
            assert_eq!(ListenerAction::from_value(&value), None, "{value}");
        }
    }

    #[test]
    fn every_action_goes_to_the_sdk_and_back() {
        for action in every_action() {
            let sdk = action.to_sdk("load_balancer/listener/80").expect("an action clusterup makes");
            let back =
                ListenerAction::from_sdk(std::slice::from_ref(&sdk), "load_balancer/listener/80").expect("read back");
            assert_eq!(back, action, "{sdk:?}");
        }
    }

    #[test]
    fn an_unmodelled_action_is_never_made() {
        let unmodelled = ListenerAction::Unmodelled(vec!["authenticate-oidc".into(), "forward".into()]);
        let err = unmodelled.to_sdk("load_balancer/listener/443").expect_err("not made");
        assert!(err.to_string().contains("authenticate-oidc, forward"), "{err}");
    }

    #[test]
    fn what_aws_reports_reads_as_the_action_it_is() {
        // AWS reports a plain forward twice: as TargetGroupArn and as a forward config of that one target
        // group, stickiness off.
        let plain = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn("arn:tg/app")
            .forward_config(
                ForwardActionConfig::builder()
                    .target_groups(TargetGroupTuple::builder().target_group_arn("arn:tg/app").weight(1).build())
                    .target_group_stickiness_config(TargetGroupStickinessConfig::builder().enabled(false).build())
                    .build(),
            )
            .build();
        assert_eq!(ListenerAction::from_sdk(&[plain], "l").ok(), Some(ListenerAction::Forward("arn:tg/app".into())));

        // A redirect's parts left to AWS come back as its defaults: the same as never set.
        let defaults = RedirectActionConfig::builder()
            .protocol("HTTPS")
            .port("443")
            .host("#{host}")
            .path("/#{path}")
            .query("#{query}")
            .status_code(RedirectActionStatusCodeEnum::Http301)
            .build();
        let redirect = Action::builder().r#type(ActionTypeEnum::Redirect).redirect_config(defaults).build();
        assert_eq!(ListenerAction::from_sdk(&[redirect], "l").ok(), Some(redirect_to_https()));

        // A weight left out is AWS's 1.
        let unweighted = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(
                ForwardActionConfig::builder()
                    .target_groups(TargetGroupTuple::builder().target_group_arn("arn:tg/a").build())
                    .target_groups(TargetGroupTuple::builder().target_group_arn("arn:tg/b").weight(3).build())
                    .build(),
            )
            .build();
        let read = ListenerAction::from_sdk(&[unweighted], "l").expect("read");
        assert_eq!(read, ListenerAction::weighted(&[("arn:tg/a", 1), ("arn:tg/b", 3)], None));
        assert_eq!(read.shares(), [("arn:tg/a", 25), ("arn:tg/b", 75)]);
    }

    #[test]
    fn an_authentication_before_the_forward_is_reported_in_order_not_as_a_forward() {
        let authenticate = Action::builder()
            .r#type(ActionTypeEnum::AuthenticateOidc)
            .order(1)
            .authenticate_oidc_config(AuthenticateOidcActionConfig::builder().issuer("https://id.example.com").build())
            .build();
        let forward = Action::builder().r#type(ActionTypeEnum::Forward).order(2).target_group_arn("arn:tg/app").build();
        let read = ListenerAction::from_sdk(&[forward, authenticate], "l").expect("read");
        assert_eq!(read, ListenerAction::Unmodelled(vec!["authenticate-oidc".into(), "forward".into()]));
        assert!(read.shares().is_empty() && !read.forwards_to("arn:tg/app"), "not a forward a rollout may move");
    }

    #[test]
    fn an_answer_without_what_aws_always_returns_is_incomplete() {
        let cases = [
            (Action::builder().target_group_arn("arn:tg/app").build(), "DefaultActions.Type"),
            (Action::builder().r#type(ActionTypeEnum::Forward).build(), "DefaultActions.TargetGroupArn"),
            (Action::builder().r#type(ActionTypeEnum::Redirect).build(), "DefaultActions.RedirectConfig"),
            (
                Action::builder()
                    .r#type(ActionTypeEnum::Redirect)
                    .redirect_config(RedirectActionConfig::builder().protocol("HTTPS").build())
                    .build(),
                "RedirectConfig.StatusCode",
            ),
            (Action::builder().r#type(ActionTypeEnum::FixedResponse).build(), "DefaultActions.FixedResponseConfig"),
        ];
        for (action, field) in cases {
            let err = ListenerAction::from_sdk(&[action], "load_balancer/listener/80").expect_err(field);
            assert!(err.is(ErrorClass::Incomplete), "{err}");
            assert_eq!((err.call, err.resource.as_str()), ("DescribeListeners", "load_balancer/listener/80"));
            assert!(err.message.contains(field), "{}", err.message);
        }
    }

    #[test]
    fn shares_are_percentages_of_the_forwarded_requests() {
        assert_eq!(ListenerAction::Forward("arn:tg/app".into()).shares(), [("arn:tg/app", 100)]);
        let split = ListenerAction::weighted(&[("arn:tg/app", 90), ("arn:tg/canary", 10)], None);
        assert_eq!(split.shares(), [("arn:tg/app", 90), ("arn:tg/canary", 10)]);
        assert!(split.forwards_to("arn:tg/canary") && !split.forwards_to("arn:tg/other"));
        let nothing_yet = ListenerAction::weighted(&[("arn:tg/app", 0), ("arn:tg/canary", 0)], None);
        assert_eq!(nothing_yet.shares(), [("arn:tg/app", 0), ("arn:tg/canary", 0)]);
        assert!(redirect_to_https().shares().is_empty() && !redirect_to_https().forwards_to("arn:tg/app"));
    }
}
