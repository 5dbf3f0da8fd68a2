//! EMR's kinds: the Spark (YARN) cluster, and its Hive metastore attachment to the shared database.

pub mod cluster;
mod cost;
pub mod metastore;
