//! allowed-signers files, with ssh-keygen's semantics.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tagwright_git_sign::AllowedSigners;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(allowed) = AllowedSigners::parse(text, Path::new("allowed_signers")) {
        for signer in &allowed.signers {
            assert!(signer.line >= 1 && signer.line <= text.lines().count().max(1));
            let _ = signer.matches_principal("maintainer@example.com");
            let _ = signer.allows_namespace("git");
        }
    }
});
