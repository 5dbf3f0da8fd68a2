//! The demo as a new user meets it, from a fresh copy of the repository: the user starts the project's
//! emulator as docs/localstack.md says, applies a deployment to it, runs scripts/demo.sh, and afterwards
//! the emulator still runs and `output` of the user's deployment still works. The demo ran an emulator of
//! its own (its own port and state directory) and left the user's alone; it showed the plan once and ran
//! `status`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{assert_code, clusterup_with_endpoint, stderr, stdout, venv, Workspace};

/// The repository as a fresh clone has it: the files git tracks (and new ones it does not ignore), and
/// none of .emulator/, .venv/ or target/.
fn fresh_clone() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(root)
        .output()
        .expect("git ls-files");
    assert!(listed.status.success(), "git ls-files: {}", String::from_utf8_lossy(&listed.stderr));
    let clone = tempfile::tempdir().expect("temp dir");
    for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let relative = Path::new(std::str::from_utf8(file).expect("a UTF-8 path"));
        let from = root.join(relative);
        // Listed but deleted in the work tree: not in a clone of what is committed next either.
        if !from.is_file() {
            continue;
        }
        let to = clone.path().join(relative);
        std::fs::create_dir_all(to.parent().expect("a file has a folder")).expect("mkdir");
        // fs::copy keeps the mode: the scripts stay executable.
        std::fs::copy(&from, &to).expect("copy");
    }
    assert!(!clone.path().join(".emulator").exists());
    clone
}

/// Run a script of the clone from the clone's root, as a user does, with the emulator's virtualenv the
/// tests use (no download) and nothing of the harness's own emulator in the environment.
fn script(clone: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(clone.join(args[0])).args(&args[1..]).current_dir(clone);
    cmd.env("CLUSTERUP_VENV", venv()).env_remove("CLUSTERUP_EMULATOR_STATE").env_remove("AWS_ENDPOINT_URL");
    cmd.env("AWS_ACCESS_KEY_ID", "test").env("AWS_SECRET_ACCESS_KEY", "test").env("NO_COLOR", "1");
    cmd.envs(env.iter().copied());
    cmd.output().expect("run a script")
}

/// The emulator the user started in the clone (`.emulator/`), stopped however the test ends.
struct UsersEmulator {
    clone: PathBuf,
    url: String,
}

impl UsersEmulator {
    fn start(clone: &Path) -> UsersEmulator {
        let started = script(clone, &["scripts/emulator.sh", "start"], &[]);
        assert!(started.status.success(), "emulator.sh start: {}", stderr(&started));
        let line = stdout(&started);
        let url = line.trim().strip_prefix("export AWS_ENDPOINT_URL=").expect("the export line").to_owned();
        UsersEmulator { clone: clone.to_owned(), url }
    }

    fn pid(&self) -> String {
        std::fs::read_to_string(self.clone.join(".emulator/pid")).expect("the user's emulator's pid file")
    }
}

impl Drop for UsersEmulator {
    fn drop(&mut self) {
        let _ = script(&self.clone, &["scripts/emulator.sh", "stop"], &[]);
    }
}

#[test]
fn the_demo_leaves_the_users_emulator_and_deployment_alone_shows_the_plan_once_and_runs_status() {
    let clone = fresh_clone();
    let emulator = UsersEmulator::start(clone.path());
    let pid = emulator.pid();

    let mine = Workspace::from_example("web-tier.yaml", "mine");
    let path = mine.topology().to_string_lossy().into_owned();
    assert_code(&clusterup_with_endpoint(&emulator.url, &["apply", "--yes", &path]), 0);

    // The user's shell still exports their emulator's endpoint, as docs/localstack.md has them do.
    let bin = env!("CARGO_BIN_EXE_clusterup");
    let demo =
        script(clone.path(), &["scripts/demo.sh"], &[("AWS_ENDPOINT_URL", &emulator.url), ("CLUSTERUP_BIN", bin)]);
    let (out, err) = (stdout(&demo), stderr(&demo));
    assert!(demo.status.success(), "the demo failed:\n{out}\n{err}");
    assert!(err.contains("==> demo complete"), "{err}");
    assert!(!err.contains(&emulator.url), "the demo used the user's emulator:\n{err}");
    let shown = format!("{out}\n{err}");
    assert_eq!(shown.matches("Plan: ").count(), 1, "the plan is shown once:\n{shown}");
    assert!(err.contains("==> clusterup status smarten-spark"), "{err}");
    assert!(out.contains("app"), "status printed the tiers:\n{out}");

    // The user's emulator is the one they started, and their deployment is in it; the demo's is not.
    let status = script(clone.path(), &["scripts/emulator.sh", "status"], &[]);
    assert!(stdout(&status).contains(&format!("AWS_ENDPOINT_URL={}", emulator.url)), "{}", stdout(&status));
    assert_eq!(emulator.pid(), pid, "the user's emulator was restarted");
    let output = clusterup_with_endpoint(&emulator.url, &["output", "--json", &mine.name, "--region", "us-east-1"]);
    assert_code(&output, 0);
    assert!(stdout(&output).contains("\"url\""), "{}", stdout(&output));
    let theirs = clusterup_with_endpoint(&emulator.url, &["output", "smarten-spark", "--region", "us-east-1"]);
    assert_code(&theirs, 1);

    assert_code(&clusterup_with_endpoint(&emulator.url, &["destroy", "--yes", &mine.name, "--region", "us-east-1"]), 0);
}
