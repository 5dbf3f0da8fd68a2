//! What `exec` prints for each node: a header with the node's id, how the command ended and its exit
//! code, then what the command wrote to standard output and, if anything, to standard error.

use super::Style;
use crate::nodes::Invocation;

pub fn render_invocation(invocation: &Invocation, style: Style) -> String {
    let verdict = format!("exit {} ({})", invocation.exit_code, invocation.status);
    let verdict = if invocation.succeeded() { style.green(&verdict) } else { style.red(&verdict) };
    let mut out = format!("{} {}: {verdict}\n", style.bold("==>"), style.bold(&invocation.node));
    out.push_str(&ended_with_newline(&invocation.stdout));
    if !invocation.stderr.is_empty() {
        out.push_str(&format!("{}\n", style.bold(&format!("--- {} stderr", invocation.node))));
        out.push_str(&ended_with_newline(&invocation.stderr));
    }
    out
}

/// The next header starts on a line of its own, whether the command ended its output with a newline or not.
fn ended_with_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(status: &str, exit_code: i32, stdout: &str, stderr: &str) -> Invocation {
        Invocation {
            node: "i-1".into(),
            status: status.into(),
            exit_code,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn each_node_under_its_id_with_its_exit_code() {
        let plain = Style { enabled: false };
        assert_eq!(
            render_invocation(&ended("Success", 0, "up 3 days\n", ""), plain),
            "==> i-1: exit 0 (Success)\nup 3 days\n"
        );
        assert_eq!(
            render_invocation(&ended("Failed", 2, "half", "disk full"), plain),
            "==> i-1: exit 2 (Failed)\nhalf\n--- i-1 stderr\ndisk full\n"
        );
    }
}
