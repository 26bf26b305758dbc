//! `cargo xtask bump|release|publish` are aliases of the installed `tagwright` command: the same code
//! (`tagwright_cli::flows`), so the same output. `crates/cli/tests/{bump,release,publish}.rs` test the
//! flows themselves.

use tagwright_test_support::{cargo_bin, fixture, run};

#[test]
fn xtask_bump_is_tagwright_bump() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
    command.args(["bump", "0.2.0", "--dry-run", "--repo"]).arg(repo.path());
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("pyproject.toml:4: project.version 0.1.0 -> 0.2.0\n"), "{}", out.stdout);
    assert!(out.stdout.ends_with("dry run: nothing was written\n"), "{}", out.stdout);

    let mut bad = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
    bad.args(["release", "v0.2.0", "--repo"]).arg(repo.path());
    let out = run(&mut bad);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.starts_with("xtask: error: `v0.2.0`: the `v` belongs to the tag"), "{}", out.stderr);
}
