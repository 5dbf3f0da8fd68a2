use std::collections::BTreeMap;

use super::{Address, Kind, Prop, Props, Value};

/// A property missing, or of another type, where clusterup reads it: the composition sets every property
/// a kind reads, so this is a bug in clusterup, reported with the resource and the property instead of
/// being turned into an empty string or a zero that AWS would then be sent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{address}: property `{prop}` is {found}, expected {expected}")]
pub struct PropError {
    pub address: Address,
    pub prop: &'static str,
    pub expected: &'static str,
    pub found: String,
}

/// A resource the topology asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub address: Address,
    pub kind: Kind,
    pub props: Props,
    /// Resources that must exist first although no property names them (AWS's hidden links, e.g. a NAT
    /// gateway needs the VPC's internet gateway attached).
    pub after: Vec<Address>,
    /// Inputs used when creating (and updating) the resource but never compared with AWS, because
    /// something else owns them afterwards (e.g. the autoscaler owns an ASG's desired capacity).
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

    pub fn prop(mut self, prop: &Prop, value: Value) -> Self {
        self.props.insert(prop.name.to_owned(), value);
        self
    }

    pub fn create_only(mut self, prop: &Prop, value: Value) -> Self {
        self.create_only.insert(prop.name.to_owned(), value);
        self
    }

    pub fn after(mut self, address: &Address) -> Self {
        self.after.push(address.clone());
        self
    }

    /// A property or create-only input, if the topology sets it.
    pub fn value(&self, prop: &Prop) -> Option<&Value> {
        self.props.get(prop.name).or_else(|| self.create_only.get(prop.name))
    }

    fn wrong(&self, prop: &Prop, expected: &'static str) -> PropError {
        let found = match self.value(prop) {
            None => "missing".to_owned(),
            Some(value) => format!("{value}"),
        };
        PropError { address: self.address.clone(), prop: prop.name, expected, found }
    }

    /// A text property (its references already resolved).
    pub fn text(&self, prop: &Prop) -> Result<&str, PropError> {
        self.value(prop).and_then(Value::as_str).ok_or_else(|| self.wrong(prop, "text"))
    }

    pub fn int(&self, prop: &Prop) -> Result<i64, PropError> {
        self.value(prop).and_then(Value::as_int).ok_or_else(|| self.wrong(prop, "a number"))
    }

    /// A number that must fit the 32 bits AWS's APIs take.
    pub fn int32(&self, prop: &Prop) -> Result<i32, PropError> {
        i32::try_from(self.int(prop)?).map_err(|_| self.wrong(prop, "a 32-bit number"))
    }

    pub fn bool(&self, prop: &Prop) -> Result<bool, PropError> {
        self.value(prop).and_then(Value::as_bool).ok_or_else(|| self.wrong(prop, "true or false"))
    }

    /// A list of text (ids, names).
    pub fn strings(&self, prop: &Prop) -> Result<Vec<String>, PropError> {
        match self.value(prop) {
            Some(Value::List(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| self.wrong(prop, "a list of text")))
                .collect(),
            _ => Err(self.wrong(prop, "a list of text")),
        }
    }

    pub fn list(&self, prop: &Prop) -> Result<&[Value], PropError> {
        match self.value(prop) {
            Some(Value::List(items)) => Ok(items),
            _ => Err(self.wrong(prop, "a list")),
        }
    }

    pub fn map(&self, prop: &Prop) -> Result<&BTreeMap<String, Value>, PropError> {
        match self.value(prop) {
            Some(Value::Map(map)) => Ok(map),
            _ => Err(self.wrong(prop, "a map")),
        }
    }

    /// Whether `prop` must change on `have` to match this: the update code calls AWS only for what
    /// differs (the same comparison the plan makes). A property this resource does not set never differs.
    pub fn differs_from(&self, have: &Actual, prop: &Prop) -> bool {
        match self.props.get(prop.name) {
            None => false,
            Some(want) => !have.props.get(prop.name).is_some_and(|had| prop.matches(had, want)),
        }
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

/// A resource that exists in AWS and carries the deployment's tags (or is a tagged resource's child).
#[derive(Debug, Clone, PartialEq)]
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

    /// What `want` describes, now made, with the id AWS gave it.
    pub fn made(want: &Desired, id: impl Into<String>) -> Self {
        Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), want.kind, id) }
    }

    pub fn prop(mut self, prop: &Prop, value: Value) -> Self {
        self.props.insert(prop.name.to_owned(), value);
        self
    }

    /// A property AWS reports only when it is set (a launch template version's image): left out when it
    /// is not, so a diff shows it as missing rather than as an empty value.
    pub fn prop_if_set(self, prop: &Prop, value: Option<Value>) -> Self {
        match value {
            Some(value) => self.prop(prop, value),
            None => self,
        }
    }

    /// This resource after an update brought it in line with `want`: same id and attributes, `want`'s
    /// properties.
    pub fn updated_to(&self, want: &Desired) -> Actual {
        Actual { props: want.props.clone(), ..self.clone() }
    }

    pub fn attr(mut self, key: &str, value: impl Into<String>) -> Self {
        self.attrs.insert(key.to_owned(), value.into());
        self
    }

    /// A text property as AWS reported it, if it did.
    pub fn text(&self, prop: &Prop) -> Option<&str> {
        self.props.get(prop.name).and_then(Value::as_str)
    }

    /// A list of text as AWS reported it (empty when it did not).
    pub fn strings(&self, prop: &Prop) -> Vec<String> {
        self.props.get(prop.name).map(Value::strings).unwrap_or_default()
    }

    /// What a reference to this resource resolves to: its id, or the named attribute (if AWS reported it).
    pub fn reference(&self, attr: Option<&str>) -> Option<Value> {
        match attr {
            None => Some(Value::str(&self.id)),
            Some(attr) => self.attrs.get(attr).map(Value::str),
        }
    }

    /// Whether a property that orders deletions (`orders(name)`) holds `id`: this resource must then go
    /// before the one with that id.
    pub fn refers_to(&self, id: &str, orders: impl Fn(&str) -> bool) -> bool {
        self.props.iter().filter(|(name, _)| orders(name)).any(|(_, value)| value.mentions(id))
    }
}
