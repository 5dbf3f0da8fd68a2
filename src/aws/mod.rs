//! Everything that touches the AWS SDK directly and is shared by the resource kinds: client set-up (rate
//! limit and call count per service), error classification, the readiness poller and the batching of
//! its looks.

pub mod batch;
mod clients;
pub mod clock;
mod endpoint;
mod error;
mod http;
mod identity;
pub mod kill_switch;
mod poll;
pub mod rate_limit;
mod reads;
mod service;

pub use batch::Batches;
pub use clients::{connect, Aws, ConnectOptions};
pub use endpoint::parse_endpoint_url;
pub use error::{AwsError, ErrorClass, Outcome, Required, ResultExt};
pub use http::ApiCalls;
pub use identity::{check_credentials, check_profile, CredentialsError, Identity};
pub use poll::{poll, poll_in_windows, Look, Plausible, PollPolicy, PollStatus, Schedule};
pub use reads::Reads;
pub use service::Service;
