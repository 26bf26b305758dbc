//! The site to deploy: a built directory read as mike reads it, or a strict MkDocs build with mike's
//! plugin injected as `mike deploy` injects it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::tools::find_on_path;
use crate::{Error, ErrorKind};

/// The largest site tagwright commits, in bytes and in files: a runaway build is refused, not
/// copied into the repository.
const MAX_SITE_BYTES: u64 = 2 << 30;
const MAX_SITE_FILES: usize = 200_000;

/// One file of a site: its path inside the site (`/`-separated), its bytes and its git mode.
#[derive(Debug, Clone)]
pub(crate) struct SiteFile {
    pub(crate) path: String,
    pub(crate) data: Vec<u8>,
    pub(crate) mode: u32,
}

/// Reads a built site as mike's `walk_real_files` does: every file under `dir` (symlinks to files
/// are read through, symlinks to directories and `.git` directories are skipped), executable files
/// as mode 100755, others 100644. Sorted by path. Unlike mike, a symlink whose target is outside the
/// site is refused.
pub(crate) fn read_site(dir: &Path) -> Result<Vec<SiteFile>, Error> {
    let fail = |path: &Path, e: std::io::Error| {
        Error::new(ErrorKind::Input, format!("read the site: {}: {e}", path.display()))
    };
    if !dir.is_dir() {
        return Err(Error::new(ErrorKind::Input, format!("the site {} is not a directory", dir.display())));
    }
    let root = std::fs::canonicalize(dir).map_err(|e| fail(dir, e))?;
    let mut files = Vec::new();
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).map_err(|e| fail(&current, e))? {
            let entry = entry.map_err(|e| fail(&current, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| fail(&path, e))?;
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    pending.push(path);
                }
                continue;
            }
            // Through a symlink: a file is read, a directory (or a dangling link) is skipped, as
            // `os.walk` does not descend into it and `open` fails on it.
            let Ok(meta) = std::fs::metadata(&path) else { continue };
            if !meta.is_file() {
                continue;
            }
            // A symlink must stay inside the site: a link to ~/.ssh/id_ed25519 in the docs would
            // otherwise be published (mike would publish it).
            if kind.is_symlink() {
                let target = std::fs::canonicalize(&path).map_err(|e| fail(&path, e))?;
                if !target.starts_with(&root) {
                    return Err(Error::new(
                        ErrorKind::Input,
                        format!(
                            "the site file {} is a symlink to {}, outside the site: refused",
                            path.display(),
                            target.display()
                        ),
                    ));
                }
            }
            let relative = path.strip_prefix(dir).unwrap_or(&path);
            let Some(name) = relative.to_str() else {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("the site file {} has a name that is not UTF-8", path.display()),
                ));
            };
            let name = name.replace(std::path::MAIN_SEPARATOR, "/");
            if name.contains('\n') {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("the site file {name:?} has a newline in its name"),
                ));
            }
            total += meta.len();
            if total > MAX_SITE_BYTES || files.len() >= MAX_SITE_FILES {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!(
                        "the site {} is larger than {} files or {} GiB: refused",
                        dir.display(),
                        MAX_SITE_FILES,
                        MAX_SITE_BYTES >> 30
                    ),
                ));
            }
            let data = std::fs::read(&path).map_err(|e| fail(&path, e))?;
            let mode = if executable(&meta) { 0o100755 } else { 0o100644 };
            files.push(SiteFile { path: name, data, mode });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

#[cfg(unix)]
fn executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// The MkDocs configuration of a project: `mkdocs.yml`, else `mkdocs.yaml` (mike's order).
pub(crate) fn find_config(dir: &Path) -> Option<PathBuf> {
    ["mkdocs.yml", "mkdocs.yaml"].into_iter().map(|name| dir.join(name)).find(|p| p.is_file())
}

/// Whether the configuration turns directory URLs off (`use_directory_urls: false`); mike's redirect
/// aliases link to `dir/` or to `dir/index.html` accordingly.
pub(crate) fn use_directory_urls(config: &str) -> bool {
    !config.lines().any(|line| {
        let line = line.split(" #").next().unwrap_or(line).trim_end();
        line.strip_prefix("use_directory_urls:")
            .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "false" | "no" | "off"))
    })
}

/// The configuration as `mike deploy` hands it to MkDocs: `mike` first in `plugins` (and `search`
/// after it when there were no plugins), unless it is already there. The edit replaces spans of
/// the text and keeps everything else byte for byte. `None` when the layout of `plugins:` is one
/// this edit does not understand.
pub(crate) fn inject_mike(config: &str) -> Option<String> {
    let lines: Vec<&str> = config.split_inclusive('\n').collect();
    let Some(at) = lines.iter().position(|l| l.starts_with("plugins:")) else {
        let mut out = config.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("plugins:\n- mike\n- search\n");
        return Some(out);
    };
    let rest = lines[at]["plugins:".len()..].trim_end();
    let rest_value = rest.split(" #").next().unwrap_or(rest).trim();
    let head: String = lines[..at].concat();
    let tail: String = lines[at + 1..].concat();
    let mentions_mike = |items: &str| {
        items
            .split(',')
            .map(str::trim)
            .any(|i| i == "mike" || i.starts_with("mike:") || i.starts_with("mike "))
    };
    if let Some(inner) = rest_value.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if mentions_mike(inner) {
            return Some(config.to_owned());
        }
        let items =
            if inner.trim().is_empty() { "mike".to_owned() } else { format!("mike, {}", inner.trim()) };
        return Some(format!("{head}plugins: [{items}]\n{tail}"));
    }
    if let Some(inner) = rest_value.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        if inner.split(',').any(|i| i.split(':').next().is_some_and(|k| k.trim() == "mike")) {
            return Some(config.to_owned());
        }
        let items = if inner.trim().is_empty() {
            "mike: {}".to_owned()
        } else {
            format!("mike: {{}}, {}", inner.trim())
        };
        return Some(format!("{head}plugins: {{{items}}}\n{tail}"));
    }
    if !rest_value.is_empty() {
        return None;
    }
    // A block: the items up to the next line at column 0 that is not a comment or blank.
    let block_end = lines[at + 1..]
        .iter()
        .position(|l| {
            let t = l.trim_end();
            !t.is_empty() && !t.starts_with(' ') && !t.starts_with('#') && !t.starts_with('-')
        })
        .map_or(lines.len(), |i| at + 1 + i);
    let items = &lines[at + 1..block_end];
    let first = items.iter().find(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })?;
    let indent = &first[..first.len() - first.trim_start().len()];
    let item = first.trim();
    let is_list = item.starts_with("- ") || item == "-";
    let names_mike = items.iter().any(|l| {
        let t = l.trim();
        if l.len() - l.trim_start().len() != indent.len() {
            return false;
        }
        let name = if is_list { t.strip_prefix("- ").unwrap_or("").trim() } else { t };
        name == "mike" || name.starts_with("mike:")
    });
    if names_mike {
        return Some(config.to_owned());
    }
    let inserted = if is_list { format!("{indent}- mike\n") } else { format!("{indent}mike: {{}}\n") };
    let first_at = items.iter().position(|l| std::ptr::eq(*l, *first)).unwrap_or(0);
    let before: String = items[..first_at].concat();
    let after: String = lines[at + 1 + first_at..].concat();
    Some(format!("{head}{}{before}{inserted}{after}", lines[at]))
}

/// What a build needs: the project, the MkDocs program, the version, and the time to build at.
pub(crate) struct Build<'a> {
    pub(crate) project: &'a Path,
    pub(crate) mkdocs: Option<&'a Path>,
    pub(crate) version: &'a str,
    pub(crate) source_date_epoch: i64,
}

/// Builds the site as `mike deploy` does, strictly, into `out`: `mkdocs build --strict --clean`
/// with mike's plugin injected, `MIKE_DOCS_VERSION` set, and `SOURCE_DATE_EPOCH` from the source
/// commit. The injected configuration is given on standard input with the project as the working
/// directory, so its relative paths resolve as the file's do and nothing is written into the
/// project. Returns the MkDocs version line.
pub(crate) fn build(build: &Build<'_>, out: &Path) -> Result<String, Error> {
    let config_path = find_config(build.project).ok_or_else(|| {
        Error::new(
            ErrorKind::Input,
            format!("--build: no mkdocs.yml or mkdocs.yaml in {}", build.project.display()),
        )
    })?;
    let config = std::fs::read_to_string(&config_path)
        .map_err(|e| Error::new(ErrorKind::Input, format!("read {}: {e}", config_path.display())))?;
    let injected = inject_mike(&config).ok_or_else(|| {
        Error::new(
            ErrorKind::Input,
            format!(
                "{}: `plugins:` is neither a block list, a block mapping nor a flow collection; add `- mike` to it yourself",
                config_path.display()
            ),
        )
    })?;
    let program = match build.mkdocs {
        Some(p) => p.to_path_buf(),
        None => find_on_path("mkdocs").ok_or_else(|| {
            Error::new(ErrorKind::Input, "--build needs MkDocs (and mike, for its plugin): `pip install mkdocs mike`, or pass --site DIR")
        })?,
    };
    let mut command = Command::new(&program);
    command
        .args(["build", "--strict", "--clean", "--config-file", "-", "--site-dir"])
        .arg(out)
        .current_dir(build.project)
        .env("MIKE_DOCS_VERSION", build.version)
        .env("SOURCE_DATE_EPOCH", build.source_date_epoch.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown =
        format!("{} build --strict --clean --config-file - --site-dir {}", program.display(), out.display());
    let mut child =
        command.spawn().map_err(|e| Error::new(ErrorKind::Input, format!("cannot run `{shown}`: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        stdin
            .write_all(injected.as_bytes())
            .map_err(|e| Error::new(ErrorKind::Check, format!("`{shown}`: write the configuration: {e}")))?;
    }
    let output =
        child.wait_with_output().map_err(|e| Error::new(ErrorKind::Check, format!("`{shown}`: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = if stderr.contains("\"mike\" plugin is not installed") {
            "; mike's plugin (the version selector) must be installed beside MkDocs: `pip install mike`"
        } else {
            ""
        };
        return Err(Error::new(
            ErrorKind::Check,
            format!(
                "`{shown}` in {} failed ({}): {}{hint}",
                build.project.display(),
                output.status,
                stderr.trim_end()
            ),
        ));
    }
    let version = Command::new(&program)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.split_whitespace().nth(2).map(|n| format!("MkDocs {n}")))
        .unwrap_or_else(|| "MkDocs".to_owned());
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mike_goes_first_in_every_layout_of_plugins() {
        assert_eq!(inject_mike("site_name: x\n").expect("ok"), "site_name: x\nplugins:\n- mike\n- search\n");
        assert_eq!(
            inject_mike("site_name: x\nplugins:\n  - search\n  - tags\nnav: []\n").expect("ok"),
            "site_name: x\nplugins:\n  - mike\n  - search\n  - tags\nnav: []\n"
        );
        assert_eq!(
            inject_mike("plugins:\n  # comment\n  search:\n    lang: en\n").expect("ok"),
            "plugins:\n  # comment\n  mike: {}\n  search:\n    lang: en\n"
        );
        assert_eq!(inject_mike("plugins: [search]\n").expect("ok"), "plugins: [mike, search]\n");
        assert_eq!(inject_mike("plugins: []\n").expect("ok"), "plugins: [mike]\n");
        let has = "plugins:\n- search\n- mike:\n    alias_type: copy\n";
        assert_eq!(inject_mike(has).expect("ok"), has);
        assert_eq!(inject_mike("plugins: !ENV X\n"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_site_is_refused_and_one_inside_is_read_through() {
        let site = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(site.path().join("index.html"), "<p>home</p>").expect("write");
        std::os::unix::fs::symlink(site.path().join("index.html"), site.path().join("copy.html"))
            .expect("link");
        let files = read_site(site.path()).expect("read");
        assert_eq!(files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["copy.html", "index.html"]);
        assert_eq!(files[0].data, b"<p>home</p>");
        std::fs::write(outside.path().join("id_ed25519"), "secret").expect("write");
        std::os::unix::fs::symlink(outside.path().join("id_ed25519"), site.path().join("key.txt"))
            .expect("link");
        let err = read_site(site.path()).expect_err("refused");
        assert!(err.to_string().contains("outside the site: refused"), "{err}");
    }

    #[test]
    fn directory_urls_follow_the_configuration() {
        assert!(use_directory_urls("site_name: x\n"));
        assert!(!use_directory_urls("use_directory_urls: false # flat\n"));
    }
}
