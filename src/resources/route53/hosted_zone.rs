//! The deployment's private hosted zone `<deployment>.internal`, associated with its VPC, in which the app
//! nodes keep one A record per node group (`<group>.<deployment>.internal`, see
//! templates/app-user-data.sh). clusterup makes and deletes the zone; the records are the nodes'.
//!
//! Route 53 is global and its zones take no tags in CreateHostedZone: the zone is tagged by
//! ChangeTagsForResource right after it is made. Discovery lists the zones of the zone's name
//! (ListHostedZonesByName), keeps the private ones associated with a VPC in the deployment's region
//! (GetHostedZone: the same deployment name may be used in two regions) and reads their tags
//! (ListTagsForResource). A zone made by a create that stopped before it was tagged is still found: its
//! CallerReference is clusterup's for this deployment and region ([`caller_reference`]), and the next
//! apply tags it.
//!
//! CallerReference makes a retried create safe: it is derived from the deployment, region and VPC, so a
//! create repeated after a crash gets HostedZoneAlreadyExists and adopts the zone the first one made.
//! Route 53 keeps a reference used even after its zone is deleted ("a unique string ... every time you
//! submit a CreateHostedZone request",
//! <https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHostedZone.html>), so a reference
//! whose zone is gone moves on to the next number.
//!
//! Deleting: Route 53 refuses to delete a zone that holds records other than its own SOA and NS
//! (HostedZoneNotEmpty), and the nodes' records are not clusterup's resources, so delete removes every
//! other record set first. The Auto Scaling groups are deleted before it, so no node writes meanwhile.

use std::collections::BTreeMap;

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HostedZone as Zone, HostedZoneConfig, ResourceRecordSet, RrType, Tag,
    TagResourceType, Vpc, VpcRegion,
};

use crate::aws::{AwsError, ErrorClass, Outcome, PollPolicy, ResultExt, Service};
use crate::model::charge::{Charge, Item, PriceKey, Quantity};
use crate::model::{tags, Actual, Address, Desired, Kind, Prop, Value, NAME, TAGS};
use crate::resources::support::{self, built, owned_address, returned_id};
use crate::resources::{at_once, tag_pairs, Ctx, Error, Progress, ResourceKind, Spec};

/// The VPC the zone is associated with at creation; another VPC is another zone.
pub const VPC: Prop = Prop::new("vpc").replaces();

/// What every zone's ARN starts with: Route 53's ARNs have no region or account
/// (`arn:aws:route53:::hostedzone/<id>`).
pub const ARN_PREFIX: &str = "route53:::hostedzone/";

/// The most CreateHostedZone references tried per deployment, region and VPC: each one whose zone was
/// deleted since moves the next create on by one, and a VPC rarely sees its zone remade.
const REFERENCES: u32 = 100;

pub struct HostedZone;

const SPEC: Spec = Spec::new(Kind::HostedZone, "private hosted zone", Service::Route53, PollPolicy::FAST, at_once)
    .props(&[&NAME, &VPC, &TAGS])
    // Its records are the nodes': gone with them, so nothing writes while the zone is emptied.
    .deleted_after(&[Kind::AutoScalingGroup])
    .charge(charge);

/// One hosted zone-month, whatever it holds; the DNS queries of the nodes are billed apart, per million,
/// and not estimated.
fn charge(_: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    Some(Charge {
        what: "Route 53 private hosted zone".into(),
        parts: vec![(PriceKey::Route53HostedZoneMonth, Quantity::Months(1.0))],
        note: None,
    })
}

/// `clusterup/<deployment>/<region>/<vpc>/<n>`: the same for a retried create, different for another
/// deployment, region or VPC (at most 128 characters: a deployment name has 21, a region 14, a VPC id 21).
pub fn caller_reference(deployment: &str, region: &str, vpc: &str, n: u32) -> String {
    format!("{}{vpc}/{n}", reference_prefix(deployment, region))
}

fn reference_prefix(deployment: &str, region: &str) -> String {
    format!("clusterup/{deployment}/{region}/")
}

/// Route 53 answers ids as `/hostedzone/<id>`; the other calls and the ARN take the id alone.
fn bare_id(id: &str) -> &str {
    id.strip_prefix("/hostedzone/").unwrap_or(id)
}

/// A zone name as Route 53 writes it, with the root's dot.
fn absolute(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

impl ResourceKind for HostedZone {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let name = crate::model::names::discovery::zone_name(&ctx.deployment);
        let mut found = Vec::new();
        for zone in zones_named(ctx, &name).await? {
            let id = bare_id(zone.id()).to_owned();
            // Deleted meanwhile: nothing to find.
            let Some(vpcs) = zone_vpcs(ctx, &id).await.found()? else { continue };
            // Another region's deployment of the same name has a zone of the same name.
            let Some(vpc) = vpcs.iter().find(|(_, region)| region == &ctx.aws.region).map(|(vpc, _)| vpc.clone())
            else {
                continue;
            };
            let Some(tags) = read_tags(ctx, &id).await.found()? else { continue };
            let address = match owned_address(ctx, &tags) {
                Some(address) => address,
                // Made by a create that stopped before tagging it: clusterup's by its reference.
                None if tags.is_empty()
                    && zone.caller_reference().starts_with(&reference_prefix(&ctx.deployment, &ctx.aws.region)) =>
                {
                    Address::new(crate::model::names::discovery::ZONE)
                }
                // A zone of the same name someone else made for another VPC: not ours, and no clash
                // (private zones of one name may exist for different VPCs).
                None => continue,
            };
            found.push(
                Actual::new(address, Kind::HostedZone, &id)
                    .prop(&NAME, Value::str(zone.name().trim_end_matches('.')))
                    .prop(&VPC, Value::str(vpc))
                    .prop(&TAGS, tags::to_value(&tags)),
            );
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = want.address.as_str();
        let name = want.text(&NAME)?;
        let vpc = want.text(&VPC)?;
        let mut made = None;
        for n in 0..REFERENCES {
            let reference = caller_reference(&ctx.deployment, &ctx.aws.region, vpc, n);
            let out = ctx
                .aws
                .route53
                .create_hosted_zone()
                .name(name)
                .vpc(Vpc::builder().vpc_id(vpc).vpc_region(VpcRegion::from(ctx.aws.region.as_str())).build())
                .caller_reference(&reference)
                .hosted_zone_config(
                    HostedZoneConfig::builder()
                        .private_zone(true)
                        .comment(format!("clusterup {}: node group discovery", ctx.deployment))
                        .build(),
                )
                .send()
                .await
                .call("CreateHostedZone", resource);
            match out {
                Ok(out) => {
                    let id = returned_id(out.hosted_zone().map(|z| bare_id(z.id())), resource, "CreateHostedZone")?;
                    made = Some(id);
                    break;
                }
                // This reference made a zone before: the same create, retried after a crash (adopt its
                // zone), or a zone deleted since (try the next reference).
                Err(err) if err.is(ErrorClass::AlreadyExists) => {
                    if let Some(id) = zone_of_reference(ctx, name, vpc, &reference).await? {
                        made = Some(id);
                        break;
                    }
                }
                Err(err) => return Err(err.into()),
            }
        }
        let Some(id) = made else {
            return Err(Error::Bug(format!(
                "{resource}: CreateHostedZone refused all {REFERENCES} references of {}: each made a zone that is gone",
                reference_prefix(&ctx.deployment, &ctx.aws.region)
            )));
        };
        let tags = route53_tags(&tag_pairs(want));
        ctx.aws
            .route53
            .change_tags_for_resource()
            .resource_type(TagResourceType::Hostedzone)
            .resource_id(&id)
            .set_add_tags(Some(tags))
            .send()
            .await
            .call("ChangeTagsForResource", resource)?;
        Ok(Actual::made(want, id))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let (route53, id, resource) = (&ctx.aws.route53, &have.id, have.address.as_str());
        let set = move |pairs: BTreeMap<String, String>| async move {
            route53
                .change_tags_for_resource()
                .resource_type(TagResourceType::Hostedzone)
                .resource_id(id)
                .set_add_tags(Some(route53_tags(&pairs)))
                .send()
                .await
                .call("ChangeTagsForResource", resource)?;
            Ok(())
        };
        let remove = move |keys: Vec<String>| async move {
            route53
                .change_tags_for_resource()
                .resource_type(TagResourceType::Hostedzone)
                .resource_id(id)
                .set_remove_tag_keys(Some(keys))
                .send()
                .await
                .call("ChangeTagsForResource", resource)?;
            Ok(())
        };
        support::sync_tags(have, want, set, remove).await?;
        Ok(have.updated_to(want))
    }

    /// Empties the zone of the nodes' records (every record set but the zone's own SOA and NS), then
    /// deletes it. A zone already gone is done.
    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        let Some(records) = record_sets(ctx, &have.id, resource).await.found()? else { return Ok(()) };
        let apex = have.text(&NAME).map(absolute);
        let nodes: Vec<ResourceRecordSet> = records.into_iter().filter(|r| !is_zone_own(r, apex.as_deref())).collect();
        // At most 1,000 changes per batch (Route 53 quotas).
        for chunk in nodes.chunks(1000) {
            let changes = chunk
                .iter()
                .map(|r| {
                    built(
                        Change::builder().action(ChangeAction::Delete).resource_record_set(r.clone()).build(),
                        resource,
                        "ChangeResourceRecordSets",
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            let batch = built(
                ChangeBatch::builder()
                    .comment("clusterup destroy: the node groups' records go with the zone")
                    .set_changes(Some(changes))
                    .build(),
                resource,
                "ChangeResourceRecordSets",
            )?;
            let out = ctx
                .aws
                .route53
                .change_resource_record_sets()
                .hosted_zone_id(&have.id)
                .change_batch(batch)
                .send()
                .await
                .call("ChangeResourceRecordSets", resource);
            if out.found()?.is_none() {
                return Ok(());
            }
        }
        ctx.aws.route53.delete_hosted_zone().id(&have.id).send().await.call("DeleteHostedZone", resource).gone_ok()?;
        Ok(())
    }
}

/// Whether `record` is one Route 53 made with the zone and deletes with it: the SOA and NS at its apex.
fn is_zone_own(record: &ResourceRecordSet, apex: Option<&str>) -> bool {
    matches!(record.r#type(), RrType::Soa | RrType::Ns) && apex.is_none_or(|apex| absolute(record.name()) == apex)
}

fn route53_tags(pairs: &BTreeMap<String, String>) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Every zone named `name`, private or not, from every page.
async fn zones_named(ctx: &Ctx, name: &str) -> Result<Vec<Zone>, AwsError> {
    let wanted = absolute(name);
    let mut found = Vec::new();
    let (mut start, mut start_id) = (Some(wanted.clone()), None);
    loop {
        let page = ctx
            .aws
            .route53
            .list_hosted_zones_by_name()
            .set_dns_name(start.take())
            .set_hosted_zone_id(start_id.take())
            .send()
            .await
            .call("ListHostedZonesByName", &ctx.deployment)?;
        // The answer starts at `name` and goes on in name order: past it, nothing more is ours.
        let mut past = false;
        for zone in page.hosted_zones() {
            if absolute(zone.name()) != wanted {
                past = true;
                break;
            }
            if zone.config().is_some_and(|c| c.private_zone()) {
                found.push(zone.clone());
            }
        }
        match (past, page.is_truncated(), page.next_dns_name(), page.next_hosted_zone_id()) {
            (false, true, Some(next), Some(next_id)) if absolute(next) == wanted => {
                start = Some(next.to_owned());
                start_id = Some(next_id.to_owned());
            }
            _ => break,
        }
    }
    Ok(found)
}

/// The VPCs (id, region) the zone `id` is associated with.
async fn zone_vpcs(ctx: &Ctx, id: &str) -> Result<Vec<(String, String)>, AwsError> {
    let out = ctx.aws.route53.get_hosted_zone().id(id).send().await.call("GetHostedZone", id)?;
    Ok(out.vpcs().iter().filter_map(|v| Some((v.vpc_id()?.to_owned(), v.vpc_region()?.as_str().to_owned()))).collect())
}

/// The zone's tags.
async fn read_tags(ctx: &Ctx, id: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = ctx
        .aws
        .route53
        .list_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(id)
        .send()
        .await
        .call("ListTagsForResource", id)?;
    let tags = out.resource_tag_set().map(|s| s.tags()).unwrap_or(&[]);
    Ok(tags::from_pairs(tags.iter().map(|t| (t.key(), t.value()))))
}

/// The zone named `name` in `vpc` that the create with `reference` made, if it is still there.
async fn zone_of_reference(ctx: &Ctx, name: &str, vpc: &str, reference: &str) -> Result<Option<String>, AwsError> {
    let wanted = absolute(name);
    let mut token = None;
    loop {
        let page = ctx
            .aws
            .route53
            .list_hosted_zones_by_vpc()
            .vpc_id(vpc)
            .vpc_region(VpcRegion::from(ctx.aws.region.as_str()))
            .set_next_token(token.take())
            .send()
            .await
            .call("ListHostedZonesByVPC", vpc)?;
        for summary in page.hosted_zone_summaries() {
            if absolute(summary.name()) != wanted {
                continue;
            }
            let id = bare_id(summary.hosted_zone_id());
            let zone = ctx.aws.route53.get_hosted_zone().id(id).send().await.call("GetHostedZone", id).found()?;
            if zone.and_then(|z| z.hosted_zone).is_some_and(|z| z.caller_reference() == reference) {
                return Ok(Some(id.to_owned()));
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(None),
        }
    }
}

/// Every record set of the zone `id`, from every page.
pub(super) async fn record_sets(ctx: &Ctx, id: &str, resource: &str) -> Result<Vec<ResourceRecordSet>, AwsError> {
    let mut all = Vec::new();
    let (mut name, mut kind) = (None, None);
    loop {
        let page = ctx
            .aws
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(id)
            .set_start_record_name(name.take())
            .set_start_record_type(kind.take())
            .send()
            .await
            .call("ListResourceRecordSets", resource)?;
        all.extend(page.resource_record_sets().iter().cloned());
        match (page.is_truncated(), page.next_record_name(), page.next_record_type()) {
            (true, Some(next), Some(next_type)) => {
                name = Some(next.to_owned());
                kind = Some(next_type.clone());
            }
            _ => return Ok(all),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_route53::operation::change_tags_for_resource::ChangeTagsForResourceOutput;
    use aws_sdk_route53::operation::create_hosted_zone::{CreateHostedZoneError, CreateHostedZoneOutput};
    use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneOutput;
    use aws_sdk_route53::operation::list_hosted_zones_by_vpc::ListHostedZonesByVpcOutput;
    use aws_sdk_route53::types::{ChangeInfo, ChangeStatus, HostedZoneOwner, HostedZoneSummary};
    use aws_sdk_route53::Client;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::aws::Aws;
    use crate::resources::{DataPolicy, Quiet};

    const VPC_ID: &str = "vpc-0a1";

    fn ctx(route53: Client) -> Ctx {
        Ctx { aws: Aws { route53, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() }
    }

    fn want() -> Desired {
        let tags = std::collections::BTreeMap::from([
            (tags::DEPLOYMENT.to_owned(), "shop".to_owned()),
            (tags::RESOURCE.to_owned(), "discovery/zone".to_owned()),
        ]);
        Desired::new("discovery/zone", Kind::HostedZone)
            .prop(&NAME, Value::str("shop.internal"))
            .prop(&VPC, Value::str(VPC_ID))
            .prop(&TAGS, tags::to_value(&tags))
    }

    fn reference(n: u32) -> String {
        caller_reference("shop", "us-east-1", VPC_ID, n)
    }

    fn zone(id: &str, reference: &str) -> Zone {
        Zone::builder()
            .id(format!("/hostedzone/{id}"))
            .name("shop.internal.")
            .caller_reference(reference)
            .build()
            .expect("zone")
    }

    /// A create refused as already made with reference `n`.
    fn already_made(n: u32) -> Rule {
        mock!(Client::create_hosted_zone)
            .match_requests(move |r| r.caller_reference() == Some(reference(n).as_str()))
            .then_error(|| {
                CreateHostedZoneError::generic(ErrorMetadata::builder().code("HostedZoneAlreadyExists").build())
            })
    }

    fn in_vpc(ids: &'static [&'static str]) -> Rule {
        mock!(Client::list_hosted_zones_by_vpc).match_requests(|r| r.vpc_id() == Some(VPC_ID)).then_output(move || {
            let summaries = ids.iter().map(|id| {
                HostedZoneSummary::builder()
                    .hosted_zone_id(*id)
                    .name("shop.internal.")
                    .owner(HostedZoneOwner::builder().owning_account("123456789012").build())
                    .build()
                    .expect("summary")
            });
            ListHostedZonesByVpcOutput::builder()
                .set_hosted_zone_summaries(Some(summaries.collect()))
                .max_items(100)
                .build()
                .expect("output")
        })
    }

    fn tagged(id: &'static str) -> Rule {
        mock!(Client::change_tags_for_resource)
            .match_requests(move |r| r.resource_id() == Some(id) && r.add_tags().len() == 2)
            .then_output(|| ChangeTagsForResourceOutput::builder().build())
    }

    /// A create retried after a crash: Route 53 refuses the same CallerReference (moto makes a second
    /// zone instead, so SDK mocks), and the zone that reference made, found in the VPC, is adopted and
    /// tagged, never a second one made.
    #[tokio::test]
    async fn a_retried_create_adopts_the_zone_its_reference_made_sdk_mock_emulator_gap() {
        let refused = already_made(0);
        let listed = in_vpc(&["Z0OTHER", "Z0MADE"]);
        let described = mock!(Client::get_hosted_zone)
            .then_output(|| GetHostedZoneOutput::builder().hosted_zone(zone("Z0MADE", &reference(0))).build());
        let other = mock!(Client::get_hosted_zone)
            .match_requests(|r| r.id() == Some("Z0OTHER"))
            .then_output(|| GetHostedZoneOutput::builder().hosted_zone(zone("Z0OTHER", "someone-else")).build());
        let tags = tagged("Z0MADE");
        let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&refused, &listed, &other, &described, &tags]);
        let made = HostedZone::create(&ctx(route53), &want(), &Quiet).await.expect("adopted");
        assert_eq!(made.id, "Z0MADE");
        assert_eq!((refused.num_calls(), tags.num_calls()), (1, 1));
    }

    /// A reference whose zone was deleted since (destroy, then apply again in the same VPC) is spent:
    /// the next one makes the zone.
    #[tokio::test]
    async fn a_reference_whose_zone_is_gone_moves_on_to_the_next_sdk_mock_emulator_gap() {
        let refused = already_made(0);
        let listed = in_vpc(&[]);
        let created = mock!(Client::create_hosted_zone)
            .match_requests(|r| {
                r.caller_reference() == Some(reference(1).as_str())
                    && r.vpc().and_then(|v| v.vpc_id()) == Some(VPC_ID)
                    && r.hosted_zone_config().is_some_and(|c| c.private_zone())
            })
            .then_output(|| {
                CreateHostedZoneOutput::builder()
                    .hosted_zone(zone("Z0NEW", &reference(1)))
                    .change_info(
                        ChangeInfo::builder()
                            .id("C1")
                            .status(ChangeStatus::Pending)
                            .submitted_at(aws_smithy_types::DateTime::from_secs(0))
                            .build()
                            .expect("change"),
                    )
                    .location("https://route53.amazonaws.com/2013-04-01/hostedzone/Z0NEW")
                    .delegation_set(
                        aws_sdk_route53::types::DelegationSet::builder().name_servers("ns").build().expect("set"),
                    )
                    .build()
                    .expect("output")
            });
        let tags = tagged("Z0NEW");
        let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&refused, &listed, &created, &tags]);
        let made = HostedZone::create(&ctx(route53), &want(), &Quiet).await.expect("made");
        assert_eq!(made.id, "Z0NEW");
        assert_eq!((refused.num_calls(), created.num_calls(), tags.num_calls()), (1, 1, 1));
    }

    fn record(name: &str, kind: RrType) -> ResourceRecordSet {
        ResourceRecordSet::builder().name(name).r#type(kind).build().expect("record")
    }

    #[test]
    fn only_the_apex_soa_and_ns_are_the_zones_own() {
        let apex = Some("shop.internal.");
        assert!(is_zone_own(&record("shop.internal.", RrType::Soa), apex));
        assert!(is_zone_own(&record("shop.internal", RrType::Ns), apex));
        // The nodes' records, and an NS record someone delegated below the apex, go before the zone.
        assert!(!is_zone_own(&record("web.shop.internal.", RrType::A), apex));
        assert!(!is_zone_own(&record("sub.shop.internal.", RrType::Ns), apex));
        assert!(!is_zone_own(&record("shop.internal.", RrType::A), apex));
    }

    #[test]
    fn the_caller_reference_is_the_same_for_a_retried_create_and_fits_route53s_limit() {
        let a = caller_reference("shop", "us-east-1", "vpc-0123456789abcdef0", 0);
        assert_eq!(a, "clusterup/shop/us-east-1/vpc-0123456789abcdef0/0");
        assert_eq!(a, caller_reference("shop", "us-east-1", "vpc-0123456789abcdef0", 0));
        assert_ne!(a, caller_reference("shop", "eu-west-1", "vpc-0123456789abcdef0", 0));
        assert_ne!(a, caller_reference("shop", "us-east-1", "vpc-0123456789abcdef0", 1));
        let longest = caller_reference(&"a".repeat(21), "ap-southeast-4", "vpc-0123456789abcdef0", REFERENCES - 1);
        assert!(longest.len() <= 128, "{} characters", longest.len());
    }

    #[test]
    fn ids_lose_route53s_path_prefix() {
        assert_eq!(bare_id("/hostedzone/Z0123"), "Z0123");
        assert_eq!(bare_id("Z0123"), "Z0123");
    }
}
