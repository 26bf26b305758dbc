//! A stand-in for Fulcio (it cannot run here), following its v2 API: `POST /api/v2/signingCert`
//! and `GET /api/v2/trustBundle`.
//!
//! It accepts an OIDC identity token from the one issuer it is configured for: an RS256 JWT whose
//! signature verifies with the issuer's JWKS, with audience `sigstore`, not expired. The key to
//! certify comes as a PEM public key with a proof of possession (an ECDSA signature over the token's
//! `sub`, as cosign sends it) or as a PKCS#10 CSR (as sigstore-python sends it), and the proof is
//! checked. A GitHub Actions token is certified as Fulcio's `github-workflow` issuer type does it: the
//! SAN is `https://github.com/` + `job_workflow_ref`, with the deprecated raw extensions
//! (`1.3.6.1.4.1.57264.1.1`–`.6`) and the DER UTF8String ones (`.8`–`.22`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Verifier as _;
use p256::pkcs8::DecodePublicKey as _;
use serde_json::{Map, Value, json};
use sha2::Sha256;
use x509_cert::der::{DecodePem as _, Encode as _};

use super::x509::{Authority, Key, LeafClaims, issue_leaf, pem};
use crate::http::{Request, Response};

/// The CA: its root, the CT log that signs SCTs, and the one OIDC issuer it trusts.
#[derive(Debug)]
pub(super) struct Ca {
    /// The root.
    pub(super) authority: Authority,
    /// The CT log's key.
    pub(super) ct_log: Key,
    /// The trusted issuer's URL (`iss`).
    pub(super) issuer: String,
    /// The issuer's JWKS.
    pub(super) jwks: Value,
}

fn error(status: u16, message: &str) -> Response {
    Response::json(status, &json!({"code": status, "message": message}).to_string())
}

impl Ca {
    /// Serves one request of the v2 API.
    pub(super) fn handle(&self, request: &Request) -> Response {
        let path = request.path.split('?').next().unwrap_or_default();
        match (request.method.as_str(), path) {
            ("POST", "/api/v2/signingCert") => {
                self.signing_cert(request).unwrap_or_else(|(status, message)| error(status, &message))
            }
            ("GET", "/api/v2/trustBundle") => Response::json(
                200,
                &json!({"chains": [{"certificates": [pem(&self.authority.certificate)]}]}).to_string(),
            ),
            _ => error(404, "not found"),
        }
    }

    fn signing_cert(&self, request: &Request) -> Result<Response, (u16, String)> {
        let body: Value =
            serde_json::from_slice(&request.body).map_err(|e| (400, format!("not JSON: {e}")))?;
        let token = body["credentials"]["oidcIdentityToken"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| {
                request.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).map(str::to_owned)
            })
            .ok_or((401, "no identity token".to_owned()))?;
        let claims = self.verify_token(&token).map_err(|m| (401, m))?;
        let subject_key = if let Some(csr) = body["certificateSigningRequest"].as_str() {
            csr_key(csr).map_err(|m| (400, m))?
        } else {
            let request = &body["publicKeyRequest"];
            let key_pem =
                request["publicKey"]["content"].as_str().ok_or((400, "no public key".to_owned()))?;
            let key = p256::ecdsa::VerifyingKey::from_public_key_pem(key_pem)
                .map_err(|e| (400, format!("the public key: {e}")))?;
            let proof = STANDARD
                .decode(request["proofOfPossession"].as_str().unwrap_or_default())
                .map_err(|_| (400, "proofOfPossession is not base64".to_owned()))?;
            let signature = p256::ecdsa::Signature::from_der(&proof)
                .map_err(|_| (400, "proofOfPossession is not DER ECDSA".to_owned()))?;
            let subject = claims["sub"].as_str().unwrap_or_default();
            key.verify(subject.as_bytes(), &signature).map_err(|_| {
                (400, "the proof of possession does not verify over the token's subject".to_owned())
            })?;
            p256::pkcs8::EncodePublicKey::to_public_key_der(&key).expect("der").as_bytes().to_vec()
        };
        let leaf_claims = leaf_claims(&claims).map_err(|m| (400, m))?;
        let leaf = issue_leaf(&self.authority, &self.ct_log, &subject_key, &leaf_claims);
        let chain = [pem(&leaf), pem(&self.authority.certificate)];
        // 200, as the real Fulcio's v2 API answers (only its legacy v1 API says 201); cosign's client
        // refuses anything else.
        Ok(Response::json(
            200,
            &json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}}).to_string(),
        ))
    }

    /// The token's claims, if its signature verifies with the issuer's JWKS and it is for Sigstore,
    /// from this issuer, and current.
    fn verify_token(&self, token: &str) -> Result<Map<String, Value>, String> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("the identity token is not a JWT".into());
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD.decode(part).map_err(|_| "the identity token is not base64url".to_owned())
        };
        let header: Value = serde_json::from_slice(&decode(header)?)
            .map_err(|_| "the token header is not JSON".to_owned())?;
        let claims: Map<String, Value> = serde_json::from_slice(&decode(payload)?)
            .map_err(|_| "the token claims are not JSON".to_owned())?;
        let key = self.jwks["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|k| k["kid"] == header["kid"])
            .ok_or("the token's key is not in the issuer's JWKS")?;
        let number = |field: &str| {
            URL_SAFE_NO_PAD
                .decode(key[field].as_str().unwrap_or_default())
                .map(|b| rsa::BigUint::from_bytes_be(&b))
        };
        let (Ok(n), Ok(e)) = (number("n"), number("e")) else {
            return Err("the JWK is not an RSA key".into());
        };
        let public = rsa::RsaPublicKey::new(n, e).map_err(|e| format!("the JWK: {e}"))?;
        let signature =
            rsa::pkcs1v15::Signature::try_from(decode(signature)?.as_slice()).map_err(|e| e.to_string())?;
        let signed = token.rsplit_once('.').map_or("", |(s, _)| s);
        rsa::signature::Verifier::verify(
            &rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public),
            signed.as_bytes(),
            &signature,
        )
        .map_err(|_| "the identity token's signature does not verify".to_owned())?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(format!("the issuer {} is not trusted", claims.get("iss").unwrap_or(&Value::Null)));
        }
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => aud == "sigstore",
            Some(Value::Array(auds)) => auds.iter().any(|a| a == "sigstore"),
            _ => false,
        };
        if !audience_ok {
            return Err("the token's audience is not sigstore".into());
        }
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        if claims.get("exp").and_then(Value::as_u64).is_none_or(|exp| exp <= now) {
            return Err("the identity token has expired".into());
        }
        Ok(claims)
    }
}

/// The public key of a base64 PEM CSR, whose self-signature must verify.
fn csr_key(csr: &str) -> Result<Vec<u8>, String> {
    let pem = STANDARD.decode(csr).map_err(|_| "certificateSigningRequest is not base64".to_owned())?;
    let request = x509_cert::request::CertReq::from_pem(&pem).map_err(|e| format!("the CSR: {e}"))?;
    let spki = request.info.public_key.to_der().map_err(|e| e.to_string())?;
    let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki)
        .map_err(|_| "only ECDSA P-256 keys are certified".to_owned())?;
    let signature = p256::ecdsa::Signature::from_der(request.signature.raw_bytes())
        .map_err(|_| "the CSR's signature is not DER ECDSA".to_owned())?;
    key.verify(&request.info.to_der().map_err(|e| e.to_string())?, &signature)
        .map_err(|_| "the CSR's signature does not verify".to_owned())?;
    Ok(spki)
}

/// What Fulcio's `github-workflow` issuer type puts in the certificate, from an Actions token.
fn leaf_claims(claims: &Map<String, Value>) -> Result<LeafClaims, String> {
    let claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let issuer = claim("iss");
    if claim("job_workflow_ref").is_empty() {
        let email = claim("email");
        if email.is_empty() {
            return Err("the token has neither job_workflow_ref nor email".into());
        }
        return Ok(LeafClaims {
            san: email,
            extensions: vec![(1, issuer.clone(), true), (8, issuer, false)],
        });
    }
    let github = "https://github.com";
    let repository = claim("repository");
    let raw = [
        (1, issuer.clone()),
        (2, claim("event_name")),
        (3, claim("sha")),
        (4, claim("workflow")),
        (5, repository.clone()),
        (6, claim("ref")),
    ];
    let v2 = [
        (8, issuer),
        (9, format!("{github}/{}", claim("job_workflow_ref"))),
        (10, claim("job_workflow_sha")),
        (11, claim("runner_environment")),
        (12, format!("{github}/{repository}")),
        (13, claim("sha")),
        (14, claim("ref")),
        (15, claim("repository_id")),
        (16, format!("{github}/{}", claim("repository_owner"))),
        (17, claim("repository_owner_id")),
        (18, format!("{github}/{}", claim("workflow_ref"))),
        (19, claim("workflow_sha")),
        (20, claim("event_name")),
        (
            21,
            format!(
                "{github}/{repository}/actions/runs/{}/attempts/{}",
                claim("run_id"),
                claim("run_attempt")
            ),
        ),
        (22, claim("repository_visibility")),
    ];
    let extensions = raw
        .into_iter()
        .map(|(arc, value)| (arc, value, true))
        .chain(v2.into_iter().map(|(arc, value)| (arc, value, false)))
        .collect();
    Ok(LeafClaims { san: format!("{github}/{}", claim("job_workflow_ref")), extensions })
}
