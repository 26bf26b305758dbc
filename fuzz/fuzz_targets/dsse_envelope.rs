//! DSSE envelopes as `attest dsse verify` reads them: no panic, and nothing verifies with a key that
//! did not sign (inputs cannot hold a signature of this key over a payload they choose).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_sigstore::dsse::{Envelope, SigningKey, sign, verify};

fuzz_target!(|data: &[u8]| {
    let key = SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[42; 32]));
    let Ok(envelope) = serde_json::from_slice::<Envelope>(data) else { return };
    if let Ok(verified) = verify(&envelope, &[key.verifying_key()]) {
        // Only an envelope this key signed verifies: sign the same payload and compare.
        let ours = sign(&verified.payload_type, &verified.payload, &key, None).expect("sign");
        assert!(envelope.signatures.iter().any(|s| s.sig == ours.signatures[0].sig));
    }
});
