//! Trivy's ignore files (`pkg/result/ignore.go`): `.trivyignore` and `.trivyignore.yaml`.

use std::path::Path;

use tagwright_fs::BadFile;
use tagwright_text::yaml;

use super::{Expired, TrivyError};

/// One honoured entry.
#[derive(Debug, Clone, Default)]
pub(super) struct Entry {
    id: String,
    paths: Vec<String>,
    purls: Vec<Purl>,
    /// `file:line`, and the statement if any: what a suppression reports.
    by: String,
}

/// The honoured entries of one kind.
#[derive(Debug, Clone, Default)]
pub(super) struct Entries(Vec<Entry>);

impl Entries {
    /// The entry that ignores finding `id` at `path` (of package `purl`), as Trivy's `Match`: the id
    /// equal, any path glob matching (none: any path), any purl matching (none, or no package: any).
    pub(super) fn matching(&self, id: &str, path: &str, purl: Option<&str>) -> Option<String> {
        let target = purl.and_then(Purl::parse);
        self.0
            .iter()
            .find(|e| {
                e.id == id
                    && (e.paths.is_empty() || e.paths.iter().any(|p| glob(p, path)))
                    && (e.purls.is_empty()
                        || target.as_ref().is_none_or(|t| e.purls.iter().any(|p| p.matches(t))))
            })
            .map(|e| e.by.clone())
    }
}

/// The entries of an ignore file, by kind.
#[derive(Debug, Clone, Default)]
pub(super) struct Ignore {
    pub(super) vulnerabilities: Entries,
    pub(super) misconfigurations: Entries,
    pub(super) secrets: Entries,
    pub(super) licenses: Entries,
}

/// Reads `path` (YAML when it ends in `.yaml` or `.yml`, as Trivy decides); entries expired before
/// `today` go to `expired`.
pub(super) fn read(path: &Path, today: &str, expired: &mut Vec<Expired>) -> Result<Ignore, TrivyError> {
    let text = std::fs::read_to_string(path).map_err(tagwright_fs::at(path))?;
    let shown = path.display().to_string();
    let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    if !yaml {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let at = format!("{shown}:{}", n + 1);
            // Trivy skips a line whose date does not parse (with a warning), and so do we.
            let exp = fields.iter().find_map(|f| f.strip_prefix("exp:"));
            if exp.is_some_and(|d| date(d).is_none()) {
                continue;
            }
            let entry =
                Entry { id: fields[0].to_owned(), paths: Vec::new(), purls: Vec::new(), by: at.clone() };
            if let Some(day) = exp.and_then(date).filter(|d| d.as_str() < today) {
                expired.push(Expired { id: entry.id, at, expired: day });
                continue;
            }
            entries.push(entry);
        }
        let all = Entries(entries);
        return Ok(Ignore {
            vulnerabilities: all.clone(),
            misconfigurations: all.clone(),
            secrets: all.clone(),
            licenses: all,
        });
    }
    let doc = yaml::parse(&text).map_err(|e| BadFile::new(path, format!("not YAML: {e}")))?;
    let mut section = |key: &str| -> Result<Entries, TrivyError> {
        let mut entries = Vec::new();
        for item in doc.get(key).and_then(yaml::Node::items).unwrap_or_default() {
            let at = format!("{shown}:{}", item.line);
            let bad = |message: String| {
                TrivyError::from(BadFile::new(path, format!("line {}: {message}", item.line)))
            };
            let id = item
                .get("id")
                .and_then(yaml::Node::as_str)
                .ok_or_else(|| bad(format!("a {key} entry has no id")))?;
            let list = |field: &str| -> Vec<String> {
                item.get(field)
                    .and_then(yaml::Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            };
            let purls = list("purls")
                .iter()
                .map(|p| Purl::parse(p).ok_or_else(|| bad(format!("`{p}` is not a purl"))))
                .collect::<Result<Vec<_>, _>>()?;
            let statement = item.get("statement").and_then(yaml::Node::as_str);
            let by = statement.map_or_else(|| at.clone(), |s| format!("{at} ({s})"));
            let entry = Entry { id: id.to_owned(), paths: list("paths"), purls, by };
            if let Some(raw) = item.get("expired_at").and_then(yaml::Node::as_str) {
                let day = date(raw).ok_or_else(|| bad(format!("expired_at `{raw}` is not a date")))?;
                if day.as_str() < today {
                    expired.push(Expired { id: entry.id, at, expired: day });
                    continue;
                }
            }
            entries.push(entry);
        }
        Ok(Entries(entries))
    };
    Ok(Ignore {
        vulnerabilities: section("vulnerabilities")?,
        misconfigurations: section("misconfigurations")?,
        secrets: section("secrets")?,
        licenses: section("licenses")?,
    })
}

/// `YYYY-MM-DD` (the date part of a YAML timestamp too), checked.
fn date(text: &str) -> Option<String> {
    let day = text.get(..10)?;
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(day.to_owned())
}

/// A package URL, split as packageurl-go splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Purl {
    kind: String,
    namespace: String,
    name: String,
    version: String,
    qualifiers: Vec<(String, String)>,
    subpath: String,
}

impl Purl {
    fn parse(text: &str) -> Option<Purl> {
        let rest = text.strip_prefix("pkg:")?;
        let (rest, subpath) = rest.split_once('#').unwrap_or((rest, ""));
        let (rest, qualifiers) = rest.split_once('?').unwrap_or((rest, ""));
        let (path, version) = rest.rsplit_once('@').filter(|(p, _)| p.contains('/')).unwrap_or((rest, ""));
        let (kind, path) = path.split_once('/')?;
        let (namespace, name) = path.rsplit_once('/').unwrap_or(("", path));
        let decode = |s: &str| percent_decode(s);
        Some(Purl {
            kind: kind.to_ascii_lowercase(),
            namespace: decode(namespace),
            name: decode(name),
            version: decode(version),
            qualifiers: qualifiers
                .split('&')
                .filter(|q| !q.is_empty())
                .filter_map(|q| q.split_once('=').map(|(k, v)| (k.to_ascii_lowercase(), decode(v))))
                .collect(),
            subpath: decode(subpath),
        })
        .filter(|p| !p.name.is_empty())
    }

    /// Trivy's `PackageURL.Match`: this constraint matches `target` when type, namespace and name are
    /// equal, and version, subpath and each qualifier are equal where the constraint has them.
    fn matches(&self, target: &Purl) -> bool {
        self.kind == target.kind
            && self.namespace == target.namespace
            && self.name == target.name
            && (self.version.is_empty() || self.version == target.version)
            && (self.subpath.is_empty() || self.subpath == target.subpath)
            && self.qualifiers.iter().all(|q| target.qualifiers.contains(q))
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// doublestar's `Match` for the patterns ignore files use: `/`-separated, `**` any number of
/// segments, `*` and `?` within one segment.
///
/// Matched by dynamic programming over (pattern segment, path segment), from the ends: time is the
/// product of the two segment counts whatever the pattern (a backtracking match of many `**` is
/// exponential, and a hostile ignore file chooses the pattern).
fn glob(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    let n = path.len();
    // `rest[j]`: the pattern's segments after the current one match `path[j..]`.
    let mut rest = vec![false; n + 1];
    rest[n] = true;
    for segment in pattern.iter().rev() {
        let mut here = vec![false; n + 1];
        if *segment == "**" {
            let mut later = false;
            for j in (0..=n).rev() {
                later |= rest[j];
                here[j] = later;
            }
        } else {
            for j in 0..n {
                here[j] = rest[j + 1] && tagwright_text::wildcard_match(segment, path[j]);
            }
        }
        rest = here;
    }
    rest[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_match_as_trivys_do() {
        let constraint = Purl::parse("pkg:pypi/requests").expect("purl");
        assert!(constraint.matches(&Purl::parse("pkg:pypi/requests@2.31.0").expect("purl")));
        let versioned = Purl::parse("pkg:npm/%40babel/core@7.0.0?arch=x").expect("purl");
        assert_eq!((versioned.namespace.as_str(), versioned.name.as_str()), ("@babel", "core"));
        assert!(
            !versioned.matches(&Purl::parse("pkg:npm/%40babel/core@7.0.0").expect("purl")),
            "a qualifier the target lacks"
        );
        assert!(versioned.matches(&Purl::parse("pkg:npm/%40babel/core@7.0.0?arch=x&os=y").expect("purl")));
    }

    #[test]
    fn globs_match_as_doublestars_do() {
        assert!(glob("**/package-lock.json", "app/sub/package-lock.json"));
        assert!(glob("**/package-lock.json", "package-lock.json"));
        assert!(glob("app/*.lock", "app/uv.lock") && !glob("app/*.lock", "app/sub/uv.lock"));
        assert!(!glob("usr/lib", "usr/lib/x"));
        assert!(glob("a/**/b/**/c", "a/b/c") && glob("a/**/b/**/c", "a/x/b/y/z/c"));
        assert!(!glob("a/**/b/**/c", "a/x/c/b") && glob("**", "") && glob("**/**", "a/b"));
    }

    /// Issue 21, item 6: `**` segments cost linear time, not exponential (a backtracking matcher took
    /// 34 s for 8 of them against 40 segments, and never finished with 10). 64 `**` against a path of
    /// 4,096 segments is about a quarter of a million steps.
    #[test]
    fn many_doublestars_match_in_polynomial_time() {
        let path = vec!["d"; 4096].join("/");
        let pattern = format!("{}/x", vec!["**"; 64].join("/"));
        assert!(!glob(&pattern, &path));
        assert!(glob(&format!("{}/d", vec!["**/d"; 32].join("/")), &path));
    }
}
