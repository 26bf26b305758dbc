//! Find, read, compare and rewrite every place a repository records its version.
//!
//! A release has one version, recorded in several files that must agree with each other and with the
//! release tag: `pyproject.toml`, the root package of `uv.lock`, `version` and `appVersion` of each
//! `Chart.yaml`, `Cargo.toml` and the workspace's own entries in `Cargo.lock`.
//!
//! - [`read`] finds the sources (from `tagwright.toml`, or by discovery) and returns an [`Inventory`]
//!   of [`Record`]s, each with its file, field, line and value.
//! - [`check`] compares the records with each other and with a tag, and returns a [`Report`].
//! - [`bump::plan`] computes the lockstep rewrite to a new version, which [`bump::Plan::apply`] writes
//!   atomically: every file, or none.
//!
//! Each ecosystem keeps its own spelling: a pre-release is `1.2.0-rc.1` in Chart.yaml, Cargo.toml and
//! tags, and `1.2.0rc1` in Python files. [`Version`] treats the two as the same version.
//!
//! # Examples
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let repo = tempfile::tempdir()?;
//! std::fs::write(repo.path().join("pyproject.toml"), "[project]\nname = \"demo\"\nversion = '1.2.0rc1'  # keep\n")?;
//! std::fs::create_dir_all(repo.path().join("charts/demo"))?;
//! std::fs::write(repo.path().join("charts/demo/Chart.yaml"), "name: demo\nversion: 1.2.0-rc.1\nappVersion: \"1.2.0-rc.1\"\n")?;
//!
//! let inventory = tagwright_versions::read(repo.path())?;
//! let report = tagwright_versions::check(&inventory, Some("v1.2.0-rc.1"))?;
//! assert_eq!(report.status, tagwright_versions::Status::Ok);
//!
//! let new = tagwright_versions::Version::parse_semver("1.2.0")?;
//! let plan = tagwright_versions::bump::plan(&inventory, &new, &Default::default())?;
//! plan.apply()?;
//! let pyproject = std::fs::read_to_string(repo.path().join("pyproject.toml"))?;
//! assert_eq!(pyproject, "[project]\nname = \"demo\"\nversion = \"1.2.0\"  # keep\n");
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod bump;
mod check;
mod journal;
mod read;
mod tag;
mod text;
mod version;

pub use check::{
    Ahead, Basis, REPORT_SCHEMA_VERSION, Report, Row, Status, TagRow, ahead, check, suggested_config,
};
pub use journal::{RecoverError, Recovery, journal_path, recover};
pub use read::{
    CONFIG_FILE, Disk, Files, Inventory, ReadError, Record, SourceFile, SourceKind, read, read_files,
};
pub use tag::{TagError, TagFormat, tag_from_github_env};

pub use version::{Scheme, Version, VersionError};
