use crate::aws::{AwsError, ErrorClass};
use crate::model::PropError;

/// Why an action on a resource failed, each with what the operator can do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// AWS refused or failed a call, or a resource AWS was making ended in a failed state.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// A resource with the deployment's deterministic name exists but is not this deployment's.
    #[error(
        "{name}: a {what} with this name exists but belongs to {owner}; clusterup will not touch it\n  hint: choose another deployment name, or delete or rename that {what}"
    )]
    NotOurs { what: &'static str, name: String, owner: String },
    /// Going on would lose data nobody agreed to lose.
    #[error("{resource}: {reason}\n  hint: {hint}")]
    Refused { resource: String, reason: String, hint: &'static str },
    /// clusterup contradicted itself (a property it always sets was missing, a request it built was
    /// incomplete): a bug, never the operator's fault.
    #[error("{0}\n  hint: this is a bug in clusterup; please report it with the command you ran")]
    Bug(String),
}

impl Error {
    /// Whether AWS answered with an error of this class.
    pub fn is(&self, class: ErrorClass) -> bool {
        matches!(self, Error::Aws(err) if err.is(class))
    }
}

impl From<PropError> for Error {
    fn from(err: PropError) -> Self {
        Error::Bug(err.to_string())
    }
}
