//! The node_groups section: several groups, routes and weights, singletons, start order, and `app:` as
//! the group named `app`.

use super::*;
use crate::topology::*;

const HEAD: &str = "name: shop\nregion: us-east-1\nnode_groups:\n";

fn groups(body: &str) -> String {
    format!("{HEAD}{body}")
}

#[test]
fn the_groups_keep_file_order_and_their_routes_weights_singleton_and_start_order() {
    let text = groups(concat!(
        "  web:\n    instance_type: t3.large\n    route: default\n    weight: 3\n",
        "  web-small:\n    instance_type: t3.medium\n    route: default\n    weight: 1\n",
        "  api:\n    instance_type: t3.large\n    port: 9000\n    route: { paths: [/api/*], hosts: [api.example.com] }\n",
        "  coordinator:\n    instance_type: m5.large\n    singleton: true\n",
        "  workers:\n    instance_type: m5.xlarge\n    capacity: { min: 2, max: 10 }\n    start_after: [coordinator]\n",
    ));
    let t = ok(&text).topology;
    let names: Vec<&str> = t.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["web", "web-small", "api", "coordinator", "workers"]);
    let web = t.group("web").expect("web");
    assert_eq!((&web.route, web.weight), (&Route::Default, Some(3)));
    let api = t.group("api").expect("api");
    assert_eq!(api.route, Route::Rules { paths: vec!["/api/*".into()], hosts: vec!["api.example.com".into()] });
    assert_eq!(api.nodes.port, 9000);
    let coordinator = t.group("coordinator").expect("coordinator");
    assert!(coordinator.nodes.singleton);
    assert_eq!(coordinator.nodes.capacity, Capacity { min: 1, desired: 1, max: 1 });
    // Left out, a route is `none` when there are several groups.
    assert_eq!(coordinator.route, Route::None);
    assert_eq!(t.group("workers").expect("workers").start_after, ["coordinator"]);
    let shares: Vec<(&str, u8)> = t.default_route().iter().map(|(g, w)| (g.name.as_str(), *w)).collect();
    assert_eq!(shares, [("web", 3), ("web-small", 1)]);
}

#[test]
fn one_group_takes_the_default_route_and_app_is_the_group_named_app() {
    let t = ok(&groups("  web:\n    instance_type: t3.small\n")).topology;
    assert_eq!(t.groups[0].route, Route::Default);
    let shorthand = ok(MINIMAL).topology;
    let written = ok(&groups("  app:\n    instance_type: t3.small\n")).topology;
    assert_eq!(shorthand.groups, written.groups);
}

#[test]
fn several_default_routes_need_a_weight_each() {
    expect_err(
        &groups("  a:\n    instance_type: t3.small\n    route: default\n  b:\n    instance_type: t3.small\n    route: default\n    weight: 2\n"),
        6,
        5,
        "node_groups.a",
        "groups a, b share `route: default`; give each a weight",
    );
}

#[test]
fn some_group_must_take_the_default_route_and_a_weight_needs_it() {
    expect_err(
        &groups("  a:\n    instance_type: t3.small\n  b:\n    instance_type: t3.small\n"),
        4,
        3,
        "node_groups",
        "no group has `route: default`",
    );
    expect_err(
        &groups(
            "  a:\n    instance_type: t3.small\n    route: default\n  b:\n    instance_type: t3.small\n    weight: 2\n",
        ),
        9,
        5,
        "node_groups.b.weight",
        "has a weight but not `route: default`",
    );
}

#[test]
fn a_start_after_cycle_an_unknown_group_and_itself_are_located_errors() {
    let cycle = groups(concat!(
        "  web:\n    instance_type: t3.small\n    route: default\n",
        "  a:\n    instance_type: t3.small\n    start_after: [b]\n",
        "  b:\n    instance_type: t3.small\n    start_after: [a]\n",
    ));
    expect_err(&cycle, 9, 5, "node_groups.a.start_after", "start_after makes a cycle: a → b → a");
    expect_err(
        &groups("  web:\n    instance_type: t3.small\n    route: default\n  workers:\n    instance_type: t3.small\n    start_after: [coordinater]\n"),
        9,
        19,
        "node_groups.workers.start_after[0]",
        "there is no group `coordinater`; the groups are web, workers",
    );
    expect_err(
        &groups("  web:\n    instance_type: t3.small\n    start_after: [web]\n"),
        6,
        19,
        "node_groups.web.start_after[0]",
        "cannot start after itself",
    );
}

#[test]
fn a_singleton_takes_no_capacity_scaling_or_min_healthy_percent() {
    let base = "  web:\n    instance_type: t3.small\n    singleton: true\n";
    expect_err(
        &groups(&format!("{base}    capacity: {{ min: 1 }}\n")),
        7,
        5,
        "node_groups.web.capacity",
        "a singleton takes no capacity",
    );
    expect_err(
        &groups(&format!("{base}    scaling: {{ cpu_target: 50 }}\n")),
        7,
        5,
        "node_groups.web.scaling",
        "a singleton takes no scaling",
    );
    // The shorthand too: `app:` is a group.
    expect_err(
        &minimal_with("  singleton: true\n  min_healthy_percent: 50\n"),
        6,
        3,
        "app.min_healthy_percent",
        "a singleton takes no min_healthy_percent",
    );
    // And no warning about a single node: one node is what it asks for.
    let checked = ok(&groups(base));
    assert!(checked.warnings.iter().all(|w| !w.field.contains("capacity")), "{:?}", checked.warnings);
}

#[test]
fn app_and_node_groups_together_or_neither_are_refused() {
    expect_err(
        &format!("{MINIMAL}node_groups:\n  web:\n    instance_type: t3.small\n"),
        5,
        1,
        "node_groups",
        "write either app (one group) or node_groups, not both",
    );
    expect_err(HEAD, 3, 13, "node_groups", "node_groups is empty");
}

#[test]
fn group_names_and_routes_are_checked_where_they_are_written() {
    expect_err(&groups("  Web:\n    instance_type: t3.small\n"), 4, 3, "node_groups.Web", "use lowercase letters");
    expect_err(&groups("  canary:\n    instance_type: t3.small\n"), 4, 3, "node_groups.canary", "canary rollout");
    // `<deployment>-<group>` names the target group: at most 32 characters.
    expect_err(
        "name: long-deployment-name\nregion: us-east-1\nnode_groups:\n  coordinator-main:\n    instance_type: t3.small\n",
        4,
        3,
        "node_groups.coordinator-main",
        "at most 32",
    );
    expect_err(
        &groups("  web:\n    instance_type: t3.small\n    route: { paths: [api] }\n"),
        6,
        22,
        "node_groups.web.route.paths[0]",
        "must start with `/`",
    );
    expect_err(
        &groups("  web:\n    instance_type: t3.small\n    route: { paths: [/a, /b, /c, /d] }\n"),
        6,
        14,
        "node_groups.web.route.paths",
        "at most 3",
    );
    expect_err(
        &groups("  web:\n    instance_type: t3.small\n    route: sometimes\n"),
        6,
        12,
        "node_groups.web.route",
        "not a route",
    );
    expect_err(
        &groups("  web:\n    instance_type: t3.small\n    route: default\n  batch:\n    instance_type: t3.small\n    scaling: { requests_per_target: 100 }\n"),
        9,
        16,
        "node_groups.batch.scaling.requests_per_target",
        "requests_per_target needs the load balancer's requests",
    );
}
