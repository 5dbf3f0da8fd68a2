//! The tags that make AWS the source of truth: every resource carries its deployment and its address.

use std::collections::BTreeMap;

use super::{Address, Value};

pub const DEPLOYMENT: &str = "clusterup:deployment";
pub const RESOURCE: &str = "clusterup:resource";

/// The full tag set of one resource: the user's tags, a `Name`, and clusterup's two tags (which win).
pub fn for_resource(
    user: &BTreeMap<String, String>,
    deployment: &str,
    address: &Address,
    name: &str,
) -> BTreeMap<String, String> {
    let mut tags = user.clone();
    tags.insert("Name".to_owned(), name.to_owned());
    tags.insert(DEPLOYMENT.to_owned(), deployment.to_owned());
    tags.insert(RESOURCE.to_owned(), address.to_string());
    tags
}

/// Tags as a comparable property value.
pub fn to_value(tags: &BTreeMap<String, String>) -> Value {
    Value::Map(tags.iter().map(|(k, v)| (k.clone(), Value::str(v))).collect())
}

/// Tags read back from AWS, without the ones AWS adds itself (`aws:*`), which clusterup never manages.
pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_owned(), v.unwrap_or_default().to_owned())))
        .filter(|(k, _)| !k.starts_with("aws:"))
        .collect()
}

/// The tag map stored in a property, back as strings.
pub fn from_value(value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        Some(Value::Map(map)) => {
            map.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned()))).collect()
        }
        _ => BTreeMap::new(),
    }
}
