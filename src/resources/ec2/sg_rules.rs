//! Security group rules as clusterup describes them, read from and written to EC2, for ingress (the
//! security group kind) and egress (the security group egress kind) alike.
//!
//! A rule is a map: `protocol` (`tcp`, or `-1` for all traffic), `port` (a number, `from-to`, or `all`),
//! the peer (`cidr`, `ipv6_cidr` or `group`: where traffic comes from, or goes to) and its `description`.
//! A rule's identity is everything but its description, as for EC2: a rule that differs only in its
//! description gets it updated in place (UpdateSecurityGroupRuleDescriptions*), never revoked and
//! authorized again, which would drop its traffic meanwhile.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, UserIdGroupPair};

use crate::aws::{AwsError, ErrorClass, ResultExt};
use crate::model::Value;
use crate::resources::support::settle;
use crate::resources::Ctx;

const PROTOCOL: &str = "protocol";
const PORT: &str = "port";
const CIDR: &str = "cidr";
const IPV6_CIDR: &str = "ipv6_cidr";
const GROUP: &str = "group";
const DESCRIPTION: &str = "description";
/// The port of a rule for every protocol and port (`IpProtocol` `-1`, no ports).
const ALL: &str = "all";

/// TCP `port` with a CIDR block: where it comes from (ingress) or goes to (egress).
pub fn tcp_with_cidr(port: u16, cidr: &str, description: &str) -> Value {
    tcp(port, CIDR, Value::str(cidr), description)
}

/// The peer of a rule that names the group it belongs to: written for the group's own id, which the
/// group cannot reference before it exists (a reference to itself would be a cycle).
pub const ITSELF: &str = "self";

/// TCP `port` with the other members of the rule's own security group.
pub fn tcp_with_itself(port: u16, description: &str) -> Value {
    tcp(port, GROUP, Value::str(ITSELF), description)
}

/// `rules` as read from group `own_id`, with the group's own id written as [`ITSELF`].
pub fn naming_itself(rules: Vec<Value>, own_id: &str) -> Vec<Value> {
    rules.into_iter().map(|rule| swap_peer(rule, own_id, ITSELF)).collect()
}

/// `rule` with peer group `from` written `to`.
fn swap_peer(rule: Value, from: &str, to: &str) -> Value {
    match rule {
        Value::Map(mut map) => {
            if map.get(GROUP).and_then(Value::as_str) == Some(from) {
                map.insert(GROUP.to_owned(), Value::str(to));
            }
            Value::Map(map)
        }
        other => other,
    }
}

/// TCP `port` with the members of a security group (its id, or a reference to it).
pub fn tcp_with_group(port: u16, group: Value, description: &str) -> Value {
    tcp(port, GROUP, group, description)
}

fn tcp(port: u16, peer: &str, value: Value, description: &str) -> Value {
    Value::Map(BTreeMap::from([
        (PROTOCOL.to_owned(), Value::str("tcp")),
        (PORT.to_owned(), Value::Int(i64::from(port))),
        (peer.to_owned(), value),
        (DESCRIPTION.to_owned(), Value::str(description)),
    ]))
}

/// Which of a group's two rule sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// The rules of `permissions` (a group's IpPermissions or IpPermissionsEgress), one per peer. Prefix
/// lists are not rules clusterup writes or reads.
pub fn read(permissions: &[IpPermission]) -> Vec<Value> {
    let mut rules = Vec::new();
    for perm in permissions {
        // AWS reports every rule with its protocol; `-1` (all traffic) has no ports.
        let protocol = perm.ip_protocol().unwrap_or("-1");
        let port = match (perm.from_port(), perm.to_port()) {
            (Some(from), Some(to)) if protocol != "-1" => {
                if from == to {
                    Value::Int(i64::from(from))
                } else {
                    Value::str(format!("{from}-{to}"))
                }
            }
            _ => Value::str(ALL),
        };
        let make = |peer: &str, value: &str, description: Option<&str>| {
            let mut rule = BTreeMap::from([
                (PROTOCOL.to_owned(), Value::str(protocol)),
                (PORT.to_owned(), port.clone()),
                (peer.to_owned(), Value::str(value)),
            ]);
            // A rule without a description has none, which differs from any wanted one.
            if let Some(description) = description.filter(|d| !d.is_empty()) {
                rule.insert(DESCRIPTION.to_owned(), Value::str(description));
            }
            Value::Map(rule)
        };
        rules.extend(perm.ip_ranges().iter().filter_map(|r| Some(make(CIDR, r.cidr_ip()?, r.description()))));
        rules.extend(perm.ipv6_ranges().iter().filter_map(|r| Some(make(IPV6_CIDR, r.cidr_ipv6()?, r.description()))));
        rules.extend(
            perm.user_id_group_pairs().iter().filter_map(|p| Some(make(GROUP, p.group_id()?, p.description()))),
        );
    }
    rules
}

/// A rule without its description: what EC2 tells rules apart by.
fn identity(rule: &Value) -> Value {
    match rule {
        Value::Map(map) => {
            Value::Map(map.iter().filter(|(k, _)| *k != DESCRIPTION).map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        other => other.clone(),
    }
}

fn same_rule(a: &Value, b: &Value) -> bool {
    identity(a).same_as(&identity(b))
}

/// The EC2 permission for one resolved rule, with its description or without (a revocation names the
/// rule only).
fn permission(rule: &Value, with_description: bool) -> Option<IpPermission> {
    let Value::Map(map) = rule else { return None };
    let description = map.get(DESCRIPTION).and_then(Value::as_str).filter(|_| with_description).map(str::to_owned);
    let protocol = map.get(PROTOCOL)?.as_str()?;
    let mut builder = IpPermission::builder().ip_protocol(protocol);
    match map.get(PORT)? {
        Value::Int(port) => {
            let port = i32::try_from(*port).ok()?;
            builder = builder.from_port(port).to_port(port);
        }
        Value::Str(all) if all == ALL => {}
        Value::Str(range) => {
            let (from, to) = range.split_once('-')?;
            builder = builder.from_port(from.parse().ok()?).to_port(to.parse().ok()?);
        }
        _ => return None,
    }
    let builder = if let Some(cidr) = map.get(CIDR).and_then(Value::as_str) {
        builder.ip_ranges(IpRange::builder().cidr_ip(cidr).set_description(description).build())
    } else if let Some(cidr) = map.get(IPV6_CIDR).and_then(Value::as_str) {
        builder.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(cidr).set_description(description).build())
    } else {
        let group = map.get(GROUP)?.as_str()?;
        builder.user_id_group_pairs(UserIdGroupPair::builder().group_id(group).set_description(description).build())
    };
    Some(builder.build())
}

/// What `sync` changes to bring `had` to `wanted`.
#[derive(Debug, Default, PartialEq)]
struct Changes {
    add: Vec<IpPermission>,
    remove: Vec<IpPermission>,
    describe: Vec<IpPermission>,
}

fn changes(had: &[Value], wanted: &[Value]) -> Changes {
    Changes {
        add: wanted
            .iter()
            .filter(|w| !had.iter().any(|h| same_rule(h, w)))
            .filter_map(|w| permission(w, true))
            .collect(),
        remove: had
            .iter()
            .filter(|h| !wanted.iter().any(|w| same_rule(h, w)))
            .filter_map(|h| permission(h, false))
            .collect(),
        describe: wanted
            .iter()
            .filter(|w| had.iter().any(|h| same_rule(h, w) && !h.same_as(w)))
            .filter_map(|w| permission(w, true))
            .collect(),
    }
}

/// Authorize what is wanted and missing, give rules that are there the wanted description, revoke what
/// is there and not wanted: on group `group_id` (`resource` for messages), in `direction`.
pub async fn sync(
    ctx: &Ctx,
    direction: Direction,
    group_id: &str,
    resource: &str,
    had: &[Value],
    wanted: &[Value],
) -> Result<(), AwsError> {
    let ec2 = &ctx.aws.ec2;
    // A rule naming the group itself is sent with its id.
    let resolve =
        |rules: &[Value]| -> Vec<Value> { rules.iter().map(|r| swap_peer(r.clone(), ITSELF, group_id)).collect() };
    let Changes { add, remove, describe } = changes(&resolve(had), &resolve(wanted));
    if !add.is_empty() {
        let call = match direction {
            Direction::Ingress => "AuthorizeSecurityGroupIngress",
            Direction::Egress => "AuthorizeSecurityGroupEgress",
        };
        settle(resource, call, || async {
            let sent = match direction {
                Direction::Ingress => ec2
                    .authorize_security_group_ingress()
                    .group_id(group_id)
                    .set_ip_permissions(Some(add.clone()))
                    .send()
                    .await
                    .call(call, resource)
                    .map(|_| ()),
                Direction::Egress => ec2
                    .authorize_security_group_egress()
                    .group_id(group_id)
                    .set_ip_permissions(Some(add.clone()))
                    .send()
                    .await
                    .call(call, resource)
                    .map(|_| ()),
            };
            match sent {
                // A rule that exists already is what we want.
                Err(err) if err.code_is("InvalidPermission.Duplicate") => Ok(()),
                other => other,
            }
        })
        .await?;
    }
    if !describe.is_empty() {
        match direction {
            Direction::Ingress => ec2
                .update_security_group_rule_descriptions_ingress()
                .group_id(group_id)
                .set_ip_permissions(Some(describe))
                .send()
                .await
                .call("UpdateSecurityGroupRuleDescriptionsIngress", resource)
                .map(|_| ())?,
            Direction::Egress => ec2
                .update_security_group_rule_descriptions_egress()
                .group_id(group_id)
                .set_ip_permissions(Some(describe))
                .send()
                .await
                .call("UpdateSecurityGroupRuleDescriptionsEgress", resource)
                .map(|_| ())?,
        }
    }
    if !remove.is_empty() {
        let revoked = match direction {
            Direction::Ingress => ec2
                .revoke_security_group_ingress()
                .group_id(group_id)
                .set_ip_permissions(Some(remove))
                .send()
                .await
                .call("RevokeSecurityGroupIngress", resource)
                .map(|_| ()),
            Direction::Egress => ec2
                .revoke_security_group_egress()
                .group_id(group_id)
                .set_ip_permissions(Some(remove))
                .send()
                .await
                .call("RevokeSecurityGroupEgress", resource)
                .map(|_| ()),
        };
        match revoked {
            // Revoked meanwhile, or the group named went: what we wanted.
            Err(err) if err.is(ErrorClass::NotFound) => {}
            other => other?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(rule: Value, description: Option<&str>) -> Value {
        let Value::Map(mut map) = rule else { panic!("a rule is a map") };
        match description {
            Some(d) => map.insert(DESCRIPTION.to_owned(), Value::str(d)),
            None => map.remove(DESCRIPTION),
        };
        Value::Map(map)
    }

    #[test]
    fn a_rule_reads_back_as_it_was_written() {
        for rule in [tcp_with_cidr(443, "0.0.0.0/0", "HTTPS out"), tcp_with_group(3306, Value::str("sg-1"), "MySQL")] {
            let perm = permission(&rule, true).expect("a permission");
            assert_eq!(read(&[perm]), vec![rule]);
        }
    }

    #[test]
    fn a_rule_naming_its_own_group_is_sent_with_the_groups_id_and_reads_back_as_itself() {
        let wanted = tcp_with_itself(7000, "peers");
        let sent = changes(&[], &[swap_peer(wanted.clone(), ITSELF, "sg-own")]);
        let pairs = sent.add[0].user_id_group_pairs();
        assert_eq!(pairs[0].group_id(), Some("sg-own"));
        let read_back = naming_itself(read(&sent.add), "sg-own");
        assert_eq!(read_back, vec![wanted]);
        // Another group's id stays as it is.
        assert_eq!(
            naming_itself(vec![tcp_with_group(7000, Value::str("sg-other"), "x")], "sg-own")[0],
            tcp_with_group(7000, Value::str("sg-other"), "x")
        );
    }

    #[test]
    fn the_default_allow_all_egress_is_a_rule_that_can_be_revoked() {
        let all = IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        let rules = read(std::slice::from_ref(&all));
        assert_eq!(rules.len(), 1);
        let c = changes(&rules, &[]);
        assert_eq!(c.remove, vec![all]);
        assert!(c.add.is_empty() && c.describe.is_empty());
    }

    #[test]
    fn a_rule_that_differs_only_in_its_description_is_described_not_replaced() {
        let wanted = tcp_with_group(8080, Value::str("sg-alb"), "app port from the load balancer");
        let had = described(wanted.clone(), None);
        let c = changes(std::slice::from_ref(&had), std::slice::from_ref(&wanted));
        assert!(c.add.is_empty() && c.remove.is_empty(), "{c:?}");
        assert_eq!(c.describe, vec![permission(&wanted, true).expect("permission")]);
        // Nothing to do once it has it.
        assert_eq!(changes(std::slice::from_ref(&wanted), std::slice::from_ref(&wanted)), Changes::default());
        // Revocations name the rule without its description.
        let c = changes(std::slice::from_ref(&wanted), &[]);
        assert_eq!(c.remove, vec![permission(&had, false).expect("permission")]);
    }
}
