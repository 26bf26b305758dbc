//! Registry credentials: docker's `config.json` (`auths`, `credHelpers`, `credsStore`) and, for ghcr.io,
//! a GitHub token; [`lookup`] tries them in the one order every tagwright command uses.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::Credentials;

/// Credentials for `host`, looked up in this order: `explicit` ones (from `--username` and
/// `--password-stdin`, say), then docker's config (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`, with its credential helpers), then the GitHub token (`GITHUB_TOKEN`, else `GH_TOKEN`; as
/// `GITHUB_ACTOR`) for ghcr.io. `Ok(None)` when none has any.
pub fn lookup(host: &str, explicit: Option<&Credentials>) -> Result<Option<Credentials>, CredentialsError> {
    if let Some(c) = explicit {
        return Ok(Some(c.clone()));
    }
    let config = docker_config_path(
        std::env::var_os("DOCKER_CONFIG").as_deref().map(Path::new),
        std::env::var_os("HOME").as_deref().map(Path::new),
    );
    if let Some(config) = config
        && let Some(found) = from_docker_config(&config, host)?
    {
        return Ok(Some(found));
    }
    let env = |name: &str| std::env::var(name).ok();
    Ok(from_github_token(
        host,
        tagwright_github::token_from_env(&env).as_deref(),
        std::env::var("GITHUB_ACTOR").ok().as_deref(),
    ))
}

/// Why credentials could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The docker config is malformed.
    #[error("{}: {message}", .path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the secret).
        message: String,
    },
    /// A credential helper failed.
    #[error("docker-credential-{helper}: {message}")]
    Helper {
        /// The helper's name.
        helper: String,
        /// What went wrong.
        message: String,
    },
}

/// The docker config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn docker_config_path(docker_config: Option<&Path>, home: Option<&Path>) -> Option<PathBuf> {
    docker_config
        .map(|d| d.join("config.json"))
        .or_else(|| home.map(|h| h.join(".docker").join("config.json")))
}

/// The host as docker config keys spell it: without scheme and path.
fn normalize(key: &str) -> &str {
    let key = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

/// Credentials for `host` from a docker config file; `Ok(None)` when it has none.
pub fn from_docker_config(path: &Path, host: &str) -> Result<Option<Credentials>, CredentialsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CredentialsError::Config { path: path.to_path_buf(), message: e.to_string() }),
    };
    let bad = |message: String| CredentialsError::Config { path: path.to_path_buf(), message };
    let config: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let helper = config["credHelpers"]
        .as_object()
        .and_then(|helpers| helpers.iter().find(|(k, _)| normalize(k) == host))
        .and_then(|(_, v)| v.as_str())
        .or_else(|| config["credsStore"].as_str());
    if let Some(entry) = config["auths"]
        .as_object()
        .and_then(|auths| auths.iter().find(|(k, _)| normalize(k) == host))
        .map(|(_, v)| v)
    {
        if let Some(auth) = entry["auth"].as_str().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth)
                .map_err(|_| bad(format!("auths.{host}.auth is not base64")))?;
            let decoded =
                String::from_utf8(decoded).map_err(|_| bad(format!("auths.{host}.auth is not UTF-8")))?;
            let (username, password) = decoded
                .split_once(':')
                .ok_or_else(|| bad(format!("auths.{host}.auth is not user:password")))?;
            return Ok(Some(Credentials { username: username.to_owned(), password: password.to_owned() }));
        }
        if let (Some(username), Some(password)) = (entry["username"].as_str(), entry["password"].as_str()) {
            return Ok(Some(Credentials { username: username.to_owned(), password: password.to_owned() }));
        }
    }
    match helper {
        Some(helper) => from_helper(helper, host),
        None => Ok(None),
    }
}

/// Runs `docker-credential-<helper> get` for `host`.
fn from_helper(helper: &str, host: &str) -> Result<Option<Credentials>, CredentialsError> {
    use std::io::Write;
    let failed = |message: String| CredentialsError::Helper { helper: helper.to_owned(), message };
    let mut child = std::process::Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| failed(format!("cannot run: {e}")))?;
    child.stdin.take().expect("piped").write_all(host.as_bytes()).map_err(|e| failed(e.to_string()))?;
    let output = child.wait_with_output().map_err(|e| failed(e.to_string()))?;
    if !output.status.success() {
        return Ok(None);
    }
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|_| failed("answered something that is not JSON".to_owned()))?;
    match (answer["Username"].as_str(), answer["Secret"].as_str()) {
        (Some(username), Some(secret)) => {
            Ok(Some(Credentials { username: username.to_owned(), password: secret.to_owned() }))
        }
        _ => Ok(None),
    }
}

/// Credentials from a GitHub token, for ghcr.io only.
pub fn from_github_token(host: &str, token: Option<&str>, actor: Option<&str>) -> Option<Credentials> {
    let token = token.filter(|t| !t.is_empty())?;
    crate::ghcr::is_ghcr(host).then(|| Credentials {
        username: actor.unwrap_or("github-actions").to_owned(),
        password: token.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("bot:s3cr3t");
        std::fs::write(&path, format!(r#"{{"auths":{{"https://127.0.0.1:5000/v1/":{{"auth":"{auth}"}},"ghcr.io":{{"username":"u","password":"p"}}}}}}"#))
            .expect("write");
        let local = from_docker_config(&path, "127.0.0.1:5000").expect("reads").expect("found");
        assert_eq!((local.username.as_str(), local.password.as_str()), ("bot", "s3cr3t"));
        assert_eq!(from_docker_config(&path, "ghcr.io").expect("reads").expect("found").username, "u");
        assert!(from_docker_config(&path, "quay.io").expect("reads").is_none());
        assert!(
            from_docker_config(&dir.path().join("missing.json"), "x").expect("no file is fine").is_none()
        );
        std::fs::write(&path, r#"{"auths":{"x":{"auth":"!!"}}}"#).expect("write");
        let err = from_docker_config(&path, "x").expect_err("bad base64").to_string();
        assert!(!err.contains("!!") && err.contains("not base64"), "{err}");
    }

    #[test]
    fn github_tokens_are_for_ghcr_only() {
        assert!(from_github_token("ghcr.io", Some("t"), None).is_some());
        assert!(from_github_token("quay.io", Some("t"), None).is_none());
        assert!(from_github_token("ghcr.io", Some(""), None).is_none());
    }
}
