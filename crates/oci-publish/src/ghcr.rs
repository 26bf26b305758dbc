//! ghcr.io, GitHub's container registry: it refuses registry-API deletes (`405 UNSUPPORTED`), so
//! versions there are deleted through the GitHub Packages API (`tagwright_github`).

/// Whether `host` is GitHub's container registry (`ghcr.io`, or a subdomain of it).
pub fn is_ghcr(host: &str) -> bool {
    let name = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    name == "ghcr.io" || name.ends_with(".ghcr.io")
}
