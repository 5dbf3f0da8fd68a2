//! The load-balancing family: the Application Load Balancer, its target group and its listeners.
//!
//! Load balancers and target groups have account-unique names, derived from the deployment name, so
//! discovery asks for them by name (one call each) and then checks the ownership tag; listeners are
//! children of the load balancer and are found through it.

mod alb;
mod listener;
mod target_group;

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::Tag;

use super::network::{self, named};
use super::{BoxFuture, Ctx, Facts, Family, Progress};
use crate::aws::{AwsError, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::topology::{Algorithm, Scheme, Stickiness, Topology};

pub struct LoadBalancing;

pub const LOAD_BALANCER: &str = "load_balancer/alb";
pub const TARGET_GROUP: &str = "load_balancer/target-group/app";

pub fn load_balancer_name(deployment: &str) -> String {
    format!("{deployment}-alb")
}

pub fn target_group_name(deployment: &str) -> String {
    format!("{deployment}-app")
}

fn listener_address(port: i64) -> String {
    format!("load_balancer/listener/{port}")
}

/// Target group attributes clusterup manages; every other attribute keeps AWS's default.
fn target_group_attributes(topology: &Topology) -> Value {
    let lb = &topology.load_balancer;
    let algorithm = match lb.algorithm {
        Algorithm::RoundRobin => "round_robin",
        Algorithm::LeastOutstandingRequests => "least_outstanding_requests",
        Algorithm::WeightedRandom => "weighted_random",
    };
    let mut attrs = BTreeMap::from([("load_balancing.algorithm.type".to_owned(), Value::str(algorithm))]);
    match &lb.stickiness {
        None => {
            attrs.insert("stickiness.enabled".into(), Value::str("false"));
        }
        Some(Stickiness::LbCookie { duration }) => {
            attrs.insert("stickiness.enabled".into(), Value::str("true"));
            attrs.insert("stickiness.type".into(), Value::str("lb_cookie"));
            attrs.insert("stickiness.lb_cookie.duration_seconds".into(), Value::str(duration.as_secs().to_string()));
        }
        Some(Stickiness::AppCookie { cookie_name, duration }) => {
            attrs.insert("stickiness.enabled".into(), Value::str("true"));
            attrs.insert("stickiness.type".into(), Value::str("app_cookie"));
            attrs.insert("stickiness.app_cookie.cookie_name".into(), Value::str(cookie_name));
            attrs.insert("stickiness.app_cookie.duration_seconds".into(), Value::str(duration.as_secs().to_string()));
        }
    }
    Value::Map(attrs)
}

fn health_check(topology: &Topology) -> Value {
    let hc = &topology.load_balancer.health_check;
    Value::Map(BTreeMap::from([
        ("path".to_owned(), Value::str(&hc.path)),
        ("interval_seconds".to_owned(), Value::Int(hc.interval.as_secs() as i64)),
        ("timeout_seconds".to_owned(), Value::Int(hc.timeout.as_secs() as i64)),
        ("healthy_threshold".to_owned(), Value::Int(i64::from(hc.healthy_threshold))),
        ("unhealthy_threshold".to_owned(), Value::Int(i64::from(hc.unhealthy_threshold))),
        ("matcher".to_owned(), Value::str(&hc.matcher)),
    ]))
}

impl Family for LoadBalancing {
    fn name(&self) -> &'static str {
        "load_balancer"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[Kind::TargetGroup, Kind::LoadBalancer, Kind::Listener]
    }

    fn desired(&self, topology: &Topology, facts: &Facts) -> Vec<Desired> {
        let name = &topology.name;
        let net = network::refs(topology, facts);
        let lb = &topology.load_balancer;
        let (scheme, subnets) = match lb.scheme {
            Scheme::InternetFacing => ("internet-facing", net.public_subnets),
            Scheme::Internal => ("internal", net.private_subnets),
        };
        let mut out = vec![
            named(topology, TARGET_GROUP, Kind::TargetGroup, &target_group_name(name))
                .prop("name", Value::str(target_group_name(name)))
                .prop("vpc", net.vpc)
                .prop("port", Value::Int(i64::from(topology.app.port)))
                .prop("protocol", Value::str("HTTP"))
                .prop("health_check", health_check(topology))
                .prop("attributes", target_group_attributes(topology)),
            named(topology, LOAD_BALANCER, Kind::LoadBalancer, &load_balancer_name(name))
                .prop("name", Value::str(load_balancer_name(name)))
                .prop("scheme", Value::str(scheme))
                .prop("subnets", Value::List(subnets))
                .prop("security_groups", Value::List(vec![Value::Ref(Address::new(network::ALB_SECURITY_GROUP))]))
                .prop(
                    "attributes",
                    Value::Map(BTreeMap::from([(
                        "idle_timeout.timeout_seconds".to_owned(),
                        Value::str(lb.idle_timeout.as_secs().to_string()),
                    )])),
                ),
        ];
        for listener in &lb.listeners {
            let port = i64::from(listener.port);
            let mut desired = named(topology, &listener_address(port), Kind::Listener, &format!("{name}-{port}"))
                .prop("load_balancer", Value::Ref(Address::new(LOAD_BALANCER)))
                .prop("port", Value::Int(port))
                .prop("target_group", Value::Ref(Address::new(TARGET_GROUP)));
            desired = match &listener.certificate_arn {
                Some(arn) => desired.prop("protocol", Value::str("HTTPS")).prop("certificate", Value::str(arn)),
                None => desired.prop("protocol", Value::str("HTTP")),
            };
            out.push(desired);
        }
        out
    }

    fn outputs(&self, resources: &[Actual]) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let Some(lb) = resources.iter().find(|r| r.address.as_str() == LOAD_BALANCER) else { return out };
        let dns = lb.attrs.get("dns_name").cloned().unwrap_or_default();
        // The URL users open: HTTPS if a listener speaks it, else the first HTTP listener's port.
        let listeners: Vec<(&str, i64)> = resources
            .iter()
            .filter(|r| r.kind == Kind::Listener)
            .map(|r| {
                (
                    r.props.get("protocol").and_then(Value::as_str).unwrap_or("HTTP"),
                    r.props.get("port").and_then(Value::as_int).unwrap_or(80),
                )
            })
            .collect();
        let pick =
            listeners.iter().find(|(p, _)| *p == "HTTPS").or_else(|| listeners.iter().min_by_key(|(_, port)| *port));
        if let Some((protocol, port)) = pick {
            let scheme = protocol.to_ascii_lowercase();
            let default = (scheme == "https" && *port == 443) || (scheme == "http" && *port == 80);
            let url = if default { format!("{scheme}://{dns}/") } else { format!("{scheme}://{dns}:{port}/") };
            out.push(("url", url));
        }
        out.push(("load_balancer_dns", dns));
        out.push(("load_balancer_arn", lb.id.clone()));
        if let Some(tg) = super::id_of(resources, TARGET_GROUP) {
            out.push(("target_group_arn", tg.to_owned()));
        }
        out
    }

    fn discover<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Vec<Actual>, AwsError>> {
        Box::pin(async move {
            let (lbs, tgs) = tokio::try_join!(alb::discover(ctx), target_group::discover(ctx))?;
            let mut out = Vec::new();
            for lb in &lbs {
                out.extend(listener::discover(ctx, lb).await?);
            }
            out.extend(lbs);
            out.extend(tgs);
            Ok(out)
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
                Kind::TargetGroup => target_group::create(ctx, want).await,
                Kind::LoadBalancer => alb::create(ctx, want, progress).await,
                Kind::Listener => listener::create(ctx, want).await,
                other => unreachable!("{other:?} is not a load balancing kind"),
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
                Kind::TargetGroup => target_group::update(ctx, have, want).await?,
                Kind::LoadBalancer => alb::update(ctx, have, want).await?,
                Kind::Listener => listener::update(ctx, have, want).await?,
                other => unreachable!("{other:?} is not a load balancing kind"),
            }
            sync_tags(ctx, have, want).await?;
            Ok(Actual { props: want.props.clone(), ..have.clone() })
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
                Kind::TargetGroup => target_group::delete(ctx, have, progress).await,
                Kind::LoadBalancer => alb::delete(ctx, have, progress).await,
                Kind::Listener => listener::delete(ctx, have).await,
                other => unreachable!("{other:?} is not a load balancing kind"),
            }
        })
    }
}

fn elb_tags(want: &Desired) -> Vec<Tag> {
    tags::from_value(want.props.get("tags")).iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Tags of several ELBv2 resources, by ARN (DescribeTags takes up to 20 ARNs per call).
async fn read_tags(ctx: &Ctx, arns: &[String]) -> Result<BTreeMap<String, BTreeMap<String, String>>, AwsError> {
    let mut out = BTreeMap::new();
    for chunk in arns.chunks(20) {
        let described = ctx
            .aws
            .elb
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .call("DescribeTags", &ctx.deployment)?;
        for desc in described.tag_descriptions() {
            let tags = tags::from_pairs(desc.tags().iter().map(|t| (t.key(), t.value())));
            out.insert(desc.resource_arn().unwrap_or_default().to_owned(), tags);
        }
    }
    Ok(out)
}

async fn sync_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    let Some(change) = tags::change(have.props.get("tags"), want.props.get("tags")) else { return Ok(()) };
    let resource = have.address.as_str();
    if !change.set.is_empty() {
        let set = change.set.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        ctx.aws.elb.add_tags().resource_arns(&have.id).set_tags(Some(set)).send().await.call("AddTags", resource)?;
    }
    if !change.remove.is_empty() {
        ctx.aws
            .elb
            .remove_tags()
            .resource_arns(&have.id)
            .set_tag_keys(Some(change.remove))
            .send()
            .await
            .call("RemoveTags", resource)?;
    }
    Ok(())
}
