//! JSON documents clusterup writes (IAM policies, EMR configurations) in one canonical text form, so a
//! document read back from AWS compares with the wanted one as text.

/// Compact, keys sorted at every level. Sorted by hand: serde_json keeps insertion order when any crate
/// in the build enables `preserve_order`.
pub fn canonical(doc: &serde_json::Value) -> String {
    fn sorted(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                serde_json::Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&map[k]))).collect())
            }
            serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    // A Value displays as compact JSON, which cannot fail (its keys are strings).
    sorted(doc).to_string()
}
