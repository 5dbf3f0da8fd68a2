//! A small HTTP proxy in front of the emulator that injects the faults AWS produces: throttling (in
//! each protocol's own shape: EC2's `RequestLimitExceeded`, the query protocols' `Throttling`, JSON's
//! `ThrottlingException`, EFS's `TooManyRequestsException`, S3's `SlowDown`), 5xx answers, connections
//! reset before an answer, and answers that never come (timeouts). Each request is forwarded on a fresh
//! upstream connection and the client's connection is closed after one answer. With a recorder, every
//! request is also written down (see `recording`) for the contract checks.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::recording::Recorder;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttle,
    ServerError,
    Reset,
    /// Hold the request without answering for this long (longer than the client's attempt timeout).
    Hang(Duration),
    /// Answer after this delay (slows a run down, e.g. to interrupt it mid-way).
    Delay(Duration),
    /// A non-retryable refusal: `UnauthorizedOperation` (EC2) / `AccessDenied`.
    Deny,
    /// `500 Internal Server Error` with an empty body: no error code to go by (the emulator answers
    /// this way when it fails inside).
    EmptyServerError,
}

#[derive(Debug, Clone)]
pub enum Schedule {
    /// No fault: the proxy only counts requests.
    PassThrough,
    /// The first request of every distinct operation is throttled; its retry goes through.
    ThrottleFirstOfEachOperation,
    /// The first request of every distinct operation gets the fault; its retry goes through.
    FirstOfEachOperation(Fault),
    /// Every `n`-th request gets the next fault of `faults`, in turn.
    EveryNth { n: usize, faults: Vec<Fault> },
    /// Every request of this operation (e.g. `CreateVpc`) gets the fault.
    Operation(String, Fault),
    /// Every request gets the fault.
    All(Fault),
}

#[derive(Default)]
struct Seen {
    operations: BTreeSet<String>,
    throttled: BTreeSet<String>,
    faults: usize,
}

pub struct FaultProxy {
    pub url: String,
    seen: Arc<Mutex<Seen>>,
    requests: Arc<AtomicUsize>,
    recorder: Option<Arc<Recorder>>,
}

impl FaultProxy {
    pub fn start(upstream: &str, schedule: Schedule) -> FaultProxy {
        FaultProxy::start_with(upstream, schedule, None)
    }

    /// A proxy that also writes every request it receives to `path` as JSON lines.
    pub fn start_recording(upstream: &str, schedule: Schedule, path: &std::path::Path) -> FaultProxy {
        FaultProxy::start_with(upstream, schedule, Some(Arc::new(Recorder::create(path))))
    }

    fn start_with(upstream: &str, schedule: Schedule, recorder: Option<Arc<Recorder>>) -> FaultProxy {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let count = Arc::new(AtomicUsize::new(0));
        let shared = seen.clone();
        let requests = count.clone();
        let recording = recorder.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, schedule, seen, count, recorder) =
                    (upstream.clone(), schedule.clone(), shared.clone(), count.clone(), recording.clone());
                std::thread::spawn(move || {
                    let _ = serve(client, &upstream, &schedule, &seen, &count, recorder.as_deref());
                });
            }
        });
        FaultProxy { url, seen, requests, recorder }
    }

    /// Label the requests recorded from now on (no effect without a recorder).
    pub fn set_phase(&self, phase: &str) {
        if let Some(recorder) = &self.recorder {
            recorder.set_phase(phase);
        }
    }

    /// Requests that reached the proxy so far (retries included).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Distinct operations that went through the proxy.
    pub fn operations(&self) -> BTreeSet<String> {
        self.seen.lock().expect("lock").operations.clone()
    }

    /// Operations that were throttled at least once.
    pub fn throttled(&self) -> BTreeSet<String> {
        self.seen.lock().expect("lock").throttled.clone()
    }

    pub fn faults(&self) -> usize {
        self.seen.lock().expect("lock").faults
    }
}

struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn form_value(&self, key: &str) -> Option<String> {
        let body = String::from_utf8_lossy(&self.body);
        body.split('&').find_map(|pair| pair.strip_prefix(&format!("{key}=")).map(str::to_owned))
    }

    fn path(&self) -> &str {
        self.head.split_whitespace().nth(1).unwrap_or("/")
    }

    /// The operation: the JSON target, the query `Action`, or the REST method and path shape.
    fn operation(&self) -> String {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().unwrap_or(target).to_owned();
        }
        if let Some(action) = self.form_value("Action") {
            return action;
        }
        let method = self.head.split_whitespace().next().unwrap_or("GET");
        let (path, query) = self.path().split_once('?').unwrap_or((self.path(), ""));
        let shape: Vec<&str> =
            path.split('/').filter(|s| !s.is_empty()).map(|s| if s.len() > 20 { "*" } else { s }).collect();
        let keys: Vec<&str> =
            query.split('&').filter_map(|kv| kv.split('=').next()).filter(|k| !k.is_empty()).collect();
        format!("{method} /{} ?{}", shape.first().copied().unwrap_or(""), keys.join("&"))
    }

    fn protocol(&self) -> Protocol {
        if self.header("content-type").is_some_and(|t| t.contains("x-amz-json")) {
            Protocol::Json
        } else if self.form_value("Version").as_deref() == Some("2016-11-15") {
            Protocol::Ec2
        } else if self.form_value("Action").is_some() {
            Protocol::Query
        } else if self.path().starts_with("/2015-02-01/") {
            Protocol::RestJson
        } else {
            Protocol::S3
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Protocol {
    Ec2,
    Query,
    Json,
    RestJson,
    S3,
}

/// One HTTP message (a request, or an answer: the framing is the same) with its body.
fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut request = Request { head, body: Vec::new() };
    if let Some(length) = request.header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        request.body = vec![0; length];
        reader.read_exact(&mut request.body)?;
    } else if request.header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        // Keep the chunked framing as it is: it is forwarded byte for byte.
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            request.body.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            request.body.extend_from_slice(&chunk);
            if size == 0 {
                break;
            }
        }
    }
    Ok(Some(request))
}

fn respond(client: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &str) -> std::io::Result<()> {
    let mut text = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (key, value) in headers {
        text.push_str(&format!("{key}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    client.write_all(text.as_bytes())
}

fn throttle(client: &mut TcpStream, protocol: Protocol) -> std::io::Result<()> {
    match protocol {
        Protocol::Ec2 => respond(
            client,
            "503 Service Unavailable",
            &[("Content-Type", "text/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>",
        ),
        Protocol::Query => respond(
            client,
            "400 Bad Request",
            &[("Content-Type", "text/xml")],
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>",
        ),
        Protocol::Json => respond(
            client,
            "400 Bad Request",
            &[("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", "ThrottlingException")],
            "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}",
        ),
        Protocol::RestJson => respond(
            client,
            "429 Too Many Requests",
            &[("Content-Type", "application/json"), ("x-amzn-ErrorType", "TooManyRequestsException")],
            "{\"ErrorCode\":\"TooManyRequestsException\",\"Message\":\"Too many requests\"}",
        ),
        Protocol::S3 => respond(
            client,
            "503 Slow Down",
            &[("Content-Type", "application/xml")],
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
        ),
    }
}

fn deny(client: &mut TcpStream, protocol: Protocol) -> std::io::Result<()> {
    match protocol {
        Protocol::Ec2 => respond(
            client,
            "403 Forbidden",
            &[("Content-Type", "text/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>",
        ),
        _ => respond(
            client,
            "403 Forbidden",
            &[("Content-Type", "text/xml")],
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>",
        ),
    }
}

fn serve(
    client: TcpStream,
    upstream: &str,
    schedule: &Schedule,
    seen: &Mutex<Seen>,
    count: &AtomicUsize,
    recorder: Option<&Recorder>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let Some(request) = read_request(&mut reader)? else { return Ok(()) };
    let operation = request.operation();
    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
    let fault = {
        let mut seen = seen.lock().expect("lock");
        let first = seen.operations.insert(operation.clone());
        let fault = match schedule {
            Schedule::PassThrough => None,
            Schedule::ThrottleFirstOfEachOperation => first.then_some(Fault::Throttle),
            Schedule::FirstOfEachOperation(fault) => first.then_some(*fault),
            Schedule::EveryNth { n: every, faults } => {
                n.is_multiple_of(*every).then(|| faults[(n / every) % faults.len()])
            }
            Schedule::Operation(name, fault) => (operation == *name).then_some(*fault),
            Schedule::All(fault) => Some(*fault),
        };
        if fault.is_some_and(|f| !matches!(f, Fault::Delay(_))) {
            seen.faults += 1;
        }
        if fault == Some(Fault::Throttle) {
            seen.throttled.insert(operation.clone());
        }
        fault
    };
    // A request answered by the proxy itself is recorded without a status: clusterup still sent it.
    if let (Some(recorder), Some(f)) = (recorder, fault) {
        if !matches!(f, Fault::Delay(_)) {
            recorder.record(&request.head, &request.body, None);
        }
    }
    match fault {
        Some(Fault::Throttle) => return throttle(&mut client, request.protocol()),
        Some(Fault::Deny) => return deny(&mut client, request.protocol()),
        Some(Fault::ServerError) => {
            return respond(&mut client, "503 Service Unavailable", &[("Content-Type", "text/plain")], "")
        }
        Some(Fault::EmptyServerError) => return respond(&mut client, "500 Internal Server Error", &[], ""),
        Some(Fault::Reset) => return client.shutdown(Shutdown::Both),
        Some(Fault::Hang(duration)) => {
            std::thread::sleep(duration);
            return client.shutdown(Shutdown::Both);
        }
        Some(Fault::Delay(duration)) => std::thread::sleep(duration),
        None => {}
    }
    // Forward on a fresh connection that closes after the answer, then relay the answer whole.
    let mut head: Vec<String> = request
        .head
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .map(str::to_owned)
        .collect();
    head.push("Connection: close".into());
    let mut upstream = TcpStream::connect(upstream)?;
    upstream.write_all(format!("{}\r\n\r\n", head.join("\r\n")).as_bytes())?;
    upstream.write_all(&request.body)?;
    // Read exactly one answer (the server may keep the connection open whatever we asked).
    let mut reader = BufReader::new(upstream);
    let answer_head = read_request(&mut reader)?.ok_or_else(|| std::io::Error::other("no answer"))?;
    if let Some(recorder) = recorder {
        let status = answer_head.head.split_whitespace().nth(1).and_then(|code| code.parse().ok());
        recorder.record(&request.head, &request.body, status);
    }
    let mut answer = answer_head.head.into_bytes();
    answer.extend_from_slice(&answer_head.body);
    // Tell the client this connection ends here, so it never reuses it.
    if let Some(end) = answer.windows(2).position(|w| w == b"\r\n") {
        answer.splice(end + 2..end + 2, b"Connection: close\r\n".iter().copied());
    }
    client.write_all(&answer)?;
    client.shutdown(Shutdown::Both)
}
