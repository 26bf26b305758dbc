//! Why an operation fails (shared by the operations and the store).

use crate::chart::ChartError;
use crate::layout::LayoutError;
use crate::reference::ReferenceError;
use crate::registry::RegistryError;
use tagwright_github::GithubError;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OciError {
    /// A reference does not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// A chart is invalid or unreadable.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// An OCI layout is invalid or unwritable.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The GitHub Packages API failed.
    #[error(transparent)]
    Github(#[from] GithubError),
    /// Nothing is at the reference.
    #[error("{reference}: not found")]
    NotFound {
        /// The reference.
        reference: String,
    },
    /// What is at the reference is not what was asked for (not a chart, a broken manifest).
    #[error("{reference}: {message}")]
    Content {
        /// The reference.
        reference: String,
        /// What is wrong.
        message: String,
    },
    /// The request itself is wrong (a missing tag, a name that does not match the chart).
    #[error("{0}")]
    Usage(String),
    /// A delete stopped half-way; says what was deleted and what remains.
    #[error("{done}; but {remaining}: {source}")]
    Partial {
        /// What was deleted.
        done: String,
        /// What remains.
        remaining: String,
        /// Why it stopped.
        #[source]
        source: Box<OciError>,
    },
}

impl OciError {
    /// Whether the input was at fault (bad reference, bad chart, bad request, an unusable layout or CA
    /// file) rather than a check or the remote side: binaries exit 2 for these, 1 otherwise. Content
    /// that does not match its digest or size is an integrity failure (1), wherever it was read.
    pub fn is_input_error(&self) -> bool {
        match self {
            OciError::Reference(_) | OciError::Chart(_) | OciError::Usage(_) => true,
            OciError::Layout(e) => !matches!(e, LayoutError::Integrity { .. }),
            OciError::Registry(e) => matches!(e, RegistryError::Setup(_) | RegistryError::Io(_)),
            _ => false,
        }
    }
}
