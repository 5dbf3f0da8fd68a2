//! The database's kept password: a Secrets Manager secret `clusterup/<deployment>/database` holding
//! `{"username": ..., "password": ...}`, the shape of the secret RDS makes when it manages the password,
//! so an app reading `DB_SECRET_ARN` sees no difference.
//!
//! Why it exists: RDS refuses CreateDBInstanceReadReplica for a MySQL source whose master password it
//! manages in Secrets Manager (RDS User Guide, "Limitations for Secrets Manager integration with Amazon
//! RDS", <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations>).
//! A database with read replicas therefore gets its password from this secret, created before it.
//!
//! The password is generated here from the operating system's randomness and goes straight into the
//! CreateSecret request; the instance's create reads it back (GetSecretValue) for CreateDBInstance. It
//! is never part of a property, an attribute, a plan, an error or a log line. The SDK redacts both
//! fields (`SecretString`, `MasterUserPassword`) from its own Debug output.
//!
//! Crash safety: the name is the deployment's, so discovery finds the secret by name and checks its
//! tags; a create retried after a crash finds the name taken (ResourceExistsException), checks the
//! secret is this deployment's and adopts it with the password it holds. CreateSecret takes the tags in
//! the same call, so the secret is never untagged.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::types::Tag;

use crate::aws::{AwsError, ErrorClass, Outcome, PollPolicy, ResultExt, Service};
use crate::model::names::database::{password_secret_name, PASSWORD};
use crate::model::{tags, Actual, Address, Desired, Kind, Prop, Value, NAME, TAGS};
use crate::resources::support::{self, check_owner, returned_id};
use crate::resources::{at_once, tag_pairs, Ctx, Error, Progress, ResourceKind, Spec};

pub struct DatabasePassword;

/// Create-only: the master user name the secret records beside the password (RDS's secret does too).
pub const USERNAME: Prop = Prop::new("username");

const SPEC: Spec =
    Spec::new(Kind::DatabaseSecret, "database password secret", Service::SecretsManager, PollPolicy::FAST, at_once)
        .props(&[&NAME, &USERNAME, &TAGS])
        // The database is made with its password and the nodes read it until they are gone; the instance
        // waits for the node groups, and the replicas go before the instance.
        .deleted_after(&[Kind::DbInstance, Kind::DbReplica])
        .deleted_after_stop(&[Kind::EmrCluster]);

/// Length of the generated password: 32 characters of 62 make about 190 bits.
const PASSWORD_LEN: usize = 32;
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A password of letters and digits only: RDS for MySQL refuses `/`, `"`, `@` and spaces in a master
/// password (CreateDBInstance's MasterUserPassword constraints), and nothing else needs escaping in a
/// shell, a URL or JSON. Rejection sampling keeps every character equally likely (248 = 4 x 62).
pub fn generate_password() -> Result<String, Error> {
    let mut out = String::with_capacity(PASSWORD_LEN);
    let mut bytes = [0u8; 64];
    while out.len() < PASSWORD_LEN {
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::Bug(format!("the operating system gave no randomness for the password: {e}")))?;
        for b in bytes.iter().copied().filter(|b| *b < 248) {
            if out.len() == PASSWORD_LEN {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(b % 62)]));
        }
    }
    Ok(out)
}

/// The password inside a secret's value (`{"username": ..., "password": ...}`). The error names the
/// secret, never its value.
pub fn password_of(secret_string: &str, arn: &str) -> Result<String, AwsError> {
    let parsed: Option<String> = serde_json::from_str::<serde_json::Value>(secret_string)
        .ok()
        .and_then(|v| v.get("password").and_then(serde_json::Value::as_str).map(str::to_owned))
        .filter(|p| !p.is_empty());
    parsed.ok_or_else(|| {
        AwsError::local(
            PASSWORD,
            "GetSecretValue",
            format!("the secret {arn} holds no password (a JSON object with a \"password\" key is expected)"),
        )
    })
}

/// The kept password, read from the secret `arn`.
pub async fn read_password(ctx: &Ctx, arn: &str, resource: &str) -> Result<String, AwsError> {
    let out = ctx.aws.secrets.get_secret_value().secret_id(arn).send().await.call("GetSecretValue", resource)?;
    let value = out
        .secret_string()
        .ok_or_else(|| AwsError::local(resource, "GetSecretValue", format!("the secret {arn} has no text value")))?;
    password_of(value, arn)
}

fn secret_tags(pairs: &BTreeMap<String, String>) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// The secret `name` as the deployment's, if it exists and is not on its way out.
async fn find(ctx: &Ctx, name: &str) -> Result<Option<Actual>, Error> {
    let found = ctx.aws.secrets.describe_secret().secret_id(name).send().await.call("DescribeSecret", PASSWORD);
    let Some(secret) = found.found()? else { return Ok(None) };
    // Scheduled for deletion: gone as far as the deployment is concerned.
    if secret.deleted_date().is_some() {
        return Ok(None);
    }
    let tags = tags::from_pairs(secret.tags().iter().map(|t| (t.key(), t.value())));
    check_owner(ctx, SPEC.label, name, &tags)?;
    let arn = returned_id(secret.arn(), PASSWORD, "DescribeSecret")?;
    let address = tags.get(tags::RESOURCE).map_or_else(|| Address::new(PASSWORD), Address::new);
    Ok(Some(
        Actual::new(address, Kind::DatabaseSecret, &arn)
            .prop(&NAME, Value::str(name))
            .prop(&TAGS, tags::to_value(&tags))
            .attr("arn", arn),
    ))
}

impl ResourceKind for DatabasePassword {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        Ok(find(ctx, &password_secret_name(&ctx.deployment)).await?.into_iter().collect())
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = want.address.as_str();
        let name = want.text(&NAME)?;
        let value = serde_json::json!({ "username": want.text(&USERNAME)?, "password": generate_password()? });
        let created = ctx
            .aws
            .secrets
            .create_secret()
            .name(name)
            .description("The master password of the deployment's database, kept by clusterup (it has read replicas)")
            .secret_string(value.to_string())
            .set_tags(Some(secret_tags(&tag_pairs(want))))
            .send()
            .await
            .call("CreateSecret", resource);
        let arn = match created {
            Ok(out) => returned_id(out.arn(), resource, "CreateSecret")?,
            // An interrupted run made it: adopt it (with the password it holds) once it proves ours.
            Err(err) if err.is(ErrorClass::AlreadyExists) => match find(ctx, name).await? {
                Some(found) => found.id,
                None => return Err(err.into()),
            },
            Err(err) => return Err(err.into()),
        };
        Ok(Actual::made(want, &arn).attr("arn", arn))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let (secrets, arn, resource) = (&ctx.aws.secrets, &have.id, have.address.as_str());
        let set = move |pairs: BTreeMap<String, String>| async move {
            secrets
                .tag_resource()
                .secret_id(arn)
                .set_tags(Some(secret_tags(&pairs)))
                .send()
                .await
                .call("TagResource", resource)?;
            Ok(())
        };
        let remove = move |keys: Vec<String>| async move {
            secrets
                .untag_resource()
                .secret_id(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .call("UntagResource", resource)?;
            Ok(())
        };
        support::sync_tags(have, want, set, remove).await?;
        Ok(have.updated_to(want))
    }

    /// At once, without Secrets Manager's recovery window: the database it was the password of is gone
    /// (destroy deletes it first), and a deployment made again under the same name needs the name free.
    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        ctx.aws
            .secrets
            .delete_secret()
            .secret_id(&have.id)
            .force_delete_without_recovery(true)
            .send()
            .await
            .call("DeleteSecret", resource)
            .gone_ok()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_32_letters_and_digits_and_differ() {
        let a = generate_password().expect("randomness");
        let b = generate_password().expect("randomness");
        assert_eq!(a.len(), PASSWORD_LEN);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()), "only letters and digits");
        assert_ne!(a, b);
    }

    #[test]
    fn the_password_is_read_from_the_secret_and_errors_never_show_the_value() {
        let arn = "arn:aws:secretsmanager:us-east-1:1:secret:clusterup/shop/database-AbC";
        assert_eq!(password_of(r#"{"username":"admin","password":"s3cr3t"}"#, arn).expect("read"), "s3cr3t");
        let err = password_of(r#"{"username":"admin","pass":"s3cr3tvalue"}"#, arn).expect_err("no password key");
        assert!(err.message.contains(arn) && !err.to_string().contains("s3cr3tvalue"), "{err}");
        let err = password_of("s3cr3tvalue", arn).expect_err("not JSON");
        assert!(!err.to_string().contains("s3cr3tvalue"), "{err}");
    }
}

/// A create retried after a crash meets the secret the first attempt made: the emulator answers a
/// second CreateSecret of the name as AWS does, but the path through DescribeSecret and the ownership
/// check is the point, so SDK mocks; a same-named secret of another deployment is never adopted.
#[cfg(test)]
mod retry_tests {
    use std::collections::BTreeMap;

    use aws_sdk_secretsmanager::operation::create_secret::CreateSecretError;
    use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
    use aws_sdk_secretsmanager::types::error::ResourceExistsException;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::aws::Aws;
    use crate::resources::{DataPolicy, Quiet};

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:clusterup/demo/database-AbCdEf";

    fn want() -> Desired {
        let tags = BTreeMap::from([("clusterup:deployment".to_owned(), "demo".to_owned())]);
        Desired::new(PASSWORD, Kind::DatabaseSecret)
            .prop(&NAME, Value::str("clusterup/demo/database"))
            .prop(&TAGS, tags::to_value(&tags))
            .create_only(&USERNAME, Value::str("admin"))
    }

    async fn create_with_existing(owner: &'static str) -> Result<Actual, Error> {
        let create = mock!(aws_sdk_secretsmanager::Client::create_secret)
            .match_requests(|req| {
                req.name() == Some("clusterup/demo/database")
                    && req.tags().iter().any(|t| t.key() == Some("clusterup:deployment") && t.value() == Some("demo"))
                    && req.secret_string().is_some_and(|s| s.contains("\"username\":\"admin\""))
            })
            .then_error(|| {
                CreateSecretError::ResourceExistsException(
                    ResourceExistsException::builder()
                        .message("the secret already exists")
                        .meta(
                            aws_smithy_types::error::ErrorMetadata::builder()
                                .code("ResourceExistsException")
                                .message("the secret already exists")
                                .build(),
                        )
                        .build(),
                )
            });
        let describe = mock!(aws_sdk_secretsmanager::Client::describe_secret).then_output(move || {
            DescribeSecretOutput::builder()
                .arn(ARN)
                .name("clusterup/demo/database")
                .tags(Tag::builder().key("clusterup:deployment").value(owner).build())
                .build()
        });
        let secrets = mock_client!(aws_sdk_secretsmanager, RuleMode::Sequential, [&create, &describe]);
        let ctx =
            Ctx { aws: Aws { secrets, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() };
        DatabasePassword::create(&ctx, &want(), &Quiet).await
    }

    #[tokio::test]
    async fn create_secret_sdk_mock_a_retried_create_adopts_the_deployments_secret() {
        let made = create_with_existing("demo").await.expect("adopted");
        assert_eq!((made.id.as_str(), made.attrs.get("arn").map(String::as_str)), (ARN, Some(ARN)));
        let err = create_with_existing("other").await.expect_err("another deployment's");
        assert!(err.to_string().contains("deployment other"), "{err}");
    }
}
