//! `cargo xtask bench sbom`: ours and the peer on the same synthetic uv project.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, ensure};

use super::{Tool, build_release, interleaved};
use crate::{check_failed, cmd, setup};

/// A uv project whose uv.lock holds `packages` registry packages (plus the project): each with an sdist
/// and three wheels, hashes, and up to three dependencies on later packages (the next one among them, so that all are reachable); the project depends on the
/// first fiftieth, one extra and a dev group. uv reads it (`uv export --frozen`).
fn synthetic_uv_project(dir: &Path, packages: usize) -> Result<()> {
    use std::fmt::Write as _;
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let name = |i: usize| format!("bench-pkg-{i:05}");
    let hash =
        |i: usize, n: usize| format!("{:064x}", (i as u128 * 1_000_003 + n as u128) * 0x9E37_79B9_7F4A_7C15);
    let direct = (packages / 50).max(1);
    let mut pyproject = String::from(
        "[project]\nname = \"bench-app\"\nversion = \"1.0.0\"\nrequires-python = \">=3.11\"\ndependencies = [\n",
    );
    for i in 0..direct {
        writeln!(pyproject, "    \"{}\",", name(i))?;
    }
    pyproject.push_str("]\n\n[project.optional-dependencies]\nextra = [\"bench-pkg-00001\"]\n\n[dependency-groups]\ndev = [\"bench-pkg-00002\"]\n");
    let mut lock = String::from(
        "version = 1\nrevision = 3\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"bench-app\"\nversion = \"1.0.0\"\nsource = { editable = \".\" }\ndependencies = [\n",
    );
    for i in 0..direct {
        writeln!(lock, "    {{ name = \"{}\" }},", name(i))?;
    }
    lock.push_str("]\n\n[package.optional-dependencies]\nextra = [\n    { name = \"bench-pkg-00001\" },\n]\n\n[package.dev-dependencies]\ndev = [\n    { name = \"bench-pkg-00002\" },\n]\n\n[package.metadata]\nrequires-dist = [\n");
    for i in 0..direct {
        writeln!(lock, "    {{ name = \"{}\" }},", name(i))?;
    }
    lock.push_str("    { name = \"bench-pkg-00001\", marker = \"extra == 'extra'\" },\n]\nprovides-extras = [\"extra\"]\n\n[package.metadata.requires-dev]\ndev = [{ name = \"bench-pkg-00002\" }]\n");
    for i in 0..packages {
        let n = name(i);
        let version = format!("1.{}.0", i % 97);
        write!(
            lock,
            "\n[[package]]\nname = \"{n}\"\nversion = \"{version}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n"
        )?;
        let deps: Vec<usize> = {
            let mut deps: Vec<usize> =
                [i + 1, i * 2 + 1, i * 3 + 2].into_iter().filter(|&d| d < packages && d > i).collect();
            deps.dedup();
            deps
        };
        if !deps.is_empty() {
            lock.push_str("dependencies = [\n");
            for d in deps {
                writeln!(lock, "    {{ name = \"{}\" }},", name(d))?;
            }
            lock.push_str("]\n");
        }
        let url = format!("https://files.pythonhosted.org/packages/aa/bb/{}", "c".repeat(60));
        writeln!(
            lock,
            "sdist = {{ url = \"{url}/{n}-{version}.tar.gz\", hash = \"sha256:{}\", size = 1234, upload-time = \"2026-01-01T00:00:00Z\" }}",
            hash(i, 0)
        )?;
        lock.push_str("wheels = [\n");
        for (w, tag) in ["cp311-cp311-manylinux_2_17_x86_64", "cp312-cp312-macosx_11_0_arm64", "py3-none-any"]
            .iter()
            .enumerate()
        {
            writeln!(
                lock,
                "    {{ url = \"{url}/{}-{version}-{tag}.whl\", hash = \"sha256:{}\", size = 4321, upload-time = \"2026-01-01T00:00:00Z\" }},",
                n.replace('-', "_"),
                hash(i, w + 1)
            )?;
        }
        lock.push_str("]\n");
    }
    std::fs::write(dir.join("pyproject.toml"), pyproject)?;
    std::fs::write(dir.join("uv.lock"), lock)?;
    Ok(())
}

/// `attest sbom` against `uv export --format cyclonedx1.5` on a 1,500-package uv.lock.
pub(super) fn sbom(runs: usize) -> Result<ExitCode> {
    ensure!(Path::new("/usr/bin/time").is_file(), "GNU time is missing: run `cargo xtask setup`");
    let uv = cmd::find("uv")
        .or_else(|| Some(setup::venv().join("bin/uv")).filter(|p| p.is_file()))
        .ok_or_else(|| anyhow::anyhow!("uv is missing: run `cargo xtask setup`"))?;
    let ours = build_release("tagwright-cli", "attest")?;
    let data = ours.parent().and_then(Path::parent).expect("target/release/x").join("bench/sbom");
    synthetic_uv_project(&data.join("project"), 1500)?;
    let project = data.join("project");
    let theirs_out = data.join("uv.cdx.json");
    let ours_out = data.join("attest.cdx.json");
    let tools = [
        Tool {
            label: "uv export",
            program: uv,
            args: [
                "export",
                "--format",
                "cyclonedx1.5",
                "--preview-features",
                "sbom-export",
                "--frozen",
                "--offline",
                "--all-extras",
                "--all-groups",
                "--output-file",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .chain([theirs_out.to_string_lossy().into_owned()])
            .collect(),
        },
        Tool {
            label: "attest sbom",
            program: ours,
            args: vec![
                "sbom".to_owned(),
                "--spec".to_owned(),
                "1.5".to_owned(),
                "-o".to_owned(),
                ours_out.to_string_lossy().into_owned(),
            ],
        },
    ];
    let (medians, _) = interleaved(&project, &tools, &[], runs)?;
    let purls = |path: &Path| -> Result<Vec<String>> {
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
        let mut purls: Vec<String> = doc["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["purl"].as_str().map(str::to_owned))
            .collect();
        purls.sort();
        Ok(purls)
    };
    let (theirs_purls, our_purls) = (purls(&theirs_out)?, purls(&ours_out)?);
    ensure!(
        theirs_purls == our_purls,
        "the purl sets differ: compare {} and {}",
        theirs_out.display(),
        ours_out.display()
    );
    println!(
        "\nuv.lock: {} packages; both SBOMs list the same {} purls",
        our_purls.len() + 1,
        our_purls.len()
    );
    println!("{:<14} {:>9} {:>10}", "tool", "median", "peak RSS");
    for (tool, m) in tools.iter().zip(&medians) {
        println!("{:<14} {:>7.3} s {:>6.1} MiB", tool.label, m.seconds, m.rss_kib as f64 / 1024.0);
    }
    let ratio = medians[0].seconds / medians[1].seconds;
    let rss_mib = medians[1].rss_kib as f64 / 1024.0;
    println!(
        "\nratio (uv export / attest sbom): {ratio:.2}x  (target >= 1x)  {}",
        if ratio >= 1.0 { "ok" } else { "MISSED" }
    );
    println!(
        "our peak RSS: {rss_mib:.1} MiB  (target < 64 MiB)  {}",
        if rss_mib < 64.0 { "ok" } else { "MISSED" }
    );
    if ratio < 1.0 || rss_mib >= 64.0 {
        return Err(check_failed("benchmark targets missed"));
    }
    Ok(ExitCode::SUCCESS)
}
