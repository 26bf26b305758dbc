//! Sigstore for releases: what cosign, sigstore-python and `gh attestation verify` write and read.
//!
//! - [`cosign_key`]: cosign's encrypted key files (scrypt + secretbox), read and written.
//! - [`dsse`]: DSSE envelopes and in-toto statements, signed and verified.
//! - [`signature`], [`referrer`]: cosign's `.sig`/`.att` tags and OCI referrers of an artifact in a
//!   registry.
//! - [`bundle`]: Sigstore bundles (v0.1–v0.3), verified against a trust root, keyless or with a key.
//! - [`keyless`]: keyless signing with Fulcio and Rekor, from an OIDC token.
//! - [`provenance`]: SLSA provenance v1 statements for a release's subjects.
//!
//! Checksums, the SBOM and the Trivy gate live in their own crates (`tagwright-checksums`,
//! `tagwright-sbom`, `tagwright-trivy`), so that a tool needing one of them compiles no network stack.

#![deny(missing_docs)]

mod attestation;
pub mod bundle;
pub mod cosign_key;
pub mod dsse;
mod http;
pub mod keyless;
mod oci;
pub mod provenance;
pub mod referrer;
pub mod rekor_v2;
pub mod signature;
pub mod tlog;
pub mod tsa;
