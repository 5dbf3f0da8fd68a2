//! The resource layer: one module per kind of AWS resource, grouped by the service that serves it. Each
//! kind implements [`ResourceKind`]: how to find the deployment's resources of that kind with a few
//! tag- or name-filtered calls, how to create, update and delete one (waiting where AWS needs time),
//! and the facts about it that planning and scheduling need (its properties and which of them force a
//! replacement, what must be deleted before it, how long AWS takes, how to wait), and what the commands
//! ask of it through its [`Spec`]'s hooks (its price, the changes AWS refuses, what deleting it loses).
//! Beside a kind, its service's `status` module reads its live state for `status`. [`registry::of`] is
//! the one exhaustive list of kinds.
//!
//! Kinds know nothing of each other: a kind reads its own properties (ids of other resources are plain
//! values by then) and, for children such as mount targets, the parent resource discovery hands it.
//! Which resources a topology needs, and how they refer to each other, is the composition's business
//! (`crate::compose`). Kinds never print; they report long waits through [`Progress`].

pub mod autoscaling;
pub mod cloudwatch;
mod discover;
pub mod ec2;
pub mod efs;
pub mod elbv2;
pub mod emr;
mod error;
pub mod facts;
pub mod iam;
pub mod leftovers;
pub mod logs;
pub mod rds;
pub mod registry;
pub mod route53;
pub mod s3;
pub mod secretsmanager;
pub mod sns;
mod support;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::aws::{Aws, PollPolicy, Schedule, Service};
use crate::model::charge::{Charge, Item};
use crate::model::{Actual, Desired, Kind, Op, Prop, Props, Value};

pub use discover::discover_all;
pub use error::Error;
pub use registry::of;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// What every action of a kind returns.
pub type Fut<'a, T> = BoxFuture<'a, Result<T, Error>>;

/// What a kind needs to talk to AWS about one deployment.
#[derive(Clone)]
pub struct Ctx {
    pub aws: Aws,
    pub deployment: String,
    /// What deleting may do to data.
    pub data: DataPolicy,
}

/// What deleting may do to data. The defaults lose nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataPolicy {
    /// Take a final snapshot before deleting the database (`deletion: snapshot`, the default).
    pub db_final_snapshot: bool,
    /// Losing data was asked for explicitly (`--delete-data`): the file system may go, and a database
    /// with `deletion: delete` may go without a snapshot.
    pub delete_data: bool,
}

impl Default for DataPolicy {
    fn default() -> Self {
        DataPolicy { db_final_snapshot: true, delete_data: false }
    }
}

/// A change AWS would refuse to make, found in the plan before anything runs (see [`Spec::refusal`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The property the operator has to write otherwise. Kinds know nothing of the topology: the
    /// composition says where it is written, and the refusal is shown at that place in the file.
    pub prop: &'static Prop,
    /// What AWS refuses, and what to write instead.
    pub message: String,
}

/// Told about long waits, so the user sees what clusterup waits on.
pub trait Progress: Send + Sync {
    fn waiting(&self, seen: &str, waited: Duration);
    /// A deletion has been accepted and the resource does no more work for others, although AWS has not
    /// finished removing it (an EMR cluster told to terminate has cancelled its steps; its instances go
    /// minutes later). Deletions that only need that (a kind's [`Spec::deleted_after_stop`]) may start
    /// now. Said at most once, by delete actions only.
    fn stopped(&self) {}
}

/// How long AWS takes for one action on one resource: the plan's estimate counts `typical`; the
/// simulation benchmark draws from `ready_after` (seconds after the call answers until the resource is
/// usable, or gone; None when it is as soon as the call answers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    pub typical: Duration,
    pub ready_after: Option<(f64, f64)>,
}

impl Latency {
    /// Done when the call answers. The estimate counts a few seconds: an update may make several calls.
    pub const fn at_once(op: Op) -> Latency {
        let typical = match op {
            Op::Update => 5,
            Op::Create | Op::Delete => 2,
        };
        Latency { typical: Duration::from_secs(typical), ready_after: None }
    }

    /// Usable (or gone) `min`..`max` seconds after the call answers, `typical` seconds in all as the
    /// estimate counts it.
    pub const fn waits(typical: u64, min: f64, max: f64) -> Latency {
        Latency { typical: Duration::from_secs(typical), ready_after: Some((min, max)) }
    }
}

/// Which waits of a kind share their Describe calls (`aws::batch`): those of resources waited on at the
/// same time whose looks one call can answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Batching {
    /// Each wait makes its own calls.
    Alone,
    /// One call (named) with every id answers the waits on every resource of the kind.
    ByIds(&'static str),
    /// One call (named) answers the waits on every resource of the kind with the same parent, whose id
    /// is the value of the property (mount targets: one DescribeMountTargets per file system).
    ByParent(&'static str, &'static Prop),
}

/// What clusterup knows about a kind, as data. Every field must be given: a kind cannot be half
/// described.
pub struct Spec {
    pub kind: Kind,
    /// What plans and messages call it: `security group`.
    pub label: &'static str,
    /// Whose API its calls go to.
    pub service: Service,
    /// Every property a resource of this kind can have (the composition may set no other).
    pub props: &'static [&'static Prop],
    /// The kind this one is found through (mount targets through their file system), or None for a kind
    /// found by its own tags or name.
    pub parent: Option<Kind>,
    /// Kinds whose resources must be gone before one of this kind can be deleted, beyond the resources
    /// that name it in a property (AWS's hidden links: a subnet cannot go while instances live in it).
    pub deleted_after: &'static [Kind],
    /// Kinds whose resources must have stopped working (their deletion accepted, see
    /// [`Progress::stopped`]) before one of this kind is deleted; unlike [`Spec::deleted_after`], not
    /// until they are gone.
    pub deleted_after_stop: &'static [Kind],
    /// How to wait for one to become usable, or gone: the looks while readiness is plausible (see
    /// [`Spec::schedule`]).
    pub wait: PollPolicy,
    /// Which waits share a Describe call (see [`Spec::batch_key`]).
    pub batching: Batching,
    /// How long AWS takes for an action (`want` for create and update), with the sources cited.
    pub latency: fn(Op, Option<&Desired>) -> Latency,
    /// What attribute `attr` of `have` will be once an update that changes the properties named in
    /// `changed` is done, when the update changes it (a launch template's new default version); `None`
    /// when it stays as it is. Plans use it for the resources that refer to that attribute.
    pub attrs_after_update: fn(attr: &str, have: &Actual, changed: &[&str]) -> Option<Value>,
    /// What an update from `have` to `want` (references resolved) will do beyond setting properties, in
    /// the operator's words: nodes replaced, an outage, a value AWS leaves alone. Shown under the change
    /// in plans, also for resources with nothing to change.
    pub notes: fn(have: &Actual, want: &Desired) -> Vec<String>,
    /// How long an update of `have` that changes the properties named in `changed` takes, when that
    /// depends on what changes (a new launch template version replaces every node); `None` for `latency`'s
    /// figure.
    pub update_latency: fn(have: &Actual, changed: &[String]) -> Option<Latency>,
    /// What one resource is billed for, from its properties (create-only inputs count) and facts, with
    /// `all` the resources priced with it (an Auto Scaling group's nodes run the instance type of the
    /// launch template it names); `None` for what AWS does not bill by the hour (VPC, subnets, roles).
    pub charge: fn(item: &Item<'_>, all: &[Item<'_>]) -> Option<Charge>,
    /// A change in place from `have` to `want` that AWS would refuse (RDS storage cannot shrink), or
    /// `None`. `want` is as the topology asks, references unresolved: refusals are about the values the
    /// operator writes.
    pub refusal: fn(have: &Actual, want: &Desired) -> Option<Refusal>,
    /// Why deleting `have` (or replacing it, which deletes it first) loses data that `data` does not
    /// allow losing, as the message that refuses the plan; `None` when it may go. The kind's `delete`
    /// checks the same again, so that no other path loses data by accident.
    pub data_guard: fn(have: &Actual, data: DataPolicy) -> Option<String>,
    /// Whether destroy keeps `have` under `data` rather than deleting it (a log group without
    /// `--delete-data`), as the note "Kept:" shows beside it: its size and the command that deletes it;
    /// `None` when destroy deletes it.
    pub kept: fn(have: &Actual, data: DataPolicy) -> Option<String>,
}

impl Spec {
    /// A kind found by its own tags or name, with no hidden links to other kinds; list its properties
    /// with [`Spec::props`]. Whoever reads the kind's module sees every fact about it in one place.
    pub const fn new(
        kind: Kind,
        label: &'static str,
        service: Service,
        wait: PollPolicy,
        latency: fn(Op, Option<&Desired>) -> Latency,
    ) -> Spec {
        Spec {
            kind,
            label,
            service,
            props: &[],
            parent: None,
            deleted_after: &[],
            deleted_after_stop: &[],
            wait,
            batching: Batching::Alone,
            latency,
            attrs_after_update: |_, _, _| None,
            notes: |_, _| Vec::new(),
            update_latency: |_, _| None,
            charge: |_, _| None,
            refusal: |_, _| None,
            data_guard: |_, _| None,
            kept: |_, _| None,
        }
    }

    pub const fn charge(self, charge: fn(&Item<'_>, &[Item<'_>]) -> Option<Charge>) -> Spec {
        Spec { charge, ..self }
    }

    pub const fn refusal(self, refusal: fn(&Actual, &Desired) -> Option<Refusal>) -> Spec {
        Spec { refusal, ..self }
    }

    pub const fn data_guard(self, data_guard: fn(&Actual, DataPolicy) -> Option<String>) -> Spec {
        Spec { data_guard, ..self }
    }

    pub const fn kept(self, kept: fn(&Actual, DataPolicy) -> Option<String>) -> Spec {
        Spec { kept, ..self }
    }

    pub const fn update_latency(self, update_latency: fn(&Actual, &[String]) -> Option<Latency>) -> Spec {
        Spec { update_latency, ..self }
    }

    pub const fn attrs_after_update(self, attrs_after_update: fn(&str, &Actual, &[&str]) -> Option<Value>) -> Spec {
        Spec { attrs_after_update, ..self }
    }

    pub const fn notes(self, notes: fn(&Actual, &Desired) -> Vec<String>) -> Spec {
        Spec { notes, ..self }
    }

    pub const fn props(self, props: &'static [&'static Prop]) -> Spec {
        Spec { props, ..self }
    }

    /// A kind found through `parent` (see [`Spec::parent`]).
    pub const fn child_of(self, parent: Kind) -> Spec {
        Spec { parent: Some(parent), ..self }
    }

    pub const fn deleted_after(self, kinds: &'static [Kind]) -> Spec {
        Spec { deleted_after: kinds, ..self }
    }

    pub const fn deleted_after_stop(self, kinds: &'static [Kind]) -> Spec {
        Spec { deleted_after_stop: kinds, ..self }
    }

    pub const fn batched(self, batching: Batching) -> Spec {
        Spec { batching, ..self }
    }

    /// How to spread the looks of a wait for `op` on a resource (`want` for create and update): the kind's
    /// policy, sparse before its latency range says readiness is plausible. The tool's waits and the
    /// simulation benchmark both wait through it.
    pub fn schedule(&self, op: Op, want: Option<&Desired>) -> Schedule {
        Schedule::expecting(self.wait, (self.latency)(op, want).ready_after)
    }

    /// Which batch of looks a wait on a resource with `props` joins: waits with the same key share one
    /// call per look (`aws::batch`). None: it looks alone (a kind that does not batch, or a child whose
    /// parent is not known).
    pub fn batch_key(&self, props: &Props) -> Option<String> {
        let service = self.service.name();
        match self.batching {
            Batching::Alone => None,
            Batching::ByIds(call) => Some(format!("{service} {call}")),
            Batching::ByParent(call, parent) => {
                props.get(parent.name).and_then(Value::as_str).map(|id| format!("{service} {call} {id}"))
            }
        }
    }

    /// The property called `name`, if this kind has it.
    pub fn prop(&self, name: &str) -> Option<&'static Prop> {
        self.props.iter().copied().find(|p| p.name == name)
    }
}

/// The latency of a kind whose resources are usable (or gone) as soon as the call answers.
pub fn at_once(op: Op, _: Option<&Desired>) -> Latency {
    Latency::at_once(op)
}

/// One kind of AWS resource, implemented once in its own module and listed once in [`registry::of`].
pub trait ResourceKind: Sync + 'static {
    const SPEC: &'static Spec;

    /// Every resource of this kind tagged with the deployment (or, for a child kind, of `parent`).
    fn discover(ctx: &Ctx, parent: Option<&Actual>) -> impl Future<Output = Result<Vec<Actual>, Error>> + Send;
    /// Create `want` (its references already resolved to ids) and wait until it is usable.
    fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress)
        -> impl Future<Output = Result<Actual, Error>> + Send;
    /// Bring `have` in line with `want` in place.
    fn update(
        ctx: &Ctx,
        have: &Actual,
        want: &Desired,
        progress: &dyn Progress,
    ) -> impl Future<Output = Result<Actual, Error>> + Send;
    /// Delete `have` and wait until AWS has let go of it. Deleting what is already gone succeeds.
    fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Any kind, behind one pointer: what the registry hands out to discovery, the engine and the planner.
pub trait AnyKind: Sync {
    fn spec(&self) -> &'static Spec;
    fn latency(&self, op: Op, want: Option<&Desired>) -> Latency {
        (self.spec().latency)(op, want)
    }
    fn discover<'a>(&self, ctx: &'a Ctx, parent: Option<&'a Actual>) -> Fut<'a, Vec<Actual>>;
    fn create<'a>(&self, ctx: &'a Ctx, want: &'a Desired, progress: &'a dyn Progress) -> Fut<'a, Actual>;
    fn update<'a>(
        &self,
        ctx: &'a Ctx,
        have: &'a Actual,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> Fut<'a, Actual>;
    fn delete<'a>(&self, ctx: &'a Ctx, have: &'a Actual, progress: &'a dyn Progress) -> Fut<'a, ()>;
}

impl<K: ResourceKind> AnyKind for K {
    fn spec(&self) -> &'static Spec {
        K::SPEC
    }

    fn discover<'a>(&self, ctx: &'a Ctx, parent: Option<&'a Actual>) -> Fut<'a, Vec<Actual>> {
        Box::pin(K::discover(ctx, parent))
    }

    fn create<'a>(&self, ctx: &'a Ctx, want: &'a Desired, progress: &'a dyn Progress) -> Fut<'a, Actual> {
        Box::pin(K::create(ctx, want, progress))
    }

    fn update<'a>(
        &self,
        ctx: &'a Ctx,
        have: &'a Actual,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> Fut<'a, Actual> {
        Box::pin(K::update(ctx, have, want, progress))
    }

    fn delete<'a>(&self, ctx: &'a Ctx, have: &'a Actual, progress: &'a dyn Progress) -> Fut<'a, ()> {
        Box::pin(K::delete(ctx, have, progress))
    }
}

/// A progress listener that hears nothing, for tests of one kind.
#[cfg(test)]
pub(crate) struct Quiet;

#[cfg(test)]
impl Progress for Quiet {
    fn waiting(&self, _seen: &str, _waited: Duration) {}
}

/// Whether `resources` make a deployment: anything but what destroy keeps (the log groups outlive it),
/// so that `status` and `output` of a destroyed deployment say there is none.
pub fn deployed(resources: &[Actual]) -> bool {
    resources.iter().any(|r| (of(r.kind).spec().kept)(r, DataPolicy::default()).is_none())
}

/// The id of the resource at `address`, if it exists.
pub fn id_of<'a>(resources: &'a [Actual], address: &str) -> Option<&'a str> {
    resources.iter().find(|r| r.address.as_str() == address).map(|r| r.id.as_str())
}

/// Tags as AWS's many tag types want them: key-value pairs from a resource's `tags` property.
pub(crate) fn tag_pairs(want: &Desired) -> BTreeMap<String, String> {
    crate::model::tags::from_value(want.props.get(crate::model::TAGS.name))
}
