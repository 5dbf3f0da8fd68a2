//! IAM: what the roles clusterup creates are bound by.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::topology::model::*;
use crate::topology::types::*;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the iam section, a mapping")]
pub struct RawIam {
    /// The ARN of a managed policy set as the permissions boundary of every role clusterup creates; the
    /// operator policy (`clusterup iam-policy`) then lets the operator create roles only with it.
    pub permissions_boundary: Option<PolicyArn>,
}

pub fn iam(raw: RawIam) -> Iam {
    Iam { permissions_boundary: raw.permissions_boundary.map(|arn| arn.0) }
}
