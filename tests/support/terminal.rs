//! The real binary in a real terminal: a pane of a private tmux server (its own socket in a temp dir,
//! so nothing else's tmux is touched), read with `capture-pane` and typed into with `send-keys`.
//!
//! tmux is required, as the emulator is: scripts/test.sh installs it (Debian package) when it is missing,
//! and a missing tmux fails these tests instead of skipping them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Pane {
    dir: tempfile::TempDir,
}

/// `'text'` for sh, whatever the text holds.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

impl Pane {
    /// Start `clusterup args` in a new 160x50 pane, as a person at a terminal would: stdin and stderr
    /// are the terminal, `CI`, `NO_COLOR` and `RUST_LOG` are unset (the test process may have them),
    /// `env` is added. stdout goes to a file ([`Pane::stdout`]) so that the pane shows what stderr draws.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Pane {
        let dir = tempfile::tempdir().expect("temp dir");
        // The shell keeps running through a Ctrl-C sent to the pane (a handler, not an ignore, so
        // clusterup starts with Ctrl-C's default disposition), to write clusterup's exit code.
        let mut script = String::from("unset CI NO_COLOR RUST_LOG\ntrap 'true' INT\n");
        for (key, value) in env {
            script.push_str(&format!("export {key}={}\n", quoted(value)));
        }
        let command: Vec<String> =
            std::iter::once(env!("CARGO_BIN_EXE_clusterup")).chain(args.iter().copied()).map(quoted).collect();
        script.push_str(&format!("{} >{}\n", command.join(" "), quoted(&dir.path().join("stdout").to_string_lossy())));
        // The exit code, written once the command is done; the pane then stays for capture.
        script.push_str(&format!("echo $? >{}\nexec sleep 3600\n", quoted(&dir.path().join("rc").to_string_lossy())));
        std::fs::write(dir.path().join("run.sh"), script).expect("write the pane's script");
        let pane = Pane { dir };
        let started = pane
            .tmux()
            .args(["new-session", "-d", "-s", "cu", "-x", "160", "-y", "50", "sh"])
            .arg(pane.dir.path().join("run.sh"))
            .status();
        match started {
            Ok(status) => assert!(status.success(), "tmux new-session failed: {status}"),
            Err(err) => {
                panic!("cannot run tmux ({err}): install it (scripts/test.sh does, from Debian's tmux package)")
            }
        }
        pane
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("tmux.sock")
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(self.socket()).stdin(Stdio::null());
        cmd
    }

    /// What the pane shows now, one line per row, trailing blanks trimmed.
    pub fn capture(&self) -> String {
        let out = self.tmux().args(["capture-pane", "-p", "-t", "cu"]).output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
    }

    /// Poll the pane until `wanted` holds for a capture, and return that capture; fail with the last
    /// capture after `deadline`. The deadline is generous: a busy machine is slow, not wrong.
    #[track_caller]
    pub fn wait_for(&self, what: &str, deadline: Duration, wanted: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + deadline;
        loop {
            let screen = self.capture();
            if wanted(&screen) {
                return screen;
            }
            if let Some(code) = self.exit_code() {
                if wanted(&self.capture()) {
                    return self.capture();
                }
                panic!("clusterup exited ({code}) before the pane showed {what}; last screen:\n{screen}");
            }
            assert!(Instant::now() < until, "the pane did not show {what} within {deadline:?}; last screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Type `text` and Enter.
    pub fn type_line(&self, text: &str) {
        let typed = self.tmux().args(["send-keys", "-t", "cu", "-l", text]).status().expect("tmux send-keys");
        assert!(typed.success());
        let enter = self.tmux().args(["send-keys", "-t", "cu", "Enter"]).status().expect("tmux send-keys");
        assert!(enter.success());
    }

    /// Press Ctrl-C in the pane (SIGINT to its foreground processes, as a person's Ctrl-C is).
    pub fn ctrl_c(&self) {
        let sent = self.tmux().args(["send-keys", "-t", "cu", "C-c"]).status().expect("tmux send-keys");
        assert!(sent.success());
    }

    /// The exit code, once clusterup has ended.
    pub fn exit_code(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.path().join("rc")).ok()?.trim().parse().ok()
    }

    /// Wait for clusterup to end; its exit code.
    #[track_caller]
    pub fn wait_exit(&self, deadline: Duration) -> i32 {
        let until = Instant::now() + deadline;
        loop {
            if let Some(code) = self.exit_code() {
                return code;
            }
            assert!(Instant::now() < until, "clusterup still running after {deadline:?}; screen:\n{}", self.capture());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What clusterup wrote to stdout.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout")).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Pane {
    /// Ends this pane's own tmux server (and the command in it), nothing else.
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}
