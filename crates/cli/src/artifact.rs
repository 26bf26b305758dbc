//! What `attest`'s commands and the keyless ones share: the registry arguments and target, input
//! files, predicates and their types, and the exit code of a signature failure.

use std::path::Path;

use tagwright_sigstore::signature;

use crate::Failure;

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

/// How `sign` and `verify` reach the registry, and `--json`.
#[derive(Debug, clap::Args)]
pub struct RegistryArgs {
    #[command(flatten)]
    pub access: crate::RegistryAccess,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn registry_target(
    reference: &str,
    args: &RegistryArgs,
) -> Result<(tagwright_oci_publish::registry::Registry, tagwright_oci_publish::RegistryRef), Failure> {
    let target = match tagwright_oci_publish::Target::parse(reference) {
        Ok(tagwright_oci_publish::Target::Registry(r)) => r,
        Ok(_) => {
            return Err(Failure::input(format!(
                "{reference}: sign and verify work on registries, not layouts"
            )));
        }
        Err(e) => return Err(Failure::input(e.to_string())),
    };
    let registry =
        signature::registry(&target, &args.access.options()).map_err(|e| Failure::input(e.to_string()))?;
    Ok((registry, target))
}

pub(crate) fn signature_failure(err: signature::SignatureError) -> Failure {
    match err {
        signature::SignatureError::Registry(e) => {
            let e = tagwright_oci_publish::OciError::from(e);
            Failure::of(tagwright_release::ErrorKind::of_oci(&e), &e)
        }
        other => Failure::check(other.to_string()),
    }
}

/// cosign's predicate type names, or a URI as it is.
pub fn predicate_type(name: &str) -> Result<String, Failure> {
    Ok(match name {
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "spdxjson" => "https://spdx.dev/Document",
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        uri if uri.contains("://") => uri,
        other => {
            return Err(Failure::input(format!(
                "`{other}` is not a predicate type: use slsaprovenance1, cyclonedx, spdxjson, custom or a URI"
            )));
        }
    }
    .to_owned())
}

/// A predicate file's JSON; a whole in-toto statement gives its `predicate`.
pub(crate) fn read_predicate(predicate: &Path) -> Result<serde_json::Value, Failure> {
    let mut value: serde_json::Value = serde_json::from_slice(&read(predicate)?)
        .map_err(|e| Failure::input(format!("{}: not JSON: {e}", predicate.display())))?;
    if value.get("_type").is_some() && value.get("predicate").is_some() {
        value = value["predicate"].take();
    }
    Ok(value)
}
