//! Python sources beyond pyproject.toml: where a build backend takes a dynamic version from, and the
//! plain `__version__ = "…"` assignment in a module that a bump can rewrite.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_edit::Item;

use super::ReadError;

/// A string value found in a TOML, YAML or Python file, before it becomes a `Record`.
pub(super) struct Found {
    pub(super) field: String,
    pub(super) value: String,
    /// Span of the whole value token (quotes included).
    pub(super) token: Range<usize>,
    /// Length of the quote on each side of the token.
    pub(super) quote_len: usize,
}

/// Where a build backend takes a dynamic version from, as its own settings say.
pub(super) struct DynamicSource {
    /// Named in errors, so that a user sees which file or tool holds the version.
    pub(super) describe: String,
    /// Python modules (relative to pyproject.toml) that may hold the assignment, in the backend's order
    /// of search; empty when the version is computed (from git tags, a custom pattern, a plain file).
    pub(super) candidates: Vec<PathBuf>,
    /// The variables the backend reads.
    pub(super) variables: Vec<String>,
}

pub(super) fn dynamic_source(doc: &toml_edit::Table, name: Option<&str>) -> DynamicSource {
    let tool = doc.get("tool").and_then(Item::as_table_like);
    let get = |path: &[&str]| -> Option<&Item> {
        let mut item = tool?.get(path[0])?;
        for key in &path[1..] {
            item = item.as_table_like()?.get(key)?;
        }
        Some(item)
    };
    let text = |path: &[&str]| get(path).and_then(Item::as_str).map(str::to_owned);
    let computed =
        |describe: String| DynamicSource { describe, candidates: Vec::new(), variables: Vec::new() };
    let module = |describe: String, candidates: Vec<PathBuf>, variables: &[&str]| DynamicSource {
        describe,
        candidates,
        variables: variables.iter().map(|v| (*v).to_owned()).collect(),
    };
    // A dotted module name, as the files Python would import it from (flat and `src/` layouts).
    let module_files = |dotted: &str| -> Vec<PathBuf> {
        let relative: PathBuf = dotted.split('.').collect();
        ["", "src"]
            .iter()
            .flat_map(|base| {
                let base = Path::new(base).join(&relative);
                [base.with_extension("py"), base.join("__init__.py")]
            })
            .collect()
    };
    if let Some(version_path) = text(&["hatch", "version", "path"]) {
        let describe = format!("hatchling reads it from `[tool.hatch.version] path` ({version_path})");
        if get(&["hatch", "version", "pattern"]).is_some() {
            return computed(format!("{describe} with a custom `pattern`"));
        }
        // hatchling's default pattern: `(?i)^(__version__|VERSION) *= *(['"])v?(?P<version>.+?)\2`.
        return module(describe, vec![PathBuf::from(version_path)], &["__version__", "VERSION"]);
    }
    if let Some(source) = text(&["hatch", "version", "source"]) {
        return computed(format!("hatchling computes it with `[tool.hatch.version] source = \"{source}\"`"));
    }
    if let Some(version) = get(&["setuptools", "dynamic", "version"]).and_then(Item::as_table_like) {
        if let Some(attr) = version.get("attr").and_then(Item::as_str) {
            let describe =
                format!("setuptools reads it from `[tool.setuptools.dynamic] version.attr` ({attr})");
            return match attr.rsplit_once('.') {
                Some((dotted, variable)) => module(describe, module_files(dotted), &[variable]),
                None => computed(describe),
            };
        }
        if let Some(file) = version.get("file").and_then(Item::as_str) {
            return computed(format!(
                "setuptools reads it from `[tool.setuptools.dynamic] version.file` ({file})"
            ));
        }
    }
    if get(&["setuptools_scm"]).is_some() {
        return computed("setuptools-scm computes it from the git tags (`[tool.setuptools_scm]`)".to_owned());
    }
    if let Some(source) = text(&["pdm", "version", "source"]) {
        return match text(&["pdm", "version", "path"]) {
            Some(version_path) => {
                let describe = format!(
                    "PDM reads it from `[tool.pdm.version] path` ({version_path}, source \"{source}\")"
                );
                // PDM's `file` source matches `__version__\s*=\s*["'](.+?)["']`.
                let candidates =
                    if source == "file" { vec![PathBuf::from(version_path)] } else { Vec::new() };
                module(describe, candidates, &["__version__"])
            }
            None => computed(format!("PDM computes it with `[tool.pdm.version] source = \"{source}\"`")),
        };
    }
    let flit_module = text(&["flit", "module", "name"]);
    let flit_backend = doc
        .get("build-system")
        .and_then(Item::as_table_like)
        .and_then(|b| b.get("build-backend"))
        .and_then(Item::as_str)
        .is_some_and(|b| b.starts_with("flit"));
    if flit_module.is_some() || flit_backend {
        let describe = "flit reads it from the module's `__version__`".to_owned();
        let module_name = flit_module.or_else(|| name.map(|n| n.replace('-', "_")));
        let candidates = module_name.map(|m| module_files(&m)).unwrap_or_default();
        return module(describe, candidates, &["__version__"]);
    }
    computed("a build backend computes it".to_owned())
}

/// The first top-level assignment of one of `variables` in a Python module, which must be a plain
/// string literal (`__version__ = "1.2.0"`, `VERSION: str = 'v1.2.0'  # comment`). Anything else (an
/// expression, an f-string, an escape) is an error at its line: no tool can rewrite it safely.
pub(super) fn python_assignment(path: &str, text: &str, variables: &[&str]) -> Result<Found, ReadError> {
    const QUOTES: [&str; 4] = ["\"\"\"", "'''", "\"", "'"];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let Some(variable) = variables.iter().find(|v| {
            line.strip_prefix(**v)
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
        }) else {
            continue;
        };
        let rest = line[variable.len()..].trim_start_matches([' ', '\t']);
        // An optional annotation (`: str`, `: Final`), then `=` and not `==`.
        let value_part = match rest.strip_prefix(':') {
            Some(annotated) => annotated.split_once('=').map_or("", |(_, after)| after),
            None => match rest.strip_prefix('=') {
                Some(after) if !after.starts_with('=') => after,
                _ => continue,
            },
        };
        let literal_at = line.len() - value_part.trim_start_matches([' ', '\t']).len();
        let literal = &line[literal_at..];
        let plain = QUOTES.into_iter().find(|q| literal.starts_with(q)).and_then(|quote| {
            let body = &literal[quote.len()..];
            let end = body.find(quote)?;
            let value = &body[..end];
            let after = body[end + quote.len()..].trim_start_matches([' ', '\t']);
            let ends = after.is_empty() || after.starts_with(['#', '\n', '\r']);
            (ends && !value.contains(['\\', '\n'])).then_some((quote.len(), value))
        });
        let Some((quote_len, value)) = plain else {
            let message = format!(
                "`{variable}` is not a plain string assignment (`{variable} = \"1.2.0\"`), so it cannot be read or bumped"
            );
            return Err(ReadError::syntax_at(path, text, start + literal_at, message));
        };
        let token = start + literal_at..start + literal_at + 2 * quote_len + value.len();
        return Ok(Found { field: (*variable).to_owned(), value: value.to_owned(), token, quote_len });
    }
    Err(ReadError::Syntax {
        path: path.to_owned(),
        line: 1,
        column: 1,
        message: format!("no top-level `{} = \"…\"` assignment", variables.join("` or `")),
    })
}
