//! The load balancer: listeners, stickiness, health check.

use super::Result;
use crate::topology::defaults::*;
use crate::topology::error::Finding;
use crate::topology::locate::YamlPath;
use crate::topology::model::*;
use crate::topology::raw::*;
use crate::topology::rules;
use crate::topology::types::StickinessType;

pub fn load_balancer(raw: RawLoadBalancer, region: &str) -> Result<LoadBalancer> {
    let path = YamlPath::root().key("load_balancer");
    let listeners = match raw.listeners {
        None => vec![Listener { port: DEFAULT_LISTENER_PORT, certificate_arn: None }],
        Some(list) => listeners(list, region, &path.key("listeners"))?,
    };
    let stickiness = match raw.stickiness {
        None => None,
        Some(s) => stickiness(s, &path.key("stickiness"))?,
    };
    let algorithm = raw.algorithm.unwrap_or(Algorithm::RoundRobin);
    if algorithm == Algorithm::WeightedRandom && stickiness.is_some() {
        // ELBv2 refuses the pair in ModifyTargetGroupAttributes ("You cannot have both stickiness and
        // weighted random algorithm enabled"), after the target group exists. weighted_random is never a
        // default, so the algorithm key is in the file to point at.
        return Err(Finding::new(
            path.key("algorithm"),
            "weighted_random cannot be combined with load_balancer.stickiness: AWS refuses both at once \
             (\"You cannot have both stickiness and weighted random algorithm enabled\"); use round_robin \
             or least_outstanding_requests with stickiness, or set stickiness.enabled: false",
        ));
    }
    let health_check = health_check(raw.health_check.unwrap_or_default(), &path.key("health_check"))?;
    Ok(LoadBalancer {
        scheme: raw.scheme.unwrap_or(Scheme::InternetFacing),
        listeners,
        algorithm,
        stickiness,
        health_check,
        idle_timeout: raw.idle_timeout.map_or(DEFAULT_IDLE_TIMEOUT, |d| d.0),
    })
}

fn listeners(raw: Vec<RawListener>, region: &str, path: &YamlPath) -> Result<Vec<Listener>> {
    if raw.is_empty() {
        return Err(Finding::new(path.clone(), "at least one listener is needed, e.g. [{ port: 80 }]"));
    }
    let mut out: Vec<Listener> = Vec::with_capacity(raw.len());
    for (i, listener) in raw.into_iter().enumerate() {
        let item = path.index(i);
        let port = listener.port.0;
        if let Some(j) = out.iter().position(|l| l.port == port) {
            return Err(Finding::new(
                item.key("port"),
                format!("port {port} is already used by listeners[{j}]; listener ports must be unique"),
            ));
        }
        if let Some(arn) = &listener.certificate_arn {
            // ALB only takes ACM certificates from its own region.
            match rules::certificate_arn(&arn.0) {
                Ok(cert_region) if !cert_region.is_empty() && cert_region != region => {
                    return Err(Finding::new(
                        item.key("certificate_arn"),
                        format!(
                            "the certificate is in {cert_region}, but a load balancer in {region} can only \
                             use ACM certificates from {region}"
                        ),
                    ));
                }
                _ => {}
            }
        } else if port == 443 {
            return Err(Finding::new(
                item.clone(),
                format!(
                    "port 443 is HTTPS and needs certificate_arn (an ACM certificate in {region}), or use \
                     port 80"
                ),
            )
            .at(item.key("port")));
        }
        out.push(Listener { port, certificate_arn: listener.certificate_arn.map(|a| a.0) });
    }
    Ok(out)
}

fn stickiness(raw: RawStickiness, path: &YamlPath) -> Result<Option<Stickiness>> {
    if raw.enabled == Some(false) {
        return Ok(None);
    }
    let duration = raw.duration.map_or(DEFAULT_STICKINESS, |d| d.0);
    match (raw.kind.unwrap_or(StickinessType::LbCookie), raw.cookie_name) {
        (StickinessType::LbCookie, None) => Ok(Some(Stickiness::LbCookie { duration })),
        (StickinessType::LbCookie, Some(_)) => Err(Finding::new(
            path.key("cookie_name"),
            "cookie_name applies only to type: app_cookie (with lb_cookie the load balancer names its cookie)",
        )
        .on_key()),
        (StickinessType::AppCookie, Some(name)) => Ok(Some(Stickiness::AppCookie { cookie_name: name.0, duration })),
        (StickinessType::AppCookie, None) => Err(Finding::new(
            path.key("cookie_name"),
            "type: app_cookie needs cookie_name, the name of the cookie your application sets",
        )
        .at(path.key("type"))),
    }
}

fn health_check(raw: RawHealthCheck, path: &YamlPath) -> Result<HealthCheck> {
    let interval = raw.interval.map_or(DEFAULT_HEALTH_INTERVAL, |d| d.0);
    let timeout = raw.timeout.map_or(DEFAULT_HEALTH_TIMEOUT, |d| d.0);
    if timeout >= interval {
        // Point at whichever of the two was written (the timeout if both were), and say which value
        // is a default: `interval: 5s` alone clashes with the default timeout.
        let (key, default) = if raw.timeout.is_some() { ("timeout", "") } else { ("interval", ", the default") };
        return Err(Finding::new(
            path.key(key),
            format!(
                "timeout ({}{default}) must be shorter than interval ({})",
                rules::format_duration(timeout),
                rules::format_duration(interval)
            ),
        ));
    }
    Ok(HealthCheck {
        path: raw.path.map_or_else(|| "/".to_owned(), |p| p.0),
        interval,
        timeout,
        healthy_threshold: raw.healthy_threshold.map_or(DEFAULT_THRESHOLD, |t| t.0),
        unhealthy_threshold: raw.unhealthy_threshold.map_or(DEFAULT_THRESHOLD, |t| t.0),
        matcher: raw.matcher.map_or_else(|| DEFAULT_MATCHER.to_owned(), |m| m.0),
    })
}
