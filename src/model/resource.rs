use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{prop_matches, Address, Kind, Props, Value};

/// A resource the topology asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Desired {
    pub address: Address,
    pub kind: Kind,
    pub props: Props,
    /// Resources that must exist first although no property names them (AWS's hidden links, e.g. a NAT
    /// gateway needs the VPC's internet gateway attached).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<Address>,
    /// Inputs used when creating (and updating) the resource but never compared with AWS, because
    /// something else owns them afterwards (e.g. the autoscaler owns an ASG's desired capacity).
    #[serde(default, skip_serializing_if = "Props::is_empty")]
    pub create_only: Props,
}

impl Desired {
    pub fn new(address: impl Into<String>, kind: Kind) -> Self {
        Desired {
            address: Address::new(address),
            kind,
            props: Props::new(),
            after: Vec::new(),
            create_only: Props::new(),
        }
    }

    pub fn create_only(mut self, key: &str, value: Value) -> Self {
        self.create_only.insert(key.to_owned(), value);
        self
    }

    pub fn after(mut self, address: &Address) -> Self {
        self.after.push(address.clone());
        self
    }

    /// A property as a string (for create calls, after references are resolved).
    pub fn text(&self, key: &str) -> &str {
        self.value(key).and_then(Value::as_str).unwrap_or_default()
    }

    pub fn int(&self, key: &str) -> i64 {
        self.value(key).and_then(Value::as_int).unwrap_or_default()
    }

    /// Whether `key` must change on `have` to match this: the update functions call AWS only for what
    /// differs (the same comparison the plan makes). A key this resource does not manage never differs.
    pub fn differs_from(&self, have: &Actual, key: &str) -> bool {
        match self.props.get(key) {
            None => false,
            Some(want) => !have.props.get(key).is_some_and(|had| prop_matches(key, had, want)),
        }
    }

    /// A property or create-only input.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.props.get(key).or_else(|| self.create_only.get(key))
    }

    pub fn prop(mut self, key: &str, value: Value) -> Self {
        self.props.insert(key.to_owned(), value);
        self
    }

    /// The resources this one needs first: every resource its properties refer to.
    pub fn depends_on(&self) -> Vec<Address> {
        let mut refs = Vec::new();
        for value in self.props.values().chain(self.create_only.values()) {
            value.refs(&mut refs);
        }
        let mut deps: Vec<Address> = refs.into_iter().cloned().chain(self.after.iter().cloned()).collect();
        deps.sort();
        deps.dedup();
        deps
    }
}

/// Properties that do not make a resource go before another: its own names, description and tags (even
/// when they spell another resource's id), and security-group rules, which deleting a group revokes from
/// every other group first (EMR's groups name each other, so rules would order them in a cycle).
const NOT_REFERENCES: &[&str] = &["name", "group_name", "description", "tags", "ingress"];

/// A resource that exists in AWS and carries the deployment's tags (or is a tagged resource's child).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actual {
    pub address: Address,
    pub kind: Kind,
    /// The id other resources refer to: `vpc-...`, an ARN for load balancing, a name for Auto Scaling.
    pub id: String,
    /// The same properties as [`Desired::props`], read back from AWS, with concrete ids.
    pub props: Props,
    /// Read-only facts for outputs and waits (DNS name, state, ...).
    pub attrs: BTreeMap<String, String>,
}

impl Actual {
    pub fn new(address: Address, kind: Kind, id: impl Into<String>) -> Self {
        Actual { address, kind, id: id.into(), props: Props::new(), attrs: BTreeMap::new() }
    }

    pub fn prop(mut self, key: &str, value: Value) -> Self {
        self.props.insert(key.to_owned(), value);
        self
    }

    pub fn attr(mut self, key: &str, value: impl Into<String>) -> Self {
        self.attrs.insert(key.to_owned(), value.into());
        self
    }

    /// What a reference to this resource resolves to: its id, or the named attribute (if AWS reported it).
    pub fn reference(&self, attr: Option<&str>) -> Option<Value> {
        match attr {
            None => Some(Value::str(&self.id)),
            Some(attr) => self.attrs.get(attr).map(Value::str),
        }
    }

    /// Whether any property of this resource holds `id` (so this resource must go before that one).
    /// A resource's own names and tags are not references, even when they spell another resource's id
    /// (an Auto Scaling group's id is its name, which its launch template shares).
    pub fn refers_to(&self, id: &str) -> bool {
        self.props.iter().filter(|(key, _)| !NOT_REFERENCES.contains(&key.as_str())).any(|(_, v)| v.mentions(id))
    }
}
