//! docs/topology.md's tables of fields agree with the JSON Schema, which is made from the parser's own
//! structs: the same fields both ways, the same defaults, the same required fields. Each table follows a
//! `<!-- schema fields: PATH... -->` line naming the objects of the schema it documents (`.` is the
//! top level, `load_balancer.listeners[]` a listener).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::crate_dir;
use super::schema::closed_objects;
use crate::topology::{json_schema, parse_duration};

const MARKER: &str = "<!-- schema fields: ";

struct Table {
    paths: Vec<String>,
    line: usize,
    rows: Vec<Row>,
}

struct Row {
    field: String,
    /// The `type` column.
    kind: String,
    /// The `default` column, where the table has one.
    default: Option<String>,
}

fn cells(line: &str) -> Vec<String> {
    line.trim().trim_matches('|').split('|').map(|cell| cell.trim().to_owned()).collect()
}

fn tables(text: &str) -> Vec<Table> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(paths) = line.strip_prefix(MARKER).and_then(|rest| rest.strip_suffix(" -->")) else { continue };
        let paths = paths.split_whitespace().map(|p| if p == "." { String::new() } else { p.to_owned() }).collect();
        let header = cells(lines.get(i + 1).copied().unwrap_or_default());
        assert_eq!(header.first().map(String::as_str), Some("field"), "line {}: a table must follow {MARKER}", i + 2);
        let type_column =
            header.iter().position(|h| h == "type").unwrap_or_else(|| panic!("line {}: no type column", i + 2));
        let default_column = header.iter().position(|h| h == "default");
        let rows = lines[i + 3..]
            .iter()
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let row = cells(l);
                Row {
                    field: row[0].trim_matches('`').to_owned(),
                    kind: row[type_column].clone(),
                    default: default_column.map(|c| row[c].clone()),
                }
            })
            .collect();
        out.push(Table { paths, line: i + 2, rows });
    }
    out
}

/// The text of each `code span` in a cell, without the quotes a string default is shown with.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).map(|span| span.trim_matches('"')).collect()
}

/// Whether a cell's code span shows the schema's default: the same text, or the same duration written
/// another way (`60s` for `1m`).
fn shows(cell: &str, default: &Value) -> bool {
    let wanted = match default {
        Value::String(text) => text.clone(),
        Value::Number(_) | Value::Bool(_) => default.to_string(),
        // Lists and mappings are shown as YAML in the docs; the parser test covers their values.
        _ => return true,
    };
    code_spans(cell).iter().any(|span| {
        *span == wanted || matches!((parse_duration(span), parse_duration(&wanted)), (Ok(a), Ok(b)) if a == b)
    })
}

/// The word the docs' type column uses for a property, where the schema decides it.
fn kind_of(property: &Value) -> Option<&'static str> {
    if property.get("pattern").and_then(Value::as_str) == Some("^[0-9]+[smhd]$") {
        return Some("duration");
    }
    if property.get("enum").is_some() {
        return Some("choice");
    }
    match property.get("type").and_then(Value::as_str) {
        Some("boolean") => Some("boolean"),
        Some("integer" | "number") => Some("number"),
        _ => None,
    }
}

#[test]
fn docs_tables_list_the_schemas_fields_and_defaults() {
    let path = crate_dir().join("docs/topology.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema = json_schema();
    let objects: BTreeMap<String, &Value> = closed_objects(&schema).into_iter().collect();
    let mut documented: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut problems = Vec::new();

    let tables = tables(&text);
    assert!(tables.len() >= 12, "only {} tables of fields found in docs/topology.md", tables.len());
    for table in &tables {
        for object_path in &table.paths {
            let Some(object) = objects.get(object_path) else {
                problems.push(format!("line {}: the schema has no object `{object_path}`", table.line));
                continue;
            };
            let required: Vec<&Value> = object["required"].as_array().into_iter().flatten().collect();
            for row in &table.rows {
                documented.entry(object_path).or_default().insert(&row.field);
                let Some(property) = object["properties"].get(&row.field) else { continue };
                if let Some(kind) = kind_of(property).filter(|kind| *kind != row.kind) {
                    problems.push(format!(
                        "line {}: `{object_path}.{}` is a {kind} in the schema, the docs say {}",
                        table.line, row.field, row.kind
                    ));
                }
                let Some(cell) = &row.default else { continue };
                if let Some(default) = property.get("default").filter(|d| !shows(cell, d)) {
                    problems.push(format!(
                        "line {}: `{object_path}.{}` defaults to {default} in the schema, the docs say {cell}",
                        table.line, row.field
                    ));
                }
                if required.contains(&&Value::String(row.field.clone())) && !cell.contains("**required**") {
                    problems.push(format!("line {}: `{object_path}.{}` is required", table.line, row.field));
                }
            }
        }
    }
    for (object_path, object) in &objects {
        let in_schema: BTreeSet<&str> =
            object["properties"].as_object().into_iter().flatten().map(|(k, _)| k.as_str()).collect();
        let in_docs = documented.remove(object_path.as_str()).unwrap_or_default();
        for field in in_schema.difference(&in_docs) {
            problems.push(format!("`{object_path}.{field}` is in the schema but in no table of docs/topology.md"));
        }
        for field in in_docs.difference(&in_schema) {
            problems.push(format!("`{object_path}.{field}` is in docs/topology.md but not in the schema"));
        }
    }
    assert!(problems.is_empty(), "docs/topology.md and the schema disagree:\n{}", problems.join("\n"));
}

#[test]
fn tables_and_defaults_are_read_from_the_markdown() {
    let text = "<!-- schema fields: load_balancer.listeners[] -->\n| field | type | default | rules |\n|---|---|---|---|\n| `port` | number | `80` | |\n";
    let tables = tables(text);
    assert_eq!(tables.len(), 1);
    let fields: Vec<&str> = tables[0].rows.iter().map(|r| r.field.as_str()).collect();
    assert_eq!(
        (tables[0].paths.as_slice(), fields.as_slice()),
        (&["load_balancer.listeners[]".to_owned()][..], &["port"][..])
    );
    assert!(shows("`60s`", &Value::String("1m".into())));
    assert!(shows("`\"8.4\"`", &Value::String("8.4".into())));
    assert!(!shows("`2`", &Value::from(3)));
    assert_eq!(tables[0].rows[0].kind, "number");
    assert_eq!(kind_of(&serde_json::json!({ "type": "string", "enum": ["a"] })), Some("choice"));
}
