//! The Spark cluster's security configuration: the encryption settings EMR applies when the cluster
//! starts (RunJobFlow's `SecurityConfiguration` names it), made before the cluster and deleted after it
//! has terminated.
//!
//! EMR security configurations carry no tags: clusterup's is found by its name, derived from the
//! deployment (`clusterup-<deployment>-spark`), one DescribeSecurityConfiguration call. A security
//! configuration cannot be changed: a new document replaces it, and with it the cluster that names it.

use aws_sdk_emr::operation::describe_security_configuration::DescribeSecurityConfigurationOutput;

use crate::aws::{AwsError, ErrorClass, PollPolicy, Required, ResultExt, Service};
use crate::model::json::canonical;
use crate::model::names::spark::{security_configuration_name, SECURITY_CONFIGURATION};
use crate::model::{Actual, Address, Desired, Kind, Prop, Value, NAME};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// The configuration document, as canonical JSON (`model::json::canonical`).
pub const CONFIGURATION: Prop = Prop::new("configuration").replaces();

pub struct EmrSecurityConfiguration;

const SPEC: Spec =
    Spec::new(Kind::EmrSecurityConfiguration, "EMR security configuration", Service::Emr, PollPolicy::FAST, at_once)
        .props(&[&NAME, &CONFIGURATION]);

impl ResourceKind for EmrSecurityConfiguration {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let name = security_configuration_name(&ctx.deployment);
        let Some(out) = describe(ctx, &name).await? else { return Ok(Vec::new()) };
        const CALL: &str = "DescribeSecurityConfiguration";
        let text = out.security_configuration().required(CALL, "SecurityConfiguration", &name)?;
        // EMR may keep the document with other spacing or key order than it was sent with.
        let document = serde_json::from_str(text).map(|doc| canonical(&doc)).unwrap_or_else(|_| text.to_owned());
        Ok(vec![Actual::new(Address::new(SECURITY_CONFIGURATION), Kind::EmrSecurityConfiguration, &name)
            .prop(&NAME, Value::str(&name))
            .prop(&CONFIGURATION, Value::str(document))])
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let (name, resource) = (want.text(&NAME)?, want.address.as_str());
        let created = ctx
            .aws
            .emr
            .create_security_configuration()
            .name(name)
            .security_configuration(want.text(&CONFIGURATION)?)
            .send()
            .await
            .call("CreateSecurityConfiguration", resource);
        match created {
            // An interrupted run made it; a different document would have been seen by discovery and
            // replaced.
            Err(err) if already_exists(&err) => {}
            other => {
                other?;
            }
        }
        Ok(Actual::made(want, name))
    }

    /// Nothing changes in place: the name and the document both replace it.
    async fn update(_ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        match ctx
            .aws
            .emr
            .delete_security_configuration()
            .name(&have.id)
            .send()
            .await
            .call("DeleteSecurityConfiguration", have.address.as_str())
        {
            Err(err) if missing(&err) => Ok(()),
            other => other.map(|_| ()).map_err(Error::from),
        }
    }
}

/// The security configuration called `name`, or `None` when there is none.
async fn describe(ctx: &Ctx, name: &str) -> Result<Option<DescribeSecurityConfigurationOutput>, AwsError> {
    match ctx
        .aws
        .emr
        .describe_security_configuration()
        .name(name)
        .send()
        .await
        .call("DescribeSecurityConfiguration", name)
    {
        Ok(out) => Ok(Some(out)),
        Err(err) if missing(&err) => Ok(None),
        Err(err) => Err(err),
    }
}

/// EMR answers a name it does not know with InvalidRequestException ("... does not exist"), not with a
/// code of its own (the emulator with ResourceNotFoundException).
fn missing(err: &AwsError) -> bool {
    err.is(ErrorClass::NotFound) || (err.code_is("InvalidRequestException") && err.message.contains("does not exist"))
}

/// Likewise for a name already taken ("... already exists").
fn already_exists(err: &AwsError) -> bool {
    err.is(ErrorClass::AlreadyExists)
        || (err.code_is("InvalidRequestException") && err.message.contains("already exists"))
}

/// AWS answers an unknown name with InvalidRequestException, where the emulator has a code of its own:
/// that answer is covered here with SDK mocks, as the test names say.
#[cfg(test)]
mod tests {
    use aws_sdk_emr::operation::delete_security_configuration::DeleteSecurityConfigurationError;
    use aws_sdk_emr::operation::describe_security_configuration::DescribeSecurityConfigurationError;
    use aws_sdk_emr::types::error::InvalidRequestException;
    use aws_sdk_emr::Client;
    use aws_smithy_mocks::{mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::aws::Aws;
    use crate::resources::{DataPolicy, Quiet};

    fn unknown(name: &str) -> InvalidRequestException {
        let message = format!("Security configuration with name '{name}' does not exist.");
        InvalidRequestException::builder()
            .message(&message)
            .meta(ErrorMetadata::builder().code("InvalidRequestException").message(message).build())
            .build()
    }

    fn ctx(emr: Client) -> Ctx {
        Ctx { aws: Aws { emr, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() }
    }

    #[tokio::test]
    async fn describe_security_configuration_sdk_mock_an_unknown_name_is_no_configuration() {
        let rule = mock!(Client::describe_security_configuration)
            .match_requests(|req| req.name() == Some("clusterup-demo-spark"))
            .then_error(|| {
                DescribeSecurityConfigurationError::InvalidRequestException(unknown("clusterup-demo-spark"))
            });
        let emr = mock_client!(aws_sdk_emr, [&rule]);
        let found = EmrSecurityConfiguration::discover(&ctx(emr), None).await.expect("discovery");
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn delete_security_configuration_sdk_mock_one_already_gone_is_deleted() {
        let rule = mock!(Client::delete_security_configuration)
            .then_error(|| DeleteSecurityConfigurationError::InvalidRequestException(unknown("clusterup-demo-spark")));
        let emr = mock_client!(aws_sdk_emr, [&rule]);
        let have =
            Actual::new(Address::new(SECURITY_CONFIGURATION), Kind::EmrSecurityConfiguration, "clusterup-demo-spark");
        EmrSecurityConfiguration::delete(&ctx(emr), &have, &Quiet).await.expect("gone is deleted");
        assert_eq!(rule.num_calls(), 1);
    }
}
