//! DSSE envelopes (the Dead Simple Signing Envelope, v1): a payload, its type, and signatures over
//! the pre-authentication encoding `PAE(type, payload)`, with Ed25519 or ECDSA P-256 keys.
//!
//! ECDSA signatures are DER-encoded over SHA-256, as securesystemslib, sigstore and cosign write and
//! read them. A signature's `keyid` is securesystemslib's default for the key (the SHA-256 of its
//! canonical JSON), unless one is given, so that securesystemslib finds the key without being told.
//!
//! ```
//! use tagwright_sigstore::dsse::{SigningKey, sign, verify};
//!
//! let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIDjvmhyrn1RIbYbCSodQV8Hx3TMm6SEQ1gBOHNYXwmNM\n-----END PRIVATE KEY-----\n";
//! let key = SigningKey::from_pem(pem)?;
//! let envelope = sign("application/vnd.in-toto+json", b"{}", &key, None)?;
//! let verified = verify(&envelope, &[key.verifying_key()])?;
//! assert_eq!(verified.payload, b"{}");
//! # Ok::<(), tagwright_sigstore::dsse::DsseError>(())
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// A DSSE envelope, as JSON writes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The payload, standard base64 with padding.
    pub payload: String,
    /// The payload's type, such as `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// The signatures.
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature {
    /// Which key signed (may be empty).
    #[serde(default)]
    pub keyid: String,
    /// The signature over the PAE, standard base64.
    pub sig: String,
}

/// Why an envelope could not be made or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DsseError {
    /// A key is not one we read.
    #[error(
        "not a key we read: {0} (expected a PKCS#8 or SubjectPublicKeyInfo PEM of an Ed25519 or ECDSA P-256 key)"
    )]
    Key(String),
    /// The envelope is not valid JSON or base64.
    #[error("not a DSSE envelope: {0}")]
    Envelope(String),
    /// No signature verified with any of the keys.
    #[error("no signature verifies with the given key{}", if *.keys == 1 { "" } else { "s" })]
    Unverified {
        /// How many keys were tried.
        keys: usize,
    },
}

/// `PAE(type, body)`: `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in decimal bytes.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// A private key that signs envelopes.
#[derive(Debug, Clone)]
pub enum SigningKey {
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
    /// ECDSA over P-256 with SHA-256.
    P256(p256::ecdsa::SigningKey),
}

/// A public key that verifies envelopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    /// Ed25519.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// ECDSA over P-256 with SHA-256.
    P256(p256::ecdsa::VerifyingKey),
}

impl SigningKey {
    /// Reads an unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(pem: &str) -> Result<SigningKey, DsseError> {
        use ed25519_dalek::pkcs8::DecodePrivateKey as _;
        if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            return Ok(SigningKey::Ed25519(key));
        }
        p256::ecdsa::SigningKey::from_pkcs8_pem(pem)
            .map(SigningKey::P256)
            .map_err(|e| DsseError::Key(e.to_string()))
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            SigningKey::Ed25519(k) => VerifyingKey::Ed25519(k.verifying_key()),
            SigningKey::P256(k) => VerifyingKey::P256(*k.verifying_key()),
        }
    }

    /// The signature over `message`: Ed25519's 64 bytes, or ECDSA P-256's DER over SHA-256.
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        use ed25519_dalek::Signer as _;
        match self {
            SigningKey::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            SigningKey::P256(k) => {
                let signature: p256::ecdsa::Signature = k.sign(message);
                signature.to_der().as_bytes().to_vec()
            }
        }
    }
}

impl VerifyingKey {
    /// Reads a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_pem(pem: &str) -> Result<VerifyingKey, DsseError> {
        use ed25519_dalek::pkcs8::DecodePublicKey as _;
        if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            return Ok(VerifyingKey::Ed25519(key));
        }
        p256::ecdsa::VerifyingKey::from_public_key_pem(pem)
            .map(VerifyingKey::P256)
            .map_err(|e| DsseError::Key(e.to_string()))
    }

    /// The key as SubjectPublicKeyInfo DER.
    pub fn to_der(&self) -> Vec<u8> {
        use ed25519_dalek::pkcs8::EncodePublicKey as _;
        let der = match self {
            VerifyingKey::Ed25519(k) => k.to_public_key_der(),
            VerifyingKey::P256(k) => k.to_public_key_der(),
        };
        der.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// The key's hint, as cosign and sigstore-go write it in a bundle's `publicKey`: the base64
    /// SHA-256 of its SubjectPublicKeyInfo DER.
    pub fn hint(&self) -> String {
        STANDARD.encode(Sha256::digest(self.to_der()))
    }

    /// The key as a SubjectPublicKeyInfo PEM (LF line ends).
    pub fn to_pem(&self) -> String {
        use ed25519_dalek::pkcs8::EncodePublicKey as _;
        let pem = match self {
            VerifyingKey::Ed25519(k) => k.to_public_key_pem(Default::default()),
            VerifyingKey::P256(k) => k.to_public_key_pem(Default::default()),
        };
        pem.unwrap_or_default()
    }

    /// securesystemslib's default keyid: the SHA-256 of the key's canonical JSON
    /// (`{"keytype":…,"keyval":{"public":…},"scheme":…}`), in hex.
    pub fn keyid(&self) -> String {
        let (keytype, scheme, public) = match self {
            VerifyingKey::Ed25519(k) => {
                ("ed25519", "ed25519", k.as_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>())
            }
            VerifyingKey::P256(_) => ("ecdsa", "ecdsa-sha2-nistp256", self.to_pem()),
        };
        // securesystemslib's canonical JSON: sorted keys, no spaces, only `\` and `"` escaped.
        let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let canonical = format!(
            "{{\"keytype\":{},\"keyval\":{{\"public\":{}}},\"scheme\":{}}}",
            quote(keytype),
            quote(&public),
            quote(scheme)
        );
        Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `signature` (Ed25519's 64 bytes, or ECDSA P-256's DER) signs `message`.
    pub fn verify_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        use ed25519_dalek::Verifier as _;
        match self {
            VerifyingKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| k.verify_strict(message, &s).is_ok()),
            VerifyingKey::P256(k) => {
                p256::ecdsa::Signature::from_der(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
        }
    }
}

/// Signs `payload` of `payload_type`; `keyid` defaults to the key's securesystemslib keyid.
pub fn sign(
    payload_type: &str,
    payload: &[u8],
    key: &SigningKey,
    keyid: Option<&str>,
) -> Result<Envelope, DsseError> {
    let signature = key.sign_bytes(&pae(payload_type, payload));
    Ok(Envelope {
        payload: STANDARD.encode(payload),
        payload_type: payload_type.to_owned(),
        signatures: vec![Signature {
            keyid: keyid.map_or_else(|| key.verifying_key().keyid(), str::to_owned),
            sig: STANDARD.encode(signature),
        }],
    })
}

/// What verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The payload.
    pub payload: Vec<u8>,
    /// Its type.
    pub payload_type: String,
    /// The keyid of the signature that verified.
    pub keyid: String,
}

/// Verifies `envelope`: at least one signature must verify with one of `keys` (whatever its keyid
/// says: a keyid is a hint, and DSSE does not require it to match).
pub fn verify(envelope: &Envelope, keys: &[VerifyingKey]) -> Result<Verified, DsseError> {
    let payload = STANDARD
        .decode(&envelope.payload)
        .map_err(|e| DsseError::Envelope(format!("the payload is not base64: {e}")))?;
    let message = pae(&envelope.payload_type, &payload);
    for signature in &envelope.signatures {
        let Ok(sig) = STANDARD.decode(&signature.sig) else { continue };
        if keys.iter().any(|k| k.verify_bytes(&message, &sig)) {
            return Ok(Verified {
                payload,
                payload_type: envelope.payload_type.clone(),
                keyid: signature.keyid.clone(),
            });
        }
    }
    Err(DsseError::Unverified { keys: keys.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_the_specifications() {
        // The example of the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn both_key_types_sign_and_a_tampered_envelope_fails() {
        let ed = SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
        let ec = SigningKey::P256(p256::ecdsa::SigningKey::from_slice(&[9; 32]).expect("scalar"));
        for key in [ed, ec] {
            let envelope = sign("application/vnd.in-toto+json", b"{\"a\":1}", &key, None).expect("sign");
            assert_eq!(envelope.signatures[0].keyid, key.verifying_key().keyid());
            assert_eq!(verify(&envelope, &[key.verifying_key()]).expect("verifies").payload, b"{\"a\":1}");
            let mut payload = envelope.clone();
            payload.payload = STANDARD.encode(b"{\"a\":2}");
            assert!(verify(&payload, &[key.verifying_key()]).is_err());
            let mut kind = envelope.clone();
            kind.payload_type = "text/plain".to_owned();
            assert!(verify(&kind, &[key.verifying_key()]).is_err(), "the type is signed too");
            let pem = key.verifying_key().to_pem();
            assert_eq!(VerifyingKey::from_pem(&pem).expect("round trip"), key.verifying_key());
        }
    }
}
