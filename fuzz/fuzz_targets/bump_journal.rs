//! The bump's journal, as a directory that is not a git work tree could hold one (planted, or
//! damaged): recovery never panics and never writes outside the repository.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_fuzz::{beside_repo, fresh_repo, write};

fuzz_target!(|data: &[u8]| {
    let repo = fresh_repo();
    write(
        &repo,
        &[
            ("pyproject.toml", b"[project]\nname = \"demo\"\nversion = \"0.2.0\"\n"),
            (".tagwright-bump.journal", data),
        ],
    );
    let recovered = tagwright_versions::recover(&repo);
    assert_eq!(beside_repo(), ["repo"], "recovery wrote beside the repository");
    if recovered.is_ok() {
        assert!(!tagwright_versions::journal_path(&repo).exists(), "a recovered journal is gone");
    }
});
