//! `cargo xtask bench install`: from nothing to `tagwright --version` on this machine, the way a user
//! installs it (the release wheel with `uv tool install`, no network, a cold uv cache) against the way
//! they had to before (`cargo install --locked --path crates/cli`, offline, a cold target directory:
//! every crate compiled). The wheel is built first (`cargo xtask dist`), outside the measurement. One
//! run each: a cold cargo install takes minutes. Target: the wheel under 10 s.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, ensure};

use super::{Sample, measure_env};
use crate::{check_failed, cmd, setup};

/// The install target, in seconds.
const TARGET_SECONDS: f64 = 10.0;

pub(super) fn install(_runs: usize) -> Result<ExitCode> {
    ensure!(Path::new("/usr/bin/time").is_file(), "GNU time is missing: run `cargo xtask setup`");
    let uv = cmd::find("uv")
        .or_else(|| Some(setup::venv().join("bin/uv")).filter(|p| p.is_file()))
        .context("uv is missing: run `cargo xtask setup`")?;
    let root = setup::workspace_root();
    let work = tempfile::tempdir().context("temporary directory")?;
    let dist = work.path().join("dist");
    println!("building the release wheel (cargo xtask dist; not measured)");
    let xtask = std::env::current_exe().context("this xtask")?;
    cmd::run(Command::new(xtask).args(["dist", "--out"]).arg(&dist).current_dir(&root))?;
    let wheel = std::fs::read_dir(&dist)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("no wheel")?;
    let size = std::fs::metadata(&wheel)?.len();

    let uv_home = work.path().join("uv");
    let script = format!(
        "\"$UV\" tool install --quiet --offline --no-index {wheel} && \"$UV_TOOL_BIN_DIR/tagwright\" --version",
        wheel = shell_quote(&wheel.display().to_string())
    );
    let env: Vec<(String, String)> = [
        ("UV", uv.display().to_string()),
        ("UV_CACHE_DIR", uv_home.join("cache").display().to_string()),
        ("UV_TOOL_DIR", uv_home.join("tools").display().to_string()),
        ("UV_TOOL_BIN_DIR", uv_home.join("bin").display().to_string()),
        ("UV_PYTHON_DOWNLOADS", "never".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    println!("measuring: uv tool install of the wheel ({:.1} MiB), then tagwright --version", mib(size));
    let (wheel_sample, out) =
        measure_env(work.path(), Path::new("sh"), &["-c".to_owned(), script], &env, true)?;
    ensure!(
        String::from_utf8_lossy(&out).starts_with("tagwright "),
        "the installed tagwright did not answer"
    );

    let cargo_root = work.path().join("cargo");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let script = format!(
        "{cargo} install --quiet --locked --offline --path crates/cli --root {root} --target-dir {target} && {root}/bin/tagwright --version",
        cargo = shell_quote(&cargo),
        root = shell_quote(&cargo_root.display().to_string()),
        target = shell_quote(&work.path().join("target").display().to_string()),
    );
    println!(
        "measuring: cargo install --locked --path crates/cli (cold target directory), then tagwright --version"
    );
    let (cargo_sample, out) = measure_env(&root, Path::new("sh"), &["-c".to_owned(), script], &[], true)?;
    ensure!(String::from_utf8_lossy(&out).starts_with("tagwright "), "the compiled tagwright did not answer");

    report(wheel_sample, cargo_sample, size)
}

fn report(wheel: Sample, cargo: Sample, size: u64) -> Result<ExitCode> {
    println!("\n{:<34} {:>10}", "from nothing to tagwright --version", "wall time");
    println!("{:<34} {:>8.2} s", "uv tool install (the wheel)", wheel.seconds);
    println!("{:<34} {:>8.2} s", "cargo install --locked --path", cargo.seconds);
    println!(
        "\nratio (cargo install / uv tool install): {:.1}x; the wheel is {:.1} MiB",
        cargo.seconds / wheel.seconds,
        mib(size)
    );
    if wheel.seconds > TARGET_SECONDS {
        return Err(check_failed(format!(
            "the wheel installed in {:.2} s, over the {TARGET_SECONDS} s target",
            wheel.seconds
        )));
    }
    println!("target met: under {TARGET_SECONDS} s");
    Ok(ExitCode::SUCCESS)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
