//! `tagwright docs-deploy X.Y.Z`: the runbook's Docs workflow, `mike deploy X.Y.Z latest` and
//! `mike set-default`, as one flow that writes the docs branch exactly as mike 2.x lays it out.
//!
//! The site is built (`mkdocs build --strict` with mike's plugin, at the source commit's time) or
//! taken as built. The branch's next commit is composed in a temporary index on top of the
//! branch's tip ([`tree`]); only the version's directory, its aliases, `versions.json`, `.nojekyll`
//! and (with a default) the root `index.html` change. With `--push`, the remote is fetched first,
//! and a push refused because the remote moved (a concurrent deploy) is rebuilt on the new tip and
//! retried, a bounded number of times. The work tree, the index and the checked-out branch are
//! never touched.

mod deploy;
mod site;
mod tree;
mod types;
mod versions;

pub use deploy::docs_deploy;
pub use tree::{AliasType, UnknownAliasType};
pub use types::{DocsDeployOptions, DocsDeployReport, MovedAlias, STEPS, Site};
pub use versions::DocVersion;

use crate::{Error, ErrorKind};

/// Reads mike's `versions.json`, newest first. The file comes from a branch anyone with push access
/// may have written: every version and alias is checked to be a plain name (it becomes a
/// directory), and no alias may name two versions.
pub fn read_versions_json(text: &str) -> Result<Vec<DocVersion>, Error> {
    versions::Versions::parse(text).map(|v| v.entries()).map_err(|e| input(format!("versions.json: {e}")))
}

/// The bytes mike writes for the versions in `text`: sorted newest first, as `json.dumps(indent=2)`.
pub fn rewrite_versions_json(text: &str) -> Result<String, Error> {
    versions::Versions::parse(text).map(|v| v.to_json()).map_err(|e| input(format!("versions.json: {e}")))
}

fn input(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Input, message)
}
