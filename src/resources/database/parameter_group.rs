//! The database's parameter group: the topology's `database.parameters`, nothing else (every other
//! parameter keeps the engine default). It always exists, so tuning later never touches the instance.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{ApplyMethod, Parameter};

use super::{identifier, rds_tags, read_tags, PARAMETER_GROUP};
use crate::aws::{AwsError, ErrorClass, Outcome, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::ec2_util::delete_when_free;
use crate::resources::{check_owner, Ctx, Progress};

/// `mysql8.0` for engine version `8.0` or `8.0.39`.
pub fn family(engine_version: &str) -> String {
    let major_minor: Vec<&str> = engine_version.split('.').take(2).collect();
    format!("mysql{}", major_minor.join("."))
}

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let name = identifier(&ctx.deployment);
    let found = ctx.aws.rds.describe_db_parameter_groups().db_parameter_group_name(&name).send().await;
    let group = found
        .call("DescribeDBParameterGroups", &name)
        .found()?
        .and_then(|out| out.db_parameter_groups().first().cloned());
    let Some(group) = group else { return Ok(vec![]) };
    let arn = group.db_parameter_group_arn().unwrap_or_default();
    let tags =
        ctx.aws.rds.list_tags_for_resource().resource_name(arn).send().await.call("ListTagsForResource", &name)?;
    let tags = read_tags(tags.tag_list());
    check_owner(ctx, "DB parameter group", &name, &tags)?;
    // Only what a user set; the engine defaults are not clusterup's business.
    let set: Vec<_> = ctx
        .aws
        .rds
        .describe_db_parameters()
        .db_parameter_group_name(&name)
        .source("user")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribeDBParameters", &name)?;
    let parameters =
        set.iter().filter_map(|p| Some((p.parameter_name()?.to_owned(), Value::str(p.parameter_value()?)))).collect();
    Ok(vec![Actual::new(Address::new(PARAMETER_GROUP), Kind::DbParameterGroup, &name)
        .prop("name", Value::str(&name))
        .prop("family", Value::str(group.db_parameter_group_family().unwrap_or_default()))
        .prop("parameters", Value::Map(parameters))
        .prop("tags", tags::to_value(&tags))
        .attr("arn", arn)])
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let name = want.text("name");
    let created = ctx
        .aws
        .rds
        .create_db_parameter_group()
        .db_parameter_group_name(name)
        .db_parameter_group_family(want.text("family"))
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
    let empty =
        Actual::new(want.address.clone(), Kind::DbParameterGroup, name).prop("parameters", Value::Map(BTreeMap::new()));
    set_parameters(ctx, &empty, want).await?;
    Ok(Actual { props: want.props.clone(), ..empty })
}

fn parameters(props: &crate::model::Props) -> BTreeMap<String, String> {
    match props.get("parameters") {
        Some(Value::Map(map)) => map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect(),
        _ => BTreeMap::new(),
    }
}

/// Set what changed, reset what was removed. Dynamic parameters apply at once; static ones (AWS refuses
/// `immediate` for them) at the next reboot.
async fn set_parameters(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
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

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    set_parameters(ctx, have, want).await?;
    super::sync_tags(ctx, have, want).await?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

pub async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
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
    .await
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
    use crate::resources::DataPolicy;

    #[test]
    fn family_follows_major_and_minor() {
        assert_eq!(family("8.0"), "mysql8.0");
        assert_eq!(family("8.0.39"), "mysql8.0");
        assert_eq!(family("8.4.3"), "mysql8.4");
    }

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
        let ctx = Ctx {
            aws: Aws { rds, ..Aws::offline() },
            deployment: "demo".into(),
            user_tags: Default::default(),
            data: DataPolicy::default(),
        };
        let have = Actual::new(Address::new(PARAMETER_GROUP), Kind::DbParameterGroup, "demo-db")
            .prop("parameters", Value::Map(BTreeMap::from([("max_connections".to_owned(), Value::str("500"))])));
        let want =
            Desired::new(PARAMETER_GROUP, Kind::DbParameterGroup).prop("parameters", Value::Map(BTreeMap::new()));
        set_parameters(&ctx, &have, &want).await.expect("reset");
        assert_eq!(rule.num_calls(), 1);
    }
}
