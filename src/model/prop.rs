//! Properties as named constants that carry their own diff rules, declared by the kind that owns them.
//!
//! A resource's properties are stored by name (`Props`), because what AWS reports comes back by name too;
//! but code never spells a name: it uses the kind's `Prop` constant, which also says whether a change
//! forces a replacement, how wanted and actual values compare, and whether an id inside the value is a
//! dependency. Each kind lists its properties, and a unit test checks that every property the
//! composition sets is one its kind declares.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Value;

/// One key of a map-valued property (a tag, a target group attribute) that a change adds, alters or
/// removes: `None` before means added, `None` after means removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryChange {
    pub key: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// How the diff decides that a property already is what the topology wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// Equal values; lists as multisets (no property clusterup manages depends on order).
    Exact,
    /// A map compared on the keys clusterup sets: AWS reports every attribute, clusterup manages a few.
    WantedKeys,
    /// A list that holds at least every wanted item, ignoring case (EMR lists applications it installs
    /// alongside the ones asked for).
    ContainsAll,
    /// A version: `8.0` matches whatever `8.0.x` AWS picked.
    VersionPrefix,
    /// How clusterup makes its changes (apply them now or in the maintenance window), not something AWS
    /// keeps: shown when the resource is created, never a difference.
    Setting,
}

/// One property of one kind of resource.
#[derive(Debug, PartialEq, Eq)]
pub struct Prop {
    pub name: &'static str,
    /// A change cannot be made in place: the resource is replaced (`-/+`).
    pub replaces: bool,
    pub compare: Compare,
    /// Whether a resource id inside the value makes this resource go before that one on deletion. Not for
    /// a resource's own names, description and tags (they may spell another resource's id, as an Auto
    /// Scaling group's name is its launch template's), nor for security-group rules, which deleting a
    /// group revokes from every other group first (EMR's groups name each other: rules would order them
    /// in a cycle).
    pub orders_deletion: bool,
}

impl Prop {
    /// A property changed in place, compared exactly, whose ids are dependencies.
    pub const fn new(name: &'static str) -> Prop {
        Prop { name, replaces: false, compare: Compare::Exact, orders_deletion: true }
    }

    pub const fn replaces(self) -> Prop {
        Prop { replaces: true, ..self }
    }

    pub const fn compared(self, compare: Compare) -> Prop {
        Prop { compare, ..self }
    }

    pub const fn not_a_dependency(self) -> Prop {
        Prop { orders_deletion: false, ..self }
    }

    /// Whether `have` (what exists) already is `want`: the one comparison the plan and the update code
    /// share.
    pub fn matches(&self, have: &Value, want: &Value) -> bool {
        match (self.compare, have, want) {
            (Compare::Setting, _, _) => true,
            (Compare::WantedKeys, Value::Map(have), Value::Map(want)) => {
                want.iter().all(|(k, v)| have.get(k).is_some_and(|h| h.same_as(v)))
            }
            (Compare::ContainsAll, Value::List(have), Value::List(want)) => want.iter().all(|w| {
                have.iter().any(|h| h.as_str().zip(w.as_str()).is_some_and(|(h, w)| h.eq_ignore_ascii_case(w)))
            }),
            (Compare::VersionPrefix, Value::Str(have), Value::Str(want)) => {
                have == want || have.strip_prefix(want.as_str()).is_some_and(|rest| rest.starts_with('.'))
            }
            _ => have.same_as(want),
        }
    }

    /// For a map-valued property, the keys that differ between `have` and `want`, the way this property
    /// compares: only the wanted keys of a [`Compare::WantedKeys`] map (the rest is not clusterup's),
    /// also the keys `have` has beyond `want` for an exact one (they will be removed). `None` when the
    /// values are not both maps.
    pub fn entry_changes(&self, have: &Value, want: &Value) -> Option<Vec<EntryChange>> {
        let (Value::Map(have), Value::Map(want)) = (have, want) else { return None };
        let mut changes: Vec<EntryChange> = want
            .iter()
            .filter(|(k, v)| !have.get(*k).is_some_and(|h| h.same_as(v)))
            .map(|(k, v)| EntryChange { key: k.clone(), before: have.get(k).cloned(), after: Some(v.clone()) })
            .collect();
        if self.compare == Compare::Exact {
            changes.extend(have.iter().filter(|(k, _)| !want.contains_key(*k)).map(|(k, v)| EntryChange {
                key: k.clone(),
                before: Some(v.clone()),
                after: None,
            }));
            changes.sort_by(|a, b| a.key.cmp(&b.key));
        }
        Some(changes)
    }
}

impl fmt::Display for Prop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Every tagged resource's tags, as one map (the user's, a `Name`, and clusterup's own).
pub const TAGS: Prop = Prop::new("tags").not_a_dependency();
/// A resource's own name, fixed when it is made.
pub const NAME: Prop = Prop::new("name").replaces().not_a_dependency();
/// The EC2 instance type of the nodes a resource launches (a launch template's). Shared, like [`NAME`],
/// so that what refers to such a resource (an Auto Scaling group, pricing its nodes) reads it without
/// knowing that resource's kind: kinds never import each other.
pub const INSTANCE_TYPE: Prop = Prop::new("instance_type");

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn versions_match_the_minor_aws_picked() {
        let version = Prop::new("engine_version").compared(Compare::VersionPrefix);
        let v = |s: &str| Value::str(s);
        assert!(version.matches(&v("8.0.39"), &v("8.0")));
        assert!(version.matches(&v("8.0.39"), &v("8.0.39")));
        assert!(!version.matches(&v("8.0.39"), &v("8.4")));
        assert!(!version.matches(&v("8.01"), &v("8.0")));
    }

    #[test]
    fn attributes_compare_only_the_keys_clusterup_sets() {
        let attributes = Prop::new("attributes").compared(Compare::WantedKeys);
        let want = Value::Map(BTreeMap::from([("a".to_owned(), Value::str("1"))]));
        let have = Value::Map(BTreeMap::from([("a".to_owned(), Value::str("1")), ("b".to_owned(), Value::str("x"))]));
        assert!(attributes.matches(&have, &want));
        assert!(!Prop::new("attributes").matches(&have, &want), "exact comparison sees the extra key");
    }

    #[test]
    fn lists_that_must_contain_what_is_wanted_ignore_case_and_extras() {
        let apps = Prop::new("applications").compared(Compare::ContainsAll);
        let list = |items: &[&str]| Value::List(items.iter().map(|s| Value::str(*s)).collect());
        assert!(apps.matches(&list(&["hadoop", "Spark", "Hive", "Tez"]), &list(&["Hadoop", "Spark", "Hive"])));
        assert!(!apps.matches(&list(&["Hadoop", "Spark"]), &list(&["Hadoop", "Spark", "Hive"])));
    }
}
