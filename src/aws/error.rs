//! AWS errors for people: which resource, which call, AWS's code and message, and what to do next.

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure this is, which decides whether to retry, wait, or stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The thing asked about does not exist (or does not exist yet: EC2 is eventually consistent).
    NotFound,
    /// Something still uses the resource (security group in use, VPC with subnets, ...).
    DependencyViolation,
    /// The thing to create exists already.
    AlreadyExists,
    /// Rate limited; the SDK has retried already.
    Throttled,
    /// A network failure, timeout or 5xx; the SDK has retried already.
    Transient,
    /// Credentials missing, expired or not allowed to make the call.
    Auth,
    /// Anything else: a bad request, a quota, a state conflict.
    Other,
}

#[derive(Debug, thiserror::Error)]
pub struct AwsError {
    /// The clusterup address or AWS id the call was about.
    pub resource: String,
    /// The API operation, e.g. `CreateVpc`.
    pub call: &'static str,
    pub code: Option<String>,
    pub message: String,
    pub class: ErrorClass,
}

impl AwsError {
    /// An error raised by clusterup itself about an AWS resource (e.g. a wait that timed out).
    pub fn local(resource: impl Into<String>, call: &'static str, message: impl Into<String>) -> Self {
        AwsError { resource: resource.into(), call, code: None, message: message.into(), class: ErrorClass::Other }
    }

    pub fn is(&self, class: ErrorClass) -> bool {
        self.class == class
    }

    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// What the operator can do about it.
    pub fn hint(&self) -> String {
        match self.class {
            ErrorClass::Auth => format!(
                "check the AWS credentials (profile, environment, SSO session) and that they allow {}",
                self.call
            ),
            ErrorClass::Throttled | ErrorClass::Transient => {
                "AWS did not answer after several retries; re-run the same command to resume where it stopped".into()
            }
            ErrorClass::DependencyViolation => format!(
                "something still uses {}; if it is not managed by clusterup, remove it (or its reference) and re-run",
                self.resource
            ),
            _ if self.code.as_deref().is_some_and(|c| c.contains("LimitExceeded") || c.contains("QuotaExceeded")) => {
                "an account quota was reached: raise it in Service Quotas or free capacity, then re-run".into()
            }
            _ => "fix the cause above, then re-run the same command: it resumes where it stopped".into(),
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} failed", self.resource, self.call)?;
        match &self.code {
            Some(code) => write!(f, ": {code}: {}", self.message)?,
            None => write!(f, ": {}", self.message)?,
        }
        write!(f, "\n  hint: {}", self.hint())
    }
}

/// Error codes that mean "not there"; AWS spells it differently in every service.
fn classify_code(code: &str) -> ErrorClass {
    match code {
        c if c.ends_with(".NotFound")
            || c.ends_with("NotFound")
            || c.ends_with("NotFoundException")
            || c.ends_with("NotFoundFault") =>
        {
            ErrorClass::NotFound
        }
        "InvalidGroup.NotFound" | "InvalidAllocationID.NotFound" | "ValidationError.NotFound" => ErrorClass::NotFound,
        "DependencyViolation"
        | "ResourceInUse"
        | "ResourceInUseFault"
        | "InvalidIPAddress.InUse"
        | "ResourceInUse.LoadBalancer"
        | "DeleteConflict"
        | "FileSystemInUse"
        | "InvalidDBSubnetGroupStateFault"
        | "InvalidDBParameterGroupState"
        | "IncorrectFileSystemLifeCycleState"
        | "IncorrectMountTargetState" => ErrorClass::DependencyViolation,
        "NoSuchEntity" | "NoSuchEntityException" => ErrorClass::NotFound,
        // S3.
        "NoSuchBucket" | "NoSuchKey" | "NoSuchTagSet" | "NoSuchTagSetError" => ErrorClass::NotFound,
        "BucketAlreadyOwnedByYou" => ErrorClass::AlreadyExists,
        "BucketNotEmpty" => ErrorClass::DependencyViolation,
        c if c.contains("AlreadyExists") || c.starts_with("Duplicate") || c == "InvalidGroup.Duplicate" => {
            ErrorClass::AlreadyExists
        }
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "RequestThrottled"
        | "SlowDown" => ErrorClass::Throttled,
        "AuthFailure"
        | "UnauthorizedOperation"
        | "AccessDenied"
        | "AccessDeniedException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch" => ErrorClass::Auth,
        "InternalError" | "InternalFailure" | "ServiceUnavailable" | "Unavailable" => ErrorClass::Transient,
        _ => ErrorClass::Other,
    }
}

/// Readings of a classified result that every family needs.
pub trait Outcome<T> {
    /// Not found means absent (discovery).
    fn found(self) -> Result<Option<T>, AwsError>;
    /// Already gone counts as done (deletion).
    fn gone_ok(self) -> Result<(), AwsError>;
}

impl<T> Outcome<T> for Result<T, AwsError> {
    fn found(self) -> Result<Option<T>, AwsError> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.is(ErrorClass::NotFound) => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn gone_ok(self) -> Result<(), AwsError> {
        self.found().map(|_| ())
    }
}

/// Turns SDK results into [`AwsError`]s that name the call and the resource.
pub trait ResultExt<T> {
    fn call(self, call: &'static str, resource: &str) -> Result<T, AwsError>;
}

impl<T, E, R> ResultExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug,
{
    fn call(self, call: &'static str, resource: &str) -> Result<T, AwsError> {
        self.map_err(|err| from_sdk(err, call, resource))
    }
}

fn from_sdk<E, R>(err: SdkError<E, R>, call: &'static str, resource: &str) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug,
{
    let (code, message, class) = match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let code = inner.code().map(str::to_owned);
            let message = inner.message().unwrap_or("no message").to_owned();
            let class = code.as_deref().map(classify_code).unwrap_or(ErrorClass::Other);
            (code, message, class)
        }
        SdkError::TimeoutError(_) => (None, "request timed out".to_owned(), ErrorClass::Transient),
        SdkError::DispatchFailure(failure) => {
            let class = if failure.is_io() || failure.is_timeout() { ErrorClass::Transient } else { ErrorClass::Other };
            let mut message = format!("could not reach AWS: {}", source_chain(&err));
            if failure.is_user() || message.contains("credentials") {
                message.push_str(" (are AWS credentials configured?)");
            }
            (None, message, class)
        }
        SdkError::ResponseError(_) => {
            (None, format!("unreadable response: {}", source_chain(&err)), ErrorClass::Transient)
        }
        _ => (None, source_chain(&err), ErrorClass::Other),
    };
    // Credentials problems surface as construction/dispatch failures; name them as such.
    let class =
        if code.is_none() && message.to_ascii_lowercase().contains("credentials") { ErrorClass::Auth } else { class };
    AwsError { resource: resource.to_owned(), call, code, message, class }
}

/// The SDK's top-level Display is terse ("dispatch failure"); the cause is further down the chain.
fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p == &text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert_eq!(classify_code("InvalidVpcID.NotFound"), ErrorClass::NotFound);
        assert_eq!(classify_code("LoadBalancerNotFound"), ErrorClass::NotFound);
        assert_eq!(classify_code("DBSubnetGroupNotFoundFault"), ErrorClass::NotFound);
        assert_eq!(classify_code("FileSystemNotFound"), ErrorClass::NotFound);
        assert_eq!(classify_code("NoSuchEntity"), ErrorClass::NotFound);
        assert_eq!(classify_code("FileSystemInUse"), ErrorClass::DependencyViolation);
        assert_eq!(classify_code("DependencyViolation"), ErrorClass::DependencyViolation);
        assert_eq!(classify_code("RequestLimitExceeded"), ErrorClass::Throttled);
        assert_eq!(classify_code("UnauthorizedOperation"), ErrorClass::Auth);
        assert_eq!(classify_code("InvalidGroup.Duplicate"), ErrorClass::AlreadyExists);
        assert_eq!(classify_code("VpcLimitExceeded"), ErrorClass::Other);
    }

    #[test]
    fn display_names_resource_call_code_and_next_step() {
        let err = AwsError {
            resource: "network/vpc".into(),
            call: "CreateVpc",
            code: Some("VpcLimitExceeded".into()),
            message: "The maximum number of VPCs has been reached.".into(),
            class: ErrorClass::Other,
        };
        let text = err.to_string();
        assert!(text.starts_with("network/vpc: CreateVpc failed: VpcLimitExceeded: The maximum"), "{text}");
        assert!(text.contains("hint: an account quota was reached"), "{text}");
    }
}
