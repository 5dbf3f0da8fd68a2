//! Crash testing, in debug (test) builds only: `CLUSTERUP_KILL_AFTER=<k>` aborts the process right after
//! the k-th mutating AWS call has returned successfully, and `CLUSTERUP_KILL_AFTER=<Operation>` (e.g.
//! `RunJobFlow`) right after the first successful call of that operation. Nothing is recorded or cleaned
//! up: the same as `kill -9` at the worst moment, when AWS has done something clusterup never heard of.
//! Release builds ignore the variable.

use std::sync::atomic::{AtomicUsize, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

pub const VARIABLE: &str = "CLUSTERUP_KILL_AFTER";

/// Mutating calls made so far, across every client of the process.
static MUTATING_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone, PartialEq)]
enum Target {
    Nth(usize),
    Operation(String),
}

#[derive(Debug, Clone)]
pub struct KillSwitch {
    target: Target,
}

impl KillSwitch {
    /// The switch the environment asks for, in a debug build.
    pub fn from_env() -> Option<KillSwitch> {
        if !cfg!(debug_assertions) {
            return None;
        }
        let value = std::env::var(VARIABLE).ok()?;
        let target = match value.parse::<usize>() {
            Ok(n) => Target::Nth(n),
            Err(_) => Target::Operation(value),
        };
        Some(KillSwitch { target })
    }
}

/// Reads (Describe*, List*, Get*, Head*) change nothing; every other operation does.
pub fn is_mutating(operation: &str) -> bool {
    !["Describe", "List", "Get", "Head"].iter().any(|prefix| operation.starts_with(prefix))
}

impl Intercept for KillSwitch {
    fn name(&self) -> &'static str {
        "KillSwitch"
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(operation) = cfg.load::<Metadata>().map(|m| m.name().to_owned()) else { return Ok(()) };
        let succeeded = matches!(context.output_or_error(), Some(Ok(_)));
        if !succeeded || !is_mutating(&operation) {
            return Ok(());
        }
        let count = MUTATING_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        let hit = match &self.target {
            Target::Nth(n) => count == *n,
            Target::Operation(name) => *name == operation,
        };
        if hit {
            // The one print outside the output module: the process is about to die without unwinding,
            // and the crash tests look for this line.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("clusterup: {VARIABLE}: aborting after mutating call {count} ({operation})");
            }
            std::process::abort();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_not_mutating() {
        for read in ["DescribeVpcs", "ListClusters", "GetRole", "HeadObject"] {
            assert!(!is_mutating(read), "{read}");
        }
        for write in ["RunJobFlow", "CreateVpc", "PutObject", "TerminateJobFlows", "AuthorizeSecurityGroupIngress"] {
            assert!(is_mutating(write), "{write}");
        }
    }
}
