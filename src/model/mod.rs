//! The resources a deployment is made of, as data: what the topology asks for ([`Desired`]) and what AWS
//! holds ([`Actual`]), both keyed by a stable [`Address`] and described by comparable [`Props`].

mod address;
mod kind;
mod resource;
pub mod tags;
mod value;

pub use address::Address;
pub use kind::Kind;
pub use resource::{Actual, Desired};
pub use value::{prop_matches, Props, Value};
