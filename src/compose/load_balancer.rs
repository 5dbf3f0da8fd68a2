//! The Application Load Balancer in the public subnets (or private, when internal), the app target group
//! with its health check, algorithm and stickiness, and one listener per port.

use std::collections::BTreeMap;

use super::network::refs;
use super::{id_of, named};
use crate::model::names::{app as app_names, load_balancer as names, network::ALB_SECURITY_GROUP};
use crate::model::{Address, Desired, Facts, Kind, Value, NAME};
use crate::resources::elbv2::listener_action::ListenerAction;
use crate::resources::elbv2::target_group::HealthCheck;
use crate::resources::elbv2::{listener, listener_action, listener_rule, load_balancer, target_group};
use crate::topology::{Algorithm, NodeGroup, Route, Scheme, Stickiness, Topology};

/// The security policy of every HTTPS listener: TLS 1.3 and 1.2 only, with forward-secret ciphers. AWS's
/// recommended policy, and the console's default; a request that names none gets the 2016 one, which
/// still takes TLS 1.0 and 1.1
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
pub(super) const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Target group attributes clusterup manages; every other attribute keeps AWS's default.
fn target_group_attributes(topology: &Topology) -> Value {
    let lb = &topology.load_balancer;
    let algorithm = match lb.algorithm {
        Algorithm::RoundRobin => "round_robin",
        Algorithm::LeastOutstandingRequests => "least_outstanding_requests",
        Algorithm::WeightedRandom => "weighted_random",
    };
    let mut attrs = BTreeMap::from([("load_balancing.algorithm.type".to_owned(), Value::str(algorithm))]);
    match &lb.stickiness {
        None => {
            attrs.insert("stickiness.enabled".into(), Value::str("false"));
        }
        Some(Stickiness::LbCookie { duration }) => {
            attrs.insert("stickiness.enabled".into(), Value::str("true"));
            attrs.insert("stickiness.type".into(), Value::str("lb_cookie"));
            attrs.insert("stickiness.lb_cookie.duration_seconds".into(), Value::str(duration.as_secs().to_string()));
        }
        Some(Stickiness::AppCookie { cookie_name, duration }) => {
            attrs.insert("stickiness.enabled".into(), Value::str("true"));
            attrs.insert("stickiness.type".into(), Value::str("app_cookie"));
            attrs.insert("stickiness.app_cookie.cookie_name".into(), Value::str(cookie_name));
            attrs.insert("stickiness.app_cookie.duration_seconds".into(), Value::str(duration.as_secs().to_string()));
        }
    }
    Value::Map(attrs)
}

/// Load balancer attributes clusterup manages: the idle timeout, and two secure defaults (docs/real-aws.md,
/// "Security defaults"): requests with invalid header fields are dropped rather than passed to the app,
/// and the load balancer cannot be deleted while the deployment lives (destroy turns that off first).
fn load_balancer_attributes(topology: &Topology) -> Value {
    let lb = &topology.load_balancer;
    let mut attributes = BTreeMap::from([
        (load_balancer::IDLE_TIMEOUT.to_owned(), Value::str(lb.idle_timeout.as_secs().to_string())),
        (load_balancer::DROP_INVALID_HEADERS.to_owned(), Value::str("true")),
        (load_balancer::DELETION_PROTECTION.to_owned(), Value::str("true")),
        (load_balancer::ACCESS_LOGS.to_owned(), Value::str(lb.access_logs.to_string())),
    ]);
    if lb.access_logs {
        // The bucket's id is its name; the reference also makes the load balancer wait for its policy,
        // without which AWS refuses to turn the logs on.
        attributes.insert(load_balancer::ACCESS_LOGS_BUCKET.to_owned(), id_of(names::LOG_BUCKET));
    }
    Value::Map(attributes)
}

fn health_check(topology: &Topology) -> HealthCheck {
    let hc = &topology.load_balancer.health_check;
    // The topology's rules keep these within AWS's ranges (5-300 s, 2-120 s), far inside an i32.
    let secs = |d: std::time::Duration| i32::try_from(d.as_secs()).unwrap_or(i32::MAX);
    HealthCheck {
        path: hc.path.clone(),
        interval_seconds: secs(hc.interval),
        timeout_seconds: secs(hc.timeout),
        healthy_threshold: i32::from(hc.healthy_threshold),
        unhealthy_threshold: i32::from(hc.unhealthy_threshold),
        matcher: hc.matcher.clone(),
    }
}

/// Where plain HTTP listeners send their requests instead of forwarding them to the app, when the load
/// balancer speaks HTTPS and `redirect_to_https` is not turned off: the HTTPS listener on 443, else the
/// first HTTPS listener. `None`: they forward, as HTTPS ones do.
fn https_redirect_port(topology: &Topology) -> Option<u16> {
    let lb = &topology.load_balancer;
    if !lb.redirect_to_https {
        return None;
    }
    let https: Vec<u16> = lb.listeners.iter().filter(|l| l.certificate_arn.is_some()).map(|l| l.port).collect();
    https.iter().copied().find(|&port| port == 443).or_else(|| https.first().copied())
}

/// What a listener forwards when no rule takes a request: the one group with the default route, or a
/// forward weighted between the groups that share it.
fn default_forward(topology: &Topology) -> Value {
    match topology.default_route().as_slice() {
        [(only, _)] => listener_action::forward_to(id_of(names::target_group(&only.name))),
        shared => listener_action::weighted_forward_to(
            shared.iter().map(|(g, weight)| (id_of(names::target_group(&g.name)), u32::from(*weight))).collect(),
        ),
    }
}

pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    let name = &topology.name;
    let net = refs(topology, facts);
    let lb = &topology.load_balancer;
    let (scheme, subnets) = match lb.scheme {
        Scheme::InternetFacing => ("internet-facing", net.public_subnets),
        Scheme::Internal => ("internal", net.private_subnets),
    };
    // One target group per group the load balancer routes to, with the group's port.
    let mut out: Vec<Desired> = topology
        .groups
        .iter()
        .filter(|g| g.is_routed())
        .map(|g| {
            let tg_name = app_names::aws_name(name, &g.name);
            named(topology, &names::target_group(&g.name), Kind::TargetGroup, &tg_name)
                .prop(&NAME, Value::str(&tg_name))
                .prop(&target_group::VPC, net.vpc.clone())
                .prop(&target_group::PORT, Value::Int(i64::from(g.nodes.port)))
                .prop(&target_group::PROTOCOL, Value::str("HTTP"))
                .prop(&target_group::HEALTH_CHECK, health_check(topology).to_value())
                .prop(&target_group::ATTRIBUTES, target_group_attributes(topology))
        })
        .collect();
    out.push(
        named(topology, names::LOAD_BALANCER, Kind::LoadBalancer, &names::load_balancer_name(name))
            .prop(&NAME, Value::str(names::load_balancer_name(name)))
            .prop(&load_balancer::SCHEME, Value::str(scheme))
            .prop(&load_balancer::SUBNETS, Value::List(subnets))
            .prop(&load_balancer::SECURITY_GROUPS, Value::List(vec![id_of(ALB_SECURITY_GROUP)]))
            .prop(&load_balancer::ATTRIBUTES, load_balancer_attributes(topology)),
    );
    let https_port = https_redirect_port(topology);
    out.extend(super::access_logs::desired(topology, facts));
    for spec in &lb.listeners {
        let port = i64::from(spec.port);
        let action = match https_port {
            Some(to) if spec.certificate_arn.is_none() => ListenerAction::redirect_to_https(to).to_value(),
            _ => default_forward(topology),
        };
        let mut desired = named(topology, &names::listener(port), Kind::Listener, &format!("{name}-{port}"))
            .prop(&listener::LOAD_BALANCER, id_of(names::LOAD_BALANCER))
            .prop(&listener::PORT, Value::Int(port))
            .prop(&listener::DEFAULT_ACTION, action);
        desired = match &spec.certificate_arn {
            Some(arn) => desired
                .prop(&listener::PROTOCOL, Value::str("HTTPS"))
                .prop(&listener::CERTIFICATE, Value::str(arn))
                .prop(&listener::SSL_POLICY, Value::str(TLS_POLICY)),
            None => desired.prop(&listener::PROTOCOL, Value::str("HTTP")),
        };
        out.push(desired);
        // Listeners that forward also take the groups' path and host routes, as rules in file order.
        if !(https_port.is_some() && spec.certificate_arn.is_none()) {
            out.extend(route_rules(topology, port));
        }
    }
    out
}

/// One rule on the listener on `port` for each group routed by paths or hosts, forwarding to the group's
/// target group; priorities follow the file's order (the first rule is checked first).
fn route_rules(topology: &Topology, port: i64) -> Vec<Desired> {
    let routed = topology.groups.iter().filter_map(|g| match &g.route {
        Route::Rules { paths, hosts } => Some((g, paths, hosts)),
        Route::Default | Route::None => None,
    });
    routed
        .enumerate()
        .map(|(n, (group, paths, hosts))| {
            let priority = i64::try_from(n + 1).unwrap_or(i64::MAX);
            let name = format!("{}-{}", topology.name, group.name);
            named(topology, &names::listener_rule(port, &group.name), Kind::ListenerRule, &name)
                .prop(&listener_rule::LISTENER, id_of(names::listener(port)))
                .prop(&listener_rule::PRIORITY, Value::Int(priority))
                .prop(&listener_rule::CONDITIONS, listener_rule::conditions_value(paths, hosts))
                .prop(&listener_rule::ACTION, listener_action::forward_to(id_of(names::target_group(&group.name))))
        })
        .collect()
}

/// The listener rules that send `group` its requests (none unless it is routed by paths or hosts).
pub(super) fn rules_of(topology: &Topology, group: &NodeGroup) -> Vec<Address> {
    if !matches!(group.route, Route::Rules { .. }) {
        return Vec::new();
    }
    let https_port = https_redirect_port(topology);
    topology
        .load_balancer
        .listeners
        .iter()
        .filter(|l| !(https_port.is_some() && l.certificate_arn.is_none()))
        .map(|l| Address::new(names::listener_rule(i64::from(l.port), &group.name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::compose::offline_facts;
    use crate::resources::elbv2::listener_action::ListenerAction;

    const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/abc";

    /// The listeners' default actions and protocols for a web tier with `listeners` (YAML) and `extra`
    /// load balancer lines.
    fn listeners(listeners: &str, extra: &str) -> Vec<(i64, String, Option<ListenerAction>)> {
        let text = format!(
            "name: web\nregion: us-east-1\napp:\n  instance_type: t3.small\nload_balancer:\n  listeners:\n{listeners}{extra}"
        );
        let topology = crate::topology::parse(Path::new("topology.yaml"), &text).expect("valid").topology;
        desired(&topology, &offline_facts(&topology))
            .into_iter()
            .filter(|d| d.kind == Kind::Listener)
            .map(|d| {
                let action = d.props.get(listener::DEFAULT_ACTION.name).and_then(ListenerAction::from_value);
                (
                    d.int(&listener::PORT).expect("port"),
                    d.text(&listener::PROTOCOL).expect("protocol").to_owned(),
                    action,
                )
            })
            .collect()
    }

    fn forwards(action: &Option<ListenerAction>) -> bool {
        // The forward names the target group still to be made: a reference, not an action yet.
        action.is_none()
    }

    #[test]
    fn with_an_https_listener_plain_http_redirects_to_it() {
        let got = listeners(&format!("    - port: 80\n    - port: 443\n      certificate_arn: {CERT}\n"), "");
        assert_eq!(got[0].0, 80);
        assert_eq!(got[0].2, Some(ListenerAction::redirect_to_https(443)));
        assert_eq!((got[1].0, got[1].1.as_str()), (443, "HTTPS"));
        assert!(forwards(&got[1].2), "{:?}", got[1]);

        // No HTTPS listener on 443: the first HTTPS one.
        let got = listeners(
            &format!("    - port: 80\n    - port: 8443\n      certificate_arn: {CERT}\n    - port: 8080\n"),
            "",
        );
        assert_eq!(got[0].2, Some(ListenerAction::redirect_to_https(8443)));
        assert_eq!(got[2].2, Some(ListenerAction::redirect_to_https(8443)));
    }

    #[test]
    fn without_https_or_with_the_redirect_turned_off_every_listener_forwards() {
        assert!(listeners("    - port: 80\n", "").iter().all(|l| forwards(&l.2)));
        let got = listeners(
            &format!("    - port: 80\n    - port: 443\n      certificate_arn: {CERT}\n"),
            "  redirect_to_https: false\n",
        );
        assert!(got.iter().all(|l| forwards(&l.2)), "{got:?}");
    }

    #[test]
    fn https_listeners_name_the_tls_1_3_policy_and_plain_ones_none() {
        let text = format!(
            "name: web\nregion: us-east-1\napp:\n  instance_type: t3.small\nload_balancer:\n  listeners:\n    - port: 80\n    - port: 443\n      certificate_arn: {CERT}\n"
        );
        let topology = crate::topology::parse(Path::new("topology.yaml"), &text).expect("valid").topology;
        let wanted = desired(&topology, &offline_facts(&topology));
        let policy = |port: i64| {
            wanted
                .iter()
                .find(|d| d.kind == Kind::Listener && d.int(&listener::PORT).ok() == Some(port))
                .and_then(|d| d.props.get(listener::SSL_POLICY.name).cloned())
        };
        assert_eq!(policy(443), Some(Value::str(TLS_POLICY)));
        assert_eq!(policy(80), None);
    }
}
