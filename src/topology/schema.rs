//! JSON Schema (draft 2020-12) of the topology file, for editor completion (`clusterup schema`).
//!
//! Hand-built, but from the same constants the parser uses (ranges, choices, defaults), and a test
//! checks its property names against the serde structs, so the two cannot drift apart silently. The
//! parser stays the authority: a few cross-field rules (min <= max, zones in the region) are only in
//! the descriptions.

use serde_json::{json, Map, Value};

use super::defaults as d;
use super::model::{Algorithm, ApplyChanges, DeletionPolicy, Metastore, NatMode, Scheme, SparkScalingMode};
use super::rules;
use super::types::*;

pub fn json_schema() -> Value {
    let mut schema = object(
        "A clusterup topology: one highly available application cluster on AWS.",
        &["name", "region", "app"],
        vec![
            (
                "name",
                string(
                    "Deployment name, used in every resource name: lowercase letters, digits and hyphens, \
                     starting with a letter, at most 21 characters, no `--`, no trailing `-`.",
                    "^[a-z](?!.*--)[a-z0-9-]{0,19}[a-z0-9]$|^[a-z]$",
                ),
            ),
            ("region", string("AWS region, e.g. us-east-1.", r"^[a-z]{2}(-[a-z]+)+-\d+$")),
            ("tags", tags()),
            ("network", network()),
            ("load_balancer", load_balancer()),
            ("app", app()),
            ("database", database()),
            ("shared_storage", shared_storage()),
            ("spark", spark()),
        ],
    );
    if let Value::Object(map) = &mut schema {
        map.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        map.insert("title".into(), json!("clusterup topology"));
    }
    schema
}

fn object(description: &str, required: &[&str], properties: Vec<(&str, Value)>) -> Value {
    let properties: Map<String, Value> = properties.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let mut value = json!({
        "type": "object",
        "description": description,
        "additionalProperties": false,
        "properties": properties,
    });
    if !required.is_empty() {
        value["required"] = json!(required);
    }
    value
}

/// An optional section: writing the key with no value means "with its defaults".
fn section(description: &str, required: &[&str], properties: Vec<(&str, Value)>) -> Value {
    let mut value = object(description, required, properties);
    value["type"] = json!(["object", "null"]);
    value
}

fn string(description: &str, pattern: &str) -> Value {
    json!({ "type": "string", "description": description, "pattern": pattern })
}

fn with_default(mut value: Value, default: Value) -> Value {
    value["default"] = default;
    value
}

fn integer(description: &str, min: u64, max: u64) -> Value {
    json!({ "type": "integer", "description": description, "minimum": min, "maximum": max })
}

fn boolean(description: &str, default: bool) -> Value {
    json!({ "type": "boolean", "description": description, "default": default })
}

fn choice<T: Choice>(description: &str, default: Option<&str>) -> Value {
    let mut value = json!({ "type": "string", "description": description, "enum": T::names() });
    if let Some(default) = default {
        value["default"] = json!(default);
    }
    value
}

fn duration<const MIN: u64, const MAX: u64>(description: &str, default: std::time::Duration) -> Value {
    json!({
        "type": "string",
        "description": format!("{description} A duration such as 30s, 5m, 1h or 7d; {}.", BoundedDuration::<MIN, MAX>::range_text()),
        "pattern": "^[0-9]+[smhd]$",
        "default": rules::format_duration(default),
    })
}

fn instance_type(description: &str) -> Value {
    string(description, r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
}

fn tags() -> Value {
    json!({
        "type": "object",
        "description": "Your tags, added to every resource: at most 40; keys 1-128 characters, not starting \
                        with aws: or clusterup:, not Name; values at most 256 characters.",
        "maxProperties": rules::MAX_USER_TAGS,
        "propertyNames": { "minLength": 1, "maxLength": 128, "not": { "pattern": "^([aA][wW][sS]:|clusterup:|Name$)" } },
        "additionalProperties": { "type": ["string", "number", "boolean"], "maxLength": 256 },
    })
}

fn network() -> Value {
    let zone = string("A zone of the region, e.g. us-east-1a.", r"^[a-z]{2}(-[a-z]+)+-\d+[a-z]$");
    section(
        "The VPC. Either clusterup builds it (cidr, availability_zones, nat) or it uses an existing one \
         (vpc_id, public_subnet_ids, private_subnet_ids); the two forms cannot be mixed.",
        &[],
        vec![
            (
                "cidr",
                with_default(
                    string(
                        "IPv4 CIDR of the VPC, /16 to /24, host bits zero.",
                        r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/\d{1,2}$",
                    ),
                    json!(d::DEFAULT_CIDR.to_string()),
                ),
            ),
            (
                "availability_zones",
                json!({
                    "description": "How many zones (2 to 6), or which ones.",
                    "default": d::DEFAULT_ZONES,
                    "oneOf": [
                        { "type": "integer", "minimum": MIN_ZONES, "maximum": MAX_ZONES },
                        { "type": "array", "items": zone, "minItems": MIN_ZONES, "maxItems": MAX_ZONES, "uniqueItems": true },
                    ],
                }),
            ),
            ("nat", choice::<NatMode>("NAT gateways for the private subnets.", Some("single"))),
            ("vpc_id", string("An existing VPC.", "^vpc-[0-9a-f]{8,17}$")),
            ("public_subnet_ids", subnet_ids("Public subnets of vpc_id (for the load balancer), at least two.")),
            ("private_subnet_ids", subnet_ids("Private subnets of vpc_id (app nodes, database), at least two.")),
        ],
    )
}

fn subnet_ids(description: &str) -> Value {
    json!({
        "type": "array",
        "description": description,
        "items": { "type": "string", "pattern": "^subnet-[0-9a-f]{8,17}$" },
        "minItems": 2,
        "uniqueItems": true,
    })
}

fn load_balancer() -> Value {
    let listener = object(
        "A listener. Port 443 needs certificate_arn.",
        &["port"],
        vec![
            ("port", integer("Listener port.", Port::MIN.into(), Port::MAX.into())),
            (
                "certificate_arn",
                string(
                    "ACM certificate (same region) or IAM server certificate; makes the listener HTTPS.",
                    "^arn:aws[-a-z]*:(acm|iam):",
                ),
            ),
        ],
    );
    section(
        "The Application Load Balancer in front of the app nodes.",
        &[],
        vec![
            (
                "scheme",
                choice::<Scheme>("Reachable from the internet, or only inside the VPC.", Some("internet-facing")),
            ),
            (
                "listeners",
                json!({
                    "type": "array",
                    "description": "Listeners; ports unique.",
                    "items": listener,
                    "minItems": 1,
                    "default": [{ "port": 80 }],
                }),
            ),
            ("algorithm", choice::<Algorithm>("How requests are spread over the nodes.", Some("round_robin"))),
            (
                "stickiness",
                section(
                    "Sticky sessions, for apps that keep session state on the node.",
                    &[],
                    vec![
                        ("enabled", boolean("false turns stickiness off.", true)),
                        ("type", choice::<StickinessType>("Who sets the cookie.", Some("lb_cookie"))),
                        (
                            "cookie_name",
                            string("The application's cookie (type app_cookie only).", "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"),
                        ),
                        (
                            "duration",
                            duration::<1, 604_800>("How long a client sticks to a node.", d::DEFAULT_STICKINESS),
                        ),
                    ],
                ),
            ),
            ("health_check", health_check()),
            ("idle_timeout", duration::<1, 4000>("Idle connection timeout.", d::DEFAULT_IDLE_TIMEOUT)),
        ],
    )
}

fn health_check() -> Value {
    section(
        "How the load balancer decides a node is healthy; timeout must be shorter than interval.",
        &[],
        vec![
            ("path", with_default(string("URL path to request.", "^/"), json!("/"))),
            ("interval", duration::<5, 300>("Time between checks.", d::DEFAULT_HEALTH_INTERVAL)),
            ("timeout", duration::<2, 120>("Time to wait for an answer.", d::DEFAULT_HEALTH_TIMEOUT)),
            (
                "healthy_threshold",
                with_default(
                    integer("Passes before a node is healthy.", Threshold::MIN.into(), Threshold::MAX.into()),
                    json!(d::DEFAULT_THRESHOLD),
                ),
            ),
            (
                "unhealthy_threshold",
                with_default(
                    integer("Failures before a node is unhealthy.", Threshold::MIN.into(), Threshold::MAX.into()),
                    json!(d::DEFAULT_THRESHOLD),
                ),
            ),
            (
                "matcher",
                json!({
                    "type": ["string", "integer"],
                    "description": "HTTP codes that count as healthy, e.g. \"200\" or \"200-399\".",
                    "default": d::DEFAULT_MATCHER,
                }),
            ),
        ],
    )
}

fn app() -> Value {
    let count = |description: &str| integer(description, NodeCount::MIN.into(), NodeCount::MAX.into());
    let mut scaling = object(
        "Target tracking: exactly one of cpu_target or requests_per_target.",
        &[],
        vec![
            (
                "cpu_target",
                json!({ "type": "number", "description": "Average CPU utilisation in percent.", "minimum": 1, "maximum": 100 }),
            ),
            (
                "requests_per_target",
                integer("ALB requests per node.", RequestsPerTarget::MIN.into(), RequestsPerTarget::MAX.into()),
            ),
        ],
    );
    scaling["oneOf"] = json!([{ "required": ["cpu_target"] }, { "required": ["requests_per_target"] }]);
    object(
        "The app nodes: an Auto Scaling group in the private subnets.",
        &["instance_type"],
        vec![
            ("instance_type", instance_type("EC2 instance type, e.g. t3.large.")),
            (
                "image",
                with_default(
                    string(
                        "AMI id, or ssm:<parameter> naming an SSM parameter that holds one.",
                        "^(ami-[0-9a-f]{8,17}|ssm:/[A-Za-z0-9_./-]+)$",
                    ),
                    json!(format!("ssm:{}", d::DEFAULT_IMAGE)),
                ),
            ),
            (
                "port",
                with_default(
                    integer("Port the app listens on.", Port::MIN.into(), Port::MAX.into()),
                    json!(d::DEFAULT_APP_PORT),
                ),
            ),
            (
                "capacity",
                section(
                    "Node counts: min <= desired <= max. Defaults: min 2, desired = min, max = max(min, 4).",
                    &[],
                    vec![
                        ("min", count("Fewest nodes.")),
                        ("desired", count("Nodes to start with.")),
                        ("max", integer("Most nodes.", MaxNodeCount::MIN.into(), MaxNodeCount::MAX.into())),
                    ],
                ),
            ),
            ("scaling", scaling),
            (
                "min_healthy_percent",
                with_default(
                    integer(
                        "Share of the desired nodes kept healthy while nodes are replaced by a new version.",
                        Percent::MIN.into(),
                        Percent::MAX.into(),
                    ),
                    json!(d::DEFAULT_MIN_HEALTHY_PERCENT),
                ),
            ),
            (
                "user_data",
                json!({ "type": "string", "description": "User-data template, relative to this file; default: the built-in one." }),
            ),
        ],
    )
}

fn database() -> Value {
    section(
        "RDS MySQL, the shared metadata database. Every field has a default.",
        &[],
        vec![
            (
                "engine_version",
                json!({
                    "type": ["string", "number"],
                    "description": "MySQL 5.7, 8.0 or 8.4, optionally with a minor version (8.0.39). Quote it.",
                    "pattern": r"^(5\.7|8\.0|8\.4)(\.\d+)?$",
                    "default": d::DEFAULT_ENGINE_VERSION,
                }),
            ),
            (
                "instance_class",
                with_default(string("RDS instance class.", r"^db\.[a-z0-9]+\.[a-z0-9]+$"), json!(d::DEFAULT_DB_CLASS)),
            ),
            (
                "storage_gb",
                with_default(
                    integer("Allocated storage in GiB.", StorageGb::MIN.into(), StorageGb::MAX.into()),
                    json!(d::DEFAULT_STORAGE_GB),
                ),
            ),
            ("multi_az", boolean("A standby in a second zone.", true)),
            (
                "backup_retention_days",
                with_default(
                    integer(
                        "Days of automated backups; 0 turns them off.",
                        RetentionDays::MIN.into(),
                        RetentionDays::MAX.into(),
                    ),
                    json!(d::DEFAULT_RETENTION_DAYS),
                ),
            ),
            ("deletion", choice::<DeletionPolicy>("On destroy: keep a final snapshot, or not.", Some("snapshot"))),
            (
                "apply_changes",
                choice::<ApplyChanges>(
                    "When RDS makes changes to the instance: at once, or in its next maintenance window.",
                    Some("immediately"),
                ),
            ),
            (
                "parameters",
                json!({
                    "type": "object",
                    "description": "DB parameter group settings, e.g. { max_connections: \"500\" }.",
                    "additionalProperties": { "type": ["string", "number", "boolean"] },
                }),
            ),
        ],
    )
}

fn shared_storage() -> Value {
    section(
        "EFS file system mounted on every node (and the Spark cluster).",
        &[],
        vec![
            (
                "mount_path",
                with_default(
                    string("Absolute mount point, not a system directory.", "^/[^\\s]+$"),
                    json!(d::DEFAULT_MOUNT_PATH),
                ),
            ),
            ("encrypted", boolean("Encrypt at rest.", true)),
            (
                "transition_to_ia",
                json!({
                    "type": "string",
                    "description": "Move files to Infrequent Access after this long unused.",
                    "enum": rules::IA_DAYS.iter().map(|n| format!("{n}d")).collect::<Vec<_>>(),
                }),
            ),
            ("backups", boolean("AWS Backup of the file system.", true)),
        ],
    )
}

fn spark() -> Value {
    let group = |description: &str, min: u32, max: u32, default: u32| {
        section(
            description,
            &[],
            vec![
                ("instance_type", with_default(instance_type("EC2 instance type."), json!(d::DEFAULT_SPARK_INSTANCE))),
                ("count", with_default(integer("Instances.", min.into(), max.into()), json!(default))),
            ],
        )
    };
    section(
        "An EMR cluster running Spark on YARN, sharing the database and file system.",
        &[],
        vec![
            (
                "release",
                with_default(
                    string("EMR release label, e.g. emr-7.14.0.", r"^emr-\d+\.\d+\.\d+$"),
                    json!(d::DEFAULT_SPARK_RELEASE),
                ),
            ),
            ("master", group("The master node (always one).", 1, 1, 1)),
            ("core", group("Core nodes (HDFS and YARN).", 1, InstanceCount::MAX, d::DEFAULT_CORE_COUNT)),
            ("task", group("Task nodes (YARN only).", InstanceCount::MIN, InstanceCount::MAX, 0)),
            (
                "scaling",
                object(
                    "Automatic scaling of the core and task nodes, in instances: 1 <= min <= max.",
                    &["min", "max"],
                    vec![
                        ("min", integer("Fewest instances.", CapacityUnits::MIN.into(), CapacityUnits::MAX.into())),
                        ("max", integer("Most instances.", CapacityUnits::MIN.into(), CapacityUnits::MAX.into())),
                        (
                            "mode",
                            choice::<SparkScalingMode>(
                                "managed: EMR managed scaling (the default from emr-5.30.0/emr-6.1.0); custom: instance-group scaling rules on YARN memory.",
                                None,
                            ),
                        ),
                    ],
                ),
            ),
            (
                "metastore",
                choice::<Metastore>(
                    "Hive metastore: on the shared database (the default when there is one) or local to the master.",
                    None,
                ),
            ),
        ],
    )
}
