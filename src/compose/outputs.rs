//! What the operator needs once the deployment exists (the URL first, then ids), from the resources that
//! exist: `apply` prints them, `output` reads them back from AWS.

use crate::model::names::{app, database, load_balancer, network, spark, storage};
use crate::model::{tags, Actual, Kind, TAGS};
use crate::resources::elbv2::listener;
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
    ["endpoint", "port", "secret_arn"]
        .into_iter()
        .zip(["db_endpoint", "db_port", "db_secret_arn"])
        .filter_map(|(attr, key)| db.attrs.get(attr).map(|v| (key, v.clone())))
        .collect()
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
    let mut out = Vec::new();
    for group in groups {
        let key = |name: &str| if group == app::APP_GROUP { name.to_owned() } else { format!("{name}.{group}") };
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
    }
    out
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
