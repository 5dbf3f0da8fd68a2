//! Security groups, with their ingress rules managed as one set: what the topology says, nothing else
//! (`sg_rules`: every rule with its description). A group's egress rules are a resource of their own
//! (`security_group_egress`), because they name groups that name this one: the app nodes' group sends to
//! the database's group, which admits the app nodes' group.

use aws_sdk_ec2::types::{Filter, IpPermission, ResourceType, UserIdGroupPair};

use super::sg_rules::{self, Direction};
pub use super::sg_rules::{tcp_with_cidr, tcp_with_group, tcp_with_itself};
use super::{delete_detached_enis, describe_tagged, owned, sync_tags, tag_spec};
use crate::aws::{AwsError, Outcome, PollPolicy, ResultExt, Service};
use crate::model::{Actual, Desired, Kind, Prop, Value, TAGS};
use crate::resources::support::{delete_when_free, returned_id, settle, text_field};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub const VPC: Prop = Prop::new("vpc").replaces();
pub const GROUP_NAME: Prop = Prop::new("group_name").replaces().not_a_dependency();
pub const DESCRIPTION: Prop = Prop::new("description").replaces().not_a_dependency();
/// The ingress rules (`sg_rules`: [`sg_rules::tcp_with_cidr`], [`sg_rules::tcp_with_group`]). Absent on
/// groups whose rules EMR manages. Rules naming other groups do not order deletions: deleting a group
/// revokes them first.
pub const INGRESS: Prop = Prop::new("ingress").not_a_dependency();

pub struct SecurityGroup;

const SPEC: Spec = Spec::new(Kind::SecurityGroup, "security group", Service::Ec2, PollPolicy::FAST, at_once)
    .props(&[&VPC, &GROUP_NAME, &DESCRIPTION, &INGRESS, &TAGS])
    // Whatever has network interfaces in the group.
    .deleted_after(&[
        Kind::LoadBalancer,
        Kind::AutoScalingGroup,
        Kind::DbInstance,
        Kind::MountTarget,
        Kind::EmrCluster,
    ]);

impl ResourceKind for SecurityGroup {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let groups = describe_tagged!(ctx, describe_security_groups, "DescribeSecurityGroups")?;
        let found: Result<Vec<Actual>, AwsError> = groups
            .iter()
            .map(|group| {
                // Rules clusterup writes are single-port TCP; anything else is shown as it is so the diff
                // removes it.
                let rules = sg_rules::read(group.ip_permissions());
                const CALL: &str = "DescribeSecurityGroups";
                let Some(actual) = owned(ctx, Kind::SecurityGroup, CALL, group.group_id(), group.tags())? else {
                    return Ok(None);
                };
                let vpc = text_field(group.vpc_id(), CALL, "VpcId", &actual)?;
                let name = text_field(group.group_name(), CALL, "GroupName", &actual)?;
                let description = text_field(group.description(), CALL, "Description", &actual)?;
                // A rule naming the group itself reads as clusterup writes it (`self`).
                let rules = sg_rules::naming_itself(rules, &actual.id);
                Ok(Some(
                    actual
                        .prop(&VPC, vpc)
                        .prop(&GROUP_NAME, name)
                        .prop(&DESCRIPTION, description)
                        .prop(&INGRESS, Value::List(rules)),
                ))
            })
            .filter_map(Result::transpose)
            .collect();
        Ok(found?)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = want.address.as_str();
        let (name, description, vpc) = (want.text(&GROUP_NAME)?, want.text(&DESCRIPTION)?, want.text(&VPC)?);
        let out = settle(resource, "CreateSecurityGroup", || async {
            ctx.aws
                .ec2
                .create_security_group()
                .group_name(name)
                .description(description)
                .vpc_id(vpc)
                .tag_specifications(tag_spec(ResourceType::SecurityGroup, want))
                .send()
                .await
                .call("CreateSecurityGroup", resource)
        })
        .await?;
        let id = returned_id(out.group_id(), resource, "CreateSecurityGroup")?;
        let empty = Actual::new(want.address.clone(), Kind::SecurityGroup, &id).prop(&INGRESS, Value::List(vec![]));
        sync_rules(ctx, &empty, want).await?;
        Ok(Actual { props: want.props.clone(), ..empty })
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        sync_rules(ctx, have, want).await?;
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        revoke_references(ctx, have).await?;
        delete_when_free(have.address.as_str(), "DeleteSecurityGroup", progress, || async {
            delete_detached_enis(ctx, "group-id", &have.id, have.address.as_str()).await?;
            ctx.aws
                .ec2
                .delete_security_group()
                .group_id(&have.id)
                .send()
                .await
                .call("DeleteSecurityGroup", have.address.as_str())
                .map(|_| ())
        })
        .await?;
        Ok(())
    }
}

/// Authorize what is wanted and missing, revoke what exists and is not wanted.
async fn sync_rules(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    // A group without wanted rules is managed by someone else (EMR's groups): leave its rules alone.
    let Some(wanted) = want.value(&INGRESS).map(Value::as_list) else { return Ok(()) };
    // No ingress property: no rules yet.
    let had = have.props.get(INGRESS.name).map(Value::as_list).unwrap_or_default();
    sg_rules::sync(ctx, Direction::Ingress, &have.id, have.address.as_str(), had, wanted).await
}

/// Rules in other groups that name this one keep it from being deleted (DependencyViolation) for as long
/// as they exist; EMR's groups name each other, and the database and file-system groups name the app's and
/// EMR's. Read those rules back now and revoke exactly them, ingress and egress.
async fn revoke_references(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    let ec2 = &ctx.aws.ec2;
    let resource = have.address.as_str();
    for egress in [false, true] {
        let filter = if egress { "egress.ip-permission.group-id" } else { "ip-permission.group-id" };
        let out = ec2
            .describe_security_groups()
            .filters(Filter::builder().name(filter).values(&have.id).build())
            .send()
            .await
            .call("DescribeSecurityGroups", resource)?;
        for group in out.security_groups() {
            let Some(group_id) = group.group_id().filter(|id| *id != have.id) else { continue };
            let rules = if egress { group.ip_permissions_egress() } else { group.ip_permissions() };
            let naming_us = rules_naming(rules, &have.id);
            if naming_us.is_empty() {
                continue;
            }
            let revoked = if egress {
                ctx.aws
                    .ec2
                    .revoke_security_group_egress()
                    .group_id(group_id)
                    .set_ip_permissions(Some(naming_us))
                    .send()
                    .await
                    .call("RevokeSecurityGroupEgress", resource)
                    .map(|_| ())
            } else {
                ctx.aws
                    .ec2
                    .revoke_security_group_ingress()
                    .group_id(group_id)
                    .set_ip_permissions(Some(naming_us))
                    .send()
                    .await
                    .call("RevokeSecurityGroupIngress", resource)
                    .map(|_| ())
            };
            // Revoked meanwhile (or the group went): what we wanted.
            revoked.gone_ok()?;
        }
    }
    Ok(())
}

/// The parts of `rules` that name `group_id` as their source or destination.
fn rules_naming(rules: &[IpPermission], group_id: &str) -> Vec<IpPermission> {
    rules
        .iter()
        .filter_map(|rule| {
            let pairs: Vec<UserIdGroupPair> = rule
                .user_id_group_pairs()
                .iter()
                .filter(|pair| pair.group_id() == Some(group_id))
                .map(|_| UserIdGroupPair::builder().group_id(group_id).build())
                .collect();
            (!pairs.is_empty()).then(|| {
                IpPermission::builder()
                    .set_ip_protocol(rule.ip_protocol().map(str::to_owned))
                    .set_from_port(rule.from_port())
                    .set_to_port(rule.to_port())
                    .set_user_id_group_pairs(Some(pairs))
                    .build()
            })
        })
        .collect()
}

/// The emulator lets a group go while other groups' rules still name it (AWS answers
/// DependencyViolation), so the revocation before deleting is checked here with SDK mocks.
#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::delete_security_group::DeleteSecurityGroupOutput;
    use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
    use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
    use aws_sdk_ec2::operation::revoke_security_group_egress::RevokeSecurityGroupEgressOutput;
    use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
    use aws_sdk_ec2::types::SecurityGroup;
    use aws_sdk_ec2::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::aws::Aws;
    use crate::model::Address;
    use crate::resources::{DataPolicy, Quiet};

    fn from_group(port: i32, group: &str) -> IpPermission {
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .user_id_group_pairs(UserIdGroupPair::builder().group_id(group).build())
            .build()
    }

    fn names_only(perms: &[IpPermission], port: i32, group: &str) -> bool {
        perms.len() == 1
            && perms[0].from_port() == Some(port)
            && perms[0].user_id_group_pairs().iter().map(|p| p.group_id()).collect::<Vec<_>>() == [Some(group)]
    }

    #[tokio::test]
    async fn delete_revokes_rules_naming_the_group_sdk_mock_emulator_gap() {
        // The service-access group admits 9443 from the master (EMR's rule) and 22 from elsewhere; the core
        // group sends everything to the master. Only the rules naming the master may go.
        let ingress_users = mock!(Client::describe_security_groups)
            .match_requests(|req| req.filters().iter().any(|f| f.name() == Some("ip-permission.group-id")))
            .then_output(|| {
                DescribeSecurityGroupsOutput::builder()
                    .security_groups(
                        SecurityGroup::builder()
                            .group_id("sg-service")
                            .ip_permissions(from_group(9443, "sg-master"))
                            .ip_permissions(from_group(22, "sg-bastion"))
                            .build(),
                    )
                    .build()
            });
        let revoke_ingress = mock!(Client::revoke_security_group_ingress)
            .match_requests(|req| {
                req.group_id() == Some("sg-service") && names_only(req.ip_permissions(), 9443, "sg-master")
            })
            .then_output(|| RevokeSecurityGroupIngressOutput::builder().r#return(true).build());
        let egress_users = mock!(Client::describe_security_groups)
            .match_requests(|req| req.filters().iter().any(|f| f.name() == Some("egress.ip-permission.group-id")))
            .then_output(|| {
                DescribeSecurityGroupsOutput::builder()
                    .security_groups(
                        SecurityGroup::builder()
                            .group_id("sg-core")
                            .ip_permissions_egress(from_group(0, "sg-master"))
                            .build(),
                    )
                    .build()
            });
        let revoke_egress = mock!(Client::revoke_security_group_egress)
            .match_requests(|req| req.group_id() == Some("sg-core") && names_only(req.ip_permissions(), 0, "sg-master"))
            .then_output(|| RevokeSecurityGroupEgressOutput::builder().r#return(true).build());
        let no_enis = mock!(Client::describe_network_interfaces)
            .match_requests(|req| req.filters().iter().any(|f| f.name() == Some("group-id")))
            .then_output(|| DescribeNetworkInterfacesOutput::builder().build());
        let delete_group = mock!(Client::delete_security_group)
            .match_requests(|req| req.group_id() == Some("sg-master"))
            .then_output(|| DeleteSecurityGroupOutput::builder().build());
        let ec2 = mock_client!(
            aws_sdk_ec2,
            RuleMode::Sequential,
            [&ingress_users, &revoke_ingress, &egress_users, &revoke_egress, &no_enis, &delete_group]
        );
        let ctx = Ctx { aws: Aws { ec2, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() };
        let master = Actual::new(Address::new("network/security-group/spark-master"), Kind::SecurityGroup, "sg-master");
        super::SecurityGroup::delete(&ctx, &master, &Quiet).await.expect("deleted");
        for rule in [&ingress_users, &revoke_ingress, &egress_users, &revoke_egress, &no_enis, &delete_group] {
            assert_eq!(rule.num_calls(), 1);
        }
    }
}
