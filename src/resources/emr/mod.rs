//! EMR's kind: the Spark (YARN) cluster.

pub mod cluster;
