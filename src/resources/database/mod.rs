//! The database family: the shared MySQL metadata database (RDS), its subnet group over the private
//! subnets, and its security group that admits 3306 only from the app nodes.
//!
//! clusterup never sees a password: RDS generates the master password and keeps it in Secrets Manager
//! (`ManageMasterUserPassword`); app nodes read it by the secret's ARN with their instance role.

mod instance;
mod parameter_group;
mod subnet_group;

use std::collections::BTreeMap;

use super::network::{self, ingress_from_group, named};
use super::{BoxFuture, Ctx, Facts, Family, Progress};
use crate::aws::AwsError;
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::topology::Topology;

pub struct Database;

pub const INSTANCE: &str = "database/instance";
pub const SUBNET_GROUP: &str = "database/subnet-group";
pub const PARAMETER_GROUP: &str = "database/parameter-group";
pub const SECURITY_GROUP: &str = "network/security-group/database";

pub fn identifier(deployment: &str) -> String {
    format!("{deployment}-db")
}

fn rds_tags(want: &Desired) -> Vec<aws_sdk_rds::types::Tag> {
    tags::from_value(want.props.get("tags"))
        .iter()
        .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
        .collect()
}

fn read_tags(list: &[aws_sdk_rds::types::Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(list.iter().map(|t| (t.key(), t.value())))
}

/// RDS tags are set by ARN, which every RDS resource carries as its `arn` attribute.
async fn sync_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    use crate::aws::ResultExt;
    let Some(change) = tags::change(have.props.get("tags"), want.props.get("tags")) else { return Ok(()) };
    let resource = have.address.as_str();
    let Some(arn) = have.attrs.get("arn").filter(|a| !a.is_empty()) else {
        return Err(AwsError::local(resource, "AddTagsToResource", "its ARN is unknown; run apply again"));
    };
    if !change.set.is_empty() {
        let set = change.set.iter().map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build()).collect();
        ctx.aws
            .rds
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(set))
            .send()
            .await
            .call("AddTagsToResource", resource)?;
    }
    if !change.remove.is_empty() {
        ctx.aws
            .rds
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(change.remove))
            .send()
            .await
            .call("RemoveTagsFromResource", resource)?;
    }
    Ok(())
}

impl Family for Database {
    fn name(&self) -> &'static str {
        "database"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[Kind::DbSubnetGroup, Kind::DbParameterGroup, Kind::DbInstance]
    }

    fn desired(&self, topology: &Topology, facts: &Facts) -> Vec<Desired> {
        let Some(db) = &topology.database else { return vec![] };
        let name = identifier(&topology.name);
        let net = network::refs(topology, facts);
        vec![
            named(topology, SECURITY_GROUP, Kind::SecurityGroup, &name)
                .prop("vpc", net.vpc)
                .prop("group_name", Value::str(&name))
                .prop(
                    "description",
                    Value::str(format!("clusterup {}: database, reached only from the app", topology.name)),
                )
                .prop(
                    "ingress",
                    Value::List(
                        network::data_tier_clients(topology).into_iter().map(|g| ingress_from_group(3306, g)).collect(),
                    ),
                ),
            named(topology, SUBNET_GROUP, Kind::DbSubnetGroup, &name)
                .prop("name", Value::str(&name))
                .prop("subnets", Value::List(net.private_subnets)),
            named(topology, PARAMETER_GROUP, Kind::DbParameterGroup, &name)
                .prop("name", Value::str(&name))
                .prop("family", Value::str(parameter_group::family(&db.engine_version)))
                .prop(
                    "parameters",
                    Value::Map(db.parameters.iter().map(|(k, v)| (k.clone(), Value::str(v))).collect()),
                ),
            named(topology, INSTANCE, Kind::DbInstance, &name)
                .prop("identifier", Value::str(&name))
                .prop("engine", Value::str("mysql"))
                .prop("engine_version", Value::str(&db.engine_version))
                .prop("instance_class", Value::str(&db.instance_class))
                .prop("storage_gb", Value::Int(i64::from(db.storage_gb)))
                .prop("storage_type", Value::str("gp3"))
                .prop("encrypted", Value::Bool(true))
                .prop("multi_az", Value::Bool(db.multi_az))
                .prop("backup_retention_days", Value::Int(i64::from(db.backup_retention_days)))
                .prop("subnet_group", Value::Ref(Address::new(SUBNET_GROUP)))
                // Set at creation and never compared: its name is fixed by the deployment, and the emulator
                // does not report an instance's parameter groups (AWS does).
                .create_only("parameter_group", Value::Ref(Address::new(PARAMETER_GROUP)))
                .prop("security_groups", Value::List(vec![Value::Ref(Address::new(SECURITY_GROUP))]))
                .prop("deletion_protection", Value::Bool(true))
                .prop("managed_password", Value::Bool(true))
                .create_only("master_username", Value::str("admin")),
        ]
    }

    fn outputs(&self, resources: &[Actual]) -> Vec<(&'static str, String)> {
        let Some(db) = resources.iter().find(|r| r.address.as_str() == INSTANCE) else { return vec![] };
        ["endpoint", "port", "secret_arn"]
            .into_iter()
            .zip(["db_endpoint", "db_port", "db_secret_arn"])
            .filter_map(|(attr, key)| db.attrs.get(attr).map(|v| (key, v.clone())))
            .collect()
    }

    fn discover<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Vec<Actual>, AwsError>> {
        Box::pin(async move {
            let (groups, parameters, instances) =
                tokio::try_join!(subnet_group::discover(ctx), parameter_group::discover(ctx), instance::discover(ctx))?;
            Ok([groups, parameters, instances].concat())
        })
    }

    fn create<'a>(
        &'a self,
        ctx: &'a Ctx,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::DbSubnetGroup => subnet_group::create(ctx, want).await,
                Kind::DbParameterGroup => parameter_group::create(ctx, want).await,
                Kind::DbInstance => instance::create(ctx, want, progress).await,
                other => unreachable!("{other:?} is not a database kind"),
            }
        })
    }

    fn update<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::DbSubnetGroup => subnet_group::update(ctx, have, want).await,
                Kind::DbParameterGroup => parameter_group::update(ctx, have, want).await,
                Kind::DbInstance => instance::update(ctx, have, want, progress).await,
                other => unreachable!("{other:?} is not a database kind"),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(async move {
            match have.kind {
                Kind::DbSubnetGroup => subnet_group::delete(ctx, have, progress).await,
                Kind::DbParameterGroup => parameter_group::delete(ctx, have, progress).await,
                Kind::DbInstance => instance::delete(ctx, have, progress).await,
                other => unreachable!("{other:?} is not a database kind"),
            }
        })
    }
}
