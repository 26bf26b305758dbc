//! A GitHub REST API client for what a release needs: releases, release assets, git tags and the git
//! data at a tag (ref, tag object with its verification, tree, blobs), the
//! container package versions of ghcr.io (which refuses registry deletes), and the commit authors and
//! pull requests that release notes credit.
//!
//! It follows GitHub's REST API as documented (and as its OpenAPI description states it):
//! - pagination through `Link: <…>; rel="next"`, never to another origin;
//! - rate limits: `x-ratelimit-remaining: 0` waits for `x-ratelimit-reset`, `retry-after` (secondary
//!   limits, 429 and 403) waits as asked, each within a bound, and says so when the bound is hit;
//! - GitHub Enterprise through `GITHUB_API_URL`, the token from `GITHUB_TOKEN` or `GH_TOKEN`;
//! - assets are uploaded through the release's `upload_url` template, never a constructed URL.
//!
//! Every request has a timeout, every answer a size cap, and the token goes only to the API's origin
//! and to the upload origin the API names.
//!
//! ```no_run
//! use tagwright_github::{Github, NewRelease};
//!
//! let github = Github::from_env()?;
//! let release = match github.release_by_tag("acme", "advisoryhub", "v1.2.0")? {
//!     Some(release) => release,
//!     None => github.create_release("acme", "advisoryhub", &NewRelease::draft("v1.2.0"))?,
//! };
//! github.upload_asset(&release, "checksums.txt", "text/plain", b"0123  advisoryhub-1.2.0.tgz\n")?;
//! # Ok::<(), tagwright_github::GithubError>(())
//! ```

#![deny(missing_docs)]

mod client;
mod git;
mod history;
mod packages;
mod releases;

pub use client::{
    DEFAULT_DEADLINE, GITHUB_API, Github, GithubError, RateLimitPolicy, api_from_env, same_origin,
    token_from_env,
};
pub use git::{
    GitActor, GitCommit, GitObject, GitRef, GitTag, GitTreeRef, Tree, TreeEntry, TreeError, Verification,
    is_object_id,
};
pub use history::{PullRequest, RepoCommit};
pub use packages::{PackageVersion, encode_package};
pub use releases::{Access, Asset, NewRelease, Release, ReleasePatch};
