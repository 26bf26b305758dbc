//! `version-check`: the lockstep gate. Every recorded version must agree, and match the tag if one is given.
//!
//! Exit codes: 0 when all agree, 1 when any disagree, 2 on bad usage or input.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use serde::Serialize;
use tagwright_cli::json::{Document, ErrorDetail, Failed};
use tagwright_cli::{exit, github_data, github_property, out, table};
use tagwright_versions::{Inventory, ReadError, Report, Status, check, read, recover, tag_from_github_env};

const PROGRAM: &str = "version-check";

/// Check that every place the repository records its version agrees, and matches the release tag.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version)]
struct Args {
    /// The repository to check: any directory inside it (its root is found as git finds it).
    #[arg(long, value_name = "DIR", default_value = ".", value_parser = tagwright_cli::repo_dir)]
    repo: PathBuf,
    /// The release tag the versions must match, such as v1.2.0.
    #[arg(long, value_name = "TAG", conflicts_with = "tag_from_env")]
    tag: Option<String>,
    /// Read the tag from GITHUB_REF (refs/tags/…) or GITHUB_REF_NAME.
    #[arg(long)]
    tag_from_env: bool,
    /// Print one JSON document (same as --format json).
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A table, then a verdict.
    Text,
    /// One JSON document with a schema_version field.
    Json,
    /// The table, plus GitHub Actions ::error annotations.
    Github,
}

/// The JSON document: the report, plus what the text output says in prose.
#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    problems: Vec<String>,
    notes: &'a [String],
}

fn main() -> ExitCode {
    let args = Args::parse();
    let format = if args.json { Format::Json } else { args.format };
    let tag = if args.tag_from_env {
        match tag_from_github_env(|name| std::env::var(name).ok()) {
            Ok(tag) => Some(tag),
            Err(err) => return input_error(format, &err.to_string(), None),
        }
    } else {
        args.tag.clone()
    };
    // A bump killed half-way is finished or undone first, so that the check sees one version.
    let recovered = match recover(&args.repo) {
        Ok(recovered) => recovered,
        Err(err) => return input_error(format, &err.to_string(), None),
    };
    if let Some(recovery) = &recovered {
        eprintln!("{PROGRAM}: note: {}", escape_for(format, &recovery.to_string()));
    }
    let mut inventory = match read(&args.repo) {
        Ok(inventory) => inventory,
        Err(err) => return input_error(format, &err.to_string(), Some(&err)),
    };
    if let Some(recovery) = recovered {
        inventory.notes.insert(0, recovery.to_string());
    }
    let report = match check(&inventory, tag.as_deref()) {
        Ok(report) => report,
        Err(err) => return input_error(format, &err.to_string(), None),
    };
    match format {
        Format::Json => {
            let doc = JsonReport { report: &report, problems: report.problems(), notes: &inventory.notes };
            out(&format!("{}\n", serde_json::to_string_pretty(&doc).expect("reports serialize")));
        }
        Format::Text | Format::Github => print_text(&inventory, &report, format),
    }
    ExitCode::from(if report.status == Status::Ok { exit::OK } else { exit::CHECK_FAILED })
}

/// Text as it may be printed in `format`: on GitHub, every line break and `%` escaped, so that text a
/// repository controls (paths, values) stays on its line.
fn escape_for(format: Format, text: &str) -> String {
    if format == Format::Github { github_data(text) } else { text.to_owned() }
}

fn print_text(inventory: &Inventory, report: &Report, format: Format) {
    let last = tagwright_release::last_release(&inventory.root, inventory);
    let rows: Vec<Vec<String>> = report
        .sources
        .iter()
        .map(|row| {
            let r = &row.record;
            let mark = if row.agrees { "" } else { "  <- differs" };
            vec![
                escape_for(format, &r.file),
                escape_for(format, &r.field),
                r.line.to_string(),
                format!("{}{mark}", escape_for(format, &r.value)),
            ]
        })
        .collect();
    let mut text = table(&["FILE", "FIELD", "LINE", "VALUE"], &rows);
    if let Some(tag) = &report.tag {
        text.push_str(&format!("tag {} names {}\n", escape_for(format, &tag.name), tag.version));
    }
    for note in &inventory.notes {
        text.push_str(&format!("note: {}\n", escape_for(format, note)));
    }
    let count = report.sources.len();
    match (report.status, &report.expected, &report.tag) {
        (Status::Ok, Some(v), Some(tag)) => text.push_str(&format!(
            "ok: {count} sources agree on {v} and match tag {}\n",
            escape_for(format, &tag.name)
        )),
        (Status::Ok, Some(v), None) => text.push_str(&format!("ok: {count} sources agree on {v}\n")),
        _ => {}
    }
    if format == Format::Github {
        // Nothing the repository wrote may become a workflow command: the report goes between
        // stop-commands markers (GitHub's documented way to print untrusted text), with an unguessable
        // token; only our own annotations, after it, are commands.
        let token = stop_token();
        out(&format!("::stop-commands::{token}\n{text}::{token}::\n"));
    } else {
        out(&text);
    }
    for problem in report.problems() {
        eprintln!("{PROGRAM}: error: {}", escape_for(format, &problem));
    }
    if report.status != Status::Ok
        && let Some(ahead) = tagwright_versions::ahead(inventory, last.as_ref())
    {
        eprintln!("{PROGRAM}: note: {}", escape_for(format, &ahead.to_string()));
    }
    if let Some(expected) = &report.expected
        && let Some(config) = tagwright_versions::suggested_config(inventory, expected, last.as_ref())
    {
        eprintln!(
            "{PROGRAM}: note: if the sources on other versions are not the release's (a docs site's manifest, say), list the release's sources in tagwright.toml:\n{}",
            escape_for(format, &config)
        );
    }
    if format == Format::Github {
        let mut annotations = String::new();
        for row in report.mismatches() {
            let r = &row.record;
            let expected =
                report.expected.as_ref().map_or_else(|| "no majority".to_owned(), |v| v.to_string());
            annotations.push_str(&format!(
                "::error file={},line={},col={},title={}::{}\n",
                github_property(&r.file),
                r.line,
                r.column,
                github_property("version lockstep"),
                github_data(&format!("{} is {}, expected {expected}", r.field, r.value)),
            ));
        }
        out(&annotations);
    }
}

/// A token for `::stop-commands::` that the repository cannot guess.
fn stop_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
    );
    hasher.write_u32(std::process::id());
    let first = hasher.finish();
    hasher.write_u64(first);
    format!("tagwright-{first:016x}{:016x}", hasher.finish())
}

fn input_error(format: Format, message: &str, err: Option<&ReadError>) -> ExitCode {
    let file = err.and_then(ReadError::path);
    let location = err.and_then(ReadError::location);
    match format {
        Format::Json => {
            let error = ErrorDetail {
                message: message.to_owned(),
                exit_code: exit::USAGE,
                file: file.map(str::to_owned),
                line: location.map(|l| l.0),
                column: location.map(|l| l.1),
            };
            out(&Document::new("error", Failed { error }).render());
        }
        Format::Github => {
            let mut props = String::new();
            if let Some(file) = file {
                props.push_str(&format!(" file={}", github_property(file)));
                if let Some((line, column)) = location {
                    props.push_str(&format!(",line={line},col={column}"));
                }
            }
            out(&format!("::error{props}::{}\n", github_data(message)));
        }
        Format::Text => {}
    }
    eprintln!("{PROGRAM}: error: {}", escape_for(format, message));
    ExitCode::from(exit::USAGE)
}
