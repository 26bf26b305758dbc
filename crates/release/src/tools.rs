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

/// Runs `command` with no input and its output captured, for at most `timeout` (then it is killed);
/// returns its stdout. A failure names the command and gives the last line it wrote to stderr.
pub(crate) fn output(command: &mut Command, timeout: std::time::Duration) -> Result<String, String> {
    use std::io::Read;
    use std::process::Stdio;
    let shown = display(command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let (mut stdout, mut stderr) = (child.stdout.take(), child.stderr.take());
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        stdout.as_mut().map(|s| s.take(16 << 20).read_to_end(&mut text));
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        stderr.as_mut().map(|s| s.take(1 << 20).read_to_end(&mut text));
        text
    });
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{shown}` did not finish within {}s", timeout.as_secs()));
            }
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if status.success() {
        return Ok(String::from_utf8_lossy(&stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    Err(format!("`{shown}` failed ({status}): {last}"))
}
