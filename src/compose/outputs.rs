//! What the operator needs once the deployment exists (the URL first, then ids), from the resources that
//! exist: `apply` prints them, `output` reads them back from AWS.

use crate::model::names::{app, database, discovery, load_balancer, network, spark, storage};
use crate::model::Value;
use crate::model::{tags, Actual, Kind, NAME, TAGS};
use crate::resources::elbv2::listener;
use crate::resources::elbv2::listener_action::ListenerAction;
use crate::resources::elbv2::listener_rule;
use crate::resources::id_of;

/// Every output, the URL first (what operators open), then by section.
pub fn outputs(resources: &[Actual]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = network_outputs(resources)
        .into_iter()
        .chain(database_outputs(resources))
        .chain(storage_outputs(resources))
        .chain(load_balancer_outputs(resources))
        .chain(spark_outputs(resources))
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
    all.extend(group_outputs(resources));
    all.sort_by_key(|(key, _)| key != "url");
    all
}

fn network_outputs(resources: &[Actual]) -> Vec<(&'static str, String)> {
    let subnets = |tier: &str| {
        let mut ids: Vec<(&str, &str)> = resources
            .iter()
            .filter(|r| r.kind == Kind::Subnet && r.address.leaf().starts_with(tier))
            .map(|r| (r.address.as_str(), r.id.as_str()))
            .collect();
        ids.sort();
        ids.into_iter().map(|(_, id)| id).collect::<Vec<_>>().join(",")
    };
    let mut out = Vec::new();
    if let Some(vpc) = id_of(resources, network::VPC) {
        out.push(("vpc_id", vpc.to_owned()));
        out.push(("public_subnet_ids", subnets("public-")));
        out.push(("private_subnet_ids", subnets("private-")));
    }
    if let Some(sg) = id_of(resources, network::APP_SECURITY_GROUP) {
        out.push(("app_security_group_id", sg.to_owned()));
    }
    out
}

fn database_outputs(resources: &[Actual]) -> Vec<(&'static str, String)> {
    let Some(db) = resources.iter().find(|r| r.address.as_str() == database::INSTANCE) else { return vec![] };
    let mut out: Vec<(&'static str, String)> = ["endpoint", "port", "secret_arn"]
        .into_iter()
        .zip(["db_endpoint", "db_port", "db_secret_arn"])
        .filter_map(|(attr, key)| db.attrs.get(attr).map(|v| (key, v.clone())))
        .collect();
    // The read replicas' endpoints, in order (what the nodes get as DB_READ_HOSTS).
    let mut replicas: Vec<(&str, &str)> = resources
        .iter()
        .filter(|r| r.kind == Kind::DbReplica)
        .filter_map(|r| Some((r.address.as_str(), r.attrs.get("endpoint")?.as_str())))
        .collect();
    replicas.sort_by_key(|(address, _)| database::replica_number(address));
    if !replicas.is_empty() {
        out.push(("db_read_endpoints", replicas.iter().map(|(_, e)| *e).collect::<Vec<_>>().join(",")));
    }
    // A database with read replicas has no secret of RDS's: the kept password's secret is the one to read.
    if let Some(kept) = resources.iter().find(|r| r.kind == Kind::DatabaseSecret) {
        out.retain(|(key, _)| *key != "db_secret_arn");
        out.push(("db_secret_arn", kept.id.clone()));
    }
    out
}

fn storage_outputs(resources: &[Actual]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(fs) = resources.iter().find(|r| r.address.as_str() == storage::FILE_SYSTEM) {
        out.push(("file_system_id", fs.id.clone()));
        if let Some(path) = tags::from_value(fs.props.get(TAGS.name)).get(tags::MOUNT_PATH) {
            out.push(("mount_path", path.clone()));
        }
    }
    if let Some(ap) = id_of(resources, storage::ACCESS_POINT) {
        out.push(("access_point_id", ap.to_owned()));
    }
    out
}

fn load_balancer_outputs(resources: &[Actual]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some(lb) = resources.iter().find(|r| r.address.as_str() == load_balancer::LOAD_BALANCER) else { return out };
    // Discovery always records the DNS name; a load balancer only planned has none, and no URL.
    let dns = lb.attrs.get("dns_name").cloned().unwrap_or_default();
    // The URL users open: HTTPS if a listener speaks it, else the first HTTP listener's port.
    let listeners: Vec<(&str, i64)> = resources
        .iter()
        .filter(|r| r.kind == Kind::Listener)
        .map(|r| {
            (
                r.text(&listener::PROTOCOL).unwrap_or("HTTP"),
                r.props.get(listener::PORT.name).and_then(|p| p.as_int()).unwrap_or(80),
            )
        })
        .collect();
    let pick = listeners.iter().find(|(p, _)| *p == "HTTPS").or_else(|| listeners.iter().min_by_key(|(_, port)| *port));
    if let Some((protocol, port)) = pick {
        let scheme = protocol.to_ascii_lowercase();
        let default = (scheme == "https" && *port == 443) || (scheme == "http" && *port == 80);
        let url = if default { format!("{scheme}://{dns}/") } else { format!("{scheme}://{dns}:{port}/") };
        out.push(("url", url));
    }
    out.push(("load_balancer_dns", dns));
    out.push(("load_balancer_arn", lb.id.clone()));
    if let Some(tg) = id_of(resources, load_balancer::TARGET_GROUP) {
        out.push(("target_group_arn", tg.to_owned()));
    }
    out
}

/// Each node group's Auto Scaling group, launch template and target group: under the keys the app tier
/// always had for the group named `app`, with `.<group>` after them for every other group.
fn group_outputs(resources: &[Actual]) -> Vec<(String, String)> {
    let mut groups: Vec<&str> = resources.iter().filter_map(|r| app::group_of(r.address.as_str())).collect();
    groups.sort_by_key(|g| (*g != app::APP_GROUP, *g));
    let several = groups.len() > 1;
    // The private zone's name as discovery read it: each group's name in it is kept by its nodes.
    let zone = resources.iter().find(|r| r.address.as_str() == discovery::ZONE);
    let mut out = Vec::new();
    if let Some(zone) = zone {
        out.push(("private_zone_id".to_owned(), zone.id.clone()));
    }
    for group in groups {
        let key = |name: &str| if group == app::APP_GROUP { name.to_owned() } else { format!("{name}.{group}") };
        if let Some(zone_name) = zone.and_then(|z| z.text(&NAME)) {
            out.push((key("dns_name"), format!("{group}.{zone_name}")));
        }
        if let Some(id) = id_of(resources, &app::auto_scaling_group(group)) {
            out.push((key("auto_scaling_group"), id.to_owned()));
        }
        if let Some(id) = id_of(resources, &app::launch_template(group)) {
            out.push((key("launch_template_id"), id.to_owned()));
        }
        if group != app::APP_GROUP {
            if let Some(id) = id_of(resources, &load_balancer::target_group(group)) {
                out.push((key("target_group_arn"), id.to_owned()));
            }
        }
        if several {
            out.push((
                format!("route.{group}"),
                route(resources, id_of(resources, &load_balancer::target_group(group))),
            ));
        }
    }
    out
}

/// Which requests reach the group whose target group is `target_group`, as the load balancer has it: the
/// listener rules that forward to it and its share of the listeners' default action.
fn route(resources: &[Actual], target_group: Option<&str>) -> String {
    let Some(target_group) = target_group else { return "none (not behind the load balancer)".to_owned() };
    let mut parts: Vec<String> = Vec::new();
    for rule in resources.iter().filter(|r| r.kind == Kind::ListenerRule) {
        let action = rule.props.get(listener_rule::ACTION.name).and_then(ListenerAction::from_value);
        if action != Some(ListenerAction::Forward(target_group.to_owned())) {
            continue;
        }
        let Some(Value::Map(conditions)) = rule.props.get(listener_rule::CONDITIONS.name) else { continue };
        let values = |key: &str| match conditions.get(key) {
            Some(Value::List(items)) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
            _ => String::new(),
        };
        let (paths, hosts) = (values("paths"), values("hosts"));
        let text = match (paths.is_empty(), hosts.is_empty()) {
            (false, true) => format!("paths {paths}"),
            (true, false) => format!("hosts {hosts}"),
            _ => format!("paths {paths} on hosts {hosts}"),
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    for l in resources.iter().filter(|r| r.kind == Kind::Listener) {
        let share = match l.props.get(listener::DEFAULT_ACTION.name).and_then(ListenerAction::from_value) {
            Some(ListenerAction::Forward(arn)) if arn == target_group => Some("default".to_owned()),
            Some(ListenerAction::WeightedForward { targets, .. }) => {
                let total: u32 = targets.iter().map(|t| t.weight).sum();
                targets
                    .iter()
                    .find(|t| t.target_group == target_group)
                    .map(|t| format!("default, weight {} of {total}", t.weight))
            }
            _ => None,
        };
        if let Some(share) = share.filter(|s| !parts.contains(s)) {
            parts.push(share);
        }
    }
    if parts.is_empty() {
        "none (no listener forwards to it)".to_owned()
    } else {
        parts.join("; ")
    }
}

fn spark_outputs(resources: &[Actual]) -> Vec<(&'static str, String)> {
    let Some(cluster) = resources.iter().find(|r| r.address.as_str() == spark::CLUSTER) else { return vec![] };
    let attr = |key: &str| cluster.attrs.get(key).filter(|v| !v.is_empty()).cloned();
    let mut out = vec![("spark_cluster_id", cluster.id.clone())];
    // EMR's "public" DNS name of a master in a private subnet is its private name; both are given.
    out.extend(attr("master_dns").map(|dns| ("spark_master_dns", dns)));
    out.extend(attr("master_private_dns").map(|dns| ("spark_master_private_dns", dns)));
    out.extend(attr("master_private_ip").map(|ip| ("spark_master_private_ip", ip)));
    // The UIs listen on the master; from inside the VPC its private name always resolves.
    if let Some(host) = attr("master_private_dns").or_else(|| attr("master_dns")) {
        out.push(("spark_yarn_ui", format!("http://{host}:8088")));
        out.push(("spark_history_ui", format!("http://{host}:18080")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;
    use crate::resources::elbv2::listener_action::WeightedTarget;

    fn found(address: &str, kind: Kind, id: &str) -> Actual {
        Actual::new(Address::new(address), kind, id)
    }

    #[test]
    fn each_node_group_has_its_ids_and_its_route_as_the_load_balancer_has_it() {
        let weighted = ListenerAction::WeightedForward {
            targets: vec![
                WeightedTarget { target_group: "tg-web".into(), weight: 3 },
                WeightedTarget { target_group: "tg-small".into(), weight: 1 },
            ],
            stickiness: None,
        };
        let resources = vec![
            found(&app::auto_scaling_group("web"), Kind::AutoScalingGroup, "shop-web"),
            found(&app::auto_scaling_group("small"), Kind::AutoScalingGroup, "shop-small"),
            found(&app::auto_scaling_group("api"), Kind::AutoScalingGroup, "shop-api"),
            found(&app::auto_scaling_group("workers"), Kind::AutoScalingGroup, "shop-workers"),
            found(&load_balancer::target_group("web"), Kind::TargetGroup, "tg-web"),
            found(&load_balancer::target_group("small"), Kind::TargetGroup, "tg-small"),
            found(&load_balancer::target_group("api"), Kind::TargetGroup, "tg-api"),
            found(&load_balancer::listener(80), Kind::Listener, "l-80")
                .prop(&listener::DEFAULT_ACTION, weighted.to_value()),
            found(&load_balancer::listener_rule(80, "api"), Kind::ListenerRule, "r-1")
                .prop(&listener_rule::ACTION, Value::str("tg-api"))
                .prop(&listener_rule::CONDITIONS, listener_rule::conditions_value(&["/api/*".into()], &[])),
        ];
        let outputs: std::collections::BTreeMap<String, String> = group_outputs(&resources).into_iter().collect();
        assert_eq!(outputs["auto_scaling_group.workers"], "shop-workers");
        assert_eq!(outputs["target_group_arn.api"], "tg-api");
        assert_eq!(outputs["route.web"], "default, weight 3 of 4");
        assert_eq!(outputs["route.small"], "default, weight 1 of 4");
        assert_eq!(outputs["route.api"], "paths /api/*");
        assert_eq!(outputs["route.workers"], "none (not behind the load balancer)");
    }

    #[test]
    fn each_group_has_its_dns_name_in_the_private_zone() {
        let resources = vec![
            found(&app::auto_scaling_group("web"), Kind::AutoScalingGroup, "shop-web"),
            found(app::AUTO_SCALING_GROUP, Kind::AutoScalingGroup, "shop-app"),
            found(discovery::ZONE, Kind::HostedZone, "Z0123").prop(&NAME, Value::str("shop.internal")),
        ];
        let outputs: std::collections::BTreeMap<String, String> = group_outputs(&resources).into_iter().collect();
        assert_eq!(outputs["dns_name"], "app.shop.internal");
        assert_eq!(outputs["dns_name.web"], "web.shop.internal");
        assert_eq!(outputs["private_zone_id"], "Z0123");
    }

    #[test]
    fn one_group_has_the_keys_it_always_had_and_no_route() {
        let resources = vec![found(app::AUTO_SCALING_GROUP, Kind::AutoScalingGroup, "shop-app")];
        let keys: Vec<String> = group_outputs(&resources).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["auto_scaling_group"]);
    }
}
