//! The database's parameter group: the topology's `database.parameters`, nothing else (every other
//! parameter keeps the engine default). It always exists, so tuning later never touches the instance.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{ApplyMethod, Parameter};

use super::{owned_group, rds_tags, sync_tags};
use crate::aws::{ErrorClass, PollPolicy, Required, ResultExt, Service};
use crate::model::names::database::{identifier, parameter_group, parameter_group_name};
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
    .deleted_after(&[Kind::DbInstance])
    .notes(when_parameters_apply);

/// When each changed parameter takes effect: dynamic ones at once, static ones (and removed ones, which
/// go back to the engine default) at the database's next reboot, which clusterup never does on its own.
fn when_parameters_apply(have: &Actual, want: &Desired) -> Vec<String> {
    let (had, wanted) = (parameters(&have.props), parameters(&want.props));
    let listed = |attr: &str| -> Vec<&str> {
        // A group not read back yet (being created) lists no parameters.
        have.attrs.get(attr).map(|s| s.split(',').filter(|p| !p.is_empty()).collect()).unwrap_or_default()
    };
    let (statics, dynamics) = (listed(STATIC_PARAMETERS), listed(DYNAMIC_PARAMETERS));
    let mut notes = Vec::new();
    for key in wanted.iter().filter(|(k, v)| had.get(*k) != Some(*v)).map(|(k, _)| k) {
        notes.push(if statics.contains(&key.as_str()) {
            format!("{key} is static: it takes effect at the database's next reboot (clusterup does not reboot it)")
        } else if dynamics.contains(&key.as_str()) {
            format!("{key} is dynamic: it takes effect at once")
        } else {
            format!("{key}: takes effect at once if it is dynamic, at the database's next reboot if it is static")
        });
    }
    for key in had.keys().filter(|k| !wanted.contains_key(*k)) {
        notes.push(format!("{key} goes back to the engine default at the database's next reboot"));
    }
    notes
}

impl ResourceKind for DbParameterGroup {
    const SPEC: &'static Spec = &SPEC;

    /// The deployment's groups, one per engine family it has used: `<deployment>-db-mysql8-4`. RDS
    /// cannot filter them by name or tag, so every group is listed and ours are picked by name, then
    /// checked by tag.
    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let rds = &ctx.aws.rds;
        let prefix = format!("{}-", identifier(&ctx.deployment));
        let groups: Vec<_> = rds
            .describe_db_parameter_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("DescribeDBParameterGroups", &ctx.deployment)?;
        let mut out = Vec::new();
        for group in &groups {
            let (Some(name), Some(family)) = (group.db_parameter_group_name(), group.db_parameter_group_family())
            else {
                continue;
            };
            if !name.starts_with(&prefix) || name != parameter_group_name(&ctx.deployment, family) {
                continue;
            }
            let arn =
                group.db_parameter_group_arn().required("DescribeDBParameterGroups", "DBParameterGroupArn", name)?;
            let actual = owned_group(ctx, &SPEC, &parameter_group(family), name, arn).await?;
            out.push(with_parameters(ctx, actual, name, family).await?);
        }
        Ok(out)
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

/// The group's parameters a user set (the engine defaults are not clusterup's business), and which of
/// them only take effect at a reboot (AWS says `static`), for plans.
async fn with_parameters(ctx: &Ctx, actual: Actual, name: &str, family: &str) -> Result<Actual, Error> {
    let set: Vec<_> = ctx
        .aws
        .rds
        .describe_db_parameters()
        .db_parameter_group_name(name)
        .source("user")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribeDBParameters", name)?;
    let parameters =
        set.iter().filter_map(|p| Some((p.parameter_name()?.to_owned(), Value::str(p.parameter_value()?)))).collect();
    let of_type = |kind: &str| -> String {
        let names: Vec<&str> =
            set.iter().filter(|p| p.apply_type() == Some(kind)).filter_map(|p| p.parameter_name()).collect();
        names.join(",")
    };
    Ok(actual
        .prop(&FAMILY, Value::str(family))
        .prop(&PARAMETERS, Value::Map(parameters))
        .attr(STATIC_PARAMETERS, of_type("static"))
        .attr(DYNAMIC_PARAMETERS, of_type("dynamic")))
}

/// The names of the set parameters AWS applies only at a reboot, and at once, comma-separated
/// (attributes, for plans).
const STATIC_PARAMETERS: &str = "static_parameters";
const DYNAMIC_PARAMETERS: &str = "dynamic_parameters";

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
        let have = Actual::new(Address::new(parameter_group("mysql8.4")), Kind::DbParameterGroup, "demo-db")
            .prop(&PARAMETERS, Value::Map(BTreeMap::from([("max_connections".to_owned(), Value::str("500"))])));
        let want = Desired::new(parameter_group("mysql8.4"), Kind::DbParameterGroup)
            .prop(&PARAMETERS, Value::Map(BTreeMap::new()));
        set_parameters(&ctx, &have, &want).await.expect("reset");
        assert_eq!(rule.num_calls(), 1);
    }
}
