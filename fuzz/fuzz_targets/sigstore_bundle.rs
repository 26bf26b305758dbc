//! Sigstore bundles as `attest verify-blob` and `tagwright verify` read them: keyless, or signed with
//! a key (with a log entry, or without one). No panic; a bundle that repeats a key in any object is
//! never verified; and our own key bundle of the input always verifies, and never with another key.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tagwright_sigstore::bundle::{BlobVerifier, Identity, Tlog, TrustedRoot, key_bundle, trusted_root};
use tagwright_sigstore::dsse::SigningKey;

static ROOT: LazyLock<TrustedRoot> = LazyLock::new(|| trusted_root(None).expect("the embedded root"));
static KEYS: LazyLock<(SigningKey, SigningKey)> = LazyLock::new(|| {
    let key = |seed: u8| SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]));
    (key(7), key(9))
});

fuzz_target!(|data: &[u8]| {
    let verifier = BlobVerifier::new(&ROOT).expect("a verifier");
    let (key, other) = &*KEYS;
    let public = key.verifying_key();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = verifier.verify(b"artifact", text, &Identity::any());
        for tlog in [Tlog::Required, Tlog::IfPresent, Tlog::Ignored] {
            let _ = verifier.verify_with_keys(b"artifact", text, std::slice::from_ref(&public), tlog);
        }
    }
    let bundle = key_bundle(&public, data, &key.sign_bytes(data), None);
    let verified = verifier.verify_with_keys(data, &bundle, std::slice::from_ref(&public), Tlog::IfPresent);
    assert_eq!(verified.expect("our own bundle verifies").key, Some(public.hint()));
    assert!(verifier.verify_with_keys(data, &bundle, &[other.verifying_key()], Tlog::Ignored).is_err());
    let required = verifier.verify_with_keys(data, &bundle, std::slice::from_ref(&public), Tlog::Required);
    assert!(required.is_err(), "no log entry");
});
