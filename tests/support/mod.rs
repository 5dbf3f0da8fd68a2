//! Shared fixtures: the emulator endpoint, running the real binary, unique deployments, AWS clients for
//! independent checks.

#![allow(dead_code)]

pub mod fault_proxy;
pub mod recording;
pub mod terminal;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const REGION: &str = "us-east-1";

/// The endpoint every AWS call of the tests goes to.
///
/// `AWS_ENDPOINT_URL` set (by scripts/test.sh, or pointing at LocalStack): use it. Unset: start the
/// project's emulator (moto through scripts/emulator/moto_server.py, from the virtualenv) on a free port,
/// watched so it ends with the test process. No emulator is a failure, never a skip.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => start_moto(),
    })
}

/// The virtualenv scripts/emulator.sh installs moto into (it honours `CLUSTERUP_VENV` the same way).
pub fn venv() -> PathBuf {
    match std::env::var_os("CLUSTERUP_VENV") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"),
    }
}

/// `PATH` with the AWS CLI scripts/emulator.sh installs (in `CLUSTERUP_AWSCLI_VENV` or .venv-awscli)
/// first: for running the scripts the nodes run, which call `aws`, against the emulator.
pub fn path_with_aws_cli() -> std::ffi::OsString {
    let venv = match std::env::var_os("CLUSTERUP_AWSCLI_VENV") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-awscli"),
    };
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(venv.join("bin")).chain(std::env::split_paths(&rest))).expect("PATH")
}

fn start_moto() -> String {
    let python = venv().join("bin/python");
    let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/emulator/moto_server.py");
    assert!(
        python.exists(),
        "no emulator at {}: set AWS_ENDPOINT_URL, or run `scripts/emulator.sh install` (scripts/test.sh does both)",
        python.display()
    );
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port");
    // The server's output goes to a log that is shown if it does not come up (e.g. the launcher refuses
    // another moto version). The watchdog ends the server and removes the log when this test process is
    // gone, however it ends; it is detached on purpose, nobody waits for it.
    let log = std::env::temp_dir().join(format!("clusterup-emulator-{}.log", std::process::id()));
    let script = r#"parent=$1; "$2" "$3" -H 127.0.0.1 -p "$4" >"$5" 2>&1 & server=$!
while kill -0 "$parent" 2>/dev/null; do sleep 1; done; kill "$server"; rm -f "$5""#;
    #[allow(clippy::zombie_processes)]
    Command::new("bash")
        .args(["-c", script, "watchdog", &std::process::id().to_string()])
        .arg(&python)
        .arg(&launcher)
        .arg(port.to_string())
        .arg(&log)
        .stdin(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the emulator did not start on {url}; its output:\n{output}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    url
}

/// A deployment name unique to this test run: tests share one emulator (or one LocalStack) safely.
pub fn unique_name(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let suffix = format!("{:x}", (nanos ^ std::process::id().rotate_left(16)) % 0xfffff);
    format!("{prefix}-{suffix}")
}

/// A temp dir with a topology: examples/web-tier.yaml with the deployment renamed to `name`.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub name: String,
}

impl Workspace {
    pub fn from_example(example: &str, prefix: &str) -> Workspace {
        let name = unique_name(prefix);
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(example))
            .expect("read example");
        let text = text
            .lines()
            .map(|line| if line.starts_with("name:") { format!("name: {name}") } else { line.to_owned() })
            .collect::<Vec<_>>()
            .join("\n");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("topology.yaml"), text).expect("write topology");
        Workspace { dir, name }
    }

    pub fn topology(&self) -> PathBuf {
        self.dir.path().join("topology.yaml")
    }

    pub fn edit(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.topology()).expect("read");
        assert!(text.contains(from), "topology has no {from:?}");
        std::fs::write(self.topology(), text.replacen(from, to, 1)).expect("write");
    }
}

/// The real binary, pointed at the emulator, with dummy credentials and no terminal.
pub fn clusterup(args: &[&str]) -> Output {
    clusterup_with_endpoint(endpoint(), args)
}

pub fn clusterup_with_endpoint(endpoint: &str, args: &[&str]) -> Output {
    clusterup_with_env(endpoint, args, &[])
}

/// The real binary with extra environment, e.g. `CLUSTERUP_KILL_AFTER` to crash it at a chosen call.
pub fn clusterup_with_env(endpoint: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clusterup"));
    cmd.envs(env.iter().copied());
    cmd.args(args).env("AWS_ENDPOINT_URL", endpoint).env("NO_COLOR", "1").env_remove("RUST_LOG").stdin(Stdio::null());
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        cmd.env("AWS_ACCESS_KEY_ID", "test").env("AWS_SECRET_ACCESS_KEY", "test");
    }
    cmd.output().expect("run clusterup")
}

/// The real binary started in the background (to be signalled), stdout dropped, stderr piped.
pub fn spawn_clusterup(endpoint: &str, args: &[&str]) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clusterup"));
    cmd.args(args).env("AWS_ENDPOINT_URL", endpoint).env("NO_COLOR", "1").env_remove("RUST_LOG");
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        cmd.env("AWS_ACCESS_KEY_ID", "test").env("AWS_SECRET_ACCESS_KEY", "test");
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start clusterup")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Assert the exit code, showing both streams when it is not the expected one.
#[track_caller]
pub fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        stdout(out),
        stderr(out)
    );
}

/// SDK clients on the emulator, for checks that do not trust clusterup's own view.
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub rds: aws_sdk_rds::Client,
    pub efs: aws_sdk_efs::Client,
    pub iam: aws_sdk_iam::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub emr: aws_sdk_emr::Client,
    pub s3: aws_sdk_s3::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sns: aws_sdk_sns::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub route53: aws_sdk_route53::Client,
}

pub async fn clients() -> Clients {
    let creds = aws_sdk_ec2::config::Credentials::new("test", "test", None, None, "tests");
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint());
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        loader = loader.credentials_provider(creds);
    }
    let config = loader.load().await;
    Clients {
        ec2: aws_sdk_ec2::Client::new(&config),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        autoscaling: aws_sdk_autoscaling::Client::new(&config),
        tagging: aws_sdk_resourcegroupstagging::Client::new(&config),
        rds: aws_sdk_rds::Client::new(&config),
        efs: aws_sdk_efs::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        secrets: aws_sdk_secretsmanager::Client::new(&config),
        emr: aws_sdk_emr::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build()),
        ssm: aws_sdk_ssm::Client::new(&config),
        sns: aws_sdk_sns::Client::new(&config),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        route53: aws_sdk_route53::Client::new(&config),
    }
}

/// A TCP listener that counts connections: point AWS_ENDPOINT_URL at it to prove no AWS call is made.
pub struct CallCounter {
    pub url: String,
    count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CallCounter {
    pub fn start() -> CallCounter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(stream);
            }
        });
        CallCounter { url, count }
    }

    pub fn connections(&self) -> usize {
        self.count.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// How a run whose output was read by a reader that closes early ended.
pub struct ClosedEarly {
    pub code: Option<i32>,
    /// stderr, when only stdout went to the closing reader.
    pub stderr: String,
}

/// Run the real binary with its stdout (and with `stderr_too` its stderr as well, as `2>&1 | head`
/// does) going to a pipe whose reader takes `read` bytes and then closes it; every write after that
/// fails with EPIPE (Rust ignores SIGPIPE, so the program sees the error instead of dying of it).
pub fn with_a_reader_that_closes_early(endpoint: &str, args: &[&str], stderr_too: bool, read: usize) -> ClosedEarly {
    use std::io::Read;
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clusterup"));
    cmd.args(args).env("AWS_ENDPOINT_URL", endpoint).env("NO_COLOR", "1").env_remove("RUST_LOG");
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        cmd.env("AWS_ACCESS_KEY_ID", "test").env("AWS_SECRET_ACCESS_KEY", "test");
    }
    cmd.stdin(Stdio::null()).stdout(writer.try_clone().expect("pipe"));
    if stderr_too {
        cmd.stderr(writer);
    } else {
        drop(writer);
        cmd.stderr(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("start clusterup");
    drop(cmd);
    let mut first = vec![0; read];
    let _ = reader.read_exact(&mut first);
    drop(reader);
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return ClosedEarly { code: status.code(), stderr };
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("clusterup {args:?} kept running after its reader closed the pipe");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
