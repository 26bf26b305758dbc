//! A stand-in for GitHub Actions' OIDC token service (it cannot run here): the ID-token endpoint a job
//! calls (`ACTIONS_ID_TOKEN_REQUEST_URL`, with its bearer `ACTIONS_ID_TOKEN_REQUEST_TOKEN`), the
//! issuer's discovery document and its JWKS, on loopback.
//!
//! Tokens are RS256 JWTs (signed by the real `openssl`) carrying the claim set of an Actions job, as
//! GitHub documents it, with the audience the caller asks for. Knobs make it lie: sign with a key that
//! is not in the JWKS, or leave a claim out.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::http::{HttpServer, Request, Response};

/// The bearer token the job presents to the token endpoint.
pub const REQUEST_TOKEN: &str = "id-token-request-token";
const KID: &str = "stand-in-key-1";

#[derive(Debug)]
struct State {
    issuer: String,
    claims: serde_json::Map<String, Value>,
    key: PathBuf,
    other_key: PathBuf,
    sign_with_other_key: bool,
    omitted: Vec<String>,
}

/// The running stand-in.
#[derive(Debug)]
pub struct OidcStandIn {
    server: HttpServer,
    state: Arc<Mutex<State>>,
    _keys: tempfile::TempDir,
}

/// The claims of a tag-push release job of `acme/advisoryhub`, as GitHub's documentation of Actions'
/// OIDC tokens lists them (`iss`, `aud`, `iat`, `nbf` and `exp` are added per token).
pub fn job_claims() -> serde_json::Map<String, Value> {
    let claims = json!({
        "jti": "8d1c5ab6-1a55-4b8e-9b3a-6a7d2b9c3f10",
        "sub": "repo:acme/advisoryhub:ref:refs/tags/v1.2.0",
        "ref": "refs/tags/v1.2.0",
        "sha": "4d3c2b1a0f9e8d7c6b5a49382716051f4e3d2c1b",
        "repository": "acme/advisoryhub",
        "repository_owner": "acme",
        "repository_owner_id": "5151",
        "repository_visibility": "public",
        "repository_id": "424242",
        "run_id": "9876543210",
        "run_number": "77",
        "run_attempt": "2",
        "actor": "octocat",
        "actor_id": "583231",
        "workflow": "Release",
        "workflow_ref": "acme/advisoryhub/.github/workflows/release.yml@refs/tags/v1.2.0",
        "workflow_sha": "4d3c2b1a0f9e8d7c6b5a49382716051f4e3d2c1b",
        "job_workflow_ref": "acme/advisoryhub/.github/workflows/release.yml@refs/tags/v1.2.0",
        "job_workflow_sha": "4d3c2b1a0f9e8d7c6b5a49382716051f4e3d2c1b",
        "head_ref": "",
        "base_ref": "",
        "event_name": "push",
        "ref_type": "tag",
        "ref_protected": "true",
        "runner_environment": "github-hosted"
    });
    claims.as_object().cloned().unwrap_or_default()
}

impl OidcStandIn {
    /// Starts the stand-in with [`job_claims`].
    pub fn start() -> OidcStandIn {
        let keys = tempfile::tempdir().expect("tempdir");
        let key = rsa_key(keys.path(), "issuer.pem");
        let other_key = rsa_key(keys.path(), "other.pem");
        let jwk = jwk(&key);
        let state = Arc::new(Mutex::new(State {
            issuer: String::new(),
            claims: job_claims(),
            key,
            other_key,
            sign_with_other_key: false,
            omitted: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        let server = HttpServer::start(move |request: &Request| {
            let state = shared.lock().expect("state");
            let path = request.path.split('?').next().unwrap_or_default();
            match path {
                "/.well-known/openid-configuration" => Response::json(
                    200,
                    &json!({
                        "issuer": state.issuer,
                        "jwks_uri": format!("{}/.well-known/jwks", state.issuer),
                        "subject_types_supported": ["public", "pairwise"],
                        "response_types_supported": ["id_token"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "scopes_supported": ["openid"]
                    })
                    .to_string(),
                ),
                "/.well-known/jwks" => Response::json(200, &json!({"keys": [jwk]}).to_string()),
                "/_apis/actions/idtoken" => {
                    if request.header("authorization") != Some(&format!("Bearer {REQUEST_TOKEN}")) {
                        return Response::json(401, r#"{"message":"bad request token"}"#);
                    }
                    let audience = request
                        .path
                        .split(['?', '&'])
                        .find_map(|p| p.strip_prefix("audience="))
                        .unwrap_or("https://github.com/acme")
                        .to_owned();
                    Response::json(200, &json!({"value": state.token(&audience)}).to_string())
                }
                _ => Response::json(404, r#"{"message":"Not Found"}"#),
            }
        });
        state.lock().expect("state").issuer = server.url();
        OidcStandIn { server, state, _keys: keys }
    }

    /// The issuer (and the server's own URL): `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> String {
        self.server.url()
    }

    /// What a job's environment holds: `GITHUB_ACTIONS`, `ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`,
    /// and `GITHUB_SERVER_URL`.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GITHUB_ACTIONS", "true".to_owned()),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                format!("{}/_apis/actions/idtoken?api-version=2.0", self.issuer()),
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN.to_owned()),
            ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
        ]
    }

    /// A token for `audience`, as the token endpoint would issue it now.
    pub fn token(&self, audience: &str) -> String {
        self.state.lock().expect("state").token(audience)
    }

    /// The issuer's JWKS (what `/.well-known/jwks` serves).
    pub fn jwks(&self) -> Value {
        json!({"keys": [jwk(&self.state.lock().expect("state").key)]})
    }

    /// From now on, tokens carry `claim` = `value` (a workflow of another repository, say).
    pub fn set_claim(&self, claim: &str, value: impl Into<Value>) {
        self.state.lock().expect("state").claims.insert(claim.to_owned(), value.into());
    }

    /// From now on, tokens are signed by a key that is not in the JWKS.
    pub fn sign_with_another_key(&self) {
        self.state.lock().expect("state").sign_with_other_key = true;
    }

    /// From now on, tokens lack `claim`.
    pub fn omit_claim(&self, claim: &str) {
        self.state.lock().expect("state").omitted.push(claim.to_owned());
    }

    /// Requests the stand-in served, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }
}

impl State {
    fn token(&self, audience: &str) -> String {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        let mut claims = serde_json::Map::new();
        claims.insert("iss".into(), self.issuer.clone().into());
        claims.insert("aud".into(), audience.into());
        claims.insert("iat".into(), now.into());
        claims.insert("nbf".into(), (now - 5).into());
        claims.insert("exp".into(), (now + 300).into());
        // A claim the test set wins, `iss` and the time claims included.
        claims.extend(self.claims.clone());
        for claim in &self.omitted {
            claims.remove(claim);
        }
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": KID});
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string())
        );
        let key = if self.sign_with_other_key { &self.other_key } else { &self.key };
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(openssl_sign(key, signed.as_bytes())))
    }
}

fn rsa_key(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let out = Command::new(crate::peer("openssl"))
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&path)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "openssl genpkey: {}", String::from_utf8_lossy(&out.stderr));
    path
}

/// The public half of `key` as a JWK.
fn jwk(key: &Path) -> Value {
    let out = Command::new(crate::peer("openssl"))
        .args(["rsa", "-noout", "-modulus", "-in"])
        .arg(key)
        .output()
        .expect("openssl");
    let modulus = String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("Modulus=").to_owned();
    let bytes: Vec<u8> = (0..modulus.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&modulus[i..i + 2], 16).expect("hex"))
        .collect();
    json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID, "n": URL_SAFE_NO_PAD.encode(bytes), "e": "AQAB"})
}

fn openssl_sign(key: &Path, data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(crate::peer("openssl"))
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl runs");
    child.stdin.take().expect("stdin").write_all(data).expect("write");
    let out = child.wait_with_output().expect("openssl");
    assert!(out.status.success(), "openssl dgst -sign failed");
    out.stdout
}
