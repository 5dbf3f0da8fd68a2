//! `node_groups`: several groups of app nodes, each with the `app` section's fields plus where the load
//! balancer sends it requests (`route`, `weight`), whether it is a `singleton`, and which groups must be
//! serving before it is created (`start_after`). `app:` is the one-group shorthand: it is the group
//! named `app`, with the default route.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::app::{nodes, NodeSettings, RawApp, RawCapacity, RawScaling, IMAGE_PARAMETER, MIN_HEALTHY_PERCENT, PORT};
use super::{null_as_default, Result};
use crate::topology::error::Finding;
use crate::topology::locate::YamlPath;
use crate::topology::model::*;
use crate::topology::rules::NAME_MAX;
use crate::topology::types::*;

/// ALB limits on one rule's conditions: at most three values per condition and five per rule
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html).
const VALUES_PER_CONDITION: usize = 3;
const VALUES_PER_RULE: usize = 5;

super::app::node_fields!(
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields, expecting = "a node group, a mapping with at least instance_type")]
    RawNodeGroup {
        /// Which requests the load balancer sends this group: `default` (what no rule takes), `none` (not
        /// behind the load balancer), or rules `{ paths: [/api/*], hosts: [api.example.com] }`. Left
        /// out: `default` when there is one group, `none` otherwise.
        pub route: Option<RawRoute>,
        /// The group's share of the default route when several groups have it (1-100; a group with
        /// weight 3 beside one with weight 1 takes three requests in four).
        pub weight: Option<RouteWeight>,
        /// Groups whose nodes must be in service before this group is created (day-2 changes keep no
        /// order).
        pub start_after: Option<Vec<GroupName>>,
    }
);

/// `route`, as written.
#[derive(Debug)]
pub enum RawRoute {
    Default,
    None,
    Rules(RawRouteRules),
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a route mapping such as { paths: [/api/*] }")]
pub struct RawRouteRules {
    /// URL path patterns (`*` and `?` as wildcards), at most 3.
    #[serde(default)]
    pub paths: Vec<RoutePath>,
    /// Host names (`*` and `?` as wildcards), at most 3.
    #[serde(default)]
    pub hosts: Vec<RouteHost>,
}

impl<'de> Deserialize<'de> for RawRoute {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRoute;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("default, none, or a mapping with paths and/or hosts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<RawRoute, E> {
                match v {
                    "default" => Ok(RawRoute::Default),
                    "none" => Ok(RawRoute::None),
                    other => Err(E::custom(format!(
                        "`{other}` is not a route; expected default, none, or {{ paths: [...], hosts: [...] }}"
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<RawRoute, A::Error> {
                RawRouteRules::deserialize(MapAccessDeserializer::new(map)).map(RawRoute::Rules)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for RawRoute {
    fn schema_name() -> Cow<'static, str> {
        "Route".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let rules = generator.subschema_for::<RawRouteRules>();
        json_schema!({ "anyOf": [{ "type": "string", "enum": ["default", "none"] }, rules] })
    }
}

/// The groups in file order (listener rules are made in that order).
#[derive(Debug, Default)]
pub struct RawNodeGroups(pub Vec<(GroupName, RawNodeGroup)>);

impl<'de> Deserialize<'de> for RawNodeGroups {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawNodeGroups;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of group names to groups, such as { web: { instance_type: t3.large } }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<RawNodeGroups, A::Error> {
                let mut groups = Vec::new();
                while let Some(name) = map.next_key::<GroupName>()? {
                    groups.push((name, map.next_value::<RawNodeGroup>()?));
                }
                Ok(RawNodeGroups(groups))
            }
        }
        d.deserialize_map(V)
    }
}

impl JsonSchema for RawNodeGroups {
    fn schema_name() -> Cow<'static, str> {
        "NodeGroups".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let group = generator.subschema_for::<RawNodeGroup>();
        let name = GroupName::json_schema(generator);
        json_schema!({
            "type": "object",
            "minProperties": 1,
            "propertyNames": name,
            "additionalProperties": group,
        })
    }
}

/// The groups of `node_groups`, checked: names that fit AWS's limits with the deployment's, routes,
/// weights and start order.
pub fn node_groups(
    raw: RawNodeGroups,
    deployment: &str,
    source: &Path,
    default_user_data: &str,
    warnings: &mut Vec<Finding>,
) -> Result<Vec<NodeGroup>> {
    let root = YamlPath::root().key("node_groups");
    if raw.0.is_empty() {
        return Err(Finding::new(
            root,
            "node_groups is empty; name at least one group, e.g. web: { instance_type: t3.large }",
        ));
    }
    let only_one = raw.0.len() == 1;
    let mut groups = Vec::new();
    for (name, group) in &raw.0 {
        let path = root.key(&name.0);
        // `<deployment>-<group>` names the group's target group, whose names have at most 32 characters.
        let aws_name = format!("{deployment}-{}", name.0);
        if aws_name.len() > 32 {
            let message = format!(
                "`{aws_name}` (deployment and group name) is {} characters; AWS names its target group with it, \
                 which takes at most 32: shorten the group name (deployment names have at most {NAME_MAX})",
                aws_name.len()
            );
            return Err(Finding::new(path, message).on_key());
        }
        let nodes = nodes(group.node_settings(), &path, source, default_user_data, warnings)?;
        let route = match &group.route {
            None if only_one => Route::Default,
            None => Route::None,
            Some(RawRoute::Default) => Route::Default,
            Some(RawRoute::None) => Route::None,
            Some(RawRoute::Rules(rules)) => route_rules(rules, &path.key("route"))?,
        };
        if route == Route::None && matches!(nodes.scaling, Some(Scaling::RequestsPerTarget(_))) {
            let message =
                "requests_per_target needs the load balancer's requests; this group has `route: none` (use cpu_target)";
            return Err(Finding::new(path.key("scaling").key("requests_per_target"), message).on_key());
        }
        groups.push(NodeGroup {
            name: name.0.clone(),
            nodes,
            route,
            weight: group.weight.map(|w| w.0),
            start_after: group.start_after.iter().flatten().map(|g| g.0.clone()).collect(),
        });
    }
    check_weights(&raw, &groups, &root)?;
    check_start_order(&groups, &root)?;
    Ok(groups)
}

/// `app:` as the one group it stands for.
pub fn app_group(
    raw: RawApp,
    source: &Path,
    default_user_data: &str,
    warnings: &mut Vec<Finding>,
) -> Result<Vec<NodeGroup>> {
    let nodes = super::app::app(raw, source, default_user_data, warnings)?;
    Ok(vec![NodeGroup { name: APP_GROUP.to_owned(), nodes, route: Route::Default, weight: None, start_after: vec![] }])
}

fn route_rules(rules: &RawRouteRules, path: &YamlPath) -> Result<Route> {
    for (field, count) in [("paths", rules.paths.len()), ("hosts", rules.hosts.len())] {
        if count > VALUES_PER_CONDITION {
            let message = format!(
                "{count} {field}; a load balancer rule matches at most {VALUES_PER_CONDITION} (use a wildcard, or another group)"
            );
            return Err(Finding::new(path.key(field), message).on_key());
        }
    }
    let total = rules.paths.len() + rules.hosts.len();
    if total == 0 {
        return Err(Finding::new(path.clone(), "a route needs paths or hosts (or write `default` or `none`)"));
    }
    if total > VALUES_PER_RULE {
        let message =
            format!("{total} paths and hosts; a load balancer rule matches at most {VALUES_PER_RULE} values in all");
        return Err(Finding::new(path.clone(), message));
    }
    let wildcards: usize = rules
        .paths
        .iter()
        .map(|p| p.0.as_str())
        .chain(rules.hosts.iter().map(|h| h.0.as_str()))
        .map(|v| v.matches(['*', '?']).count())
        .sum();
    if wildcards > VALUES_PER_RULE {
        let message = format!("{wildcards} wildcards; a load balancer rule takes at most {VALUES_PER_RULE}");
        return Err(Finding::new(path.clone(), message));
    }
    Ok(Route::Rules {
        paths: rules.paths.iter().map(|p| p.0.clone()).collect(),
        hosts: rules.hosts.iter().map(|h| h.0.clone()).collect(),
    })
}

/// At least one group takes the default route; several share it only when each has a weight, and a
/// weight means nothing on a group without it.
fn check_weights(raw: &RawNodeGroups, groups: &[NodeGroup], root: &YamlPath) -> Result<()> {
    let defaults: Vec<&NodeGroup> = groups.iter().filter(|g| g.route == Route::Default).collect();
    if defaults.is_empty() {
        return Err(Finding::new(
            root.clone(),
            "no group has `route: default`; the load balancer needs one group for the requests no rule takes",
        ));
    }
    for group in groups {
        if group.weight.is_some() && group.route != Route::Default {
            let message =
                format!("`{}` has a weight but not `route: default`; a weight shares the default route", group.name);
            return Err(Finding::new(root.key(&group.name).key("weight"), message).on_key());
        }
    }
    if defaults.len() > 1 {
        if let Some(unweighted) = defaults.iter().find(|g| g.weight.is_none()) {
            let others: Vec<&str> = defaults.iter().map(|g| g.name.as_str()).collect();
            let written = raw.0.iter().any(|(n, g)| n.0 == unweighted.name && g.route.is_some());
            let path = root.key(&unweighted.name);
            let at = if written { path.key("route") } else { path.clone() };
            let message = format!(
                "groups {} share `route: default`; give each a weight (1-100), e.g. weight: 1",
                others.join(", ")
            );
            return Err(Finding::new(path, message).at(at).on_key());
        }
    }
    Ok(())
}

/// `start_after` names other groups of the file, and the order has no cycle.
fn check_start_order(groups: &[NodeGroup], root: &YamlPath) -> Result<()> {
    let names: BTreeSet<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    for group in groups {
        for (i, after) in group.start_after.iter().enumerate() {
            let at = root.key(&group.name).key("start_after").index(i);
            if after == &group.name {
                return Err(Finding::new(at, format!("`{after}` cannot start after itself")));
            }
            if !names.contains(after.as_str()) {
                let known = names.iter().copied().collect::<Vec<_>>().join(", ");
                return Err(Finding::new(at, format!("there is no group `{after}`; the groups are {known}")));
            }
        }
    }
    // Depth-first search from each group; a group met again on the current path closes a cycle.
    fn visit<'a>(
        group: &'a NodeGroup,
        groups: &'a [NodeGroup],
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if done.contains(group.name.as_str()) {
            return None;
        }
        if let Some(start) = path.iter().position(|n| *n == group.name) {
            let mut cycle = path[start..].to_vec();
            cycle.push(&group.name);
            return Some(cycle);
        }
        path.push(&group.name);
        for after in &group.start_after {
            if let Some(next) = groups.iter().find(|g| &g.name == after) {
                if let Some(cycle) = visit(next, groups, path, done) {
                    return Some(cycle);
                }
            }
        }
        path.pop();
        done.insert(&group.name);
        None
    }
    let mut done = BTreeSet::new();
    for group in groups {
        if let Some(cycle) = visit(group, groups, &mut Vec::new(), &mut done) {
            let first = cycle[0];
            let message = format!("start_after makes a cycle: {}; no group of it could start", cycle.join(" → "));
            return Err(Finding::new(root.key(first).key("start_after"), message).on_key());
        }
    }
    Ok(())
}
