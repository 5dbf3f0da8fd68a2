//! The resources a deployment is made of, as data: what the topology asks for ([`Desired`]) and what AWS
//! holds ([`Actual`]), both keyed by a stable [`Address`] and described by comparable [`Props`] named by
//! [`Prop`] constants. Everything here is a leaf: it imports nothing else of clusterup.

mod address;
pub mod charge;
pub mod facts;
pub mod json;
mod kind;
pub mod names;
mod op;
mod prop;
mod resource;
pub mod tags;
mod value;

pub use address::Address;
pub use facts::{BootImage, Facts, RestoreSource};
pub use kind::Kind;
pub use op::Op;
pub use prop::{Compare, EntryChange, Prop, INSTANCE_TYPE, NAME, TAGS};
pub use resource::{Actual, Desired, PropError};
pub use value::{Props, Value};
