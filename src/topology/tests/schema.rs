//! The JSON Schema agrees with the parser, and every example parses.

use std::cell::Cell;
use std::collections::BTreeSet;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::Value;

use super::*;
use crate::topology::sections::app::*;
use crate::topology::sections::database::RawDatabase;
use crate::topology::sections::load_balancer::*;
use crate::topology::sections::network::RawNetwork;
use crate::topology::sections::shared_storage::RawSharedStorage;
use crate::topology::sections::spark::*;
use crate::topology::sections::RawTopology;
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
    assert_eq!(schema["required"], serde_json::json!(["name", "region"]));
    assert_eq!(schema["oneOf"], serde_json::json!([{ "required": ["app"] }, { "required": ["node_groups"] }]));
    assert_eq!(schema["properties"]["app"]["required"], serde_json::json!(["instance_type"]));
    assert_eq!(
        schema["properties"]["network"]["properties"]["nat"]["enum"],
        serde_json::json!(["single", "per_az", "none"])
    );
    assert_eq!(schema["title"], "clusterup topology");
    assert_eq!(schema["description"], "A clusterup topology: one highly available application cluster on AWS.");
    assert_eq!(schema["properties"]["spark"]["properties"]["scaling"]["required"], serde_json::json!(["min", "max"]));
    assert_eq!(
        schema["properties"]["load_balancer"]["properties"]["listeners"]["items"]["required"],
        serde_json::json!(["port"])
    );
}

/// Every object with properties in the schema, by its dotted path (`load_balancer.listeners[]`).
pub fn closed_objects(schema: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(path: String, node: &'a Value, out: &mut Vec<(String, &'a Value)>) {
        if let Some(items) = node.get("items") {
            walk(format!("{path}[]"), items, out);
        }
        // A map of named objects (`node_groups.*`), and each choice of a value that may be several
        // things (a route is a word or a mapping).
        if let Some(values) = node.get("additionalProperties").filter(|v| v.is_object()) {
            walk(format!("{path}.*"), values, out);
        }
        for choice in node.get("anyOf").and_then(Value::as_array).into_iter().flatten() {
            if choice.get("properties").is_some() {
                walk(path.clone(), choice, out);
            }
        }
        let Some(properties) = node.get("properties").and_then(Value::as_object) else { return };
        for (name, child) in properties {
            let child_path = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            walk(child_path, child, out);
        }
        out.push((path, node));
    }
    let mut out = Vec::new();
    walk(String::new(), schema, &mut out);
    out
}

#[test]
fn every_property_has_a_description() {
    let schema = json_schema();
    let mut missing = Vec::new();
    for (path, object) in closed_objects(&schema) {
        assert_eq!(object["additionalProperties"], Value::Bool(false), "{path:?} must be closed");
        for (name, property) in object["properties"].as_object().into_iter().flatten() {
            let described = property.get("description").and_then(Value::as_str).is_some_and(|d| d.len() > 8);
            if !described {
                missing.push(format!("{path}.{name}"));
            }
        }
    }
    assert!(missing.is_empty(), "properties without a description (a doc comment on the field): {missing:?}");
}

#[test]
fn optional_sections_take_null_and_fields_with_a_default_are_not_required() {
    let schema = json_schema();
    for section in ["network", "load_balancer", "database", "shared_storage", "spark"] {
        assert_eq!(schema["properties"][section]["type"], serde_json::json!(["object", "null"]), "{section}");
    }
    assert_eq!(schema["properties"]["app"]["type"], "object");
    let port = &schema["properties"]["app"]["properties"]["port"];
    assert_eq!((&port["type"], &port["default"], &port["minimum"]), (&"integer".into(), &8080.into(), &1.into()));
    let interval = &schema["properties"]["load_balancer"]["properties"]["health_check"]["properties"]["interval"];
    assert_eq!(interval["default"], "15s");
    let description = interval["description"].as_str().unwrap_or_default();
    assert!(description.starts_with("Time between checks.") && description.ends_with("5s to 5m."), "{description}");
}

/// A file that writes out every default the schema advertises means what the file that leaves them
/// out means: the schema's defaults are the parser's.
#[test]
fn the_schema_defaults_are_the_parsers() {
    let schema = json_schema();
    // Objects whose mere presence changes nothing; `stickiness`, `task` and `scaling` turn things on.
    let defaulted_objects = [
        "network",
        "load_balancer",
        "load_balancer.health_check",
        "app",
        "app.capacity",
        "database",
        "shared_storage",
        "spark",
        "spark.master",
        "spark.core",
    ];
    fn defaults_of(schema: &Value, path: &str, objects: &[&str]) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let child = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            if let Some(default) = property.get("default") {
                out.insert(name.clone(), default.clone());
            } else if objects.contains(&child.as_str()) {
                out.insert(name.clone(), Value::Object(defaults_of(property, &child, objects)));
            }
        }
        out
    }
    let mut written = defaults_of(&schema, "", &defaulted_objects);
    written.insert("name".into(), "web".into());
    written.insert("region".into(), "us-east-1".into());
    written["app"]["instance_type"] = "t3.small".into();
    let written = serde_yaml::to_string(&written).expect("YAML");
    for expected in ["cidr", "availability_zones", "listeners", "idle_timeout", "matcher", "min_healthy_percent"] {
        assert!(written.contains(expected), "{expected} has no default in the schema:\n{written}");
    }

    let left_out = ok(&minimal_with("network:\nload_balancer:\ndatabase:\nshared_storage:\nspark:\n")).topology;
    let spelled = ok(&written).topology;
    assert_eq!(spelled.network, left_out.network);
    assert_eq!(spelled.load_balancer, left_out.load_balancer);
    assert_eq!(spelled.groups, left_out.groups);
    assert_eq!(spelled.database, left_out.database);
    assert_eq!(spelled.shared_storage, left_out.shared_storage);
    assert_eq!(spelled.spark, left_out.spark, "{written}");
}

/// The patterns, ranges and choices of the schema accept what the parser accepts, as a real JSON
/// Schema validator reads them (the check editors make).
#[test]
fn every_example_is_valid_against_the_schema() {
    let validator = jsonschema::validator_for(&json_schema()).expect("a valid JSON Schema");
    let mut texts: Vec<(String, String)> = examples()
        .into_iter()
        .map(|file| (file.display().to_string(), std::fs::read_to_string(&file).expect("read example")))
        .collect();
    texts.push(("the full form".into(), super::basics::FULL.to_owned()));
    texts.push(("the minimal form".into(), MINIMAL.to_owned()));
    for (name, text) in texts {
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
        let json = serde_json::to_value(yaml).expect("YAML as JSON");
        let errors: Vec<String> =
            validator.iter_errors(&json).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn the_schema_refuses_what_the_parser_refuses_at_a_single_value() {
    let validator = jsonschema::validator_for(&json_schema()).expect("a valid JSON Schema");
    for bad in [
        "name: Web\nregion: us-east-1\napp: { instance_type: t3.small }\n",
        "name: web\nregion: us-east\napp: { instance_type: t3.small }\n",
        "name: web\nregion: us-east-1\napp: { instance_type: t3.small, port: 0 }\n",
        "name: web\nregion: us-east-1\napp: { instance_type: t3.small, capcity: {} }\n",
        "name: web\nregion: us-east-1\napp: { instance_type: t3.small }\nnetwork: { nat: double }\n",
        "name: web\nregion: us-east-1\napp: { instance_type: t3.small }\nload_balancer: { idle_timeout: 1 hour }\n",
        "name: web\nregion: us-east-1\napp: { instance_type: t3.small }\nshared_storage: { transition_to_ia: 45d }\n",
        "name: web\nregion: us-east-1\napp: { instance_type: t3.small }\nspark: { scaling: { min: 2 } }\n",
    ] {
        let yaml: serde_yaml::Value = serde_yaml::from_str(bad).expect("YAML");
        let json = serde_json::to_value(yaml).expect("YAML as JSON");
        assert!(!validator.is_valid(&json), "the schema accepts {bad:?}");
        err(bad);
    }
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

pub fn examples() -> Vec<std::path::PathBuf> {
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
    assert_eq!(t.groups[0].nodes.instance_type, "t3.small");
    assert_eq!(t.groups[0].nodes.port, 8080);
    assert_eq!(t.groups[0].nodes.capacity, Capacity { min: 2, desired: 2, max: 4 });
    assert_eq!(t.groups[0].nodes.scaling, Some(Scaling::CpuTarget(60.0)));
    assert_eq!(t.groups[0].nodes.user_data_origin, "built-in");
    assert_eq!((t.database, t.shared_storage, t.spark), (None, None, None));
    // The only warning is the one the example's comments explain.
    let fields: Vec<&str> = checked.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["network.nat"]);
}

/// Whether the schema of the value type `T` accepts `text` as a YAML string.
fn schema_accepts<T: schemars::JsonSchema>(text: &str) -> bool {
    let schema = schemars::schema_for!(T).to_value();
    jsonschema::validator_for(&schema).expect("a valid JSON Schema").is_valid(&Value::String(text.to_owned()))
}

/// A text type's pattern restates its rule for editors: it must accept every value the rule accepts (an
/// editor must never flag a file the parser takes), and it refuses the plain mistakes.
#[test]
fn patterns_accept_what_the_rules_accept() {
    use crate::topology::types::*;
    #[track_caller]
    fn check<T: schemars::JsonSchema>(good: &[&str], bad: &[&str]) {
        for text in good {
            assert!(schema_accepts::<T>(text), "the schema of {} refuses {text:?}", std::any::type_name::<T>());
        }
        for text in bad {
            assert!(!schema_accepts::<T>(text), "the schema of {} accepts {text:?}", std::any::type_name::<T>());
        }
    }
    check::<DeploymentName>(
        &["a", "web", "smarten-prod", "a1-b2-c3", "abcdefghijklmnopqrstu"],
        &["Web", "web-", "a--b"],
    );
    check::<Region>(&["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-4"], &["us-east", "US-EAST-1"]);
    check::<ZoneName>(&["us-east-1a", "us-gov-west-1b"], &["us-east-1"]);
    check::<InstanceType>(&["t3.large", "m5.xlarge", "c7gn.16xlarge", "u-6tb1.metal", "mac2-m2pro.metal"], &["large"]);
    check::<DbInstanceClass>(&["db.t3.medium", "db.r6g.2xlarge"], &["t3.medium"]);
    check::<EngineVersion>(&["5.7", "8.0", "8.4", "8.0.39", "5.7.44", "8.4.3"], &["9.1", "8"]);
    check::<EmrRelease>(&["emr-7.5.0", "emr-7.14.0"], &["7.5"]);
    check::<VpcId>(&["vpc-0abc1234", "vpc-0123456789abcdef0"], &["vpc-12"]);
    check::<SubnetId>(&["subnet-0123456789abcdef0"], &["subnet-xyz"]);
    check::<CertificateArn>(
        &["arn:aws:acm:us-east-1:123456789012:certificate/abc", "arn:aws:iam::123456789012:server-certificate/web"],
        &["certificate"],
    );
    check::<Matcher>(&["200", "200-399", "200,302", "200-299,404"], &["ok"]);
    check::<HealthCheckPath>(&["/", "/health", "/health?full=1"], &["health"]);
    check::<CookieName>(&["JSESSIONID", "session_id"], &["a b"]);
    check::<MountPath>(&["/mnt/data", "/mnt/smarten-data", "/data", "/var/lib/app", "/home/app/shared"], &["data"]);
    check::<DbParameterName>(&["max_connections", "innodb_buffer_pool_size"], &["a b"]);
    check::<crate::topology::Cidr>(&["10.0.0.0/16", "192.168.0.0/24"], &["10.0.0.0"]);
    check::<crate::topology::Image>(
        &["ami-0123456789abcdef0", "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"],
        &["ubuntu"],
    );
    check::<HealthInterval>(&["5s", "5m", "30s"], &["1 hour", "1h30m"]);
}
