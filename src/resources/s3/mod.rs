//! S3's kinds: the deployment's bucket (EMR's logs, the bootstrap script) and the bootstrap script in it.

pub mod bucket;
pub mod object;
