//! Everything that touches the AWS SDK directly and is shared by the resource families: client set-up,
//! error classification and the readiness poller.

mod clients;
pub mod clock;
mod endpoint;
mod error;
mod http;
mod identity;
pub mod kill_switch;
mod poll;
pub mod rate_limit;

pub use clients::{connect, Aws, ConnectOptions};
pub use endpoint::parse_endpoint_url;
pub use error::{built, AwsError, ErrorClass, Outcome, ResultExt};
pub use http::ApiCalls;
pub use identity::{check_credentials, CredentialsError, Identity};
pub use poll::{poll, PollPolicy, PollStatus};
