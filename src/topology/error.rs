//! Diagnostics: what went wrong, where, in words a user can act on.

use std::fmt;
use std::path::{Path, PathBuf};

use super::locate::{locate, Seg, Target, YamlPath};
use super::position::{char_at, position};

/// One finding about a topology file. Line and column are 1-based.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Dotted path into the YAML, e.g. `load_balancer.listeners[1].port`; empty for syntax errors.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// The message says why in its own words, so the I/O error is not also a `source`: error chains
    /// (`{:#}`) would print the reason twice.
    #[error("cannot read {path}: {}", io_reason(cause))]
    Read { path: PathBuf, cause: std::io::Error },
    #[error("{0}")]
    Invalid(Diagnostic),
}

/// Why a file could not be read, without the OS error number.
fn io_reason(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::NotFound => "no such file".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::IsADirectory => "it is a directory, not a file".into(),
        _ => err.to_string(),
    }
}

/// A rule broken (or a warning) found after deserialization; located later against the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What the message is about, shown to the user.
    pub field: YamlPath,
    /// Where to point; usually `field`, sometimes a more precise child (the `max` of a capacity).
    pub at: YamlPath,
    pub target: Target,
    pub message: String,
}

impl Finding {
    pub fn new(field: YamlPath, message: impl Into<String>) -> Self {
        Finding { at: field.clone(), field, target: Target::Value, message: message.into() }
    }

    pub fn at(mut self, at: YamlPath) -> Self {
        self.at = at;
        self
    }

    /// Point at the key rather than its value.
    pub fn on_key(mut self) -> Self {
        self.target = Target::Key;
        self
    }

    pub fn locate(self, file: &Path, text: &str) -> Diagnostic {
        let (line, column) = locate(text, &self.at, self.target);
        Diagnostic { file: file.to_owned(), line, column, field: self.field.to_string(), message: self.message }
    }
}

/// A diagnostic with an explicit position (file-level problems: size, encoding, emptiness).
pub fn at(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Diagnostic {
    Diagnostic { file: file.to_owned(), line, column, field: String::new(), message: message.into() }
}

/// Turn a serde_yaml error (with the path serde_path_to_error tracked) into a diagnostic.
/// `with_field` is false for syntax-level errors, which are about the text rather than a field.
pub fn from_yaml(
    file: &Path,
    text: &str,
    err: serde_path_to_error::Error<serde_yaml::Error>,
    with_field: bool,
) -> Diagnostic {
    let path = yaml_path(err.path());
    let inner = err.into_inner();
    let raw = inner.to_string();
    let (line, column) = match inner.location() {
        Some(loc) => position(text, &loc),
        None => fallback_position(text, &raw),
    };
    let mut message = strip_prefix_path(&strip_positions(&raw), &path);
    message = reword(&message);
    if char_at(text, line, column) == Some('\t') {
        message = "a tab cannot indent YAML; indent with spaces".into();
    }
    let field = if with_field { path.to_string() } else { String::new() };
    Diagnostic { file: file.to_owned(), line, column, field, message }
}

fn yaml_path(path: &serde_path_to_error::Path) -> YamlPath {
    YamlPath(
        path.iter()
            .map(|seg| match seg {
                serde_path_to_error::Segment::Seq { index } => Seg::Index(*index),
                serde_path_to_error::Segment::Map { key } => Seg::Key(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => Seg::Key(variant.clone()),
                _ => Seg::Key("?".into()),
            })
            .collect(),
    )
}

/// serde_yaml appends " at line L column C" (and libyaml errors may name a second position in their
/// context); the diagnostic carries the position already.
fn strip_positions(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(" at ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        match position_len(after) {
            Some(len) => rest = &after[len..],
            None => {
                out.push_str(" at ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Length of a leading "line L column C" or "position P", if there is one.
fn position_len(s: &str) -> Option<usize> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    if let Some(rest) = s.strip_prefix("line ") {
        let l = digits(rest);
        let rest2 = rest[l..].strip_prefix(" column ")?;
        let c = digits(rest2);
        (l > 0 && c > 0).then_some("line ".len() + l + " column ".len() + c)
    } else if let Some(rest) = s.strip_prefix("position ") {
        let p = digits(rest);
        (p > 0).then_some("position ".len() + p)
    } else {
        None
    }
}

/// serde_yaml prefixes messages with its own idea of the path (the enclosing mapping's); drop it, since
/// the diagnostic has a field of its own.
fn strip_prefix_path(message: &str, path: &YamlPath) -> String {
    for len in (1..=path.0.len()).rev() {
        let prefix = format!("{}: ", YamlPath(path.0[..len].to_vec()));
        if let Some(rest) = message.strip_prefix(&prefix) {
            return rest.to_owned();
        }
    }
    message.to_owned()
}

fn reword(message: &str) -> String {
    if let Some(suggested) = suggest_field(message) {
        return suggested;
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("missing required field {rest}");
    }
    if let Some(rest) = message.strip_prefix("invalid type: unit value") {
        return format!("invalid type: empty value{rest}");
    }
    match message {
        "recursion limit exceeded" => {
            "the document is nested too deeply (serde_yaml stops at 128 levels); a topology needs a few".into()
        }
        "repetition limit exceeded" => {
            "aliases expand to too many values (an alias bomb?); a topology needs far fewer".into()
        }
        "deserializing from YAML containing more than one document is not supported" => {
            "the file holds more than one YAML document (`---`); a topology is a single document".into()
        }
        "unknown anchor" => "this alias refers to an anchor that is not defined before it".into(),
        _ => message.to_owned(),
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a` or `b`"), with the expected key
/// closest to `x` suggested after the list when it looks like a typo of it (`instnce_type`).
fn suggest_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once("`, expected ")?;
    let keys: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let near = super::names::closest(unknown, keys.iter().copied())?;
    Some(format!("{message}; did you mean `{near}`?"))
}

/// Errors serde_yaml reports without a position: point at the thing that caused them.
fn fallback_position(text: &str, message: &str) -> (usize, usize) {
    let found = if message.contains("more than one document") {
        second_document(text)
    } else if message.contains("repetition limit") {
        first_alias(text)
    } else {
        None
    };
    found.unwrap_or((1, 1))
}

/// The `---` that starts a second document.
fn second_document(text: &str) -> Option<(usize, usize)> {
    let mut seen_content = false;
    for (i, line) in text.lines().enumerate() {
        let is_marker = line == "---" || line.starts_with("--- ") || line == "..." || line.starts_with("... ");
        if is_marker && seen_content {
            return Some((i + 1, 1));
        }
        let trimmed = line.trim();
        if !is_marker && !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with('%') {
            seen_content = true;
        }
    }
    None
}

/// The first `*alias` outside a comment (a heuristic: good enough to point at an alias bomb).
fn first_alias(text: &str) -> Option<(usize, usize)> {
    for (i, line) in text.lines().enumerate() {
        let mut prev = ' ';
        for (col, c) in line.chars().enumerate() {
            if c == '#' && prev.is_whitespace() {
                break;
            }
            if c == '*' && (prev.is_whitespace() || "[{,:-".contains(prev)) {
                return Some((i + 1, col + 1));
            }
            prev = c;
        }
    }
    None
}
