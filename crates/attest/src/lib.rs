//! Release evidence that others can verify: checksum lists (and, later, SBOMs and provenance).
//!
//! [`checksums`] writes and checks the `checksums.txt` a release ships, byte-compatible with GNU
//! coreutils' `sha256sum`, so that users can verify with either tool.

#![deny(missing_docs)]

pub mod checksums;
