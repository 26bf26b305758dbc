//! Release evidence that others can verify: checksum lists (and, later, SBOMs and provenance).
//!
//! [`checksums`] writes and checks the `checksums.txt` a release ships, byte-compatible with GNU
//! coreutils' `sha256sum`, so that users can verify with either tool.
//!
//! ```
//! use tagwright_attest::checksums::{Algorithm, LineFormat, ListLine, format_line, hash_reader, parse_list};
//!
//! let digest = hash_reader(Algorithm::Sha256, &b"chart bytes"[..])?;
//! let line = format_line(&digest, b"advisoryhub-1.2.0.tgz", LineFormat::default());
//! // The line `sha256sum` writes, and reads back with `-c`.
//! assert_eq!(&line[64..], b"  advisoryhub-1.2.0.tgz\n");
//! let parsed = parse_list(Algorithm::Sha256, &line);
//! assert_eq!(parsed, [ListLine::Entry { name: b"advisoryhub-1.2.0.tgz".to_vec(), hex: line[..64].to_vec() }]);
//! # Ok::<(), std::io::Error>(())
//! ```

#![deny(missing_docs)]

mod attestation;
pub mod bundle;
pub mod checksums;
pub mod cosign_key;
pub mod dsse;
mod http;
pub mod keyless;
pub mod provenance;
pub mod referrer;
pub mod sbom;
pub mod signature;
pub mod trivy;
