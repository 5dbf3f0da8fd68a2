//! The one credentials check every command that talks to AWS makes first.
//!
//! Without it a missing or refused credential surfaces as the first discovery call's failure, named
//! after whatever resource that call was about (even one the topology does not have), once per call in
//! flight. Here it is found once, before planning, and named for what it is.

use aws_sdk_sts::config::ProvideCredentials;

use super::error::{from_sdk, source_chain, ErrorClass};
use super::Aws;

/// Who the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// No credential source produced credentials (or one failed: an expired SSO session, a broken
    /// profile). The sources come first: the chain's own words (an IMDS session token...) name only the
    /// last source it tried.
    #[error("no AWS credentials found (environment, profile, SSO, instance role)\n  the credential chain said: {detail}\n  hint: {}", hint(.profile.as_deref()))]
    Missing { detail: String, profile: Option<String> },
    /// `--profile` (or AWS_PROFILE) names a profile no config file has; the AWS CLI refuses it too,
    /// rather than fall back to other credentials.
    #[error("the config profile ({name}) could not be found in {files}{}\n  hint: check the name, or add the profile with `aws configure --profile {name}` (or `aws configure sso --profile {name}`)", known_profiles(.known))]
    NoSuchProfile { name: String, files: String, known: Vec<String> },
    /// AWS answered, and refused them (unknown key, expired session token, bad signature).
    #[error("AWS refused the credentials: {code}: {message}\n  hint: {}", hint(.profile.as_deref()))]
    Refused { code: String, message: String, profile: Option<String> },
    /// The check itself could not be made.
    #[error("could not check the AWS credentials (STS GetCallerIdentity): {detail}\n  hint: check the network, --region and --endpoint-url (or AWS_ENDPOINT_URL), then re-run")]
    Unreachable { detail: String },
}

fn known_profiles(known: &[String]) -> String {
    if known.is_empty() {
        " (it has no profiles)".to_owned()
    } else {
        format!(" (its profiles: {})", known.join(", "))
    }
}

/// Refuse a profile that the shared config and credentials files (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws/config and ~/.aws/credentials) do not have: the SDK would
/// silently take credentials from the environment instead, so `--profile prod` with a typo would act as
/// whoever the environment is.
pub async fn check_profile(name: &str) -> Result<(), CredentialsError> {
    let (fs, env) = (aws_types::os_shim_internal::Fs::real(), aws_types::os_shim_internal::Env::real());
    let files = "the AWS config and credentials files".to_owned();
    // An unreadable or malformed file has no profile to find; its own error comes with the lookup.
    let known: Vec<String> = match aws_config::profile::load(&fs, &env, &Default::default(), None).await {
        Ok(set) => {
            if set.get_profile(name).is_some() {
                return Ok(());
            }
            set.profiles().map(str::to_owned).collect()
        }
        Err(err) => {
            return Err(CredentialsError::NoSuchProfile {
                name: name.to_owned(),
                files: format!("{files} ({err})"),
                known: Vec::new(),
            })
        }
    };
    Err(CredentialsError::NoSuchProfile { name: name.to_owned(), files, known })
}

/// Where credentials come from, and what to do about each source.
fn hint(profile: Option<&str>) -> String {
    let profile = match profile {
        Some(name) => format!(
            "the profile `{name}` (--profile) is used: check it in ~/.aws/config and ~/.aws/credentials; \
             for an IAM Identity Center (SSO) profile run `aws sso login --profile {name}`"
        ),
        None => "or a profile from ~/.aws/config with --profile NAME or AWS_PROFILE=NAME (for an IAM Identity \
                 Center (SSO) profile run `aws sso login --profile NAME` first)"
            .to_owned(),
    };
    format!(
        "clusterup reads the standard AWS credential chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
         (plus AWS_SESSION_TOKEN for temporary keys), {profile}, or the role of the EC2 instance or container \
         it runs on"
    )
}

/// Resolve the credentials once and ask AWS whose they are.
pub async fn check_credentials(aws: &Aws, profile: Option<&str>) -> Result<Identity, CredentialsError> {
    let profile = profile.map(str::to_owned);
    let Some(provider) = &aws.credentials else {
        return Err(CredentialsError::Missing { detail: "no credential source is configured".into(), profile });
    };
    if let Err(err) = provider.provide_credentials().await {
        return Err(CredentialsError::Missing { detail: source_chain(&err), profile });
    }
    match aws.sts.get_caller_identity().send().await {
        Ok(out) => {
            let incomplete = |field| CredentialsError::Unreachable {
                detail: format!("the answer has no {field}, which STS always returns; is the endpoint AWS?"),
            };
            Ok(Identity {
                account: out.account().ok_or_else(|| incomplete("Account"))?.to_owned(),
                arn: out.arn().ok_or_else(|| incomplete("Arn"))?.to_owned(),
            })
        }
        Err(err) => {
            let err = from_sdk(err, "GetCallerIdentity", "credentials");
            match (err.class, err.code) {
                (ErrorClass::Auth, Some(code)) => {
                    Err(CredentialsError::Refused { code, message: err.message, profile })
                }
                (_, _) => Err(CredentialsError::Unreachable { detail: err.message }),
            }
        }
    }
}
