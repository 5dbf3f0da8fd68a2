//! Warnings: valid but weak availability. Same shape as errors, pointing at the field.

use super::*;

/// No NAT warning: the other tests look at one warning at a time.
const PER_AZ: &str = "network:\n  nat: per_az\n";

fn warnings(text: &str) -> Vec<(usize, usize, String, String)> {
    ok(text).warnings.into_iter().map(|w| (w.line, w.column, w.field, w.message)).collect()
}

#[track_caller]
fn expect_one(text: &str, line: usize, column: usize, field: &str, needle: &str) {
    let found = warnings(text);
    assert_eq!(found.len(), 1, "{found:?}");
    let (l, c, f, m) = &found[0];
    assert_eq!((*l, *c, f.as_str()), (line, column, field), "{found:?}");
    assert!(m.contains(needle), "{m}");
}

#[test]
fn a_sound_topology_has_no_warnings() {
    assert!(warnings(&minimal_with(PER_AZ)).is_empty());
}

#[test]
fn single_nat_gateway() {
    expect_one(&minimal_with("network:\n  nat: single\n"), 6, 8, "network.nat", "one NAT gateway: if its zone fails");
    // Also when single is the default; there is no nat key to point at, so it points at the network.
    expect_one(&minimal_with("network:\n  cidr: 10.1.0.0/16\n"), 6, 3, "network.nat", "one NAT gateway");
    expect_one(MINIMAL, 1, 1, "network.nat", "one NAT gateway");
    assert!(warnings(&minimal_with("network:\n  nat: none\n")).is_empty());
}

#[test]
fn fewer_than_two_nodes() {
    expect_one(
        &minimal_with(&format!("  capacity:\n    min: 1\n{PER_AZ}")),
        6,
        10,
        "app.capacity.min",
        "a single node is a single point of failure",
    );
    expect_one(&minimal_with(&format!("  capacity: {{ min: 0 }}\n{PER_AZ}")), 5, 20, "app.capacity.min", "min is 0");
}

#[test]
fn single_az_database() {
    expect_one(
        &minimal_with(&format!("{PER_AZ}database:\n  multi_az: false\n")),
        8,
        13,
        "database.multi_az",
        "single-AZ database",
    );
}

#[test]
fn no_database_backups() {
    expect_one(
        &minimal_with(&format!("{PER_AZ}database:\n  backup_retention_days: 0\n")),
        8,
        26,
        "database.backup_retention_days",
        "turns off automated backups",
    );
}

#[test]
fn database_connections_without_tls() {
    expect_one(
        &minimal_with(&format!("{PER_AZ}database:\n  parameters:\n    require_secure_transport: 0\n")),
        9,
        31,
        "database.parameters.require_secure_transport",
        "lets clients reach the database without TLS",
    );
    for on in ["1", "ON", "\"1\""] {
        let text = minimal_with(&format!("{PER_AZ}database:\n  parameters: {{ require_secure_transport: {on} }}\n"));
        assert!(warnings(&text).is_empty(), "{on}");
    }
}

#[test]
fn sticky_sessions_with_one_node() {
    let found = warnings(&minimal_with(&format!(
        "  capacity: {{ min: 1, max: 1 }}\n{PER_AZ}load_balancer:\n  stickiness: {{ duration: 1h }}\n"
    )));
    let fields: Vec<&str> = found.iter().map(|w| w.2.as_str()).collect();
    assert_eq!(fields, ["app.capacity.min", "load_balancer.stickiness"]);
    assert_eq!((found[1].0, found[1].1), (9, 15));
    assert!(found[1].3.contains("sticky sessions do nothing with one app node"));
    // Disabled stickiness is no stickiness.
    let found = warnings(&minimal_with(&format!(
        "  capacity: {{ min: 2, max: 2 }}\n{PER_AZ}load_balancer:\n  stickiness: {{ enabled: false }}\n"
    )));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn warnings_display_like_errors() {
    let checked = ok(&minimal_with("network:\n  nat: single\n"));
    assert_eq!(
        checked.warnings[0].to_string(),
        "topology.yaml:6:8: network.nat: one NAT gateway: if its zone fails, private subnets lose outbound \
         access (nat: per_az avoids it)"
    );
}
