//! A module's `__version__`, where pyproject.toml's dynamic version comes from (hatchling's
//! `[tool.hatch.version] path`): read, bumped, and read back as the new version.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_fuzz::{bump_reads_back, fresh_repo, write};

const PYPROJECT: &[u8] =
    b"[project]\nname = \"dyn\"\ndynamic = [\"version\"]\n\n[tool.hatch.version]\npath = \"src/dyn/__about__.py\"\n";

fuzz_target!(|data: &[u8]| {
    let repo = fresh_repo();
    write(&repo, &[("pyproject.toml", PYPROJECT), ("src/dyn/__about__.py", data)]);
    bump_reads_back(&repo);
});
