//! `version-check`: the lockstep gate. Every recorded version must agree, and match the tag if one is given.
//!
//! Exit codes: 0 when all agree, 1 when any disagree, 2 on bad usage or input.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use serde::Serialize;
use tagwright_cli::{exit, github_data, github_property, out, table};
use tagwright_versions::{Inventory, ReadError, Report, Status, check, read, tag_from_github_env};

const PROGRAM: &str = "version-check";

/// Check that every place the repository records its version agrees, and matches the release tag.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version)]
struct Args {
    /// The repository to check.
    #[arg(long, value_name = "DIR", default_value = ".")]
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

/// The JSON document for an input error.
#[derive(Serialize)]
struct JsonError<'a> {
    schema_version: u32,
    status: &'static str,
    error: JsonErrorBody<'a>,
}

#[derive(Serialize)]
struct JsonErrorBody<'a> {
    message: String,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
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
    let inventory = match read(&args.repo) {
        Ok(inventory) => inventory,
        Err(err) => return input_error(format, &err.to_string(), Some(&err)),
    };
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

fn print_text(inventory: &Inventory, report: &Report, format: Format) {
    let rows: Vec<Vec<String>> = report
        .sources
        .iter()
        .map(|row| {
            let r = &row.record;
            let mark = if row.agrees { "" } else { "  <- differs" };
            vec![r.file.clone(), r.field.clone(), r.line.to_string(), format!("{}{mark}", r.value)]
        })
        .collect();
    let mut text = table(&["FILE", "FIELD", "LINE", "VALUE"], &rows);
    if let Some(tag) = &report.tag {
        text.push_str(&format!("tag {} names {}\n", tag.name, tag.version));
    }
    for note in &inventory.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    let count = report.sources.len();
    match (report.status, &report.expected, &report.tag) {
        (Status::Ok, Some(v), Some(tag)) => {
            text.push_str(&format!("ok: {count} sources agree on {v} and match tag {}\n", tag.name))
        }
        (Status::Ok, Some(v), None) => text.push_str(&format!("ok: {count} sources agree on {v}\n")),
        _ => {}
    }
    out(&text);
    for problem in report.problems() {
        eprintln!("{PROGRAM}: error: {problem}");
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

fn input_error(format: Format, message: &str, err: Option<&ReadError>) -> ExitCode {
    let file = err.and_then(ReadError::path);
    let location = err.and_then(ReadError::location);
    match format {
        Format::Json => {
            let doc = JsonError {
                schema_version: tagwright_versions::REPORT_SCHEMA_VERSION,
                status: "error",
                error: JsonErrorBody {
                    message: message.to_owned(),
                    file,
                    line: location.map(|l| l.0),
                    column: location.map(|l| l.1),
                },
            };
            out(&format!("{}\n", serde_json::to_string_pretty(&doc).expect("errors serialize")));
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
    eprintln!("{PROGRAM}: error: {message}");
    ExitCode::from(exit::USAGE)
}
