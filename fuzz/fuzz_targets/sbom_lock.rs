//! uv.lock and Cargo.lock as `attest sbom` reads them: no panic, and an SBOM that is made passes our
//! own checks and is deterministic (the same input, the same bytes).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_sbom::{SbomOptions, sbom_json};
use tagwright_fuzz::{fresh_repo, split, write};

fuzz_target!(|data: &[u8]| {
    let parts = split(data, 2);
    let lock = if parts[1].first() == Some(&b'C') { "Cargo.lock" } else { "uv.lock" };
    let repo = fresh_repo();
    write(&repo, &[(lock, parts[0])]);
    let mut options = SbomOptions::new(&repo);
    options.timestamp = Some(0);
    if let Ok((bom, json)) = sbom_json(&options) {
        assert!(json.contains(&bom.serial_number));
        let (_, again) = sbom_json(&options).expect("a lock that read once reads again");
        assert_eq!(json, again, "not deterministic");
    }
});
