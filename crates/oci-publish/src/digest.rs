//! Content digests (`algorithm:hex`), parsed once where they enter.
//!
//! A digest from a manifest, an `index.json`, a reference or a registry header is data that someone
//! else controls, and it ends up in file paths (`blobs/sha256/<hex>`) and URLs (`/v2/…/blobs/<digest>`).
//! A [`Digest`] holds only a known algorithm and lowercase hex of that algorithm's length, so it is
//! safe in either. No `String` digest reaches a path or a URL.

use std::fmt;

use sha2::Digest as _;

/// A digest algorithm the OCI image specification registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256: 64 hex digits.
    Sha256,
    /// SHA-512: 128 hex digits.
    Sha512,
}

impl Algorithm {
    /// `sha256` or `sha512`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A valid digest, such as `sha256:0123…`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    /// `algorithm:hex`.
    text: String,
}

/// Why a text is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a valid digest: {reason}")]
pub struct DigestError {
    /// The text (shortened to 100 characters), with control characters escaped.
    pub text: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl Digest {
    /// Parses `algorithm:hex`: a known algorithm (`sha256`, `sha512`) and lowercase hex of its length.
    pub fn parse(text: &str) -> Result<Digest, DigestError> {
        let err = |reason| DigestError { text: shown(text), reason };
        let (algorithm, hex) = text.split_once(':').ok_or_else(|| err("expected algorithm:hex"))?;
        let algorithm = match algorithm {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(err("the algorithm is not sha256 or sha512")),
        };
        if hex.len() != algorithm.hex_len() {
            return Err(err(match algorithm {
                Algorithm::Sha256 => "a sha256 digest has 64 hex digits",
                Algorithm::Sha512 => "a sha512 digest has 128 hex digits",
            }));
        }
        if !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(err("the hex digits must be 0-9 and lowercase a-f"));
        }
        Ok(Digest { algorithm, text: text.to_owned() })
    }

    /// The SHA-256 digest of `bytes`.
    pub fn sha256(bytes: &[u8]) -> Digest {
        Digest::of(Algorithm::Sha256, bytes)
    }

    /// The digest of `bytes` with `algorithm`.
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Digest {
        let mut hasher = Hasher::new(algorithm);
        hasher.update(bytes);
        hasher.finish()
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The hex digits.
    pub fn hex(&self) -> &str {
        &self.text[self.algorithm.as_str().len() + 1..]
    }

    /// `algorithm:hex`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The tag prefix cosign derives from a digest: `sha256-<hex>`.
    pub fn tag_prefix(&self) -> String {
        format!("{}-{}", self.algorithm.as_str(), self.hex())
    }
}

/// `text` as an error shows it: at most 100 characters, control characters escaped.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(100).flat_map(char::escape_debug).collect();
    if text.chars().count() > 100 {
        out.push('…');
    }
    out
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.text)
    }
}

impl std::str::FromStr for Digest {
    type Err = DigestError;

    fn from_str(text: &str) -> Result<Digest, DigestError> {
        Digest::parse(text)
    }
}

impl PartialEq<str> for Digest {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Computes a digest with a given algorithm.
pub(crate) enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    pub(crate) fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    pub(crate) fn finish(self) -> Digest {
        let (algorithm, bytes) = match self {
            Hasher::Sha256(h) => (Algorithm::Sha256, h.finalize().to_vec()),
            Hasher::Sha512(h) => (Algorithm::Sha512, h.finalize().to_vec()),
        };
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Digest { algorithm, text: format!("{}:{hex}", algorithm.as_str()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_digests_parse() {
        let good = format!("sha256:{}", "0a".repeat(32));
        let digest = Digest::parse(&good).expect("valid");
        assert_eq!(
            (digest.algorithm(), digest.hex().len(), digest.to_string()),
            (Algorithm::Sha256, 64, good)
        );
        assert!(Digest::parse(&format!("sha512:{}", "f".repeat(128))).is_ok());
        for (bad, why) in [
            ("sha256:../../../../secret.txt", "64 hex digits"),
            (&format!("sha256:{}", "A".repeat(64)), "lowercase"),
            (&format!("sha256:{}/..", "a".repeat(61)), "lowercase"),
            (&format!("md5:{}", "a".repeat(32)), "not sha256 or sha512"),
            ("sha256", "algorithm:hex"),
            (&format!("sha512:{}", "a".repeat(64)), "128 hex digits"),
        ] {
            let err = Digest::parse(bad).expect_err(bad).to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn errors_show_hostile_text_safely() {
        let err = Digest::parse(&format!("sha256:\n{}", "x".repeat(500))).expect_err("invalid").to_string();
        assert!(!err.contains('\n') && err.len() < 200, "{err}");
    }

    #[test]
    fn hashing_agrees_with_the_parser() {
        let d = Digest::sha256(b"");
        assert_eq!(d.as_str(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(Digest::parse(d.as_str()), Ok(d.clone()));
        assert_eq!(d.tag_prefix(), format!("sha256-{}", d.hex()));
    }
}
