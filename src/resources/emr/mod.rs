//! EMR's kinds: the Spark (YARN) cluster, and its Hive metastore attachment to the shared database.

pub mod cluster;
pub mod cluster_status;
mod cost;
pub mod metastore;
