//! The last step of destroy: ask AWS, two independent ways, whether anything of the deployment is left.
//!
//! 1. Every kind's own discovery again (covers what the tagging API does not index: listeners, launch
//!    templates, Auto Scaling groups, NAT gateways, Elastic IPs, route tables).
//! 2. The Resource Groups Tagging API across all services, for anything tagged with the deployment that
//!    no kind knows about (instances and their volumes in particular).
//!
//! The tagging API also lists what AWS keeps after destroy, on purpose or for a while. None of it is a
//! leftover, and each exception is named here:
//! - **Gone, still indexed**: terminated instances (about an hour), deleted NAT gateways (about an hour),
//!   terminated EMR clusters (two months), volumes being deleted with their instance, network interfaces
//!   that the service which made them (ELB, EFS, RDS, NAT) is still releasing. They cost nothing.
//! - **Kept on purpose** (reported, never a failure): the database's final snapshot, and the recovery
//!   points of EFS automatic backups, which AWS Backup keeps until their retention ends. Both hold the
//!   deployment's data; both are billed as storage, so destroy names each with the command that deletes it.
//!
//! Anything else still tagged, costly or not, is a leftover and fails destroy.

use aws_sdk_ec2::types::{InstanceStateName, NatGatewayState, VolumeState};
use aws_sdk_emr::types::ClusterState;

use super::efs::recovery_points::{is_recovery_point, AUTOMATIC_BACKUP_VAULT};
use super::support::tagged_arns;
use super::{discover_all, registry, Ctx, Error};
use crate::aws::{AwsError, Outcome, ResultExt};

/// One thing still there: its address or ARN, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub what: String,
    pub id: String,
}

/// Something of the deployment that AWS keeps on purpose after destroy: what it is, its name, and what
/// it costs and how to delete it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub what: &'static str,
    pub id: String,
    pub note: String,
}

/// What destroy's final look found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FinalCheck {
    pub left: Vec<Leftover>,
    pub kept: Vec<Kept>,
}

pub async fn final_check(ctx: &Ctx) -> Result<FinalCheck, Error> {
    let tagging = &ctx.aws.tagging;
    let mut discovered = Vec::new();
    let mut kept = Vec::new();
    for actual in discover_all(ctx).await? {
        // What destroy keeps on purpose (the log groups without --delete-data), with its note.
        match (registry::of(actual.kind).spec().kept)(&actual, ctx.data) {
            Some(note) => kept.push(Kept { what: registry::label(actual.kind), id: actual.id, note }),
            None => discovered.push(Leftover {
                what: format!("{} ({})", actual.address, registry::label(actual.kind)),
                id: actual.id,
            }),
        }
    }

    let arns = tagged_arns(tagging, &ctx.deployment).await?;

    let gone = gone_ids(ctx, &arns).await?;
    let mut check = sort_tagged(discovered, kept, arns, &gone);
    check.kept.sort_by(|a, b| (a.what, &a.id).cmp(&(b.what, &b.id)));
    Ok(check)
}

/// Sort the tagged ARNs into leftovers and what is kept on purpose, after what discovery found; `gone`
/// holds the ids AWS still indexes but that no longer exist (or are on their way out at no charge).
fn sort_tagged(discovered: Vec<Leftover>, kept: Vec<Kept>, arns: Vec<String>, gone: &[String]) -> FinalCheck {
    let mut check = FinalCheck { left: discovered, kept };
    for arn in arns {
        let id = arn_id(&arn);
        if gone.iter().any(|g| g == id) {
            continue;
        }
        // Kept by a kind's own rule, already listed with its note (a log group's ARN holds its name,
        // which has `/` in it).
        let already_kept = check.kept.iter().any(|k| arn.contains(&format!(":{}", k.id)));
        if already_kept {
            continue;
        }
        if let Some(kept) = kept_on_purpose(&arn) {
            check.kept.push(kept);
            continue;
        }
        // Skip what discovery already reported (same id inside the ARN).
        if check.left.iter().any(|l| arn.ends_with(&l.id) || arn == l.id) {
            continue;
        }
        check.left.push(Leftover { what: "tagged resource".to_owned(), id: arn });
    }
    check
}

/// The resource's own id: the ARN's last `/` or `:` part.
fn arn_id(arn: &str) -> &str {
    // rsplit always yields at least one part (the whole ARN when it has no separator).
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

/// The database's final snapshot and EFS's automatic backups hold the deployment's data after destroy.
fn kept_on_purpose(arn: &str) -> Option<Kept> {
    // `arn:<partition>:<service>:...`: the same in every partition.
    let service = arn.split(':').nth(2)?;
    if service == "rds" && arn.contains(":snapshot:") {
        let name = arn_id(arn).to_owned();
        return Some(Kept {
            what: "final database snapshot",
            note: format!(
                "the database's data, billed as snapshot storage until deleted: aws rds delete-db-snapshot --db-snapshot-identifier {name}"
            ),
            id: name,
        });
    }
    if is_recovery_point(arn) {
        return Some(Kept {
            what: "EFS automatic backup",
            note: format!(
                "AWS Backup keeps it until its retention ends (35 days), billed as backup storage; to delete it now: aws backup delete-recovery-point --backup-vault-name {AUTOMATIC_BACKUP_VAULT} --recovery-point-arn {arn}"
            ),
            id: arn.to_owned(),
        });
    }
    None
}

/// Ids, among the tagged ARNs, of resources AWS still lists but that are gone or going at no charge:
/// terminated instances, deleted NAT gateways, terminated EMR clusters, volumes being deleted, and
/// network interfaces their owning service is releasing.
async fn gone_ids(ctx: &Ctx, arns: &[String]) -> Result<Vec<String>, AwsError> {
    let ec2 = &ctx.aws.ec2;
    let emr = &ctx.aws.emr;
    let ids_of = |marker: &str| -> Vec<String> {
        arns.iter().filter_map(|arn| arn.split_once(marker).map(|(_, id)| id.to_owned())).collect()
    };
    let mut gone = Vec::new();
    let instances = ids_of(":instance/");
    if !instances.is_empty() {
        let out = ec2
            .describe_instances()
            .set_instance_ids(Some(instances))
            .send()
            .await
            .call("DescribeInstances", &ctx.deployment)?;
        gone.extend(
            out.reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter(|i| i.state().and_then(|s| s.name()) == Some(&InstanceStateName::Terminated))
                .filter_map(|i| i.instance_id().map(str::to_owned)),
        );
    }
    let nat_gateways = ids_of(":natgateway/");
    if !nat_gateways.is_empty() {
        let out = ec2
            .describe_nat_gateways()
            .set_nat_gateway_ids(Some(nat_gateways))
            .send()
            .await
            .call("DescribeNatGateways", &ctx.deployment)?;
        gone.extend(
            out.nat_gateways()
                .iter()
                .filter(|n| n.state() == Some(&NatGatewayState::Deleted))
                .filter_map(|n| n.nat_gateway_id().map(str::to_owned)),
        );
    }
    // Volumes go with their instance (DeleteOnTermination); one by one, as a batch fails on any that
    // is already gone.
    for volume in ids_of(":volume/") {
        let out = ec2.describe_volumes().volume_ids(&volume).send().await.call("DescribeVolumes", &volume);
        let state = out.found()?.and_then(|o| o.volumes).and_then(|v| v.into_iter().next()).and_then(|v| v.state);
        if matches!(state, None | Some(VolumeState::Deleting | VolumeState::Deleted)) {
            gone.push(volume);
        }
    }
    // A network interface made by a service for its own use (requester-managed) is released by that
    // service, minutes after the load balancer, mount target or NAT gateway is deleted.
    for interface in ids_of(":network-interface/") {
        let out = ec2
            .describe_network_interfaces()
            .network_interface_ids(&interface)
            .send()
            .await
            .call("DescribeNetworkInterfaces", &interface);
        let found = out.found()?.and_then(|o| o.network_interfaces).and_then(|n| n.into_iter().next());
        if found.is_none_or(|eni| eni.requester_managed() == Some(true)) {
            gone.push(interface);
        }
    }
    // EMR lists terminated clusters (with their tags) for two months.
    for cluster in ids_of(":cluster/") {
        let out = emr.describe_cluster().cluster_id(&cluster).send().await.call("DescribeCluster", &cluster);
        let state = out.found()?.and_then(|o| o.cluster).and_then(|c| c.status).and_then(|s| s.state);
        if matches!(state, None | Some(ClusterState::Terminated | ClusterState::TerminatedWithErrors)) {
            gone.push(cluster);
        }
    }
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::describe_network_interfaces::{
        DescribeNetworkInterfacesError, DescribeNetworkInterfacesOutput,
    };
    use aws_sdk_ec2::operation::describe_volumes::DescribeVolumesOutput;
    use aws_sdk_ec2::types::{NetworkInterface, Volume};
    use aws_sdk_ec2::Client;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::aws::Aws;
    use crate::resources::DataPolicy;

    const SNAPSHOT: &str = "arn:aws:rds:us-east-1:123456789012:snapshot:shop-final-20261130120000";
    const RECOVERY_POINT: &str =
        "arn:aws:backup:us-east-1:123456789012:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45";

    fn left(what: &str, id: &str) -> Leftover {
        Leftover { what: what.into(), id: id.into() }
    }

    #[test]
    fn a_final_snapshot_is_kept_in_every_partition() {
        let china = "arn:aws-cn:rds:cn-north-1:123456789012:snapshot:shop-final-20261130120000";
        let check = sort_tagged(Vec::new(), Vec::new(), vec![china.to_owned()], &[]);
        assert!(check.left.is_empty(), "{:?}", check.left);
        assert_eq!(check.kept.len(), 1);
    }

    #[test]
    fn a_kept_log_group_is_not_also_a_tagged_leftover() {
        let kept = Kept { what: "log group", id: "/clusterup/shop/app".into(), note: "12 bytes stored".into() };
        let arns = vec![
            "arn:aws:logs:us-east-1:123456789012:log-group:/clusterup/shop/app".to_owned(),
            "arn:aws:logs:us-east-1:123456789012:log-group:/clusterup/shop/web".to_owned(),
        ];
        let check = sort_tagged(Vec::new(), vec![kept.clone()], arns, &[]);
        assert_eq!(check.kept, [kept]);
        // A log group discovery did not keep (someone else's doing) is still a leftover.
        assert_eq!(check.left.len(), 1);
        assert!(check.left[0].id.ends_with("/clusterup/shop/web"));
    }

    #[test]
    fn the_final_snapshot_and_efs_backups_are_kept_and_named_not_leftovers() {
        let arns = vec![SNAPSHOT.to_owned(), RECOVERY_POINT.to_owned()];
        let check = sort_tagged(Vec::new(), Vec::new(), arns, &[]);
        assert!(check.left.is_empty(), "{:?}", check.left);
        let kept: Vec<(&str, &str)> = check.kept.iter().map(|k| (k.what, k.id.as_str())).collect();
        assert_eq!(
            kept,
            [("final database snapshot", "shop-final-20261130120000"), ("EFS automatic backup", RECOVERY_POINT)]
        );
        assert!(check.kept[0].note.contains("aws rds delete-db-snapshot --db-snapshot-identifier shop-final-"));
        assert!(check.kept[1].note.contains("billed"), "says it costs: {}", check.kept[1].note);
    }

    #[test]
    fn anything_else_still_tagged_is_a_leftover_once() {
        let volume = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0a1";
        let vpc = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0b2";
        let instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-0c3";
        // An RDS snapshot is kept; a snapshot ARN of another service is not an exception.
        let ebs_snapshot = "arn:aws:ec2:us-east-1:123456789012:snapshot/snap-0d4";
        let discovered = vec![left("network/vpc (VPC)", "vpc-0b2")];
        let arns = [volume, vpc, instance, ebs_snapshot].map(str::to_owned).to_vec();
        let check = sort_tagged(discovered, Vec::new(), arns, &["i-0c3".to_owned()]);
        assert_eq!(
            check.left,
            [
                left("network/vpc (VPC)", "vpc-0b2"),
                left("tagged resource", volume),
                left("tagged resource", ebs_snapshot)
            ]
        );
        assert!(check.kept.is_empty());
    }

    fn volume_in(id: &'static str, state: VolumeState) -> Rule {
        mock!(Client::describe_volumes).match_requests(move |req| req.volume_ids() == [id]).then_output(move || {
            DescribeVolumesOutput::builder()
                .volumes(Volume::builder().volume_id(id).state(state.clone()).build())
                .build()
        })
    }

    fn interface(id: &'static str, requester_managed: bool) -> Rule {
        mock!(Client::describe_network_interfaces)
            .match_requests(move |req| req.network_interface_ids() == [id])
            .then_output(move || {
                DescribeNetworkInterfacesOutput::builder()
                    .network_interfaces(
                        NetworkInterface::builder()
                            .network_interface_id(id)
                            .requester_managed(requester_managed)
                            .build(),
                    )
                    .build()
            })
    }

    /// The emulator deletes volumes and releases interfaces at once, so the states AWS passes through
    /// are checked with SDK mocks.
    #[tokio::test]
    async fn volumes_being_deleted_and_interfaces_aws_releases_are_gone_sdk_mock_emulator_gap() {
        let arn = |what: &str| format!("arn:aws:ec2:us-east-1:123456789012:{what}");
        let arns = [
            "volume/vol-deleting",
            "volume/vol-available",
            "network-interface/eni-elb",
            "network-interface/eni-released",
            "network-interface/eni-ours",
        ]
        .map(arn)
        .to_vec();
        let released = mock!(Client::describe_network_interfaces)
            .match_requests(|req| req.network_interface_ids() == ["eni-released"])
            .then_error(|| {
                DescribeNetworkInterfacesError::generic(
                    ErrorMetadata::builder().code("InvalidNetworkInterfaceID.NotFound").build(),
                )
            });
        let rules = [
            volume_in("vol-deleting", VolumeState::Deleting),
            volume_in("vol-available", VolumeState::Available),
            interface("eni-elb", true),
            released,
            interface("eni-ours", false),
        ];
        let ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, &rules);
        let ctx = Ctx { aws: Aws { ec2, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };
        let gone = gone_ids(&ctx, &arns).await.expect("looked");
        assert_eq!(gone, ["vol-deleting", "eni-elb", "eni-released"]);
        for rule in &rules {
            assert_eq!(rule.num_calls(), 1);
        }
        // The available volume costs money and the interface is clusterup's own: both are leftovers.
        let check = sort_tagged(Vec::new(), Vec::new(), arns.clone(), &gone);
        let left: Vec<&str> = check.left.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(left, [arns[1].as_str(), arns[4].as_str()]);
    }
}
