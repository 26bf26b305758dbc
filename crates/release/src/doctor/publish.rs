//! `tagwright doctor --publish`: what `publish` needs, checked without writing anything: the
//! registry reachable with the credentials for the chart's repository, the GitHub token's access to
//! the release's repository, and an OIDC token for keyless signing in GitHub Actions.

use std::path::Path;

use tagwright_oci_publish::registry::Registry;
use tagwright_oci_publish::{RegistryOptions, Target};
use tagwright_versions::SourceKind;

use super::report::{DoctorReport, PublishSetup};

/// Adds the publishing findings to `report`.
pub(crate) fn check(
    setup: &PublishSetup,
    inventory: Option<&tagwright_versions::Inventory>,
    report: &mut DoctorReport,
) {
    match setup.charts.as_ref().map(|c| (c, chart_repository(c, inventory))) {
        None => report.fail(
            "registry",
            "not checked: no --charts",
            "pass --charts oci://HOST/NAMESPACE, as publish takes it",
        ),
        Some((charts, None)) => {
            report.pass("registry", format!("{charts}: a local layout, nothing to reach"))
        }
        Some((_, Some((host, repository)))) => match ping(&host, &repository, &setup.registry) {
            Ok(()) => {
                report.pass("registry", format!("{host} answers /v2/ with push access to {repository}"))
            }
            Err(e) => report.fail(
                "registry",
                e,
                format!("log in to {host} (docker login, or GITHUB_TOKEN for ghcr.io) with push access"),
            ),
        },
    }
    match &setup.github {
        None => report.fail(
            "GitHub token",
            "not checked: no --github",
            "pass --github OWNER/REPO, as publish takes it",
        ),
        Some(target) if target.token.is_none() => report.fail(
            "GitHub token",
            "no token: GITHUB_TOKEN and GH_TOKEN are unset",
            "set GITHUB_TOKEN (in Actions: `permissions: contents: write` on the job)",
        ),
        Some(target) => {
            let full = format!("{}/{}", target.owner, target.repo);
            let access = target
                .client()
                .map_err(|e| e.to_string())
                .and_then(|github| github.access(&target.owner, &target.repo).map_err(|e| e.to_string()));
            match access {
                Ok(Some(access)) if access.push => {
                    report.pass("GitHub token", format!("can write releases of {full}"));
                }
                Ok(Some(_)) => report.fail(
                    "GitHub token",
                    format!("can read {full} but not write its releases"),
                    "give the token contents: write (in Actions: `permissions: contents: write` on the job)",
                ),
                Ok(None) => report.fail(
                    "GitHub token",
                    format!("{full} is not there for this token (404)"),
                    "check OWNER/REPO, and that the token may see the repository",
                ),
                Err(e) => report.fail("GitHub token", e, "check GITHUB_API_URL and the network"),
            }
        }
    }
    let env = |name: &str| setup.actions_env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    if env("GITHUB_ACTIONS") != Some("true") {
        report.pass("OIDC token", "not in GitHub Actions: keyless signing here takes --identity-token");
    } else if env("ACTIONS_ID_TOKEN_REQUEST_URL").is_some_and(|v| !v.is_empty())
        && env("ACTIONS_ID_TOKEN_REQUEST_TOKEN").is_some_and(|v| !v.is_empty())
    {
        report.pass("OIDC token", "the job can request an ID token (keyless signing)");
    } else {
        report.fail(
            "OIDC token",
            "the job cannot request an ID token: ACTIONS_ID_TOKEN_REQUEST_URL is unset",
            "add `permissions: id-token: write` to the job that publishes",
        );
    }
}

/// The registry host and repository a chart of `inventory` goes to under `charts`.
fn chart_repository(
    charts: &Target,
    inventory: Option<&tagwright_versions::Inventory>,
) -> Option<(String, String)> {
    let Target::Registry(target) = charts else { return None };
    let name = inventory
        .and_then(|i| i.records.iter().find(|r| r.kind == SourceKind::Chart))
        .and_then(|r| Path::new(&r.file).parent()?.file_name()?.to_str().map(str::to_owned))
        .unwrap_or_else(|| "chart".to_owned());
    Some((target.host.clone(), format!("{}/{name}", target.repository)))
}

/// `GET /v2/` of `host` with the credentials for `repository`.
fn ping(host: &str, repository: &str, options: &RegistryOptions) -> Result<(), String> {
    let events = std::sync::Arc::new(tagwright_oci_publish::Silent);
    let mut options = options.clone();
    // The credentials publish would use: docker's config, or GITHUB_TOKEN for ghcr.io.
    if let Some(found) = tagwright_oci_publish::credentials::lookup(host, None).map_err(|e| e.to_string())? {
        options.credentials = Some(found);
    }
    let registry = Registry::new(host, &options, events).map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    registry.with_deadline(deadline).ping(repository).map_err(|e| e.to_string())
}
