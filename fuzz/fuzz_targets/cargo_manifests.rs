//! Cargo.toml, a member's Cargo.toml and Cargo.lock (one input, split at `#8<` lines): read, bumped,
//! read back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_fuzz::{bump_reads_back, fresh_repo, split, write};

fuzz_target!(|data: &[u8]| {
    let parts = split(data, 3);
    let repo = fresh_repo();
    write(&repo, &[("Cargo.toml", parts[0]), ("crates/a/Cargo.toml", parts[1]), ("Cargo.lock", parts[2])]);
    bump_reads_back(&repo);
});
