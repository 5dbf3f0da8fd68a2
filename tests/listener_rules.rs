//! The listener rule kind against the emulator, through its module (no topology composes rules yet):
//! rules made on a listener, discovered back through the load balancer and the listener at the
//! addresses their tags give, their conditions changed and their priorities swapped by two updates at
//! once, a rule whose creation answer was lost adopted, and every rule deleted. Every request the kind
//! sent is recorded and checked against AWS's service models and the operator policy, as the contract
//! tests check the examples' lifecycles.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerSchemeEnum, PathPatternConditionConfig, ProtocolEnum, RuleCondition, Tag,
};
use clusterup::aws::{connect, ConnectOptions};
use clusterup::model::names::load_balancer::{listener_rule, LOAD_BALANCER};
use clusterup::model::{tags, Actual, Address, Desired, Kind, Value, TAGS};
use clusterup::resources::elbv2::listener_action::forward_to;
use clusterup::resources::elbv2::listener_rule::{conditions_value, ACTION, CONDITIONS, LISTENER, PRIORITY};
use clusterup::resources::{discover_all, of, Ctx, DataPolicy, Progress};

use crate::support::fault_proxy::{FaultProxy, Schedule};
use crate::support::{clients, clusterup, endpoint, stdout, Clients, Workspace, REGION};

struct Silent;

impl Progress for Silent {
    fn waiting(&self, _seen: &str, _waited: Duration) {}
}

/// What the rules hang off, made with the SDK directly: a load balancer carrying the deployment's tags
/// (discovery finds it by name and checks them), its listener on port 80, and two target groups (the
/// app's and a canary's, whose names discovery asks for and whose tags it checks too).
struct Balancer {
    listener: String,
    app: String,
    canary: String,
}

async fn balancer(aws: &Clients, deployment: &str) -> Balancer {
    let vpc = aws.ec2.create_vpc().cidr_block("10.40.0.0/16").send().await.expect("vpc");
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_owned();
    let mut subnets = Vec::new();
    for (zone, cidr) in [("us-east-1a", "10.40.1.0/24"), ("us-east-1b", "10.40.2.0/24")] {
        let subnet = aws.ec2.create_subnet().vpc_id(&vpc).availability_zone(zone).cidr_block(cidr).send().await;
        subnets.push(subnet.expect("subnet").subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_owned());
    }
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    let lb = aws
        .elb
        .create_load_balancer()
        .name(format!("{deployment}-alb"))
        .scheme(LoadBalancerSchemeEnum::InternetFacing)
        .set_subnets(Some(subnets))
        .tags(tag(tags::DEPLOYMENT, deployment))
        .tags(tag(tags::RESOURCE, LOAD_BALANCER))
        .send()
        .await
        .expect("load balancer");
    let lb = lb.load_balancers()[0].load_balancer_arn().expect("arn").to_owned();
    let mut groups = Vec::new();
    for (suffix, address) in [("app", "load_balancer/target-group/app"), ("canary", "app/canary/target-group")] {
        let tg = aws
            .elb
            .create_target_group()
            .name(format!("{deployment}-{suffix}"))
            .vpc_id(&vpc)
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .tags(tag(tags::DEPLOYMENT, deployment))
            .tags(tag(tags::RESOURCE, address))
            .send()
            .await
            .expect("target group");
        groups.push(tg.target_groups()[0].target_group_arn().expect("arn").to_owned());
    }
    let forward = Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&groups[0]).build();
    let listener = aws
        .elb
        .create_listener()
        .load_balancer_arn(&lb)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(forward)
        .send()
        .await
        .expect("listener");
    let listener = listener.listeners()[0].listener_arn().expect("arn").to_owned();
    let canary = groups.pop().expect("two groups");
    Balancer { listener, app: groups.remove(0), canary }
}

/// A rule as the composition will ask for one (references resolved: the listener's and the target
/// group's ARNs).
fn rule(deployment: &str, group: &str, listener: &str, priority: i64, paths: &[&str], target: &str) -> Desired {
    let address = listener_rule(80, group);
    let tags = tags::for_resource(
        &BTreeMap::new(),
        deployment,
        &Address::new(address.clone()),
        &format!("{deployment}-{group}"),
    );
    let paths: Vec<String> = paths.iter().map(|p| (*p).to_owned()).collect();
    Desired::new(address, Kind::ListenerRule)
        .prop(&LISTENER, Value::str(listener))
        .prop(&PRIORITY, Value::Int(priority))
        .prop(&CONDITIONS, conditions_value(&paths, &["shop.example.com".to_owned()]))
        .prop(&ACTION, forward_to(Value::str(target)))
        .prop(&TAGS, tags::to_value(&tags))
}

async fn rules(ctx: &Ctx) -> Vec<Actual> {
    let mut found: Vec<Actual> =
        discover_all(ctx).await.expect("discovery").into_iter().filter(|a| a.kind == Kind::ListenerRule).collect();
    found.sort_by(|a, b| a.address.cmp(&b.address));
    found
}

/// `have` is what `want` asks for, property by property, as the plan compares them.
#[track_caller]
fn assert_is(have: &Actual, want: &Desired) {
    assert_eq!(have.address, want.address);
    for prop in of(Kind::ListenerRule).spec().props {
        assert!(
            !want.differs_from(have, prop),
            "{}: {prop} is {:?}, wanted {:?}",
            have.address,
            have.props.get(prop.name),
            want.props.get(prop.name)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_rules_are_made_found_by_their_tags_reordered_and_deleted() {
    // The deployment's name, and its operator policy, from an example whose name the workspace makes unique.
    let ws = Workspace::from_example("web-tier.yaml", "rules");
    let name = ws.name.clone();
    let aws = clients().await;
    let lb = balancer(&aws, &name).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let recording = dir.path().join("requests.jsonl");
    let proxy = FaultProxy::start_recording(endpoint(), Schedule::PassThrough, &recording);
    proxy.set_phase(&format!("{name}:rules"));
    let options = ConnectOptions { region: REGION.to_owned(), profile: None, endpoint_url: Some(proxy.url.clone()) };
    let ctx = Ctx { aws: connect(&options).await, deployment: name.clone(), data: DataPolicy::default() };
    let kind = of(Kind::ListenerRule);

    // Made, then found through load balancer -> listener -> rules, at their addresses; the listener's
    // default rule is not one of them.
    let api = rule(&name, "api", &lb.listener, 1, &["/api/*"], &lb.canary);
    let admin = rule(&name, "admin", &lb.listener, 2, &["/admin/*"], &lb.app);
    let made_api = kind.create(&ctx, &api, &Silent).await.expect("create api");
    let made_admin = kind.create(&ctx, &admin, &Silent).await.expect("create admin");
    assert!(made_api.id.contains(":listener-rule/"), "{}", made_api.id);
    let found = rules(&ctx).await;
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_is(&found[0], &admin);
    assert_is(&found[1], &api);

    // Two updates at once swap the rules' priorities (each holds the other's), and one changes its paths.
    let api2 = rule(&name, "api", &lb.listener, 2, &["/api/*", "/v2/*"], &lb.canary);
    let admin2 = rule(&name, "admin", &lb.listener, 1, &["/admin/*"], &lb.app);
    let (have_admin, have_api) = (&found[0], &found[1]);
    let (a, b) =
        tokio::join!(kind.update(&ctx, have_api, &api2, &Silent), kind.update(&ctx, have_admin, &admin2, &Silent));
    a.expect("update api");
    b.expect("update admin");
    let found = rules(&ctx).await;
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_is(&found[0], &admin2);
    assert_is(&found[1], &api2);
    assert_eq!(
        (found[0].id.as_str(), found[1].id.as_str()),
        (made_admin.id.as_str(), made_api.id.as_str()),
        "changed in place"
    );

    // A rule made by an attempt whose answer was lost holds its priority under its own address: the
    // create adopts it instead of waiting for it.
    let lost = rule(&name, "lost", &lb.listener, 3, &["/lost/*"], &lb.app);
    let earlier = aws
        .elb
        .create_rule()
        .listener_arn(&lb.listener)
        .priority(3)
        .conditions(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(PathPatternConditionConfig::builder().values("/lost/*").build())
                .build(),
        )
        .actions(Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&lb.app).build())
        .set_tags(Some(
            tags::from_value(lost.props.get(TAGS.name))
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .send()
        .await
        .expect("the earlier attempt");
    let earlier = earlier.rules()[0].rule_arn().expect("arn").to_owned();
    let adopted = kind.create(&ctx, &lost, &Silent).await.expect("adopted");
    assert_eq!(adopted.id, earlier);
    assert_eq!(rules(&ctx).await.len(), 3);

    // Deleted; deleting again is done.
    for have in rules(&ctx).await {
        kind.delete(&ctx, &have, &Silent).await.expect("delete");
        kind.delete(&ctx, &have, &Silent).await.expect("delete again");
    }
    assert_eq!(rules(&ctx).await, Vec::<Actual>::new());
    let left = aws.elb.describe_rules().listener_arn(&lb.listener).send().await.expect("rules");
    assert_eq!(left.rules().len(), 1, "only the listener's default rule: {:?}", left.rules());

    // Every request the kind sent, against AWS's models and the deployment's operator policy.
    let topology = ws.topology().to_string_lossy().into_owned();
    let policy = clusterup(&["iam-policy", &topology, "--account", "123456789012"]);
    assert!(policy.status.success(), "iam-policy failed");
    let policy_path = dir.path().join("policy.json");
    std::fs::write(&policy_path, stdout(&policy)).expect("write policy");
    let operations = std::fs::read_to_string(&recording).expect("recording");
    for operation in ["CreateRule", "DescribeRules", "ModifyRule", "SetRulePriorities", "DeleteRule"] {
        assert!(operations.contains(operation), "no {operation} recorded");
    }
    contract("check_requests.py", &["--known", "scripts/contract/allowed/requests.txt"], &recording);
    contract("authorize.py", &["--policy", &format!("{name}={}", policy_path.display())], &recording);
}

/// Run a checker of scripts/contract/ on `recording` with the contract tools' Python.
#[track_caller]
fn contract(script: &str, args: &[&str], recording: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = std::env::var_os("CLUSTERUP_CONTRACT_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join(".venv-contract"));
    let python = venv.join("bin/python");
    assert!(python.exists(), "no {}: run `scripts/contract/install.sh` (scripts/test.sh does)", python.display());
    let out = Command::new(python)
        .arg(root.join("scripts/contract").join(script))
        .args(args)
        .arg(recording)
        .current_dir(root)
        .output()
        .expect("run checker");
    let (out_text, err_text) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed:\n{out_text}\n{err_text}");
}
