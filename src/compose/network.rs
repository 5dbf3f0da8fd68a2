//! The network: a VPC with a public and a private subnet in every zone, an internet gateway, NAT
//! gateways with their Elastic IPs, route tables, and the load balancer's and app nodes' security
//! groups. With an existing VPC only the security groups are made.

use std::net::Ipv4Addr;

use super::{id_of, named};
use crate::model::names::{network as names, zone_letter};
use crate::model::{tags, Address, Desired, Facts, Kind, Value, TAGS};
use crate::resources::ec2::security_group::{self, tcp_with_cidr, tcp_with_group, tcp_with_itself};
use crate::resources::ec2::security_group_egress::{self as egress, MANAGED};
use crate::resources::ec2::{internet_gateway, nat_gateway, route_table, subnet, vpc};
use crate::topology::{Cidr, NatMode, Network, Scheme, Topology};

/// Where the other sections find the network: ids of an existing VPC, or references to the managed one.
pub struct NetworkRefs {
    pub vpc: Value,
    pub public_subnets: Vec<Value>,
    pub private_subnets: Vec<Value>,
}

/// The network as the other sections see it.
pub fn refs(topology: &Topology, facts: &Facts) -> NetworkRefs {
    match &topology.network {
        Network::Managed(_) => NetworkRefs {
            vpc: id_of(names::VPC),
            public_subnets: zone_letters(topology, facts).iter().map(|z| id_of(names::subnet("public", z))).collect(),
            private_subnets: zone_letters(topology, facts).iter().map(|z| id_of(names::subnet("private", z))).collect(),
        },
        Network::Existing(existing) => NetworkRefs {
            vpc: Value::str(&existing.vpc_id),
            public_subnets: existing.public_subnet_ids.iter().map(Value::str).collect(),
            private_subnets: existing.private_subnet_ids.iter().map(Value::str).collect(),
        },
    }
}

/// The security groups the database and the file system admit, each with what it is (for the rules'
/// descriptions): the app nodes' and, with a Spark cluster, its master's and its core and task nodes'.
pub fn data_tier_clients(topology: &Topology) -> Vec<(Value, &'static str)> {
    let mut groups = vec![(id_of(names::APP_SECURITY_GROUP), "app nodes")];
    if topology.spark.is_some() {
        groups.push((id_of(names::SPARK_MASTER_SECURITY_GROUP), "Spark master node"));
        groups.push((id_of(names::SPARK_CORE_SECURITY_GROUP), "Spark core and task nodes"));
    }
    groups
}

/// `group` with its egress rules managed: tagged so (its egress resource is found through it), and that
/// resource, which sends only `rules` (none at all for an empty list).
pub fn with_egress(group: Desired, rules: Vec<Value>) -> [Desired; 2] {
    let mut group_tags = tags::from_value(group.props.get(TAGS.name));
    group_tags.insert(tags::EGRESS.to_owned(), MANAGED.to_owned());
    let egress = Desired::new(names::egress_of(group.address.as_str()), Kind::SecurityGroupEgress)
        .prop(&egress::GROUP, Value::Ref(group.address.clone()))
        .prop(&egress::EGRESS, Value::List(rules));
    [group.prop(&TAGS, tags::to_value(&group_tags)), egress]
}

/// The managed network's private route tables (none for an existing VPC): a node in a private subnet
/// reaches the internet, S3 and AWS's APIs only once its table routes to the NAT gateway, so what boots
/// there waits for them.
pub fn private_route_tables(topology: &Topology, facts: &Facts) -> Vec<Address> {
    let Network::Managed(managed) = &topology.network else { return Vec::new() };
    match managed.nat {
        NatMode::PerAz => zone_letters(topology, facts)
            .iter()
            .map(|z| Address::new(names::route_table(&format!("private-{z}"))))
            .collect(),
        NatMode::Single | NatMode::None => vec![Address::new(names::route_table("private"))],
    }
}

/// A security group of the deployment: its name, what it is for, the VPC.
pub fn security_group(topology: &Topology, facts: &Facts, address: &str, name: &str, what: &str) -> Desired {
    named(topology, address, Kind::SecurityGroup, name)
        .prop(&security_group::VPC, refs(topology, facts).vpc)
        .prop(&security_group::GROUP_NAME, Value::str(name))
        .prop(&security_group::DESCRIPTION, Value::str(format!("clusterup {}: {what}", topology.name)))
}

/// Short zone suffixes (`a`, `b`, ...) used in addresses and names.
fn zone_letters(topology: &Topology, facts: &Facts) -> Vec<String> {
    facts.zones.iter().map(|zone| zone_letter(&topology.region, zone)).collect()
}

/// The `index`-th subnet of the VPC, four bits longer than the VPC prefix: sixteen blocks, public subnets
/// take 0..6 and private ones 8..14, so adding a zone never renumbers an existing subnet.
pub fn subnet_cidr(vpc: Cidr, index: u32) -> String {
    let prefix = vpc.prefix + 4;
    let size = 1u32 << (32 - u32::from(prefix));
    let base = u32::from(vpc.addr);
    format!("{}/{}", Ipv4Addr::from(base + index * size), prefix)
}

pub fn desired(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    let mut out = match &topology.network {
        Network::Managed(m) => managed(topology, facts, m.cidr, m.nat),
        Network::Existing(_) => Vec::new(),
    };
    out.extend(security_groups(topology, facts));
    out
}

fn managed(topology: &Topology, facts: &Facts, cidr: Cidr, nat: NatMode) -> Vec<Desired> {
    let name = &topology.name;
    let vpc = id_of(names::VPC);
    let mut out = vec![
        named(topology, names::VPC, Kind::Vpc, name)
            .prop(&vpc::CIDR, Value::str(cidr.to_string()))
            .prop(&vpc::DNS_HOSTNAMES, Value::Bool(true)),
        named(topology, names::INTERNET_GATEWAY, Kind::InternetGateway, name).prop(&internet_gateway::VPC, vpc.clone()),
    ];
    let letters = zone_letters(topology, facts);
    for (i, (zone, letter)) in facts.zones.iter().zip(&letters).enumerate() {
        for (tier, index) in [("public", i as u32), ("private", 8 + i as u32)] {
            out.push(
                named(topology, &names::subnet(tier, letter), Kind::Subnet, &format!("{name}-{tier}-{letter}"))
                    .prop(&subnet::VPC, vpc.clone())
                    .prop(&subnet::CIDR, Value::str(subnet_cidr(cidr, index)))
                    .prop(&subnet::ZONE, Value::str(zone)),
            );
        }
    }
    let igw = Address::new(names::INTERNET_GATEWAY);
    out.push(
        named(topology, &names::route_table("public"), Kind::RouteTable, &format!("{name}-public"))
            .prop(&route_table::VPC, vpc.clone())
            .prop(&route_table::ROUTES, Value::List(vec![route_table::default_route(Value::Ref(igw.clone()))]))
            .prop(
                &route_table::SUBNETS,
                Value::List(letters.iter().map(|z| id_of(names::subnet("public", z))).collect()),
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
        let eip = names::elastic_ip(letter);
        out.push(named(topology, &eip, Kind::ElasticIp, &format!("{name}-nat-{letter}")));
        out.push(
            named(topology, &names::nat_gateway(letter), Kind::NatGateway, &format!("{name}-{letter}"))
                .prop(&nat_gateway::SUBNET, id_of(names::subnet("public", letter)))
                .prop(&nat_gateway::EIP, id_of(eip))
                .after(&igw),
        );
    }
    let private_tables: Vec<(String, Vec<&String>, Option<&String>)> = match nat {
        NatMode::PerAz => letters.iter().map(|z| (format!("private-{z}"), vec![z], Some(z))).collect(),
        NatMode::Single => vec![("private".to_owned(), letters.iter().collect(), nat_letters.first().copied())],
        NatMode::None => vec![("private".to_owned(), letters.iter().collect(), None)],
    };
    for (table, zones, nat_letter) in private_tables {
        // Without a NAT gateway the private subnets have no default route.
        let routes: Vec<_> =
            nat_letter.map(|z| route_table::default_nat_route(id_of(names::nat_gateway(z)))).into_iter().collect();
        out.push(
            named(topology, &names::route_table(&table), Kind::RouteTable, &format!("{name}-{table}"))
                .prop(&route_table::VPC, vpc.clone())
                .prop(&route_table::ROUTES, Value::List(routes))
                .prop(
                    &route_table::SUBNETS,
                    Value::List(zones.iter().map(|z| id_of(names::subnet("private", z))).collect()),
                ),
        );
    }
    out
}

/// What the app nodes send, and nothing else: HTTPS anywhere (the AWS APIs their role calls, SSM,
/// Secrets Manager, RDS, EFS's mount helper; the package repositories, which for Amazon Linux 2023 are
/// in S3; through the NAT gateway or VPC endpoints alike), MySQL to the database's group and NFS to the
/// file system's. DNS (the VPC resolver), the instance metadata service and the time service are
/// link-local and need no rule.
fn app_egress(topology: &Topology) -> Vec<Value> {
    let mut rules = vec![tcp_with_cidr(443, "0.0.0.0/0", "HTTPS to AWS APIs and package repositories")];
    if topology.database.is_some() {
        rules.push(tcp_with_group(3306, id_of(names::DATABASE_SECURITY_GROUP), "MySQL to the database"));
    }
    if topology.shared_storage.is_some() {
        rules.push(tcp_with_group(2049, id_of(names::EFS_SECURITY_GROUP), "NFS to the shared file system"));
    }
    rules
}

fn security_groups(topology: &Topology, facts: &Facts) -> Vec<Desired> {
    let name = &topology.name;
    // An internal load balancer only takes traffic from inside the VPC.
    let clients = match topology.load_balancer.scheme {
        Scheme::InternetFacing => "0.0.0.0/0".to_owned(),
        Scheme::Internal => facts.vpc_cidr.clone(),
    };
    let alb_rules = topology
        .load_balancer
        .listeners
        .iter()
        .map(|l| {
            let protocol = if l.certificate_arn.is_some() { "HTTPS" } else { "HTTP" };
            tcp_with_cidr(l.port, &clients, &format!("{protocol} from clients to listener {}", l.port))
        })
        .collect();
    let alb =
        security_group(topology, facts, names::ALB_SECURITY_GROUP, &format!("{name}-alb"), "load balancer listeners")
            .prop(&security_group::INGRESS, Value::List(alb_rules));
    // The load balancer reaches the nodes of the groups it routes to, on their ports, nowhere else.
    let mut ports: Vec<u16> = topology.groups.iter().filter(|g| g.is_routed()).map(|g| g.nodes.port).collect();
    ports.sort_unstable();
    ports.dedup();
    let app = security_group(
        topology,
        facts,
        names::APP_SECURITY_GROUP,
        &format!("{name}-app"),
        "app nodes, reached only from the load balancer",
    );
    let alb_egress = ports
        .iter()
        .map(|&port| {
            tcp_with_group(port, id_of(names::APP_SECURITY_GROUP), "requests and health checks to the app nodes")
        })
        .collect();
    let mut out = Vec::from(with_egress(alb, alb_egress));
    let peer_ports = peer_ports(topology);
    let app = app.prop(
        &security_group::INGRESS,
        Value::List(
            ports
                .iter()
                .map(|&port| tcp_with_group(port, id_of(names::ALB_SECURITY_GROUP), "app port from the load balancer"))
                .chain(peer_ports.iter().map(|&port| tcp_with_itself(port, "a node group's port from the other nodes")))
                .collect(),
        ),
    );
    let mut app_egress = app_egress(topology);
    app_egress.extend(
        peer_ports.iter().map(|&port| {
            tcp_with_group(port, id_of(names::APP_SECURITY_GROUP), "a node group's port on the other nodes")
        }),
    );
    out.extend(with_egress(app, app_egress));
    out
}

/// The ports nodes of different groups reach each other on (workers on their coordinator's), when there
/// are several groups: every group's port. One group's nodes talk to the load balancer only.
pub fn peer_ports(topology: &Topology) -> Vec<u16> {
    if topology.groups.len() < 2 {
        return Vec::new();
    }
    let mut ports: Vec<u16> = topology.groups.iter().map(|g| g.nodes.port).collect();
    ports.sort_unstable();
    ports.dedup();
    ports
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
