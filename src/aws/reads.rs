//! Reads that only describe a resource for comparison (its attributes, its scaling policy, its
//! bootstrap script), as opposed to those that find it. A plan needs every one of them: without the
//! answer it would show a change nobody made. Destroy, `status` and `output` do not: a resource is
//! deleted (or its health read) by its id, whatever its attributes. For those commands such a read is
//! optional ([`Reads::lenient`]): its failure (an emulator that lacks the call, a permission the
//! operator was not given) is kept as a warning and the property is left out, instead of stopping a
//! destroy that needs nothing from it.

use std::sync::{Arc, Mutex};

use super::AwsError;

/// How a kind's descriptive reads are treated; strict by default.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    /// `Some` when lenient: the failures skipped so far.
    skipped: Option<Arc<Mutex<Vec<AwsError>>>>,
}

impl Reads {
    /// Failures of descriptive reads are kept (see [`Reads::skipped`]) and the value left out.
    pub fn lenient() -> Reads {
        Reads { skipped: Some(Arc::default()) }
    }

    /// The answer of a descriptive read: its value, or (lenient) `None` with the failure kept.
    pub fn optional<T>(&self, result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
        match (result, &self.skipped) {
            (Ok(value), _) => Ok(Some(value)),
            (Err(err), Some(skipped)) => {
                tracing::info!("skipped a descriptive read: {err}");
                skipped.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(err);
                Ok(None)
            }
            (Err(err), None) => Err(err),
        }
    }

    /// The failures skipped since the last call, each once.
    pub fn skipped(&self) -> Vec<AwsError> {
        match &self.skipped {
            Some(skipped) => std::mem::take(&mut *skipped.lock().unwrap_or_else(std::sync::PoisonError::into_inner)),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> Result<u32, AwsError> {
        Err(AwsError::local("spark/cluster", "GetManagedScalingPolicy", "HTTP 500"))
    }

    #[test]
    fn strict_reads_fail_lenient_ones_are_kept_as_warnings_once() {
        assert!(Reads::default().optional(failed()).is_err());
        assert_eq!(Reads::default().optional(Ok(3)).ok(), Some(Some(3)));
        let lenient = Reads::lenient();
        let copy = lenient.clone();
        assert_eq!(copy.optional(failed()).ok(), Some(None));
        assert_eq!(lenient.optional(Ok(3)).ok(), Some(Some(3)));
        let skipped = lenient.skipped();
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].call, "GetManagedScalingPolicy");
        assert!(lenient.skipped().is_empty(), "each failure is told once");
    }
}
