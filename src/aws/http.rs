//! The HTTP client under every service client: the SDK's own (rustls, proxy settings from the
//! environment), behind a per-service rate limit and a call counter. This sits at the HTTP layer because
//! it is the one place every attempt passes through, retries included, and where waiting is possible
//! (interceptors cannot wait).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use super::error::Endpoint;
use super::rate_limit::{RateLimiter, SERVICE_RATE};

/// HTTP requests sent per service (every attempt counts), for the summaries of plan, apply and destroy.
#[derive(Debug, Default)]
pub struct ApiCalls(Mutex<BTreeMap<&'static str, u64>>);

impl ApiCalls {
    fn record(&self, service: &'static str) {
        if let Ok(mut counts) = self.0.lock() {
            *counts.entry(service).or_default() += 1;
        }
    }

    /// Calls so far, per service.
    pub fn by_service(&self) -> BTreeMap<&'static str, u64> {
        // A call that panicked while counting still left the counts before it.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// The SDK's default HTTPS client, built the way the SDK builds it.
pub fn default_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// `inner`, limited to [`SERVICE_RATE`] and counted, for one service's client.
#[derive(Debug, Clone)]
pub struct Metered {
    service: &'static str,
    inner: SharedHttpClient,
    limiter: Arc<RateLimiter>,
    calls: Arc<ApiCalls>,
}

impl Metered {
    /// `service` may be the SDK crate's name (`aws_sdk_ec2`); it is counted as `ec2`.
    pub fn new(service: &'static str, inner: SharedHttpClient, calls: Arc<ApiCalls>) -> Self {
        Metered {
            service: service.trim_start_matches("aws_sdk_"),
            inner,
            limiter: Arc::new(RateLimiter::new(SERVICE_RATE)),
            calls,
        }
    }
}

impl HttpClient for Metered {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(MeteredConnector {
            client: self.clone(),
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct MeteredConnector {
    client: Metered,
    inner: SharedHttpConnector,
}

impl HttpConnector for MeteredConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let client = self.client.clone();
        let endpoint = Endpoint(endpoint_of(request.uri()).to_owned());
        HttpConnectorFuture::new(async move {
            client.limiter.acquire().await;
            client.calls.record(client.service);
            let mut response = inner.call(request).await.map_err(|err| unreachable(err, &endpoint.0))?;
            response.add_extension(endpoint);
            Ok(response)
        })
    }
}

/// A connection failure says which endpoint could not be reached (`could not reach http://127.0.0.1:
/// 4566: ... Connection refused`): with an endpoint override, or a region that does not exist, the URL
/// is the first thing to check. The kind (I/O, timeout, ...) stays, since retries depend on it.
fn unreachable(err: ConnectorError, endpoint: &str) -> ConnectorError {
    let timeout = err.is_timeout();
    let (io, user, other) = (err.is_io(), err.is_user(), err.as_other());
    let wrapped: aws_smithy_runtime_api::box_error::BoxError =
        Box::new(Unreachable { endpoint: endpoint.to_owned(), cause: err });
    if timeout {
        ConnectorError::timeout(wrapped)
    } else if io {
        ConnectorError::io(wrapped)
    } else if user {
        ConnectorError::user(wrapped)
    } else {
        ConnectorError::other(wrapped, other)
    }
}

#[derive(Debug)]
struct Unreachable {
    endpoint: String,
    cause: ConnectorError,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no answer from {}", self.endpoint)
    }
}

impl std::error::Error for Unreachable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

/// `scheme://host[:port]` of a request URI, without the path and query (which may hold parameters).
fn endpoint_of(uri: &str) -> &str {
    let start = uri.find("://").map_or(0, |i| i + 3);
    let end = uri[start..].find(['/', '?']).map_or(uri.len(), |i| start + i);
    &uri[..end]
}

#[cfg(test)]
mod tests {
    use super::endpoint_of;

    #[test]
    fn endpoints_keep_scheme_host_and_port_only() {
        assert_eq!(
            endpoint_of("https://autoscaling.us-east-1.amazonaws.com/"),
            "https://autoscaling.us-east-1.amazonaws.com"
        );
        assert_eq!(endpoint_of("http://127.0.0.1:4566/?Action=X"), "http://127.0.0.1:4566");
        assert_eq!(endpoint_of("http://127.0.0.1:4566"), "http://127.0.0.1:4566");
        assert_eq!(endpoint_of("http://localhost:4566?x=1"), "http://localhost:4566");
    }
}
