//! Signed release commits and tags: SSH signatures made in-process or by ssh-agent, in git's exact
//! formats, verified against an allowed-signers file before anything leaves the machine.
//!
//! - [`Signer`] finds the key git would use (`user.signingkey`: a private key file, a public key file
//!   or a `key::` literal; else the agent's first suitable key) and makes `git`-namespace SSH
//!   signatures, as `ssh-keygen -Y sign` does.
//! - [`create_signed_commit`] and [`create_signed_tag`] write objects byte-identical to what
//!   `git commit -S` and `git tag -s` write with `gpg.format=ssh` (ed25519 signatures are deterministic,
//!   so the whole object is).
//! - [`verify_commit`] and [`verify_tag`] check signatures against an [`AllowedSigners`] file with
//!   `ssh-keygen -Y verify`'s semantics, at the commit or tag time, and report who signed.
//! - [`preflight`] holds the checks a release makes first, each with a typed reason.
//! - [`Snapshot`] saves and restores the refs, index and reflogs a release changes.
//!
//! A payload signed with a new key, then verified against an allowed-signers file naming it:
//!
//! ```
//! use std::path::Path;
//! use tagwright_git_sign::{AllowedSigners, Signer, SignerOptions, verify_payload, write_new_ed25519_key};
//!
//! let dir = tempfile::tempdir()?;
//! let key = dir.path().join("id_ed25519");
//! let public = write_new_ed25519_key(&key, "rel@example.com")?;
//! let signer = Signer::from_key_file(&key, &SignerOptions::default())?;
//! let signature = signer.sign(b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n")?;
//!
//! let allowed = format!("rel@example.com namespaces=\"git\" {public}\n");
//! let allowed = AllowedSigners::parse(&allowed, Path::new("allowed_signers"))?;
//! let who = verify_payload(&signature, b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n", 0, &allowed)?;
//! assert_eq!(who.principal, "rel@example.com");
//! assert!(verify_payload(&signature, b"tampered", 0, &allowed).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod allowed;
mod git_error;
mod object;
pub mod preflight;
mod signer;
mod snapshot;

pub use allowed::{AllowedSigner, AllowedSigners, AllowedSignersError};
pub use git_error::GitError;
pub use object::{
    ObjectError, Verified, VerifyError, create_signed_commit, create_signed_tag, format_signature, split_tag,
    verify_commit, verify_payload, verify_tag,
};
pub use signer::{GIT_NAMESPACE, Signer, SignerError, SignerOptions, write_new_ed25519_key};
pub use snapshot::{Snapshot, SnapshotError};
