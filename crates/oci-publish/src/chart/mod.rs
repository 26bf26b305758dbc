//! Helm charts: `Chart.yaml` metadata, validation, and packaging into Helm's `.tgz` layout, reproducibly.
//!
//! The archive has Helm's layout: every entry under `<name>/`, no directory entries, mode 0644, uid and
//! gid 0, `Chart.yaml` first, `.helmignore` honoured (with Helm's rules, including its default
//! `templates/.?*`). Every entry's modification time is the package time: `SOURCE_DATE_EPOCH`, else the
//! HEAD commit's time, so the same tree always gives the same bytes.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use tagwright_text::yaml::{self, Node};

use crate::gojson;

/// Helm's media type for the chart config blob.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
/// Helm's media type for the chart archive layer.
pub const CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// The chart layer media type older Helm versions pushed; accepted on pull.
pub const LEGACY_CHART_LAYER_MEDIA_TYPE: &str = "application/tar+gzip";
/// Helm's media type for a chart's provenance file.
pub const PROVENANCE_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";

/// Why a chart cannot be read or packaged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] tagwright_fs::FileError),
    /// Chart.yaml (or the archive) is not valid.
    #[error(transparent)]
    Invalid(#[from] tagwright_fs::BadFile),
    /// `SOURCE_DATE_EPOCH` is set to something that is not a time.
    #[error(transparent)]
    Environment(#[from] tagwright_fs::BadVariable),
    /// A file would land outside the chart's directory in the archive.
    #[error("{}: escapes the chart directory", .path.display())]
    Escapes {
        /// The offending path.
        path: PathBuf,
    },
}

mod ignore;

use ignore::IgnoreRules;
#[cfg(test)]
use ignore::go_match;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ChartError + '_ {
    move |source| ChartError::Io(tagwright_fs::FileError { path: path.to_path_buf(), source })
}

/// A maintainer in Chart.yaml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintainer {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// URL.
    pub url: String,
}

/// A dependency in Chart.yaml, kept as its JSON rendering for the config blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The dependency's name.
    pub name: String,
    json: String,
}

/// The fields of Chart.yaml that Helm records (Helm's `chart.Metadata`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartMetadata {
    /// `name`.
    pub name: String,
    /// `home`.
    pub home: String,
    /// `sources`.
    pub sources: Vec<String>,
    /// `version`.
    pub version: String,
    /// `description`.
    pub description: String,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `maintainers`.
    pub maintainers: Vec<Maintainer>,
    /// `icon`.
    pub icon: String,
    /// `apiVersion`.
    pub api_version: String,
    /// `condition`.
    pub condition: String,
    /// `tags`.
    pub tags: String,
    /// `appVersion`.
    pub app_version: String,
    /// `deprecated`.
    pub deprecated: bool,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `kubeVersion`.
    pub kube_version: String,
    /// `dependencies`.
    pub dependencies: Vec<Dependency>,
    /// `type`.
    pub chart_type: String,
}

impl ChartMetadata {
    /// Parses and validates Chart.yaml text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<ChartMetadata, ChartError> {
        let invalid =
            |message: String| ChartError::Invalid(tagwright_fs::BadFile::new(path.to_path_buf(), message));
        let doc = yaml::parse(text)
            .map_err(|e| invalid(format!("{}:{}: invalid YAML: {}", e.line, e.column, e.message)))?;
        if doc.entries().is_none() {
            return Err(invalid("Chart.yaml must be a mapping".to_owned()));
        }
        let string = |key: &str| -> Result<String, ChartError> {
            match doc.get(key) {
                None => Ok(String::new()),
                Some(node) => node
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(format!("line {}: `{key}` must be a string", node.line))),
            }
        };
        let strings = |key: &str| -> Result<Vec<String>, ChartError> {
            match doc.get(key) {
                None => Ok(Vec::new()),
                Some(node) => node
                    .items()
                    .ok_or_else(|| invalid(format!("line {}: `{key}` must be a list", node.line)))?
                    .iter()
                    .map(|n| {
                        n.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| invalid(format!("line {}: `{key}` holds a non-string", n.line)))
                    })
                    .collect(),
            }
        };
        let mut meta = ChartMetadata {
            name: string("name")?,
            home: string("home")?,
            sources: strings("sources")?,
            version: string("version")?,
            description: string("description")?,
            keywords: strings("keywords")?,
            icon: string("icon")?,
            api_version: string("apiVersion")?,
            condition: string("condition")?,
            tags: string("tags")?,
            app_version: string("appVersion")?,
            kube_version: string("kubeVersion")?,
            chart_type: string("type")?,
            ..ChartMetadata::default()
        };
        if let Some(node) = doc.get("deprecated") {
            meta.deprecated = match node.as_str() {
                Some("true") => true,
                Some("false") => false,
                _ => return Err(invalid(format!("line {}: `deprecated` must be true or false", node.line))),
            };
        }
        if let Some(node) = doc.get("maintainers") {
            let items = node
                .items()
                .ok_or_else(|| invalid(format!("line {}: `maintainers` must be a list", node.line)))?;
            for item in items {
                let field = |key: &str| item.get(key).and_then(Node::as_str).unwrap_or_default().to_owned();
                meta.maintainers.push(Maintainer {
                    name: field("name"),
                    email: field("email"),
                    url: field("url"),
                });
            }
        }
        if let Some(node) = doc.get("annotations") {
            let entries = node
                .entries()
                .ok_or_else(|| invalid(format!("line {}: `annotations` must be a mapping", node.line)))?;
            for (key, value) in entries {
                let (Some(key), Some(value)) = (key.as_str(), value.as_str()) else {
                    return Err(invalid(format!("line {}: annotations must be strings", key.line)));
                };
                meta.annotations.insert(key.to_owned(), value.to_owned());
            }
        }
        if let Some(node) = doc.get("dependencies") {
            let items = node
                .items()
                .ok_or_else(|| invalid(format!("line {}: `dependencies` must be a list", node.line)))?;
            for item in items {
                meta.dependencies
                    .push(dependency(item).map_err(|m| invalid(format!("line {}: {m}", item.line)))?);
            }
        }
        meta.validate().map_err(invalid)?;
        Ok(meta)
    }

    /// Helm's checks: a v1 or v2 chart with a name, a SemVer version and a known type.
    fn validate(&self) -> Result<(), String> {
        if !matches!(self.api_version.as_str(), "v1" | "v2") {
            return Err(format!(
                "apiVersion is `{}`; a chart needs `apiVersion: v2` (or v1)",
                self.api_version
            ));
        }
        if self.name.is_empty() {
            return Err("the chart has no `name`".to_owned());
        }
        check_name(&self.name).map_err(|e| e.to_string())?;
        if self.version.is_empty() {
            return Err("the chart has no `version`".to_owned());
        }
        check_version(&self.version).map_err(|e| e.to_string())?;
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return Err(format!("type `{}` is not `application` or `library`", self.chart_type));
        }
        Ok(())
    }

    /// The config blob Helm pushes: `json.Marshal(chart.Metadata)`, byte for byte.
    pub fn config_json(&self) -> String {
        let maintainers: Vec<String> = self
            .maintainers
            .iter()
            .map(|m| {
                gojson::Object::new().str("name", &m.name).str("email", &m.email).str("url", &m.url).finish()
            })
            .collect();
        let maintainers = (!maintainers.is_empty()).then(|| format!("[{}]", maintainers.join(",")));
        let dependencies = (!self.dependencies.is_empty()).then(|| {
            format!("[{}]", self.dependencies.iter().map(|d| d.json.as_str()).collect::<Vec<_>>().join(","))
        });
        gojson::Object::new()
            .str("name", &self.name)
            .str("home", &self.home)
            .strs("sources", &self.sources)
            .str("version", &self.version)
            .str("description", &self.description)
            .strs("keywords", &self.keywords)
            .raw("maintainers", maintainers.as_deref())
            .str("icon", &self.icon)
            .str("apiVersion", &self.api_version)
            .str("condition", &self.condition)
            .str("tags", &self.tags)
            .str("appVersion", &self.app_version)
            .flag("deprecated", self.deprecated)
            .map("annotations", &self.annotations)
            .str("kubeVersion", &self.kube_version)
            .raw("dependencies", dependencies.as_deref())
            .str("type", &self.chart_type)
            .finish()
    }

    /// The manifest annotations Helm writes for the chart (`generateChartOCIAnnotations`).
    pub fn oci_annotations(&self, created: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut put = |key: &str, value: &str| {
            if !value.is_empty() {
                out.insert(format!("org.opencontainers.image.{key}"), value.to_owned());
            }
        };
        put("description", &self.description);
        put("title", &self.name);
        put("version", &self.version);
        put("url", &self.home);
        put("created", created);
        put("source", self.sources.first().map_or("", String::as_str));
        let authors: Vec<String> = self
            .maintainers
            .iter()
            .map(|m| if m.email.is_empty() { m.name.clone() } else { format!("{} ({})", m.name, m.email) })
            .collect();
        put("authors", &authors.join(", "));
        for (key, value) in &self.annotations {
            if key != "org.opencontainers.image.version" && key != "org.opencontainers.image.title" {
                out.insert(key.clone(), value.clone());
            }
        }
        out
    }

    /// The registry tag for this chart: its version, with `+` written as `_` (as Helm does).
    pub fn tag(&self) -> String {
        self.version.replace('+', "_")
    }

    /// `<name>-<version>.tgz`.
    pub fn archive_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }
}

/// A chart name or version Helm would refuse (the text shown: at most 100 characters, control
/// characters escaped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChartIdError {
    /// Not a Helm chart name.
    #[error("chart name `{0}` is invalid: Helm allows letters, digits, `.`, `_` and `-`")]
    Name(String),
    /// Not SemVer 2.
    #[error("chart version `{0}` is not a valid SemVer version")]
    Version(String),
}

/// Helm's chart-name rule (`^[a-zA-Z0-9._-]+$`, from `helm create`), without `.` and `..`: a name that
/// is safe as a file name and as the last part of a repository.
pub fn check_name(name: &str) -> Result<(), ChartIdError> {
    let valid = !name.is_empty()
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid { Ok(()) } else { Err(ChartIdError::Name(shown(name))) }
}

/// A chart version is SemVer 2 (with an optional leading `v`, as Helm accepts).
pub fn check_version(version: &str) -> Result<(), ChartIdError> {
    let bare = version.strip_prefix('v').unwrap_or(version);
    if semver::Version::parse(bare).is_ok() { Ok(()) } else { Err(ChartIdError::Version(shown(version))) }
}

/// Hostile text as an error shows it: at most 100 characters, control characters escaped.
fn shown(text: &str) -> String {
    text.chars().take(100).flat_map(char::escape_debug).collect()
}

fn dependency(node: &Node) -> Result<Dependency, String> {
    let text = |key: &str| node.get(key).and_then(Node::as_str).unwrap_or_default().to_owned();
    let name = text("name");
    if name.is_empty() {
        return Err("a dependency has no name".to_owned());
    }
    let tags: Vec<String> = node
        .get("tags")
        .and_then(Node::items)
        .map(|t| t.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let enabled = node.get("enabled").and_then(Node::as_str) == Some("true");
    let json = gojson::Object::new()
        .str("name", &name)
        .str("version", &text("version"))
        .str("repository", &text("repository"))
        .str("condition", &text("condition"))
        .strs("tags", &tags)
        .flag("enabled", enabled)
        .str("alias", &text("alias"))
        .finish();
    Ok(Dependency { name, json })
}

/// A packaged chart.
#[derive(Debug, Clone)]
pub struct PackagedChart {
    /// The archive.
    pub path: PathBuf,
    /// Its metadata.
    pub metadata: ChartMetadata,
    /// The time every entry carries (seconds since the epoch).
    pub mtime: u64,
    /// Where that time came from: `SOURCE_DATE_EPOCH`, `HEAD commit`, or `none (epoch)`.
    pub time_source: &'static str,
}

/// The package time: `SOURCE_DATE_EPOCH` ([`tagwright_fs::source_date_epoch`]: a value that is not
/// a time is an error), else the HEAD commit time of the repository holding `dir`, else 0.
pub fn package_time(dir: &Path) -> Result<(u64, &'static str), tagwright_fs::BadVariable> {
    if let Some(epoch) = tagwright_fs::source_date_epoch()? {
        return Ok((epoch, "SOURCE_DATE_EPOCH"));
    }
    let head_time = git2::Repository::discover(dir)
        .ok()
        .and_then(|repo| repo.head().ok()?.peel_to_commit().ok().map(|c| c.time().seconds()));
    Ok(match head_time {
        Some(t) if t >= 0 => (t as u64, "HEAD commit"),
        _ => (0, "none (epoch)"),
    })
}

/// Packages the chart in `dir` as `<out_dir>/<name>-<version>.tgz`, atomically.
pub fn package(dir: &Path, out_dir: &Path) -> Result<PackagedChart, ChartError> {
    let (mtime, time_source) = package_time(dir)?;
    package_at(dir, out_dir, mtime, time_source)
}

fn package_at(
    dir: &Path,
    out_dir: &Path,
    mtime: u64,
    time_source: &'static str,
) -> Result<PackagedChart, ChartError> {
    let chart_yaml = dir.join("Chart.yaml");
    let text = std::fs::read_to_string(&chart_yaml).map_err(io(&chart_yaml))?;
    let metadata = ChartMetadata::parse(&text, &chart_yaml)?;
    let ignore_path = dir.join(".helmignore");
    let rules = match std::fs::read_to_string(&ignore_path) {
        Ok(text) => IgnoreRules::parse(&text, &ignore_path)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => IgnoreRules::parse("", &ignore_path)?,
        Err(e) => return Err(io(&ignore_path)(e)),
    };
    let root = std::fs::canonicalize(dir).map_err(io(dir))?;
    let mut files = Vec::new();
    walk(&root, &root, &rules, &mut files)?;
    files.retain(|f| f != "Chart.yaml");
    files.sort();
    files.insert(0, "Chart.yaml".to_owned());

    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let target = out_dir.join(metadata.archive_name());
    let mut temp = crate::scratch::TempFile::new_in(out_dir, ".chart.").map_err(io(out_dir))?;
    // Helm's gzip header: its `Extra` bytes and the comment `Helm`, no name, no time.
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .extra(b"+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=".to_vec())
        .comment("Helm")
        .write(temp.as_file_mut().try_clone().map_err(io(&target))?, flate2::Compression::default());
    let mut archive = tar::Builder::new(gz);
    archive.mode(tar::HeaderMode::Deterministic);
    for file in &files {
        let source = root.join(file);
        let data = std::fs::read(&source).map_err(io(&source))?;
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        header.set_size(data.len() as u64);
        archive
            .append_data(&mut header, format!("{}/{file}", metadata.name), data.as_slice())
            .map_err(io(&source))?;
    }
    let gz = archive.into_inner().map_err(io(&target))?;
    let mut file = gz.finish().map_err(io(&target))?;
    file.flush().map_err(io(&target))?;
    temp.persist(&target).map_err(io(&target))?;
    Ok(PackagedChart { path: target, metadata, mtime, time_source })
}

/// Collects the chart's files (relative, `/`-separated), following symlinks that stay inside the chart.
fn walk(root: &Path, dir: &Path, rules: &IgnoreRules, out: &mut Vec<String>) -> Result<(), ChartError> {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).map_err(io(dir))?.collect::<Result<_, _>>().map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let relative = path.strip_prefix(root).map_err(|_| ChartError::Escapes { path: path.clone() })?;
        let relative = relative.to_str().ok_or_else(|| {
            ChartError::Invalid(tagwright_fs::BadFile::new(
                path.clone(),
                "file names must be UTF-8".to_owned(),
            ))
        })?;
        let resolved = std::fs::canonicalize(&path).map_err(io(&path))?;
        if !resolved.starts_with(root) {
            return Err(ChartError::Escapes { path });
        }
        let metadata = std::fs::metadata(&resolved).map_err(io(&path))?;
        if rules.ignored(relative, metadata.is_dir()) {
            continue;
        }
        if metadata.is_dir() {
            walk(root, &path, rules, out)?;
        } else if metadata.is_file() {
            out.push(relative.to_owned());
        }
    }
    Ok(())
}

/// The largest `Chart.yaml` read from an archive: 1 MiB.
const MAX_CHART_YAML: u64 = 1 << 20;

/// Reads the metadata of a packaged chart: its `<name>/Chart.yaml` entry.
pub fn read_archive(path: &Path) -> Result<ChartMetadata, ChartError> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    read_archive_from(file, path)
}

/// Reads the metadata of a packaged chart from `reader` (gzip-compressed tar); `path` names it in
/// errors. Entries that escape the chart are refused, and `Chart.yaml` is read up to 1 MiB.
pub fn read_archive_from(reader: impl Read, path: &Path) -> Result<ChartMetadata, ChartError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let invalid =
        |message: String| ChartError::Invalid(tagwright_fs::BadFile::new(path.to_path_buf(), message));
    for entry in archive.entries().map_err(io(path))? {
        let mut entry = entry.map_err(io(path))?;
        let name = entry.path().map_err(io(path))?.to_string_lossy().into_owned();
        if name.starts_with('/') || name.split('/').any(|part| part == "..") {
            return Err(ChartError::Escapes { path: PathBuf::from(name) });
        }
        let parts: Vec<&str> = name.split('/').collect();
        if parts.len() == 2 && parts[1] == "Chart.yaml" {
            let mut bytes = Vec::new();
            (&mut entry).take(MAX_CHART_YAML + 1).read_to_end(&mut bytes).map_err(io(path))?;
            if bytes.len() as u64 > MAX_CHART_YAML {
                return Err(invalid(format!("{name} is larger than 1 MiB")));
            }
            let text = String::from_utf8(bytes).map_err(|_| invalid(format!("{name} is not UTF-8")))?;
            return ChartMetadata::parse(&text, &path.join(&name));
        }
        if name == "Chart.yaml" {
            return Err(invalid("chart yaml not in base directory".to_owned()));
        }
    }
    Err(invalid("no <name>/Chart.yaml in the archive".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHART: &str = "apiVersion: v2\nname: advisoryhub\ndescription: Deploys <AdvisoryHub> & co\nversion: 1.2.0+build.1\nappVersion: \"1.2.0\"\nhome: https://example.com\nsources:\n  - https://example.com/src\nmaintainers:\n  - name: Rel\n    email: rel@example.com\n  - name: Ops\nannotations:\n  category: Security\n  org.opencontainers.image.title: ignored\n";

    #[test]
    fn config_json_is_helms() {
        tagwright_test_support::hermetic_git2();
        let meta = ChartMetadata::parse(CHART, Path::new("Chart.yaml")).expect("valid");
        assert_eq!(
            meta.config_json(),
            r#"{"name":"advisoryhub","home":"https://example.com","sources":["https://example.com/src"],"version":"1.2.0+build.1","description":"Deploys \u003cAdvisoryHub\u003e \u0026 co","maintainers":[{"name":"Rel","email":"rel@example.com"},{"name":"Ops"}],"apiVersion":"v2","appVersion":"1.2.0","annotations":{"category":"Security","org.opencontainers.image.title":"ignored"}}"#
        );
        assert_eq!(meta.tag(), "1.2.0_build.1");
        let annotations = meta.oci_annotations("2026-01-05T10:00:00Z");
        assert_eq!(
            annotations["org.opencontainers.image.title"], "advisoryhub",
            "the chart cannot override the title"
        );
        assert_eq!(annotations["org.opencontainers.image.authors"], "Rel (rel@example.com), Ops");
        assert_eq!(annotations["category"], "Security");
    }

    #[test]
    fn invalid_charts_say_why() {
        tagwright_test_support::hermetic_git2();
        for (text, why) in [
            ("name: x\nversion: 1.0.0\n", "apiVersion"),
            ("apiVersion: v2\nversion: 1.0.0\n", "no `name`"),
            ("apiVersion: v2\nname: x\nversion: latest\n", "not a valid SemVer"),
            ("apiVersion: v2\nname: ../x\nversion: 1.0.0\n", "chart name `../x` is invalid"),
            ("apiVersion: v2\nname: \"a b\"\nversion: 1.0.0\n", "chart name `a b` is invalid"),
            ("apiVersion: v2\nname: x\nversion: 1.0.0\ntype: weird\n", "type"),
            ("apiVersion: v2\nname: [x\n", "invalid YAML"),
        ] {
            let err = ChartMetadata::parse(text, Path::new("Chart.yaml")).expect_err(text).to_string();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn helmignore_rules() {
        tagwright_test_support::hermetic_git2();
        let rules = IgnoreRules::parse("# c\n.git/\n*.swp\n/ci\nsecrets/*.key\n", Path::new(".helmignore"))
            .expect("parses");
        assert!(rules.ignored(".git", true));
        assert!(!rules.ignored(".git", false), "a directory rule");
        assert!(rules.ignored("templates/x.swp", false));
        assert!(rules.ignored("ci", true));
        assert!(!rules.ignored("templates/ci", true), "rooted");
        assert!(rules.ignored("secrets/a.key", false));
        assert!(rules.ignored("templates/.hidden", false), "Helm's default rule");
        assert!(!rules.ignored("templates/deployment.yaml", false));
        assert!(IgnoreRules::parse("a/**/b\n", Path::new(".helmignore")).is_err());
    }

    #[test]
    fn go_patterns() {
        tagwright_test_support::hermetic_git2();
        assert_eq!(go_match("*.yaml", "values.yaml"), Some(true));
        assert_eq!(go_match("*", "a/b"), Some(false));
        assert_eq!(go_match("[a-c]?", "bx"), Some(true));
        assert_eq!(go_match("[^a-c]x", "bx"), Some(false));
        assert_eq!(go_match("\\*", "*"), Some(true));
        assert_eq!(go_match("[", "x"), None);
    }

    #[test]
    fn packages_are_reproducible_and_helm_shaped() {
        tagwright_test_support::hermetic_git2();
        let dir = tempfile::tempdir().expect("tempdir");
        let chart = dir.path().join("chart");
        std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
        std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
            .expect("write");
        std::fs::write(chart.join("values.yaml"), "a: 1\n").expect("write");
        std::fs::write(chart.join("templates/cm.yaml"), "kind: ConfigMap\n").expect("write");
        std::fs::write(chart.join("templates/.hidden"), "x").expect("write");
        std::fs::write(chart.join("notes.swp"), "x").expect("write");
        std::fs::write(chart.join(".helmignore"), "*.swp\n").expect("write");
        let first = package_at(&chart, &dir.path().join("a"), 1_767_261_600, "test").expect("package");
        let second = package_at(&chart, &dir.path().join("b"), 1_767_261_600, "test").expect("package");
        assert_eq!(std::fs::read(&first.path).expect("read"), std::fs::read(&second.path).expect("read"));
        assert_eq!(first.path.file_name().and_then(|n| n.to_str()), Some("demo-0.1.0.tgz"));
        let mut archive =
            tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(&first.path).expect("open")));
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                let h = e.header();
                (
                    e.path().expect("path").display().to_string(),
                    h.mode().expect("mode"),
                    h.mtime().expect("mtime"),
                )
            })
            .collect();
        let names: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["demo/Chart.yaml", "demo/.helmignore", "demo/templates/cm.yaml", "demo/values.yaml"]
        );
        assert!(entries.iter().all(|(_, mode, mtime)| *mode == 0o644 && *mtime == 1_767_261_600));
        assert_eq!(read_archive(&first.path).expect("reads").name, "demo");
    }

    #[test]
    fn files_that_escape_the_chart_are_rejected() {
        tagwright_test_support::hermetic_git2();
        let dir = tempfile::tempdir().expect("tempdir");
        let chart = dir.path().join("chart");
        std::fs::create_dir_all(&chart).expect("mkdir");
        std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
            .expect("write");
        std::fs::write(dir.path().join("secret"), "x").expect("write");
        std::os::unix::fs::symlink("../secret", chart.join("link")).expect("symlink");
        let err = package_at(&chart, &dir.path().join("out"), 0, "test").expect_err("escapes");
        assert!(matches!(err, ChartError::Escapes { .. }), "{err}");
    }
}
