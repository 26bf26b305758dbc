//! References (`host/repo:tag`, `host/repo@digest`, `oci://…`, `oci-layout:DIR[:tag]`) and digests.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_oci_publish::{Digest, Reference, Target};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(target) = Target::parse(text) {
        let printed = target.to_string();
        let again = Target::parse(&printed).unwrap_or_else(|e| panic!("{text:?} prints as {printed:?}: {e}"));
        assert_eq!(again, target, "{text:?} prints as {printed:?}");
        if let Some(Reference::Digest(d)) = target.reference() {
            assert!(!d.hex().contains(['/', '.']));
        }
    }
    if let Ok(digest) = Digest::parse(text) {
        assert_eq!(digest.as_str(), text);
        assert!(digest.hex().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
});
