//! Route 53: the deployment's private hosted zone `<deployment>.internal` (node group discovery).
//!
//! Per the Service Authorization Reference (Route 53) and the Route 53 Developer Guide ("Using IAM policy
//! conditions for fine-grained access control"): Route 53 has no tag condition keys (no
//! `aws:ResourceTag`, no `aws:RequestTag`), and a zone's ARN holds its id, which AWS picks
//! (`arn:aws:route53:::hostedzone/<id>`). So the zone-level calls below cannot be scoped to this
//! deployment's zone before it exists: they are allowed on every hosted zone of the account
//! (`HostedZonesShared`, one of the documented exceptions in docs/real-aws.md), and clusterup itself
//! touches only the zone it finds by name and tags (or by its own CallerReference). CreateHostedZone
//! has no resource type at all. The record changes are scoped by what Route 53 does let a policy name:
//! the records' names, normalized (`*.<deployment>.internal`), so deleting the nodes' records at destroy
//! can never reach another deployment's names.

use serde_json::{json, Value};

use super::{allow, Scope};
use crate::model::names::discovery::zone_name;

pub fn statements(scope: &Scope) -> Vec<Value> {
    let zones = vec![format!("arn:{}:route53:::hostedzone/*", scope.partition)];
    vec![
        allow("HostedZoneCreate", &["route53:CreateHostedZone"], vec!["*".into()], None),
        allow(
            "HostedZonesShared",
            &[
                "route53:ChangeTagsForResource",
                "route53:DeleteHostedZone",
                "route53:GetHostedZone",
                "route53:ListResourceRecordSets",
                "route53:ListTagsForResource",
            ],
            zones.clone(),
            None,
        ),
        allow(
            "HostedZoneRecordsOwn",
            &["route53:ChangeResourceRecordSets"],
            zones,
            Some(json!({"ForAllValues:StringLike": {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [format!("*.{}", zone_name(scope.deployment()))]
            }})),
        ),
    ]
}
