//! JSON Schema (draft 2020-12) of the topology file, for editor completion (`clusterup schema`).
//!
//! Derived by schemars from the structs serde reads the file into (`sections/`) and their value types
//! (`types.rs`): property names, required fields, descriptions (the fields' doc comments), defaults,
//! choices, patterns and ranges all come from the code the parser runs, so the two cannot drift apart.
//! The parser stays the authority: rules that span several fields (min <= max, zones in the region)
//! are only in the descriptions.

use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

use super::sections::RawTopology;
use super::types::RULE_KEYWORD;

pub const TITLE: &str = "clusterup topology";

pub fn json_schema() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    // One self-contained tree, as editors and the docs test read it: no `$ref`s into `$defs`.
    settings.inline_subschemas = true;
    let mut schema = settings.into_generator().into_root_schema_for::<RawTopology>().to_value();
    tidy(&mut schema);
    if let Value::Object(root) = &mut schema {
        root.insert("title".into(), json!(TITLE));
    }
    schema
}

/// What schemars writes, made into what editors should see; applied to every subschema.
fn tidy(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    unwrap_optional(map);
    only_sections_take_null(map);
    if map.get("default") == Some(&Value::Null) {
        map.remove("default");
    }
    join_description_lines(map);
    append_rule(map);
    for key in ["items", "additionalProperties", "propertyNames", "not"] {
        if let Some(child) = map.get_mut(key) {
            tidy(child);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(children)) = map.get_mut(key) {
            children.iter_mut().for_each(tidy);
        }
    }
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(tidy);
    }
}

/// schemars writes an optional value without a `type` of its own (`availability_zones`, a `oneOf`) as
/// `anyOf: [value, null]`; the value's schema, with the field's description and default, says it
/// plainly.
fn unwrap_optional(map: &mut Map<String, Value>) {
    let Some(Value::Array(any_of)) = map.get("anyOf") else { return };
    let null = json!({ "type": "null" });
    let value = match any_of.as_slice() {
        [value, other] | [other, value] if *other == null && *value != null => value,
        _ => return,
    };
    let Value::Object(value) = value.clone() else { return };
    map.remove("anyOf");
    for (key, inner) in value {
        map.entry(key).or_insert(inner);
    }
}

/// The parser reads a section written with no value (`database:`) as the section with its defaults,
/// which the schema says with `type: [object, null]`. A field written with no value takes its default
/// too, but the schema leaves null out there, so that editors ask for a value.
fn only_sections_take_null(map: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = map.get_mut("type") else { return };
    if types.contains(&json!("object")) {
        return;
    }
    types.retain(|t| t != "null");
    if let [only] = types.as_slice() {
        let only = only.clone();
        map.insert("type".into(), only);
    }
    if let Some(Value::Array(choices)) = map.get_mut("enum") {
        choices.retain(|c| !c.is_null());
    }
}

/// Doc comments wrap at the code's line width; a description is one paragraph.
fn join_description_lines(map: &mut Map<String, Value>) {
    if let Some(Value::String(text)) = map.get_mut("description") {
        *text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
}

/// A value type's own rule (a duration's range), which the field's description replaced.
fn append_rule(map: &mut Map<String, Value>) {
    let Some(Value::String(rule)) = map.remove(RULE_KEYWORD) else { return };
    match map.get_mut("description") {
        Some(Value::String(text)) if !text.contains(&rule) => *text = format!("{text} {rule}"),
        Some(_) => {}
        None => {
            map.insert("description".into(), rule.into());
        }
    }
}
