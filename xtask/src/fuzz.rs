//! `cargo xtask fuzz [TARGET] [--time 10m]`: the cargo-fuzz targets in `fuzz/`, one per parser that
//! reads bytes someone else controls.
//!
//! Builds them with the nightly toolchain, or where none can be installed with the stable one and
//! `RUSTC_BOOTSTRAP=1` (release, debug assertions and overflow checks on), then
//! runs each from its seeds in `fuzz/seeds/<target>` (kept small, in the repository) plus the corpus it
//! grew in earlier runs (`target/fuzz/corpus/<target>`, never committed), two at a time. A crash is
//! saved under `target/fuzz/artifacts/<target>/` and fails the run (exit 1); the table says how many
//! inputs each target ran.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::{check_failed, cmd, setup};

/// Arguments of `cargo xtask fuzz`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// One target (default: every target).
    target: Option<String>,
    /// How long each target runs.
    #[arg(long, default_value = "15s", value_parser = tagwright_cli::parse_duration)]
    time: Duration,
    /// Targets run at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
}

impl Args {
    /// Every target for 15 s, two at a time: what CI runs.
    pub(crate) fn brief() -> Args {
        Args { target: None, time: Duration::from_secs(15), jobs: 2 }
    }
}

/// What one target did.
struct Outcome {
    target: String,
    runs: Option<u64>,
    seconds: Option<u64>,
    corpus: usize,
    crash: Option<String>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let root = setup::workspace_root();
    let fuzz = root.join("fuzz");
    let all = targets(&fuzz)?;
    let chosen: Vec<String> = match &args.target {
        Some(name) if all.contains(name) => vec![name.clone()],
        Some(name) => bail!("no fuzz target `{name}`; the targets are: {}", all.join(", ")),
        None => all,
    };
    let toolchain = setup::cargo_fuzz()?;
    let mut build = toolchain.cargo();
    build.args(["fuzz", "build", "--sanitizer", "none"]).current_dir(&root);
    if let Some(target) = &args.target {
        build.arg(target);
    }
    println!("==> build: {}", cmd::display(&build));
    cmd::run(&mut build)?;

    let binaries = fuzz.join("target/x86_64-unknown-linux-gnu/release");
    let work = setup::target_dir().join("fuzz");
    println!("==> run {} target(s) for {:.0?} each, {} at a time", chosen.len(), args.time, args.jobs.max(1));
    let mut outcomes = Vec::new();
    for batch in chosen.chunks(args.jobs.max(1)) {
        let handles: Vec<_> = batch
            .iter()
            .map(|target| {
                let (binary, work, seeds, time) =
                    (binaries.join(target), work.clone(), fuzz.join("seeds").join(target), args.time);
                let target = target.clone();
                std::thread::spawn(move || run_one(&target, &binary, &seeds, &work, time))
            })
            .collect();
        for handle in handles {
            let outcome = handle.join().map_err(|_| anyhow::anyhow!("a fuzz runner thread panicked"))??;
            println!("{}", line(&outcome));
            outcomes.push(outcome);
        }
    }
    let crashed: Vec<&Outcome> = outcomes.iter().filter(|o| o.crash.is_some()).collect();
    let total: u64 = outcomes.iter().filter_map(|o| o.runs).sum();
    println!("==> {} target(s), {total} inputs, {} crash(es)", outcomes.len(), crashed.len());
    if !crashed.is_empty() {
        for outcome in &crashed {
            println!("\n--- {}\n{}", outcome.target, outcome.crash.as_deref().unwrap_or_default());
        }
        return Err(check_failed(format!(
            "fuzzing found crashes in {}; reproduce with `fuzz/target/x86_64-unknown-linux-gnu/release/<target> <artifact>`",
            crashed.iter().map(|o| o.target.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// The targets: `fuzz/fuzz_targets/*.rs`.
fn targets(fuzz: &Path) -> Result<Vec<String>> {
    let dir = fuzz.join("fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("{}: cannot list the fuzz targets", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

fn run_one(target: &str, binary: &Path, seeds: &Path, work: &Path, time: Duration) -> Result<Outcome> {
    let corpus = work.join("corpus").join(target);
    let artifacts = work.join("artifacts").join(target);
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let mut command = Command::new(binary);
    command
        .arg(&corpus)
        .arg(seeds)
        .arg(format!("-max_total_time={}", time.as_secs().max(1)))
        .arg("-timeout=10")
        .arg("-rss_limit_mb=2048")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .current_dir(work);
    let output = command.output().with_context(|| format!("cannot run {}", binary.display()))?;
    let log = String::from_utf8_lossy(&output.stderr);
    let done = log.lines().rev().find_map(|l| {
        let rest = l.strip_prefix("Done ")?;
        let (runs, rest) = rest.split_once(" runs in ")?;
        Some((runs.parse().ok()?, rest.split_whitespace().next()?.parse().ok()?))
    });
    let crash = (!output.status.success()).then(|| {
        let tail: Vec<&str> = log.lines().rev().take(25).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    });
    let corpus_size = std::fs::read_dir(&corpus).map(Iterator::count).unwrap_or(0);
    Ok(Outcome {
        target: target.to_owned(),
        runs: done.map(|(r, _)| r),
        seconds: done.map(|(_, s)| s),
        corpus: corpus_size,
        crash,
    })
}

fn line(outcome: &Outcome) -> String {
    match (&outcome.crash, outcome.runs, outcome.seconds) {
        (Some(_), ..) => format!("  {:<20} CRASHED (see below)", outcome.target),
        (None, Some(runs), Some(seconds)) => format!(
            "  {:<20} {runs:>11} inputs in {seconds:>4} s ({:>8}/s), corpus {:>5}, no crash",
            outcome.target,
            runs / seconds.max(1),
            outcome.corpus
        ),
        (None, ..) => format!("  {:<20} ran, but printed no totals", outcome.target),
    }
}
