//! `plan --json`: the plan as a document for scripts and CI, with plain JSON values (`"t3.large"`, `2`,
//! `["a", "b"]`, `{"team": "web"}`), so `jq '.changes[].changes[] | select(.key == "min")'` works. A
//! value known only after apply is an object naming where it will come from:
//! `{"known_after_apply": "id of app/launch-template"}`.

use serde_json::{json, Map, Value as Json};

use crate::model::{EntryChange, Value};
use crate::plan::{Action, Change, Plan, PropChange};

/// The version of this layout: raised when a field changes meaning or goes away (new fields may appear
/// without it).
pub const FORMAT_VERSION: u32 = 1;

/// The plan's changes (not the resources left as they are, unless a note is about them).
pub fn plan_json(plan: &Plan) -> Json {
    let changes: Vec<Json> =
        plan.changes.iter().filter(|c| c.action != Action::NoOp || !c.notes.is_empty()).map(change_json).collect();
    json!({
        "format_version": FORMAT_VERSION,
        "deployment": plan.deployment,
        "region": plan.region,
        "summary": plan.summary(),
        "changes": changes,
    })
}

fn change_json(change: &Change) -> Json {
    let mut out = Map::new();
    out.insert("address".into(), json!(change.address.as_str()));
    out.insert("kind".into(), json!(change.kind));
    out.insert("action".into(), json!(change.action));
    if let Some(id) = change.id() {
        out.insert("id".into(), json!(id));
    }
    if !change.notes.is_empty() {
        out.insert("notes".into(), json!(change.notes));
    }
    out.insert("changes".into(), Json::Array(change.changes.iter().map(prop_json).collect()));
    Json::Object(out)
}

fn prop_json(prop: &PropChange) -> Json {
    let mut out = Map::new();
    out.insert("key".into(), json!(prop.key));
    out.insert("before".into(), prop.before.as_ref().map_or(Json::Null, value_json));
    out.insert("after".into(), prop.after.as_ref().map_or(Json::Null, value_json));
    out.insert("forces_replacement".into(), json!(prop.forces_replacement));
    if !prop.entries.is_empty() {
        out.insert("entries".into(), Json::Array(prop.entries.iter().map(entry_json).collect()));
    }
    Json::Object(out)
}

fn entry_json(entry: &EntryChange) -> Json {
    json!({
        "key": entry.key,
        "before": entry.before.as_ref().map_or(Json::Null, value_json),
        "after": entry.after.as_ref().map_or(Json::Null, value_json),
    })
}

/// A value as plain JSON; what is not known until apply says what it waits for.
pub fn value_json(value: &Value) -> Json {
    match value {
        Value::Str(s) => json!(s),
        Value::Int(i) => json!(i),
        Value::Bool(b) => json!(b),
        Value::List(items) => Json::Array(items.iter().map(value_json).collect()),
        Value::Map(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), value_json(v))).collect()),
        Value::Ref(address) => json!({ "known_after_apply": format!("id of {address}") }),
        Value::Attr(address, attr) => json!({ "known_after_apply": format!("{attr} of {address}") }),
        Value::Template(_) | Value::Unknown => json!({ "known_after_apply": value.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;
    use std::collections::BTreeMap;

    #[test]
    fn values_are_plain_json_and_unknowns_say_what_they_wait_for() {
        let map = Value::Map(BTreeMap::from([("team".to_owned(), Value::str("web"))]));
        assert_eq!(value_json(&map), json!({ "team": "web" }));
        assert_eq!(value_json(&Value::List(vec![Value::Int(2), Value::Bool(true)])), json!([2, true]));
        assert_eq!(
            value_json(&Value::Ref(Address::new("network/vpc"))),
            json!({ "known_after_apply": "id of network/vpc" })
        );
    }
}
