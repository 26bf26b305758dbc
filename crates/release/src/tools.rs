//! The external programs a flow runs, found as a product finds them: an explicit path, else `PATH`.

use std::path::PathBuf;
use std::process::Command;

/// The first `program` on `PATH` that is a file.
pub(crate) fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// How a command is shown: `program arg …`.
fn display(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `command` with its output captured; a failure says what ran and what it wrote to stderr.
pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("cannot run `{}`: {e}", display(command)))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{}` failed ({}): {}",
        display(command),
        output.status,
        String::from_utf8_lossy(&output.stderr).trim_end()
    ))
}
