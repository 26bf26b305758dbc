//! Why reading the sources failed: every variant names the file (and line) and is an input error.

use super::CONFIG_FILE;
use crate::tag::TagError;
use crate::version::VersionError;

/// Why the sources could not be read. Every variant is an input error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A configured source does not exist.
    #[error("{path}: not found (listed in {config})")]
    Missing {
        /// The missing file or pattern.
        path: String,
        /// The configuration that lists it.
        config: String,
    },
    /// A file is not valid TOML or YAML, or a value has the wrong type.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value is not a version, or not one this ecosystem can hold.
    #[error("{path}:{line}:{column}: {field} = `{value}`: {source}")]
    BadVersion {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field.
        field: String,
        /// The value as written.
        value: String,
        /// Why it is not a version.
        #[source]
        source: Box<VersionError>,
    },
    /// The tag format in the configuration is invalid.
    #[error("{path}: {source}")]
    TagFormat {
        /// The configuration file.
        path: String,
        /// What is wrong with the format.
        #[source]
        source: TagError,
    },
    /// A bump was interrupted here: its journal must be recovered ([`crate::recover`]) first.
    #[error(
        "{path}: a bump was interrupted and left its journal; run the bump, the release or version-check again to finish or undo it"
    )]
    Interrupted {
        /// The journal.
        path: String,
    },
    /// A source resolves (through `..` or a symlink) to a file outside the repository.
    #[error(
        "{path}: resolves to {resolved}, outside the repository {root}; tagwright reads and writes only inside it"
    )]
    Outside {
        /// The source, as found or listed.
        path: String,
        /// Where it leads.
        resolved: String,
        /// The repository root.
        root: String,
    },
    /// Nothing records a version.
    #[error(
        "{root}: no version sources found (looked for pyproject.toml, uv.lock, Cargo.toml, Cargo.lock, \
         Chart.yaml and charts/*/Chart.yaml; list them in {CONFIG_FILE} if they live elsewhere)"
    )]
    NoSources {
        /// The repository root.
        root: String,
    },
}

impl ReadError {
    /// A syntax error in `path` at byte `offset` of its `text`, with the line and column.
    pub(crate) fn syntax_at(path: &str, text: &str, offset: usize, message: String) -> ReadError {
        let (line, column) = crate::text::line_col(text, offset);
        ReadError::Syntax { path: path.to_owned(), line, column, message }
    }
}

impl ReadError {
    /// The file the error is about, relative to the repository root.
    pub fn path(&self) -> Option<&str> {
        match self {
            ReadError::Io { path, .. }
            | ReadError::Missing { path, .. }
            | ReadError::Syntax { path, .. }
            | ReadError::BadVersion { path, .. }
            | ReadError::Outside { path, .. }
            | ReadError::Interrupted { path }
            | ReadError::TagFormat { path, .. } => Some(path),
            ReadError::NoSources { .. } => None,
        }
    }

    /// The 1-based line and column the error is about, when known.
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            ReadError::Syntax { line, column, .. } | ReadError::BadVersion { line, column, .. } => {
                Some((*line, *column))
            }
            _ => None,
        }
    }
}
