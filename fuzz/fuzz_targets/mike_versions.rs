//! mike's `versions.json`, as a docs branch written by anyone with push access could hold it: the
//! parser never panics, every name it accepts is safe as a directory, and rewriting is stable.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(versions) = tagwright_release::read_versions_json(text) else { return };
    for entry in &versions {
        for name in std::iter::once(&entry.version).chain(&entry.aliases) {
            assert!(!name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\']), "{name:?}");
        }
    }
    let once = tagwright_release::rewrite_versions_json(text).expect("what reads, rewrites");
    let twice = tagwright_release::rewrite_versions_json(&once).expect("a rewrite reads back");
    assert_eq!(once, twice, "rewriting is not stable");
});
