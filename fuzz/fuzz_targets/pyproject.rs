//! pyproject.toml: read, bumped, and read back as the new version.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_fuzz::{bump_reads_back, fresh_repo, write};

fuzz_target!(|data: &[u8]| {
    let repo = fresh_repo();
    write(&repo, &[("pyproject.toml", data)]);
    bump_reads_back(&repo);
});
