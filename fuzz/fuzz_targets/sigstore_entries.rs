//! What Rekor, Fulcio's users and registries hand to keyless signing and verification: Rekor v1
//! answers, cosign's Rekor bundle annotation, signing configs and identity tokens. No panic, and an
//! entry read from an answer survives the round trip through cosign's annotation.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_sigstore::keyless::{IdentityToken, Instance, LogEntry, legacy_bundle};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = IdentityToken::parse(text);
    let _ = Instance::from_signing_config(text);
    if let Some(entry) = LogEntry::from_rekor_bundle_annotation(text) {
        let _ = legacy_bundle(
            b"payload",
            "c2ln",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            &entry,
        );
    }
    let Ok(answer) = serde_json::from_str::<serde_json::Value>(text) else { return };
    if let Ok(entry) = LogEntry::from_rekor_answer(&answer) {
        let back = LogEntry::from_rekor_bundle_annotation(&entry.rekor_bundle_annotation())
            .expect("our own annotation reads");
        let without_proof = |e: &LogEntry| {
            let mut v = e.bundle_entry();
            v.as_object_mut().map(|o| o.remove("inclusionProof"));
            v
        };
        assert_eq!(without_proof(&back), without_proof(&entry));
    }
});
