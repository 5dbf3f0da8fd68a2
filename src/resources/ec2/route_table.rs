//! Route tables: the public one sends 0.0.0.0/0 to the internet gateway, private ones to a NAT gateway.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, RouteOrigin};

use super::{describe_tagged, owned, sync_tags, tag_spec};
use crate::aws::{AwsError, Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::{Actual, Desired, Kind, Prop, Value, TAGS};
use crate::resources::support::{returned_id, settle, text_field};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub const VPC: Prop = Prop::new("vpc").replaces();
/// The routes clusterup manages (see [`default_route`], [`default_nat_route`]); the VPC's local route
/// is AWS's and not listed.
pub const ROUTES: Prop = Prop::new("routes");
/// The subnets associated with the table.
pub const SUBNETS: Prop = Prop::new("subnets");

pub struct RouteTable;

const SPEC: Spec = Spec::new(Kind::RouteTable, "route table", Service::Ec2, PollPolicy::FAST, at_once)
    .props(&[&VPC, &ROUTES, &SUBNETS, &TAGS]);

impl ResourceKind for RouteTable {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let tables = describe_tagged!(ctx, describe_route_tables, "DescribeRouteTables")?;
        let found: Result<Vec<Actual>, AwsError> = tables
            .iter()
            .map(|table| {
                let routes = table
                    .routes()
                    .iter()
                    .filter(|r| r.origin() != Some(&RouteOrigin::CreateRouteTable))
                    .filter_map(|r| {
                        let destination = r.destination_cidr_block()?;
                        match (r.gateway_id(), r.nat_gateway_id()) {
                            (Some(g), _) if g != "local" => Some(route(destination, "gateway", Value::str(g))),
                            (_, Some(n)) => Some(route(destination, "nat_gateway", Value::str(n))),
                            _ => None,
                        }
                    })
                    .collect();
                const CALL: &str = "DescribeRouteTables";
                let Some(actual) = owned(ctx, Kind::RouteTable, CALL, table.route_table_id(), table.tags())? else {
                    return Ok(None);
                };
                let vpc = text_field(table.vpc_id(), CALL, "VpcId", &actual)?;
                let mut actual = actual.prop(&VPC, vpc).prop(&ROUTES, Value::List(routes));
                let mut subnets = Vec::new();
                for assoc in table.associations().iter().filter(|a| a.main() != Some(true)) {
                    if let (Some(subnet), Some(id)) = (assoc.subnet_id(), assoc.route_table_association_id()) {
                        subnets.push(Value::str(subnet));
                        actual = actual.attr(&format!("association:{subnet}"), id);
                    }
                }
                Ok(Some(actual.prop(&SUBNETS, Value::List(subnets))))
            })
            .filter_map(Result::transpose)
            .collect();
        Ok(found?)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = want.address.as_str();
        let vpc = want.text(&VPC)?;
        let out = settle(resource, "CreateRouteTable", || async {
            ctx.aws
                .ec2
                .create_route_table()
                .vpc_id(vpc)
                .tag_specifications(tag_spec(ResourceType::RouteTable, want))
                .send()
                .await
                .call("CreateRouteTable", resource)
        })
        .await?;
        let id = returned_id(out.route_table().and_then(|t| t.route_table_id()), resource, "CreateRouteTable")?;
        let empty = Actual::new(want.address.clone(), Kind::RouteTable, &id)
            .prop(&ROUTES, Value::List(vec![]))
            .prop(&SUBNETS, Value::List(vec![]));
        sync_routes_and_subnets(ctx, &empty, want).await?;
        Ok(Actual { props: want.props.clone(), ..empty })
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        sync_routes_and_subnets(ctx, have, want).await?;
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        for (key, association) in &have.attrs {
            if key.starts_with("association:") {
                disassociate(ctx, association, resource).await?;
            }
        }
        ctx.aws
            .ec2
            .delete_route_table()
            .route_table_id(&have.id)
            .send()
            .await
            .call("DeleteRouteTable", resource)
            .gone_ok()?;
        Ok(())
    }
}

const ANYWHERE: &str = "0.0.0.0/0";

pub fn default_route(internet_gateway: Value) -> Value {
    route(ANYWHERE, "gateway", internet_gateway)
}

pub fn default_nat_route(nat_gateway: Value) -> Value {
    route(ANYWHERE, "nat_gateway", nat_gateway)
}

fn route(destination: &str, target_kind: &str, target: Value) -> Value {
    Value::Map(BTreeMap::from([("destination".to_owned(), Value::str(destination)), (target_kind.to_owned(), target)]))
}

/// (destination, target kind, target id) of a route property.
fn parse_route(value: &Value) -> Option<(String, &'static str, String)> {
    let Value::Map(map) = value else { return None };
    let destination = map.get("destination")?.as_str()?.to_owned();
    if let Some(id) = map.get("gateway").and_then(Value::as_str) {
        return Some((destination, "gateway", id.to_owned()));
    }
    let id = map.get("nat_gateway").and_then(Value::as_str)?;
    Some((destination, "nat_gateway", id.to_owned()))
}

/// destination -> (target kind, target id) of a `routes` property.
fn routes_by_destination(routes: &[Value]) -> BTreeMap<String, (&'static str, String)> {
    routes.iter().filter_map(parse_route).map(|(d, k, t)| (d, (k, t))).collect()
}

async fn sync_routes_and_subnets(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let resource = have.address.as_str();
    let ec2 = &ctx.aws.ec2;
    // No routes property: no routes yet.
    let had = routes_by_destination(have.props.get(ROUTES.name).map(Value::as_list).unwrap_or_default());
    let wanted = routes_by_destination(want.list(&ROUTES)?);
    for (destination, (kind, target)) in &wanted {
        if had.get(destination) == Some(&(*kind, target.clone())) {
            continue;
        }
        let replace = had.contains_key(destination);
        settle(resource, if replace { "ReplaceRoute" } else { "CreateRoute" }, || async {
            if replace {
                let call = ec2.replace_route().route_table_id(&have.id).destination_cidr_block(destination);
                let call = if *kind == "gateway" { call.gateway_id(target) } else { call.nat_gateway_id(target) };
                call.send().await.call("ReplaceRoute", resource).map(|_| ())
            } else {
                let call = ec2.create_route().route_table_id(&have.id).destination_cidr_block(destination);
                let call = if *kind == "gateway" { call.gateway_id(target) } else { call.nat_gateway_id(target) };
                call.send().await.call("CreateRoute", resource).map(|_| ())
            }
        })
        .await?;
    }
    for destination in had.keys().filter(|d| !wanted.contains_key(*d)) {
        ec2.delete_route()
            .route_table_id(&have.id)
            .destination_cidr_block(destination)
            .send()
            .await
            .call("DeleteRoute", resource)?;
    }

    let had_subnets = have.strings(&SUBNETS);
    let want_subnets = want.strings(&SUBNETS)?;
    for subnet in want_subnets.iter().filter(|s| !had_subnets.contains(s)) {
        associate(ctx, &have.id, subnet, resource).await?;
    }
    for subnet in had_subnets.iter().filter(|s| !want_subnets.contains(s)) {
        if let Some(association) = have.attrs.get(&format!("association:{subnet}")) {
            disassociate(ctx, association, resource).await?;
        }
    }
    Ok(())
}

/// Associate `subnet`, moving it from another table if it has one (a subnet has exactly one).
async fn associate(ctx: &Ctx, table: &str, subnet: &str, resource: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.aws.ec2;
    let existing = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("association.subnet-id").values(subnet).build())
        .send()
        .await
        .call("DescribeRouteTables", resource)?;
    let current = existing.route_tables().iter().flat_map(|t| t.associations()).find(|a| a.subnet_id() == Some(subnet));
    if let Some(assoc) = current {
        if assoc.route_table_id() == Some(table) {
            return Ok(());
        }
        ec2.replace_route_table_association()
            .association_id(assoc.route_table_association_id().required(
                "DescribeRouteTables",
                "Associations.RouteTableAssociationId",
                resource,
            )?)
            .route_table_id(table)
            .send()
            .await
            .call("ReplaceRouteTableAssociation", resource)?;
        return Ok(());
    }
    settle(resource, "AssociateRouteTable", || async {
        ec2.associate_route_table()
            .route_table_id(table)
            .subnet_id(subnet)
            .send()
            .await
            .call("AssociateRouteTable", resource)
    })
    .await?;
    Ok(())
}

async fn disassociate(ctx: &Ctx, association: &str, resource: &str) -> Result<(), AwsError> {
    ctx.aws
        .ec2
        .disassociate_route_table()
        .association_id(association)
        .send()
        .await
        .call("DisassociateRouteTable", resource)
        .gone_ok()
}
