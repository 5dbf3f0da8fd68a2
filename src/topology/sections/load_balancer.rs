//! The load balancer: listeners, stickiness, health check.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{null_as_default, null_is_default, Result};
use crate::topology::error::Finding;
use crate::topology::locate::YamlPath;
use crate::topology::model::*;
use crate::topology::rules;
use crate::topology::types::*;

pub const SCHEME: Scheme = Scheme::InternetFacing;
pub const LISTENER_PORT: u16 = 80;
pub const ALGORITHM: Algorithm = Algorithm::RoundRobin;
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
pub const REDIRECT_TO_HTTPS: bool = true;
pub const ACCESS_LOGS: bool = false;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the load_balancer section, a mapping")]
pub struct RawLoadBalancer {
    /// `internet-facing`, or `internal` (reachable only inside the VPC).
    #[schemars(extend("default" = SCHEME))]
    pub scheme: Option<Scheme>,
    /// Listeners: at least one, ports unique.
    #[schemars(length(min = 1), extend("default" = [{ "port": LISTENER_PORT }]))]
    pub listeners: Option<Vec<RawListener>>,
    /// How requests are spread over the nodes: `round_robin` takes turns, `least_outstanding_requests`
    /// picks the node with the fewest requests in flight, `weighted_random` picks at random (not with
    /// stickiness).
    #[schemars(extend("default" = ALGORITHM))]
    pub algorithm: Option<Algorithm>,
    /// Sticky sessions, for apps that keep session state on the node; off without this section.
    #[serde(default, deserialize_with = "null_is_default")]
    pub stickiness: Option<RawStickiness>,
    /// How the load balancer decides a node is healthy; timeout must be shorter than interval.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<RawHealthCheck>")]
    pub health_check: RawHealthCheck,
    /// Idle connection timeout.
    #[schemars(extend("default" = spelled(IDLE_TIMEOUT)))]
    pub idle_timeout: Option<IdleTimeout>,
    /// With an HTTPS listener, every plain HTTP listener redirects to it (HTTP 301) instead of
    /// forwarding to the app; `false` keeps them forwarding.
    #[schemars(extend("default" = REDIRECT_TO_HTTPS))]
    pub redirect_to_https: Option<bool>,
    /// Access logs (one line per request) to an S3 bucket of the deployment's own, which destroy
    /// empties and deletes.
    #[schemars(extend("default" = ACCESS_LOGS))]
    pub access_logs: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a listener such as { port: 443, certificate_arn: arn:aws:acm:... }")]
pub struct RawListener {
    /// Listener port; 443 needs certificate_arn.
    pub port: Port,
    /// ACM certificate in the deployment's region, or IAM server certificate; makes the listener HTTPS.
    pub certificate_arn: Option<CertificateArn>,
}

pub const STICKINESS_DURATION: Duration = Duration::from_secs(86_400);

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a stickiness mapping such as { enabled: true, duration: 1h }")]
pub struct RawStickiness {
    /// `false` turns stickiness off, as if the section were absent.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Who sets the cookie: `lb_cookie` (the load balancer) or `app_cookie` (your application).
    #[serde(rename = "type")]
    #[schemars(extend("default" = StickinessType::LbCookie))]
    pub kind: Option<StickinessType>,
    /// Your application's cookie: required with `app_cookie`, refused with `lb_cookie`; not starting
    /// with AWSALB.
    pub cookie_name: Option<CookieName>,
    /// How long a client sticks to a node.
    #[schemars(extend("default" = spelled(STICKINESS_DURATION)))]
    pub duration: Option<StickinessDuration>,
}

pub const HEALTH_CHECK_PATH: &str = "/";
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(15);
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
pub const THRESHOLD: u8 = 2;
pub const MATCHER: &str = "200-399";

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a health check mapping such as { path: /health, interval: 15s }")]
pub struct RawHealthCheck {
    /// URL path to request: starts with `/`, no spaces, at most 1024 characters.
    #[schemars(extend("default" = HEALTH_CHECK_PATH))]
    pub path: Option<HealthCheckPath>,
    /// Time between checks.
    #[schemars(extend("default" = spelled(HEALTH_INTERVAL)))]
    pub interval: Option<HealthInterval>,
    /// Time to wait for an answer; shorter than interval.
    #[schemars(extend("default" = spelled(HEALTH_TIMEOUT)))]
    pub timeout: Option<HealthTimeout>,
    /// Consecutive passes before a node is healthy.
    #[schemars(extend("default" = THRESHOLD))]
    pub healthy_threshold: Option<Threshold>,
    /// Consecutive failures before a node is taken out.
    #[schemars(extend("default" = THRESHOLD))]
    pub unhealthy_threshold: Option<Threshold>,
    /// HTTP codes that count as healthy, 200 to 499: "200", "200-299" or "200,302".
    #[schemars(extend("default" = MATCHER))]
    pub matcher: Option<Matcher>,
}

pub fn load_balancer(raw: RawLoadBalancer, region: &str) -> Result<LoadBalancer> {
    let path = YamlPath::root().key("load_balancer");
    let listeners = match raw.listeners {
        None => vec![Listener { port: LISTENER_PORT, certificate_arn: None }],
        Some(list) => listeners(list, region, &path.key("listeners"))?,
    };
    let stickiness = match raw.stickiness {
        None => None,
        Some(s) => stickiness(s, &path.key("stickiness"))?,
    };
    let algorithm = raw.algorithm.unwrap_or(ALGORITHM);
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
    let health_check = health_check(raw.health_check, &path.key("health_check"))?;
    Ok(LoadBalancer {
        scheme: raw.scheme.unwrap_or(SCHEME),
        listeners,
        algorithm,
        stickiness,
        health_check,
        idle_timeout: raw.idle_timeout.map_or(IDLE_TIMEOUT, |d| d.0),
        redirect_to_https: raw.redirect_to_https.unwrap_or(REDIRECT_TO_HTTPS),
        access_logs: raw.access_logs.unwrap_or(ACCESS_LOGS),
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
    let duration = raw.duration.map_or(STICKINESS_DURATION, |d| d.0);
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
    let interval = raw.interval.map_or(HEALTH_INTERVAL, |d| d.0);
    let timeout = raw.timeout.map_or(HEALTH_TIMEOUT, |d| d.0);
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
        path: raw.path.map_or_else(|| HEALTH_CHECK_PATH.to_owned(), |p| p.0),
        interval,
        timeout,
        healthy_threshold: raw.healthy_threshold.map_or(THRESHOLD, |t| t.0),
        unhealthy_threshold: raw.unhealthy_threshold.map_or(THRESHOLD, |t| t.0),
        matcher: raw.matcher.map_or_else(|| MATCHER.to_owned(), |m| m.0),
    })
}
