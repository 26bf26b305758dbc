//! Running external programs: always with an explicit working directory, echoing what runs.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};

/// A command for `program`, run in `dir`.
pub(crate) fn command(program: &str, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir);
    command
}

/// `git` in `dir`, away from the user's and the system's configuration (signing keys, hooks,
/// aliases), with `name <email>` as author and committer.
pub(crate) fn git(dir: &Path, name: &str, email: &str) -> Command {
    let mut command = command("git", dir);
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", email);
    command
}

/// How a command is shown to the user: `$ program arg …`.
pub(crate) fn display(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        text.push(' ');
        if arg.contains([' ', '"', '\'']) || arg.is_empty() {
            text.push_str(&format!("'{}'", arg.replace('\'', "'\\''")));
        } else {
            text.push_str(&arg);
        }
    }
    text
}

/// Runs a command with inherited output and fails unless it succeeds.
pub(crate) fn run(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("cannot run `{}`", display(command)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(command));
    }
    Ok(())
}

/// Runs a command, capturing its output, and fails unless it succeeds.
pub(crate) fn output(command: &mut Command) -> Result<Output> {
    let output = command.output().with_context(|| format!("cannot run `{}`", display(command)))?;
    if !output.status.success() {
        bail!(
            "`{}` failed ({}): {}",
            display(command),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(output)
}

/// True when `program` can be found on `PATH`.
pub(crate) fn on_path(program: &str) -> bool {
    find(program).is_some()
}

/// The full path of `program` on `PATH`.
pub(crate) fn find(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}
