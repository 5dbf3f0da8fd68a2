//! The tags that make AWS the source of truth: every resource carries its deployment and its address.

use std::collections::BTreeMap;

use super::{Address, Value};

pub const DEPLOYMENT: &str = "clusterup:deployment";
pub const RESOURCE: &str = "clusterup:resource";
/// On the file system: where nodes mount it, so `output` can say so without the topology.
pub const MOUNT_PATH: &str = "clusterup:mount-path";
/// On a canary rollout's group and target group: the launch template version the canary runs, so a later
/// run knows what the rollout in progress rolls out.
pub const LAUNCH_TEMPLATE_VERSION: &str = "clusterup:launch-template-version";
/// On the EMR cluster: how it scales (`managed`, `custom` or `none`). AWS answers "how does this cluster
/// scale" with two different APIs, and the emulator only has one of them.
pub const SPARK_SCALING: &str = "clusterup:scaling";
/// On a security group whose egress rules clusterup manages (`managed`): its egress resource is found
/// through it. EMR's groups, whose rules EMR manages, do not carry it.
pub const EGRESS: &str = "clusterup:egress";

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
        // AWS allows a tag with an empty value, which some APIs report as no value at all.
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

/// What to change to bring a resource's tags from `have` to `want`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagChange {
    /// Tags to add or overwrite.
    pub set: BTreeMap<String, String>,
    /// Keys to remove.
    pub remove: Vec<String>,
}

/// The tag change between two `tags` properties, or None when they already match.
pub fn change(have: Option<&Value>, want: Option<&Value>) -> Option<TagChange> {
    let had = from_value(have);
    let wanted = from_value(want);
    if had == wanted {
        return None;
    }
    Some(TagChange {
        set: wanted.iter().filter(|(k, v)| had.get(*k) != Some(v)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        remove: had.keys().filter(|k| !wanted.contains_key(*k)).cloned().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_sets_what_differs_and_removes_what_is_gone() {
        let have = to_value(&BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]));
        let want = to_value(&BTreeMap::from([("a".into(), "1".into()), ("c".into(), "3".into())]));
        let change = change(Some(&have), Some(&want)).expect("differs");
        assert_eq!(change.set, BTreeMap::from([("c".to_owned(), "3".to_owned())]));
        assert_eq!(change.remove, ["b"]);
        assert_eq!(super::change(Some(&have), Some(&have)), None);
    }
}
