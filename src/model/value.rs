use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Address;

/// A property value, comparable between what is wanted and what exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    /// Compared as a multiset: no property clusterup manages depends on order.
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// The id of another resource of the deployment, known once that resource exists.
    Ref(Address),
    /// A named attribute of another resource (a database endpoint, a secret ARN), known once it exists.
    Attr(Address, String),
    /// Text made of literal parts and references (user data naming a database endpoint): it becomes a
    /// plain string once every reference is known.
    Template(Vec<Value>),
    /// Not known until apply (the id of a resource still to be created).
    Unknown,
}

/// Named properties of one resource.
pub type Props = BTreeMap<String, Value>;

impl Value {
    /// `text` with every marker replaced by its reference: a template filled in at apply time (or the
    /// text itself when no marker occurs). For documents built as text whose ids do not exist yet.
    pub fn with_references(text: String, marks: &[(&str, Value)]) -> Value {
        let mut parts = vec![Value::Str(text)];
        for (mark, reference) in marks {
            parts = parts
                .into_iter()
                .flat_map(|part| match part {
                    Value::Str(s) if s.contains(mark) => {
                        let mut pieces = Vec::new();
                        for (i, piece) in s.split(mark).enumerate() {
                            if i > 0 {
                                pieces.push(reference.clone());
                            }
                            pieces.push(Value::str(piece));
                        }
                        pieces
                    }
                    other => vec![other],
                })
                .collect();
        }
        match parts.len() {
            1 => parts.remove(0),
            _ => Value::Template(parts),
        }
    }

    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }

    /// Strings of a list (ignoring anything else).
    pub fn strings(&self) -> Vec<String> {
        self.as_list().iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
    }

    /// Whether the value (or anything inside it) is not known yet.
    pub fn has_unknown(&self) -> bool {
        match self {
            Value::Unknown | Value::Ref(_) | Value::Attr(..) | Value::Template(_) => true,
            Value::List(items) => items.iter().any(Value::has_unknown),
            Value::Map(map) => map.values().any(Value::has_unknown),
            _ => false,
        }
    }

    /// Every resource this value refers to.
    pub fn refs<'a>(&'a self, out: &mut Vec<&'a Address>) {
        match self {
            Value::Ref(address) | Value::Attr(address, _) => out.push(address),
            Value::List(items) | Value::Template(items) => items.iter().for_each(|v| v.refs(out)),
            Value::Map(map) => map.values().for_each(|v| v.refs(out)),
            _ => {}
        }
    }

    /// Replace every reference by what `resolve` says for (address, attribute): `None` asks for the id.
    /// A template whose parts all became strings becomes one string.
    pub fn resolve(&self, resolve: &impl Fn(&Address, Option<&str>) -> Value) -> Value {
        match self {
            Value::Ref(address) => resolve(address, None),
            Value::Attr(address, attr) => resolve(address, Some(attr)),
            Value::Template(parts) => {
                let parts: Vec<Value> = parts.iter().map(|v| v.resolve(resolve)).collect();
                if parts.iter().all(|p| matches!(p, Value::Str(_))) {
                    Value::Str(parts.iter().filter_map(Value::as_str).collect())
                } else {
                    Value::Template(parts)
                }
            }
            Value::List(items) => Value::List(items.iter().map(|v| v.resolve(resolve)).collect()),
            Value::Map(map) => Value::Map(map.iter().map(|(k, v)| (k.clone(), v.resolve(resolve))).collect()),
            other => other.clone(),
        }
    }

    /// Whether `self` mentions the string `id` anywhere (used to find who refers to a resource).
    pub fn mentions(&self, id: &str) -> bool {
        match self {
            Value::Str(s) => s == id,
            Value::List(items) => items.iter().any(|v| v.mentions(id)),
            Value::Map(map) => map.values().any(|v| v.mentions(id)),
            _ => false,
        }
    }

    /// Equality as the diff sees it: lists as multisets, unknowns never equal.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (a, b) if a.has_unknown() || b.has_unknown() => false,
            (Value::List(a), Value::List(b)) => {
                if a.len() != b.len() {
                    return false;
                }
                let mut left: Vec<String> = a.iter().map(Value::canonical).collect();
                let mut right: Vec<String> = b.iter().map(Value::canonical).collect();
                left.sort();
                right.sort();
                left == right
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.same_as(w)))
            }
            (a, b) => a == b,
        }
    }

    /// A stable text form, lists sorted, for multiset comparison.
    fn canonical(&self) -> String {
        match self {
            Value::List(items) => {
                let mut parts: Vec<String> = items.iter().map(Value::canonical).collect();
                parts.sort();
                format!("[{}]", parts.join(","))
            }
            Value::Map(map) => {
                let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={}", v.canonical())).collect();
                format!("{{{}}}", parts.join(","))
            }
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Value::Ref(address) => write!(f, "(id of {address}, known after apply)"),
            Value::Attr(address, attr) => write!(f, "({attr} of {address}, known after apply)"),
            Value::Template(parts) => {
                let mut refs = Vec::new();
                parts.iter().for_each(|p| p.refs(&mut refs));
                refs.sort();
                refs.dedup();
                let names: Vec<String> = refs.iter().map(|a| a.to_string()).collect();
                write!(f, "(text rendered after apply, with values from {})", names.join(", "))
            }
            Value::Unknown => f.write_str("(known after apply)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_compare_as_multisets() {
        let a = Value::List(vec![Value::str("x"), Value::str("y")]);
        let b = Value::List(vec![Value::str("y"), Value::str("x")]);
        assert!(a.same_as(&b));
        assert!(!a.same_as(&Value::List(vec![Value::str("x")])));
    }

    #[test]
    fn unknowns_never_match() {
        assert!(!Value::Unknown.same_as(&Value::Unknown));
        assert!(!Value::Ref(Address::new("network/vpc")).same_as(&Value::str("vpc-1")));
    }

    #[test]
    fn resolve_replaces_refs_deeply() {
        let v = Value::List(vec![Value::Ref(Address::new("a")), Value::str("b")]);
        let r = v.resolve(&|_, _| Value::str("id-a"));
        assert_eq!(r, Value::List(vec![Value::str("id-a"), Value::str("b")]));
    }

    #[test]
    fn templates_become_strings_once_every_part_is_known() {
        let db = Address::new("database/instance");
        let t =
            Value::Template(vec![Value::str("host="), Value::Attr(db.clone(), "endpoint".into()), Value::str("\n")]);
        assert!(t.has_unknown());
        let partly = t.resolve(&|_, _| Value::Unknown);
        assert!(matches!(partly, Value::Template(_)));
        let known = t.resolve(&|a, attr| {
            assert_eq!((a, attr), (&db, Some("endpoint")));
            Value::str("db.example")
        });
        assert_eq!(known, Value::str("host=db.example\n"));
    }
}
