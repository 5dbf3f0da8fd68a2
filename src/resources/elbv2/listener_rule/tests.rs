use aws_sdk_elasticloadbalancingv2::operation::create_rule::CreateRuleError;
use aws_sdk_elasticloadbalancingv2::operation::delete_rule::DeleteRuleError;
use aws_sdk_elasticloadbalancingv2::operation::describe_rules::DescribeRulesOutput;
use aws_sdk_elasticloadbalancingv2::operation::describe_tags::DescribeTagsOutput;
use aws_sdk_elasticloadbalancingv2::types::TagDescription;
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum};
use aws_sdk_elasticloadbalancingv2::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use super::*;
use crate::aws::{Aws, ErrorClass};
use crate::model::names::load_balancer::listener_rule;
use crate::model::Address;
use crate::resources::{DataPolicy, Quiet};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_address_names_the_listener_port_and_the_group() {
    assert_eq!(listener_rule(443, "api"), "load_balancer/listener/443/rule/api");
}

#[test]
fn conditions_are_a_map_of_the_lists_they_have() {
    let both = conditions_value(&strings(&["/api/*"]), &strings(&["api.example.com"]));
    assert_eq!(both.to_string(), r#"{hosts: ["api.example.com"], paths: ["/api/*"]}"#);
    let paths_only = conditions_value(&strings(&["/api/*", "/v2/*"]), &[]);
    assert_eq!(paths_only.to_string(), r#"{paths: ["/api/*", "/v2/*"]}"#);
    for value in [both, paths_only] {
        let read = Conditions::from_value(&value).expect("conditions");
        assert_eq!(read.to_value(), value);
    }
    for not_conditions in [Value::str("/api/*"), Value::Map(BTreeMap::from([("methods".into(), Value::List(vec![]))]))]
    {
        assert_eq!(Conditions::from_value(&not_conditions), None, "{not_conditions}");
    }
}

#[test]
fn conditions_go_to_the_sdk_in_their_configs_and_back() {
    let wanted =
        Conditions { paths: strings(&["/api/*", "/v2/*"]), hosts: strings(&["api.example.com"]), unmodelled: vec![] };
    let sdk = wanted.to_sdk("r").expect("made");
    assert_eq!(sdk.len(), 2, "one condition per field: {sdk:?}");
    assert_eq!(sdk[0].field(), Some(PATH_PATTERN));
    assert_eq!(sdk[0].path_pattern_config().map(|c| c.values()), Some(&wanted.paths[..]));
    assert!(sdk[0].values().is_empty(), "AWS refuses Values beside a config");
    assert_eq!(sdk[1].field(), Some(HOST_HEADER));
    assert_eq!(sdk[1].host_header_config().map(|c| c.values()), Some(&wanted.hosts[..]));
    assert_eq!(Conditions::from_sdk(&sdk, "r").expect("read"), wanted);
}

#[test]
fn what_aws_reports_reads_as_the_conditions_they_are() {
    // AWS repeats a path or host condition's values in the older Values beside its config; the emulator
    // may report Values alone.
    let both = RuleCondition::builder()
        .field(PATH_PATTERN)
        .values("/api/*")
        .path_pattern_config(PathPatternConditionConfig::builder().values("/api/*").build())
        .build();
    let legacy = RuleCondition::builder().field(HOST_HEADER).values("api.example.com").build();
    let read = Conditions::from_sdk(&[both, legacy], "r").expect("read");
    assert_eq!((read.paths, read.hosts), (strings(&["/api/*"]), strings(&["api.example.com"])));

    // Conditions clusterup does not make are named, so the plan shows a change, and never made.
    let header = RuleCondition::builder().field("http-header").build();
    let regex = RuleCondition::builder()
        .field(PATH_PATTERN)
        .path_pattern_config(PathPatternConditionConfig::builder().regex_values("^/api/v[0-9]+/").build())
        .build();
    let read = Conditions::from_sdk(&[header, regex], "r").expect("read");
    assert_eq!(read.unmodelled, ["http-header", "path-pattern (regex)"]);
    assert_eq!(read.to_value().to_string(), r#"{unmodelled: ["http-header", "path-pattern (regex)"]}"#);
    let err = read.to_sdk("load_balancer/listener/80/rule/api").expect_err("not made");
    assert!(err.to_string().contains("http-header, path-pattern (regex)"), "{err}");

    let err = Conditions::from_sdk(&[RuleCondition::builder().values("/x").build()], "r").expect_err("no field");
    assert!(err.is(ErrorClass::Incomplete) && err.message.contains("Conditions.Field"), "{err}");
}

#[test]
fn a_rule_without_a_condition_is_never_sent() {
    let err = Conditions::default().to_sdk("load_balancer/listener/80/rule/api").expect_err("no condition");
    assert!(err.to_string().contains("at least one"), "{err}");
}

#[test]
fn a_rule_forwards_to_its_target_group_as_a_listener_does() {
    let forward = Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn("arn:tg/api").order(1).build();
    let read = ListenerAction::from_rule_sdk(&[forward], "arn:rule").expect("read");
    assert_eq!(read.to_value(), Value::str("arn:tg/api"));
    let err = ListenerAction::from_rule_sdk(&[Action::builder().build()], "arn:rule").expect_err("no type");
    assert_eq!(err.call, "DescribeRules");
    assert!(err.message.contains("Actions.Type"), "{}", err.message);
}

#[test]
fn the_default_rule_is_the_listener_s_not_a_rule_of_its_own() {
    let default = Rule::builder().rule_arn("arn:rule/default").priority("default").is_default(true).build();
    assert_eq!(priority_of(&default, "arn:rule/default").expect("read"), None);
    let routed = Rule::builder().rule_arn("arn:rule/1").priority("7").is_default(false).build();
    assert_eq!(priority_of(&routed, "arn:rule/1").expect("read"), Some(7));
    let garbled = Rule::builder().rule_arn("arn:rule/2").priority("first").build();
    assert!(priority_of(&garbled, "arn:rule/2").expect_err("no number").is(ErrorClass::Incomplete));
}

#[test]
fn wanted_values_out_of_range_are_bugs_named_by_property() {
    let want = |priority: i64| {
        Desired::new(listener_rule(80, "api"), Kind::ListenerRule)
            .prop(&PRIORITY, Value::Int(priority))
            .prop(&CONDITIONS, Value::str("/api/*"))
    };
    assert_eq!(wanted_priority(&want(50_000)).ok(), Some(50_000));
    for out in [0, 50_001] {
        let err = wanted_priority(&want(out)).expect_err("out of range");
        assert!(err.to_string().contains("priority") && err.to_string().contains("1 to 50000"), "{err}");
    }
    let err = wanted_conditions(&want(1)).expect_err("not a map");
    assert!(err.to_string().contains("conditions"), "{err}");
    assert!(wanted_action(&want(1)).expect_err("missing").to_string().contains("missing"));
}

/// The emulator answers DeleteRule for a rule that does not exist with success; AWS answers RuleNotFound,
/// which is a rule already deleted (its listener went first, or an earlier run deleted it).
#[tokio::test]
async fn deleting_a_rule_already_gone_is_done_sdk_mock_emulator_answers_success() {
    let gone = mock!(Client::delete_rule).then_error(|| {
        DeleteRuleError::generic(aws_smithy_types::error::ErrorMetadata::builder().code("RuleNotFound").build())
    });
    let refused = mock!(Client::delete_rule).then_error(|| {
        DeleteRuleError::generic(
            aws_smithy_types::error::ErrorMetadata::builder().code("OperationNotPermitted").build(),
        )
    });
    let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::Sequential, [&gone, &refused]);
    let ctx = Ctx { aws: Aws { elb, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };
    let have = Actual::new(Address::new(listener_rule(80, "api")), Kind::ListenerRule, "arn:rule/1");
    ListenerRule::delete(&ctx, &have, &Quiet).await.expect("gone is done");
    let err = ListenerRule::delete(&ctx, &have, &Quiet).await.expect_err("other errors are errors");
    assert!(err.to_string().contains("DeleteRule") && err.to_string().contains("OperationNotPermitted"), "{err}");
}

/// A priority held by a rule that is no resource of the deployment (someone's own rule on the listener)
/// is waited for a few minutes, then the error names that rule. The emulator shows the same, minutes
/// later: the mocks let the test's clock skip the wait.
#[tokio::test(start_paused = true)]
async fn a_priority_someone_else_s_rule_holds_fails_naming_that_rule_sdk_mock_skips_the_wait() {
    let held = mock!(Client::create_rule).then_error(|| {
        CreateRuleError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code(PRIORITY_IN_USE)
                .message("The specified priority is in use.")
                .build(),
        )
    });
    let rules = mock!(Client::describe_rules).then_output(|| {
        DescribeRulesOutput::builder()
            .rules(Rule::builder().rule_arn("arn:rule/theirs").priority("1").build())
            .rules(Rule::builder().rule_arn("arn:rule/default").priority("default").is_default(true).build())
            .build()
    });
    let untagged = mock!(Client::describe_tags).then_output(|| {
        DescribeTagsOutput::builder()
            .tag_descriptions(TagDescription::builder().resource_arn("arn:rule/theirs").build())
            .build()
    });
    let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [&held, &rules, &untagged]);
    let ctx = Ctx { aws: Aws { elb, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };
    let want = Desired::new(listener_rule(80, "api"), Kind::ListenerRule)
        .prop(&LISTENER, Value::str("arn:listener/80"))
        .prop(&PRIORITY, Value::Int(1))
        .prop(&CONDITIONS, conditions_value(&strings(&["/api/*"]), &[]))
        .prop(&ACTION, Value::str("arn:tg/api"));
    let err = ListenerRule::create(&ctx, &want, &Quiet).await.expect_err("never free");
    let text = err.to_string();
    assert!(text.contains("held by arn:rule/theirs, a rule of no clusterup resource here: move or delete"), "{text}");
    assert!(held.num_calls() > 5, "looked again while waiting: {} calls", held.num_calls());
}
