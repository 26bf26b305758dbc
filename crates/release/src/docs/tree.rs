//! The docs branch's next tree, composed as `mike deploy` composes its commit: the version's
//! directory and its aliases replaced, `versions.json` and `.nojekyll` rewritten, and (with a
//! default) the root redirect. Everything else in the tree is kept as it was, entry for entry.
//!
//! The tree is built in a temporary in-memory index: the repository's own index, its work tree and
//! its checked-out branch are never read or written.

use std::path::Path;

use git2::{Index, IndexEntry, IndexTime, Oid, Repository};

use super::site::SiteFile;
use super::versions::{MAX_VERSIONS_JSON, Versions, VersionsError};

/// How an alias is written: mike's three alias types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasType {
    /// A git symlink to the version's directory (mike 2.x's default).
    #[default]
    Symlink,
    /// A directory with one redirect page per HTML page of the version.
    Redirect,
    /// A full copy of the version's directory.
    Copy,
}

/// An alias type mike does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown alias type {0:?}: symlink, redirect or copy")]
pub struct UnknownAliasType(pub String);

impl std::str::FromStr for AliasType {
    type Err = UnknownAliasType;
    fn from_str(s: &str) -> Result<AliasType, UnknownAliasType> {
        match s {
            "symlink" => Ok(AliasType::Symlink),
            "redirect" => Ok(AliasType::Redirect),
            "copy" => Ok(AliasType::Copy),
            other => Err(UnknownAliasType(other.to_owned())),
        }
    }
}

/// mike's redirect page (`mike/templates/redirect.html`, recorded byte for byte in the formats
/// notes); `{href}` is HTML-escaped as Jinja's autoescape does.
const REDIRECT: &str = "<!DOCTYPE html>\n<html>\n<head>\n  <meta charset=\"utf-8\">\n  <title>Redirecting</title>\n  <noscript>\n    <meta http-equiv=\"refresh\" content=\"1; url={href}\" />\n  </noscript>\n  <script>\n    window.location.replace(\n      \"{href}\" + window.location.search + window.location.hash\n    );\n  </script>\n</head>\n<body>\n  Redirecting to <a href=\"{href}\">{href}</a>...\n</body>\n</html>\n";

/// The redirect page to `href`.
pub(crate) fn redirect_page(href: &str) -> String {
    let escaped = href
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    REDIRECT.replace("{href}", &escaped)
}

/// The link from `alias/<page>` to `version/<page>`, as mike computes it: relative, and ending in
/// the directory when directory URLs are on and the page is an `index.html`.
fn redirect_href(version: &str, page: &str, use_directory_urls: bool) -> String {
    let depth = page.matches('/').count() + 1;
    let href = format!("{}{version}/{page}", "../".repeat(depth));
    match href.strip_suffix("index.html") {
        Some(dir) if use_directory_urls && (dir.ends_with('/') || dir.is_empty()) => dir.to_owned(),
        _ => href,
    }
}

/// What one deploy changes.
pub(crate) struct Deploy<'a> {
    pub(crate) version: &'a str,
    pub(crate) title: Option<&'a str>,
    pub(crate) aliases: &'a [String],
    pub(crate) update_aliases: bool,
    pub(crate) alias_type: AliasType,
    pub(crate) use_directory_urls: bool,
    pub(crate) set_default: Option<&'a str>,
    pub(crate) site: &'a [SiteFile],
}

/// The composed tree, and the versions it records.
pub(crate) struct Composed {
    pub(crate) tree: Oid,
    pub(crate) versions: Versions,
    /// Every alias of the version after the deploy.
    pub(crate) aliases: Vec<String>,
    /// Aliases that moved here: (from version, alias).
    pub(crate) moved: Vec<(String, String)>,
}

/// Why a tree cannot be composed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ComposeError {
    #[error("{0}")]
    Versions(#[from] VersionsError),
    #[error("versions.json at {commit}: {source}")]
    Hostile { commit: String, source: VersionsError },
    #[error("versions.json at {commit} is larger than {MAX_VERSIONS_JSON} bytes or not UTF-8")]
    Unreadable { commit: String },
    #[error("--set-default {0:?}: no such version or alias on the branch")]
    NoDefault(String),
    #[error("write the tree: {0}")]
    Git(#[from] git2::Error),
}

/// Reads `versions.json` from `commit`'s tree (an absent file is an empty list, as in mike).
pub(crate) fn read_versions(repo: &Repository, commit: Option<Oid>) -> Result<Versions, ComposeError> {
    let Some(commit) = commit else { return Ok(Versions::default()) };
    let tree = repo.find_commit(commit)?.tree()?;
    let Ok(entry) = tree.get_path(Path::new("versions.json")) else { return Ok(Versions::default()) };
    let unreadable = || ComposeError::Unreadable { commit: commit.to_string() };
    let object = entry.to_object(repo)?;
    let Some(blob) = object.as_blob() else { return Err(unreadable()) };
    if blob.size() > MAX_VERSIONS_JSON {
        return Err(unreadable());
    }
    let text = std::str::from_utf8(blob.content()).map_err(|_| unreadable())?;
    Versions::parse(text).map_err(|source| ComposeError::Hostile { commit: commit.to_string(), source })
}

fn entry(path: &str, mode: u32, id: Oid, size: usize) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: u32::try_from(size).unwrap_or(u32::MAX),
        id,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// Removes `path` from the index, whether it is a file, a symlink or a directory.
fn delete(index: &mut Index, path: &str) -> Result<(), git2::Error> {
    index.remove_dir(Path::new(path), 0)?;
    if index.get_path(Path::new(path), 0).is_some() {
        index.remove(Path::new(path), 0)?;
    }
    Ok(())
}

/// Composes the tree that follows `parent` (the branch's tip, or none for a new branch).
pub(crate) fn compose(
    repo: &Repository,
    parent: Option<Oid>,
    deploy: &Deploy<'_>,
) -> Result<Composed, ComposeError> {
    let mut versions = read_versions(repo, parent)?;
    let moved = versions.add(deploy.version, deploy.title, deploy.aliases, deploy.update_aliases)?;
    let aliases = versions
        .entries()
        .into_iter()
        .find(|e| e.version == deploy.version)
        .map(|e| e.aliases)
        .unwrap_or_default();
    if let Some(default) = deploy.set_default
        && versions.find(default).is_none()
    {
        return Err(ComposeError::NoDefault(default.to_owned()));
    }

    let mut index = Index::new()?;
    if let Some(parent) = parent {
        index.read_tree(&repo.find_commit(parent)?.tree()?)?;
    }
    delete(&mut index, deploy.version)?;
    for alias in &aliases {
        delete(&mut index, alias)?;
    }
    let add = |index: &mut Index, path: &str, mode: u32, data: &[u8]| -> Result<(), git2::Error> {
        let id = repo.blob(data)?;
        index.add(&entry(path, mode, id, data.len()))
    };
    for file in deploy.site {
        add(&mut index, &format!("{}/{}", deploy.version, file.path), file.mode, &file.data)?;
        for alias in &aliases {
            let path = format!("{alias}/{}", file.path);
            match deploy.alias_type {
                AliasType::Copy => add(&mut index, &path, file.mode, &file.data)?,
                AliasType::Redirect if file.path.ends_with(".html") => {
                    let href = redirect_href(deploy.version, &file.path, deploy.use_directory_urls);
                    add(&mut index, &path, 0o100644, redirect_page(&href).as_bytes())?;
                }
                AliasType::Redirect | AliasType::Symlink => {}
            }
        }
    }
    if deploy.alias_type == AliasType::Symlink {
        for alias in &aliases {
            add(&mut index, alias, 0o120000, deploy.version.as_bytes())?;
        }
    }
    add(&mut index, "versions.json", 0o100644, versions.to_json().as_bytes())?;
    add(&mut index, ".nojekyll", 0o100644, b"")?;
    if let Some(default) = deploy.set_default {
        add(&mut index, "index.html", 0o100644, redirect_page(&format!("{default}/")).as_bytes())?;
    }
    let tree = index.write_tree_to(repo)?;
    Ok(Composed { tree, versions, aliases, moved })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_link_as_mike_links_them() {
        assert_eq!(redirect_href("1.2.0", "index.html", true), "../1.2.0/");
        assert_eq!(redirect_href("1.2.0", "guide/index.html", true), "../../1.2.0/guide/");
        assert_eq!(redirect_href("1.2.0", "404.html", true), "../1.2.0/404.html");
        assert_eq!(redirect_href("1.2.0", "index.html", false), "../1.2.0/index.html");
        assert!(redirect_page("a\"<b>/").contains("url=a&#34;&lt;b&gt;/\""));
    }
}
