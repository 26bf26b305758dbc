//! What Rekor, timestamp authorities, Fulcio's users and registries hand to keyless signing and
//! verification: Rekor v1 and v2 answers, RFC 3161 timestamp responses, cosign's Rekor bundle
//! annotation, signing configs and identity tokens. No panic; a Rekor v1 entry survives the round trip
//! through cosign's annotation, and a Rekor v2 entry never claims a SET.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_sigstore::keyless::{IdentityToken, Instance, LogEntry, legacy_bundle};

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = tagwright_sigstore::tsa::token(data) {
        assert!(token.len() < data.len(), "the token is inside the response");
    }
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
    if let Ok(entry) = tagwright_sigstore::rekor_v2::log_entry(&answer) {
        assert!(entry.bundle_entry().get("inclusionPromise").is_none());
        assert!(entry.rekor_bundle_annotation().is_none());
    }
    if let Ok(entry) = LogEntry::from_rekor_answer(&answer) {
        let annotation = entry.rekor_bundle_annotation().expect("a Rekor v1 entry has a SET");
        let back = LogEntry::from_rekor_bundle_annotation(&annotation).expect("our own annotation reads");
        let without_proof = |e: &LogEntry| {
            let mut v = e.bundle_entry();
            v.as_object_mut().map(|o| o.remove("inclusionProof"));
            v
        };
        assert_eq!(without_proof(&back), without_proof(&entry));
    }
});
