//! The Trivy gate: a Trivy JSON report (schema version 2) filtered as Trivy filters it, and whether
//! anything remains.
//!
//! Trivy's own pipeline (`pkg/result/filter.go`), in its order: severity, then status (`--ignore-unfixed`
//! ignores every status but `fixed`), then the ignore file. `.trivyignore` lists ids with optional
//! `exp:YYYY-MM-DD`; `.trivyignore.yaml` lists `vulnerabilities`, `misconfigurations`, `secrets` and
//! `licenses`, each with `id`, optional `paths` (globs, `**` included), `purls` and `expired_at`. An
//! entry past its expiry is not honoured, and is reported. Vulnerabilities that are the same finding
//! (id, package id, name, version and path) count once; misconfigurations count only when they fail.

#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Trivy's severities, lowest first.
pub const SEVERITIES: [&str; 5] = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// How to filter.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GateOptions {
    /// The severities that count (default: all five).
    pub severities: Vec<String>,
    /// Only vulnerabilities with a fix count (`--ignore-unfixed`).
    pub ignore_unfixed: bool,
    /// `.trivyignore` or `.trivyignore.yaml` (chosen by the extension, as Trivy does).
    pub ignore_file: Option<PathBuf>,
    /// Today, `YYYY-MM-DD` in UTC, for expiry dates.
    pub today: String,
}

impl Default for GateOptions {
    fn default() -> GateOptions {
        GateOptions {
            severities: SEVERITIES.iter().map(|s| (*s).to_owned()).collect(),
            ignore_unfixed: false,
            ignore_file: None,
            today: today(),
        }
    }
}

/// Today's date in UTC, `YYYY-MM-DD`.
fn today() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    chrono::DateTime::from_timestamp(i64::try_from(now).unwrap_or(0), 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Why the gate could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrivyError {
    /// A file could not be read.
    #[error(transparent)]
    Io(#[from] tagwright_fs::FileError),
    /// The report or the ignore file is malformed.
    #[error(transparent)]
    Invalid(#[from] tagwright_fs::BadFile),
}

/// A finding of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `vulnerability`, `misconfiguration`, `secret` or `license`.
    pub kind: &'static str,
    /// The CVE, GHSA, check or rule id, or the license name.
    pub id: String,
    /// The result's target (an image layer, a lock file, a path).
    pub target: String,
    /// The package, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Its installed version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed: Option<String>,
    /// The first fixed version, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// The severity.
    pub severity: String,
    /// The title.
    pub title: String,
}

/// A finding the filters removed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    /// The finding.
    pub finding: Finding,
    /// `severity`, `status` or `ignored`.
    pub reason: &'static str,
    /// For `ignored`: the ignore file and its line, and the entry's statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// An ignore-file entry past its expiry: not honoured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expired {
    /// The id.
    pub id: String,
    /// The file and line.
    pub at: String,
    /// When it expired.
    pub expired: String,
}

/// What the gate found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GateReport {
    /// Findings that remain: the gate fails when there is any.
    pub remaining: Vec<Finding>,
    /// Findings the filters removed.
    pub suppressed: Vec<Suppressed>,
    /// Ignore entries that expired.
    pub expired: Vec<Expired>,
}

impl GateReport {
    /// Whether nothing remains.
    pub fn passed(&self) -> bool {
        self.remaining.is_empty()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Report {
    schema_version: Option<u32>,
    #[serde(default)]
    results: Vec<TrivyResult>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyResult {
    #[serde(default)]
    target: String,
    #[serde(default)]
    vulnerabilities: Vec<Vulnerability>,
    #[serde(default)]
    misconfigurations: Vec<Misconfiguration>,
    #[serde(default)]
    secrets: Vec<Secret>,
    #[serde(default)]
    licenses: Vec<License>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vulnerability {
    #[serde(rename = "VulnerabilityID")]
    id: String,
    #[serde(rename = "PkgID", default)]
    pkg_id: String,
    #[serde(default)]
    pkg_name: String,
    #[serde(default)]
    pkg_path: String,
    #[serde(default)]
    pkg_identifier: PkgIdentifier,
    #[serde(default)]
    installed_version: String,
    #[serde(default)]
    fixed_version: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    title: String,
}

#[derive(Debug, Default, Deserialize)]
struct PkgIdentifier {
    #[serde(rename = "PURL", default)]
    purl: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Misconfiguration {
    #[serde(rename = "ID", default)]
    id: String,
    #[serde(rename = "AVDID", default)]
    avd_id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    title: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Secret {
    #[serde(rename = "RuleID", default)]
    rule_id: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    title: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct License {
    #[serde(default)]
    name: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    file_path: String,
    #[serde(default)]
    pkg_name: String,
}

/// Runs the gate on the report at `path`.
pub fn gate(path: &Path, options: &GateOptions) -> Result<GateReport, TrivyError> {
    let bytes = std::fs::read(path).map_err(tagwright_fs::at(path))?;
    let report: Report = serde_json::from_slice(&bytes)
        .map_err(|e| tagwright_fs::BadFile::new(path, format!("not a Trivy JSON report: {e}")))?;
    if report.schema_version != Some(2) {
        let message =
            format!("schema version {:?}: the gate reads Trivy's schema version 2", report.schema_version);
        return Err(tagwright_fs::BadFile::new(path, message).into());
    }
    let mut gate = GateReport::default();
    let ignore = match &options.ignore_file {
        Some(file) if file.exists() => ignore::read(file, &options.today, &mut gate.expired)?,
        _ => ignore::Ignore::default(),
    };
    for result in &report.results {
        filter(result, options, &ignore, &mut gate);
    }
    Ok(gate)
}

fn filter(result: &TrivyResult, options: &GateOptions, ignore: &ignore::Ignore, gate: &mut GateReport) {
    let counts = |severity: &str| options.severities.iter().any(|s| s == severity);
    let target = &result.target;
    let mut seen = std::collections::BTreeSet::new();
    for v in &result.vulnerabilities {
        let severity = if v.severity.is_empty() { "UNKNOWN" } else { v.severity.as_str() };
        let mut finding = Finding::new("vulnerability", &v.id, target, severity, &v.title);
        finding.package = Some(v.pkg_name.clone());
        finding.installed = Some(v.installed_version.clone());
        finding.fixed = (!v.fixed_version.is_empty()).then(|| v.fixed_version.clone());
        let purl = v.pkg_identifier.purl.as_deref();
        let key = (&v.id, &v.pkg_id, &v.pkg_name, &v.installed_version, &v.pkg_path);
        let verdict = if !counts(severity) {
            Verdict::Severity
        } else if options.ignore_unfixed && v.status != "fixed" {
            Verdict::Status
        } else if let Some(by) =
            [target, &v.pkg_path].iter().find_map(|path| ignore.vulnerabilities.matching(&v.id, path, purl))
        {
            Verdict::Ignored(by)
        } else {
            // The same finding twice counts once.
            Verdict::Keep(seen.insert(key))
        };
        gate.record(finding, verdict);
    }
    for m in &result.misconfigurations {
        let id = if m.avd_id.is_empty() { &m.id } else { &m.avd_id };
        let finding = Finding::new("misconfiguration", id, target, &m.severity, &m.title);
        let mut ids = [&m.id, &m.avd_id].into_iter().chain(&m.aliases);
        let verdict = if !counts(&m.severity) {
            Verdict::Severity
        } else if let Some(by) = ids.find_map(|id| ignore.misconfigurations.matching(id, target, None)) {
            Verdict::Ignored(by)
        } else {
            // Passed checks are in the report too; only failures count.
            Verdict::Keep(m.status == "FAIL")
        };
        gate.record(finding, verdict);
    }
    for s in &result.secrets {
        let finding = Finding::new("secret", &s.rule_id, target, &s.severity, &s.title);
        gate.record(finding, simple(counts(&s.severity), ignore.secrets.matching(&s.rule_id, target, None)));
    }
    for l in &result.licenses {
        let mut finding = Finding::new("license", &l.name, target, &l.severity, &l.name);
        finding.package = (!l.pkg_name.is_empty()).then(|| l.pkg_name.clone());
        gate.record(
            finding,
            simple(counts(&l.severity), ignore.licenses.matching(&l.name, &l.file_path, None)),
        );
    }
}

/// What Trivy's pipeline makes of one finding.
enum Verdict {
    /// Its severity does not count.
    Severity,
    /// Its status is ignored.
    Status,
    /// The ignore file's entry (file, line, statement) ignores it.
    Ignored(String),
    /// It passed the filters; it counts when `true` (not a duplicate, not a passed check).
    Keep(bool),
}

/// The verdict for a finding that only the severity and the ignore file filter.
fn simple(counts: bool, ignored: Option<String>) -> Verdict {
    match (counts, ignored) {
        (false, _) => Verdict::Severity,
        (true, Some(by)) => Verdict::Ignored(by),
        (true, None) => Verdict::Keep(true),
    }
}

impl Finding {
    fn new(kind: &'static str, id: &str, target: &str, severity: &str, title: &str) -> Finding {
        Finding {
            kind,
            id: id.to_owned(),
            target: target.to_owned(),
            package: None,
            installed: None,
            fixed: None,
            severity: severity.to_owned(),
            title: title.to_owned(),
        }
    }
}

impl GateReport {
    fn record(&mut self, finding: Finding, verdict: Verdict) {
        let suppressed = |reason, by| Suppressed { finding: finding.clone(), reason, by };
        match verdict {
            Verdict::Severity => self.suppressed.push(suppressed("severity", None)),
            Verdict::Status => self.suppressed.push(suppressed("status", None)),
            Verdict::Ignored(by) => self.suppressed.push(suppressed("ignored", Some(by))),
            Verdict::Keep(true) => self.remaining.push(finding),
            Verdict::Keep(false) => {}
        }
    }
}

mod ignore;
