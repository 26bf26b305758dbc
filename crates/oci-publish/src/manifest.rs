//! Manifests and indexes, parsed from bytes that someone else wrote.
//!
//! A registry or a layout hands us a manifest; we check it before anything in it is used: at most
//! [`MAX_MANIFEST_BYTES`], a JSON object, every digest valid ([`Digest`]), every size a number, and a
//! media type that agrees with the content (a manifest has a config, an index has `manifests`, never
//! both). [`parse`] is the one place that decides index or manifest.
//!
//! The serde types here are for reading. A manifest that is pushed, stored or digested stays the bytes
//! it was built or received as: nothing is re-serialised.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::digest::Digest;

/// The OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker's image manifest media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker's manifest list media type.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The largest manifest, index or config we read: 4 MiB, as containerd allows.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// What a manifest or `index.json` says about a blob: its media type, digest and size.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// `mediaType`.
    pub media_type: String,
    /// `digest`.
    pub digest: Digest,
    /// `size`.
    pub size: u64,
}

/// A descriptor as JSON holds it: in a manifest, an index or a layout's `index.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescriptorJson {
    #[serde(default)]
    media_type: Option<String>,
    digest: String,
    size: u64,
    #[serde(default)]
    platform: Option<PlatformJson>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// A platform object, in an index entry or an image config (`os`, `architecture`, `variant`).
#[derive(Debug, Deserialize)]
struct PlatformJson {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl From<PlatformJson> for Platform {
    fn from(p: PlatformJson) -> Platform {
        Platform { os: p.os, architecture: p.architecture, variant: p.variant }
    }
}

/// A manifest or an index, as much of it as [`parse`] reads; the descriptors are read one by one so
/// that an error names which.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocumentJson {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<serde_json::Value>,
    #[serde(default)]
    layers: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    manifests: Option<Vec<serde_json::Value>>,
}

/// An image config, for the platform of a single-platform image.
#[derive(Debug, Deserialize)]
pub(crate) struct ImageConfig {
    #[serde(flatten)]
    platform: PlatformJson,
}

impl ImageConfig {
    /// The platform an image config names, if it is an image config.
    pub(crate) fn platform(bytes: &[u8]) -> Option<Platform> {
        serde_json::from_slice::<ImageConfig>(bytes).ok().map(|c| c.platform.into())
    }
}

/// The fields of Helm's chart config that a pull needs.
#[derive(Debug, Deserialize)]
pub(crate) struct ChartConfig {
    /// The chart's name.
    pub(crate) name: String,
    /// The chart's version.
    pub(crate) version: String,
}

/// An entry of an index or a layout's `index.json`: the descriptor, its platform and annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) descriptor: Descriptor,
    pub(crate) platform: Option<Platform>,
    pub(crate) annotations: BTreeMap<String, String>,
}

impl Entry {
    /// Reads a descriptor object; `what` names it in errors (`layer 2`).
    pub(crate) fn from_json(value: &serde_json::Value, what: &str) -> Result<Entry, String> {
        if !value.is_object() {
            return Err(format!("{what} is not a descriptor object"));
        }
        let json = DescriptorJson::deserialize(value).map_err(|e| format!("{what}: {e}"))?;
        let digest = Digest::parse(&json.digest).map_err(|e| format!("{what}: {e}"))?;
        Ok(Entry {
            descriptor: Descriptor {
                media_type: json.media_type.unwrap_or_default(),
                digest,
                size: json.size,
            },
            platform: json.platform.map(Platform::from),
            annotations: json.annotations,
        })
    }
}

/// A platform, as `os/architecture[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`, ….
    pub architecture: String,
    /// `v8`, `v7`, … if any.
    pub variant: Option<String>,
}

/// Text that is not a platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a platform: expected os/architecture[/variant], such as linux/arm64")]
pub struct BadPlatform(pub String);

impl std::str::FromStr for Platform {
    type Err = BadPlatform;

    fn from_str(text: &str) -> Result<Platform, BadPlatform> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => {
                Ok(Platform { os: (*os).to_owned(), architecture: (*arch).to_owned(), variant: None })
            }
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform {
                    os: (*os).to_owned(),
                    architecture: (*arch).to_owned(),
                    variant: Some((*variant).to_owned()),
                })
            }
            _ => Err(BadPlatform(text.to_owned())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}

impl Platform {
    /// Whether `offered` satisfies this requirement (a requirement without a variant takes any).
    pub fn satisfied_by(&self, offered: &Platform) -> bool {
        self.os == offered.os
            && self.architecture == offered.architecture
            && (self.variant.is_none() || self.variant == offered.variant)
    }
}

/// What a manifest holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// An image or artifact manifest: a config and layers.
    Manifest {
        /// The config blob.
        config: Descriptor,
        /// The layers, in order.
        layers: Vec<Descriptor>,
    },
    /// An index (or Docker manifest list): manifests, with their platforms where given.
    Index {
        /// The manifests.
        manifests: Vec<(Descriptor, Option<Platform>)>,
    },
}

/// A checked manifest or index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedManifest {
    /// The media type: the document's own `mediaType`, else the one it was served with, else the one
    /// its content implies.
    pub media_type: String,
    /// What it holds.
    pub content: Content,
}

/// Why bytes are not a usable manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ManifestError {
    /// What is wrong.
    pub message: String,
}

fn is_index_type(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}

/// `application/x; charset=…` → `application/x`.
fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// Parses and checks a manifest or index; `content_type` is what it was served or stored as.
pub fn parse(bytes: &[u8], content_type: &str) -> Result<ParsedManifest, ManifestError> {
    let bad = |message: String| ManifestError { message };
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(bad(format!("the manifest is larger than 4 MiB ({} bytes)", bytes.len())));
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("the manifest is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(bad("the manifest is not a JSON object".to_owned()));
    }
    let doc = DocumentJson::deserialize(&value).map_err(|e| bad(format!("the manifest: {e}")))?;
    let media_type = media_type(doc.media_type, essence(content_type), doc.manifests.is_some());
    let descriptor = |value: &serde_json::Value, what: String| Entry::from_json(value, &what).map_err(bad);
    let content = if is_index_type(&media_type) {
        if doc.config.is_some() {
            return Err(bad(format!("`{media_type}` says an index, but it has a `config`")));
        }
        let entries = doc
            .manifests
            .ok_or_else(|| bad(format!("`{media_type}` says an index, but it has no `manifests` array")))?;
        let manifests = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                descriptor(entry, format!("manifest {}", i + 1)).map(|e| (e.descriptor, e.platform))
            })
            .collect::<Result<_, _>>()?;
        Content::Index { manifests }
    } else {
        if doc.manifests.is_some() {
            return Err(bad(format!("`{media_type}` says a manifest, but it has a `manifests` array")));
        }
        let config = doc.config.ok_or_else(|| bad("the manifest has no config descriptor".to_owned()))?;
        let config = descriptor(&config, "the config".to_owned())?.descriptor;
        let layers = doc
            .layers
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, layer)| descriptor(layer, format!("layer {}", i + 1)).map(|e| e.descriptor))
            .collect::<Result<_, _>>()?;
        Content::Manifest { config, layers }
    };
    Ok(ParsedManifest { media_type, content })
}

/// The one decision of index or manifest: the document's own `mediaType`, else the type it was
/// served or stored as (when that is a manifest type), else what its content implies.
fn media_type(declared: Option<String>, served: &str, has_manifests: bool) -> String {
    declared
        .or_else(|| {
            [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST]
                .contains(&served)
                .then(|| served.to_owned())
        })
        .unwrap_or_else(|| if has_manifests { OCI_INDEX.to_owned() } else { OCI_MANIFEST.to_owned() })
}

impl ParsedManifest {
    /// Whether this is an index.
    pub fn is_index(&self) -> bool {
        matches!(self.content, Content::Index { .. })
    }

    /// Every blob a copy must carry: the config and layers of a manifest (an index has none of its own).
    pub fn blobs(&self) -> Vec<&Descriptor> {
        match &self.content {
            Content::Manifest { config, layers } => std::iter::once(config).chain(layers).collect(),
            Content::Index { .. } => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: char) -> String {
        format!("sha256:{}", n.to_string().repeat(64))
    }

    #[test]
    fn manifests_and_indexes() {
        let image = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"c","digest":"{}","size":2}},"layers":[{{"mediaType":"l","digest":"{}","size":3}}]}}"#,
            d('a'),
            d('b')
        );
        let parsed = parse(image.as_bytes(), "application/vnd.oci.image.manifest.v1+json; charset=utf-8")
            .expect("valid");
        assert_eq!(parsed.media_type, OCI_MANIFEST);
        assert_eq!(parsed.blobs().iter().map(|b| b.size).collect::<Vec<_>>(), [2, 3]);
        let index = format!(
            r#"{{"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":9,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#,
            d('c')
        );
        let parsed = parse(index.as_bytes(), "").expect("valid");
        assert!(parsed.is_index());
        let Content::Index { manifests } = parsed.content else { panic!("an index") };
        assert_eq!(manifests[0].1.as_ref().map(ToString::to_string).as_deref(), Some("linux/arm64/v8"));
    }

    #[test]
    fn contradictions_and_bad_digests_are_refused() {
        for (text, why) in [
            (format!(r#"{{"mediaType":"{OCI_MANIFEST}","manifests":[]}}"#), "has a `manifests` array"),
            (format!(r#"{{"mediaType":"{OCI_INDEX}","config":{{}},"manifests":[]}}"#), "has a `config`"),
            (format!(r#"{{"mediaType":"{OCI_INDEX}"}}"#), "no `manifests` array"),
            (
                r#"{"config":{"digest":"sha256:../../x","size":1}}"#.to_owned(),
                "the config: `sha256:../../x` is not a valid digest",
            ),
            (
                format!(r#"{{"config":{{"digest":"{}","size":-1}}}}"#, d('a')),
                "the config: invalid value: integer `-1`",
            ),
            (r#"{"config":{"size":1},"layers":[]}"#.to_owned(), "the config: missing field `digest`"),
            (r#"{"mediaType":7}"#.to_owned(), "the manifest: invalid type: integer `7`"),
            (
                format!(
                    r#"{{"config":{{"digest":"{}","size":1}},"layers":[{{"digest":"sha256:A","size":1}}]}}"#,
                    d('a')
                ),
                "layer 1: `sha256:A`",
            ),
            ("[]".to_owned(), "not a JSON object"),
            ("{".to_owned(), "not JSON"),
            (r#"{"schemaVersion":2}"#.to_owned(), "no config descriptor"),
        ] {
            let err = parse(text.as_bytes(), "").expect_err(&text).to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
        let huge = vec![b' '; (MAX_MANIFEST_BYTES + 1) as usize];
        assert!(parse(&huge, "").expect_err("too large").to_string().contains("larger than 4 MiB"));
    }

    #[test]
    fn platforms() {
        let p: Platform = "linux/arm64/v8".parse().expect("platform");
        assert_eq!(p.to_string(), "linux/arm64/v8");
        let any_variant: Platform = "linux/arm64".parse().expect("platform");
        assert!(
            any_variant.satisfied_by(&p) && !p.satisfied_by(&"linux/arm64/v7".parse().expect("platform"))
        );
        assert!("linux".parse::<Platform>().is_err() && "linux//x".parse::<Platform>().is_err());
    }
}
