//! The network section: managed VPC (cidr, zones, nat) or an existing one.

use std::net::Ipv4Addr;

use super::*;
use crate::topology::*;

fn network(body: &str) -> String {
    minimal_with(&format!("network:\n{body}"))
}

#[test]
fn cidr_errors_point_at_the_value() {
    expect_err(&network("  cidr: 10.20.0.0/33\n"), 6, 9, "network.cidr", "expected /16 to /24");
    expect_err(
        &network("  cidr: 300.1.0.0/16\n"),
        6,
        9,
        "network.cidr",
        "`300.1.0.0` in `300.1.0.0/16` is not an IPv4 address",
    );
    expect_err(&network("  cidr: 10.20.1.0/16\n"), 6, 9, "network.cidr", "host bits set; did you mean 10.20.0.0/16?");
    expect_err(&network("  cidr: 10.0.0.0/8\n"), 6, 9, "network.cidr", "a VPC here must be /16 to /24");
    expect_err(&network("  cidr: 10.0.0.0/28\n"), 6, 9, "network.cidr", "a VPC here must be /16 to /24");
    expect_err(&network("  cidr: 10.20.0.0\n"), 6, 9, "network.cidr", "is not a CIDR block");
    expect_err(&network("  cidr: 127.0.0.0/16\n"), 6, 9, "network.cidr", "reserved range");
}

#[test]
fn zone_count_and_names() {
    let t = ok(&network("  availability_zones: 3\n  nat: none\n")).topology;
    assert!(matches!(t.network, Network::Managed(ManagedNetwork { zones: Zones::Count(3), nat: NatMode::None, .. })));
    expect_err(
        &network("  availability_zones: 1\n"),
        6,
        23,
        "network.availability_zones",
        "need at least two availability zones",
    );
    expect_err(&network("  availability_zones: 0\n"), 6, 23, "network.availability_zones", "0 zones is too few");
    expect_err(&network("  availability_zones: 7\n"), 6, 23, "network.availability_zones", "expected 2 to 6");
    expect_err(&network("  availability_zones: -2\n"), 6, 23, "network.availability_zones", "not a number of zones");
    expect_err(
        &network("  availability_zones: us-east-1a\n"),
        6,
        23,
        "network.availability_zones",
        "or a list of zone names",
    );
    expect_err(
        &network("  availability_zones: [us-east-1a]\n"),
        6,
        23,
        "network.availability_zones",
        "1 zone is too few",
    );
    expect_err(
        &network("  availability_zones:\n    - us-east-1a\n    - us-west-2b\n"),
        8,
        7,
        "network.availability_zones[1]",
        "`us-west-2b` is not in region us-east-1",
    );
    expect_err(
        &network("  availability_zones: [us-east-1a, us-east-1a]\n"),
        6,
        36,
        "network.availability_zones[1]",
        "listed twice",
    );
    expect_err(
        &network("  availability_zones: [us-east-1a, east]\n"),
        6,
        36,
        "network.availability_zones[1]",
        "not an availability zone name",
    );
}

#[test]
fn nat_choices_are_listed() {
    expect_err(
        &network("  nat: double\n"),
        6,
        8,
        "network.nat",
        "`double` is not a valid nat mode; expected one of single, per_az, none",
    );
}

#[test]
fn existing_vpc() {
    let t = ok(&network(
        "  vpc_id: vpc-0123456789abcdef0\n  public_subnet_ids: [subnet-0a1b2c3d, subnet-1a2b3c4d]\n  private_subnet_ids: [subnet-2a1b2c3d, subnet-3a2b3c4d]\n",
    ));
    assert_eq!(
        t.topology.network,
        Network::Existing(ExistingNetwork {
            vpc_id: "vpc-0123456789abcdef0".into(),
            public_subnet_ids: vec!["subnet-0a1b2c3d".into(), "subnet-1a2b3c4d".into()],
            private_subnet_ids: vec!["subnet-2a1b2c3d".into(), "subnet-3a2b3c4d".into()],
        })
    );
    // No NAT warning: clusterup does not build the network.
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

#[test]
fn existing_vpc_rules() {
    let subnets = "  public_subnet_ids: [subnet-0a1b2c3d, subnet-1a2b3c4d]\n  private_subnet_ids: [subnet-2a1b2c3d, subnet-3a2b3c4d]\n";
    expect_err(&network("  vpc_id: vpc-12\n"), 6, 11, "network.vpc_id", "expected vpc- followed by 8 to 17 hex digits");
    expect_err(&network(subnets), 6, 3, "network.vpc_id", "missing required field `vpc_id`");
    expect_err(
        &network("  vpc_id: vpc-0123456789abcdef0\n  public_subnet_ids: [subnet-0a1b2c3d, subnet-1a2b3c4d]\n"),
        6,
        3,
        "network.private_subnet_ids",
        "missing required field `private_subnet_ids`",
    );
    expect_err(
        &network("  vpc_id: vpc-0123456789abcdef0\n  public_subnet_ids: [subnet-0a1b2c3d]\n  private_subnet_ids: [subnet-2a1b2c3d, subnet-3a2b3c4d]\n"),
        7,
        22,
        "network.public_subnet_ids",
        "1 subnet is too few",
    );
    expect_err(
        &network("  vpc_id: vpc-0123456789abcdef0\n  public_subnet_ids: [subnet-0a1b2c3d, subnet-0a1b2c3d]\n  private_subnet_ids: [subnet-2a1b2c3d, subnet-3a2b3c4d]\n"),
        7,
        40,
        "network.public_subnet_ids[1]",
        "listed twice",
    );
    expect_err(
        &network("  vpc_id: vpc-0123456789abcdef0\n  public_subnet_ids: [subnet-0a1b2c3d, subnet-1a2b3c4d]\n  private_subnet_ids: [subnet-2a1b2c3d, subnet-1a2b3c4d]\n"),
        8,
        41,
        "network.private_subnet_ids[1]",
        "also listed in public_subnet_ids",
    );
    expect_err(
        &network("  vpc_id: vpc-0123456789abcdef0\n  public_subnet_ids: [sub-1]\n"),
        7,
        23,
        "network.public_subnet_ids[0]",
        "not a subnet id",
    );
}

#[test]
fn managed_and_existing_cannot_mix() {
    expect_err(
        &network("  cidr: 10.0.0.0/16\n  vpc_id: vpc-0123456789abcdef0\n"),
        6,
        3,
        "network.cidr",
        "cannot be combined with vpc_id",
    );
    expect_err(
        &network("  private_subnet_ids: [subnet-2a1b2c3d, subnet-3a2b3c4d]\n  nat: per_az\n"),
        7,
        3,
        "network.nat",
        "cannot be combined",
    );
}

#[test]
fn cidr_value_is_kept() {
    let t = ok(&network("  cidr: 192.168.0.0/20\n")).topology;
    match t.network {
        Network::Managed(m) => assert_eq!(m.cidr, Cidr { addr: Ipv4Addr::new(192, 168, 0, 0), prefix: 20 }),
        other => panic!("{other:?}"),
    }
}

/// Without a route out of the private subnets, nodes that install packages, call AWS's APIs or fetch
/// the RDS CA bundle fail their health checks in a loop: `validate` refuses it, at the `nat` value, and
/// says what to write instead.
#[test]
fn no_nat_gateway_is_refused_with_a_database_shared_storage_or_spark() {
    let no_nat = "network:\n  nat: none\n";
    for (section, named) in [
        ("database:\n", "with `database` the nodes need one"),
        ("shared_storage:\n", "with `shared_storage` the nodes need one"),
        ("database:\nshared_storage:\n", "with `database` and `shared_storage` the nodes need one"),
        ("database:\nshared_storage:\nspark:\n", "with `database`, `shared_storage` and `spark` the nodes"),
    ] {
        let text = minimal_with(&format!("{no_nat}{section}"));
        expect_err(&text, 6, 8, "network.nat", named);
        let d = err(&text);
        assert!(d.message.contains("Write `nat: single`"), "{d}");
        assert!(d.message.contains("Amazon Linux's repositories (in S3)"), "{d}");
        assert!(d.message.contains("network.vpc_id"), "{d}");
    }
    // An app alone has nothing to fetch: its default user data serves from what the image has.
    assert!(matches!(
        ok(&minimal_with(no_nat)).topology.network,
        Network::Managed(ManagedNetwork { nat: NatMode::None, .. })
    ));
    // A NAT gateway, or a VPC of the user's own, is fine.
    ok(&minimal_with("network:\n  nat: single\ndatabase:\nshared_storage:\n"));
    ok(&minimal_with("network:\n  nat: per_az\ndatabase:\n"));
}
