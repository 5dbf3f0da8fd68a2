//! Commands that need no AWS: validate, graph, schema, help.

use std::path::Path;

use crate::support::{assert_code, clusterup_with_endpoint, stderr, stdout, CallCounter};

fn examples() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_validates_offline() {
    let counter = CallCounter::start();
    let files = examples();
    assert!(!files.is_empty(), "examples/ has no topology");
    for file in &files {
        let out = clusterup_with_endpoint(&counter.url, &["validate", &file.to_string_lossy()]);
        assert_code(&out, 0);
        assert!(stdout(&out).contains("is valid: deployment"), "{}", stdout(&out));
        // No warnings, except the single-NAT one web-tier.yaml shows on purpose (its comments explain
        // it): in particular no version past its end of standard support.
        let warnings: Vec<String> =
            stderr(&out).lines().filter(|l| l.contains("warning:")).map(str::to_owned).collect();
        let expected = usize::from(file.ends_with("web-tier.yaml"));
        assert_eq!(warnings.len(), expected, "{}: {warnings:?}", file.display());
        assert!(warnings.iter().all(|w| w.contains("network.nat: one NAT gateway")), "{warnings:?}");
    }
    assert_eq!(counter.connections(), 0, "validate must not call AWS");
}

/// One line, the cause once, and the same words whichever command was given the file.
#[test]
fn a_missing_file_is_one_clear_line_for_every_command() {
    let commands: [&[&str]; 9] = [
        &["validate"],
        &["status"],
        &["output"],
        &["spark", "jobs"],
        &["plan"],
        &["plan", "--detailed-exitcode"],
        &["apply", "--yes"],
        &["destroy", "--yes"],
        &["graph"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("no/such/topology.yaml");
        let out = clusterup_with_endpoint("http://127.0.0.1:9", &args);
        assert_code(&out, 1);
        assert_eq!(stderr(&out), "error: cannot read no/such/topology.yaml: no such file\n", "{command:?}");
    }
}

/// clap's usage errors exit 2, which is what `plan --detailed-exitcode` means by "changes": a mistyped
/// drift check in CI would read as drift. They exit 1; help and version still exit 0.
#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let usage: [&[&str]; 6] = [
        &["plan", "--detailed-exitcode", "--no-such-flag", "topology.yaml"],
        &["plan", "--detailed-exitcod", "topology.yaml"],
        &["plan"],
        &["no-such-command"],
        &["apply", "--parallelism", "0", "topology.yaml"],
        &[],
    ];
    for args in usage {
        let out = clusterup_with_endpoint("http://127.0.0.1:9", args);
        assert_code(&out, 1);
        // An error, or (with no command at all) the help, on stderr.
        let text = stderr(&out);
        assert!(text.starts_with("error:") || text.contains("Usage: clusterup"), "{args:?}: {text}");
    }
    for args in [&["--help"][..], &["--version"], &["plan", "--help"]] {
        let out = clusterup_with_endpoint("http://127.0.0.1:9", args);
        assert_code(&out, 0);
        assert!(!stdout(&out).is_empty(), "{args:?}");
    }
}

/// `--endpoint-url 127.0.0.1:4566` used to fail at the first request, with the SDK's request struct
/// as the message; it is refused while parsing the arguments, saying what to write.
#[test]
fn an_endpoint_without_a_scheme_is_refused_up_front() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web-tier.yaml");
    let example = example.to_string_lossy();
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["plan", "--endpoint-url", "127.0.0.1:4566", &example]);
    assert_code(&out, 1);
    let text = stderr(&out);
    assert!(text.contains("`127.0.0.1:4566` has no scheme; write http://127.0.0.1:4566"), "{text}");
    assert!(!text.contains("Request {") && !text.contains("SdkBody"), "{text}");
    // The same from the environment.
    let out = clusterup_with_endpoint("localhost:4566", &["plan", &example]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("write http://localhost:4566"), "{}", stderr(&out));
}

/// With no credentials anywhere, the error says so once, before any AWS call, and says where
/// credentials come from; it does not name a resource (let alone one the topology does not have).
#[test]
fn missing_credentials_are_reported_once_before_any_call() {
    let counter = CallCounter::start();
    let home = tempfile::tempdir().expect("temp dir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web-tier.yaml");
    let run = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_clusterup"));
        cmd.arg("plan").args(extra).arg(&example);
        // Only the standard chain's own sources, all empty: no keys, no profile files, no instance role.
        for var in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ROLE_ARN",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &counter.url)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        cmd.output().expect("run clusterup")
    };
    let out = run(&[]);
    assert_code(&out, 1);
    let text = stderr(&out);
    // The error's first line says what is wrong in the operator's words; the chain's own detail comes
    // after. (The topology's own warnings, from reading it, come before.)
    assert_eq!(
        text.lines().find(|line| !line.starts_with("warning: ")),
        Some("error: no AWS credentials found (environment, profile, SSO, instance role)"),
        "{text}"
    );
    assert!(text.contains("\n  the credential chain said: "), "{text}");
    assert!(text.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), "{text}");
    assert!(text.contains("--profile NAME or AWS_PROFILE=NAME") && text.contains("aws sso login"), "{text}");
    assert_eq!(text.matches("error:").count(), 1, "one error: {text}");
    assert!(!text.contains("failed:"), "no resource or call is blamed: {text}");
    // A profile that does not exist is refused as such.
    let out = run(&["--profile", "nosuch"]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("the config profile (nosuch) could not be found"), "{}", stderr(&out));
    assert_eq!(counter.connections(), 0, "credentials are checked before any call");
}

/// `--profile` with a name the config files do not have is refused, as the AWS CLI refuses it, even
/// with keys in the environment that the SDK would otherwise fall back to silently.
#[test]
fn an_unknown_profile_is_refused_even_with_keys_in_the_environment() {
    let counter = CallCounter::start();
    let home = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(home.path().join(".aws")).expect("~/.aws");
    std::fs::write(home.path().join(".aws/config"), "[profile dev]\nregion = eu-west-1\n").expect("config");
    let run = |profile: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_clusterup"));
        cmd.args(["output", "shop", "--region", "us-east-1", "--profile", profile]);
        for var in ["AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "RUST_LOG"] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", home.path())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_ENDPOINT_URL", &counter.url)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        cmd.output().expect("run clusterup")
    };
    let out = run("nosuch");
    assert_code(&out, 1);
    let text = stderr(&out);
    assert!(text.starts_with("error: the config profile (nosuch) could not be found"), "{text}");
    assert!(text.contains("(its profiles: dev)"), "{text}");
    assert_eq!(counter.connections(), 0, "refused before any call");
    // The profile that exists gets past the check (and on to the endpoint, which is not AWS).
    let out = run("dev");
    assert!(!stderr(&out).contains("could not be found"), "{}", stderr(&out));
}

#[test]
fn graph_shows_dependencies_in_dot_and_mermaid() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web-tier.yaml");
    let dot = clusterup_with_endpoint("http://127.0.0.1:9", &["graph", &example.to_string_lossy()]);
    assert_code(&dot, 0);
    let text = stdout(&dot);
    assert!(text.starts_with("digraph"), "{text}");
    assert!(text.contains("\"network/vpc\" -> \"network/subnet/private-a\""), "{text}");
    assert!(text.contains("\"load_balancer/target-group/app\" -> \"app/auto-scaling-group\""), "{text}");

    let mermaid =
        clusterup_with_endpoint("http://127.0.0.1:9", &["graph", "--format", "mermaid", &example.to_string_lossy()]);
    assert_code(&mermaid, 0);
    assert!(stdout(&mermaid).contains("network_vpc --> network_internet_gateway"), "{}", stdout(&mermaid));
}

#[test]
fn schema_is_json_with_the_top_level_fields() {
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["schema"]);
    assert_code(&out, 0);
    let schema: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("schema is JSON");
    for field in ["name", "region", "network", "load_balancer", "app", "database", "shared_storage", "spark"] {
        assert!(schema["properties"].get(field).is_some(), "schema lacks {field}");
    }
}

#[test]
fn help_lists_every_command() {
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["--help"]);
    assert_code(&out, 0);
    for command in ["validate", "plan", "apply", "destroy", "output", "status", "snapshots", "spark", "graph", "schema"]
    {
        assert!(stdout(&out).contains(command), "help lacks {command}");
    }
}

/// The options that only make sense where AWS is called, or where changes run.
const AWS_OPTIONS: [&str; 3] = ["--region", "--profile", "--endpoint-url"];
const RUN_OPTIONS: [&str; 3] = ["--parallelism", "--no-progress", "--delete-data"];

fn help_of(command: &str) -> String {
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &[command, "--help"]);
    assert_code(&out, 0);
    stdout(&out)
}

#[test]
fn each_command_lists_only_the_options_that_apply_to_it_under_their_headings() {
    for offline in ["schema", "validate", "graph", "completions", "man"] {
        let help = help_of(offline);
        for option in AWS_OPTIONS.iter().chain(&RUN_OPTIONS) {
            assert!(!help.contains(option), "`{offline} --help` lists {option}:\n{help}");
        }
        assert!(help.contains("Global options:\n") && help.contains("--quiet"), "{help}");
    }
    // init writes a region into the file; it calls no AWS and runs nothing.
    let help = help_of("init");
    for option in ["--profile", "--endpoint-url"].iter().chain(&RUN_OPTIONS) {
        assert!(!help.contains(option), "`init --help` lists {option}:\n{help}");
    }
    for reading in ["plan", "output", "snapshots"] {
        let help = help_of(reading);
        assert!(help.contains("AWS options:\n"), "{help}");
        assert!(AWS_OPTIONS.iter().all(|o| help.contains(o)), "{help}");
        assert!(!RUN_OPTIONS.iter().any(|o| help.contains(o)), "`{reading} --help` lists a run option:\n{help}");
    }
    for changing in ["apply", "destroy"] {
        let help = help_of(changing);
        for heading in ["AWS options:\n", "Run options:\n", "Global options:\n"] {
            assert!(help.contains(heading), "`{changing} --help` lacks {heading:?}:\n{help}");
        }
        assert!(AWS_OPTIONS.iter().chain(&RUN_OPTIONS).all(|o| help.contains(o)), "{help}");
    }
    // ... and the parser agrees: an option a command does not take is an error, not silently ignored.
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["schema", "--delete-data"]);
    assert!(!out.status.success(), "schema took --delete-data");
    assert!(stderr(&out).contains("--delete-data"), "{}", stderr(&out));
}

#[test]
fn completions_generate_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = clusterup_with_endpoint("http://127.0.0.1:9", &["completions", shell]);
        assert_code(&out, 0);
        let script = stdout(&out);
        for word in ["init", "destroy", "delete-data", "detailed-exitcode"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    // The bash script is valid bash.
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["completions", "bash"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("clusterup.bash");
    std::fs::write(&script, out.stdout).expect("write");
    let checked = std::process::Command::new("bash").arg("-n").arg(&script).output().expect("bash -n");
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["completions", "tcsh"]);
    assert!(!out.status.success(), "an unknown shell is refused");
}

#[test]
fn man_pages_generate_for_clusterup_and_every_command() {
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["man"]);
    assert_code(&out, 0);
    let page = stdout(&out);
    assert!(page.contains(".TH clusterup 1"), "{page}");
    for command in ["init", "validate", "plan", "apply", "destroy", "output", "graph", "schema", "completions"] {
        assert!(page.contains(command), "the main page lacks {command}");
        let out = clusterup_with_endpoint("http://127.0.0.1:9", &["man", command]);
        assert_code(&out, 0);
        let page = stdout(&out);
        assert!(page.contains(&format!(".TH clusterup-{command} 1")), "{page}");
        assert!(page.contains(".SH SYNOPSIS") && page.contains(".SH OPTIONS"), "{page}");
        // roff escapes hyphens: `\-\-delete\-data`.
        assert_eq!(page.contains(r"delete\-data"), ["apply", "destroy"].contains(&command), "{command}:\n{page}");
    }
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["man", "nope"]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("no command named `nope`"), "{}", stderr(&out));
}

/// What `--help` does not say is in the man pages: every exit code (3 included), the environment, the
/// files and examples; and commands of commands have pages of their own (`clusterup-spark-submit(1)`).
#[test]
fn man_pages_have_exit_status_environment_files_examples_and_pages_for_spark_submit() {
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["man"]);
    assert_code(&out, 0);
    let page = stdout(&out);
    for section in ["EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"] {
        assert!(page.contains(&format!(".SH \"{section}\"\n")), "no {section}:\n{page}");
    }
    for code in ["0", "1", "2", "3", "130"] {
        assert!(page.contains(&format!(".TP\n\\fB{code}\\fR\n")), "exit status {code} missing:\n{page}");
    }
    assert!(page.contains("AWS_ENDPOINT_URL") && page.contains("NO_COLOR"), "{page}");
    assert!(page.contains("clusterup\\-spark\\-submit(1)"), "SEE ALSO names the sub-pages:\n{page}");
    assert!(
        page.find(".SH \"EXAMPLES\"").expect("examples") < page.find(".SH VERSION").expect("version"),
        "the added sections come before VERSION"
    );
    for name in ["spark-submit", "spark submit"] {
        let out = clusterup_with_endpoint("http://127.0.0.1:9", &["man", name]);
        assert_code(&out, 0);
        let page = stdout(&out);
        assert!(page.contains(".TH clusterup-spark-submit 1"), "{name}: {page}");
        assert!(page.contains("clusterup\\-spark\\-submit \\- "), "the NAME section: {page}");
        assert!(page.contains("\\fBclusterup spark submit\\fR"), "the synopsis: {page}");
        assert!(page.contains("\\-\\-no\\-wait") && page.contains("report.py"), "options and examples: {page}");
    }
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["man", "spark-nope"]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("spark-submit, spark-jobs"), "{}", stderr(&out));
}

#[test]
fn init_writes_starters_that_validate_without_warnings_and_never_overwrites_by_accident() {
    let counter = CallCounter::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_clusterup"));
        cmd.args(args).current_dir(dir.path()).env("AWS_ENDPOINT_URL", &counter.url).env("NO_COLOR", "1");
        cmd.stdin(std::process::Stdio::null()).output().expect("run clusterup")
    };
    for bits in 0..8 {
        let flags: Vec<&str> = [(1, "--database"), (2, "--storage"), (4, "--spark")]
            .iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|(_, flag)| *flag)
            .collect();
        let name = format!("starter-{bits}");
        let mut args = vec!["init", name.as_str()];
        args.extend(&flags);
        let out = run(&args);
        assert_code(&out, 0);
        let file = format!("{name}.yaml");
        let text = std::fs::read_to_string(dir.path().join(&file)).expect("init wrote NAME.yaml");
        assert!(text.starts_with("# yaml-language-server: $schema=topology.schema.json\n"), "{text}");
        assert!(text.contains("clusterup schema > topology.schema.json"), "says how to make the schema:\n{text}");

        let validated = run(&["validate", &file]);
        assert_code(&validated, 0);
        assert!(stdout(&validated).contains(&format!("is valid: deployment {name} in us-east-1")), "{flags:?}");
        assert_eq!(stderr(&validated), "", "{flags:?}: warnings or errors for\n{text}");
        for (flag, section) in
            [("--database", "\ndatabase:"), ("--storage", "\nshared_storage:"), ("--spark", "\nspark:")]
        {
            assert_eq!(text.contains(section), flags.contains(&flag), "{flags:?}: {section}");
        }
    }

    // An existing file is kept unless --force.
    std::fs::write(dir.path().join("mine.yaml"), "precious").expect("write");
    let refused = run(&["init", "shop", "--out", "mine.yaml"]);
    assert_code(&refused, 1);
    assert!(stderr(&refused).contains("mine.yaml already exists; pass --force"), "{}", stderr(&refused));
    assert_eq!(std::fs::read_to_string(dir.path().join("mine.yaml")).expect("read"), "precious");
    assert_code(&run(&["init", "shop", "--out", "mine.yaml", "--force", "--region", "eu-west-1"]), 0);
    assert_code(&run(&["validate", "mine.yaml"]), 0);
    assert!(std::fs::read_to_string(dir.path().join("mine.yaml")).expect("read").contains("\nregion: eu-west-1\n"));

    // Names and regions follow the topology's rules; nothing is written for a bad one.
    let bad = run(&["init", "Shop_1"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("lowercase letters, digits and hyphens"), "{}", stderr(&bad));
    let bad = run(&["init", "shop2", "--region", "mars-1"]);
    assert_code(&bad, 1);
    assert!(!dir.path().join("shop2.yaml").exists(), "a starter that does not validate was written");
    assert_eq!(counter.connections(), 0, "init and validate must not call AWS");
}

/// `--version` names the exact build: the version, the commit it was built from and the build date.
#[test]
fn version_names_the_commit_and_the_build_date() {
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["--version"]);
    assert_code(&out, 0);
    let text = stdout(&out);
    let rest = text
        .trim()
        .strip_prefix(concat!("clusterup ", env!("CARGO_PKG_VERSION"), " ("))
        .unwrap_or_else(|| panic!("{text}"));
    let (commit, date) = rest.strip_suffix(')').and_then(|r| r.split_once(' ')).unwrap_or_else(|| panic!("{text}"));
    assert!(commit == "unknown" || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())), "{text}");
    let parts: Vec<&str> = date.split('-').collect();
    assert!(parts.len() == 3 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())), "{text}");
    assert!(date >= "2026-01-01", "a build date before this code existed: {text}");
}

/// `clusterup schema | head -c 100`, `clusterup man 2>&1 | head -1`: a reader that closes early ends
/// the program quietly, with its usual exit code, never a panic (exit 101), as ripgrep does.
#[test]
fn a_reader_that_closes_early_ends_the_program_quietly() {
    let counter = CallCounter::start();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten.yaml");
    let example = example.to_string_lossy();
    for args in [vec!["schema"], vec!["man"], vec!["validate", &example], vec!["graph", &example]] {
        for (stderr_too, read) in [(false, 0), (false, 20), (true, 0), (true, 20)] {
            let ended = crate::support::with_a_reader_that_closes_early(&counter.url, &args, stderr_too, read);
            assert_eq!(ended.code, Some(0), "{args:?} (stderr too: {stderr_too}, read {read}): {}", ended.stderr);
            assert!(!ended.stderr.contains("panicked"), "{args:?}: {}", ended.stderr);
        }
    }
    // An error goes to stderr: with stderr closed too, the usual exit code still comes, quietly.
    let ended = crate::support::with_a_reader_that_closes_early(&counter.url, &["validate", "no/such.yaml"], true, 0);
    assert_eq!(ended.code, Some(1));
}

/// A connection refused names the endpoint that refused it: the first thing to check.
#[test]
fn an_unreachable_endpoint_is_named() {
    let out = clusterup_with_endpoint("http://127.0.0.1:9", &["output", "shop", "--region", "us-east-1"]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("no answer from http://127.0.0.1:9"), "{}", stderr(&out));
}

/// A typo in a name AWS knows is caught offline, with the closest known name.
#[test]
fn validate_suggests_the_instance_type_and_refuses_the_region_aws_does_not_have() {
    let counter = CallCounter::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web-tier.yaml"))
        .expect("read example");
    for (from, to, expected) in [
        ("instance_type: t3.small", "instance_type: t3.smal", "`t3.smal` is not an EC2 instance type"),
        ("region: us-east-1", "region: us-east-9", "`us-east-9` is not an AWS region"),
        ("instance_type: t3.small", "instnce_type: t3.small", "did you mean `instance_type`?"),
    ] {
        assert!(base.contains(from), "{from}");
        let file = dir.path().join("typo.yaml");
        std::fs::write(&file, base.replacen(from, to, 1)).expect("write");
        let out = clusterup_with_endpoint(&counter.url, &["validate", &file.to_string_lossy()]);
        assert_code(&out, 1);
        assert!(stderr(&out).contains(expected), "{to}: {}", stderr(&out));
        if to == "instance_type: t3.smal" {
            assert!(stderr(&out).contains("did you mean t3.small?"), "{}", stderr(&out));
        }
    }
    assert_eq!(counter.connections(), 0, "caught before any AWS call");
}
