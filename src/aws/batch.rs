//! Batched looks: one Describe call answers every wait that wants a look at about the same moment.
//!
//! Two NAT gateways created together are waited on by two pollers; looking at each with its own
//! DescribeNatGateways costs two calls per round where one call naming both ids gives the same answer.
//! A [`Batch`] is that one call: each wait asks it for a look at its id within its [`Look`] window (the
//! jitter's range), and one call is made when the first window closes, for every id whose window is open
//! by then. A wait alone is looked at exactly when it would have looked by itself.
//!
//! - **Freshness**: an answer always comes from a call that started within the asker's window, never from
//!   an earlier one.
//! - **Per id, not per call**: an id the answer does not list is absent (`None`), for the asker to judge
//!   (not visible yet after a create, gone after a delete). A call that fails as not found for several
//!   ids (EC2 refuses a whole request for one unknown id) is made again for each id alone, so one id's
//!   absence never fails the others. Any other failure of the call is every asker's failure, each
//!   reported against its own resource.
//! - **Cancellation**: the call runs in a task of its own, so an asker that stops waiting (its action
//!   cancelled) neither cancels the call for the others nor leaves them without an answer; its request is
//!   dropped before the next call. When nobody waits any more the task ends; the next look starts another.
//!
//! [`Batches`] holds one batch per key (the kind's call, and its parent for children such as mount
//! targets) for the life of the clients: `resources::Spec::batch_key` says which waits share one.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use super::{AwsError, ErrorClass, Look};

/// What one call answered: the resources it listed, by id.
pub type Answers<T> = BTreeMap<String, T>;

/// The future of one call.
pub type CallFuture<T> = Pin<Box<dyn Future<Output = Result<Answers<T>, AwsError>> + Send>>;

/// One Describe call for the ids given: every resource it lists, by id.
pub type BatchCall<T> = Arc<dyn Fn(Vec<String>) -> CallFuture<T> + Send + Sync>;

/// What one asker gets: the resource as the call listed it, or None when it did not.
pub type Answer<T> = Result<Option<T>, AwsError>;

/// One call shared by the waits that look at about the same time (see the module's documentation).
pub struct Batch<T> {
    /// The API operation, for errors.
    name: &'static str,
    call: BatchCall<T>,
    state: Mutex<State<T>>,
    /// Told when a request arrives, so the driving task sees a window that closes sooner.
    arrived: Notify,
}

struct State<T> {
    waiting: Vec<Request<T>>,
    /// A task is making the calls.
    driving: bool,
}

struct Request<T> {
    id: String,
    resource: String,
    look: Look,
    answer: oneshot::Sender<Answer<T>>,
}

impl<T: Clone + Send + 'static> Batch<T> {
    /// A batch of `name` calls made with `call`.
    pub fn new(name: &'static str, call: BatchCall<T>) -> Arc<Self> {
        Arc::new(Batch {
            name,
            call,
            state: Mutex::new(State { waiting: Vec::new(), driving: false }),
            arrived: Notify::new(),
        })
    }

    /// Look at `id` (the resource at `resource`) once, within `look`'s window: what a call made within it
    /// answered about `id`.
    pub async fn look(self: &Arc<Self>, id: &str, resource: &str, look: Look) -> Answer<T> {
        let (answer, answered) = oneshot::channel();
        let start_driving = {
            let mut state = self.lock();
            state.waiting.push(Request { id: id.to_owned(), resource: resource.to_owned(), look, answer });
            !std::mem::replace(&mut state.driving, true)
        };
        if start_driving {
            tokio::spawn(drive(self.clone()));
        } else {
            self.arrived.notify_one();
        }
        answered.await.unwrap_or_else(|_| {
            Err(AwsError::local(
                resource,
                self.name,
                "the shared look stopped before it answered (a bug in clusterup); re-run the same command",
            ))
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic elsewhere cannot leave the list half-changed: every change is one push or one drain.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Make the call for `ids`, and what it says about each.
    async fn answer(&self, ids: Vec<String>) -> BTreeMap<String, Answer<T>> {
        match (self.call)(ids.clone()).await {
            Ok(found) => ids.into_iter().map(|id| (id.clone(), Ok(found.get(&id).cloned()))).collect(),
            Err(err) if err.is(ErrorClass::NotFound) && ids.len() > 1 => {
                let mut answers = BTreeMap::new();
                for id in ids {
                    let answer = match (self.call)(vec![id.clone()]).await {
                        Ok(mut found) => Ok(found.remove(&id)),
                        Err(err) if err.is(ErrorClass::NotFound) => Ok(None),
                        Err(err) => Err(err),
                    };
                    answers.insert(id, answer);
                }
                answers
            }
            Err(err) if err.is(ErrorClass::NotFound) => ids.into_iter().map(|id| (id, Ok(None))).collect(),
            Err(err) => ids.into_iter().map(|id| (id, Err(copy_of(&err)))).collect(),
        }
    }
}

/// Clears the batch when its driving task ends early (a panic in a call): the requests left are dropped,
/// so their askers get an error instead of waiting forever, and the next look starts a new task.
struct Driving<T: Clone + Send + 'static> {
    batch: Arc<Batch<T>>,
    /// Still to clear up: the task has not ended the ordinary way.
    armed: bool,
}

impl<T: Clone + Send + 'static> Drop for Driving<T> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.batch.lock();
            state.waiting.clear();
            state.driving = false;
        }
    }
}

/// Make the calls while anyone waits: each when the first open request's window closes, for every
/// request whose window is open by then.
async fn drive<T: Clone + Send + 'static>(batch: Arc<Batch<T>>) {
    let mut driving = Driving { batch: batch.clone(), armed: true };
    loop {
        let due = {
            let mut state = batch.lock();
            state.waiting.retain(|r| !r.answer.is_closed());
            match state.waiting.iter().map(|r| r.look.due).min() {
                Some(due) => due,
                // Nobody waits: stop, under the same lock a new request takes, so that it starts a new task.
                None => {
                    state.driving = false;
                    driving.armed = false;
                    return;
                }
            }
        };
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            // A new request may close sooner: look again.
            () = batch.arrived.notified() => continue,
        }
        let now = Instant::now();
        let taken: Vec<Request<T>> = {
            let mut state = batch.lock();
            state.waiting.retain(|r| !r.answer.is_closed());
            // The request that was due may have stopped waiting meanwhile: then wait for the next one.
            if !state.waiting.iter().any(|r| r.look.due <= now) {
                continue;
            }
            let (taken, later) = std::mem::take(&mut state.waiting).into_iter().partition(|r| r.look.open <= now);
            state.waiting = later;
            taken
        };
        let ids: BTreeSet<&str> = taken.iter().map(|r| r.id.as_str()).collect();
        let answers = batch.answer(ids.into_iter().map(str::to_owned).collect()).await;
        for request in taken {
            let answer = match answers.get(&request.id) {
                Some(Ok(found)) => Ok(found.clone()),
                Some(Err(err)) => Err(AwsError { resource: request.resource.clone(), ..copy_of(err) }),
                None => {
                    Err(AwsError::local(&request.resource, batch.name, "no answer for this id (a bug in clusterup)"))
                }
            };
            // An asker that stopped waiting meanwhile needs no answer.
            let _ = request.answer.send(answer);
        }
    }
}

fn copy_of(err: &AwsError) -> AwsError {
    AwsError {
        resource: err.resource.clone(),
        call: err.call,
        code: err.code.clone(),
        message: err.message.clone(),
        class: err.class,
    }
}

/// The batches of one set of clients, by key (see `resources::Spec::batch_key`).
#[derive(Clone, Default)]
pub struct Batches(Arc<Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>>);

impl Batches {
    /// The batch waits with `key` share, made with `call` if there is none yet. Without a key (a wait that
    /// shares with nobody) a batch of its own.
    pub fn get<T: Clone + Send + 'static>(
        &self,
        key: Option<String>,
        name: &'static str,
        call: impl FnOnce() -> BatchCall<T>,
    ) -> Arc<Batch<T>> {
        let Some(key) = key else { return Batch::new(name, call()) };
        let mut batches = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // One key is always one call, hence one answer type; should that ever differ, the newer batch
        // replaces the other (its waits keep theirs): correct, only less shared.
        if let Some(batch) = batches.get(&key).and_then(|b| b.clone().downcast::<Batch<T>>().ok()) {
            return batch;
        }
        let batch = Batch::new(name, call());
        batches.insert(key, batch.clone());
        batch
    }
}

impl fmt::Debug for Batches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let batches = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_set().entries(batches.keys()).finish()
    }
}

#[cfg(test)]
mod tests;
