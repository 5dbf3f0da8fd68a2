//! The network: a VPC clusterup builds, or one that exists.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use schemars::JsonSchema;
use serde::Deserialize;

use super::Result;
use crate::topology::error::Finding;
use crate::topology::locate::YamlPath;
use crate::topology::model::*;
use crate::topology::rules;
use crate::topology::types::{SubnetId, VpcId, ZonesValue, MAX_ZONES, MIN_ZONES};

pub const CIDR: Cidr = Cidr { addr: Ipv4Addr::new(10, 0, 0, 0), prefix: 16 };
pub const ZONES: u8 = 2;
pub const NAT: NatMode = NatMode::Single;

/// Both network forms in one struct: `network()` reports a mix of them at the offending key, which
/// an untagged enum could not do.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the network section, a mapping")]
pub struct RawNetwork {
    /// IPv4 CIDR of the VPC clusterup builds, /16 to /24, host bits zero.
    #[schemars(extend("default" = CIDR))]
    pub cidr: Option<Cidr>,
    /// How many zones to spread over (2 to 6, the first the region offers), or which ones.
    #[schemars(extend("default" = ZONES))]
    pub availability_zones: Option<ZonesValue>,
    /// NAT gateways for the private subnets: `single` (one, a warning), `per_az` (one per zone) or
    /// `none` (no outbound internet access).
    #[schemars(extend("default" = NAT))]
    pub nat: Option<NatMode>,
    /// An existing VPC to use instead of building one.
    pub vpc_id: Option<VpcId>,
    /// Public subnets of vpc_id (for the load balancer): at least two, distinct.
    #[schemars(length(min = 2), extend("uniqueItems" = true))]
    pub public_subnet_ids: Option<Vec<SubnetId>>,
    /// Private subnets of vpc_id (app nodes, database): at least two, distinct, none also public.
    #[schemars(length(min = 2), extend("uniqueItems" = true))]
    pub private_subnet_ids: Option<Vec<SubnetId>>,
}

pub fn network(raw: RawNetwork, region: &str, warnings: &mut Vec<Finding>) -> Result<Network> {
    let path = YamlPath::root().key("network");
    let existing = raw.vpc_id.is_some() || raw.public_subnet_ids.is_some() || raw.private_subnet_ids.is_some();
    if existing {
        let managed_keys = [
            ("cidr", raw.cidr.is_some()),
            ("availability_zones", raw.availability_zones.is_some()),
            ("nat", raw.nat.is_some()),
        ];
        if let Some((key, _)) = managed_keys.iter().find(|(_, present)| *present) {
            return Err(Finding::new(
                path.key(key),
                format!(
                    "`{key}` cannot be combined with vpc_id and subnet ids: either clusterup builds the \
                     VPC (cidr, availability_zones, nat) or it uses an existing one (vpc_id, \
                     public_subnet_ids, private_subnet_ids)"
                ),
            )
            .on_key());
        }
        return existing_network(raw, &path).map(Network::Existing);
    }

    let zones = match raw.availability_zones {
        None => Zones::Count(ZONES),
        Some(ZonesValue::Count(n)) => Zones::Count(n),
        Some(ZonesValue::Names(names)) => {
            Zones::Names(zone_names(names.into_iter().map(|z| z.0).collect(), region, &path)?)
        }
    };
    let nat = raw.nat.unwrap_or(NAT);
    if nat == NatMode::Single {
        warnings.push(Finding::new(
            path.key("nat"),
            "one NAT gateway: if its zone fails, private subnets lose outbound access (nat: per_az avoids it)",
        ));
    }
    Ok(Network::Managed(ManagedNetwork { cidr: raw.cidr.unwrap_or(CIDR), zones, nat }))
}

/// Refuses `nat: none` when the nodes need a way out of their private subnets, which `needs` names (the
/// sections that make them need one: `database`, `shared_storage`, `spark`).
///
/// Without a route out, an app node cannot install amazon-efs-utils (Amazon Linux 2023's repositories are
/// in S3), look the database up (RDS), read its secret (Secrets Manager) or download the RDS CA bundle it
/// checks the database's certificate with (truststore.pki.rds.amazonaws.com, which no VPC endpoint
/// serves); it fails its health check and Auto Scaling replaces it, in a loop. An EMR cluster in a private
/// subnet needs S3 and its service's endpoints too. VPC endpoints would not serve the CA bundle, nor
/// whatever the user's own user data installs, and for two zones they cost more than one NAT gateway (an
/// interface endpoint is billed per zone), so clusterup refuses the combination instead of building them
/// (docs/real-aws.md, "No NAT gateway").
pub fn outbound_needed(network: &Network, needs: &[&str]) -> Result<()> {
    let Network::Managed(managed) = network else { return Ok(()) };
    if managed.nat != NatMode::None || needs.is_empty() {
        return Ok(());
    }
    Err(Finding::new(
        YamlPath::root().key("network").key("nat"),
        format!(
            "`nat: none` leaves the private subnets without a route out, and with {} the nodes need one: \
             they install packages from Amazon Linux's repositories (in S3), call AWS APIs (RDS, Secrets \
             Manager, EMR) and download the RDS CA bundle, so they would fail their health checks and be \
             replaced in a loop. Write `nat: single` (one NAT gateway) or `nat: per_az` (one per zone); for \
             private subnets with no internet route, use an existing VPC (network.vpc_id and subnet ids) \
             that has the VPC endpoints and the package mirror your nodes need",
            sections_named(needs)
        ),
    ))
}

/// `a`, `a` and `b`, `a`, `b` and `c`: the sections, in backticks.
fn sections_named(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn zone_names(names: Vec<String>, region: &str, network: &YamlPath) -> Result<Vec<String>> {
    let path = network.key("availability_zones");
    if names.len() < MIN_ZONES {
        return Err(Finding::new(
            path,
            format!(
                "{} is too few: an Application Load Balancer and a DB subnet group need at least two \
                 availability zones",
                rules::count(names.len(), "zone")
            ),
        ));
    }
    if names.len() > MAX_ZONES {
        return Err(Finding::new(path, format!("{} zones is too many: expected 2 to {MAX_ZONES}", names.len())));
    }
    let mut seen = HashSet::new();
    for (i, zone) in names.iter().enumerate() {
        if rules::zone_region(zone) != region {
            return Err(Finding::new(
                path.index(i),
                format!("`{zone}` is not in region {region}; zones must be named like {region}a"),
            ));
        }
        if !seen.insert(zone) {
            return Err(Finding::new(path.index(i), format!("`{zone}` is listed twice")));
        }
    }
    Ok(names)
}

fn existing_network(raw: RawNetwork, path: &YamlPath) -> Result<ExistingNetwork> {
    let Some(vpc_id) = raw.vpc_id else {
        return Err(Finding::new(
            path.key("vpc_id"),
            "missing required field `vpc_id`: subnet ids are only meaningful with the VPC they belong to",
        ));
    };
    let public = subnet_list(raw.public_subnet_ids, path, "public_subnet_ids")?;
    let private = subnet_list(raw.private_subnet_ids, path, "private_subnet_ids")?;
    if let Some(i) = private.iter().position(|s| public.contains(s)) {
        return Err(Finding::new(
            path.key("private_subnet_ids").index(i),
            format!(
                "`{}` is also listed in public_subnet_ids; app nodes and the database belong in private subnets",
                private[i]
            ),
        ));
    }
    Ok(ExistingNetwork { vpc_id: vpc_id.0, public_subnet_ids: public, private_subnet_ids: private })
}

fn subnet_list(ids: Option<Vec<SubnetId>>, network: &YamlPath, key: &str) -> Result<Vec<String>> {
    let path = network.key(key);
    let Some(ids) = ids else {
        return Err(Finding::new(
            path,
            format!(
                "missing required field `{key}`: with vpc_id, give both public_subnet_ids and \
                 private_subnet_ids"
            ),
        ));
    };
    let ids: Vec<String> = ids.into_iter().map(|s| s.0).collect();
    if ids.len() < 2 {
        return Err(Finding::new(
            path,
            format!(
                "{} is too few: an Application Load Balancer and a DB subnet group need subnets in at \
                 least two availability zones",
                rules::count(ids.len(), "subnet")
            ),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(Finding::new(path.index(i), format!("`{id}` is listed twice")));
        }
    }
    Ok(ids)
}
