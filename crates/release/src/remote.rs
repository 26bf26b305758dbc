//! What the push will meet: the remote's release branch and tag, asked before anything is signed.
//!
//! `git ls-remote` asks the remote (with the user's own transport, credentials and configuration);
//! when the remote's branch tip is not in the local history, one fetch of that branch (objects only:
//! no remote-tracking ref and no `FETCH_HEAD` is written) tells whether the local branch is behind.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use git2::{Oid, Repository};

use crate::tools;

/// How long one `git ls-remote` or `git fetch` may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What the remote says, or why it was not asked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RemoteState {
    /// The remote was asked: its branch is in the local history and the tag is free there.
    Checked {
        /// The remote's name.
        remote: String,
        /// The remote's branch tip, when the branch exists there.
        tip: Option<String>,
    },
    /// The remote was not asked, and why (`--offline`, no such remote, or it could not be reached).
    NotChecked {
        /// Why.
        reason: String,
    },
}

/// Why the push would fail.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RemoteError {
    #[error(
        "the tag {tag} already exists on {remote} ({id}): release a newer version, or move the tag with `tagwright retag`"
    )]
    TagExists { tag: String, remote: String, id: String },
    #[error(
        "`{branch}` is behind {remote}/{branch} ({remote} has {id}, which this branch does not contain): `git pull --ff-only {remote} {branch}`, then release again"
    )]
    Behind { branch: String, remote: String, id: String },
}

/// Asks `remote` for `branch` and `tag`; refuses when the push would fail. `None` as `remote` (or an
/// unknown remote, or one that cannot be reached) gives [`RemoteState::NotChecked`].
pub(crate) fn check(
    repo: &Repository,
    dir: &Path,
    remote: Option<&str>,
    branch: &str,
    tag: Option<&str>,
) -> Result<RemoteState, RemoteError> {
    let Some(remote) = remote else {
        return Ok(RemoteState::NotChecked { reason: "--offline".to_owned() });
    };
    if repo.find_remote(remote).is_err() {
        return Ok(RemoteState::NotChecked { reason: format!("the repository has no remote `{remote}`") });
    }
    let branch_ref = format!("refs/heads/{branch}");
    let tag_ref = tag.map(|t| format!("refs/tags/{t}"));
    let mut command = git(dir);
    command.args(["ls-remote", "--refs", remote, &branch_ref]).args(&tag_ref);
    let listed = match tools::output(&mut command, TIMEOUT) {
        Ok(listed) => listed,
        Err(reason) => return Ok(RemoteState::NotChecked { reason }),
    };
    let mut tip = None;
    for line in listed.lines() {
        let Some((id, name)) = line.split_once('\t') else { continue };
        if let Some(tag) = tag
            && tag_ref.as_deref() == Some(name)
        {
            return Err(RemoteError::TagExists {
                tag: tag.to_owned(),
                remote: remote.to_owned(),
                id: short(id),
            });
        }
        if name == branch_ref {
            tip = Some(id.to_owned());
        }
    }
    if let Some(id) = &tip {
        let head = repo.head().ok().and_then(|h| h.target());
        let contained = |repo: &Repository| {
            let remote_tip = Oid::from_str(id).ok()?;
            let head = head?;
            repo.find_commit(remote_tip).ok()?;
            Some(head == remote_tip || repo.graph_descendant_of(head, remote_tip).unwrap_or(false))
        };
        let known = contained(repo);
        let contained = match known {
            Some(answer) => answer,
            None => {
                // Objects only: `--refmap=` keeps the remote-tracking ref, and the flag FETCH_HEAD, as they are.
                let mut fetch = git(dir);
                fetch.args([
                    "fetch",
                    "--quiet",
                    "--no-tags",
                    "--no-write-fetch-head",
                    "--refmap=",
                    remote,
                    &branch_ref,
                ]);
                if let Err(reason) = tools::output(&mut fetch, TIMEOUT) {
                    return Ok(RemoteState::NotChecked { reason });
                }
                let fresh = Repository::open(repo.path()).ok();
                fresh.as_ref().and_then(contained).unwrap_or(false)
            }
        };
        if !contained {
            return Err(RemoteError::Behind {
                branch: branch.to_owned(),
                remote: remote.to_owned(),
                id: short(id),
            });
        }
    }
    Ok(RemoteState::Checked { remote: remote.to_owned(), tip })
}

fn git(dir: &Path) -> Command {
    let mut command = Command::new(tools::find_on_path("git").unwrap_or_else(|| "git".into()));
    // Never wait for a password on a terminal: a prompt here would hang a release.
    command.current_dir(dir).env("GIT_TERMINAL_PROMPT", "0");
    command
}

fn short(id: &str) -> String {
    id.get(..12).unwrap_or(id).to_owned()
}
