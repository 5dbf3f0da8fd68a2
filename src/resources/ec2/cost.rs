//! What EC2's billed kinds cost: the NAT gateway by the hour (and by the GB it processes), and an
//! Elastic IP as a public IPv4 address.

use crate::model::charge::{Charge, Item, PriceKey};

/// A NAT gateway by the hour; the data it processes is billed by the GB, shown as a note.
pub(super) fn nat_gateway(_: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    Some(Charge::hourly("NAT gateway", PriceKey::NatGatewayHour, Some(PriceKey::NatGatewayGb)))
}

/// An Elastic IP is a public IPv4 address, billed by the hour since February 2024.
pub(super) fn elastic_ip(_: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    Some(Charge::hourly("public IPv4 address", PriceKey::PublicIpv4Hour, None))
}
