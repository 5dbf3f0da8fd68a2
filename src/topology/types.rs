//! Value types that check themselves while they are deserialized, and describe themselves to the JSON
//! Schema from the same constants.
//!
//! serde_yaml attaches the position of the value being read to any error raised inside a `Deserialize`
//! impl, so a bad CIDR or port is reported at its own line and column. Rules that need more than one
//! value (min <= max, zones in the region) live in the section modules (`sections/`) instead.
//!
//! Each `JsonSchema` impl here is inlined where the value is used: the schema of a field is its value
//! type's (type, pattern, range, choices) with the field's own doc comment as its description.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

use super::model::{
    Algorithm, ApplyChanges, Cidr, DeletionPolicy, Image, Metastore, NatMode, Scheme, SparkScalingMode,
};
use super::rules;

// ---------------------------------------------------------------------------------------------
// Scalars as text

/// Accepts any YAML scalar and hands its text to `parse`. serde_yaml's `deserialize_str` gives the
/// source text of plain scalars, so an unquoted `8.0` stays "8.0" (not "8") and a tag value written
/// `42` becomes "42". `parse` runs inside the visitor on purpose: serde_yaml attaches the scalar's own
/// position only to errors raised there (an error raised after `deserialize` returns would point at the
/// enclosing mapping).
struct TextVisitor<'a, F> {
    expecting: &'a str,
    parse: F,
}

impl<T, F: FnOnce(&str) -> Result<T, String>> Visitor<'_> for TextVisitor<'_, F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }
}

pub fn scalar_with<'de, D, T, F>(d: D, expecting: &str, parse: F) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    F: FnOnce(&str) -> Result<T, String>,
{
    d.deserialize_str(TextVisitor { expecting, parse })
}

/// What the schema says about a text value: the JSON types a YAML scalar of it may have (an unquoted
/// `8.0` is a number to a JSON Schema validator, while the parser reads its text) and, for strings, a
/// pattern. The pattern restates the rule in `rules.rs` for editors; the parser runs the rule itself,
/// and `tests/schema.rs` checks the two agree on the examples.
pub struct TextSchema {
    pub pattern: Option<&'static str>,
    pub types: &'static [&'static str],
}

impl TextSchema {
    pub const fn pattern(pattern: &'static str) -> Self {
        TextSchema { pattern: Some(pattern), types: &["string"] }
    }

    pub const ANY_STRING: TextSchema = TextSchema { pattern: None, types: &["string"] };

    /// A scalar whose text matters whatever YAML would make of it: numbers and booleans too.
    pub const ANY_SCALAR: TextSchema = TextSchema { pattern: None, types: &["string", "number", "boolean"] };

    pub fn schema(&self, description: &str) -> Schema {
        let mut schema = json_schema!({ "description": description });
        schema.insert(
            "type".into(),
            match self.types {
                [one] => (*one).into(),
                many => many.iter().map(|t| serde_json::Value::from(*t)).collect(),
            },
        );
        if let Some(pattern) = self.pattern {
            schema.insert("pattern".into(), pattern.into());
        }
        schema
    }
}

/// The schema of a text value type: text described by `$schema` (`$expecting` is its description).
macro_rules! text_schema {
    ($name:ty, $expecting:literal, $schema:expr) => {
        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let schema: TextSchema = $schema;
                schema.schema($expecting)
            }
        }
    };
}

/// A string newtype whose `Deserialize` applies a rule from `rules.rs`, and whose schema is `$schema`.
macro_rules! checked_text {
    ($(#[$doc:meta])* $name:ident, $expecting:literal, $rule:expr, $schema:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $name(pub String);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                scalar_with(d, $expecting, |text| {
                    if text.is_empty() {
                        return Err(concat!("the value is empty; expected ", $expecting).to_owned());
                    }
                    let rule: fn(&str) -> Result<(), String> = $rule;
                    rule(text)?;
                    Ok($name(text.to_owned()))
                })
            }
        }

        text_schema!($name, $expecting, $schema);
    };
}

checked_text!(
    /// The deployment name, used in every resource name.
    DeploymentName,
    "a deployment name such as smarten-prod",
    rules::deployment_name,
    TextSchema::pattern("^[a-z](?!.*--)[a-z0-9-]{0,19}[a-z0-9]$|^[a-z]$")
);
checked_text!(
    Region,
    "an AWS region such as us-east-1",
    rules::region,
    TextSchema::pattern(r"^[a-z]{2}(-[a-z]+)+-\d+$")
);
checked_text!(
    ZoneName,
    "an availability zone such as us-east-1a",
    rules::zone_name,
    TextSchema::pattern(r"^[a-z]{2}(-[a-z]+)+-\d+[a-z]$")
);
checked_text!(
    InstanceType,
    "an EC2 instance type such as t3.large",
    rules::instance_type,
    TextSchema::pattern(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
);
checked_text!(
    DbInstanceClass,
    "an RDS instance class such as db.t3.medium",
    rules::db_instance_class,
    TextSchema::pattern(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
);
checked_text!(
    /// `latest` or a DB snapshot identifier.
    DbSnapshotRef,
    "`latest` or an RDS DB snapshot identifier such as shop-final-20261206120000",
    rules::db_snapshot_ref,
    TextSchema::pattern(r"^(latest|(rds:)?[A-Za-z](?!.*--)([A-Za-z0-9-]{0,253}[A-Za-z0-9])?)$")
);
checked_text!(
    /// Read as text so that an unquoted `8.0` keeps its exact spelling.
    EngineVersion,
    "a MySQL version such as \"8.0\"",
    rules::engine_version,
    TextSchema { pattern: Some(r"^(5\.7|8\.0|8\.4)(\.\d+)?$"), types: &["string", "number"] }
);
checked_text!(
    EmrRelease,
    "an EMR release label such as emr-7.14.0",
    rules::emr_release,
    TextSchema::pattern(r"^emr-\d+\.\d+\.\d+$")
);
checked_text!(
    VpcId,
    "a VPC id such as vpc-0abc1234",
    |s| rules::aws_id(s, "vpc", "a VPC id"),
    TextSchema::pattern("^vpc-[0-9a-f]{8,17}$")
);
checked_text!(
    SubnetId,
    "a subnet id such as subnet-0abc1234",
    |s| rules::aws_id(s, "subnet", "a subnet id"),
    TextSchema::pattern("^subnet-[0-9a-f]{8,17}$")
);
checked_text!(
    /// Format only; `sections/load_balancer.rs` checks that an ACM certificate is in the deployment's region.
    CertificateArn,
    "an ACM or IAM certificate ARN",
    |s| rules::certificate_arn(s).map(|_| ()),
    TextSchema::pattern("^arn:aws[-a-z]*:(acm|iam):")
);
checked_text!(
    PolicyArn,
    "an IAM policy ARN such as arn:aws:iam::123456789012:policy/Boundary",
    rules::policy_arn,
    TextSchema::pattern("^arn:aws[-a-z]*:iam::([0-9]{12}|aws):policy/")
);
checked_text!(
    /// Format only; `sections/spark.rs` checks that the key is in the deployment's region.
    KmsKeyArn,
    "a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    |s| rules::kms_key_arn(s).map(|_| ()),
    TextSchema::pattern("^arn:aws[-a-z]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]{1,64}$")
);
checked_text!(
    S3ZipUrl,
    "an S3 URL of a zip file such as s3://my-bucket/emr/certificates.zip",
    rules::s3_zip_url,
    TextSchema::pattern(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\S+\.zip$")
);
checked_text!(
    /// A node group's name (the key under `node_groups`).
    GroupName,
    "a node group name such as web or coordinator",
    rules::group_name,
    TextSchema::pattern("^[a-z](?!.*--)([a-z0-9-]{0,18}[a-z0-9])?$")
);
checked_text!(
    RoutePath,
    "a URL path pattern such as /api/*",
    rules::route_path,
    TextSchema::pattern(r#"^/[A-Za-z0-9_.$/~"'@:+&*?-]{0,127}$"#)
);
checked_text!(
    RouteHost,
    "a host name such as api.example.com (* and ? as wildcards)",
    rules::route_host,
    TextSchema::pattern(r"^[A-Za-z0-9.*?-]{1,128}$")
);
checked_text!(
    Matcher,
    "HTTP codes such as \"200\" or \"200-399\"",
    rules::http_matcher,
    TextSchema { pattern: Some(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$"), types: &["string", "integer"] }
);
checked_text!(HealthCheckPath, "a URL path such as /health", rules::health_check_path, TextSchema::pattern("^/"));
checked_text!(
    CookieName,
    "a cookie name such as SESSIONID",
    rules::cookie_name,
    TextSchema::pattern("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
);
checked_text!(MountPath, "an absolute path such as /mnt/data", rules::mount_path, TextSchema::pattern(r"^/[^\s]+$"));
checked_text!(
    DbParameterName,
    "a DB parameter name such as max_connections",
    rules::db_parameter_name,
    TextSchema::pattern("^[A-Za-z0-9_.-]{1,255}$")
);
checked_text!(
    /// An address that SNS sends the alarms to (an email subscription).
    EmailAddress,
    "an email address such as ops@example.com",
    rules::email_address,
    TextSchema::pattern(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
);
checked_text!(
    /// Format only; `sections/alerts.rs` checks that the topic is in the deployment's region.
    SnsTopicArn,
    "an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:ops",
    |s| rules::sns_topic_arn(s).map(|_| ()),
    TextSchema::pattern(r"^arn:aws[-a-z]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$")
);
checked_text!(DbParameterValue, "a DB parameter value such as \"500\"", |_| Ok(()), TextSchema::ANY_SCALAR);
checked_text!(
    /// Resolved against the topology file's directory by `sections/app.rs`.
    UserDataPath,
    "a path to a user-data template",
    |_| Ok(()),
    TextSchema::ANY_STRING
);

text_schema!(
    Cidr,
    "a CIDR block such as 10.20.0.0/16",
    TextSchema::pattern(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/\d{1,2}$")
);
text_schema!(
    Image,
    "ami-<id> or ssm:/<parameter>",
    TextSchema::pattern("^(ami-[0-9a-f]{8,17}|ssm:/[A-Za-z0-9_./-]+)$")
);

/// Written as in the file (`10.0.0.0/16`), for the schema's defaults.
impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Written as in the file (`ssm:/aws/...` or `ami-...`), for the schema's defaults.
impl Serialize for Image {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Image::AmiId(id) => s.serialize_str(id),
            Image::SsmParameter(name) => s.collect_str(&format_args!("ssm:{name}")),
        }
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        scalar_with(d, "a CIDR block such as 10.20.0.0/16", rules::cidr)
    }
}

impl<'de> Deserialize<'de> for Image {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        scalar_with(d, "ami-<id> or ssm:/<parameter>", |text| {
            if let Some(name) = text.strip_prefix("ssm:") {
                rules::ssm_parameter(name)?;
                return Ok(Image::SsmParameter(name.to_owned()));
            }
            if text.starts_with("ami-") {
                rules::aws_id(text, "ami", "an AMI id")?;
                return Ok(Image::AmiId(text.to_owned()));
            }
            Err(format!(
                "`{text}` is not an image; expected an AMI id (ami-0abc12345678) or an SSM parameter \
                 (ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64)"
            ))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Fixed choices

/// An enum spelled as one of a fixed set of words in the file.
pub trait Choice: Sized + Copy + 'static {
    /// What the value is, for messages ("nat mode").
    const WHAT: &'static str;
    const CHOICES: &'static [(&'static str, Self)];

    fn names() -> Vec<&'static str> {
        Self::CHOICES.iter().map(|(name, _)| *name).collect()
    }
}

fn choice<'de, D: Deserializer<'de>, T: Choice>(d: D) -> Result<T, D::Error> {
    let accepted = T::names().join(", ");
    scalar_with(d, &format!("one of {accepted}"), |text| {
        T::CHOICES
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, value)| *value)
            .ok_or_else(|| format!("`{text}` is not a valid {}; expected one of {accepted}", T::WHAT))
    })
}

macro_rules! choice {
    ($ty:ty, $what:literal, [$($name:literal => $value:expr),+ $(,)?]) => {
        impl Choice for $ty {
            const WHAT: &'static str = $what;
            const CHOICES: &'static [(&'static str, Self)] = &[$(($name, $value)),+];
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                choice(d)
            }
        }

        impl JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "description": $what, "enum": [$($name),+] })
            }
        }

        /// Its name in the file, for the schema's defaults.
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let name = Self::CHOICES.iter().find(|(_, value)| value == self).map_or("", |(name, _)| *name);
                s.serialize_str(name)
            }
        }
    };
}

/// Only in the file: `lb_cookie` or `app_cookie` (the model folds it into `Stickiness`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StickinessType {
    LbCookie,
    AppCookie,
}

choice!(NatMode, "nat mode", ["single" => NatMode::Single, "per_az" => NatMode::PerAz, "none" => NatMode::None]);
choice!(Scheme, "load balancer scheme", ["internet-facing" => Scheme::InternetFacing, "internal" => Scheme::Internal]);
choice!(Algorithm, "routing algorithm", [
    "round_robin" => Algorithm::RoundRobin,
    "least_outstanding_requests" => Algorithm::LeastOutstandingRequests,
    "weighted_random" => Algorithm::WeightedRandom,
]);
choice!(StickinessType, "stickiness type", ["lb_cookie" => StickinessType::LbCookie, "app_cookie" => StickinessType::AppCookie]);
choice!(ApplyChanges, "apply_changes", [
    "immediately" => ApplyChanges::Immediately,
    "maintenance_window" => ApplyChanges::MaintenanceWindow,
]);
choice!(DeletionPolicy, "deletion policy", ["snapshot" => DeletionPolicy::Snapshot, "delete" => DeletionPolicy::Delete]);
choice!(Metastore, "metastore", ["shared_database" => Metastore::SharedDatabase, "local" => Metastore::Local]);
choice!(SparkScalingMode, "scaling mode", ["managed" => SparkScalingMode::Managed, "custom" => SparkScalingMode::Custom]);

// ---------------------------------------------------------------------------------------------
// Bounded numbers

/// Reads a whole number and checks it against an inclusive range.
struct IntVisitor {
    min: u64,
    max: u64,
    what: &'static str,
}

impl IntVisitor {
    fn out_of_range<E: de::Error>(&self, n: impl fmt::Display) -> E {
        E::custom(format!("{n} is out of range: expected {} from {} to {}", self.what, self.min, self.max))
    }
}

impl Visitor<'_> for IntVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} from {} to {}", self.what, self.min, self.max)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        if (self.min..=self.max).contains(&v) {
            Ok(v)
        } else {
            Err(self.out_of_range(v))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(self.out_of_range(v)),
        }
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<u64, E> {
        Err(self.out_of_range(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<u64, E> {
        Err(self.out_of_range(v))
    }
}

/// A whole-number newtype with an inclusive range, checked at parse time and stated in the schema.
macro_rules! bounded {
    ($(#[$doc:meta])* $name:ident: $t:ty = $min:literal ..= $max:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub $t);

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "integer", "description": $what, "minimum": Self::MIN, "maximum": Self::MAX })
            }
        }

        impl $name {
            pub const MIN: $t = $min;
            pub const MAX: $t = $max;
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let visitor = IntVisitor { min: Self::MIN.into(), max: Self::MAX.into(), what: $what };
                // `deserialize_any`, so that a negative number reaches `visit_i64` and gets the range
                // message rather than serde_yaml's "invalid type".
                let n = d.deserialize_any(visitor)?;
                // In range, so it fits; the error arm only keeps this free of `as` casts.
                <$t>::try_from(n).map($name).map_err(|_| de::Error::custom(concat!("out of range for ", $what)))
            }
        }
    };
}

bounded!(Port: u16 = 1..=65535, "a port number");
bounded!(
    /// Auto Scaling groups are capped well below this by account quotas; 1000 catches typos.
    NodeCount: u32 = 0..=1000, "a node count"
);
bounded!(MaxNodeCount: u32 = 1..=1000, "a maximum node count");
bounded!(RequestsPerTarget: u32 = 1..=1_000_000, "a number of requests per target");
bounded!(Threshold: u8 = 2..=10, "a health check count");
bounded!(StorageGb: u32 = 20..=65536, "a storage size in GiB");
bounded!(RetentionDays: u8 = 0..=35, "a number of days");
bounded!(InstanceCount: u32 = 0..=1000, "an instance count");
bounded!(CapacityUnits: u32 = 1..=10_000, "a number of instances");
bounded!(Percent: u8 = 0..=100, "a percentage");
bounded!(
    /// An alarm's count threshold: at least one, since a threshold of 0 would alarm on nothing.
    AlarmCount: u32 = 1..=1_000_000, "a count"
);
bounded!(
    /// An alarm's percentage threshold.
    AlarmPercent: u8 = 1..=100, "a percentage from 1 to 100"
);
bounded!(
    /// A share of the default route: a weighted forward takes 0 to 999, but shares are read as percentages.
    RouteWeight: u8 = 1..=100, "a route weight"
);

/// Average CPU target in percent; fractions are allowed (target tracking takes a double).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuTarget(pub f64);

impl CpuTarget {
    const MIN: f64 = 1.0;
    const MAX: f64 = 100.0;
}

impl JsonSchema for CpuTarget {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "CpuTarget".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "number",
            "description": "a CPU utilisation target in percent",
            "minimum": CpuTarget::MIN,
            "maximum": CpuTarget::MAX,
        })
    }
}

impl<'de> Deserialize<'de> for CpuTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = f64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CPU utilisation target in percent, from 1 to 100")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
                if (CpuTarget::MIN..=CpuTarget::MAX).contains(&v) {
                    Ok(v)
                } else {
                    Err(E::custom(format!(
                        "{v} is out of range: expected a CPU utilisation target in percent, from 1 to 100"
                    )))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
                // Out-of-range integers still get the range message; exactness does not matter there.
                self.visit_f64(u32::try_from(v).map_or(f64::INFINITY, f64::from))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
                self.visit_f64(i32::try_from(v).map_or(f64::NEG_INFINITY, f64::from))
            }
        }
        d.deserialize_f64(V).map(CpuTarget)
    }
}

// ---------------------------------------------------------------------------------------------
// Durations

/// A duration written `<integer><unit>`, within `MIN..=MAX` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundedDuration<const MIN: u64, const MAX: u64>(pub Duration);

impl<const MIN: u64, const MAX: u64> BoundedDuration<MIN, MAX> {
    /// "5s to 5m", for messages and the schema.
    pub fn range_text() -> String {
        format!(
            "{} to {}",
            rules::format_duration(Duration::from_secs(MIN)),
            rules::format_duration(Duration::from_secs(MAX))
        )
    }
}

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for BoundedDuration<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        scalar_with(d, rules::DURATION_HINT, |text| {
            let value = rules::duration(text)?;
            if (MIN..=MAX).contains(&value.as_secs()) {
                Ok(BoundedDuration(value))
            } else {
                Err(format!("`{text}` is out of range: expected {}", Self::range_text()))
            }
        })
    }
}

/// The pattern of every duration; the range is in the description (JSON Schema cannot compare them).
const DURATION_PATTERN: &str = "^[0-9]+[smhd]$";

/// Where a value type's own rule goes in the schema so that a field's doc comment, which replaces the
/// type's description, does not lose it: `schema::json_schema` appends it to the field's description.
pub const RULE_KEYWORD: &str = "x-clusterup-rule";

impl<const MIN: u64, const MAX: u64> JsonSchema for BoundedDuration<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Duration_{MIN}_{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let rule = format!("A duration such as 30s, 5m, 1h or 7d; {}.", Self::range_text());
        let mut schema = json_schema!({ "type": "string", "description": rule.clone(), "pattern": DURATION_PATTERN });
        schema.insert(RULE_KEYWORD.into(), rule.into());
        schema
    }
}

/// A duration as the file writes it (`15s`, `1d`), for the schema's defaults.
pub fn spelled(duration: Duration) -> String {
    rules::format_duration(duration)
}

pub type StickinessDuration = BoundedDuration<1, 604_800>;
pub type HealthInterval = BoundedDuration<5, 300>;
pub type HealthTimeout = BoundedDuration<2, 120>;
pub type IdleTimeout = BoundedDuration<1, 4000>;
pub type ResponseTime = BoundedDuration<1, 600>;

/// EFS lifecycle transition: one of the day counts EFS accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IaTransition(pub Duration);

impl<'de> Deserialize<'de> for IaTransition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        scalar_with(d, "a number of days such as 30d", |text| {
            let value = rules::duration(text)?;
            rules::transition_to_ia(value)?;
            Ok(IaTransition(value))
        })
    }
}

impl JsonSchema for IaTransition {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "IaTransition".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let days: Vec<String> = rules::IA_DAYS.iter().map(|n| format!("{n}d")).collect();
        json_schema!({
            "type": "string",
            "description": "a number of days EFS accepts",
            "pattern": DURATION_PATTERN,
            "enum": days,
        })
    }
}

/// CloudWatch Logs retention: one of the day counts PutRetentionPolicy accepts, as days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRetention(pub u16);

impl<'de> Deserialize<'de> for LogRetention {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        scalar_with(d, "a number of days such as 30d", |text| {
            let value = rules::duration(text)?;
            rules::log_retention(value).map(LogRetention)
        })
    }
}

impl JsonSchema for LogRetention {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "LogRetention".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let days: Vec<String> = rules::LOG_RETENTION_DAYS.iter().map(|n| format!("{n}d")).collect();
        json_schema!({
            "type": "string",
            "description": "a number of days CloudWatch Logs accepts as a retention",
            "pattern": DURATION_PATTERN,
            "enum": days,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Collections

/// `availability_zones`: a count, or a list of zone names.
#[derive(Debug, Clone, PartialEq)]
pub enum ZonesValue {
    Count(u8),
    Names(Vec<ZoneName>),
}

pub const MIN_ZONES: usize = 2;
pub const MAX_ZONES: usize = 6;

impl JsonSchema for ZonesValue {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "ZonesValue".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let zone = generator.subschema_for::<ZoneName>();
        json_schema!({
            "description": "a number of zones (2 to 6) or a list of zone names",
            "oneOf": [
                { "type": "integer", "minimum": MIN_ZONES, "maximum": MAX_ZONES },
                { "type": "array", "items": zone, "minItems": MIN_ZONES, "maxItems": MAX_ZONES, "uniqueItems": true },
            ],
        })
    }
}

impl<'de> Deserialize<'de> for ZonesValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ZonesValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of zones (2 to 6) or a list of zone names such as [us-east-1a, us-east-1b]")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ZonesValue, E> {
                match u8::try_from(v) {
                    Ok(n) if usize::from(n) < MIN_ZONES => Err(E::custom(format!(
                        "{} is too few: an Application Load Balancer and a DB subnet group need at least \
                         two availability zones",
                        rules::count(n.into(), "zone")
                    ))),
                    Ok(n) if usize::from(n) <= MAX_ZONES => Ok(ZonesValue::Count(n)),
                    _ => Err(E::custom(format!("{v} zones is too many: expected 2 to 6"))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ZonesValue, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!("{v} is not a number of zones; expected 2 to 6"))),
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ZonesValue, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<ZoneName>()? {
                    names.push(name);
                }
                Ok(ZonesValue::Names(names))
            }
        }
        d.deserialize_any(V)
    }
}

/// User tags. Keys and values are checked where they are written; the 41st key is reported itself.
/// Duplicate keys never get here: `scan.rs` rejects them in every mapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tags(pub BTreeMap<String, String>);

impl JsonSchema for Tags {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Tags".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "tags: keys 1-128 characters, not starting with aws: or clusterup:, not Name; \
                            values at most 256 characters",
            "maxProperties": rules::MAX_USER_TAGS,
            "propertyNames": { "minLength": 1, "maxLength": 128, "not": { "pattern": "^([aA][wW][sS]:|clusterup:|Name$)" } },
            "additionalProperties": { "type": ["string", "number", "boolean"], "maxLength": 256 },
        })
    }
}

struct TagKeySeed {
    index: usize,
}

impl<'de> DeserializeSeed<'de> for TagKeySeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        // Read and checked through a visitor so that errors carry the key's own position.
        struct V {
            index: usize,
        }
        impl Visitor<'_> for V {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a tag key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
                if self.index >= rules::MAX_USER_TAGS {
                    return Err(E::custom(format!(
                        "more than {} tags; AWS allows 50 per resource and clusterup adds its own",
                        rules::MAX_USER_TAGS
                    )));
                }
                rules::tag_key(v).map_err(E::custom)?;
                Ok(v.to_owned())
            }
        }
        d.deserialize_str(V { index: self.index })
    }
}

struct TagValue(String);

impl<'de> Deserialize<'de> for TagValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        scalar_with(d, "a tag value", |text| {
            rules::tag_value(text)?;
            Ok(TagValue(text.to_owned()))
        })
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tags;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of tag keys to values, e.g. { team: bi }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
                let mut tags = BTreeMap::new();
                while let Some(key) = map.next_key_seed(TagKeySeed { index: tags.len() })? {
                    let TagValue(value) = map.next_value()?;
                    tags.insert(key, value);
                }
                Ok(Tags(tags))
            }
        }
        d.deserialize_map(V)
    }
}
