//! The provenance of a GitHub Actions job, built as `@actions/attest` builds it
//! (`lib/provenance.js`, `lib/oidc.js`): an ID token with audience `nobody`, verified against the
//! issuer's JWKS (`<issuer>/.well-known/openid-configuration` → `jwks_uri`), its claim set required,
//! and the predicate made from its claims.

use serde_json::{Value, json};

use super::ProvenanceError;

/// The audience `@actions/attest` asks for.
pub const AUDIENCE: &str = "nobody";

/// The claims `@actions/attest` requires.
pub const REQUIRED_CLAIMS: [&str; 12] = [
    "iss",
    "ref",
    "sha",
    "repository",
    "event_name",
    "job_workflow_ref",
    "workflow_ref",
    "repository_id",
    "repository_owner_id",
    "runner_environment",
    "run_id",
    "run_attempt",
];

/// What a GitHub Actions job's environment provides.
#[derive(Clone)]
#[non_exhaustive]
pub struct Job {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub token_url: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: sent to the token URL only.
    pub request_token: String,
    /// `GITHUB_SERVER_URL` (default `https://github.com`).
    pub server_url: String,
    /// The token issuer; `None` derives it from the server URL, as `@actions/attest` does.
    pub issuer: Option<String>,
    /// Seconds since the epoch, for the token's time window.
    pub now: i64,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("token_url", &self.token_url)
            .field("request_token", &"<redacted>")
            .field("server_url", &self.server_url)
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl Job {
    /// The job the environment describes (`get` reads a variable), or `None` outside GitHub Actions
    /// (`GITHUB_ACTIONS` is not `true`). Inside, a missing token variable is an error: the workflow
    /// needs `permissions: id-token: write`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Job>, ProvenanceError> {
        if get("GITHUB_ACTIONS").as_deref() != Some("true") {
            return Ok(None);
        }
        let need = |name: &str| {
            get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
                ProvenanceError::Oidc(format!(
                    "{name} is not set: the job needs `permissions: id-token: write`"
                ))
            })
        };
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Ok(Some(Job {
            token_url: need("ACTIONS_ID_TOKEN_REQUEST_URL")?,
            request_token: need("ACTIONS_ID_TOKEN_REQUEST_TOKEN")?,
            server_url: get("GITHUB_SERVER_URL")
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "https://github.com".to_owned()),
            issuer: None,
            now: i64::try_from(now).unwrap_or(i64::MAX),
        }))
    }
}

/// `https://token.actions.githubusercontent.com` for github.com, `https://token.actions.<host>` for a
/// GHE.com tenant; any other server is refused, as `@actions/attest` refuses it.
pub fn issuer_for(server_url: &str) -> Result<String, ProvenanceError> {
    let host = server_url.strip_prefix("https://").filter(|h| !h.contains('/')).unwrap_or_default();
    let tenant = host.strip_suffix(".ghe.com").is_some_and(|t| {
        !t.is_empty() && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    match host {
        "github.com" => Ok("https://token.actions.githubusercontent.com".to_owned()),
        _ if tenant => Ok(format!("https://token.actions.{host}")),
        _ => Err(ProvenanceError::Oidc(format!(
            "invalid server URL: {server_url} (github.com or a *.ghe.com tenant)"
        ))),
    }
}

/// The verified claims of the job's ID token.
pub fn claims(job: &Job) -> Result<serde_json::Map<String, Value>, ProvenanceError> {
    let oidc = |m: String| ProvenanceError::Oidc(m);
    let issuer = match &job.issuer {
        Some(issuer) => issuer.clone(),
        None => issuer_for(&job.server_url)?,
    };
    let client = crate::http::client().map_err(oidc)?;
    let token = crate::http::get_json(
        &client,
        &format!("{}&audience={AUDIENCE}", job.token_url),
        Some(&job.request_token),
    )
    .map_err(oidc)?;
    let token = token["value"]
        .as_str()
        .ok_or_else(|| oidc("the token endpoint's answer has no `value`".to_owned()))?
        .to_owned();
    let configuration =
        crate::http::get_json(&client, &format!("{issuer}/.well-known/openid-configuration"), None)
            .map_err(oidc)?;
    let jwks_uri =
        configuration["jwks_uri"].as_str().ok_or_else(|| oidc(format!("{issuer}: no jwks_uri")))?;
    let jwks = crate::http::get_json(&client, jwks_uri, None).map_err(oidc)?;
    let claims = super::jwt::verify(&token, &jwks, AUDIENCE, job.now).map_err(oidc)?;
    // `iss` may carry an enterprise slug after the issuer URL, and nothing else.
    if !claims.get("iss").and_then(Value::as_str).is_some_and(|iss| super::jwt::issuer_matches(iss, &issuer))
    {
        return Err(oidc(format!("unexpected iss claim {:?} (expected {issuer})", claims.get("iss"))));
    }
    let missing: Vec<&str> = REQUIRED_CLAIMS.iter().copied().filter(|c| !claims.contains_key(*c)).collect();
    if !missing.is_empty() {
        return Err(oidc(format!("missing claims: {}", missing.join(", "))));
    }
    Ok(claims)
}

/// The SLSA v1 predicate `buildSLSAProvenancePredicate` returns, from verified `claims`.
pub fn predicate(server_url: &str, claims: &serde_json::Map<String, Value>) -> Value {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let value = |name: &str| claims.get(name).cloned().unwrap_or(Value::Null);
    let repository = text("repository");
    // `owner/repo/.github/workflows/x.yml@ref` → `.github/workflows/x.yml`, as the JS does it: the first
    // `owner/repo/` removed, then everything before the first `@`.
    let workflow_ref = text("workflow_ref").replacen(&format!("{repository}/"), "", 1);
    let path = workflow_ref.split('@').next().unwrap_or_default();
    json!({
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {"ref": value("ref"), "repository": format!("{server_url}/{repository}"), "path": path}
            },
            "internalParameters": {
                "github": {
                    "event_name": value("event_name"),
                    "repository_id": value("repository_id"),
                    "repository_owner_id": value("repository_owner_id"),
                    "runner_environment": value("runner_environment")
                }
            },
            "resolvedDependencies": [
                {"uri": format!("git+{server_url}/{repository}@{}", text("ref")), "digest": {"gitCommit": value("sha")}}
            ]
        },
        "runDetails": {
            "builder": {"id": format!("{server_url}/{}", text("job_workflow_ref"))},
            "metadata": {
                "invocationId": format!("{server_url}/{repository}/actions/runs/{}/attempts/{}", text("run_id"), text("run_attempt"))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_follow_the_server_url_as_actions_attest_does() {
        assert_eq!(
            issuer_for("https://github.com").expect("github"),
            "https://token.actions.githubusercontent.com"
        );
        assert_eq!(issuer_for("https://acme.ghe.com").expect("ghe"), "https://token.actions.acme.ghe.com");
        assert!(issuer_for("https://evil.example").is_err() && issuer_for("http://github.com").is_err());
    }
}
