//! AWS errors for people: which resource, which call, AWS's code and message, and what to do next.

use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The endpoint (`scheme://host:port`) a response came from. The HTTP layer (`http::Metered`), the
/// only place that sees both the request and its response, attaches it to every response, so that an
/// error AWS did not explain can at least say where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint(pub String);

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
    /// The endpoint does not implement the call (an emulator's gap: HTTP 501, a `NotImplemented` code,
    /// or a message saying so). Re-running gets the same answer.
    NotImplemented,
    /// A network failure, timeout or 5xx; the SDK has retried already.
    Transient,
    /// Credentials missing, expired or not allowed to make the call.
    Auth,
    /// An IAM role or instance profile made seconds ago is not visible yet to the service that was
    /// handed it (IAM is eventually consistent); the same call succeeds a little later.
    NotYetVisible,
    /// The answer lacks a field AWS always returns: not AWS, or an emulator that does not implement the
    /// call fully. Never read as an empty value, which would show as a change nobody made.
    Incomplete,
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

    /// AWS's code and message as `Code: message`; the message alone when the answer had no code (an
    /// emulator's bare 500, a timeout), which the message then says.
    pub fn code_and_message(&self) -> String {
        match &self.code {
            Some(code) => format!("{code}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// What the operator can do about it.
    pub fn hint(&self) -> String {
        match self.class {
            ErrorClass::Auth => format!(
                "check the AWS credentials (profile, environment, SSO session) and that they allow {}",
                self.call
            ),
            ErrorClass::NotImplemented => format!(
                "the endpoint does not implement {}, so re-running will not help. AWS itself does; on an emulator \
                 (LocalStack, moto) see docs/localstack.md for what it lacks, or run against AWS",
                self.call
            ),
            // A 5xx without an AWS error code is not how AWS answers (its 5xx carry InternalError or
            // ServiceUnavailable): an emulator's crash, or a proxy in between.
            ErrorClass::Transient if self.code.is_none() && self.message.starts_with("HTTP 5") => format!(
                "the endpoint answered {} with a server error but no AWS error code, which AWS does not do: if it is \
                 an emulator, it probably does not implement the call (its log says), and re-running will not help; \
                 if it is AWS behind a proxy, re-run the same command to resume where it stopped",
                self.call
            ),
            ErrorClass::Throttled | ErrorClass::Transient | ErrorClass::NotYetVisible => {
                "AWS did not answer after several retries; re-run the same command to resume where it stopped".into()
            }
            ErrorClass::DependencyViolation => format!(
                "something still uses {}; if it is not managed by clusterup, remove it (or its reference) and re-run",
                self.resource
            ),
            ErrorClass::Incomplete => format!(
                "the endpoint answered {} without a field AWS always returns; if it is an emulator, it does not \
                 implement this call fully (see docs/localstack.md), otherwise re-run, and report it if it repeats",
                self.call
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
        write!(f, "{}: {} failed: {}", self.resource, self.call, self.code_and_message())?;
        write!(f, "\n  hint: {}", self.hint())
    }
}

/// The answers of services handed an IAM role or instance profile they cannot see yet. They have no code
/// of their own, only these messages under a generic validation code, so the message is all there is to
/// go by (Terraform's AWS provider retries on the same texts, for up to two minutes).
const IAM_NOT_YET_VISIBLE: &[(&str, &str)] = &[
    // EMR RunJobFlow, right after CreateInstanceProfile / AddRoleToInstanceProfile.
    ("ValidationException", "Invalid InstanceProfile"),
    ("AccessDeniedException", "Failed to authorize instance profile"),
    // Auto Scaling CreateAutoScalingGroup / UpdateAutoScalingGroup, validating the launch template.
    ("ValidationError", "Invalid IAM Instance Profile"),
    // EC2 RunInstances and the like.
    ("InvalidParameterValue", "Invalid IAM Instance Profile"),
];

fn iam_not_yet_visible(code: &str, message: &str) -> bool {
    IAM_NOT_YET_VISIBLE.iter().any(|(c, text)| *c == code && message.contains(text))
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
        // Route 53.
        "NoSuchHostedZone" => ErrorClass::NotFound,
        "HostedZoneNotEmpty" => ErrorClass::DependencyViolation,
        // S3.
        "NoSuchBucket" | "NoSuchKey" | "NoSuchTagSet" | "NoSuchTagSetError" => ErrorClass::NotFound,
        "BucketAlreadyOwnedByYou" => ErrorClass::AlreadyExists,
        // Secrets Manager: a secret of that name exists.
        "ResourceExistsException" => ErrorClass::AlreadyExists,
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
        "NotImplemented" | "NotImplementedException" => ErrorClass::NotImplemented,
        "InternalError" | "InternalFailure" | "ServiceUnavailable" | "Unavailable" => ErrorClass::Transient,
        _ => ErrorClass::Other,
    }
}

/// Whether an answer says the endpoint lacks the call: LocalStack answers `501` with "... not yet
/// implemented or pro feature", moto's responses (where they reach the client) say "has not been
/// implemented". AWS itself never does: it implements every operation of its model.
fn says_not_implemented(status: u16, message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    status == 501 || message.contains("not yet implemented") || message.contains("has not been implemented")
}

/// A field of an AWS answer that AWS always returns, read strictly: its absence is an error naming the call
/// and the field, never a default (`""`, `0`) that a diff would then report as a change.
pub trait Required<T> {
    fn required(self, call: &'static str, field: &'static str, resource: &str) -> Result<T, AwsError>;
}

impl<T> Required<T> for Option<T> {
    fn required(self, call: &'static str, field: &'static str, resource: &str) -> Result<T, AwsError> {
        self.ok_or_else(|| AwsError {
            resource: resource.to_owned(),
            call,
            code: None,
            message: format!("the answer has no {field}"),
            class: ErrorClass::Incomplete,
        })
    }
}

/// Readings of a classified result that every kind needs.
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

impl<T, E> ResultExt<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn call(self, call: &'static str, resource: &str) -> Result<T, AwsError> {
        self.map_err(|err| from_sdk(err, call, resource))
    }
}

pub(crate) fn from_sdk<E>(err: SdkError<E, HttpResponse>, call: &'static str, resource: &str) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (code, message, class) = match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let code = inner.code().map(str::to_owned);
            match (&code, inner.message()) {
                (Some(code), message) => {
                    let message = message.unwrap_or("(AWS sent no message)").to_owned();
                    let class = if iam_not_yet_visible(code, &message) {
                        ErrorClass::NotYetVisible
                    } else if says_not_implemented(service.raw().status().as_u16(), &message) {
                        ErrorClass::NotImplemented
                    } else {
                        classify_code(code)
                    };
                    (Some(code.clone()), message, class)
                }
                // No code to go by (an empty 500, a proxy's HTML page): say what did arrive, and from where.
                (None, message) => {
                    let raw = service.raw();
                    let mut text = unexplained(raw);
                    if let Some(message) = message {
                        text = format!("{message} ({text})");
                    }
                    let status = raw.status().as_u16();
                    let class = if says_not_implemented(status, &text) {
                        ErrorClass::NotImplemented
                    } else {
                        classify_status(status)
                    };
                    (None, text, class)
                }
            }
        }
        SdkError::TimeoutError(_) => (None, "request timed out".to_owned(), ErrorClass::Transient),
        SdkError::DispatchFailure(failure) => {
            let class = if failure.is_io() || failure.is_timeout() { ErrorClass::Transient } else { ErrorClass::Other };
            let message = format!("could not reach AWS: {}", source_chain(&err));
            // Credentials are checked before anything else is asked (aws::check_credentials); this is the
            // rarer case of credentials that stop working during a run (an SSO session that expires).
            if caused_by_credentials(&err) {
                (None, format!("{message} (the AWS credentials stopped working)"), ErrorClass::Auth)
            } else {
                (None, message, class)
            }
        }
        SdkError::ResponseError(_) => {
            (None, format!("unreadable response: {}", source_chain(&err)), ErrorClass::Transient)
        }
        _ => (None, source_chain(&err), ErrorClass::Other),
    };
    AwsError { resource: resource.to_owned(), call, code, message, class }
}

/// An answer without an AWS error code: its status, where it came from, and its body if it has one.
fn unexplained(raw: &HttpResponse) -> String {
    let status = raw.status().as_u16();
    // No endpoint recorded (an answer that did not come through clusterup's HTTP client): nothing to name.
    let from = raw.extension::<Endpoint>().map(|e| format!(" from {}", e.0)).unwrap_or_default();
    let body = match raw.body().bytes() {
        None | Some([]) => "an empty body".to_owned(),
        Some(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = text.chars().take(200).collect();
            let more = if short.len() < text.len() { "..." } else { "" };
            format!("this body: {short}{more}")
        }
    };
    format!("HTTP {status}{from}, with no AWS error code and {body}")
}

/// What a status says when there is no error code to classify.
fn classify_status(status: u16) -> ErrorClass {
    match status {
        401 | 403 => ErrorClass::Auth,
        429 => ErrorClass::Throttled,
        500..=599 => ErrorClass::Transient,
        _ => ErrorClass::Other,
    }
}

/// The SDK's top-level Display is terse ("dispatch failure"); the cause is further down the chain.
/// Whether a credentials provider's failure is among the causes of `err`: the SDK reports credentials it
/// cannot load as a dispatch failure caused by the provider's own error type.
fn caused_by_credentials(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(current) = cause {
        if current.is::<aws_credential_types::provider::error::CredentialsError>() {
            return true;
        }
        cause = current.source();
    }
    false
}

pub(crate) fn source_chain(err: &dyn std::error::Error) -> String {
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

    /// An error whose cause is a credentials provider's failure, the way the SDK wraps one.
    #[derive(Debug)]
    struct Dispatch(aws_credential_types::provider::error::CredentialsError);

    impl fmt::Display for Dispatch {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("dispatch failure")
        }
    }

    impl std::error::Error for Dispatch {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn credential_failures_are_found_by_their_type_not_their_text() {
        let missing = aws_credential_types::provider::error::CredentialsError::not_loaded("no providers in chain");
        assert!(caused_by_credentials(&Dispatch(missing)));
        let unrelated = std::io::Error::other("could not load credentials file");
        assert!(!caused_by_credentials(&unrelated), "a message that mentions credentials is not enough");
    }

    #[test]
    fn iam_roles_not_yet_visible_are_told_from_real_validation_errors() {
        assert!(iam_not_yet_visible(
            "ValidationException",
            "Invalid InstanceProfile: arn:aws:iam::1:instance-profile/x."
        ));
        assert!(iam_not_yet_visible(
            "ValidationError",
            "You must use a valid fully-formed launch template. Invalid IAM Instance Profile name"
        ));
        assert!(!iam_not_yet_visible("ValidationException", "Invalid release label emr-9.9.9"));
        assert!(!iam_not_yet_visible("InvalidParameterValue", "Invalid value for instanceType"));
    }

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

    /// An answer with an AWS error code, as the SDK reads one.
    fn coded_error(status: u16, code: &str, message: &str) -> AwsError {
        use aws_sdk_autoscaling::operation::update_auto_scaling_group::UpdateAutoScalingGroupError;
        use aws_smithy_types::body::SdkBody;
        let raw = HttpResponse::new(status.try_into().expect("status"), SdkBody::from(""));
        let meta = aws_smithy_types::error::ErrorMetadata::builder().code(code).message(message).build();
        let err = UpdateAutoScalingGroupError::generic(meta);
        from_sdk(SdkError::service_error(err, raw), "UpdateAutoScalingGroup", "app/auto-scaling-group")
    }

    #[test]
    fn a_call_the_endpoint_lacks_is_not_transient_and_its_hint_does_not_say_re_run() {
        // LocalStack: 501 and "not yet implemented"; a plain 501; a NotImplemented code.
        for err in [
            coded_error(
                501,
                "InternalFailure",
                "API action 'GetManagedScalingPolicy' for service 'emr' not yet implemented or pro feature",
            ),
            service_error(501, "", None),
            coded_error(400, "NotImplemented", "A header you provided implies functionality that is not implemented"),
        ] {
            assert_eq!(err.class, ErrorClass::NotImplemented, "{err}");
            let hint = err.hint();
            assert!(hint.contains("does not implement UpdateAutoScalingGroup"), "{hint}");
            assert!(hint.contains("re-running will not help"), "{hint}");
            assert!(!hint.contains("resume"), "{hint}");
        }
        // AWS's own server errors stay transient: they carry a code.
        assert_eq!(coded_error(500, "InternalFailure", "try again").class, ErrorClass::Transient);
        assert!(coded_error(500, "InternalFailure", "try again").hint().contains("resume"));
    }

    #[test]
    fn a_server_error_without_a_code_says_an_emulator_may_lack_the_call() {
        let hint = service_error(500, "<html><title>500 Internal Server Error</title></html>", None).hint();
        assert!(hint.contains("no AWS error code, which AWS does not do"), "{hint}");
        assert!(hint.contains("probably does not implement the call"), "{hint}");
    }

    fn service_error(status: u16, body: &'static str, endpoint: Option<&str>) -> AwsError {
        use aws_sdk_autoscaling::operation::update_auto_scaling_group::UpdateAutoScalingGroupError;
        use aws_smithy_types::body::SdkBody;
        let mut raw = HttpResponse::new(status.try_into().expect("status"), SdkBody::from(body));
        if let Some(endpoint) = endpoint {
            raw.add_extension(Endpoint(endpoint.to_owned()));
        }
        // What the SDK makes of an answer it cannot read an error code from.
        let err = UpdateAutoScalingGroupError::generic(aws_smithy_types::error::ErrorMetadata::builder().build());
        from_sdk(SdkError::service_error(err, raw), "UpdateAutoScalingGroup", "app/auto-scaling-group")
    }

    #[test]
    fn an_empty_server_error_says_status_missing_code_and_endpoint() {
        let err = service_error(500, "", Some("http://127.0.0.1:4566"));
        assert_eq!(err.message, "HTTP 500 from http://127.0.0.1:4566, with no AWS error code and an empty body");
        assert_eq!((err.code.as_deref(), err.class), (None, ErrorClass::Transient));
        assert!(err.to_string().starts_with("app/auto-scaling-group: UpdateAutoScalingGroup failed: HTTP 500 from"));
        // A body is shown, shortened, and a 403 without a code is still about permissions.
        let err = service_error(403, "<html>\n  <body>Forbidden by proxy</body>\n</html>", None);
        assert_eq!(
            err.message,
            "HTTP 403, with no AWS error code and this body: <html> <body>Forbidden by proxy</body> </html>"
        );
        assert_eq!(err.class, ErrorClass::Auth);
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
