//! Reading each kind of source file: pyproject.toml, uv.lock, Cargo.toml, Cargo.lock and Chart.yaml.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use toml_edit::{Document, Item, TableLike};

use super::files::glob;
use crate::text::{display_path, line_col};
use crate::version::{Version, VersionError};
use tagwright_text::yaml;

use super::python::{DynamicSource, Found, dynamic_source, python_assignment};
use super::{
    Edit, ReadError, Record, Repo, SourceFile, SourceKind, Spec, Spelling, normalize_python_name, parse_toml,
};

pub(super) struct Reader<'r> {
    repo: &'r Repo<'r>,
    pub(super) files: Vec<SourceFile>,
    pub(super) records: Vec<Record>,
    pub(super) notes: Vec<String>,
    /// True when the sources come from `tagwright.toml`, so a source without a version is an error.
    explicit: bool,
    /// Member manifests found while reading a workspace manifest, recorded after it.
    pending: Vec<PendingFile>,
    /// The lockstep crates of each workspace manifest read, so that its `Cargo.lock` does not read
    /// the members again.
    lockstep: Vec<(PathBuf, BTreeSet<String>)>,
}

/// A file found while reading another one (a Cargo member manifest, the Python module a dynamic version
/// comes from), recorded after it.
struct PendingFile {
    kind: SourceKind,
    path: PathBuf,
    text: String,
    target: PathBuf,
    found: Vec<Found>,
}

impl<'r> Reader<'r> {
    pub(super) fn new(repo: &'r Repo<'r>, explicit: bool) -> Reader<'r> {
        Reader {
            repo,
            files: Vec::new(),
            records: Vec::new(),
            notes: Vec::new(),
            explicit,
            pending: Vec::new(),
            lockstep: Vec::new(),
        }
    }

    pub(super) fn read_spec(&mut self, spec: &Spec) -> Result<(), ReadError> {
        let (text, target) = self.repo.read_text(&spec.path)?;
        let path = display_path(&spec.path);
        let found = match spec.kind {
            SourceKind::Pyproject => self.pyproject(spec, &path, &text)?.found,
            SourceKind::UvLock => self.uv_lock(spec, &path, &text)?,
            SourceKind::Chart => chart(&path, &text)?,
            SourceKind::Cargo => self.cargo(spec, &path, &text)?,
            SourceKind::CargoLock => self.cargo_lock(spec, &path, &text)?,
            SourceKind::PythonModule => vec![python_assignment(&path, &text, &["__version__"])?],
        };
        self.push_file(spec.kind, spec.path.clone(), text, target, found)?;
        for pending in std::mem::take(&mut self.pending) {
            self.push_file(pending.kind, pending.path, pending.text, pending.target, pending.found)?;
        }
        Ok(())
    }

    fn push_file(
        &mut self,
        kind: SourceKind,
        path: PathBuf,
        text: String,
        target: PathBuf,
        found: Vec<Found>,
    ) -> Result<(), ReadError> {
        // A file reached twice (listed twice, or as a symlink and as its target) is one source.
        if found.is_empty() || self.files.iter().any(|f| f.path == path || f.target == target) {
            return Ok(());
        }
        let display = display_path(&path);
        let file_index = self.files.len();
        for found in found {
            let record = make_record(kind, &display, &text, file_index, found)?;
            self.records.push(record);
        }
        self.files.push(SourceFile { path, contents: text, target });
        Ok(())
    }

    /// Returns the version fields, the project name, and whether the version is dynamic. A dynamic
    /// version that a backend reads from a plain assignment in a Python module makes that module a
    /// source (pending, recorded after this file).
    fn pyproject(&mut self, spec: &Spec, path: &str, text: &str) -> Result<Pyproject, ReadError> {
        let doc = parse_toml(path, text)?;
        let mut out = Pyproject { found: Vec::new(), name: None, dynamic: false };
        let root = doc.as_table();
        let project = root.get("project").and_then(Item::as_table_like);
        let poetry = root
            .get("tool")
            .and_then(Item::as_table_like)
            .and_then(|t| t.get("poetry"))
            .and_then(Item::as_table_like);
        if let Some(poetry) = poetry {
            out.name = poetry.get("name").and_then(Item::as_str).map(str::to_owned);
        }
        if let Some(project) = project {
            if let Some(n) = project.get("name").and_then(Item::as_str) {
                out.name = Some(n.to_owned());
            }
            match project.get("version") {
                Some(item) => out.found.push(string_field(path, text, "project.version", item)?),
                None if poetry.and_then(|p| p.get("version")).is_none() => {
                    if let Some(dynamic) = project.get("dynamic").and_then(Item::as_array)
                        && let Some(entry) = dynamic.iter().find(|v| v.as_str() == Some("version"))
                    {
                        out.dynamic = true;
                        let dir = spec.path.parent().unwrap_or(Path::new(""));
                        let source = dynamic_source(doc.as_table(), out.name.as_deref());
                        match self.version_module(dir, &source)? {
                            Some(pending) => self.pending.push(pending),
                            None => {
                                let (line, column) = line_col(text, entry.span().map_or(0, |s| s.start));
                                return Err(ReadError::Syntax {
                                    path: path.to_owned(),
                                    line,
                                    column,
                                    message: format!(
                                        "the version is dynamic (`project.dynamic` lists \"version\"): {}, so it \
                                         cannot be checked or bumped; set `[project].version` instead, as `uv \
                                         version` requires",
                                        source.describe
                                    ),
                                });
                            }
                        }
                    }
                }
                None => {}
            }
        }
        if let Some(item) = poetry.and_then(|p| p.get("version")) {
            out.found.push(string_field(path, text, "tool.poetry.version", item)?);
        }
        if out.found.is_empty() && !out.dynamic {
            if self.explicit {
                return Err(ReadError::Syntax {
                    path: path.to_owned(),
                    line: 1,
                    column: 1,
                    message: "no `[project].version` or `[tool.poetry].version`".to_owned(),
                });
            }
            self.notes
                .push(format!("{path}: no [project].version or [tool.poetry].version; not a version source"));
        }
        Ok(out)
    }

    /// The Python module a dynamic version comes from, when the backend names one that exists and
    /// that assigns the version as a plain string. A module that exists but computes the version is
    /// an error naming its line.
    fn version_module(&self, dir: &Path, source: &DynamicSource) -> Result<Option<PendingFile>, ReadError> {
        let Some(path) = source.candidates.iter().map(|c| dir.join(c)).find(|p| self.repo.files.is_file(p))
        else {
            return Ok(None);
        };
        let (text, target) = self.repo.read_text(&path)?;
        let display = display_path(&path);
        let variables: Vec<&str> = source.variables.iter().map(String::as_str).collect();
        let found = python_assignment(&display, &text, &variables).map_err(|err| match err {
            ReadError::Syntax { path, line, column, message } => ReadError::Syntax {
                path,
                line,
                column,
                message: format!("{message}; {} (pyproject.toml)", source.describe),
            },
            other => other,
        })?;
        Ok(Some(PendingFile {
            kind: SourceKind::PythonModule,
            path: path.clone(),
            text,
            target,
            found: vec![found],
        }))
    }

    fn uv_lock(&mut self, spec: &Spec, path: &str, text: &str) -> Result<Vec<Found>, ReadError> {
        let dir = spec.path.parent().unwrap_or(Path::new(""));
        let pyproject_path = dir.join("pyproject.toml");
        let (pyproject_text, _) = self.repo.read_text(&pyproject_path).map_err(|_| ReadError::Syntax {
            path: path.to_owned(),
            line: 1,
            column: 1,
            message: format!(
                "the root package is named in {}, which cannot be read",
                display_path(&pyproject_path)
            ),
        })?;
        let mut scratch = Reader::new(self.repo, false);
        let pyproject_spec = Spec { path: pyproject_path.clone(), kind: SourceKind::Pyproject };
        let pyproject =
            scratch.pyproject(&pyproject_spec, &display_path(&pyproject_path), &pyproject_text)?;
        let name = pyproject.name.ok_or_else(|| ReadError::Syntax {
            path: display_path(&pyproject_path),
            line: 1,
            column: 1,
            message: "no `[project].name`, so the root package of uv.lock cannot be found".to_owned(),
        })?;
        let name = normalize_python_name(&name);
        let doc = parse_toml(path, text)?;
        let packages = doc.as_table().get("package").and_then(Item::as_array_of_tables);
        let mut root: Option<&toml_edit::Table> = None;
        for package in packages.into_iter().flat_map(|a| a.iter()) {
            if package.get("name").and_then(Item::as_str) != Some(name.as_str()) {
                continue;
            }
            let source = package.get("source").and_then(Item::as_table_like);
            let is_root = source.is_some_and(|s| {
                ["editable", "virtual"].iter().any(|k| s.get(k).and_then(Item::as_str) == Some("."))
            });
            if !is_root {
                continue;
            }
            if let Some(first) = root {
                // Readers disagree on which of two roots counts (ours took the first, others the last).
                let line_of = |t: &toml_edit::Table| line_col(text, t.span().map_or(0, |s| s.start)).0;
                let (first, second) = (line_of(first), line_of(package));
                let message = format!(
                    "a second root package `{name}` (lines {first} and {second}): uv.lock has one; run `uv lock`"
                );
                return Err(ReadError::syntax_at(path, text, package.span().map_or(0, |s| s.start), message));
            }
            root = Some(package);
        }
        let Some(package) = root else {
            return Err(ReadError::Syntax {
                path: path.to_owned(),
                line: 1,
                column: 1,
                message: format!(
                    "no root package entry for `{name}` (a [[package]] with source = {{ editable = \".\" }} or \
                     {{ virtual = \".\" }}): run `uv lock`"
                ),
            });
        };
        let field = format!("package[{name}].version");
        let Some(item) = package.get("version") else {
            if pyproject.dynamic {
                // uv locks a dynamic version as no version at all: nothing here to check or bump.
                self.notes.push(format!(
                    "{path}: the root package `{name}` has a dynamic version, which uv does not lock"
                ));
                return Ok(Vec::new());
            }
            let (line, column) = line_col(text, package.span().map_or(0, |s| s.start));
            return Err(ReadError::Syntax {
                path: path.to_owned(),
                line,
                column,
                message: format!("the root package `{name}` has no version (is the version dynamic?)"),
            });
        };
        Ok(vec![string_field(path, text, &field, item)?])
    }

    fn cargo(&mut self, spec: &Spec, path: &str, text: &str) -> Result<Vec<Found>, ReadError> {
        let doc = parse_toml(path, text)?;
        let root = doc.as_table();
        let mut found = Vec::new();
        if let Some(item) = root.get("package").and_then(Item::as_table_like).and_then(|p| p.get("version"))
            && item.is_str()
        {
            found.push(string_field(path, text, "package.version", item)?);
        }
        let workspace = root.get("workspace").and_then(Item::as_table_like);
        if let Some(item) = workspace
            .and_then(|w| w.get("package"))
            .and_then(Item::as_table_like)
            .and_then(|p| p.get("version"))
        {
            found.push(string_field(path, text, "workspace.package.version", item)?);
        }
        let lockstep = self.cargo_lockstep_packages(spec, &doc)?;
        if let Some(deps) = workspace.and_then(|w| w.get("dependencies")).and_then(Item::as_table_like) {
            found.extend(internal_requirements(path, text, "workspace.dependencies", deps, &lockstep.names)?);
        }
        if root.contains_key("package") {
            for (table, deps) in dependency_tables(root) {
                found.extend(internal_requirements(path, text, &table, deps, &lockstep.names)?);
            }
        }
        if found.is_empty() && lockstep.members.is_empty() && !self.explicit {
            self.notes.push(format!("{path}: no package or workspace version; not a version source"));
        }
        self.notes.extend(lockstep.notes);
        self.lockstep.push((spec.path.clone(), lockstep.names));
        // The root manifest's records come first; member manifests follow it.
        self.pending.extend(lockstep.members);
        Ok(found)
    }

    /// The packages of the workspace whose manifests share the lockstep version, as `cargo set-version
    /// --workspace` moves them: the root package, every member that inherits `version.workspace = true`,
    /// and every member whose own `version` is the workspace's version. That version is the root's
    /// `package.version` or `workspace.package.version`; a virtual workspace without either takes the
    /// version most of its members record (a tie picks none, and says so). Member manifests that record
    /// such a version, or version requirements on these packages, become sources too.
    fn cargo_lockstep_packages(&self, spec: &Spec, doc: &Document<&str>) -> Result<Workspace, ReadError> {
        let dir = spec.path.parent().unwrap_or(Path::new("")).to_path_buf();
        let root = doc.as_table();
        let mut workspace = Workspace::default();
        let root_package = root.get("package").and_then(Item::as_table_like);
        if let Some(name) = root_package.and_then(|p| p.get("name")).and_then(Item::as_str) {
            workspace.names.insert(name.to_owned());
        }
        let Some(table) = root.get("workspace").and_then(Item::as_table_like) else {
            return Ok(workspace);
        };
        let strings = |key: &str| -> Vec<String> {
            table
                .get(key)
                .and_then(Item::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let (members, excluded) = (strings("members"), strings("exclude"));
        let mut manifests: Vec<PathBuf> = Vec::new();
        for pattern in &members {
            for member in glob(self.repo.files, &display_path(&dir.join(pattern))) {
                let relative = member.strip_prefix(&dir).unwrap_or(&member).to_path_buf();
                // Cargo excludes a member under an excluded path; we also take `exclude` as a glob.
                let is_excluded = excluded.iter().any(|e| {
                    relative.starts_with(e) || tagwright_text::wildcard_match(e, &display_path(&relative))
                });
                let manifest = member.join("Cargo.toml");
                if is_excluded || manifests.contains(&manifest) || !self.repo.files.is_file(&manifest) {
                    continue;
                }
                manifests.push(manifest);
            }
        }
        let mut read_members = Vec::new();
        for manifest in manifests {
            let (text, target) = match self.repo.read_text(&manifest) {
                Ok(read) => read,
                // A member outside the repository (`members = ["../x"]`) is not ours to bump.
                Err(ReadError::Outside { .. }) => {
                    let display = display_path(&manifest);
                    workspace.notes.push(format!("{display}: outside the repository; not a version source"));
                    continue;
                }
                Err(err) => return Err(err),
            };
            let display = display_path(&manifest);
            let member_doc = parse_toml(&display, &text)?;
            let package = member_doc.as_table().get("package").and_then(Item::as_table_like);
            let name = package.and_then(|p| p.get("name")).and_then(Item::as_str).map(str::to_owned);
            let version = package.and_then(|p| p.get("version"));
            let inherits = version
                .and_then(Item::as_table_like)
                .and_then(|v| v.get("workspace"))
                .and_then(Item::as_bool)
                == Some(true);
            let own = version.and_then(Item::as_str).map(str::to_owned);
            drop(member_doc);
            read_members.push(Member { manifest, display, text, target, name, inherits, own });
        }
        let shared = root_package
            .and_then(|p| p.get("version"))
            .and_then(Item::as_str)
            .or_else(|| table.get("package").and_then(Item::as_table_like)?.get("version")?.as_str())
            .map(str::to_owned)
            .or_else(|| most_common_version(&read_members, &spec.path, &mut workspace.notes));
        let mut lockstep_own = Vec::new();
        for member in &read_members {
            let Some(name) = &member.name else { continue };
            let own_lockstep = member.own.is_some() && member.own == shared;
            if member.inherits || own_lockstep {
                workspace.names.insert(name.clone());
            } else if let (Some(own), Some(shared)) = (&member.own, &shared) {
                workspace.notes.push(format!(
                    "{}: package.version {own} is not the workspace's {shared}; left out of the lockstep",
                    member.display
                ));
            }
            lockstep_own.push(own_lockstep);
        }
        // Member manifests that record the lockstep version, or require a lockstep package by version.
        for (member, own_lockstep) in read_members.into_iter().zip(lockstep_own) {
            let member_doc = parse_toml(&member.display, &member.text)?;
            let top = member_doc.as_table();
            let mut found = Vec::new();
            if own_lockstep
                && let Some(item) =
                    top.get("package").and_then(Item::as_table_like).and_then(|p| p.get("version"))
            {
                found.push(string_field(&member.display, &member.text, "package.version", item)?);
            }
            for (prefix, deps) in dependency_tables(top) {
                found.extend(internal_requirements(
                    &member.display,
                    &member.text,
                    &prefix,
                    deps,
                    &workspace.names,
                )?);
            }
            drop(member_doc);
            if !found.is_empty() {
                workspace.members.push(PendingFile {
                    kind: SourceKind::Cargo,
                    path: member.manifest,
                    text: member.text,
                    target: member.target,
                    found,
                });
            }
        }
        Ok(workspace)
    }

    fn cargo_lock(&mut self, spec: &Spec, path: &str, text: &str) -> Result<Vec<Found>, ReadError> {
        let dir = spec.path.parent().unwrap_or(Path::new(""));
        let manifest_path = dir.join("Cargo.toml");
        // Cargo.toml sorts before Cargo.lock, so its workspace is usually read already.
        let names = match self.lockstep.iter().find(|(p, _)| *p == manifest_path) {
            Some((_, names)) => names.clone(),
            None => {
                let (manifest, _) = self.repo.read_text(&manifest_path)?;
                let manifest_doc = parse_toml(&display_path(&manifest_path), &manifest)?;
                let manifest_spec = Spec { path: manifest_path, kind: SourceKind::Cargo };
                self.cargo_lockstep_packages(&manifest_spec, &manifest_doc)?.names
            }
        };
        let doc = parse_toml(path, text)?;
        let mut found: Vec<Found> = Vec::new();
        let packages = doc.as_table().get("package").and_then(Item::as_array_of_tables);
        for package in packages.into_iter().flat_map(|a| a.iter()) {
            let Some(name) = package.get("name").and_then(Item::as_str) else {
                continue;
            };
            if !names.contains(name) || package.get("source").is_some() {
                continue;
            }
            if let Some(item) = package.get("version") {
                let field = format!("package[{name}].version");
                if let Some(first) = found.iter().find(|f| f.field == field) {
                    let (first_line, _) = line_col(text, first.token.start);
                    let offset = item.span().map_or(0, |s| s.start);
                    let (line, _) = line_col(text, offset);
                    let message = format!(
                        "the workspace package `{name}` is listed twice (lines {first_line} and {line}): run `cargo update -w`"
                    );
                    return Err(ReadError::syntax_at(path, text, offset, message));
                }
                found.push(string_field(path, text, &field, item)?);
            }
        }
        for name in &names {
            if !found.iter().any(|f| f.field == format!("package[{name}].version")) {
                self.notes.push(format!(
                    "{path}: no entry for the workspace package `{name}`; run `cargo update --workspace`"
                ));
            }
        }
        Ok(found)
    }
}

/// What [`Reader::cargo_lockstep_packages`] finds in a workspace.
#[derive(Default)]
struct Workspace {
    /// The packages that share the lockstep version.
    names: BTreeSet<String>,
    /// Member manifests with records: their own version, or requirements on lockstep packages.
    members: Vec<PendingFile>,
    /// Members left out, and why.
    notes: Vec<String>,
}

/// A workspace member's manifest, as read.
struct Member {
    manifest: PathBuf,
    display: String,
    text: String,
    target: PathBuf,
    name: Option<String>,
    /// `version.workspace = true`.
    inherits: bool,
    /// Its own `version = "…"`.
    own: Option<String>,
}

/// The version most members of a virtual workspace record; none when two versions tie.
fn most_common_version(members: &[Member], manifest: &Path, notes: &mut Vec<String>) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for own in members.iter().filter_map(|m| m.own.as_deref()) {
        match counts.iter_mut().find(|(v, _)| *v == own) {
            Some((_, n)) => *n += 1,
            None => counts.push((own, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    let leaders: Vec<&str> = counts.iter().filter(|(_, n)| *n == best).map(|(v, _)| *v).collect();
    if let [only] = leaders[..] {
        return Some(only.to_owned());
    }
    notes.push(format!(
        "{}: a virtual workspace whose members record {} equally often; list the release's manifests in \
         tagwright.toml",
        display_path(manifest),
        leaders.join(" and ")
    ));
    None
}

/// Every dependency table of a manifest, named as a record's field starts: `dependencies`,
/// `dev-dependencies`, `build-dependencies` and each `target.<cfg>.…` one.
fn dependency_tables(manifest: &toml_edit::Table) -> Vec<(String, &dyn TableLike)> {
    const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut tables = Vec::new();
    for kind in KINDS {
        if let Some(deps) = manifest.get(kind).and_then(Item::as_table_like) {
            tables.push((kind.to_owned(), deps));
        }
    }
    let targets = manifest.get("target").and_then(Item::as_table_like);
    for (cfg, target) in targets.into_iter().flat_map(|t| t.iter()) {
        for kind in KINDS {
            if let Some(deps) = target.as_table_like().and_then(|t| t.get(kind)).and_then(Item::as_table_like)
            {
                tables.push((format!("target.{cfg}.{kind}"), deps));
            }
        }
    }
    tables
}

/// Version requirements (`{ path = "…", version = "0.1.0" }`) on the workspace's own lockstep packages.
fn internal_requirements(
    path: &str,
    text: &str,
    table_name: &str,
    deps: &dyn TableLike,
    lockstep: &BTreeSet<String>,
) -> Result<Vec<Found>, ReadError> {
    let mut found = Vec::new();
    for (key, item) in deps.iter() {
        let Some(dep) = item.as_table_like() else { continue };
        let package = dep.get("package").and_then(Item::as_str).unwrap_or(key);
        if dep.get("path").is_none() || !lockstep.contains(package) {
            continue;
        }
        if let Some(version) = dep.get("version") {
            found.push(string_field(path, text, &format!("{table_name}.{key}.version"), version)?);
        }
    }
    Ok(found)
}

fn string_field(path: &str, text: &str, field: &str, item: &Item) -> Result<Found, ReadError> {
    let span = item.span().unwrap_or(0..0);
    let Some(value) = item.as_str() else {
        let (line, column) = line_col(text, span.start);
        return Err(ReadError::Syntax {
            path: path.to_owned(),
            line,
            column,
            message: format!("`{field}` must be a string"),
        });
    };
    let token = &text[span.clone()];
    let quote_len = if token.starts_with("\"\"\"") || token.starts_with("'''") { 3 } else { 1 };
    Ok(Found { field: field.to_owned(), value: value.to_owned(), token: span, quote_len })
}

fn chart(path: &str, text: &str) -> Result<Vec<Found>, ReadError> {
    let doc = yaml::parse(text).map_err(|e| ReadError::Syntax {
        path: path.to_owned(),
        line: e.line,
        column: e.column,
        message: format!("invalid YAML: {}", e.message),
    })?;
    if doc.entries().is_none() {
        return Err(ReadError::Syntax {
            path: path.to_owned(),
            line: doc.line,
            column: doc.column,
            message: "Chart.yaml must be a mapping".to_owned(),
        });
    }
    let mut found = Vec::new();
    for field in ["version", "appVersion"] {
        let Some(node) = doc.get(field) else {
            if field == "version" {
                return Err(ReadError::Syntax {
                    path: path.to_owned(),
                    line: 1,
                    column: 1,
                    message: "no `version` (Helm requires one)".to_owned(),
                });
            }
            continue;
        };
        let (Some(value), Some(style)) = (node.as_str(), node.style()) else {
            return Err(ReadError::Syntax {
                path: path.to_owned(),
                line: node.line,
                column: node.column,
                message: format!("`{field}` must be a scalar"),
            });
        };
        let quote_len = match style {
            yaml::Style::Plain => 0,
            yaml::Style::SingleQuoted | yaml::Style::DoubleQuoted => 1,
            _ => {
                return Err(ReadError::Syntax {
                    path: path.to_owned(),
                    line: node.line,
                    column: node.column,
                    message: format!("`{field}` is a block scalar; write it on one line"),
                });
            }
        };
        found.push(Found {
            field: field.to_owned(),
            value: value.to_owned(),
            token: node.span.clone(),
            quote_len,
        });
    }
    Ok(found)
}

fn make_record(
    kind: SourceKind,
    path: &str,
    text: &str,
    file_index: usize,
    found: Found,
) -> Result<Record, ReadError> {
    let (line, column) = line_col(text, found.token.start);
    let bad = |source: VersionError| ReadError::BadVersion {
        path: path.to_owned(),
        line,
        column,
        field: found.field.clone(),
        value: found.value.clone(),
        source: Box::new(source),
    };
    let (spelling, prefix, version) = match kind {
        SourceKind::Pyproject | SourceKind::UvLock => {
            (Spelling::Pep440, String::new(), Version::parse_pep440(&found.value).map_err(bad)?)
        }
        SourceKind::PythonModule => {
            // hatchling's pattern accepts a leading `v`, which stays.
            let prefix = if found.value.starts_with('v') { "v" } else { "" };
            (
                Spelling::Pep440,
                prefix.to_owned(),
                Version::parse_pep440(&found.value[prefix.len()..]).map_err(bad)?,
            )
        }
        SourceKind::Chart if found.field == "appVersion" => {
            let prefix = if found.value.starts_with('v') { "v" } else { "" };
            (
                Spelling::Semver,
                prefix.to_owned(),
                Version::parse_any(&found.value[prefix.len()..]).map_err(bad)?,
            )
        }
        SourceKind::Cargo if found.field.contains("dependencies.") => {
            let bare = found.value.trim_start_matches(['=', '^', '~', ' ']);
            let prefix = found.value[..found.value.len() - bare.len()].to_owned();
            (Spelling::Semver, prefix, Version::parse_semver(bare).map_err(bad)?)
        }
        _ => (Spelling::Semver, String::new(), Version::parse_semver(&found.value).map_err(bad)?),
    };
    // `[project].version` and uv.lock are rewritten as a whole string token in double quotes, as
    // `uv version` does. Every other source keeps its quotes and only the text between them changes:
    // Poetry's `[tool.poetry].version` too, as `poetry version` (tomlkit 0.15) keeps them.
    let poetry = found.field == "tool.poetry.version";
    let (span, quote) = match kind {
        SourceKind::Pyproject | SourceKind::UvLock if !poetry => (found.token.clone(), "\""),
        _ => (found.token.start + found.quote_len..found.token.end - found.quote_len, ""),
    };
    Ok(Record {
        file: path.to_owned(),
        field: found.field,
        line,
        column,
        value: found.value,
        kind,
        version,
        edit: Edit { file_index, span, spelling, prefix, quote },
    })
}

/// What [`Reader::pyproject`] finds.
struct Pyproject {
    found: Vec<Found>,
    name: Option<String>,
    /// `project.dynamic` lists `version`.
    dynamic: bool,
}
