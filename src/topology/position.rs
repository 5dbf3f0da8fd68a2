//! Where in the file: line and column as an editor counts them, from the parser's positions and byte
//! offsets. A leaf, so that locating a value and reporting an error both use it without importing each
//! other.

/// Line and column of a parser position, as an editor counts them: lines end at `\n` only. The YAML
/// parser also ends lines at `\r`, U+0085, U+2028 and U+2029, so its own line numbers can point past
/// what the user sees; its byte index does not.
pub(crate) fn position(text: &str, loc: &serde_yaml::Location) -> (usize, usize) {
    let mut end = loc.index().min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

/// The character at a 1-based line and column (columns count characters, as libyaml does).
pub fn char_at(text: &str, line: usize, column: usize) -> Option<char> {
    text.lines().nth(line.checked_sub(1)?)?.chars().nth(column.checked_sub(1)?)
}

/// Line and column (1-based, in characters) of a byte offset, for non-UTF-8 input.
pub fn position_of(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column)
}
