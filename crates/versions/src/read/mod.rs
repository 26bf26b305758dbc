//! Finding and reading every place a repository records its version.
//!
//! [`read`] loads `tagwright.toml` (or discovers the usual files), parses each source and returns an
//! [`Inventory`]: one [`Record`] per recorded version, each with its file, field, line and value, plus the
//! file contents that [`crate::bump`] rewrites.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;
use toml_edit::Document;

use self::files::glob;
use crate::tag::TagFormat;
use crate::text::{display_path, line_col};
use crate::version::Version;

mod error;
mod files;
mod python;
mod reader;

pub use error::ReadError;
pub use files::{Disk, Files};
use reader::Reader;

/// The name of the optional configuration file at the repository root.
pub const CONFIG_FILE: &str = "tagwright.toml";

/// The kind of file a version is recorded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceKind {
    /// `pyproject.toml`: `[project].version` or `[tool.poetry].version`.
    Pyproject,
    /// `uv.lock`: the root package's `version`.
    UvLock,
    /// `Chart.yaml`: `version` and `appVersion`.
    Chart,
    /// `Cargo.toml`: package and workspace versions, and version requirements on the workspace's own crates.
    Cargo,
    /// `Cargo.lock`: the workspace's own packages.
    CargoLock,
    /// A Python module that assigns the version to a variable (`__version__ = "1.2.0"`), where a
    /// pyproject.toml's dynamic version comes from; never implied by a file name.
    PythonModule,
}

impl SourceKind {
    /// The kind a file name implies, if any.
    pub fn from_file_name(name: &str) -> Option<SourceKind> {
        match name {
            "pyproject.toml" => Some(SourceKind::Pyproject),
            "uv.lock" => Some(SourceKind::UvLock),
            "Chart.yaml" => Some(SourceKind::Chart),
            "Cargo.toml" => Some(SourceKind::Cargo),
            "Cargo.lock" => Some(SourceKind::CargoLock),
            _ => None,
        }
    }

    /// The kebab-case name used in `tagwright.toml` and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Pyproject => "pyproject",
            SourceKind::UvLock => "uv-lock",
            SourceKind::Chart => "chart",
            SourceKind::Cargo => "cargo",
            SourceKind::CargoLock => "cargo-lock",
            SourceKind::PythonModule => "python-module",
        }
    }

    fn parse(name: &str) -> Option<SourceKind> {
        [
            SourceKind::Pyproject,
            SourceKind::UvLock,
            SourceKind::Chart,
            SourceKind::Cargo,
            SourceKind::CargoLock,
            SourceKind::PythonModule,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// One place where the version is recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// The file, relative to the repository root, with `/` separators.
    pub file: String,
    /// The field, such as `project.version` or `package[advisoryhub].version`.
    pub field: String,
    /// 1-based line of the value.
    pub line: usize,
    /// 1-based column of the value.
    pub column: usize,
    /// The value as written, without quotes.
    pub value: String,
    /// The kind of source.
    pub kind: SourceKind,
    /// The version the value names.
    #[serde(serialize_with = "serialize_version")]
    pub version: Version,
    #[serde(skip)]
    pub(crate) edit: Edit,
}

fn serialize_version<S: serde::Serializer>(version: &Version, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&version.to_semver())
}

/// How to rewrite a record's value.
#[derive(Debug, Clone)]
pub(crate) struct Edit {
    /// Index into [`Inventory::files`].
    pub(crate) file_index: usize,
    /// The bytes to replace.
    pub(crate) span: Range<usize>,
    /// How the replacement is spelled.
    pub(crate) spelling: Spelling,
    /// Text kept before the version (`v`, `=`, `^`).
    pub(crate) prefix: String,
    /// Text written around the replacement (`"` when the whole TOML string token is replaced).
    pub(crate) quote: &'static str,
}

/// The spelling an ecosystem writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spelling {
    Semver,
    Pep440,
}

/// A file that records the version, as read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repository root.
    pub path: PathBuf,
    /// The contents when read.
    pub contents: String,
    /// The file the contents live in: `root/path` with every symlink resolved, always inside the
    /// repository. A bump writes here, so a symlinked source stays a symlink.
    pub target: PathBuf,
}

/// Every recorded version in a repository.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The repository root.
    pub root: PathBuf,
    /// The tag format (from `tagwright.toml`, else `v{version}`).
    pub tag_format: TagFormat,
    /// Every record, in source order: pyproject, uv.lock, charts, Cargo manifests, Cargo.lock.
    pub records: Vec<Record>,
    /// The files the records come from.
    pub files: Vec<SourceFile>,
    /// `tagwright.toml`, when one was read.
    pub config: Option<PathBuf>,
    /// Things worth saying that are not errors, such as a pyproject.toml without a version.
    pub notes: Vec<String>,
    /// `[release] branch` in `tagwright.toml`: the branch releases are cut from, when set.
    pub release_branch: Option<String>,
}

impl Inventory {
    /// How this repository's versions order: PEP 440 when every record is spelled the Python way
    /// (pyproject.toml, uv.lock), else SemVer.
    pub fn scheme(&self) -> crate::Scheme {
        let python =
            !self.records.is_empty() && self.records.iter().all(|r| r.edit.spelling == Spelling::Pep440);
        if python { crate::Scheme::Pep440 } else { crate::Scheme::Semver }
    }
}

/// A source to read: a file and its kind.
#[derive(Debug, Clone)]
struct Spec {
    path: PathBuf,
    kind: SourceKind,
}

/// Reads every version source of the repository at `root`.
///
/// With a `tagwright.toml`, reads the sources it lists; otherwise discovers `pyproject.toml`, `uv.lock`,
/// `Cargo.toml`, `Cargo.lock` and `Chart.yaml` at the root, and `charts/*/Chart.yaml`.
pub fn read(root: &Path) -> Result<Inventory, ReadError> {
    let disk = Disk::new(root)?;
    let journal = crate::journal::journal_path(root);
    if journal.symlink_metadata().is_ok() {
        return Err(ReadError::Interrupted { path: journal.display().to_string() });
    }
    read_files(&disk, root)
}

/// Reads every version source of a repository whose files `files` gives (a commit's tree, say),
/// as [`read`] reads a work tree; `root` names the repository in reports. Nothing is written.
pub fn read_files(files: &dyn Files, root: &Path) -> Result<Inventory, ReadError> {
    let repo = Repo { files, root };
    let (specs, tag_format, config, release_branch) = if files.is_file(Path::new(CONFIG_FILE)) {
        let (specs, format, branch) = read_config(&repo)?;
        (specs, format, Some(root.join(CONFIG_FILE)), branch)
    } else {
        (discover(files), TagFormat::default(), None, None)
    };
    let explicit = config.is_some();
    let mut reader = Reader::new(&repo, explicit);
    // Read in a fixed order so that reports and bumps are deterministic.
    let mut specs = specs;
    specs.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
    specs.dedup_by(|a, b| a.path == b.path);
    for spec in &specs {
        reader.read_spec(spec)?;
    }
    if reader.records.is_empty() {
        return Err(ReadError::NoSources { root: root.display().to_string() });
    }
    Ok(Inventory {
        root: root.to_path_buf(),
        tag_format,
        records: reader.records,
        files: reader.files,
        config,
        notes: reader.notes,
        release_branch,
    })
}

fn discover(files: &dyn Files) -> Vec<Spec> {
    let mut specs = Vec::new();
    for name in ["pyproject.toml", "uv.lock", "Cargo.toml", "Cargo.lock", "Chart.yaml"] {
        if files.is_file(Path::new(name)) {
            let kind = SourceKind::from_file_name(name).expect("known file name");
            specs.push(Spec { path: PathBuf::from(name), kind });
        }
    }
    for path in glob(files, "charts/*/Chart.yaml") {
        specs.push(Spec { path, kind: SourceKind::Chart });
    }
    specs
}

/// The sources, the tag format and `[release] branch` that `tagwright.toml` gives.
type Config = (Vec<Spec>, TagFormat, Option<String>);

fn read_config(repo: &Repo) -> Result<Config, ReadError> {
    let files = repo.files;
    let config_path = Path::new(CONFIG_FILE);
    let name = CONFIG_FILE.to_owned();
    let (text, _) = repo.read_text(Path::new(CONFIG_FILE))?;
    let doc = parse_toml(&name, &text)?;
    let at = |item: Option<std::ops::Range<usize>>, message: String| {
        ReadError::syntax_at(&name, &text, item.map_or(0, |s| s.start), message)
    };
    let mut format = TagFormat::default();
    let branch = release_branch(doc.as_table(), &at)?;
    let Some(versions) = doc.as_table().get("versions") else {
        return Ok((discover(files), format, branch));
    };
    let Some(versions) = versions.as_table_like() else {
        return Err(at(versions.span(), "`versions` must be a table".to_owned()));
    };
    for (key, item) in versions.iter() {
        match key {
            "tag-format" | "sources" => {}
            other => {
                return Err(at(
                    item.span(),
                    format!("unknown key `versions.{other}` (expected `tag-format` or `sources`)"),
                ));
            }
        }
    }
    if let Some(item) = versions.get("tag-format") {
        let value =
            item.as_str().ok_or_else(|| at(item.span(), "`tag-format` must be a string".to_owned()))?;
        format = TagFormat::parse(value)
            .map_err(|source| ReadError::TagFormat { path: config_path_display(config_path), source })?;
    }
    let Some(sources) = versions.get("sources") else {
        return Ok((discover(files), format, branch));
    };
    let array = sources.as_array().ok_or_else(|| {
        at(sources.span(), "`sources` must be an array of paths or { path, kind } tables".to_owned())
    })?;
    let mut specs = Vec::new();
    for entry in array.iter() {
        let (pattern, kind) = if let Some(path) = entry.as_str() {
            (path.to_owned(), None)
        } else if let Some(table) = entry.as_inline_table() {
            let path = table
                .get("path")
                .and_then(|v| v.as_str())
                .ok_or_else(|| at(entry.span(), "a source table needs `path = \"…\"`".to_owned()))?;
            let kind = match table.get("kind") {
                None => None,
                Some(k) => {
                    let name = k.as_str().unwrap_or_default();
                    Some(SourceKind::parse(name).ok_or_else(|| {
                        at(
                            k.span(),
                            format!(
                                "unknown source kind `{name}` (expected pyproject, uv-lock, chart, cargo, cargo-lock or python-module)"
                            ),
                        )
                    })?)
                }
            };
            (path.to_owned(), kind)
        } else {
            return Err(at(entry.span(), "a source is a path string or a { path, kind } table".to_owned()));
        };
        let paths = glob(files, &pattern);
        if paths.is_empty() {
            return Err(ReadError::Missing { path: pattern, config: name.clone() });
        }
        for path in paths {
            let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let kind = kind.or_else(|| SourceKind::from_file_name(file_name)).ok_or_else(|| {
                at(
                    entry.span(),
                    format!("cannot tell the kind of `{}`: add `kind = \"…\"`", display_path(&path)),
                )
            })?;
            specs.push(Spec { path, kind });
        }
    }
    Ok((specs, format, branch))
}

/// `[release] branch = "…"`: a git branch name, checked as git checks one.
fn release_branch(
    doc: &toml_edit::Table,
    at: &dyn Fn(Option<std::ops::Range<usize>>, String) -> ReadError,
) -> Result<Option<String>, ReadError> {
    let Some(release) = doc.get("release") else { return Ok(None) };
    let Some(table) = release.as_table_like() else {
        return Err(at(release.span(), "`release` must be a table".to_owned()));
    };
    let Some(item) = table.get("branch") else { return Ok(None) };
    let name = item.as_str().filter(|n| is_branch_name(n)).ok_or_else(|| {
        at(item.span(), "`release.branch` must be a branch name, such as \"main\"".to_owned())
    })?;
    Ok(Some(name.to_owned()))
}

/// A name git accepts as a branch (`git check-ref-format --branch`), conservatively.
fn is_branch_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name.contains("/.")
        && name.chars().all(|c| !c.is_control() && !" ~^:?*[\\\x7f".contains(c))
}

fn config_path_display(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The repository: its files, and its root as reports name it.
struct Repo<'r> {
    files: &'r dyn Files,
    root: &'r Path,
}

impl Repo<'_> {
    /// Reads a UTF-8 file inside the repository; returns its text and where it lives. A path that
    /// leaves the repository (`..` in a configured pattern, a member named `../x`) is refused.
    fn read_text(&self, path: &Path) -> Result<(String, PathBuf), ReadError> {
        let normal = normalize(path).ok_or_else(|| ReadError::Outside {
            path: display_path(path),
            resolved: path.display().to_string(),
            root: self.root.display().to_string(),
        })?;
        files::plain(&normal)?;
        let (bytes, target) = self.files.read(&normal)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, column) =
                line_col(&String::from_utf8_lossy(e.as_bytes()), e.utf8_error().valid_up_to());
            ReadError::Syntax {
                path: display_path(path),
                line,
                column,
                message: "not valid UTF-8".to_owned(),
            }
        })?;
        Ok((text, target))
    }
}

fn parse_toml<'t>(path: &str, text: &'t str) -> Result<Document<&'t str>, ReadError> {
    Document::parse(text).map_err(|err| {
        let message = format!("invalid TOML: {}", err.message().trim_end());
        ReadError::syntax_at(path, text, err.span().map_or(0, |s| s.start), message)
    })
}

/// `path` with `.` dropped and each `..` taken back, or `None` when it climbs above the root or is
/// absolute.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::Normal(name) => out.push(name),
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            std::path::Component::RootDir | std::path::Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// PEP 503 name normalisation, as uv.lock records names.
fn normalize_python_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_names_are_normalised() {
        assert_eq!(normalize_python_name("AdvisoryHub"), "advisoryhub");
        assert_eq!(normalize_python_name("advisory_core"), "advisory-core");
        assert_eq!(normalize_python_name("a.-_b"), "a-b");
    }
}
