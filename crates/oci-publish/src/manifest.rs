//! Manifests and indexes, parsed from bytes that someone else wrote.
//!
//! A registry or a layout hands us a manifest; we check it before anything in it is used: at most
//! [`MAX_MANIFEST_BYTES`], a JSON object, every digest valid ([`Digest`]), every size a number, and a
//! media type that agrees with the content (a manifest has a config, an index has `manifests`, never
//! both).

use std::fmt;

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

impl Descriptor {
    /// Reads a descriptor object; `what` names it in errors (`layer 2`).
    pub(crate) fn from_json(value: &serde_json::Value, what: &str) -> Result<Descriptor, String> {
        if !value.is_object() {
            return Err(format!("{what} is not a descriptor object"));
        }
        let media_type = match &value["mediaType"] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            _ => return Err(format!("{what}: `mediaType` is not a string")),
        };
        let digest = value["digest"].as_str().ok_or_else(|| format!("{what} has no digest"))?;
        let digest = Digest::parse(digest).map_err(|e| format!("{what}: {e}"))?;
        let size = value["size"].as_u64().ok_or_else(|| format!("{what} has no size"))?;
        Ok(Descriptor { media_type, digest, size })
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

impl std::str::FromStr for Platform {
    type Err = String;

    fn from_str(text: &str) -> Result<Platform, String> {
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
            _ => Err(format!(
                "`{text}` is not a platform: expected os/architecture[/variant], such as linux/arm64"
            )),
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
    /// A platform object (`{"os":…,"architecture":…}`), if it is one.
    pub(crate) fn from_json(value: &serde_json::Value) -> Option<Platform> {
        Some(Platform {
            os: value["os"].as_str()?.to_owned(),
            architecture: value["architecture"].as_str()?.to_owned(),
            variant: value["variant"].as_str().map(str::to_owned),
        })
    }

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
    let declared = match &value["mediaType"] {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        _ => return Err(bad("`mediaType` is not a string".to_owned())),
    };
    let served = essence(content_type);
    let media_type = declared
        .or_else(|| {
            [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST]
                .contains(&served)
                .then(|| served.to_owned())
        })
        .unwrap_or_else(|| {
            if value.get("manifests").is_some() { OCI_INDEX.to_owned() } else { OCI_MANIFEST.to_owned() }
        });
    let has_manifests = value.get("manifests").is_some();
    let content = if is_index_type(&media_type) {
        if value.get("config").is_some() {
            return Err(bad(format!("`{media_type}` says an index, but it has a `config`")));
        }
        let entries = value["manifests"]
            .as_array()
            .ok_or_else(|| bad(format!("`{media_type}` says an index, but it has no `manifests` array")))?;
        let mut manifests = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let descriptor = Descriptor::from_json(entry, &format!("manifest {}", i + 1)).map_err(bad)?;
            manifests.push((descriptor, Platform::from_json(&entry["platform"])));
        }
        Content::Index { manifests }
    } else {
        if has_manifests {
            return Err(bad(format!("`{media_type}` says a manifest, but it has a `manifests` array")));
        }
        let config = Descriptor::from_json(&value["config"], "the config").map_err(|e| {
            bad(if value.get("config").is_none() {
                "the manifest has no config descriptor".to_owned()
            } else {
                e
            })
        })?;
        let layers = match &value["layers"] {
            serde_json::Value::Null => Vec::new(),
            serde_json::Value::Array(layers) => layers
                .iter()
                .enumerate()
                .map(|(i, layer)| Descriptor::from_json(layer, &format!("layer {}", i + 1)))
                .collect::<Result<_, _>>()
                .map_err(bad)?,
            _ => return Err(bad("`layers` is not an array".to_owned())),
        };
        Content::Manifest { config, layers }
    };
    Ok(ParsedManifest { media_type, content })
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
            (format!(r#"{{"config":{{"digest":"{}","size":-1}}}}"#, d('a')), "the config has no size"),
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
