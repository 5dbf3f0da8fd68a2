//! What the engine acts through. The tool's backend is AWS, each resource handled by its kind's module;
//! the simulation benchmark plugs in simulated services, so it measures this same engine.

use crate::model::{Actual, Desired};
use crate::resources::{registry, Ctx, Fut, Progress};

/// Creates, updates and deletes one resource at a time, waiting until AWS is done with it.
pub trait Backend: Send + Sync {
    /// Create `want` (its references already resolved to ids) and wait until it is usable.
    fn create<'a>(&'a self, want: &'a Desired, progress: &'a dyn Progress) -> Fut<'a, Actual>;
    /// Bring `have` in line with `want` in place.
    fn update<'a>(&'a self, have: &'a Actual, want: &'a Desired, progress: &'a dyn Progress) -> Fut<'a, Actual>;
    /// Delete `have` and wait until AWS has let go of it.
    fn delete<'a>(&'a self, have: &'a Actual, progress: &'a dyn Progress) -> Fut<'a, ()>;
}

/// AWS itself: each resource goes to its kind.
impl Backend for Ctx {
    fn create<'a>(&'a self, want: &'a Desired, progress: &'a dyn Progress) -> Fut<'a, Actual> {
        registry::of(want.kind).create(self, want, progress)
    }

    fn update<'a>(&'a self, have: &'a Actual, want: &'a Desired, progress: &'a dyn Progress) -> Fut<'a, Actual> {
        registry::of(want.kind).update(self, have, want, progress)
    }

    fn delete<'a>(&'a self, have: &'a Actual, progress: &'a dyn Progress) -> Fut<'a, ()> {
        registry::of(have.kind).delete(self, have, progress)
    }
}
