//! The lockstep gate: do all records agree with each other, and with the tag?

use serde::Serialize;

use crate::read::{Inventory, Record};
use crate::tag::TagError;
use crate::version::Version;

/// The version of the JSON report's shape. Bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The outcome of comparing every record (and the tag, if given).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `ok` when everything agrees, `mismatch` otherwise.
    pub status: Status,
    /// The version every record should have: the tag's, else the majority's. `None` on a tie.
    #[serde(serialize_with = "serialize_opt_version")]
    pub expected: Option<Version>,
    /// Where `expected` comes from.
    pub basis: Basis,
    /// The tag, when one was given.
    pub tag: Option<TagRow>,
    /// One row per record, in source order.
    pub sources: Vec<Row>,
}

/// Whether the check passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every record agrees (and matches the tag).
    Ok,
    /// At least one record disagrees.
    Mismatch,
}

/// What the expected version is based on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Basis {
    /// The tag names it.
    Tag,
    /// All records agree.
    Unanimous,
    /// More records say it than any other version.
    Majority {
        /// How many records say it.
        agreeing: usize,
        /// How many records there are.
        total: usize,
    },
    /// No version has more records than every other.
    Tie,
}

/// The tag that was checked.
#[derive(Debug, Clone, Serialize)]
pub struct TagRow {
    /// The tag name.
    pub name: String,
    /// The version it names.
    #[serde(serialize_with = "crate::check::serialize_version")]
    pub version: Version,
}

/// One record in the report.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The record.
    #[serde(flatten)]
    pub record: Record,
    /// Whether it agrees with `expected`.
    pub agrees: bool,
}

fn serialize_opt_version<S: serde::Serializer>(v: &Option<Version>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v.to_semver()),
        None => s.serialize_none(),
    }
}

pub(crate) fn serialize_version<S: serde::Serializer>(v: &Version, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_semver())
}

impl Report {
    /// The rows that disagree.
    pub fn mismatches(&self) -> impl Iterator<Item = &Row> {
        self.sources.iter().filter(|r| !r.agrees)
    }

    /// One sentence per disagreeing record, naming the file, line and field.
    pub fn problems(&self) -> Vec<String> {
        let against = match (&self.basis, &self.expected, &self.tag) {
            (Basis::Tag, _, Some(tag)) => format!("the tag {} says {}", tag.name, tag.version),
            (Basis::Majority { agreeing, total }, Some(v), _) => {
                format!("the majority ({agreeing} of {total}) says {v}")
            }
            _ => "no version has a majority".to_owned(),
        };
        self.mismatches()
            .map(|row| {
                let r = &row.record;
                format!("{}:{}: {} is {}, but {against}", r.file, r.line, r.field, r.value)
            })
            .collect()
    }
}

/// When discovered sources disagree (no `tagwright.toml` lists them) because whole files are on
/// another version, the `tagwright.toml` that would select the files recording `expected` (the
/// release's version): an unrelated manifest (a docs site's `pyproject.toml`, say) then stays out of
/// the lockstep. `None` when sources are listed, when none records `expected`, or when a file is
/// partly on `expected` (a mistake inside one of the release's own files).
///
/// A suggestion never drops a source of the release: none is given when a source is ahead of
/// `expected` (a bump begun by hand), or records `last_release`, the latest release's version.
pub fn suggested_config(
    inventory: &crate::Inventory,
    expected: &crate::Version,
    last_release: Option<&crate::Version>,
) -> Option<String> {
    if inventory.config.is_some() {
        return None;
    }
    let scheme = inventory.scheme();
    let release_source = |v: &crate::Version| scheme.cmp(v, expected).is_gt() || Some(v) == last_release;
    if inventory.records.iter().any(|r| &r.version != expected && release_source(&r.version)) {
        return None;
    }
    let mut agreeing: Vec<String> = Vec::new();
    let mut disagreeing = false;
    for file in &inventory.files {
        let name = crate::text::display_path(&file.path);
        let records: Vec<&crate::Record> = inventory.records.iter().filter(|r| r.file == name).collect();
        if records.is_empty() {
            continue;
        }
        let agree = records.iter().filter(|r| &r.version == expected).count();
        if agree == records.len() {
            agreeing.push(name);
        } else if agree == 0 {
            disagreeing = true;
        } else {
            // A file that is half on the release's version is the release's, with a mistake in it.
            return None;
        }
    }
    if !disagreeing || agreeing.is_empty() {
        return None;
    }
    let mut text = String::from("[versions]\nsources = [\n");
    for name in agreeing {
        let quoted: String = name
            .chars()
            .flat_map(|c| match c {
                '"' => "\\\"".chars().collect::<Vec<_>>(),
                '\\' => "\\\\".chars().collect(),
                c if c.is_control() => format!("\\u{:04X}", c as u32).chars().collect(),
                c => vec![c],
            })
            .collect();
        text.push_str(&format!("  \"{quoted}\",\n"));
    }
    text.push_str("]\n");
    // A lock without its manifest (uv.lock reads pyproject.toml's name) would not be a gate at all.
    let kept = |name: &str| text.contains(&format!("\"{name}\""));
    let orphan = |lock: &str, manifest: &str| {
        inventory.files.iter().any(|f| {
            let path = crate::text::display_path(&f.path);
            path.strip_suffix(lock).is_some_and(|dir| kept(&path) && !kept(&format!("{dir}{manifest}")))
        })
    };
    if orphan("uv.lock", "pyproject.toml") || orphan("Cargo.lock", "Cargo.toml") {
        return None;
    }
    Some(text)
}

/// Sources that disagree in one way only: some are on a newer version than the rest (a
/// hand-edited `pyproject.toml`, say). `tagwright bump` to the newer version brings the rest along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ahead {
    /// The newer version.
    pub version: crate::Version,
    /// The version the others record.
    pub behind: crate::Version,
    /// `file:line` of each record on the newer version.
    pub ahead: Vec<String>,
    /// `file:line` of each record on the older version.
    pub others: Vec<String>,
}

impl std::fmt::Display for Ahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}, ahead of the other sources on {} ({}): either revert {} to {}, or run `tagwright bump {}` to bring the others along",
            self.ahead.join(", "),
            if self.ahead.len() == 1 { "records" } else { "record" },
            self.version,
            self.behind,
            self.others.join(", "),
            if self.ahead.len() == 1 { "it" } else { "them" },
            self.behind,
            self.version,
        )
    }
}

/// When the records hold exactly two versions, the older being `last_release` (the latest release's,
/// from its tag), the newer one and which records hold it.
pub fn ahead(inventory: &crate::Inventory, last_release: Option<&crate::Version>) -> Option<Ahead> {
    let records = &inventory.records;
    let first = &records.first()?.version;
    let second = &records.iter().find(|r| &r.version != first)?.version;
    if records.iter().any(|r| &r.version != first && &r.version != second) {
        return None;
    }
    let (version, behind) =
        if inventory.scheme().cmp(first, second).is_gt() { (first, second) } else { (second, first) };
    if Some(behind) != last_release {
        return None;
    }
    let at = |v: &crate::Version| {
        records.iter().filter(|r| &r.version == v).map(|r| format!("{}:{}", r.file, r.line)).collect()
    };
    Some(Ahead { version: version.clone(), behind: behind.clone(), ahead: at(version), others: at(behind) })
}

/// Compares every record with the others and, when `tag` is given, with the version the tag names.
pub fn check(inventory: &Inventory, tag: Option<&str>) -> Result<Report, TagError> {
    let tag = match tag {
        Some(name) => Some(TagRow { name: name.to_owned(), version: inventory.tag_format.version_of(name)? }),
        None => None,
    };
    let records = &inventory.records;
    // Count each distinct version, keeping first-seen order for stable tie reports.
    let mut counts: Vec<(&Version, usize)> = Vec::new();
    for record in records {
        match counts.iter_mut().find(|(v, _)| **v == record.version) {
            Some((_, n)) => *n += 1,
            None => counts.push((&record.version, 1)),
        }
    }
    let (expected, basis) = if let Some(tag) = &tag {
        (Some(tag.version.clone()), Basis::Tag)
    } else if counts.len() == 1 {
        (Some(counts[0].0.clone()), Basis::Unanimous)
    } else {
        let best = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let leaders: Vec<_> = counts.iter().filter(|(_, n)| *n == best).collect();
        if leaders.len() == 1 {
            (Some(leaders[0].0.clone()), Basis::Majority { agreeing: best, total: records.len() })
        } else {
            (None, Basis::Tie)
        }
    };
    let sources: Vec<Row> = records
        .iter()
        .map(|record| Row { agrees: expected.as_ref() == Some(&record.version), record: record.clone() })
        .collect();
    let status = if sources.iter().all(|r| r.agrees) { Status::Ok } else { Status::Mismatch };
    Ok(Report { schema_version: REPORT_SCHEMA_VERSION, status, expected, basis, tag, sources })
}
