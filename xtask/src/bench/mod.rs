//! `cargo xtask bench <name>`: ours and the peer tool on the same input, in one run, with ratios.
//!
//! Wall time is measured here around each process; peak RSS comes from GNU `time` (`%M`, from
//! `wait4`). Every tool runs once to warm the page cache, then `--runs` times, interleaved, and the
//! median counts. Targets from the issues are checked at the end: a miss exits 1.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

use tagwright_test_support::registry::{LocalRegistry, Mode};

use crate::{check_failed, cmd, setup};

mod checksum;
mod docs;
mod install;
mod publish;
mod sbom;
mod verify;

/// Arguments of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Which benchmark: `checksum`, `notes`, `oci`, `sbom`, `verify`, `publish`, `docs` or `install`.
    name: String,
    /// Measured runs per tool (after one warm-up run).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    ensure!(args.runs > 0, "--runs must be at least 1");
    match args.name.as_str() {
        "checksum" => checksum::checksum(args.runs),
        "notes" => notes(args.runs),
        "oci" => oci(args.runs),
        "sbom" => sbom::sbom(args.runs),
        "verify" => verify::verify(args.runs),
        "publish" => publish::publish(args.runs),
        "docs" => docs::docs(args.runs),
        "install" => install::install(args.runs),
        other => {
            bail!(
                "unknown benchmark `{other}` (available: checksum, notes, oci, sbom, verify, publish, docs, install)"
            )
        }
    }
}

/// One measured process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    seconds: f64,
    rss_kib: u64,
}

/// A tool invocation in a benchmark.
struct Tool {
    label: &'static str,
    program: PathBuf,
    args: Vec<String>,
}

/// Runs `program args` under GNU time in `dir`; returns the sample and stdout. The tool's stderr is
/// shown unless `quiet`.
fn measure(dir: &Path, program: &Path, args: &[String], quiet: bool) -> Result<(Sample, Vec<u8>)> {
    measure_env(dir, program, args, &[], quiet)
}

/// [`measure`] with extra environment variables.
fn measure_env(
    dir: &Path,
    program: &Path,
    args: &[String],
    env: &[(String, String)],
    quiet: bool,
) -> Result<(Sample, Vec<u8>)> {
    let rss_file = tempfile::NamedTempFile::new().context("temporary file for GNU time")?;
    let mut command = Command::new("/usr/bin/time");
    command
        .args(["-f", "%M", "-o"])
        .arg(rss_file.path())
        .arg(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stderr(if quiet { Stdio::null() } else { Stdio::inherit() });
    let start = Instant::now();
    let output = command.output().with_context(|| format!("cannot run {}", program.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    ensure!(output.status.success(), "{} {} failed ({})", program.display(), args.join(" "), output.status);
    let rss_text = std::fs::read_to_string(rss_file.path()).context("read GNU time's output")?;
    let rss_kib = rss_text.trim().lines().last().unwrap_or_default().trim().parse().context("parse %M")?;
    Ok((Sample { seconds, rss_kib }, output.stdout))
}

/// Each tool run once to warm up, then `runs` times, interleaved, in `dir` with `env`: the median of
/// each tool's measured runs, and what each printed on its last run.
fn interleaved(
    dir: &Path,
    tools: &[Tool],
    env: &[(String, String)],
    runs: usize,
) -> Result<(Vec<Sample>, Vec<Vec<u8>>)> {
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); tools.len()];
    let mut outputs: Vec<Vec<u8>> = vec![Vec::new(); tools.len()];
    for run in 0..=runs {
        for (i, tool) in tools.iter().enumerate() {
            let (sample, stdout) = measure_env(dir, &tool.program, &tool.args, env, true)?;
            if run > 0 {
                samples[i].push(sample);
            }
            outputs[i] = stdout;
        }
    }
    Ok((samples.iter().map(|s| median(s)).collect(), outputs))
}

fn median(samples: &[Sample]) -> Sample {
    let mut times: Vec<f64> = samples.iter().map(|s| s.seconds).collect();
    times.sort_by(f64::total_cmp);
    Sample { seconds: times[times.len() / 2], rss_kib: samples.iter().map(|s| s.rss_kib).max().unwrap_or(0) }
}

/// Fills a file with deterministic pseudo-random bytes (xorshift), unless it already has the right size.
fn generate(path: &Path, size: u64, seed: u64) -> Result<()> {
    use std::io::Write;
    if std::fs::metadata(path).is_ok_and(|m| m.len() == size) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
    }
    let mut out = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path).with_context(|| format!("{}: cannot create", path.display()))?,
    );
    let mut state = seed | 1;
    let mut block = vec![0u8; 1 << 16];
    let mut left = size;
    while left > 0 {
        for chunk in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n]).with_context(|| format!("{}: cannot write", path.display()))?;
        left -= n as u64;
    }
    out.flush().with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}

fn build_release(package: &str, bin: &str) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let root = setup::workspace_root();
    println!("building {bin} (release)");
    cmd::run(
        Command::new(cargo)
            .args(["build", "--release", "--quiet", "-p", package, "--bin", bin])
            .current_dir(&root),
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("release").join(bin))
}

/// Writes a `git fast-import` stream: `commits` conventional (and some not) commits on `main`, with an
/// annotated tag every `commits / tags` commits. Deterministic.
fn history_stream(commits: usize, tags: usize) -> String {
    history_stream_shaped(commits, tags, 0, false)
}

/// [`history_stream`] shaped like a real project: every `merge_every`-th commit (0: none) is a merge
/// of a one-commit side branch, and with `misspelt`, one message in four carries a typo that the
/// `typos` spell checker fixes.
fn history_stream_shaped(commits: usize, tags: usize, merge_every: usize, misspelt: bool) -> String {
    const TYPES: [&str; 11] =
        ["feat", "fix", "perf", "refactor", "docs", "ci", "chore", "test", "style", "chore(deps)", "revert"];
    const SCOPES: [&str; 6] = ["", "api", "core", "chart", "cli", "docs"];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let every = commits / tags;
    let mut out = String::with_capacity(commits * 260);
    let mut time = 1_600_000_000u64;
    for i in 1..=commits {
        time += 600;
        let kind = TYPES[random(TYPES.len())];
        let scope = SCOPES[random(SCOPES.len())];
        let bang = if random(100) == 0 { "!" } else { "" };
        let mut message = if random(50) == 0 {
            format!("Merge work number {i}")
        } else if scope.is_empty() || kind.contains('(') {
            format!("{kind}{bang}: change number {i}")
        } else {
            format!("{kind}({scope}){bang}: change number {i}")
        };
        if misspelt && random(4) == 0 {
            message.push_str(" to recieve teh data");
        }
        if random(10) < 3 {
            message.push_str(&format!("\n\nDetails about change {i}.\nMore text here, see #{}.", i % 500));
        }
        message.push('\n');
        let data = format!("line {i}\n");
        out.push_str(&format!("blob\nmark :{}\ndata {}\n{data}", 2 * i, data.len()));
        let merge = merge_every > 0 && i > 2 && i % merge_every == 0;
        if merge {
            // A side commit on the previous main commit, merged by this one.
            let side = format!("fix: side work for change {i}\n");
            out.push_str(&format!(
                "commit refs/heads/side\nmark :{}\nauthor Dev <dev@example.com> {time} +0000\ncommitter Dev <dev@example.com> {time} +0000\ndata {}\n{side}from :{}\nM 100644 :{} side{}.txt\n\n",
                4 * commits + 2 * i,
                side.len(),
                2 * i - 1,
                2 * i,
                i % 50
            ));
            message = format!("Merge pull request #{i} from dev/side-{i}\n\n{message}");
        }
        out.push_str(&format!(
            "commit refs/heads/main\nmark :{}\nauthor Dev <dev@example.com> {time} +0000\ncommitter Dev <dev@example.com> {time} +0000\ndata {}\n{message}",
            2 * i + 1,
            message.len()
        ));
        if i > 1 {
            out.push_str(&format!("from :{}\n", 2 * i - 1));
        }
        if merge {
            out.push_str(&format!("merge :{}\n", 4 * commits + 2 * i));
        }
        out.push_str(&format!("M 100644 :{} file{}.txt\n\n", 2 * i, i % 100));
        if i % every == 0 {
            let tag_message = format!("Release v0.{}.0\n", i / every);
            out.push_str(&format!(
                "tag v0.{}.0\nfrom :{}\ntagger Dev <dev@example.com> {time} +0000\ndata {}\n{tag_message}",
                i / every,
                2 * i + 1,
                tag_message.len()
            ));
        }
    }
    out
}

fn notes(runs: usize) -> Result<ExitCode> {
    for tool in ["/usr/bin/time", "git"] {
        ensure!(
            Path::new(tool).is_file() || cmd::on_path(tool),
            "{tool} is missing: run `cargo xtask setup`"
        );
    }
    let git_cliff = cmd::find("git-cliff")
        .or_else(|| Some(setup::venv().join("bin/git-cliff")).filter(|p| p.is_file()))
        .ok_or_else(|| anyhow::anyhow!("git-cliff is missing: run `cargo xtask setup`"))?;
    let ours = build_release("tagwright-cli", "release-notes")?;
    let data = ours.parent().and_then(Path::parent).expect("target/release/x").join("bench/notes");
    let repo =
        imported_repo(&data, "repo", "a 50,000-commit, 50-tag repository", &history_stream(50_000, 50))?;
    let commits = String::from_utf8(
        cmd::output(cmd::command("git", &repo).args(["rev-list", "--count", "HEAD"]))?.stdout,
    )?;
    let tags =
        String::from_utf8(cmd::output(cmd::command("git", &repo).args(["tag"]))?.stdout)?.lines().count();
    println!("\nrepository: {} commits, {tags} tags", commits.trim());
    println!("{:<26} {:<16} {:>9} {:>10}", "mode", "tool", "median", "peak RSS");

    let repo_arg = repo.to_string_lossy().into_owned();
    let mut results = Vec::new();
    for (label, extra) in [("full changelog", &[][..]), ("--latest", &["--latest"][..])] {
        let theirs_out = data.join(format!("git-cliff{}.md", extra.join("")));
        let ours_out = data.join(format!("release-notes{}.md", extra.join("")));
        let tools = [
            Tool {
                label: "git-cliff",
                program: git_cliff.clone(),
                args: [
                    vec!["--offline".to_owned(), "-o".to_owned(), theirs_out.to_string_lossy().into_owned()],
                    extra.iter().map(|s| (*s).to_owned()).collect(),
                ]
                .concat(),
            },
            Tool {
                label: "release-notes",
                program: ours.clone(),
                args: [
                    vec![
                        "--repo".to_owned(),
                        repo_arg.clone(),
                        "-o".to_owned(),
                        ours_out.to_string_lossy().into_owned(),
                    ],
                    extra.iter().map(|s| (*s).to_owned()).collect(),
                ]
                .concat(),
            },
        ];
        let (medians, _) = interleaved(&repo, &tools, &[], runs)?;
        let same = std::fs::read(&theirs_out)? == std::fs::read(&ours_out)?;
        ensure!(
            same,
            "the outputs differ for {label}: compare {} and {}",
            theirs_out.display(),
            ours_out.display()
        );
        for (tool, m) in tools.iter().zip(medians) {
            println!(
                "{label:<26} {:<16} {:>7.3} s {:>6.1} MiB",
                tool.label,
                m.seconds,
                m.rss_kib as f64 / 1024.0
            );
            results.push((label, tool.label, m));
        }
        println!("{label:<26} outputs identical: yes ({} bytes)", std::fs::metadata(&ours_out)?.len());
    }
    let get = |mode: &str, tool: &str| {
        results.iter().find(|(m, t, _)| *m == mode && *t == tool).map(|(_, _, s)| *s).expect("measured")
    };
    let speed = get("full changelog", "git-cliff").seconds / get("full changelog", "release-notes").seconds;
    let memory = get("full changelog", "git-cliff").rss_kib as f64
        / get("full changelog", "release-notes").rss_kib as f64;
    let latest = get("--latest", "git-cliff").seconds / get("--latest", "release-notes").seconds;
    println!("\nratios (git-cliff / release-notes)");
    println!("  --latest time                            {latest:>6.2}x");
    let mut failed = Vec::new();
    for (name, value, target) in
        [("full changelog: time", speed, 10.0), ("full changelog: peak RSS", memory, 5.0)]
    {
        let ok = value >= target;
        println!("  {name:<40} {value:>6.2}x  (target >= {target}x)  {}", if ok { "ok" } else { "MISSED" });
        if !ok {
            failed.push(name.to_owned());
        }
    }
    failed.extend(notes_shapes(runs, &git_cliff, &ours, &data)?);
    if !failed.is_empty() {
        return Err(check_failed(format!("benchmark targets missed: {}", failed.join(", "))));
    }
    Ok(ExitCode::SUCCESS)
}

/// A repository made by `git fast-import` from `stream` in `data/name`, once (kept for the next run).
fn imported_repo(data: &Path, name: &str, what: &str, stream: &str) -> Result<PathBuf> {
    use std::io::Write;
    let repo = data.join(name);
    let marker = data.join(format!("{name}.done"));
    if !marker.is_file() {
        println!("building {what} with git fast-import in {}", repo.display());
        if repo.exists() {
            std::fs::remove_dir_all(&repo).with_context(|| format!("{}: cannot remove", repo.display()))?;
        }
        std::fs::create_dir_all(&repo)?;
        cmd::output(cmd::command("git", &repo).args(["init", "--quiet", "--initial-branch=main"]))?;
        let mut child = cmd::command("git", &repo)
            .args(["fast-import", "--quiet"])
            .stdin(Stdio::piped())
            .spawn()
            .context("cannot run git fast-import")?;
        child.stdin.take().expect("piped").write_all(stream.as_bytes())?;
        ensure!(child.wait()?.success(), "git fast-import failed");
        cmd::output(cmd::command("git", &repo).args(["reset", "--quiet", "--hard", "main"]))?;
        std::fs::write(&marker, "")?;
    }
    Ok(repo)
}

/// The shape of a public repository that keeps its own git-cliff configuration (counted from its
/// history in 2026): commits, merges, tags, and whether its configuration runs a command per commit.
struct Shape {
    name: &'static str,
    commits: usize,
    merge_every: usize,
    tags: usize,
    /// git-cliff's own `commit_preprocessors`: a regex, then `typos --write-changes -` on every commit.
    typos: bool,
    /// The speed-up release-notes must reach.
    target: f64,
}

const SHAPES: [Shape; 3] = [
    // eza: 3,361 commits, 689 of them merges, 95 tags.
    Shape { name: "eza", commits: 2_672, merge_every: 4, tags: 95, typos: false, target: 10.0 },
    // ratatui: 2,314 commits, 7 merges, 189 tags.
    Shape { name: "ratatui", commits: 2_307, merge_every: 330, tags: 189, typos: false, target: 10.0 },
    // git-cliff: 1,569 commits, 41 merges, 128 tags, and `typos` run on every commit.
    Shape { name: "git-cliff", commits: 1_528, merge_every: 37, tags: 128, typos: true, target: 1.8 },
];

/// git-cliff's own preprocessors and postprocessor, as its cliff.toml has them, over the default
/// configuration.
const TYPOS_CONFIG: &str = r#"[changelog]
postprocessors = [{ pattern = '<REPO>', replace = "https://github.com/orhun/git-cliff" }]
[git]
commit_preprocessors = [
  { pattern = '\((\w+\s)?#([0-9]+)\)', replace = "([#${2}](<REPO>/issues/${2}))" },
  { pattern = '.*', replace_command = 'typos --write-changes -' },
]
"#;

/// The full changelog of repositories shaped like eza's, ratatui's and git-cliff's, both tools on
/// the same input and with the same bytes out; returns the targets missed.
fn notes_shapes(runs: usize, git_cliff: &Path, ours: &Path, data: &Path) -> Result<Vec<String>> {
    let typos = setup::venv().join("bin/typos");
    ensure!(typos.is_file() || cmd::on_path("typos"), "typos is missing: run `cargo xtask setup`");
    // Both tools find `typos` (and `sh`) on the same PATH.
    let path =
        format!("{}:{}", setup::venv().join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let env = [("PATH".to_owned(), path)];
    println!("\n{:<26} {:<16} {:>9} {:>10}", "shape (full changelog)", "tool", "median", "peak RSS");
    let mut ratios = Vec::new();
    for shape in &SHAPES {
        let what = format!("a repository shaped like {}'s", shape.name);
        let stream = history_stream_shaped(shape.commits, shape.tags, shape.merge_every, shape.typos);
        let repo = imported_repo(data, &format!("shape-{}", shape.name), &what, &stream)?;
        let config = data.join(format!("shape-{}.toml", shape.name));
        std::fs::write(&config, if shape.typos { TYPOS_CONFIG } else { "" })?;
        let outputs = [
            data.join(format!("{}-git-cliff.md", shape.name)),
            data.join(format!("{}-release-notes.md", shape.name)),
        ];
        let config_arg = config.to_string_lossy().into_owned();
        let tools = [
            Tool {
                label: "git-cliff",
                program: git_cliff.to_path_buf(),
                args: ["--offline", "-c", &config_arg, "-o", &outputs[0].to_string_lossy()]
                    .map(str::to_owned)
                    .to_vec(),
            },
            Tool {
                label: "release-notes",
                program: ours.to_path_buf(),
                args: [
                    "--repo",
                    &repo.to_string_lossy(),
                    "-c",
                    &config_arg,
                    "-o",
                    &outputs[1].to_string_lossy(),
                ]
                .map(str::to_owned)
                .to_vec(),
            },
        ];
        let (medians, _) = interleaved(&repo, &tools, &env, runs)?;
        let (theirs, ours_bytes) = (std::fs::read(&outputs[0])?, std::fs::read(&outputs[1])?);
        ensure!(
            theirs == ours_bytes,
            "the outputs differ for {}: compare {} and {}",
            shape.name,
            outputs[0].display(),
            outputs[1].display()
        );
        for (tool, m) in tools.iter().zip(&medians) {
            println!(
                "{:<26} {:<16} {:>7.3} s {:>6.1} MiB",
                shape.name,
                tool.label,
                m.seconds,
                m.rss_kib as f64 / 1024.0
            );
        }
        println!("{:<26} outputs identical: yes ({} bytes)", shape.name, ours_bytes.len());
        ratios.push((shape, medians[0].seconds / medians[1].seconds));
    }
    println!("\nratios (git-cliff / release-notes), full changelog");
    let mut failed = Vec::new();
    for (shape, ratio) in ratios {
        let ok = ratio >= shape.target;
        let extra = if shape.typos { ", typos on every commit" } else { "" };
        println!(
            "  {:<40} {ratio:>6.2}x  (target >= {}x)  {}",
            format!("{}-shaped{extra}", shape.name),
            shape.target,
            if ok { "ok" } else { "MISSED" }
        );
        if !ok {
            failed.push(format!("{}-shaped: time", shape.name));
        }
    }
    Ok(failed)
}

/// An OCI layout holding a one-layer image whose layer is `size` pseudo-random bytes.
fn oci_bench_layout(dir: &Path, size: u64) -> Result<String> {
    use tagwright_oci_publish::layout::Layout;
    use tagwright_oci_publish::manifest::OCI_MANIFEST;
    let marker = dir.join(format!("layout-{size}.done"));
    let layout = Layout::create(&dir.join("layout")).context("create the OCI layout")?;
    let blob = dir.join("layer.bin");
    if !marker.is_file() {
        println!("writing a {} MiB layer into {}", size >> 20, layout.dir().display());
        generate(&blob, size, 0x05ee_d0c1)?;
    }
    let digest = tagwright_oci_publish::Digest::parse(&format!(
        "sha256:{}",
        tagwright_checksums::hash_file(tagwright_checksums::Algorithm::Sha256, &blob)?.to_hex()
    ))?;
    layout.put_blob_file(&digest, &blob)?;
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{digest}"]}},"config":{{}}}}"#
    );
    let config_digest = tagwright_oci_publish::Digest::sha256(config.as_bytes());
    layout.put_blob_bytes(&config_digest, config.as_bytes())?;
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{digest}","size":{size}}}]}}"#,
        config.len()
    );
    let manifest_digest = layout.put_manifest(Some("bench"), OCI_MANIFEST, manifest.as_bytes())?;
    std::fs::write(&marker, "")?;
    Ok(manifest_digest.to_string())
}

fn oci(runs: usize) -> Result<ExitCode> {
    for tool in ["/usr/bin/time", "skopeo", "docker-registry"] {
        ensure!(
            Path::new(tool).is_file() || cmd::on_path(tool),
            "{tool} is missing: run `cargo xtask setup`"
        );
    }
    let ours = build_release("tagwright-cli", "oci-publish")?;
    let skopeo = cmd::find("skopeo").expect("checked");
    let data = ours.parent().and_then(Path::parent).expect("target/release/x").join("bench/oci");
    std::fs::create_dir_all(&data)?;
    const SIZE: u64 = 1 << 30;
    let digest = oci_bench_layout(&data, SIZE)?;
    let layout = data.join("layout");
    // Registry storage on tmpfs when there is one: disk writeback would drown the difference.
    let shm = Path::new("/dev/shm");
    let storage = if shm.is_dir() { shm } else { data.as_path() };
    println!(
        "\nartifact: one image, 1 GiB layer, {digest}\neach push goes to a fresh docker-registry on 127.0.0.1 (storage in {})",
        storage.display()
    );
    /// A tool: its label, program, and arguments for a registry host.
    type PushTool<'a> = (&'static str, &'a Path, Box<dyn Fn(&str) -> Vec<String> + 'a>);
    let tools: [PushTool<'_>; 2] = [
        (
            "skopeo copy",
            &skopeo,
            Box::new(|host: &str| {
                vec![
                    "copy".into(),
                    "--quiet".into(),
                    "--preserve-digests".into(),
                    "--dest-tls-verify=false".into(),
                    format!("oci:{}:bench", layout.display()),
                    format!("docker://{host}/bench/app:1"),
                ]
            }),
        ),
        (
            "oci-publish copy",
            &ours,
            Box::new(|host: &str| {
                vec![
                    "copy".into(),
                    format!("oci-layout:{}:bench", layout.display()),
                    format!("{host}/bench/app:1"),
                ]
            }),
        ),
    ];
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); tools.len()];
    let mut repush = Vec::new();
    for run in 0..=runs {
        for (i, (label, program, args)) in tools.iter().enumerate() {
            let registry = LocalRegistry::start_in(Mode::Plain, storage);
            let host = registry.host();
            let (sample, _) = measure(&data, program, &args(host), true)?;
            let pushed = cmd::output(Command::new(&ours).args(["manifest", &format!("{host}/bench/app:1")]))?;
            ensure!(
                String::from_utf8_lossy(&pushed.stdout).starts_with(&format!("Digest: {digest}\n")),
                "{label} did not push {digest}"
            );
            if run > 0 {
                samples[i].push(sample);
                if i == 1 {
                    let (again, _) = measure(&data, program, &args(host), true)?;
                    repush.push(again);
                }
            }
        }
    }
    println!("{:<26} {:>9} {:>11} {:>10}", "tool", "median", "throughput", "peak RSS");
    let medians: Vec<Sample> = samples.iter().map(|s| median(s)).collect();
    for ((label, _, _), m) in tools.iter().zip(&medians) {
        println!(
            "{label:<26} {:>7.3} s {:>6.0} MB/s {:>6.1} MiB",
            m.seconds,
            SIZE as f64 / m.seconds / 1e6,
            m.rss_kib as f64 / 1024.0
        );
    }
    let again = median(&repush);
    println!(
        "{:<26} {:>7.3} s {:>11} {:>6.1} MiB",
        "oci-publish re-push",
        again.seconds,
        "-",
        again.rss_kib as f64 / 1024.0
    );
    let ratio = medians[0].seconds / medians[1].seconds;
    let rss = medians[1].rss_kib as f64 / 1024.0;
    println!("\ntargets");
    let mut failed = Vec::new();
    for (name, ok, shown) in [
        ("throughput vs skopeo >= 1.0x", ratio >= 1.0, format!("{ratio:.2}x")),
        ("our peak RSS < 64 MiB", rss < 64.0, format!("{rss:.1} MiB")),
        ("unchanged re-push < 1 s", again.seconds < 1.0, format!("{:.3} s", again.seconds)),
    ] {
        println!("  {name:<32} {shown:>10}  {}", if ok { "ok" } else { "MISSED" });
        if !ok {
            failed.push(name);
        }
    }
    if !failed.is_empty() {
        return Err(check_failed(format!("benchmark targets missed: {}", failed.join(", "))));
    }
    Ok(ExitCode::SUCCESS)
}
