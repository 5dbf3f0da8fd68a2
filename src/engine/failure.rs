use crate::model::Address;
use crate::resources;

/// Why one action of a plan did not get done, each with what the operator can do about it.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The action itself failed (AWS refused, a wait failed, data would be lost).
    #[error(transparent)]
    Action(#[from] resources::Error),
    /// A property refers to a resource that is not there: the plan no longer matches AWS.
    #[error(
        "{address}: its property `{property}` refers to a resource that does not exist\n  hint: run `clusterup plan` to see why, then apply again"
    )]
    Unresolved { address: Address, property: String },
    /// Actions wait on each other: the plan's dependency rules are wrong.
    #[error(
        "{address}: waits in a dependency cycle among {among}\n  hint: this is a bug in clusterup; please report it with the plan"
    )]
    Cycle { address: Address, among: String },
    /// The action stopped in the middle (it panicked).
    #[error(
        "{address}: the action stopped unexpectedly: {message}\n  hint: this is a bug in clusterup; please report it"
    )]
    Panicked { address: Address, message: String },
}

impl Failure {
    /// The call the endpoint does not implement, if that is why the action failed: running again fails
    /// the same way.
    pub fn not_implemented_call(&self) -> Option<&'static str> {
        match self {
            Failure::Action(resources::Error::Aws(err)) if err.is(crate::aws::ErrorClass::NotImplemented) => {
                Some(err.call)
            }
            _ => None,
        }
    }
}
