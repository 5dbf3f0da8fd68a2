//! The JSON Schema agrees with the parser, and every example parses.

use std::cell::Cell;
use std::collections::BTreeSet;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::Value;

use super::*;
use crate::topology::raw::*;
use crate::topology::{json_schema, load};

/// A deserializer that only records the field names a derived struct asks for.
struct FieldNames<'a>(&'a Cell<&'static [&'static str]>);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.set(fields);
        Err(de::Error::custom("recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

fn serde_fields<'de, T: Deserialize<'de>>() -> BTreeSet<String> {
    let cell = Cell::new(&[][..]);
    let _ = T::deserialize(FieldNames(&cell));
    cell.get().iter().map(|f| (*f).to_owned()).collect()
}

fn schema_fields(schema: &Value, pointer: &str) -> BTreeSet<String> {
    let node = schema.pointer(pointer).unwrap_or_else(|| panic!("no {pointer} in the schema"));
    assert_eq!(node["additionalProperties"], Value::Bool(false), "{pointer} must be closed");
    node["properties"].as_object().unwrap_or_else(|| panic!("{pointer} has no properties")).keys().cloned().collect()
}

#[test]
fn schema_property_names_match_the_serde_structs() {
    let schema = json_schema();
    let p = "/properties";
    let cases: Vec<(String, BTreeSet<String>)> = vec![
        (String::new(), serde_fields::<RawTopology>()),
        (format!("{p}/network"), serde_fields::<RawNetwork>()),
        (format!("{p}/load_balancer"), serde_fields::<RawLoadBalancer>()),
        (format!("{p}/load_balancer{p}/listeners/items"), serde_fields::<RawListener>()),
        (format!("{p}/load_balancer{p}/stickiness"), serde_fields::<RawStickiness>()),
        (format!("{p}/load_balancer{p}/health_check"), serde_fields::<RawHealthCheck>()),
        (format!("{p}/app"), serde_fields::<RawApp>()),
        (format!("{p}/app{p}/capacity"), serde_fields::<RawCapacity>()),
        (format!("{p}/app{p}/scaling"), serde_fields::<RawScaling>()),
        (format!("{p}/database"), serde_fields::<RawDatabase>()),
        (format!("{p}/shared_storage"), serde_fields::<RawSharedStorage>()),
        (format!("{p}/spark"), serde_fields::<RawSpark>()),
        (format!("{p}/spark{p}/master"), serde_fields::<RawInstanceGroup>()),
        (format!("{p}/spark{p}/core"), serde_fields::<RawInstanceGroup>()),
        (format!("{p}/spark{p}/task"), serde_fields::<RawInstanceGroup>()),
        (format!("{p}/spark{p}/scaling"), serde_fields::<RawSparkScaling>()),
    ];
    for (pointer, fields) in cases {
        assert!(!fields.is_empty(), "no serde fields recorded for {pointer}");
        assert_eq!(schema_fields(&schema, &pointer), fields, "schema vs serde at {pointer:?}");
    }
}

#[test]
fn schema_is_draft_2020_12_and_requires_what_the_parser_requires() {
    let schema = json_schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["required"], serde_json::json!(["name", "region", "app"]));
    assert_eq!(schema["properties"]["app"]["required"], serde_json::json!(["instance_type"]));
    assert_eq!(
        schema["properties"]["network"]["properties"]["nat"]["enum"],
        serde_json::json!(["single", "per_az", "none"])
    );
}

/// A small structural check of a YAML value against the schema: closed objects, enums, items.
/// (Not a full validator; enough to catch a key or a choice the schema does not know.)
fn conforms(value: &serde_yaml::Value, schema: &Value, at: &str) -> Result<(), String> {
    use serde_yaml::Value as Y;
    if let (Some(choices), Y::String(s)) = (schema.get("enum").and_then(Value::as_array), value) {
        if !choices.iter().any(|c| c == s) {
            return Err(format!("{at}: `{s}` not in the schema's enum"));
        }
    }
    match value {
        Y::Mapping(map) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, child) in map {
                    let key = key.as_str().ok_or_else(|| format!("{at}: non-string key"))?;
                    match properties.get(key) {
                        Some(child_schema) => conforms(child, child_schema, &format!("{at}.{key}"))?,
                        None => return Err(format!("{at}: `{key}` is not in the schema")),
                    }
                }
            }
        }
        Y::Sequence(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    conforms(item, item_schema, &format!("{at}[{i}]"))?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn examples() -> Vec<std::path::PathBuf> {
    let dir = crate_dir().join("examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_parses_and_fits_the_schema() {
    let files = examples();
    assert!(!files.is_empty(), "no examples found");
    let schema = json_schema();
    for file in files {
        if let Err(err) = load(&file) {
            panic!("{err}");
        }
        let text = std::fs::read_to_string(&file).expect("read example");
        let value: serde_yaml::Value = serde_yaml::from_str(&text).expect("example is YAML");
        if let Err(problem) = conforms(&value, &schema, "") {
            panic!("{}: {problem}", file.display());
        }
    }
}

#[test]
fn the_full_form_fits_the_schema_too() {
    let value: serde_yaml::Value = serde_yaml::from_str(super::basics::FULL).expect("YAML");
    conforms(&value, &json_schema(), "").expect("conforms");
}

#[test]
fn web_tier_example_is_what_the_docs_describe() {
    use crate::topology::*;
    use std::time::Duration;
    let checked = load(&crate_dir().join("examples/web-tier.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let t = checked.topology;
    assert_eq!((t.name.as_str(), t.region.as_str()), ("web-tier", "us-east-1"));
    assert_eq!(
        t.network,
        Network::Managed(ManagedNetwork {
            cidr: Cidr { addr: std::net::Ipv4Addr::new(10, 30, 0, 0), prefix: 16 },
            zones: Zones::Count(2),
            nat: NatMode::Single,
        })
    );
    assert_eq!(t.load_balancer.listeners, vec![Listener { port: 80, certificate_arn: None }]);
    assert_eq!(t.load_balancer.algorithm, Algorithm::LeastOutstandingRequests);
    assert_eq!(t.load_balancer.stickiness, Some(Stickiness::LbCookie { duration: Duration::from_secs(3600) }));
    assert_eq!(t.load_balancer.health_check.path, "/health");
    assert_eq!(t.app.instance_type, "t3.small");
    assert_eq!(t.app.port, 8080);
    assert_eq!(t.app.capacity, Capacity { min: 2, desired: 2, max: 4 });
    assert_eq!(t.app.scaling, Some(Scaling::CpuTarget(60.0)));
    assert_eq!(t.app.user_data_origin, "built-in");
    assert_eq!((t.database, t.shared_storage, t.spark), (None, None, None));
    // The only warning is the one the example's comments explain.
    let fields: Vec<&str> = checked.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["network.nat"]);
}
