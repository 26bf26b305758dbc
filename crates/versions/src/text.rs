//! Small text helpers shared by the readers: byte offsets to line and column, and path globbing.

use std::path::{Path, PathBuf};

/// 1-based line and 1-based column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Expands a relative path pattern whose components may contain `*` and `?` (no `**`).
///
/// Results are relative to `root`, byte-sorted, and only name paths that exist.
pub(crate) fn glob(files: &dyn crate::read::Files, pattern: &str) -> Vec<PathBuf> {
    let mut current = vec![PathBuf::new()];
    for component in pattern.split('/').filter(|c| !c.is_empty() && *c != ".") {
        let mut next = Vec::new();
        for base in &current {
            if component.contains(['*', '?']) {
                let mut names: Vec<String> = files
                    .names(base)
                    .into_iter()
                    .filter(|name| !name.starts_with('.') && tagwright_text::wildcard_match(component, name))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|name| base.join(name)));
            } else {
                let candidate = base.join(component);
                if files.exists(&candidate) {
                    next.push(candidate);
                }
            }
        }
        current = next;
    }
    current.retain(|p| !p.as_os_str().is_empty());
    current
}

/// A path relative to the repository root, written with `/` as in every report.
pub(crate) fn display_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nvé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        let quote = text.find('"').expect("quote");
        assert_eq!(line_col(text, quote), (2, 6));
    }
}
