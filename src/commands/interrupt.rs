//! Ctrl-C, for every command. clusterup takes SIGINT over as soon as it starts:
//!
//! - a command that is not long-running (validate, plan, output, ...) ends at once, exit 130, as
//!   without a handler;
//! - a long-running one (apply, destroy, rollout, `status --watch`, `logs --follow`, `spark submit`,
//!   `exec`) says so with [`Interrupt::graceful`]: the first Ctrl-C stops it within a second, wherever it
//!   is (a read, the prompt, a wait, a call in flight), with its usual message on how to resume; a second
//!   one exits at once.
//!
//! The stop is one [`StopSignal`], shared with the printer, which stops it too when a reader closes
//! stdout or stderr. Every await of a long-running command either selects on it ([`until_stopped`]) or
//! belongs to the engine, which gives the actions in flight `engine::GRACE` and abandons the rest.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;

use crate::engine::StopSignal;

pub(crate) struct Interrupt {
    stop: StopSignal,
    graceful: Arc<AtomicBool>,
}

impl Interrupt {
    /// Take SIGINT over for the rest of the process; must run inside the runtime. Signals are recorded
    /// from this call on, so none is lost however busy the command is when it comes.
    pub fn install(stop: StopSignal) -> Interrupt {
        let graceful = Arc::new(AtomicBool::new(false));
        let (on_signal, is_graceful) = (stop.clone(), graceful.clone());
        let handle = move |count: u32| {
            if count == 1 && is_graceful.load(Ordering::SeqCst) {
                on_signal.stop();
            } else {
                std::process::exit(130);
            }
        };
        #[cfg(unix)]
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
            Ok(mut signals) => {
                tokio::spawn(async move {
                    let mut count = 0;
                    while signals.recv().await.is_some() {
                        count += 1;
                        handle(count);
                    }
                });
            }
            // The default disposition stays: Ctrl-C ends the process at once.
            Err(err) => tracing::warn!("cannot handle Ctrl-C ({err}); it will end clusterup at once"),
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            let mut count = 0;
            while tokio::signal::ctrl_c().await.is_ok() {
                count += 1;
                handle(count);
            }
        });
        Interrupt { stop, graceful }
    }

    /// The command stops on its own at the first Ctrl-C (the signal returned); a second one exits.
    pub fn graceful(&self) -> StopSignal {
        self.graceful.store(true, Ordering::SeqCst);
        self.stop.clone()
    }
}

/// `work`'s result, or `None` if a stop comes first; `work` is then dropped where it stands, which is
/// safe for reads and for anything tags make findable again.
pub(super) async fn until_stopped<T>(stop: &StopSignal, work: impl Future<Output = Result<T>>) -> Result<Option<T>> {
    tokio::select! {
        biased;
        () = stop.stopped() => Ok(None),
        done = work => done.map(Some),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn work_is_dropped_at_a_stop_and_finishes_without_one() {
        let stop = StopSignal::default();
        let slow = async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(1)
        };
        let stopper = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            stopper.stop();
        });
        let started = tokio::time::Instant::now();
        assert_eq!(until_stopped(&stop, slow).await.ok(), Some(None));
        assert!(started.elapsed() < Duration::from_secs(1));
        // Already stopped: nothing runs.
        assert_eq!(until_stopped(&stop, async { Ok(2) }).await.ok(), Some(None));
        assert_eq!(until_stopped(&StopSignal::default(), async { Ok(3) }).await.ok(), Some(Some(3)));
    }
}
