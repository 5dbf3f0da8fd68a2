//! A pre-scan of flow nesting depth (`[` and `{`), before any YAML parser sees the text.
//!
//! libyaml (under serde_yaml) re-checks every open flow level on every token inside a flow collection,
//! so `name: [[[[...]]]]` with 100,000 brackets (200 KB) takes minutes before serde_yaml's own recursion
//! limit gets to refuse it. This pass counts open flow collections in one linear walk, without
//! recursion, and stops at the first one past [`MAX_FLOW_DEPTH`].
//!
//! Brackets count only where YAML reads them as brackets: not in comments, quoted scalars, block
//! scalars (`|`, `>`) or block-context plain scalars (`title: see [1]`). Where the walk cannot be sure
//! what YAML will make of a line (one that may continue a plain scalar from the line before), it leans
//! towards counting: it counts a bracket that starts such a line, and does not skip a quote there. A
//! bracket counted too many can only refuse a document with more than 128 unbalanced literal brackets;
//! a real one skipped would let the slow input through.
//!
//! Block nesting needs no pre-scan: it costs the parser linear time (100,000 levels of `- - - ...` are
//! refused in well under a second), and serde_yaml's recursion limit reports it at its place.

/// Deeper flow nesting than any topology needs. serde_yaml's own limit (128 containers, counting the
/// top-level mapping) refuses every document this refuses, so no topology it accepts is lost.
pub const MAX_FLOW_DEPTH: usize = 128;

/// Where the nesting got too deep: the 1-based line and column (in characters, as the YAML parser
/// counts them) of the first opening bracket past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    pub line: usize,
    pub column: usize,
}

/// What to tell the user about [`TooDeep`].
pub fn message() -> String {
    format!(
        "the document is nested too deeply: more than {MAX_FLOW_DEPTH} levels of [ ] or {{ }} here; a \
         topology needs a few"
    )
}

/// Check `text` (already without a byte-order mark).
pub fn check(text: &str) -> Result<(), TooDeep> {
    Walker { text, pos: 0, line: 1, column: 0, flow_depth: 0 }.run()
}

struct Walker<'t> {
    text: &'t str,
    /// Byte offset of the next character.
    pos: usize,
    line: usize,
    /// Characters consumed on the current line, so the column of the last one consumed (1-based).
    column: usize,
    flow_depth: usize,
}

/// What a block-context line leaves for the next one.
#[derive(Clone, Copy)]
struct LineEnd {
    /// It ended inside a plain scalar (`key: some text`), which a more indented line continues.
    in_plain: bool,
    /// The indentation (0-based column) of the block collection holding that scalar: a more indented
    /// line continues the scalar. `-1` at the top level.
    owner: isize,
}

/// Inside a block scalar: lines more indented than `owner` belong to it, and once the first
/// non-blank one has fixed the content's indentation, only lines indented at least that much.
#[derive(Clone, Copy)]
struct BlockScalar {
    owner: isize,
    content: Option<isize>,
}

impl Walker<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.text[self.pos..].chars().nth(1)
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    /// Up to (not including) the next line break.
    fn skip_to_end_of_line(&mut self) {
        let rest = &self.text[self.pos..];
        let len = rest.find('\n').unwrap_or(rest.len());
        self.column += rest[..len].chars().count();
        self.pos += len;
    }

    /// After an opening quote: up to and including the closing one, across lines as YAML allows.
    fn skip_quoted(&mut self, quote: char) {
        while let Some(c) = self.next() {
            match c {
                '\\' if quote == '"' => {
                    self.next();
                }
                '\'' if quote == '\'' && self.peek() == Some('\'') => {
                    self.next();
                }
                c if c == quote => return,
                _ => {}
            }
        }
    }

    /// An anchor (`&a`) or tag (`!t`): up to the next space or flow indicator.
    fn skip_property(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}') {
                return;
            }
            self.next();
        }
    }

    fn open(&mut self) -> Result<(), TooDeep> {
        self.flow_depth += 1;
        if self.flow_depth > MAX_FLOW_DEPTH {
            return Err(TooDeep { line: self.line, column: self.column });
        }
        Ok(())
    }

    fn ends_token(c: Option<char>) -> bool {
        c.is_none_or(char::is_whitespace)
    }

    fn run(mut self) -> Result<(), TooDeep> {
        let mut previous = LineEnd { in_plain: false, owner: -1 };
        let mut block_scalar: Option<BlockScalar> = None;
        loop {
            let mut indent = 0isize;
            while self.peek() == Some(' ') {
                self.next();
                indent += 1;
            }
            let Some(first) = self.peek() else { return Ok(()) };
            let blank = first == '\n' || (first == '\r' && self.peek_second() == Some('\n'));
            if let Some(scalar) = &mut block_scalar {
                let inside = match scalar.content {
                    _ if blank => true,
                    Some(content) => indent >= content,
                    None if indent > scalar.owner => {
                        scalar.content = Some(indent);
                        true
                    }
                    None => false,
                };
                if inside {
                    self.skip_to_end_of_line();
                    self.next();
                    continue;
                }
                block_scalar = None;
            }
            if blank {
                self.skip_to_end_of_line();
                self.next();
                continue;
            }
            if first == '#' {
                // A comment line ends a plain scalar.
                previous.in_plain = false;
                self.skip_to_end_of_line();
            } else {
                let maybe_continued = previous.in_plain && indent > previous.owner;
                let (end, scalar) = self.block_line(indent, maybe_continued, previous.owner)?;
                previous = end;
                block_scalar = scalar;
            }
            if self.next().is_none() {
                return Ok(());
            }
        }
    }

    /// One line in block context, from its first non-space character, up to its line break (not
    /// consumed). A flow collection that starts on it is walked to its end, wherever that is, and the
    /// line goes on from there. `maybe_continued`: the line may continue the plain scalar the previous
    /// one ended in. Returns what the line leaves open, and the block scalar it starts, if any.
    fn block_line(
        &mut self,
        indent: isize,
        maybe_continued: bool,
        previous_owner: isize,
    ) -> Result<(LineEnd, Option<BlockScalar>), TooDeep> {
        // Expecting a node (a key or a value), rather than inside or after a scalar.
        let mut node_start = true;
        let mut in_plain = false;
        // The column of the innermost key or `-`/`?` indicator on this line.
        let mut owner: Option<isize> = None;
        let mut token_start = indent;
        let mut after_space = true;
        let mut first = true;
        // On a line that may be text, what looks like a quoted scalar may not be one: skipping it
        // could hide brackets, so nothing on it is skipped as quoted.
        let quotes = !maybe_continued;
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            let column = self.column as isize;
            if c == '#' && after_space {
                self.skip_to_end_of_line();
                break;
            }
            if c == ' ' || c == '\t' || c == '\r' {
                self.next();
                after_space = true;
                continue;
            }
            after_space = false;
            let line_start = std::mem::take(&mut first);
            if maybe_continued && line_start {
                // Either a new node or more of the previous line's plain scalar: count a bracket here
                // (in a flow collection that does not skip quotes), treat anything else as plain text.
                self.next();
                if matches!(c, '[' | '{') {
                    self.open()?;
                    self.flow(false)?;
                    node_start = false;
                } else {
                    token_start = column;
                    node_start = false;
                    in_plain = true;
                }
                continue;
            }
            if !node_start {
                // Inside or after a scalar: only `: ` makes what came before a key.
                self.next();
                if c == ':' && Self::ends_token(self.peek()) {
                    owner = Some(token_start);
                    node_start = true;
                    in_plain = false;
                }
                continue;
            }
            match c {
                '"' | '\'' if quotes => {
                    self.next();
                    self.skip_quoted(c);
                    token_start = column;
                    node_start = false;
                    in_plain = false;
                }
                '[' | '{' => {
                    self.next();
                    self.open()?;
                    self.flow(quotes)?;
                    node_start = false;
                    in_plain = false;
                }
                '-' if column == 0 && self.text[self.pos..].starts_with("---") => {
                    // The start of a document; a node may follow on the same line.
                    for _ in 0..3 {
                        self.next();
                    }
                    if !Self::ends_token(self.peek()) {
                        token_start = column;
                        node_start = false;
                        in_plain = true;
                    }
                }
                '-' | '?' if Self::ends_token(self.peek_second()) => {
                    self.next();
                    owner = Some(column);
                }
                '|' | '>' => {
                    // A block scalar. Its parent is the key or `-` before it on this line; without one
                    // (a header on a line of its own), take the line's own indentation less one, which
                    // ends the scalar no later than YAML does.
                    let scalar = BlockScalar { owner: owner.unwrap_or(indent - 1), content: None };
                    self.skip_to_end_of_line();
                    let end = LineEnd { in_plain: false, owner: owner.unwrap_or(previous_owner) };
                    return Ok((end, Some(scalar)));
                }
                '&' | '!' => {
                    self.next();
                    self.skip_property();
                }
                '%' if column == 0 => {
                    self.skip_to_end_of_line();
                    break;
                }
                _ => {
                    self.next();
                    token_start = column;
                    node_start = false;
                    in_plain = true;
                }
            }
        }
        // A value on a line of its own (no key or `-` before it) belongs to the collection of the key
        // or `-` that the lines before ended with.
        Ok((LineEnd { in_plain, owner: owner.unwrap_or(previous_owner) }, None))
    }

    /// Inside a flow collection whose opening bracket was just consumed, up to and including its
    /// closing one. `quotes`: whether a quote at the start of a node starts a quoted scalar (false when
    /// the collection may be text in a plain scalar, where skipping "quoted" text could hide brackets).
    fn flow(&mut self, quotes: bool) -> Result<(), TooDeep> {
        let mut node_start = true;
        // Right after a quoted scalar or a closed collection, `:` is a value indicator even without a
        // space after it (`{"a":"b"}`).
        let mut after_node = false;
        let mut after_space = false;
        while let Some(c) = self.next() {
            match c {
                ' ' | '\t' | '\r' | '\n' => {
                    after_space = true;
                    continue;
                }
                '#' if after_space => self.skip_to_end_of_line(),
                '[' | '{' => {
                    self.open()?;
                    node_start = true;
                    after_node = false;
                }
                ']' | '}' => {
                    self.flow_depth -= 1;
                    if self.flow_depth == 0 {
                        return Ok(());
                    }
                    node_start = false;
                    after_node = true;
                }
                ',' => {
                    node_start = true;
                    after_node = false;
                }
                ':' if after_node
                    || matches!(self.peek(), None | Some(' ' | '\t' | '\r' | '\n' | ',' | '[' | ']' | '{' | '}')) =>
                {
                    node_start = true;
                    after_node = false;
                }
                '?' if node_start && Self::ends_token(self.peek()) => {}
                '"' | '\'' if node_start && quotes => {
                    self.skip_quoted(c);
                    node_start = false;
                    after_node = true;
                }
                '&' | '!' if node_start => self.skip_property(),
                _ => {
                    node_start = false;
                    after_node = false;
                }
            }
            after_space = false;
        }
        Ok(())
    }
}
