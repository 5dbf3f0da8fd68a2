//! clusterup: one YAML topology in, a highly available application cluster on AWS out.
//!
//! The library does the work; the binary parses arguments and maps errors to exit codes. Nothing in the
//! library prints except [`output`], so `--json` output stays clean and tests can drive everything.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

pub mod aws;
pub mod cli;
pub mod commands;
pub mod compose;
pub mod cost;
pub mod engine;
pub mod lock;
pub mod model;
pub mod nodes;
pub mod output;
pub mod plan;
pub mod resources;
pub mod rollout;
pub mod spark;
pub mod status;
pub mod topology;
