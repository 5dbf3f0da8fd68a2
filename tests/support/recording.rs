//! Writes each request that passes the fault proxy as one JSON line, for the contract checks
//! (scripts/contract/): which service it was signed for, the HTTP method, path, query, the headers that
//! can carry input members, and the body with its transfer framing removed.
//!
//! Credentials never reach the file: the Authorization header is reduced to the service of its
//! credential scope, and session tokens are dropped.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use base64::Engine;
use serde_json::{json, Map, Value};

/// Headers that never carry an input member, or carry a secret: not recorded.
const DROPPED_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-security-token",
    "x-amz-date",
    "x-amz-user-agent",
    "user-agent",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "accept-encoding",
    "expect",
];

pub struct Recorder {
    out: Mutex<BufWriter<File>>,
    phase: Mutex<String>,
}

impl Recorder {
    pub fn create(path: &Path) -> Recorder {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("recording dir");
        }
        let file = File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        Recorder { out: Mutex::new(BufWriter::new(file)), phase: Mutex::new(String::new()) }
    }

    /// Label the requests that follow (e.g. "apply", "destroy"): the operator policy is checked against
    /// the calls of every phase, and a finding is easier to place with it.
    pub fn set_phase(&self, phase: &str) {
        *self.phase.lock().expect("lock") = phase.to_owned();
    }

    /// One request (head as received, body as received) and the upstream's status, if it answered.
    pub fn record(&self, head: &str, body: &[u8], status: Option<u16>) {
        let phase = self.phase.lock().expect("lock").clone();
        let line = request_json(head, body, &phase, status);
        let mut out = self.out.lock().expect("lock");
        // A line per request, flushed at once: a test that fails half-way still leaves what was sent.
        writeln!(out, "{line}").and_then(|()| out.flush()).expect("write recording");
    }
}

fn request_json(head: &str, body: &[u8], phase: &str, status: Option<u16>) -> Value {
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));

    let mut headers = Map::new();
    let mut service = Value::Null;
    let (mut http_chunked, mut aws_chunked) = (false, false);
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else { continue };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "authorization" => service = signing_service(value).map_or(Value::Null, Value::from),
            "transfer-encoding" => http_chunked = value.contains("chunked"),
            "content-encoding" => aws_chunked = value.contains("aws-chunked"),
            _ => {}
        }
        if !DROPPED_HEADERS.contains(&name.as_str()) {
            headers.insert(name, Value::from(value));
        }
    }

    let mut body = body.to_vec();
    if http_chunked {
        body = dechunk(&body);
    }
    if aws_chunked {
        body = dechunk(&body);
    }
    let mut line = json!({
        "phase": phase,
        "service": service,
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "status": status,
    });
    match String::from_utf8(body) {
        Ok(text) => line["body"] = Value::from(text),
        Err(bytes) => {
            line["body_base64"] = Value::from(base64::engine::general_purpose::STANDARD.encode(bytes.as_bytes()))
        }
    }
    line
}

/// The service of a SigV4 credential scope: `Credential=KEY/DATE/REGION/SERVICE/aws4_request`.
fn signing_service(authorization: &str) -> Option<String> {
    let credential = authorization.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    scope.split('/').nth(3).map(str::to_owned)
}

/// The payload of a chunked body (HTTP `Transfer-Encoding: chunked`, or S3's `aws-chunked` with its
/// chunk signatures and trailing checksum): the chunks' data, framing and trailers dropped.
fn dechunk(framed: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = framed;
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_line = String::from_utf8_lossy(&rest[..end]);
        let Ok(size) = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16) else {
            break;
        };
        rest = &rest[end + 2..];
        if size == 0 || size > rest.len() {
            break;
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_unframed_and_credentials_dropped() {
        let head = "PUT /bucket/key?x-id=PutObject HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 \
                    Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, \
                    Signature=abc\r\nContent-Encoding: aws-chunked\r\nContent-Type: text/x-shellscript\r\n\r\n";
        let body = b"5;chunk-signature=00\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        let line = request_json(head, body, "apply", Some(200));
        assert_eq!(line["service"], "s3");
        assert_eq!(line["body"], "hello world");
        assert_eq!(line["query"], "x-id=PutObject");
        assert!(line["headers"].get("authorization").is_none());
        assert!(!line.to_string().contains("AKIDEXAMPLE"));
    }
}
