//! The release runbook's flows as library functions: [`bump()`], [`release()`], [`publish()`],
//! [`verify()`], [`retag()`] and [`docs_deploy()`], [`github_release()`], the GitHub release step
//! as a reconcile, and [`doctor()`], the setup checked before the first release.
//!
//! Each flow takes typed options and returns a typed report (serializable, for `--json`). It reports
//! progress through [`Events`] and never prints. It fails with an [`Error`] that names the step and
//! whose [`ErrorKind`] gives the command line's exit code. A flow that changes a repository either
//! finishes or puts everything back, and its error says which.
//!
//! The flows find external programs as a product does: an explicit path in the options, else `PATH`.
//!
//! ```
//! use std::sync::Arc;
//! use tagwright_release::{BumpOptions, Silent, bump, parse_version};
//!
//! let repo = tempfile::tempdir()?;
//! std::fs::write(repo.path().join("pyproject.toml"), "[project]\nname = \"demo\"\nversion = \"0.1.0\"\n")?;
//! let mut options = BumpOptions::new(repo.path(), parse_version("0.2.0")?);
//! options.dry_run = true;
//! let report = bump(&options, Arc::new(Silent))?;
//! assert_eq!(report.plan.files[0].changes[0].to, "0.2.0");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod bump;
mod cut;
mod docs;
mod doctor;
mod error;
mod events;
mod evidence;
mod github_release;
mod publish;
mod remote;
mod retag;
mod signing;
mod tools;
mod verify;

pub use bump::last_release;
pub use bump::{BumpOptions, BumpReport, bump, parse_version};
pub use cut::{ReleaseOptions, ReleaseReport, STEPS as RELEASE_STEPS, release};
pub use docs::{
    AliasType, DocVersion, DocsDeployOptions, DocsDeployReport, MovedAlias, STEPS as DOCS_STEPS, Site,
    UnknownAliasType, docs_deploy, read_versions_json, rewrite_versions_json,
};
pub use doctor::{DoctorOptions, DoctorReport, Finding, PublishSetup, doctor};
pub use error::{Error, ErrorKind, Step};
pub use events::{Event, Events, Resync, Silent};
pub use evidence::{
    AssetSummary, CHECKSUMS, MANIFEST_BUNDLE, MANIFEST_SCHEMA_VERSION, RELEASE_MANIFEST, SBOM,
};
pub use github_release::{GithubReleaseOptions, GithubReleaseReport, ReleaseAsset, github_release};
pub use publish::{GithubTarget, PublishOptions, PublishReport, STEPS as PUBLISH_STEPS, publish};
pub use remote::RemoteState;
pub use retag::{RetagOptions, RetagReport, RetagStep, retag};
pub use signing::{ChartSignature, Signing};
pub use verify::{
    Artifact, CHECKS, Check, GITHUB_ISSUER, Identities, VerifyOptions, VerifyReport, derived_identities,
    derived_identities_in, derived_identity, verify,
};
