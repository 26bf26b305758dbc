//! tagwright's internal text formats, shared by the crates that read and write them:
//!
//! - [`yaml`]: a YAML document tree with byte spans, so that a value is replaced without touching the
//!   rest of the file (serde_yaml is deprecated, and no maintained crate keeps spans for editing);
//! - [`wildcard_match`]: the shell-style `*` and `?` patterns of `tagwright.toml` sources and of
//!   OpenSSH's allowed-signers principals;
//! - [`error_chain`]: an error and its causes on one line, as every binary and report shows them.
//!
//! This crate is internal: its API follows what the other tagwright crates need.
//!
//! ```
//! use tagwright_text::{error_chain, wildcard_match, yaml};
//!
//! assert!(wildcard_match("charts/*", "charts/advisoryhub"));
//! let doc = yaml::parse("version: 1.2.0 # bumped\n").unwrap();
//! let node = doc.get("version").unwrap();
//! assert_eq!(node.span, 9..14);
//! let err = std::io::Error::other("disk full");
//! assert_eq!(error_chain(&err), "disk full");
//! ```

#![deny(missing_docs)]

pub mod yaml;

/// True when `name` matches `pattern`, where `*` matches any run and `?` any one character (shell-style,
/// as `tagwright.toml` source patterns and OpenSSH pattern lists use them).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// An error and its causes joined with `: `, each cause said once (a cause whose text the message
/// already holds is skipped).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", "advisoryhub"));
        assert!(wildcard_match("crates-*", "crates-x"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "abbc"));
        assert!(wildcard_match("*b*", "abc"));
        assert!(!wildcard_match("*.yaml", "Chart.yml"));
    }
}
