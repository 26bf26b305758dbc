//! `attest trivy-gate`: the gate's findings as a table, JSON or GitHub annotations.

use std::path::Path;

use tagwright_trivy::{GateOptions, GateReport, SEVERITIES};

use crate::{Failure, github_data, github_property, out, table};

/// How the gate prints what remains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table: target, kind, id, package, installed and fixed version, severity.
    Table,
    /// One document: what remains, what was suppressed and why, expired ignore entries.
    Json,
    /// One GitHub Actions annotation per finding.
    Github,
}

/// Runs the gate and prints its findings: exit 1 when any remains.
pub fn run(
    program: &str,
    report: &Path,
    severities: &[String],
    ignore_unfixed: bool,
    ignore_file: &Path,
    format: Format,
) -> Result<(), Failure> {
    let mut options = GateOptions::default();
    options.severities = severities.iter().map(|s| s.trim().to_ascii_uppercase()).collect();
    if let Some(bad) = options.severities.iter().find(|s| !SEVERITIES.contains(&s.as_str())) {
        return Err(Failure::input(format!("`{bad}` is not a severity: use {}", SEVERITIES.join(", "))));
    }
    options.ignore_unfixed = ignore_unfixed;
    options.ignore_file = Some(ignore_file.to_path_buf());
    let gate = tagwright_trivy::gate(report, &options).map_err(|e| Failure::input(e.to_string()))?;
    for e in &gate.expired {
        eprintln!("{program}: warning: {}: {} expired on {}; not honoured", e.at, e.id, e.expired);
    }
    match format {
        Format::Table => out(&render_table(&gate)),
        Format::Json => crate::json::print(if gate.passed() { "passed" } else { "failed" }, &gate)?,
        Format::Github => out(&annotations(&gate)),
    }
    if gate.passed() {
        Ok(())
    } else {
        Err(Failure::check(format!("{}: {} finding(s) remain", report.display(), gate.remaining.len())))
    }
}

fn render_table(gate: &GateReport) -> String {
    let rows: Vec<Vec<String>> = gate
        .remaining
        .iter()
        .map(|f| {
            vec![
                f.target.clone(),
                f.kind.to_owned(),
                f.id.clone(),
                f.package.clone().unwrap_or_default(),
                f.installed.clone().unwrap_or_default(),
                f.fixed.clone().unwrap_or_default(),
                f.severity.clone(),
            ]
        })
        .collect();
    let count = |reason: &str| gate.suppressed.iter().filter(|s| s.reason == reason).count();
    let mut text = if rows.is_empty() {
        String::new()
    } else {
        table(&["TARGET", "KIND", "ID", "PACKAGE", "INSTALLED", "FIXED", "SEVERITY"], &rows)
    };
    text.push_str(&format!(
        "{} finding(s) remain; suppressed: {} by severity, {} by status, {} by the ignore file\n",
        gate.remaining.len(),
        count("severity"),
        count("status"),
        count("ignored")
    ));
    text
}

fn annotations(gate: &GateReport) -> String {
    let mut text = String::new();
    for f in &gate.remaining {
        let package = match (&f.package, &f.installed) {
            (Some(p), Some(v)) => format!("{p} {v}"),
            (Some(p), None) => p.clone(),
            _ => String::new(),
        };
        let fixed = f.fixed.as_deref().map(|v| format!(" (fixed in {v})")).unwrap_or_default();
        text.push_str(&format!(
            "::error file={},title={}::{}\n",
            github_property(&f.target),
            github_property(&format!("{} {} ({})", f.kind, f.id, f.severity)),
            github_data(format!("{package}{fixed}: {}", f.title).trim_start_matches(": "))
        ));
    }
    for e in &gate.expired {
        text.push_str(&format!(
            "::warning title={}::{}\n",
            github_property(&format!("expired ignore entry {}", e.id)),
            github_data(&format!("{} expired on {}; not honoured", e.at, e.expired))
        ));
    }
    text
}
