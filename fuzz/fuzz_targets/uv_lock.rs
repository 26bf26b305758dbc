//! uv.lock (beside a pyproject.toml that names the project): read, bumped, read back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_fuzz::{bump_reads_back, fresh_repo, split, write};

fuzz_target!(|data: &[u8]| {
    let parts = split(data, 2);
    let pyproject: &[u8] = if parts[1].is_empty() {
        b"[project]\nname = \"Advisory_Hub\"\nversion = \"0.1.0\"\n"
    } else {
        parts[1]
    };
    let repo = fresh_repo();
    write(&repo, &[("uv.lock", parts[0]), ("pyproject.toml", pyproject)]);
    bump_reads_back(&repo);
});
