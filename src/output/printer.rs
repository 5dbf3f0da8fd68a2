// The one place that writes to stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;

use super::Style;

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
        print!("{text}");
    }

    /// A status line on stderr, hidden by `--quiet`.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A plain progress line on stderr (when there is no live view), hidden by `--quiet`.
    pub fn progress(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
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
        use std::io::Write;
        eprint!("{text}");
        let _ = std::io::stderr().flush();
    }

    /// A warning: always shown, on stderr.
    pub fn warn(&self, text: &str) {
        eprintln!("{} {text}", self.err_style().yellow("warning:"));
    }

    /// An error: always shown, on stderr.
    pub fn error(&self, text: &str) {
        eprintln!("{} {text}", self.err_style().red("error:"));
    }
}
