//! The IAM family: the app nodes' role and instance profile. The role may read exactly the database's
//! managed secret and mount exactly the shared file system through its access point; nothing else.
//! IAM is global: names carry the region so one deployment name can live in several regions.

mod instance_profile;
mod role;

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;

use super::network::named;
use super::{database, storage, BoxFuture, Ctx, Facts, Family, Progress};
use crate::aws::{built, AwsError};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::topology::Topology;

pub struct Iam;

pub const ROLE: &str = "iam/role/app";
pub const INSTANCE_PROFILE: &str = "iam/instance-profile/app";
/// The one inline policy clusterup manages on the role.
pub const POLICY_NAME: &str = "clusterup-app";

pub fn role_name(deployment: &str, region: &str) -> String {
    format!("{deployment}-{region}-app")
}

/// EC2 may assume the role, nobody else.
pub fn trust_policy() -> String {
    canonical(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }))
}

/// JSON in one canonical form (compact, keys sorted at every level), so documents compare as text.
/// Sorted by hand: serde_json keeps insertion order when any crate in the build enables `preserve_order`.
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
    serde_json::to_string(&sorted(doc)).unwrap_or_default()
}

/// A policy document as AWS returns it (URL-encoded JSON) in canonical form; unparseable text stays as is.
pub fn canonical_from_aws(encoded: &str) -> String {
    let decoded = percent_decode(encoded);
    serde_json::from_str::<serde_json::Value>(&decoded).map(|v| canonical(&v)).unwrap_or(decoded)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The app role's permissions, with the secret and file system ARNs filled in at apply time.
fn app_policy(topology: &Topology) -> Option<Value> {
    const SECRET: &str = "@@SECRET@@";
    const FILE_SYSTEM: &str = "@@FILE_SYSTEM@@";
    const ACCESS_POINT: &str = "@@ACCESS_POINT@@";
    let mut statements = Vec::new();
    if topology.database.is_some() {
        statements.push(serde_json::json!({
            "Sid": "ReadDatabaseSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET
        }));
    }
    if topology.shared_storage.is_some() {
        statements.push(serde_json::json!({
            "Sid": "MountSharedData", "Effect": "Allow",
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": FILE_SYSTEM,
            "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": ACCESS_POINT}}
        }));
    }
    if statements.is_empty() {
        return None;
    }
    let text = canonical(&serde_json::json!({"Version": "2012-10-17", "Statement": statements}));
    // Cut the canonical text at the markers and put references there.
    let marks = [
        (SECRET, Value::Attr(Address::new(database::INSTANCE), "secret_arn".into())),
        (FILE_SYSTEM, Value::Attr(Address::new(storage::FILE_SYSTEM), "arn".into())),
        (ACCESS_POINT, Value::Attr(Address::new(storage::ACCESS_POINT), "arn".into())),
    ];
    let mut parts = vec![Value::str(text)];
    for (mark, reference) in marks {
        parts = parts
            .into_iter()
            .flat_map(|part| match part {
                Value::Str(s) if s.contains(mark) => {
                    let mut pieces = Vec::new();
                    for (i, piece) in s.split(mark).enumerate() {
                        if i > 0 {
                            pieces.push(reference.clone());
                        }
                        pieces.push(Value::str(piece));
                    }
                    pieces
                }
                other => vec![other],
            })
            .collect();
    }
    Some(Value::Template(parts))
}

pub(super) fn iam_tags(want: &Desired) -> Result<Vec<Tag>, AwsError> {
    tags::from_value(want.props.get("tags"))
        .iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), want.address.as_str(), "TagRole"))
        .collect()
}

pub(super) fn read_tags(list: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(list.iter().map(|t| (Some(t.key()), Some(t.value()))))
}

impl Family for Iam {
    fn name(&self) -> &'static str {
        "iam"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[Kind::IamRole, Kind::InstanceProfile]
    }

    fn desired(&self, topology: &Topology, _facts: &Facts) -> Vec<Desired> {
        let name = role_name(&topology.name, &topology.region);
        let mut role = named(topology, ROLE, Kind::IamRole, &name)
            .prop("name", Value::str(&name))
            .prop("trust", Value::str(trust_policy()));
        if let Some(policy) = app_policy(topology) {
            role = role.prop("policy", policy);
        }
        let profile = named(topology, INSTANCE_PROFILE, Kind::InstanceProfile, &name)
            .prop("name", Value::str(&name))
            .prop("role", Value::Ref(Address::new(ROLE)));
        vec![role, profile]
    }

    fn discover<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Vec<Actual>, AwsError>> {
        Box::pin(async move {
            let (roles, profiles) = tokio::try_join!(role::discover(ctx), instance_profile::discover(ctx))?;
            Ok([roles, profiles].concat())
        })
    }

    fn create<'a>(
        &'a self,
        ctx: &'a Ctx,
        want: &'a Desired,
        _progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::IamRole => role::create(ctx, want).await,
                Kind::InstanceProfile => instance_profile::create(ctx, want).await,
                other => unreachable!("{other:?} is not an IAM kind"),
            }
        })
    }

    fn update<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        want: &'a Desired,
        _progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::IamRole => role::update(ctx, have, want).await,
                Kind::InstanceProfile => instance_profile::update(ctx, have, want).await,
                other => unreachable!("{other:?} is not an IAM kind"),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        _progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(async move {
            match have.kind {
                Kind::IamRole => role::delete(ctx, have).await,
                Kind::InstanceProfile => instance_profile::delete(ctx, have).await,
                other => unreachable!("{other:?} is not an IAM kind"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_documents_decode_to_the_canonical_form() {
        let encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(canonical_from_aws(encoded), r#"{"Statement":[],"Version":"2012-10-17"}"#);
        assert_eq!(canonical_from_aws(r#"{"b":1,"a":2}"#), r#"{"a":2,"b":1}"#);
    }
}
