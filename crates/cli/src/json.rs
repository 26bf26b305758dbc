//! The one JSON envelope of every `--json` document tagwright prints: `{"schema_version": 1,
//! "status": …, …}`, the command's fields flattened after those two, and for a failure
//! `{"schema_version": 1, "status": "error", "error": {"message", "exit_code", "file", "line",
//! "column"}}`. docs/STABILITY.md lists the documents; `tests/snapshots/` holds one of each.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::{Failure, out};

/// Whether this process printed a document: a command prints one at most.
static PRINTED: AtomicBool = AtomicBool::new(false);

/// The schema version of every document: fields are only added within it.
pub const SCHEMA_VERSION: u32 = 1;

/// A document: the envelope and the command's own fields.
#[derive(Debug, Serialize)]
pub struct Document<T> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What the command came to: `ok`, `failed`, `error`, or a command's own (`ready`, `timeout`,
    /// `passed`).
    pub status: &'static str,
    /// The command's own fields.
    #[serde(flatten)]
    pub body: T,
}

impl<T: Serialize> Document<T> {
    /// `body` under `status`.
    pub fn new(status: &'static str, body: T) -> Document<T> {
        Document { schema_version: SCHEMA_VERSION, status, body }
    }

    /// The document, pretty-printed, with a final newline.
    pub fn render(&self) -> String {
        match serde_json::to_string_pretty(self) {
            Ok(text) => format!("{text}\n"),
            // Our own types serialize; should one not, the reader still gets a document.
            Err(e) => Document::new("error", Failed::from(&Failure::input(format!("JSON: {e}")))).render(),
        }
    }
}

/// The body of a failure's document.
#[derive(Debug, Serialize)]
pub struct Failed {
    /// What failed.
    pub error: ErrorDetail,
}

/// What failed: the message (with its causes), the exit code, and where in a file (null when no
/// file is at fault).
#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    /// The message.
    pub message: String,
    /// The exit code.
    pub exit_code: u8,
    /// The file at fault, relative to the repository.
    pub file: Option<String>,
    /// Its line (1-based).
    pub line: Option<usize>,
    /// Its column (1-based).
    pub column: Option<usize>,
}

impl From<&Failure> for Failed {
    fn from(failure: &Failure) -> Failed {
        Failed {
            error: ErrorDetail {
                message: failure.message.clone(),
                exit_code: failure.code,
                file: None,
                line: None,
                column: None,
            },
        }
    }
}

/// Prints `body` as one document under `status`.
pub fn print(status: &'static str, body: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(&Document::new(status, body))
        .map_err(|e| Failure::input(format!("JSON: {e}")))?;
    PRINTED.store(true, Ordering::SeqCst);
    out(&format!("{text}\n"));
    Ok(())
}

/// Prints the failure's document.
pub fn print_failure(failure: &Failure) {
    PRINTED.store(true, Ordering::SeqCst);
    out(&Document::new("error", Failed::from(failure)).render());
}

/// Prints the failure's document, unless the command already printed its own (`verify` and
/// `doctor` print their report with status `failed`, then exit 1).
pub fn print_failure_unless_printed(failure: &Failure) {
    if !PRINTED.load(Ordering::SeqCst) {
        print_failure(failure);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_comes_first_and_errors_carry_their_code() {
        #[derive(Serialize)]
        struct Body {
            tag: &'static str,
        }
        let text = Document::new("ok", Body { tag: "v1.2.0" }).render();
        assert_eq!(text, "{\n  \"schema_version\": 1,\n  \"status\": \"ok\",\n  \"tag\": \"v1.2.0\"\n}\n");
        let failed = Document::new("error", Failed::from(&Failure::check("the tag moved"))).render();
        let value: serde_json::Value = serde_json::from_str(&failed).expect("JSON");
        assert_eq!(
            value["error"],
            serde_json::json!({"message": "the tag moved", "exit_code": 1, "file": null, "line": null, "column": null})
        );
    }
}
