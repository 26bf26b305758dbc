//! Helm charts and OCI artifacts for releases: package a chart reproducibly, push and pull it with Helm's
//! media types, wait for a release image (and its platforms), delete a version (on ghcr.io through the
//! GitHub Packages API), and copy artifacts between registries and OCI image layouts.
//!
//! A [`Target`] is a registry repository (`oci://host/ns`, `host/repo:tag`, `host/repo@sha256:…`) or an
//! OCI image layout (`oci-layout:DIR[:tag]`). [`Publisher`] runs the operations over either; the
//! registry side speaks the OCI distribution API directly ([`Registry`]), with bounded retries on 5xx,
//! 429 (honouring `Retry-After`) and dropped connections, chunked and resumable blob uploads streamed from
//! disk, Basic and Bearer authentication, and one TLS stack (rustls with ring).
//!
//! ```no_run
//! use std::sync::Arc;
//! use tagwright_oci_publish::{Publisher, RegistryOptions, Silent, Target};
//!
//! let publisher = Publisher::new(RegistryOptions::default(), Arc::new(Silent));
//! let target = Target::parse("oci-layout:dist/oci")?;
//! let pushed = publisher.push_chart("charts/advisoryhub".as_ref(), &target, false)?;
//! println!("{} {}", pushed.reference, pushed.digest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod chart;
pub mod credentials;
mod digest;
pub mod ghcr;
mod gojson;
pub mod layout;
pub mod manifest;
mod ops;
mod options;
mod reference;
pub mod registry;
pub mod scratch;
mod store;
mod transfer;

pub use digest::{Digest, DigestError};
pub use ops::{
    ChartId, ChartPull, ChartPush, CopyReport, Deletion, OciError, Publisher, WaitOptions, WaitOutcome,
    rfc3339,
};
pub use options::{Credentials, Events, RegistryOptions, RetryPolicy, Silent};
pub use reference::{Reference, ReferenceError, RegistryRef, Target};
