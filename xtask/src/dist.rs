//! `cargo xtask dist`: what a release ships for one target, built here: the archive
//! `tagwright-X.Y.Z-<target>.tar.gz` (the six binaries, README.md and the licenses; reproducible:
//! sorted names, owner 0, and the mtime of `SOURCE_DATE_EPOCH`, else HEAD's commit time), the wheel
//! (maturin, bin bindings, from `pyproject.toml`) and `checksums.txt` over both. The release workflow
//! runs it per target; a test installs what it makes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd;
use crate::setup::{target_dir, venv, workspace_root};

/// The binaries of tagwright-cli, in the archive and the wheel.
pub(crate) const BINARIES: [&str; 6] =
    ["tagwright", "version-check", "checksum", "release-notes", "oci-publish", "attest"];

/// `cargo xtask dist` options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The cargo profile (`release` ships; `dev` builds fast, for tests).
    #[arg(long, default_value = "release")]
    profile: String,
    /// The target triple (default: this machine's).
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
    /// Where the archive, the wheel and checksums.txt go (default: target/dist).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The archive only (no maturin).
    #[arg(long)]
    no_wheel: bool,
    /// Also the sdist (`maturin sdist`), which PyPI gets beside the wheels.
    #[arg(long, conflicts_with = "no_wheel")]
    sdist: bool,
}

/// Builds the archive and the wheel; prints their paths and sizes.
pub(crate) fn run(args: &Args) -> Result<()> {
    let root = workspace_root();
    let version = version(&root)?;
    let target = match &args.target {
        Some(target) => target.clone(),
        None => host_triple()?,
    };
    let out = args.out.clone().unwrap_or_else(|| target_dir().join("dist"));
    std::fs::create_dir_all(&out).with_context(|| format!("{}: cannot create", out.display()))?;

    let mut build = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    build.args(["build", "--locked", "--bins", "-p", "tagwright-cli", "--profile", &args.profile]);
    if args.target.is_some() {
        build.args(["--target", &target]);
    }
    cmd::run(build.current_dir(&root))?;
    let profile_dir = if args.profile == "dev" { "debug" } else { args.profile.as_str() };
    let mut bin = target_dir();
    if args.target.is_some() {
        bin.push(&target);
    }
    bin.push(profile_dir);

    let name = format!("tagwright-{version}-{target}");
    let archive = out.join(format!("{name}.tar.gz"));
    write_archive(&root, &bin, args.profile == "release", &name, &archive)?;
    let mut made = vec![archive];
    if !args.no_wheel {
        made.push(wheel(&root, args, &out)?);
    }
    if args.sdist {
        made.push(sdist(&root, &out, &version)?);
    }
    let names: Vec<String> =
        made.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
    let mut checksums = Command::new(bin.join("checksum"));
    checksums.args(["--output", "checksums.txt", "--"]).args(&names).current_dir(&out);
    cmd::run(&mut checksums)?;
    for path in &made {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        println!("{} ({:.1} MiB)", path.display(), size as f64 / f64::from(1 << 20));
    }
    println!("{}", out.join("checksums.txt").display());
    Ok(())
}

/// tagwright's version: the one its lockstep sources agree on.
fn version(root: &Path) -> Result<String> {
    let inventory = tagwright_versions::read(root)?;
    let report = tagwright_versions::check(&inventory, None)?;
    match report.expected {
        Some(version) if report.status == tagwright_versions::Status::Ok => Ok(version.to_semver()),
        _ => bail!("the version sources disagree: run version-check"),
    }
}

/// `rustc -vV`'s host triple.
fn host_triple() -> Result<String> {
    let output = cmd::output(Command::new("rustc").arg("-vV"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("rustc -vV printed no host")
}

/// The archive: `NAME/` holding the binaries (0755), README.md and the licenses (0644), sorted,
/// owned by 0:0, every mtime the source date; gzip without a name or a time in its header.
fn write_archive(root: &Path, bin: &Path, release_profile: bool, name: &str, archive: &Path) -> Result<()> {
    // The one home of the package time: SOURCE_DATE_EPOCH, else HEAD's commit time.
    let (epoch, _) = tagwright_oci_publish::chart::package_time(root)?;
    let mut entries: Vec<(String, PathBuf, u32)> = Vec::new();
    // The release profile strips; a dev build's binaries are stripped here, as the wheel's are.
    let stripped = tempfile::tempdir()?;
    for program in BINARIES {
        let path = bin.join(program);
        let path = match cmd::find("strip") {
            Some(strip) if !release_profile => {
                let copy = stripped.path().join(program);
                cmd::run(Command::new(strip).arg("-o").arg(&copy).arg(&path))?;
                copy
            }
            _ => path,
        };
        entries.push((program.to_owned(), path, 0o755));
    }
    for doc in ["LICENSE-APACHE", "LICENSE-MIT", "README.md"] {
        entries.push((doc.to_owned(), root.join(doc), 0o644));
    }
    entries.sort();
    let partial = archive.with_extension("gz.partial");
    let file =
        std::fs::File::create(&partial).with_context(|| format!("{}: cannot create", partial.display()))?;
    let gz = flate2::GzBuilder::new().mtime(0).write(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut directory = tar::Header::new_gnu();
    directory.set_entry_type(tar::EntryType::Directory);
    stamp(&mut directory, 0o755, 0, epoch);
    tar.append_data(&mut directory, format!("{name}/"), std::io::empty())?;
    for (entry, path, mode) in entries {
        let bytes = std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        let mut header = tar::Header::new_gnu();
        stamp(&mut header, mode, bytes.len() as u64, epoch);
        tar.append_data(&mut header, format!("{name}/{entry}"), bytes.as_slice())?;
    }
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()?.sync_all()?;
    std::fs::rename(&partial, archive).with_context(|| format!("{}: cannot write", archive.display()))
}

fn stamp(header: &mut tar::Header, mode: u32, size: u64, epoch: u64) {
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(epoch);
}

/// maturin's wheel of `pyproject.toml` for the target, into `out`; its path.
fn wheel(root: &Path, args: &Args, out: &Path) -> Result<PathBuf> {
    let mut build = Command::new(maturin()?);
    build.args(["build", "--locked", "--profile", &args.profile, "--out"]).arg(out).current_dir(root);
    if let Some(target) = &args.target {
        build.args(["--target", target]);
    }
    cmd::run(&mut build)?;
    // The newest of our wheels in `out`: the one maturin just wrote.
    wheels(out)
        .into_iter()
        .filter(|w| w.file_name().is_some_and(|n| n.to_string_lossy().starts_with("tagwright-")))
        .max_by_key(|w| std::fs::metadata(w).and_then(|m| m.modified()).ok())
        .context("maturin made no wheel")
}

/// `maturin sdist`: `tagwright-X.Y.Z.tar.gz` in `out`.
fn sdist(root: &Path, out: &Path, version: &str) -> Result<PathBuf> {
    let mut build = Command::new(maturin()?);
    cmd::run(build.args(["sdist", "--out"]).arg(out).current_dir(root))?;
    let path = out.join(format!("tagwright-{version}.tar.gz"));
    anyhow::ensure!(path.is_file(), "maturin made no {}", path.display());
    Ok(path)
}

fn maturin() -> Result<PathBuf> {
    cmd::find("maturin")
        .or_else(|| Some(venv().join("bin/maturin")).filter(|p| p.is_file()))
        .context("maturin is not installed: `cargo xtask setup` installs it (or pip install maturin)")
}

fn wheels(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "whl"))
                .collect()
        })
        .unwrap_or_default()
}
