//! The network family: VPC, subnets in every zone, internet gateway, NAT gateways with Elastic IPs, route
//! tables, and the security groups every other family attaches to.

mod nat;
mod routes;
mod security_group;
mod subnets;
mod vpc;

use std::net::Ipv4Addr;

use super::{BoxFuture, Ctx, Facts, Family, Progress};
use crate::aws::AwsError;
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::topology::{Cidr, NatMode, Network as NetworkSpec, Scheme, Topology};

pub use security_group::{ingress_from_cidr, ingress_from_group};

pub struct Network;

pub const VPC: &str = "network/vpc";
pub const INTERNET_GATEWAY: &str = "network/internet-gateway";
pub const ALB_SECURITY_GROUP: &str = "network/security-group/alb";
pub const APP_SECURITY_GROUP: &str = "network/security-group/app";

/// Where the other families find the network: ids of an existing VPC, or references to the managed one.
pub struct NetworkRefs {
    pub vpc: Value,
    pub public_subnets: Vec<Value>,
    pub private_subnets: Vec<Value>,
}

/// The network as the other families see it.
pub fn refs(topology: &Topology, facts: &Facts) -> NetworkRefs {
    match &topology.network {
        NetworkSpec::Managed(_) => NetworkRefs {
            vpc: Value::Ref(Address::new(VPC)),
            public_subnets: zone_letters(topology, facts)
                .iter()
                .map(|z| Value::Ref(Address::new(format!("network/subnet/public-{z}"))))
                .collect(),
            private_subnets: zone_letters(topology, facts)
                .iter()
                .map(|z| Value::Ref(Address::new(format!("network/subnet/private-{z}"))))
                .collect(),
        },
        NetworkSpec::Existing(existing) => NetworkRefs {
            vpc: Value::str(&existing.vpc_id),
            public_subnets: existing.public_subnet_ids.iter().map(Value::str).collect(),
            private_subnets: existing.private_subnet_ids.iter().map(Value::str).collect(),
        },
    }
}

/// The security groups the database and the file system admit: the app nodes' and, with a Spark
/// cluster, its master's and its core and task nodes'.
pub fn data_tier_clients(topology: &Topology) -> Vec<Value> {
    let mut groups = vec![Value::Ref(Address::new(APP_SECURITY_GROUP))];
    if topology.spark.is_some() {
        groups.push(Value::Ref(Address::new(crate::resources::spark::MASTER_SECURITY_GROUP)));
        groups.push(Value::Ref(Address::new(crate::resources::spark::CORE_SECURITY_GROUP)));
    }
    groups
}

/// Short zone suffixes (`a`, `b`, ...) used in addresses and names.
fn zone_letters(topology: &Topology, facts: &Facts) -> Vec<String> {
    facts.zones.iter().map(|zone| zone_letter(&topology.region, zone)).collect()
}

/// `a` for `us-east-1a`: the suffix used in addresses and names.
pub fn zone_letter(region: &str, zone: &str) -> String {
    zone.strip_prefix(region).filter(|l| !l.is_empty()).unwrap_or(zone).to_owned()
}

/// The `index`-th subnet of the VPC, four bits longer than the VPC prefix: sixteen blocks, public subnets
/// take 0..6 and private ones 8..14, so adding a zone never renumbers an existing subnet.
pub fn subnet_cidr(vpc: Cidr, index: u32) -> String {
    let prefix = vpc.prefix + 4;
    let size = 1u32 << (32 - u32::from(prefix));
    let base = u32::from(vpc.addr);
    format!("{}/{}", Ipv4Addr::from(base + index * size), prefix)
}

/// Helpers for building desired resources with the standard tags.
pub fn named(topology: &Topology, address: &str, kind: Kind, name: &str) -> Desired {
    let desired = Desired::new(address, kind);
    let tags = tags::for_resource(&topology.tags, &topology.name, &desired.address, name);
    desired.prop("tags", tags::to_value(&tags))
}

fn managed_desired(topology: &Topology, facts: &Facts, cidr: Cidr, nat: NatMode) -> Vec<Desired> {
    let name = &topology.name;
    let vpc = Value::Ref(Address::new(VPC));
    let mut out = vec![
        named(topology, VPC, Kind::Vpc, name)
            .prop("cidr", Value::str(cidr.to_string()))
            .prop("dns_hostnames", Value::Bool(true)),
        named(topology, INTERNET_GATEWAY, Kind::InternetGateway, name).prop("vpc", vpc.clone()),
    ];
    let letters = zone_letters(topology, facts);
    for (i, (zone, letter)) in facts.zones.iter().zip(&letters).enumerate() {
        for (tier, index) in [("public", i as u32), ("private", 8 + i as u32)] {
            out.push(
                named(
                    topology,
                    &format!("network/subnet/{tier}-{letter}"),
                    Kind::Subnet,
                    &format!("{name}-{tier}-{letter}"),
                )
                .prop("vpc", vpc.clone())
                .prop("cidr", Value::str(subnet_cidr(cidr, index)))
                .prop("zone", Value::str(zone)),
            );
        }
    }
    let igw = Address::new(INTERNET_GATEWAY);
    out.push(
        named(topology, "network/route-table/public", Kind::RouteTable, &format!("{name}-public"))
            .prop("vpc", vpc.clone())
            .prop("routes", Value::List(vec![routes::default_route(Value::Ref(igw.clone()))]))
            .prop(
                "subnets",
                Value::List(
                    letters.iter().map(|z| Value::Ref(Address::new(format!("network/subnet/public-{z}")))).collect(),
                ),
            ),
    );
    // NAT gateways: none, one in the first zone, or one per zone; each private route table sends its
    // outbound traffic to the NAT gateway of its own zone (or the single one).
    let nat_letters: Vec<&String> = match nat {
        NatMode::None => vec![],
        NatMode::Single => letters.iter().take(1).collect(),
        NatMode::PerAz => letters.iter().collect(),
    };
    for letter in &nat_letters {
        let eip = format!("network/eip/nat-{letter}");
        out.push(named(topology, &eip, Kind::ElasticIp, &format!("{name}-nat-{letter}")));
        out.push(
            named(topology, &format!("network/nat-gateway/{letter}"), Kind::NatGateway, &format!("{name}-{letter}"))
                .prop("subnet", Value::Ref(Address::new(format!("network/subnet/public-{letter}"))))
                .prop("eip", Value::Ref(Address::new(eip)))
                .after(&igw),
        );
    }
    let private_tables: Vec<(String, Vec<&String>, Option<&String>)> = match nat {
        NatMode::PerAz => letters.iter().map(|z| (format!("private-{z}"), vec![z], Some(z))).collect(),
        NatMode::Single => vec![("private".to_owned(), letters.iter().collect(), nat_letters.first().copied())],
        NatMode::None => vec![("private".to_owned(), letters.iter().collect(), None)],
    };
    for (table, zones, nat_letter) in private_tables {
        let routes = nat_letter
            .map(|z| vec![routes::default_nat_route(Value::Ref(Address::new(format!("network/nat-gateway/{z}"))))])
            .unwrap_or_default();
        out.push(
            named(topology, &format!("network/route-table/{table}"), Kind::RouteTable, &format!("{name}-{table}"))
                .prop("vpc", vpc.clone())
                .prop("routes", Value::List(routes))
                .prop(
                    "subnets",
                    Value::List(
                        zones.iter().map(|z| Value::Ref(Address::new(format!("network/subnet/private-{z}")))).collect(),
                    ),
                ),
        );
    }
    out
}

fn security_groups(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    let name = &topology.name;
    let net = refs(topology, facts);
    // An internal load balancer only takes traffic from inside the VPC.
    let clients = match topology.load_balancer.scheme {
        Scheme::InternetFacing => "0.0.0.0/0".to_owned(),
        Scheme::Internal => facts.vpc_cidr.clone(),
    };
    let alb_rules = topology.load_balancer.listeners.iter().map(|l| ingress_from_cidr(l.port, &clients)).collect();
    vec![
        named(topology, ALB_SECURITY_GROUP, Kind::SecurityGroup, &format!("{name}-alb"))
            .prop("vpc", net.vpc.clone())
            .prop("group_name", Value::str(format!("{name}-alb")))
            .prop("description", Value::str(format!("clusterup {name}: load balancer listeners")))
            .prop("ingress", Value::List(alb_rules)),
        named(topology, APP_SECURITY_GROUP, Kind::SecurityGroup, &format!("{name}-app"))
            .prop("vpc", net.vpc)
            .prop("group_name", Value::str(format!("{name}-app")))
            .prop(
                "description",
                Value::str(format!("clusterup {name}: app nodes, reached only from the load balancer")),
            )
            .prop(
                "ingress",
                Value::List(vec![ingress_from_group(topology.app.port, Value::Ref(Address::new(ALB_SECURITY_GROUP)))]),
            ),
    ]
}

impl Family for Network {
    fn name(&self) -> &'static str {
        "network"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::Vpc,
            Kind::InternetGateway,
            Kind::Subnet,
            Kind::ElasticIp,
            Kind::NatGateway,
            Kind::RouteTable,
            Kind::SecurityGroup,
        ]
    }

    fn desired(&self, topology: &Topology, facts: &Facts) -> Vec<Desired> {
        let mut out = match &topology.network {
            NetworkSpec::Managed(m) => managed_desired(topology, facts, m.cidr, m.nat),
            NetworkSpec::Existing(_) => Vec::new(),
        };
        out.extend(security_groups(topology, facts));
        out
    }

    fn outputs(&self, resources: &[Actual]) -> Vec<(&'static str, String)> {
        let subnets = |tier: &str| {
            let mut ids: Vec<(&str, &str)> = resources
                .iter()
                .filter(|r| r.kind == Kind::Subnet && r.address.leaf().starts_with(tier))
                .map(|r| (r.address.as_str(), r.id.as_str()))
                .collect();
            ids.sort();
            ids.into_iter().map(|(_, id)| id).collect::<Vec<_>>().join(",")
        };
        let mut out = Vec::new();
        if let Some(vpc) = super::id_of(resources, VPC) {
            out.push(("vpc_id", vpc.to_owned()));
            out.push(("public_subnet_ids", subnets("public-")));
            out.push(("private_subnet_ids", subnets("private-")));
        }
        if let Some(sg) = super::id_of(resources, APP_SECURITY_GROUP) {
            out.push(("app_security_group_id", sg.to_owned()));
        }
        out
    }

    fn discover<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Vec<Actual>, AwsError>> {
        Box::pin(async move {
            // One filtered Describe call per kind, all at once.
            let (vpcs, igws, subnets, eips, nats, tables, groups) = tokio::try_join!(
                vpc::discover_vpcs(ctx),
                vpc::discover_internet_gateways(ctx),
                subnets::discover(ctx),
                nat::discover_eips(ctx),
                nat::discover_nat_gateways(ctx),
                routes::discover(ctx),
                security_group::discover(ctx),
            )?;
            Ok([vpcs, igws, subnets, eips, nats, tables, groups].concat())
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
                Kind::Vpc => vpc::create_vpc(ctx, want).await,
                Kind::InternetGateway => vpc::create_internet_gateway(ctx, want).await,
                Kind::Subnet => subnets::create(ctx, want).await,
                Kind::ElasticIp => nat::create_eip(ctx, want).await,
                Kind::NatGateway => nat::create_nat_gateway(ctx, want, progress).await,
                Kind::RouteTable => routes::create(ctx, want).await,
                Kind::SecurityGroup => security_group::create(ctx, want).await,
                other => unreachable!("{other:?} is not a network kind"),
            }
        })
    }

    fn update<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        want: &'a Desired,
        _progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::Vpc => vpc::update_vpc(ctx, have, want).await,
                Kind::InternetGateway => vpc::update_internet_gateway(ctx, have, want).await,
                Kind::RouteTable => routes::update(ctx, have, want).await,
                Kind::SecurityGroup => security_group::update(ctx, have, want).await,
                // Subnets, addresses and NAT gateways have nothing to change in place but their tags.
                _ => {
                    super::ec2_util::sync_tags(&ctx.aws.ec2, have, want).await?;
                    Ok(Actual { props: want.props.clone(), ..have.clone() })
                }
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
                Kind::Vpc => vpc::delete_vpc(ctx, have, progress).await,
                Kind::InternetGateway => vpc::delete_internet_gateway(ctx, have, progress).await,
                Kind::Subnet => subnets::delete(ctx, have, progress).await,
                Kind::ElasticIp => nat::delete_eip(ctx, have, progress).await,
                Kind::NatGateway => nat::delete_nat_gateway(ctx, have, progress).await,
                Kind::RouteTable => routes::delete(ctx, have).await,
                Kind::SecurityGroup => security_group::delete(ctx, have, progress).await,
                other => unreachable!("{other:?} is not a network kind"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_are_carved_from_the_vpc() {
        let vpc = Cidr { addr: Ipv4Addr::new(10, 20, 0, 0), prefix: 16 };
        assert_eq!(subnet_cidr(vpc, 0), "10.20.0.0/20");
        assert_eq!(subnet_cidr(vpc, 1), "10.20.16.0/20");
        assert_eq!(subnet_cidr(vpc, 8), "10.20.128.0/20");
        let small = Cidr { addr: Ipv4Addr::new(192, 168, 4, 0), prefix: 24 };
        assert_eq!(subnet_cidr(small, 15), "192.168.4.240/28");
    }
}
