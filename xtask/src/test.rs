//! `cargo xtask test`: the one command that CI runs.
//!
//! Installs missing peers, then fails on `cargo fmt --check`, on any clippy warning, on a dependency
//! that `cargo deny check licenses bans sources` refuses, on any failing test, and on any crash in a short run of every fuzz target (15 s each, from its seeds). The tests
//! find the Python peers through `PATH`, which this sets.

use std::process::{Command, ExitCode};

use anyhow::Result;

use crate::{cmd, setup};

/// Arguments of `cargo xtask test`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Skip `cargo fmt --check` and clippy.
    #[arg(long)]
    no_lint: bool,
    /// Skip the short fuzzing run (each target for 15 s) that follows the tests.
    #[arg(long)]
    no_fuzz: bool,
    /// Extra arguments for `cargo test` (after `--`), such as a test name filter.
    #[arg(last = true)]
    test_args: Vec<String>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    setup::run(&setup::Args { check: false })?;
    let root = setup::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut path = vec![setup::venv().join("bin")];
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    let path = std::env::join_paths(path)?;
    let step = |name: &str, args: &[&str]| -> Result<()> {
        let mut command = Command::new(&cargo);
        command
            .args(args)
            .current_dir(&root)
            .env("PATH", &path)
            .env("UV_PYTHON_DOWNLOADS", "never")
            .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt");
        println!("==> {name}: {}", cmd::display(&command));
        cmd::run(&mut command)
    };
    if !args.no_lint {
        step("format", &["fmt", "--all", "--check"])?;
        step("lint", &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])?;
        // deny.toml's licenses, bans and sources. Advisories need the RustSec database from the
        // network, so CI leaves them out: run `cargo deny check advisories` by hand.
        step("dependencies", &["deny", "--locked", "check", "licenses", "bans", "sources"])?;
    }
    let mut test: Vec<&str> = vec!["test", "--workspace", "--locked"];
    if !args.test_args.is_empty() {
        test.push("--");
        test.extend(args.test_args.iter().map(String::as_str));
    }
    step("test", &test)?;
    if args.test_args.is_empty() && !args.no_fuzz {
        // Every fuzz target, briefly, from its seeds: a parser that panics fails CI.
        crate::fuzz::run(&crate::fuzz::Args::brief())?;
    }
    println!("==> all checks passed");
    Ok(ExitCode::SUCCESS)
}
