//! `cargo xtask bench checksum`: ours against `sha256sum` and `openssl dgst`, on one big file, many
//! mid-sized files, many small ones and a sparse one.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Result, ensure};

use super::{Sample, Tool, build_release, generate, measure, median};
use crate::{check_failed, cmd};

/// Parses `openssl dgst` lines (`SHA2-256(name)= hex`) into the hex digests.
fn openssl_digests(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| l.rsplit_once("= ").map(|(_, hex)| hex.to_owned()))
        .collect()
}

fn gnu_digests(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout).lines().map(|l| l.chars().take(64).collect()).collect()
}

pub(super) fn checksum(runs: usize) -> Result<ExitCode> {
    for tool in ["/usr/bin/time", "sha256sum", "openssl"] {
        ensure!(
            Path::new(tool).is_file() || cmd::on_path(tool),
            "{tool} is missing: run `cargo xtask setup`"
        );
    }
    let ours = build_release("tagwright-cli", "checksum")?;
    let data = ours.parent().and_then(Path::parent).expect("target/release/checksum").join("bench/checksum");
    println!("preparing inputs in {} (kept for later runs)", data.display());
    generate(&data.join("one/big.bin"), 1 << 30, 1)?;
    let set64: Vec<String> = (0..64).map(|i| format!("set64/f{i:02}.bin")).collect();
    for (i, name) in set64.iter().enumerate() {
        generate(&data.join(name), 16 << 20, 100 + i as u64)?;
    }
    let small: Vec<String> = (0..10_000).map(|i| format!("small/f{i:05}")).collect();
    for (i, name) in small.iter().enumerate() {
        generate(&data.join(name), 4096, 10_000 + i as u64)?;
    }

    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let acceleration = tagwright_checksums::hardware_acceleration().unwrap_or("none (portable code)");
    let in_binary = count_sha_instructions(&ours);
    println!(
        "\ncores: {cores}; CPU SHA extensions: {acceleration}; SHA-NI instructions in our binary: {}",
        in_binary.map_or_else(|| "unknown (no objdump)".to_owned(), |n| n.to_string())
    );
    println!("{:<22} {:<24} {:>9} {:>11} {:>10}", "input", "tool", "median", "throughput", "peak RSS");

    let sets: [(&str, Vec<String>, u64); 3] = [
        ("1 GiB, 1 file", vec!["one/big.bin".to_owned()], 1 << 30),
        ("64 x 16 MiB", set64, 1 << 30),
        ("10,000 x 4 KiB", small, 10_000 * 4096),
    ];
    let mut results = Vec::new();
    let mut peak_rss = 0;
    for (label, files, bytes) in &sets {
        for (tool, m) in checksum_set(&data, &ours, label, files, *bytes, runs)? {
            if tool.starts_with("checksum") {
                peak_rss = peak_rss.max(m.rss_kib);
            }
            results.push((*label, tool, m));
        }
    }

    // A 4 GiB sparse file: memory must stay flat whatever the size.
    let sparse = data.join("sparse/4gib.bin");
    std::fs::create_dir_all(sparse.parent().expect("parent"))?;
    std::fs::File::create(&sparse)?.set_len(4 << 30)?;
    let (sparse_sample, _) = measure(&data, &ours, &["sparse/4gib.bin".to_owned()], false)?;
    std::fs::remove_file(&sparse)?;
    println!(
        "{:<22} {:<24} {:>7.3} s {:>7.0} MB/s {:>6.1} MiB",
        "4 GiB sparse file",
        "checksum",
        sparse_sample.seconds,
        (4u64 << 30) as f64 / sparse_sample.seconds / 1e6,
        sparse_sample.rss_kib as f64 / 1024.0
    );

    checksum_verdict(&results, peak_rss.max(sparse_sample.rss_kib), cores)
}

/// One input set of the checksum benchmark: every tool warmed up (and checked to agree), then
/// measured `runs` times, interleaved; each tool's median.
fn checksum_set(
    data: &Path,
    ours: &Path,
    label: &str,
    files: &[String],
    bytes: u64,
    runs: usize,
) -> Result<Vec<(&'static str, Sample)>> {
    let files = files.to_vec();
    let tools = [
        Tool { label: "checksum", program: ours.to_path_buf(), args: files.clone() },
        Tool {
            label: "checksum -j 1",
            program: ours.to_path_buf(),
            args: [vec!["-j".into(), "1".into()], files.clone()].concat(),
        },
        Tool {
            label: "openssl dgst -sha256",
            program: PathBuf::from("openssl"),
            args: [vec!["dgst".into(), "-sha256".into()], files.clone()].concat(),
        },
        Tool { label: "sha256sum", program: PathBuf::from("sha256sum"), args: files },
    ];
    // Warm up, and check that everyone computed the same digests.
    let mut reference: Option<Vec<String>> = None;
    for tool in &tools {
        let (_, stdout) = measure(data, &tool.program, &tool.args, false)?;
        let digests =
            if tool.label.starts_with("openssl") { openssl_digests(&stdout) } else { gnu_digests(&stdout) };
        match &reference {
            None => reference = Some(digests),
            Some(expected) => {
                ensure!(*expected == digests, "{} computed different digests on {label}", tool.label)
            }
        }
    }
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); tools.len()];
    for _ in 0..runs {
        for (i, tool) in tools.iter().enumerate() {
            samples[i].push(measure(data, &tool.program, &tool.args, false)?.0);
        }
    }
    let mut medians = Vec::new();
    for (tool, samples) in tools.iter().zip(&samples) {
        let m = median(samples);
        println!(
            "{:<22} {:<24} {:>7.3} s {:>7.0} MB/s {:>6.1} MiB",
            label,
            tool.label,
            m.seconds,
            bytes as f64 / m.seconds / 1e6,
            m.rss_kib as f64 / 1024.0
        );
        medians.push((tool.label, m));
    }
    Ok(medians)
}

/// The checksum benchmark's ratios against its targets; an error names the missed ones.
fn checksum_verdict(results: &[(&str, &str, Sample)], peak_rss_kib: u64, cores: usize) -> Result<ExitCode> {
    let time = |set: &str, tool: &str| {
        results.iter().find(|(s, t, _)| *s == set && *t == tool).map(|(_, _, m)| m.seconds).expect("measured")
    };
    let vs_openssl = time("1 GiB, 1 file", "openssl dgst -sha256") / time("1 GiB, 1 file", "checksum");
    let vs_gnu = time("1 GiB, 1 file", "sha256sum") / time("1 GiB, 1 file", "checksum");
    let parallel = time("64 x 16 MiB", "checksum -j 1") / time("64 x 16 MiB", "checksum");
    let small_vs_gnu = time("10,000 x 4 KiB", "sha256sum") / time("10,000 x 4 KiB", "checksum");
    let rss_mib = peak_rss_kib as f64 / 1024.0;
    println!("\nratios (higher is faster for us)");
    println!("  10,000 x 4 KiB: checksum vs sha256sum    {small_vs_gnu:>5.2}x");
    let parallel_target = if cores >= 2 { 1.6 } else { 1.0 };
    let targets = [
        ("1 GiB: checksum vs openssl dgst -sha256", vs_openssl, 0.9, "x"),
        ("1 GiB: checksum vs sha256sum", vs_gnu, 3.0, "x"),
        ("64 x 16 MiB: all cores vs one thread", parallel, parallel_target, "x"),
    ];
    let mut failed = Vec::new();
    for (name, value, target, unit) in targets {
        let ok = value >= target;
        println!(
            "  {name:<40} {value:>5.2}{unit}  (target >= {target}{unit})  {}",
            if ok { "ok" } else { "MISSED" }
        );
        if !ok {
            failed.push(name);
        }
    }
    let rss_ok = rss_mib < 32.0;
    println!(
        "  {:<40} {rss_mib:>5.1} MiB (target < 32 MiB)  {}",
        "peak RSS of checksum, every run",
        if rss_ok { "ok" } else { "MISSED" }
    );
    if !rss_ok {
        failed.push("peak RSS");
    }
    if !failed.is_empty() {
        return Err(check_failed(format!("benchmark targets missed: {}", failed.join(", "))));
    }
    Ok(ExitCode::SUCCESS)
}

/// How many SHA-NI round instructions the binary contains, as proof the hardware path is compiled in.
fn count_sha_instructions(binary: &Path) -> Option<usize> {
    if !cfg!(target_arch = "x86_64") || !cmd::on_path("objdump") {
        return None;
    }
    let output = Command::new("objdump").arg("-d").arg("--no-show-raw-insn").arg(binary).output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).matches("sha256rnds2").count())
}
