// The one place that writes to stdout and stderr.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::Style;
use crate::engine::StopSignal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Decides what is shown: results on stdout, progress and diagnostics on stderr.
#[derive(Debug, Clone)]
pub struct Printer {
    pub quiet: bool,
    pub verbose: u8,
    /// Whether a live progress view may be drawn (false with `--no-progress`); plain progress lines are
    /// shown either way, unless `--quiet`.
    pub progress: bool,
    color_out: bool,
    color_err: bool,
    streams: Arc<Streams>,
}

/// Whether each stream is still open, and whom to tell when one closes.
#[derive(Debug, Default)]
struct Streams {
    out_closed: AtomicBool,
    err_closed: AtomicBool,
    /// Stopped when a reader closes a stream early (`clusterup plan | head -3`): nobody reads what
    /// comes next, so a long-running command ends as it would at Ctrl-C, and what it still writes is
    /// dropped. ripgrep does the same: a closed pipe ends the program quietly, never with a panic.
    closed: StopSignal,
}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Out,
    Err,
}

impl Printer {
    pub fn new(quiet: bool, verbose: u8, progress: bool, color: ColorChoice) -> Self {
        let wants = |is_tty: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none(),
        };
        Printer {
            quiet,
            verbose,
            progress,
            color_out: wants(std::io::stdout().is_terminal()),
            color_err: wants(std::io::stderr().is_terminal()),
            streams: Arc::default(),
        }
    }

    /// Stopped once stdout or stderr is closed by its reader; the binary gives the same signal to
    /// Ctrl-C, so either ends a long-running command the same way.
    pub fn stop_signal(&self) -> StopSignal {
        self.streams.closed.clone()
    }

    /// Whether a reader closed stdout or stderr.
    pub fn closed(&self) -> bool {
        self.streams.out_closed.load(Ordering::SeqCst) || self.streams.err_closed.load(Ordering::SeqCst)
    }

    /// Write `text` whole and flush it. A closed pipe (EPIPE) marks the stream closed, so nothing more
    /// is written to it, and stops the command; other write errors (a full disk) drop the text: there
    /// is nowhere left to report them.
    fn write(&self, stream: Stream, text: &str) {
        let closed = match stream {
            Stream::Out => &self.streams.out_closed,
            Stream::Err => &self.streams.err_closed,
        };
        if closed.load(Ordering::SeqCst) {
            return;
        }
        let written = match stream {
            Stream::Out => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes()).and_then(|()| out.flush())
            }
            Stream::Err => {
                let mut err = std::io::stderr().lock();
                err.write_all(text.as_bytes()).and_then(|()| err.flush())
            }
        };
        if let Err(err) = written {
            if err.kind() == std::io::ErrorKind::BrokenPipe {
                closed.store(true, Ordering::SeqCst);
                self.streams.closed.stop();
            }
        }
    }

    /// Style for text bound for stdout.
    pub fn out_style(&self) -> Style {
        Style { enabled: self.color_out }
    }

    /// Style for text bound for stderr.
    pub fn err_style(&self) -> Style {
        Style { enabled: self.color_err }
    }

    /// A result: always shown, on stdout.
    pub fn out(&self, text: &str) {
        self.write(Stream::Out, text);
    }

    /// A status line on stderr, hidden by `--quiet`.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            self.write(Stream::Err, &format!("{text}\n"));
        }
    }

    /// A plain progress line on stderr (when there is no live view), hidden by `--quiet`.
    pub fn progress(&self, text: &str) {
        if !self.quiet {
            self.write(Stream::Err, &format!("{text}\n"));
        }
    }

    /// Whether apply and destroy may show their progress as a view redrawn in place: only for a person
    /// at a terminal. Not with `--no-progress` or `--quiet`; not with `-v`, whose log lines would tear
    /// the view; not in CI (`CI` set, as CI services do), with `NO_COLOR` or a dumb terminal, where
    /// cursor movement is noise or unwanted.
    pub fn live_progress(&self) -> bool {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let ci = env("CI").is_some_and(|v| v != "false" && v != "0");
        self.progress
            && !self.quiet
            && self.verbose == 0
            && std::io::stderr().is_terminal()
            && !ci
            && std::env::var_os("NO_COLOR").is_none()
            && env("TERM").is_none_or(|t| t != "dumb")
    }

    /// A question on stderr, left open for the answer on the same line.
    pub fn prompt(&self, text: &str) {
        self.write(Stream::Err, text);
    }

    /// A warning: always shown, on stderr.
    pub fn warn(&self, text: &str) {
        self.write(Stream::Err, &format!("{} {text}\n", self.err_style().yellow("warning:")));
    }

    /// An error: always shown, on stderr.
    pub fn error(&self, text: &str) {
        self.write(Stream::Err, &format!("{} {text}\n", self.err_style().red("error:")));
    }
}
