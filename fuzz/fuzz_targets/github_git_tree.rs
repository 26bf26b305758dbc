//! What GitHub's git data API answers for a tree, read by `tagwright verify OWNER/REPO@TAG` with no
//! clone: any JSON. No panic, and a tree that is accepted has only plain paths (no empty, `.` or `..`
//! component, no `\` or NUL) and 40-hex object ids, and is not truncated.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_github::{Tree, is_object_id};

fuzz_target!(|data: &[u8]| {
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let Ok(tree) = Tree::from_answer(answer) else { return };
    assert!(!tree.truncated);
    for entry in &tree.tree {
        let plain = |p: &str| !p.is_empty() && p != "." && p != ".." && !p.contains(['\\', '\0']);
        assert!(entry.path.split('/').all(plain), "{:?}", entry.path);
        assert!(is_object_id(&entry.sha), "{:?}", entry.sha);
    }
});
