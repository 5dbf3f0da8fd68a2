//! The database's parameter group: the topology's `database.parameters`, nothing else (every other
//! parameter keeps the engine default). It always exists, so tuning later never touches the instance.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{ApplyMethod, Parameter};

use super::{owned_group, rds_tags, sync_tags};
use crate::aws::{ErrorClass, Outcome, PollPolicy, ResultExt, Service};
use crate::model::names::database::{identifier, PARAMETER_GROUP};
use crate::model::{Actual, Desired, Kind, Prop, Value, NAME, TAGS};
use crate::resources::support::delete_when_free;
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// `mysql8.4`: which engine version's parameters it holds.
pub const FAMILY: Prop = Prop::new("family").replaces();
/// The parameters the topology sets, name to value.
pub const PARAMETERS: Prop = Prop::new("parameters");

pub struct DbParameterGroup;

const SPEC: Spec = Spec::new(Kind::DbParameterGroup, "DB parameter group", Service::Rds, PollPolicy::FAST, at_once)
    .props(&[&NAME, &FAMILY, &PARAMETERS, &TAGS])
    .deleted_after(&[Kind::DbInstance]);

impl ResourceKind for DbParameterGroup {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let rds = &ctx.aws.rds;
        let name = identifier(&ctx.deployment);
        let found = rds.describe_db_parameter_groups().db_parameter_group_name(&name).send().await;
        let group = found
            .call("DescribeDBParameterGroups", &name)
            .found()?
            .and_then(|out| out.db_parameter_groups().first().cloned());
        let Some(group) = group else { return Ok(vec![]) };
        let arn = group.db_parameter_group_arn().unwrap_or_default();
        let actual = owned_group(ctx, Kind::DbParameterGroup, PARAMETER_GROUP, &name, arn).await?;
        // Only what a user set; the engine defaults are not clusterup's business.
        let set: Vec<_> = rds
            .describe_db_parameters()
            .db_parameter_group_name(&name)
            .source("user")
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("DescribeDBParameters", &name)?;
        let parameters = set
            .iter()
            .filter_map(|p| Some((p.parameter_name()?.to_owned(), Value::str(p.parameter_value()?))))
            .collect();
        Ok(vec![actual
            .prop(&FAMILY, Value::str(group.db_parameter_group_family().unwrap_or_default()))
            .prop(&PARAMETERS, Value::Map(parameters))])
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let rds = &ctx.aws.rds;
        let name = want.text(&NAME)?;
        let created = rds
            .create_db_parameter_group()
            .db_parameter_group_name(name)
            .db_parameter_group_family(want.text(&FAMILY)?)
            .description(format!("clusterup {}: database parameters", ctx.deployment))
            .set_tags(Some(rds_tags(want)))
            .send()
            .await
            .call("CreateDBParameterGroup", want.address.as_str());
        match created {
            Err(err) if err.is(ErrorClass::AlreadyExists) => {}
            other => {
                other?;
            }
        }
        let empty = Actual::new(want.address.clone(), Kind::DbParameterGroup, name)
            .prop(&PARAMETERS, Value::Map(BTreeMap::new()));
        set_parameters(ctx, &empty, want).await?;
        Ok(Actual { props: want.props.clone(), ..empty })
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        set_parameters(ctx, have, want).await?;
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        // InvalidDBParameterGroupState while the instance using it is still being deleted.
        delete_when_free(have.address.as_str(), "DeleteDBParameterGroup", progress, || async {
            ctx.aws
                .rds
                .delete_db_parameter_group()
                .db_parameter_group_name(&have.id)
                .send()
                .await
                .call("DeleteDBParameterGroup", have.address.as_str())
                .map(|_| ())
        })
        .await?;
        Ok(())
    }
}

fn parameters(props: &crate::model::Props) -> BTreeMap<String, String> {
    match props.get(PARAMETERS.name) {
        Some(Value::Map(map)) => map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect(),
        _ => BTreeMap::new(),
    }
}

/// Set what changed, reset what was removed. Dynamic parameters apply at once; static ones (AWS refuses
/// `immediate` for them) at the next reboot.
async fn set_parameters(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let resource = have.address.as_str();
    let had = parameters(&have.props);
    let wanted = parameters(&want.props);
    for (key, value) in wanted.iter().filter(|(k, v)| had.get(*k) != Some(v)) {
        let attempt = |method: ApplyMethod| {
            ctx.aws
                .rds
                .modify_db_parameter_group()
                .db_parameter_group_name(&have.id)
                .parameters(
                    Parameter::builder().parameter_name(key).parameter_value(value).apply_method(method).build(),
                )
                .send()
        };
        match attempt(ApplyMethod::Immediate).await.call("ModifyDBParameterGroup", resource) {
            Err(err) if err.code_is("InvalidParameterCombination") => {
                attempt(ApplyMethod::PendingReboot).await.call("ModifyDBParameterGroup", resource)?;
            }
            other => {
                other?;
            }
        }
    }
    let removed: Vec<Parameter> = had
        .keys()
        .filter(|k| !wanted.contains_key(*k))
        .map(|k| Parameter::builder().parameter_name(k).apply_method(ApplyMethod::PendingReboot).build())
        .collect();
    if !removed.is_empty() {
        ctx.aws
            .rds
            .reset_db_parameter_group()
            .db_parameter_group_name(&have.id)
            .set_parameters(Some(removed))
            .send()
            .await
            .call("ResetDBParameterGroup", resource)?;
    }
    Ok(())
}

/// The emulator answers ResetDBParameterGroup with 500 (not implemented): removing a parameter from the
/// topology is covered here with SDK mocks, as the test name says.
#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::reset_db_parameter_group::ResetDbParameterGroupOutput;
    use aws_sdk_rds::Client;
    use aws_smithy_mocks::{mock, mock_client};

    use super::*;
    use crate::aws::Aws;
    use crate::model::Address;
    use crate::resources::DataPolicy;

    #[tokio::test]
    async fn reset_db_parameter_group_sdk_mock_emulator_gap_resets_removed_parameters() {
        let rule = mock!(Client::reset_db_parameter_group)
            .match_requests(|req| {
                req.db_parameter_group_name() == Some("demo-db")
                    && req.parameters().iter().map(|p| p.parameter_name()).collect::<Vec<_>>()
                        == [Some("max_connections")]
            })
            .then_output(|| ResetDbParameterGroupOutput::builder().db_parameter_group_name("demo-db").build());
        let rds = mock_client!(aws_sdk_rds, [&rule]);
        let ctx = Ctx { aws: Aws { rds, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() };
        let have = Actual::new(Address::new(PARAMETER_GROUP), Kind::DbParameterGroup, "demo-db")
            .prop(&PARAMETERS, Value::Map(BTreeMap::from([("max_connections".to_owned(), Value::str("500"))])));
        let want = Desired::new(PARAMETER_GROUP, Kind::DbParameterGroup).prop(&PARAMETERS, Value::Map(BTreeMap::new()));
        set_parameters(&ctx, &have, &want).await.expect("reset");
        assert_eq!(rule.num_calls(), 1);
    }
}
