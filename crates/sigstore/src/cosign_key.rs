//! cosign's key files: `cosign generate-key-pair` writes `cosign.key`, an ECDSA P-256 private key
//! encrypted with a password, and `cosign.pub`.
//!
//! `cosign.key` is PEM `ENCRYPTED SIGSTORE PRIVATE KEY` (older cosign: `ENCRYPTED COSIGN PRIVATE KEY`)
//! around JSON: `{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":…},
//! "cipher":{"name":"nacl/secretbox","nonce":…},"ciphertext":…}`. The secretbox key is
//! `scrypt(password, salt, N, r, p, 32)`, and the plaintext is the key's PKCS#8 DER. cosign also reads
//! plain `PRIVATE KEY` and `EC PRIVATE KEY` PEM files, and so does [`read_private_key`].
//!
//! ```
//! use tagwright_sigstore::cosign_key::{generate_key_pair, read_private_key};
//!
//! let pair = generate_key_pair(b"hunter2")?;
//! let key = read_private_key(&pair.private_pem, Some(b"hunter2"))?;
//! assert_eq!(key.verifying_key().to_pem(), pair.public_pem);
//! assert!(read_private_key(&pair.private_pem, Some(b"wrong")).is_err());
//! # Ok::<(), tagwright_sigstore::cosign_key::KeyError>(())
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use serde::{Deserialize, Serialize};

use crate::dsse::{SigningKey, VerifyingKey};

/// scrypt's parameters as cosign writes them: N = 2^15, r = 8, p = 1.
const LOG_N: u8 = 15;
/// The most memory a key file's scrypt may ask for, 128·N·r bytes: 256 MiB (cosign's keys ask 32 MiB).
pub const MAX_SCRYPT_MEMORY: u64 = 256 << 20;
/// The most work a key file's scrypt may ask for, N·r·p: 2^22 (16 times cosign's 2^18).
pub const MAX_SCRYPT_WORK: u64 = 1 << 22;

/// Why a key file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file is not a key file we read.
    #[error("not a cosign or PEM private key: {0}")]
    Format(String),
    /// The password is wrong (or the file was changed): the secretbox does not open.
    #[error("the password does not decrypt the key (COSIGN_PASSWORD is wrong, or the key file was changed)")]
    Password,
    /// An encrypted key needs a password.
    #[error("the key is encrypted: give its password (COSIGN_PASSWORD)")]
    NoPassword,
    /// The system's random numbers failed.
    #[error("no random numbers: {0}")]
    Random(String),
}

#[derive(Debug, Serialize, Deserialize)]
struct Encrypted {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: Params,
    salt: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[allow(non_snake_case)]
struct Params {
    N: u64,
    r: u32,
    p: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

/// A new key pair, as `cosign generate-key-pair` writes it.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// `cosign.key`: the encrypted private key.
    pub private_pem: String,
    /// `cosign.pub`: the public key (PKIX PEM).
    pub public_pem: String,
}

/// Makes an ECDSA P-256 key pair and encrypts the private key with `password` (which may be empty,
/// as cosign allows).
pub fn generate_key_pair(password: &[u8]) -> Result<KeyPair, KeyError> {
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let der = key.to_pkcs8_der().map_err(|e| KeyError::Format(e.to_string()))?;
    let private_pem = encrypt(der.as_bytes(), password)?;
    let public_pem = SigningKey::P256(key).verifying_key().to_pem();
    Ok(KeyPair { private_pem, public_pem })
}

/// Encrypts PKCS#8 DER into a cosign key file.
fn encrypt(der: &[u8], password: &[u8]) -> Result<String, KeyError> {
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 24];
    let random = |buf: &mut [u8]| {
        rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, buf)
            .map_err(|e| KeyError::Random(e.to_string()))
    };
    random(&mut salt)?;
    random(&mut nonce)?;
    let key = derive(password, &salt, LOG_N, 8, 1)?;
    let ciphertext = crypto_secretbox::XSalsa20Poly1305::new(&key.into())
        .encrypt(&nonce.into(), der)
        .map_err(|_| KeyError::Format("secretbox refused to encrypt".to_owned()))?;
    let body = Encrypted {
        kdf: Kdf {
            name: "scrypt".to_owned(),
            params: Params { N: 1 << LOG_N, r: 8, p: 1 },
            salt: STANDARD.encode(salt),
        },
        cipher: Cipher { name: "nacl/secretbox".to_owned(), nonce: STANDARD.encode(nonce) },
        ciphertext: STANDARD.encode(ciphertext),
    };
    let json = serde_json::to_vec(&body).map_err(|e| KeyError::Format(e.to_string()))?;
    Ok(pem("ENCRYPTED SIGSTORE PRIVATE KEY", &json))
}

fn derive(password: &[u8], salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<[u8; 32], KeyError> {
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|e| KeyError::Format(format!("scrypt parameters: {e}")))?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, salt, &params, &mut key)
        .map_err(|e| KeyError::Format(format!("scrypt: {e}")))?;
    Ok(key)
}

/// Reads a private key file as cosign reads it: encrypted (`password` opens it), or plain
/// `PRIVATE KEY` / `EC PRIVATE KEY` PEM (Ed25519 too, for DSSE).
pub fn read_private_key(text: &str, password: Option<&[u8]>) -> Result<SigningKey, KeyError> {
    let (label, body) = unpem(text).ok_or_else(|| KeyError::Format("no PEM block".to_owned()))?;
    match label.as_str() {
        "ENCRYPTED SIGSTORE PRIVATE KEY" | "ENCRYPTED COSIGN PRIVATE KEY" => {
            let password = password.ok_or(KeyError::NoPassword)?;
            let der = decrypt(&body, password)?;
            p256::ecdsa::SigningKey::from_pkcs8_der(&der)
                .map(SigningKey::P256)
                .map_err(|e| KeyError::Format(format!("the decrypted key: {e}")))
        }
        "PRIVATE KEY" => SigningKey::from_pem(text).map_err(|e| KeyError::Format(e.to_string())),
        "EC PRIVATE KEY" => {
            use p256::elliptic_curve::SecretKey;
            let key: SecretKey<p256::NistP256> = SecretKey::from_sec1_der(&body)
                .map_err(|e| KeyError::Format(format!("EC PRIVATE KEY: {e}")))?;
            Ok(SigningKey::P256(key.into()))
        }
        other => Err(KeyError::Format(format!("a PEM block `{other}`"))),
    }
}

/// Reads a public key file (`cosign.pub`).
pub fn read_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_pem(text).map_err(|e| KeyError::Format(e.to_string()))
}

fn decrypt(json: &[u8], password: &[u8]) -> Result<Vec<u8>, KeyError> {
    let bad = |m: &str| KeyError::Format(m.to_owned());
    let body: Encrypted = serde_json::from_slice(json)
        .map_err(|e| KeyError::Format(format!("the encrypted key's JSON: {e}")))?;
    if body.kdf.name != "scrypt" || body.cipher.name != "nacl/secretbox" {
        return Err(KeyError::Format(format!(
            "kdf `{}` with cipher `{}` (cosign writes scrypt with nacl/secretbox)",
            body.kdf.name, body.cipher.name
        )));
    }
    let (n, r, p) = (body.kdf.params.N, u64::from(body.kdf.params.r), u64::from(body.kdf.params.p));
    // N a power of two; memory (128·N·r) and work (N·r·p) bounded before any work is done.
    let memory = n.checked_mul(r).and_then(|nr| nr.checked_mul(128));
    let work = n.checked_mul(r).and_then(|nr| nr.checked_mul(p));
    if !n.is_power_of_two()
        || n < 2
        || r == 0
        || p == 0
        || memory.is_none_or(|m| m > MAX_SCRYPT_MEMORY)
        || work.is_none_or(|w| w > MAX_SCRYPT_WORK)
    {
        return Err(KeyError::Format(format!(
            "scrypt parameters out of range: N={n}, r={r}, p={p} (at most {} MiB of memory, 128·N·r, and N·r·p at most 2^22; cosign writes N=32768, r=8, p=1)",
            MAX_SCRYPT_MEMORY >> 20
        )));
    }
    let salt = STANDARD.decode(&body.kdf.salt).map_err(|_| bad("the salt is not base64"))?;
    let nonce: [u8; 24] = STANDARD
        .decode(&body.cipher.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| bad("the nonce is not 24 bytes of base64"))?;
    let ciphertext = STANDARD.decode(&body.ciphertext).map_err(|_| bad("the ciphertext is not base64"))?;
    let key = derive(
        password,
        &salt,
        u8::try_from(n.trailing_zeros()).unwrap_or(LOG_N),
        body.kdf.params.r,
        body.kdf.params.p,
    )?;
    crypto_secretbox::XSalsa20Poly1305::new(&key.into())
        .decrypt(&nonce.into(), ciphertext.as_slice())
        .map_err(|_| KeyError::Password)
}

fn pem(label: &str, body: &[u8]) -> String {
    let encoded = STANDARD.encode(body);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The first PEM block: its label and decoded body.
fn unpem(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let (label, rest) = rest.split_once("-----")?;
    let end = rest.find(&format!("-----END {label}-----"))?;
    let body: String = rest[..end].lines().map(str::trim).filter(|l| !l.contains(':')).collect();
    Some((label.to_owned(), STANDARD.decode(body).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_we_encrypt_decrypts_and_a_wrong_password_says_so() {
        let pair = generate_key_pair(b"correct horse").expect("pair");
        assert!(pair.private_pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let key = read_private_key(&pair.private_pem, Some(b"correct horse")).expect("decrypts");
        assert_eq!(key.verifying_key(), read_public_key(&pair.public_pem).expect("pub"));
        assert!(matches!(read_private_key(&pair.private_pem, Some(b"wrong")), Err(KeyError::Password)));
        assert!(matches!(read_private_key(&pair.private_pem, None), Err(KeyError::NoPassword)));
        let empty = generate_key_pair(b"").expect("an empty password, as cosign allows");
        assert!(read_private_key(&empty.private_pem, Some(b"")).is_ok());
    }

    #[test]
    fn hostile_scrypt_parameters_are_refused_before_any_work() {
        let json = r#"{"kdf":{"name":"scrypt","params":{"N":1073741824,"r":8,"p":1},"salt":"AA=="},"cipher":{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"ciphertext":"AA=="}"#;
        let file = pem("ENCRYPTED SIGSTORE PRIVATE KEY", json.as_bytes());
        let err = read_private_key(&file, Some(b"x")).expect_err("N = 2^30");
        assert!(err.to_string().contains("out of range"), "{err}");
        // Issue 21, item 6: N under the old bound, but r or p making it gigabytes or hours.
        for (n, r, p) in [
            (1u64 << 20, 32u32, 1u32),
            (1 << 20, 8, 1),
            (1 << 15, 8, 1 << 16),
            (1 << 20, 1, 16),
            (1 << 15, 0, 1),
            (3, 8, 1),
        ] {
            let json = format!(
                r#"{{"kdf":{{"name":"scrypt","params":{{"N":{n},"r":{r},"p":{p}}},"salt":"AA=="}},"cipher":{{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},"ciphertext":"AA=="}}"#
            );
            let file = pem("ENCRYPTED SIGSTORE PRIVATE KEY", json.as_bytes());
            let err = read_private_key(&file, Some(b"x")).expect_err("refused");
            assert!(err.to_string().contains("out of range"), "N={n} r={r} p={p}: {err}");
        }
    }
}
