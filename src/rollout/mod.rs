//! The weighted canary rollout (`clusterup rollout FILE --canary 10,50,100`): a new launch template
//! version goes to a second Auto Scaling group behind its own target group, the forward of the group's
//! routes (listeners' default actions or the group's listener rules) shifts the group's share of the
//! traffic to it step by step, each step gated on the canary's health, and the rollout ends
//! with the app group on the new version and the canary gone, or goes back to where it began.
//!
//! Nothing is stored but in AWS: the canary's group and target group carry the deployment's tags (their
//! own addresses, `app/canary/...`, and the version they run), and the routes' weights say which step
//! the rollout reached ([`State`]), so a run that was killed is resumed, or undone, by the next one.
//! `plan` and `apply` see the same state and leave the rollout's resources alone ([`hold`]).
//!
//! Modules: [`steps`] (the `--canary` list, where to resume), [`state`] (where a rollout stands),
//! [`route`] (the routes it moves and the weights of a step), [`hold`]
//! (what plan and apply do meanwhile), [`gate`] (health and 5xx), `forward` (the steps and the end),
//! `undo` (back to where it began).

mod forward;
pub mod gate;
pub mod hold;
pub mod route;
pub mod state;
pub mod steps;
mod undo;

use std::time::Duration;

use crate::compose::Canary;
use crate::model::{Actual, Address};
use crate::resources::Progress;

pub use forward::forward;
pub use hold::{hold, refusal};
pub use state::{template_version, Phase, State};
pub use steps::Steps;
pub use undo::undo;

/// How a rollout goes.
#[derive(Debug, Clone)]
pub struct Options {
    pub steps: Steps,
    /// How long each step is watched before the next.
    pub step_time: Duration,
    /// A step fails when more than this share of the canary's answers are 5xx.
    pub max_5xx_percent: f64,
    /// How long each step's last look waits, after `step_time`, for CloudWatch to publish the step's
    /// last minutes ([`METRICS_DELAY`] by default). The canary keeps its share meanwhile.
    pub metrics_delay: Duration,
    /// Keep a client on the target group (version) it first reached for this long: the topology's
    /// stickiness, so that a session does not bounce between versions. None without stickiness.
    pub sticky: Option<Duration>,
}

/// How long after a minute ends CloudWatch has its load balancer figures: Elastic Load Balancing "measures
/// and sends its metrics in 60-second intervals"
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>),
/// so a step's last minute is sent only once it is over, then published by CloudWatch, which takes
/// a minute or two more (not documented as a bound; the figure monitoring vendors who poll CloudWatch
/// allow for 1-minute metrics, e.g. <https://docs.datadoghq.com/integrations/guide/cloud-metric-delay/>).
/// A step that passed on its last look without this wait would not have counted its last minutes.
pub const METRICS_DELAY: Duration = Duration::from_secs(180);

/// What a rollout is asked to do: the canary to make (its references unresolved), the deployment's
/// resources as discovered, and where it stands.
pub struct Input<'a> {
    pub canary: &'a Canary,
    pub known: &'a [Actual],
    pub state: &'a State,
}

/// How a run ended without an error of its own.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every node of the app group runs `version`; the canary is gone; the group's routes forward what
    /// the topology composes for them again.
    Done { version: String, nodes: usize },
    /// The canary failed a step (or a call failed on the way): traffic went back to the app group at
    /// once, the canary was deleted and the launch template's default version put back.
    RolledBack { version: String, reason: String },
    /// Asked to stop (Ctrl-C) at a safe point: the canary keeps this share until the next run.
    Stopped { percent: u32 },
}

/// What a rollout tells whoever runs it; the command prints it, tests record it.
#[derive(Debug)]
pub enum Event<'a> {
    /// What it does now, in the operator's words: `creating the canary group shop-canary (2 nodes, v4)`.
    Doing(&'a str),
    /// A long wait for AWS goes on (nodes booting, an instance refresh).
    Waiting { address: &'a Address, seen: &'a str, waited: Duration },
    /// One look at the canary during a step: its share, what the gate saw, how long the step still runs,
    /// and whether only CloudWatch's last minutes are still awaited (the step time is over).
    Watched { percent: u32, reading: &'a gate::Reading, left: Duration, awaiting_metrics: bool },
}

pub trait Hook: Send + Sync {
    fn event(&self, event: &Event<'_>);
}

/// A resource kind's long waits, told to the hook.
struct Waits<'a> {
    hook: &'a dyn Hook,
    address: Address,
}

impl Progress for Waits<'_> {
    fn waiting(&self, seen: &str, waited: Duration) {
        self.hook.event(&Event::Waiting { address: &self.address, seen, waited });
    }
}

/// Why a rollout could not go on, beyond what a resource's own error says.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Resource(#[from] crate::resources::Error),
    /// The rollout failed and so did going back: the deployment is between the two.
    #[error(
        "the rollout failed ({cause}), and undoing it failed too: {undo}\n  hint: traffic may still reach the canary; run `clusterup rollout {topology} --rollback` to finish undoing it"
    )]
    UndoFailed { cause: String, undo: Box<crate::resources::Error>, topology: String },
    /// Not possible in this state; the message says why and what to do instead.
    #[error("{0}")]
    Refused(String),
}

impl From<crate::aws::AwsError> for Error {
    fn from(err: crate::aws::AwsError) -> Self {
        Error::Resource(err.into())
    }
}

impl From<crate::model::PropError> for Error {
    fn from(err: crate::model::PropError) -> Self {
        Error::Resource(err.into())
    }
}
