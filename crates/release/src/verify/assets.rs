//! A release's assets as `verify` reads them, and the checks over them.
//!
//! Each asset is downloaded once and hashed as it arrives, one at a time: only the documents `verify`
//! reads (the manifest, its signature, `checksums.txt` and the SBOM) are kept, each at most
//! [`MAX_DOCUMENT`] bytes; any other asset is at most [`MAX_ASSET`] bytes and never held.

use std::collections::BTreeMap;
use std::io::Write;

use sha2::{Digest as _, Sha256};
use tagwright_github::Github;
use tagwright_oci_publish::Digest;

use super::VerifyOptions;
use crate::{CHECKSUMS, MANIFEST_BUNDLE, RELEASE_MANIFEST, SBOM};

/// The largest asset downloaded for checking: 512 MiB.
const MAX_ASSET: u64 = 512 << 20;
/// The largest document read: 64 MiB.
const MAX_DOCUMENT: u64 = 64 << 20;
/// The assets whose contents `verify` reads.
const READ: [&str; 4] = [RELEASE_MANIFEST, MANIFEST_BUNDLE, CHECKSUMS, SBOM];

/// One asset of the release.
pub(crate) struct Asset {
    pub(crate) name: String,
    pub(crate) digest: Digest,
    /// The bytes, for the documents `verify` reads.
    pub(crate) bytes: Option<Vec<u8>>,
}

/// The release's assets, as GitHub lists them (a name may be there twice).
pub(crate) struct Assets(pub(crate) Vec<Asset>);

impl Assets {
    pub(crate) fn find(&self, name: &str) -> Option<&Asset> {
        self.0.iter().find(|a| a.name == name)
    }

    /// The contents of a document `verify` reads.
    pub(crate) fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.find(name).and_then(|a| a.bytes.as_deref())
    }
}

/// Hashes what it is given, and keeps it when asked to.
struct Sink {
    hasher: Sha256,
    kept: Option<Vec<u8>>,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.hasher.update(buf);
        if let Some(kept) = &mut self.kept {
            kept.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Downloads every asset of the release, one at a time, hashing each as it arrives.
pub(crate) fn download(github: &Github, options: &VerifyOptions) -> Result<Assets, String> {
    let (owner, repo) = (&options.github.owner, &options.github.repo);
    let release = github
        .release_by_tag(owner, repo, &options.tag)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no GitHub release of {} in {owner}/{repo}", options.tag))?;
    if release.draft {
        return Err(format!("the release {} is still a draft", release.html_url));
    }
    let listed = github.assets(owner, repo, release.id).map_err(|e| e.to_string())?;
    let mut assets = Vec::with_capacity(listed.len());
    for asset in listed {
        let keep = READ.contains(&asset.name.as_str());
        let mut sink = Sink { hasher: Sha256::new(), kept: keep.then(Vec::new) };
        let cap = if keep { MAX_DOCUMENT } else { MAX_ASSET };
        github
            .download_asset_to(owner, repo, asset.id, cap, &mut sink)
            .map_err(|e| format!("{}: {e}", asset.name))?;
        let hex: String = sink.hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let digest = Digest::parse(&format!("sha256:{hex}")).map_err(|e| e.to_string())?;
        assets.push(Asset { name: asset.name, digest, bytes: sink.kept });
    }
    Ok(Assets(assets))
}

/// The release assets the signed manifest lists: name to digest.
pub(crate) fn listed(manifest: &serde_json::Value) -> BTreeMap<String, String> {
    manifest["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["location"].as_str().is_some_and(|l| l.starts_with("release asset ")))
        .filter_map(|a| Some((a["name"].as_str()?.to_owned(), a["digest"].as_str()?.to_owned())))
        .collect()
}

/// Every asset is the manifest, its signature, or listed in the signed manifest at its digest; no
/// name is there twice.
pub(crate) fn accounted(assets: &Assets, manifest: Option<&serde_json::Value>) -> Result<String, String> {
    let manifest =
        manifest.ok_or_else(|| format!("the release has no {RELEASE_MANIFEST} to account for them"))?;
    let listed = listed(manifest);
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for asset in &assets.0 {
        *seen.entry(asset.name.as_str()).or_insert(0) += 1;
    }
    for (name, count) in &seen {
        if *count > 1 {
            problems.push(format!("{name} is on the release {count} times"));
        }
    }
    for asset in &assets.0 {
        if [RELEASE_MANIFEST, MANIFEST_BUNDLE].contains(&asset.name.as_str()) {
            continue;
        }
        match listed.get(&asset.name) {
            None => problems
                .push(format!("{} is on the release but not in the signed {RELEASE_MANIFEST}", asset.name)),
            Some(digest) if asset.digest.as_str() != digest => {
                problems
                    .push(format!("{} is not the {digest} the signed {RELEASE_MANIFEST} lists", asset.name));
            }
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(format!("{} assets, each signed in {RELEASE_MANIFEST}", assets.0.len()))
    } else {
        Err(problems.join("; "))
    }
}

/// Every line of `checksums.txt` matches its asset, and every asset but the list, the manifest and
/// its signature is listed.
pub(crate) fn checksums(assets: &Assets) -> Result<String, String> {
    let list = assets.bytes(CHECKSUMS).ok_or_else(|| format!("the release has no {CHECKSUMS}"))?;
    let text = String::from_utf8_lossy(list);
    let mut checked = 0;
    let mut problems = Vec::new();
    let mut names = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let Some((hex, name)) = line.split_once("  ").or_else(|| line.split_once(" *")) else {
            problems.push(format!("a line of {CHECKSUMS} is not `HEX  NAME`: {line}"));
            continue;
        };
        names.push(name);
        match assets.find(name) {
            None => problems.push(format!("{name} is listed but not on the release")),
            Some(asset) if asset.digest.hex() != hex => {
                problems.push(format!("{name} does not match its checksum"))
            }
            Some(_) => checked += 1,
        }
    }
    for asset in &assets.0 {
        let exempt = [CHECKSUMS, RELEASE_MANIFEST, MANIFEST_BUNDLE].contains(&asset.name.as_str());
        if !exempt && !names.contains(&asset.name.as_str()) {
            problems.push(format!("{} is on the release but not in {CHECKSUMS}", asset.name));
        }
    }
    if problems.is_empty() { Ok(format!("{checked} assets match")) } else { Err(problems.join("; ")) }
}

/// `sbom.cdx.json` is CycloneDX 1.5 or 1.6, with unique `bom-ref`s and no dangling dependency.
pub(crate) fn sbom(assets: &Assets) -> Result<String, String> {
    let bytes = assets.bytes(SBOM).ok_or_else(|| format!("the release has no {SBOM}"))?;
    let bom: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("{SBOM} is not JSON: {e}"))?;
    if bom["bomFormat"] != "CycloneDX" || !matches!(bom["specVersion"].as_str(), Some("1.5" | "1.6")) {
        return Err(format!("{SBOM} is not a CycloneDX 1.5 or 1.6 document"));
    }
    let components = bom["components"].as_array().map_or(&[][..], Vec::as_slice);
    let mut refs: Vec<&str> = components.iter().filter_map(|c| c["bom-ref"].as_str()).collect();
    refs.extend(bom["metadata"]["component"]["bom-ref"].as_str());
    let total = refs.len();
    refs.sort_unstable();
    refs.dedup();
    if refs.len() != total {
        return Err(format!("{SBOM} has duplicate bom-refs"));
    }
    let dangling = bom["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| std::iter::once(&d["ref"]).chain(d["dependsOn"].as_array().into_iter().flatten()))
        .filter_map(serde_json::Value::as_str)
        .find(|r| refs.binary_search(r).is_err());
    if let Some(missing) = dangling {
        return Err(format!("{SBOM}'s dependency graph names {missing}, which is not a component"));
    }
    Ok(format!(
        "CycloneDX {}, {} component(s)",
        bom["specVersion"].as_str().unwrap_or_default(),
        components.len()
    ))
}
