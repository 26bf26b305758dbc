//! CycloneDX 1.5 and 1.6 JSON, as serde types of our own: the subset an SBOM from a lock file uses.
//! Field order follows the specification's examples; absent fields are omitted.

use serde::Serialize;

/// A CycloneDX BOM.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    /// The JSON schema of the spec version.
    #[serde(rename = "$schema")]
    pub schema: String,
    /// Always `CycloneDX`.
    pub bom_format: &'static str,
    /// `1.5` or `1.6`.
    pub spec_version: String,
    /// `urn:uuid:…`, derived from the content.
    pub serial_number: String,
    /// Always 1.
    pub version: u32,
    /// The tool, the time and the project.
    pub metadata: Metadata,
    /// Every locked package but the project itself.
    pub components: Vec<Component>,
    /// The dependency graph, one entry per component and the project.
    pub dependencies: Vec<Dependency>,
}

/// `metadata`.
#[derive(Debug, Clone, Serialize)]
pub struct Metadata {
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// The tool that wrote the BOM.
    pub tools: Tools,
    /// The project being released.
    pub component: Component,
}

/// `metadata.tools` in its object form (1.5 and later).
#[derive(Debug, Clone, Serialize)]
pub struct Tools {
    /// The tools, as components.
    pub components: Vec<Component>,
}

/// A component: a package, or the project.
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    /// `application` (the project, the tool) or `library`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The reference the dependency graph uses.
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    /// The package name.
    pub name: String,
    /// The version.
    pub version: String,
    /// `excluded` for development dependencies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'static str>,
    /// The package's own hashes (Cargo's checksum).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    /// The package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The files the lock records (uv's sdist and wheels), each with its hash; the git repository.
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    /// Source, markers, extras and groups, as `name`/`value` pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

/// A hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hash {
    /// `SHA-256`, `SHA-384` or `SHA-512`.
    pub alg: &'static str,
    /// Lowercase hex.
    pub content: String,
}

/// An external reference.
#[derive(Debug, Clone, Serialize)]
pub struct ExternalReference {
    /// `distribution` (a file) or `vcs` (a repository).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where it is.
    pub url: String,
    /// The file's hash, when the lock records one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
}

/// A property.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Property {
    /// The name, namespaced (`uv:…`, `cargo:…`, `tagwright:…`).
    pub name: String,
    /// The value.
    pub value: String,
}

/// One node of the dependency graph.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The component's `bom-ref`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// What it depends on, by `bom-ref`.
    pub depends_on: Vec<String>,
}
