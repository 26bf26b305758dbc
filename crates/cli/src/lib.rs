//! Glue shared by tagwright's binaries: exit codes, output that survives a closed pipe, error rendering
//! and GitHub Actions workflow commands.
//!
//! The binaries themselves (`src/bin/*.rs`) only parse arguments, call a library crate and map its
//! errors to these exit codes.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

mod artifact;
pub mod attest;
pub mod docs;
pub mod doctor;
pub mod flows;
pub mod forge;
pub mod gate;
pub mod github_release;
pub mod json;
pub mod keyless;
pub mod notes;
pub mod oci;
pub mod retag;
pub mod verify;

use tagwright_release::ErrorKind;

/// Exit codes shared by every binary. They are part of the command-line contract; the numbers are
/// [`ErrorKind::exit_code`]'s.
pub mod exit {
    use super::ErrorKind;

    /// Everything checked out.
    pub const OK: u8 = 0;
    /// A check failed: versions disagree, a checksum does not match, a signature is bad.
    pub const CHECK_FAILED: u8 = ErrorKind::Check.exit_code();
    /// Bad usage or bad input: unknown flag, missing file, unparsable file.
    pub const USAGE: u8 = ErrorKind::Input.exit_code();
    /// A wait timed out.
    pub const TIMEOUT: u8 = ErrorKind::Timeout.exit_code();
}

/// A binary's failure: the exit code and the message (the whole cause chain) to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What went wrong, with its causes.
    pub message: String,
}

impl Failure {
    /// A failed check (exit 1).
    pub fn check(message: impl Into<String>) -> Failure {
        Failure { code: exit::CHECK_FAILED, message: message.into() }
    }

    /// Bad usage or input (exit 2).
    pub fn input(message: impl Into<String>) -> Failure {
        Failure { code: exit::USAGE, message: message.into() }
    }

    /// A failure of `kind`, caused by `err` (whose whole chain is the message).
    pub fn of(kind: ErrorKind, err: &(dyn std::error::Error + 'static)) -> Failure {
        Failure { code: kind.exit_code(), message: tagwright_text::error_chain(err) }
    }

    /// Prints `program: error: …` on stderr and returns the exit code.
    pub fn report(&self, program: &str) -> ExitCode {
        eprintln!("{program}: error: {}", self.message);
        ExitCode::from(self.code)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<tagwright_release::Error> for Failure {
    fn from(err: tagwright_release::Error) -> Failure {
        Failure::of(err.kind(), &err)
    }
}

impl From<anyhow::Error> for Failure {
    /// An error a binary met itself: a [`Failure`] inside keeps its code, anything else is bad input.
    fn from(err: anyhow::Error) -> Failure {
        match err.downcast_ref::<Failure>() {
            Some(failure) => failure.clone(),
            None => Failure::input(tagwright_text::error_chain(err.as_ref())),
        }
    }
}

/// Writes to stdout; a closed pipe (`version-check | head -1`) ends the process quietly with success.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(exit::OK));
        }
        eprintln!("error: cannot write to stdout: {err}");
        std::process::exit(i32::from(exit::USAGE));
    }
}

/// On SIGINT or SIGTERM, removes the temporary files the libraries hold (partial downloads, staged
/// blobs) and exits as a process ended by that signal reports it: 130 or 143. Call it first thing in
/// `main` of a binary that downloads or writes through temporary files.
pub fn remove_temporary_files_on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else { return };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            tagwright_oci_publish::scratch::remove_all();
            std::process::exit(128 + signal);
        }
    });
}

/// How to reach a registry: `--insecure-registry HOST` and `--ca-file FILE`, in every command that
/// does.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryAccess {
    /// Reach HOST over plain HTTP (loopback hosts always are, unless --ca-file is given).
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure: Vec<String>,
    /// Trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<std::path::PathBuf>,
}

impl RegistryAccess {
    /// The registry options these flags give.
    pub fn options(&self) -> tagwright_oci_publish::RegistryOptions {
        let mut options = tagwright_oci_publish::RegistryOptions::default();
        options.insecure_hosts.clone_from(&self.insecure);
        options.ca_file.clone_from(&self.ca_file);
        options
    }
}

/// Prints `body` as one JSON document with `--json`, else `text`.
pub fn report(json: bool, body: &impl serde::Serialize, text: &str) -> Result<(), Failure> {
    if json {
        return json::print("ok", body);
    }
    out(text);
    Ok(())
}

/// One check of a report, as `verify` and `doctor` print it: `  ok   NAME: DETAIL` or
/// `  FAIL NAME: DETAIL`.
pub fn check_line(ok: bool, name: &str, detail: &str) -> String {
    format!("  {} {name}: {detail}\n", if ok { "ok  " } else { "FAIL" })
}

/// The GitHub repository `OWNER/REPO` on `GITHUB_API_URL` (default: api.github.com), with the token
/// from `GITHUB_TOKEN`, else `GH_TOKEN`.
pub fn github_target(
    owner_repo: &str,
    http: &HttpTimeout,
) -> Result<tagwright_release::GithubTarget, Failure> {
    let env = |name: &str| std::env::var(name).ok();
    let (api, token) = (tagwright_github::api_from_env(&env), tagwright_github::token_from_env(&env));
    let mut target = tagwright_release::GithubTarget::parse(owner_repo, &api, token)?;
    target.deadline = http.deadline();
    Ok(target)
}

/// `--http-timeout SECS`: how long one GitHub API request may take, its retries and rate-limit waits
/// included, in every command that asks GitHub.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpTimeout {
    /// Give up on a GitHub API request (retries and rate-limit waits included) after SECS seconds.
    #[arg(long = "http-timeout", value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub seconds: u64,
}

impl HttpTimeout {
    /// The deadline of one request.
    pub fn deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.seconds)
    }
}

/// Escapes the message part of a GitHub Actions workflow command.
pub fn github_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value (`file=…`, `title=…`) of a GitHub Actions workflow command.
pub fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Renders rows as left-aligned columns separated by two spaces, without trailing blanks.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < row.len() {
                line.push_str(&" ".repeat(widths[i] - cell.chars().count()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Parses a duration: `20m`, `90s`, `1h30m`, `500ms`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration: use forms like 20m, 90s, 1h30m or 500ms");
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let value: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ms" => Duration::from_millis(value),
            "s" => Duration::from_secs(value),
            "m" => Duration::from_secs(value * 60),
            "h" => Duration::from_secs(value * 3600),
            _ => return Err(bad()),
        };
        total += unit;
        rest = &rest[unit_end..];
    }
    if text.is_empty() { Err(bad()) } else { Ok(total) }
}

/// The root of the git repository `dir` is in, as git finds it: `dir` or its nearest ancestor that
/// holds `.git`. `None` outside a repository.
pub fn git_root(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let dir = dir.canonicalize().ok()?;
    dir.ancestors().find(|d| d.join(".git").exists()).map(std::path::Path::to_path_buf)
}

/// `--repo DIR`'s parser: the root of the repository DIR is in (DIR itself when it is the root, or
/// not in a repository), so that every command works from any directory of a repository.
pub fn repo_dir(text: &str) -> Result<std::path::PathBuf, String> {
    let dir = std::path::PathBuf::from(text);
    if dir.join(".git").exists() {
        return Ok(dir);
    }
    Ok(git_root(&dir).unwrap_or(dir))
}

/// `attest sbom --repo DIR`'s parser: the project DIR belongs to, which is the nearest directory from
/// DIR up to its repository's root that holds a lock (`uv.lock` or `Cargo.lock`): the root's for a
/// project at the root, a subdirectory's in a monorepo. Else the repository's root, as [`repo_dir`].
pub fn project_dir(text: &str) -> Result<std::path::PathBuf, String> {
    let dir = std::path::PathBuf::from(text);
    let root = repo_dir(text)?;
    let (Ok(start), Ok(top)) = (dir.canonicalize(), root.canonicalize()) else { return Ok(root) };
    let found = start
        .ancestors()
        .take_while(|d| d.starts_with(&top))
        .find(|d| d.join("uv.lock").is_file() || d.join("Cargo.lock").is_file());
    Ok(found.map_or(root, std::path::Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_is_the_nearest_directory_with_a_lock() {
        let repo = tempfile::tempdir().expect("tempdir");
        let root = repo.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(root.join(".git")).expect("mkdir");
        std::fs::create_dir_all(root.join("services/api/src")).expect("mkdir");
        std::fs::create_dir_all(root.join("docs")).expect("mkdir");
        std::fs::write(root.join("uv.lock"), "").expect("write");
        std::fs::write(root.join("services/api/uv.lock"), "").expect("write");
        let at = |dir: &str| project_dir(&root.join(dir).display().to_string()).expect("a directory");
        assert_eq!(at("services/api/src"), root.join("services/api"), "a monorepo's project");
        assert_eq!(at("docs"), root, "a subdirectory of the project at the root");
        assert_eq!(at(""), root);
        std::fs::remove_file(root.join("uv.lock")).expect("remove");
        assert_eq!(at("docs"), root, "no lock: the repository's root");
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("20m"), Ok(Duration::from_secs(1200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("").is_err() && parse_duration("5x").is_err() && parse_duration("m").is_err());
    }

    #[test]
    fn github_escapes() {
        assert_eq!(github_data("50% off\nnow"), "50%25 off%0Anow");
        assert_eq!(github_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn tables_align() {
        let t = table(&["A", "LONG"], &[vec!["xyz".into(), "1".into()], vec!["q".into(), "".into()]]);
        assert_eq!(t, "A    LONG\nxyz  1\nq\n");
    }
}
