//! `cargo xtask bench docs`: a versioned-docs deploy of the same project from the same start,
//! `mike deploy -u 1.1.0 latest` against `tagwright docs-deploy 1.1.0 --build --alias latest -u`.
//! Both build the site with MkDocs (with mike's plugin) and commit it on top of a `gh-pages` that
//! already holds ten versions; the two resulting trees must be identical. A second line times our
//! deploy of the already-built site (`--site`), the part of the work that is ours alone.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, ensure};

use super::{Sample, Tool, build_release, measure_env, median};
use crate::{cmd, setup};

/// Pages in the generated docs.
const PAGES: usize = 300;
/// Versions already on the branch.
const PRIOR: usize = 10;

fn git(dir: &Path) -> Command {
    cmd::git(dir, "Bench", "bench@example.com")
}

pub(super) fn docs(runs: usize) -> Result<std::process::ExitCode> {
    ensure!(Path::new("/usr/bin/time").is_file(), "GNU time is missing: run `cargo xtask setup`");
    let bin = setup::venv().join("bin");
    let (mike, mkdocs) = (bin.join("mike"), bin.join("mkdocs"));
    ensure!(mike.is_file() && mkdocs.is_file(), "mike and MkDocs are missing: run `cargo xtask setup`");
    let ours = build_release("tagwright-cli", "tagwright")?;
    let data = tempfile::tempdir().context("temporary directory")?;
    let repo = data.path();

    // A project of PAGES pages, committed and tagged v1.1.0.
    let mut nav = String::from("site_name: Bench\nsite_url: https://example.org/bench/\nnav:\n");
    for i in 0..PAGES {
        let name = format!("page-{i:03}.md");
        let body: String =
            (0..40).map(|l| format!("Line {l} of page {i}: the release of one tag, verified.\n\n")).collect();
        std::fs::create_dir_all(repo.join("docs")).context("docs")?;
        std::fs::write(repo.join("docs").join(&name), format!("# Page {i}\n\n{body}")).context("page")?;
        nav.push_str(&format!("  - Page {i}: {name}\n"));
    }
    std::fs::write(repo.join("docs/index.md"), "# Bench\n").context("index")?;
    std::fs::write(repo.join("mkdocs.yml"), nav).context("mkdocs.yml")?;
    std::fs::write(repo.join(".gitignore"), "site/\nbuilt/\n").context(".gitignore")?;
    cmd::output(git(repo).args(["init", "--quiet", "--initial-branch=main"]))?;
    cmd::output(git(repo).args(["add", "-A"]))?;
    cmd::output(git(repo).args(["commit", "--quiet", "-m", "docs"]))?;
    cmd::output(git(repo).args(["tag", "-a", "v1.1.0", "-m", "v1.1.0"]))?;
    let epoch = String::from_utf8_lossy(&cmd::output(git(repo).args(["log", "-1", "--format=%ct"]))?.stdout)
        .trim()
        .to_owned();
    let env: Vec<(String, String)> = [
        ("SOURCE_DATE_EPOCH", epoch.as_str()),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GIT_COMMITTER_NAME", "Bench"),
        ("GIT_COMMITTER_EMAIL", "bench@example.com"),
        ("PATH", &std::env::join_paths([bin.clone(), "/usr/bin".into(), "/bin".into()])?.to_string_lossy()),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();

    // The start: PRIOR versions already deployed (by us; mike reads them), and the built site.
    println!("preparing: {PAGES} pages, {PRIOR} versions already on gh-pages");
    for v in 0..PRIOR {
        let mut deploy = Command::new(&ours);
        deploy.current_dir(repo).envs(env.iter().map(|(k, v)| (k, v)));
        deploy.args([
            "docs-deploy",
            &format!("1.0.{v}"),
            "--build",
            "--alias",
            "latest",
            "-u",
            "--branch",
            "start",
        ]);
        cmd::output(&mut deploy)?;
    }
    let mut build = Command::new(&mkdocs);
    build.current_dir(repo).envs(env.iter().map(|(k, v)| (k, v))).args([
        "build",
        "--quiet",
        "--site-dir",
        "built",
    ]);
    cmd::output(&mut build)?;

    let tools = [
        Tool {
            label: "mike deploy",
            program: mike,
            args: ["deploy", "-b", "bench", "-u", "1.1.0", "latest"].map(str::to_owned).to_vec(),
        },
        Tool {
            label: "docs-deploy --build",
            program: ours.clone(),
            args: ["docs-deploy", "1.1.0", "--build", "--alias", "latest", "-u", "--branch", "bench"]
                .map(str::to_owned)
                .to_vec(),
        },
        Tool {
            label: "docs-deploy --site",
            program: ours,
            args: ["docs-deploy", "1.1.0", "--site", "built", "--alias", "latest", "-u", "--branch", "bench"]
                .map(str::to_owned)
                .to_vec(),
        },
    ];
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); tools.len()];
    let mut trees: Vec<String> = vec![String::new(); tools.len()];
    for run in 0..=runs {
        for (i, tool) in tools.iter().enumerate() {
            cmd::output(git(repo).args(["branch", "-f", "bench", "start"]))?;
            let (sample, _) = measure_env(repo, &tool.program, &tool.args, &env, true)?;
            if run > 0 {
                samples[i].push(sample);
            }
            trees[i] =
                String::from_utf8_lossy(&cmd::output(git(repo).args(["rev-parse", "bench^{tree}"]))?.stdout)
                    .trim()
                    .to_owned();
        }
    }
    ensure!(trees[0] == trees[1], "mike's tree {} and ours {} differ", trees[0], trees[1]);
    println!("\nthe same tree from both builds: {}", trees[0]);
    println!("{:<21} {:>9} {:>10}", "tool", "median", "peak RSS");
    let medians: Vec<Sample> = samples.iter().map(|s| median(s)).collect();
    for (tool, m) in tools.iter().zip(&medians) {
        println!("{:<21} {:>7.3} s {:>6.1} MiB", tool.label, m.seconds, m.rss_kib as f64 / 1024.0);
    }
    println!(
        "\nratio (mike deploy / docs-deploy --build): {:.2}x; MkDocs builds the site in both, and its\nbuild is most of the time. Of a built site, our deploy takes {:.3} s.",
        medians[0].seconds / medians[1].seconds,
        medians[2].seconds
    );
    Ok(std::process::ExitCode::SUCCESS)
}
