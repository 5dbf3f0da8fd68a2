//! A security group's egress rules, as a resource of their own beside the group: clusterup's groups
//! send only what they need (the app nodes HTTPS out, MySQL to the database's group and NFS to the file
//! system's; the load balancer the app port to the nodes; the database and the file system nothing),
//! where a new group sends everything. A resource apart from the group because the rules name other
//! groups that name this one (the database's group admits the app nodes' group, whose egress goes to
//! the database's group): one resource would wait for the other to exist first.
//!
//! Found through its group, for the groups tagged `clusterup:egress=managed` only: EMR manages the rules
//! of the Spark cluster's groups, which clusterup leaves alone. Created from whatever the group has
//! (AWS's allow-all rule, or an older version's), so a group made before this existed is brought in line.

use super::sg_rules::{self, Direction};
use crate::aws::{AwsError, ErrorClass, Outcome, PollPolicy, ResultExt, Service};
use crate::model::names::network::egress_of;
use crate::model::{tags, Actual, Address, Desired, Kind, Prop, Value, TAGS};
use crate::resources::support::settle;
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// The group's id.
pub const GROUP: Prop = Prop::new("group").replaces();
/// The egress rules (`sg_rules`); an empty list sends nothing. Rules naming other groups do not order
/// deletions: deleting a group revokes them first.
pub const EGRESS: Prop = Prop::new("egress").not_a_dependency();

/// The tag value on a group whose egress clusterup manages (`tags::EGRESS`).
pub const MANAGED: &str = "managed";

pub struct SecurityGroupEgress;

const SPEC: Spec =
    Spec::new(Kind::SecurityGroupEgress, "security group egress", Service::Ec2, PollPolicy::FAST, at_once)
        .props(&[&GROUP, &EGRESS])
        .child_of(Kind::SecurityGroup);

/// Its id: the group's, marked, so that nothing referring to the group is taken to refer to this.
fn id_of(group_id: &str) -> String {
    format!("{group_id}/egress")
}

impl ResourceKind for SecurityGroupEgress {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(group) = parent else { return Ok(Vec::new()) };
        if tags::from_value(group.props.get(TAGS.name)).get(tags::EGRESS).map(String::as_str) != Some(MANAGED) {
            return Ok(Vec::new());
        }
        let Some(rules) = read(ctx, &group.id, group.address.as_str()).await? else { return Ok(Vec::new()) };
        Ok(vec![Actual::new(
            Address::new(egress_of(group.address.as_str())),
            Kind::SecurityGroupEgress,
            id_of(&group.id),
        )
        .prop(&GROUP, Value::str(&group.id))
        .prop(&EGRESS, Value::List(rules))])
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let (group, resource) = (want.text(&GROUP)?, want.address.as_str());
        // A new group sends everything: AWS gives it an allow-all rule, which goes now. The group is
        // seconds old: EC2 may not list it yet.
        let had = settle(resource, "DescribeSecurityGroups", || async {
            let out = ctx.aws.ec2.describe_security_groups().group_ids(group).send().await;
            let out = out.call("DescribeSecurityGroups", resource)?;
            out.security_groups().first().map(|g| sg_rules::read(g.ip_permissions_egress())).ok_or_else(|| AwsError {
                code: Some("InvalidGroup.NotFound".to_owned()),
                class: ErrorClass::NotFound,
                ..AwsError::local(resource, "DescribeSecurityGroups", format!("{group} is not listed"))
            })
        })
        .await?;
        sg_rules::sync(ctx, Direction::Egress, group, resource, &had, want.list(&EGRESS)?).await?;
        Ok(Actual::made(want, id_of(group)))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let group = want.text(&GROUP)?;
        sg_rules::sync(ctx, Direction::Egress, group, have.address.as_str(), rules(have), want.list(&EGRESS)?).await?;
        Ok(have.updated_to(want))
    }

    /// Revoke the rules it holds (the group, when it goes too, goes after this).
    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let Some(group) = have.text(&GROUP) else { return Ok(()) };
        sg_rules::sync(ctx, Direction::Egress, group, have.address.as_str(), rules(have), &[]).await.gone_ok()?;
        Ok(())
    }
}

/// The rules `have` holds. Discovery and create always set them (an empty list when the group sends
/// nothing), so a resource without them holds none.
fn rules(have: &Actual) -> &[Value] {
    have.props.get(EGRESS.name).map(Value::as_list).unwrap_or_default()
}

/// The egress rules of group `id`, or `None` when it is gone.
async fn read(ctx: &Ctx, id: &str, resource: &str) -> Result<Option<Vec<Value>>, Error> {
    let out = ctx
        .aws
        .ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .call("DescribeSecurityGroups", resource)
        .found()?;
    Ok(out.and_then(|out| out.security_groups().first().map(|g| sg_rules::read(g.ip_permissions_egress()))))
}
