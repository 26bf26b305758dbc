//! The lockstep bump: rewrite every record to one new version, all files or none.
//!
//! [`plan`] computes each file's new contents by replacing only the bytes of each version value, so
//! comments, spacing, key order and quote style stay (`[project].version` and uv.lock are written as
//! `uv version` writes them: the value in double quotes; Poetry's version keeps its quotes, as
//! `poetry version` does). [`Plan::apply`] first writes a journal
//! ([`crate::journal`]), then every file to a temporary file beside it, then renames them into place
//! one by one; if any step fails, the files already renamed are restored, so the repository is left as
//! it was. A file is restored only if it still holds exactly what the bump wrote: one that someone
//! changed in between is left alone and named. If the process is killed, the next bump, release or
//! version-check finds the journal and finishes or undoes the bump ([`crate::recover`]).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::journal::{self, Entry, Journal, restore, temp_for};
use crate::read::{Inventory, Spelling};
use crate::text::display_path;
use crate::version::{Version, VersionError};

/// Options for [`plan`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct BumpOptions {
    /// Allow a new version that is lower than or equal to the current one.
    pub allow_downgrade: bool,
    /// Bump sources that disagree today (each is rewritten to the new version).
    pub allow_mismatch: bool,
    /// The latest release's version (from its tag): sources still on it were the release's, so some
    /// sources ahead of them are a bump begun by hand, which [`plan`] completes.
    pub last_release: Option<Version>,
}

impl BumpOptions {
    /// Allows (or refuses) a version that does not increase.
    pub fn allow_downgrade(mut self, allow: bool) -> BumpOptions {
        self.allow_downgrade = allow;
        self
    }

    /// Allows (or refuses) bumping sources that disagree today.
    pub fn allow_mismatch(mut self, allow: bool) -> BumpOptions {
        self.allow_mismatch = allow;
        self
    }

    /// The latest release's version, from its tag.
    pub fn last_release(mut self, version: Option<Version>) -> BumpOptions {
        self.last_release = version;
        self
    }
}

/// Why a bump cannot be planned. These are input errors: nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The new version is not newer than the current one.
    #[error(
        "{new} is not newer than the current version {current}; pass --allow-downgrade to write it anyway"
    )]
    NotNewer {
        /// The highest version recorded today.
        current: Version,
        /// The requested version.
        new: Version,
    },
    /// The sources disagree today: bumping them all would hide that (an unrelated manifest would
    /// change too). Each line names a record that would change from which version.
    #[error(
        "the version sources disagree, so the bump would rewrite versions that are not the release's:\n{}\npass --allow-mismatch to bump them all anyway{}",
        changes.join("\n"),
        suggestion.as_ref().map(|s| format!(", or list the release's sources in tagwright.toml:\n{s}")).unwrap_or_default()
    )]
    Mismatch {
        /// `file:line: field would change from X to Y`, for every record not on the majority version.
        changes: Vec<String>,
        /// The `tagwright.toml` that would select the sources on the majority version.
        suggestion: Option<String>,
    },
    /// The new version cannot be written in a file's ecosystem.
    #[error("{file}:{line}: {field}: {source}")]
    Unmappable {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The field.
        field: String,
        /// Why it cannot be written there.
        #[source]
        source: VersionError,
    },
}

/// Why applying a plan failed, and what state the repository is in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// Nothing was changed: the journal or a temporary file could not be written, or a file changed
    /// since it was read.
    #[error("{path}: {message}; no file was changed")]
    Unchanged {
        /// The file that failed.
        path: String,
        /// What failed.
        message: String,
    },
    /// A rename failed part-way; every file the bump had replaced was restored, except those someone
    /// else changed after the bump wrote them, which were left as they are.
    #[error("{path}: cannot replace: {source}; {}", restored_text(.changed_by_others))]
    RolledBack {
        /// The file that failed.
        path: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
        /// Files someone else changed after the bump wrote them: left as they are.
        changed_by_others: Vec<String>,
    },
    /// A rename failed part-way and some files could not be restored.
    #[error(
        "{path}: cannot replace: {source}; these files could not be restored and hold the new version: {}{}; \
         the journal stays, so the next bump or version-check finishes the rollback",
        .left.join(", "),
        others_text(.changed_by_others)
    )]
    PartiallyRestored {
        /// The file that failed.
        path: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
        /// Files left with their new contents.
        left: Vec<String>,
        /// Files someone else changed after the bump wrote them: left as they are.
        changed_by_others: Vec<String>,
    },
}

fn restored_text(changed_by_others: &[String]) -> String {
    if changed_by_others.is_empty() {
        "every file was restored to its previous contents".to_owned()
    } else {
        format!("every other file was restored to its previous contents{}", others_text(changed_by_others))
    }
}

fn others_text(changed_by_others: &[String]) -> String {
    if changed_by_others.is_empty() {
        String::new()
    } else {
        format!(
            "; changed by someone else after the bump wrote them, so left as they are: {}",
            changed_by_others.join(", ")
        )
    }
}

/// A computed bump: the new contents of every file, ready to show or apply.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The repository root.
    #[serde(skip)]
    pub root: PathBuf,
    /// The highest version recorded before the bump.
    #[serde(serialize_with = "crate::check::serialize_version")]
    pub current: Version,
    /// The version being written.
    #[serde(serialize_with = "crate::check::serialize_version")]
    pub new: Version,
    /// The files that change, in source order.
    pub files: Vec<FileChange>,
}

/// One file's change.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    /// Path relative to the repository root.
    pub path: String,
    /// The file written: the source with its symlinks resolved, inside the repository.
    #[serde(skip)]
    pub target: PathBuf,
    /// Each value that changes.
    pub changes: Vec<Change>,
    #[serde(skip)]
    before: String,
    #[serde(skip)]
    after: String,
}

/// One value that changes.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The field.
    pub field: String,
    /// 1-based line.
    pub line: usize,
    /// The value before.
    pub from: String,
    /// The value after, in the file's own spelling.
    pub to: String,
}

impl FileChange {
    /// The contents before the bump.
    pub fn before(&self) -> &str {
        &self.before
    }

    /// The contents after the bump.
    pub fn after(&self) -> &str {
        &self.after
    }
}

/// Plans rewriting every record of `inventory` to `new`.
pub fn plan(inventory: &Inventory, new: &Version, options: &BumpOptions) -> Result<Plan, PlanError> {
    let scheme = inventory.scheme();
    // Some sources already bumped by hand to `new`: bring the others along from their version.
    let catching_up = crate::ahead(inventory, options.last_release.as_ref()).filter(|a| &a.version == new);
    let current = match &catching_up {
        Some(ahead) => ahead.behind.clone(),
        None => inventory
            .records
            .iter()
            .map(|r| &r.version)
            .max_by(|a, b| scheme.cmp(a, b))
            .cloned()
            .unwrap_or_else(|| new.clone()),
    };
    if !options.allow_downgrade && scheme.cmp(new, &current).is_le() {
        return Err(PlanError::NotNewer { current, new: new.clone() });
    }
    if !options.allow_mismatch
        && catching_up.is_none()
        && let Some(first) = inventory.records.first()
        && inventory.records.iter().any(|r| r.version != first.version)
    {
        let majority = crate::check(inventory, None).ok().and_then(|report| report.expected);
        let changes = inventory
            .records
            .iter()
            .filter(|r| Some(&r.version) != majority.as_ref())
            .map(|r| format!("  {}:{}: {} would change from {} to {new}", r.file, r.line, r.field, r.value))
            .collect();
        let suggestion = majority
            .as_ref()
            .and_then(|v| crate::suggested_config(inventory, v, options.last_release.as_ref()));
        return Err(PlanError::Mismatch { changes, suggestion });
    }
    let mut files = Vec::new();
    for (index, file) in inventory.files.iter().enumerate() {
        let mut records: Vec<_> = inventory.records.iter().filter(|r| r.edit.file_index == index).collect();
        records.sort_by_key(|r| r.edit.span.start);
        let mut after = String::with_capacity(file.contents.len() + 16);
        let mut cursor = 0;
        let mut changes = Vec::new();
        for record in records {
            let spelled = match record.edit.spelling {
                Spelling::Semver => new.to_semver(),
                Spelling::Pep440 => new.to_pep440().map_err(|source| PlanError::Unmappable {
                    file: record.file.clone(),
                    line: record.line,
                    field: record.field.clone(),
                    source,
                })?,
            };
            let to = format!("{}{spelled}", record.edit.prefix);
            let quote = record.edit.quote;
            after.push_str(&file.contents[cursor..record.edit.span.start]);
            after.push_str(quote);
            after.push_str(&to);
            after.push_str(quote);
            cursor = record.edit.span.end;
            if to != record.value || file.contents[record.edit.span.clone()] != format!("{quote}{to}{quote}")
            {
                changes.push(Change {
                    field: record.field.clone(),
                    line: record.line,
                    from: record.value.clone(),
                    to,
                });
            }
        }
        after.push_str(&file.contents[cursor..]);
        if after != file.contents {
            files.push(FileChange {
                path: display_path(&file.path),
                target: file.target.clone(),
                changes,
                before: file.contents.clone(),
                after,
            });
        }
    }
    Ok(Plan { root: inventory.root.clone(), current, new: new.clone(), files })
}

impl Plan {
    /// A unified diff of every change, as `git diff` prints it (`a/` and `b/` prefixes, 3 lines of context).
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            out.push_str(&unified_diff(&file.path, &file.before, &file.after));
        }
        out
    }

    /// Writes every file, or none: a journal first, then every file staged beside its target, then
    /// the renames. A failure restores what was replaced (unless someone else changed it since);
    /// a kill leaves the journal for [`crate::recover`].
    pub fn apply(&self) -> Result<(), ApplyError> {
        if self.files.is_empty() {
            return Ok(());
        }
        let unchanged =
            |path: &str, message: String| ApplyError::Unchanged { path: path.to_owned(), message };
        let journal_path = journal::journal_path(&self.root);
        let journal_name = journal_path.display().to_string();
        let canonical = self
            .root
            .canonicalize()
            .map_err(|e| unchanged(&self.root.display().to_string(), e.to_string()))?;
        let relative = |path: &Path| -> Result<String, ApplyError> {
            path.strip_prefix(&canonical)
                .map(display_path)
                .map_err(|_| unchanged(&path.display().to_string(), "outside the repository".to_owned()))
        };
        let mut entries = Vec::with_capacity(self.files.len());
        for file in &self.files {
            entries.push(Entry {
                path: file.path.clone(),
                target: relative(&file.target)?,
                temp: relative(&temp_for(&file.target))?,
                before: file.before.clone(),
                after: file.after.clone(),
            });
        }
        let journal = Journal { format: 1, version: self.new.to_semver(), files: entries };
        let held = journal::begin(&self.root, &journal)
            .map_err(|e| unchanged(&journal_name, format!("cannot write the bump's journal: {e}")))?;

        // Phase 1: write every new file beside its target. A failure here changes nothing.
        for (i, file) in self.files.iter().enumerate() {
            if let Err(e) =
                tagwright_fs::stage(&file.target, &temp_for(&file.target), file.after.as_bytes()).map(drop)
            {
                for staged in &self.files[..i] {
                    let _ = std::fs::remove_file(temp_for(&staged.target));
                }
                held.finish();
                return Err(unchanged(&file.path, format!("cannot stage: {e}")));
            }
        }
        // Phase 2: rename into place, checking that nobody changed a file since it was read.
        let mut done: Vec<&FileChange> = Vec::new();
        for (i, file) in self.files.iter().enumerate() {
            let outcome = match std::fs::read(&file.target) {
                Ok(bytes) if bytes == file.before.as_bytes() => {
                    tagwright_fs::commit(&temp_for(&file.target), &file.target)
                }
                Ok(_) => Err(std::io::Error::other("changed on disk since it was read")),
                Err(e) => Err(e),
            };
            let source = match outcome {
                Ok(()) => {
                    done.push(file);
                    continue;
                }
                Err(source) => source,
            };
            for pending in &self.files[i..] {
                let _ = std::fs::remove_file(temp_for(&pending.target));
            }
            if done.is_empty() {
                held.finish();
                return Err(unchanged(&file.path, source.to_string()));
            }
            let undone = undo(&done);
            if undone.left.is_empty() {
                held.finish();
                return Err(ApplyError::RolledBack {
                    path: file.path.clone(),
                    source,
                    changed_by_others: undone.changed_by_others,
                });
            }
            // The journal stays (unlocked when `held` drops): the next run finishes the rollback.
            return Err(ApplyError::PartiallyRestored {
                path: file.path.clone(),
                source,
                left: undone.left,
                changed_by_others: undone.changed_by_others,
            });
        }
        // Each rename synced its directory (`tagwright_fs::commit`).
        held.finish();
        Ok(())
    }

    /// Puts every file of an applied plan back to its contents before the bump, each atomically, if it
    /// still holds what the bump wrote; a file someone else changed since is left alone and named.
    pub fn revert(&self) -> Result<(), ApplyError> {
        let files: Vec<&FileChange> = self.files.iter().collect();
        let undone = undo(&files);
        match (undone.first_error, undone.changed_by_others.is_empty()) {
            (None, true) => Ok(()),
            (first, _) => {
                let (path, source) = first.unwrap_or_else(|| {
                    (
                        undone.changed_by_others[0].clone(),
                        std::io::Error::other("changed by someone else after the bump wrote it"),
                    )
                });
                Err(ApplyError::PartiallyRestored {
                    path,
                    source,
                    left: undone.left,
                    changed_by_others: undone.changed_by_others,
                })
            }
        }
    }
}

/// What undoing some replaced files did.
struct Undone {
    /// Files that could not be restored (they hold the new contents).
    left: Vec<String>,
    /// Files that hold neither what the bump wrote nor what was there before: left alone.
    changed_by_others: Vec<String>,
    /// The first restore that failed.
    first_error: Option<(String, std::io::Error)>,
}

/// Restores each file that still holds exactly what the bump wrote.
fn undo(files: &[&FileChange]) -> Undone {
    let mut undone = Undone { left: Vec::new(), changed_by_others: Vec::new(), first_error: None };
    for file in files {
        match std::fs::read(&file.target) {
            Ok(bytes) if bytes == file.after.as_bytes() => {
                if let Err(e) = restore(&file.target, &temp_for(&file.target), file.before.as_bytes()) {
                    let _ = std::fs::remove_file(temp_for(&file.target));
                    undone.left.push(file.path.clone());
                    undone.first_error.get_or_insert((file.path.clone(), e));
                }
            }
            Ok(bytes) if bytes == file.before.as_bytes() => {}
            _ => undone.changed_by_others.push(file.path.clone()),
        }
    }
    undone
}

/// A unified diff of two versions of a file with the same number of lines.
fn unified_diff(path: &str, before: &str, after: &str) -> String {
    const CONTEXT: usize = 3;
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    debug_assert_eq!(old.len(), new.len(), "a bump changes values, never the number of lines");
    let changed: Vec<usize> = (0..old.len().min(new.len())).filter(|&i| old[i] != new[i]).collect();
    if changed.is_empty() {
        return String::new();
    }
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(CONTEXT);
        let mut last = changed[i];
        while i + 1 < changed.len() && changed[i + 1] <= last + 2 * CONTEXT + 1 {
            i += 1;
            last = changed[i];
        }
        let end = (last + CONTEXT + 1).min(old.len());
        out.push_str(&format!("@@ -{},{} +{},{} @@\n", start + 1, end - start, start + 1, end - start));
        for line in start..end {
            if old[line] == new[line] {
                push_line(&mut out, ' ', old[line]);
            } else {
                push_line(&mut out, '-', old[line]);
                push_line(&mut out, '+', new[line]);
            }
        }
        i += 1;
    }
    out
}

fn push_line(out: &mut String, sign: char, line: &str) {
    out.push(sign);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_hunks_merge_nearby_changes_and_keep_three_lines_of_context() {
        let before: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let after = before
            .replace("line 5\n", "LINE 5\n")
            .replace("line 9\n", "LINE 9\n")
            .replace("line 20\n", "LINE 20\n");
        let diff = unified_diff("f.txt", &before, &after);
        let expected = "--- a/f.txt\n+++ b/f.txt\n@@ -2,11 +2,11 @@\n line 2\n line 3\n line 4\n-line 5\n+LINE 5\n \
            line 6\n line 7\n line 8\n-line 9\n+LINE 9\n line 10\n line 11\n line 12\n@@ -17,4 +17,4 @@\n line 17\n \
            line 18\n line 19\n-line 20\n+LINE 20\n";
        assert_eq!(diff, expected);
    }

    #[test]
    fn diff_marks_a_missing_final_newline() {
        let diff = unified_diff("f", "a\nb", "a\nc");
        assert_eq!(
            diff,
            "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
    }
}
