//! Everything that touches the AWS SDK directly and is shared by the resource kinds: client set-up (rate
//! limit and call count per service), error classification and the readiness poller.

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

pub use clients::{connect, Aws, ConnectOptions};
pub use endpoint::parse_endpoint_url;
pub use error::{AwsError, ErrorClass, Outcome, Required, ResultExt};
pub use http::ApiCalls;
pub use identity::{check_credentials, check_profile, CredentialsError, Identity};
pub use poll::{poll, PollPolicy, PollStatus};
pub use reads::Reads;
pub use service::Service;
