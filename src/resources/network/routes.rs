//! Route tables: the public one sends 0.0.0.0/0 to the internet gateway, private ones to a NAT gateway.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, RouteOrigin};

use crate::aws::{AwsError, Outcome, ResultExt};
use crate::model::{tags, Actual, Desired, Kind, Value};
use crate::resources::ec2_util::{deployment_filter, read_tags, settle, sync_tags, tag_spec};
use crate::resources::owned_address;
use crate::resources::Ctx;

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
fn routes_by_destination(routes: Option<&Value>) -> BTreeMap<String, (&'static str, String)> {
    routes.map(Value::as_list).unwrap_or_default().iter().filter_map(parse_route).map(|(d, k, t)| (d, (k, t))).collect()
}

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let tables: Vec<_> = ctx
        .aws
        .ec2
        .describe_route_tables()
        .filters(deployment_filter(&ctx.deployment))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribeRouteTables", &ctx.deployment)?;
    Ok(tables
        .into_iter()
        .filter_map(|table| {
            let tags = read_tags(table.tags());
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
            let mut actual = Actual::new(owned_address(ctx, &tags)?, Kind::RouteTable, table.route_table_id()?)
                .prop("vpc", Value::str(table.vpc_id().unwrap_or_default()))
                .prop("routes", Value::List(routes))
                .prop("tags", tags::to_value(&tags));
            let mut subnets = Vec::new();
            for assoc in table.associations().iter().filter(|a| a.main() != Some(true)) {
                if let (Some(subnet), Some(id)) = (assoc.subnet_id(), assoc.route_table_association_id()) {
                    subnets.push(Value::str(subnet));
                    actual = actual.attr(&format!("association:{subnet}"), id);
                }
            }
            Some(actual.prop("subnets", Value::List(subnets)))
        })
        .collect())
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let out = settle(resource, "CreateRouteTable", || async {
        ctx.aws
            .ec2
            .create_route_table()
            .vpc_id(want.text("vpc"))
            .tag_specifications(tag_spec(ResourceType::RouteTable, want))
            .send()
            .await
            .call("CreateRouteTable", resource)
    })
    .await?;
    let id = out.route_table().and_then(|t| t.route_table_id()).unwrap_or_default().to_owned();
    let empty = Actual::new(want.address.clone(), Kind::RouteTable, &id)
        .prop("routes", Value::List(vec![]))
        .prop("subnets", Value::List(vec![]));
    sync_routes_and_subnets(ctx, &empty, want).await?;
    Ok(Actual { props: want.props.clone(), ..empty })
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    sync_routes_and_subnets(ctx, have, want).await?;
    sync_tags(&ctx.aws.ec2, have, want).await?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

async fn sync_routes_and_subnets(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    let ec2 = &ctx.aws.ec2;
    let had = routes_by_destination(have.props.get("routes"));
    let wanted = routes_by_destination(want.props.get("routes"));
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

    let had_subnets = have.props.get("subnets").map(Value::strings).unwrap_or_default();
    let want_subnets = want.props.get("subnets").map(Value::strings).unwrap_or_default();
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
            .association_id(assoc.route_table_association_id().unwrap_or_default())
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

pub async fn delete(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    for (key, association) in &have.attrs {
        if key.starts_with("association:") {
            disassociate(ctx, association, resource).await?;
        }
    }
    ctx.aws.ec2.delete_route_table().route_table_id(&have.id).send().await.call("DeleteRouteTable", resource).gone_ok()
}
