//! JSON Web Tokens signed with RS256 or ES256, verified against a JSON Web Key Set: what `jose`'s
//! `jwtVerify` checks for `@actions/attest` (the signature by a key of the set, the audience, and the
//! time window).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::Sha256;

/// The claims of a token whose signature, audience and time window check out.
pub(crate) fn verify(
    token: &str,
    jwks: &Value,
    audience: &str,
    now: i64,
) -> Result<serde_json::Map<String, Value>, String> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the ID token is not a compact JWS (three parts)".to_owned());
    };
    let decode = |part: &str, what: &str| {
        URL_SAFE_NO_PAD.decode(part).map_err(|_| format!("the token's {what} is not base64url"))
    };
    let header: Value = serde_json::from_slice(&decode(header, "header")?)
        .map_err(|_| "the token's header is not JSON".to_owned())?;
    let claims: Value = serde_json::from_slice(&decode(payload, "payload")?)
        .map_err(|_| "the token's payload is not JSON".to_owned())?;
    let signature = decode(signature, "signature")?;
    let signed = &token[..token.rfind('.').unwrap_or_default()];
    let alg = header["alg"].as_str().unwrap_or_default();
    let kid = header["kid"].as_str();
    let keys = jwks["keys"].as_array().ok_or("the JWKS has no keys")?;
    let candidates = keys.iter().filter(|k| kid.is_none_or(|kid| k["kid"].as_str() == Some(kid)));
    let mut verified = false;
    for key in candidates {
        verified |= match (alg, key["kty"].as_str()) {
            ("RS256", Some("RSA")) => rsa_verify(key, signed.as_bytes(), &signature),
            ("ES256", Some("EC")) => es256_verify(key, signed.as_bytes(), &signature),
            _ => false,
        };
    }
    if !verified {
        return Err(format!(
            "the ID token's signature ({alg}, kid {}) does not verify with the issuer's keys",
            kid.unwrap_or("none")
        ));
    }
    let claims = claims.as_object().cloned().ok_or("the token's payload is not an object")?;
    let audiences: Vec<&str> = match &claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&audience) {
        return Err(format!("the ID token's audience is {audiences:?}, not `{audience}`"));
    }
    // `exp` is required (GitHub always sets it) and, like `nbf`, must be an integer NumericDate: a
    // float or a string would otherwise skip the check.
    let time = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("the ID token's `{name}` claim is not an integer NumericDate: {value}")),
    };
    match time("exp")? {
        None => return Err("the ID token has no `exp` claim".to_owned()),
        Some(exp) if now >= exp => return Err("the ID token has expired".to_owned()),
        Some(_) => {}
    }
    if time("nbf")?.is_some_and(|nbf| now < nbf) {
        return Err("the ID token is not valid yet".to_owned());
    }
    Ok(claims)
}

/// Whether the `iss` claim names `issuer`: the issuer itself, or the issuer followed by `/` and a path
/// (GitHub Enterprise Cloud's per-enterprise issuers); nothing else, so no other host's prefix.
pub(crate) fn issuer_matches(iss: &str, issuer: &str) -> bool {
    let issuer = issuer.trim_end_matches('/');
    iss == issuer || iss.strip_prefix(issuer).is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
}

fn rsa_verify(key: &Value, message: &[u8], signature: &[u8]) -> bool {
    let number = |name: &str| {
        key[name]
            .as_str()
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
            .map(|b| rsa::BigUint::from_bytes_be(&b))
    };
    let (Some(n), Some(e)) = (number("n"), number("e")) else { return false };
    let Ok(public) = rsa::RsaPublicKey::new(n, e) else { return false };
    let verifying = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else { return false };
    rsa::signature::Verifier::verify(&verifying, message, &signature).is_ok()
}

fn es256_verify(key: &Value, message: &[u8], signature: &[u8]) -> bool {
    let coordinate = |name: &str| {
        key[name].as_str().and_then(|v| URL_SAFE_NO_PAD.decode(v).ok()).filter(|b| b.len() == 32)
    };
    let (Some(x), Some(y)) = (coordinate("x"), coordinate("y")) else { return false };
    if key["crv"].as_str() != Some("P-256") {
        return false;
    }
    let mut point = vec![4u8];
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let Ok(verifying) = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point) else { return false };
    let Ok(signature) = p256::ecdsa::Signature::from_slice(signature) else { return false };
    p256::ecdsa::signature::Verifier::verify(&verifying, message, &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer as _;

    /// An ES256 token signed by `key`, with `claims`.
    fn token(key: &p256::ecdsa::SigningKey, claims: &Value) -> String {
        let header = serde_json::json!({"alg": "ES256", "kid": "k1"});
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: p256::ecdsa::Signature = key.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn jwks(key: &p256::ecdsa::SigningKey) -> Value {
        let point = key.verifying_key().to_encoded_point(false);
        serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1",
            "x": URL_SAFE_NO_PAD.encode(point.x().expect("x")), "y": URL_SAFE_NO_PAD.encode(point.y().expect("y"))}]})
    }

    #[test]
    fn es256_tokens_verify_and_their_audience_and_time_are_checked() {
        let key = p256::ecdsa::SigningKey::from_slice(&[5; 32]).expect("scalar");
        let other = p256::ecdsa::SigningKey::from_slice(&[6; 32]).expect("scalar");
        let claims = serde_json::json!({"aud": "nobody", "exp": 2000, "nbf": 1000, "sub": "x"});
        let good = token(&key, &claims);
        assert_eq!(verify(&good, &jwks(&key), "nobody", 1500).expect("verifies")["sub"], "x");
        assert!(
            verify(&good, &jwks(&other), "nobody", 1500)
                .expect_err("another key")
                .contains("does not verify")
        );
        assert!(verify(&good, &jwks(&key), "sigstore", 1500).expect_err("audience").contains("audience"));
        assert!(verify(&good, &jwks(&key), "nobody", 2000).expect_err("expired").contains("expired"));
        assert!(verify(&good, &jwks(&key), "nobody", 999).expect_err("early").contains("not valid yet"));
        for (claims, why) in [
            (serde_json::json!({"aud": "nobody", "sub": "x"}), "no `exp` claim"),
            (
                serde_json::json!({"aud": "nobody", "exp": 2000.5, "sub": "x"}),
                "`exp` claim is not an integer",
            ),
            (
                serde_json::json!({"aud": "nobody", "exp": "2000", "sub": "x"}),
                "`exp` claim is not an integer",
            ),
            (
                serde_json::json!({"aud": "nobody", "exp": 2000, "nbf": 1000.0, "sub": "x"}),
                "`nbf` claim is not an integer",
            ),
            (
                serde_json::json!({"aud": "nobody", "exp": 2000, "nbf": "1000", "sub": "x"}),
                "`nbf` claim is not an integer",
            ),
        ] {
            let refused = verify(&token(&key, &claims), &jwks(&key), "nobody", 1500).expect_err(why);
            assert!(refused.contains(why), "{claims}: {refused}");
        }
        let mut forged = good.clone();
        forged.insert(forged.find('.').expect("dot") + 2, 'A');
        assert!(verify(&forged, &jwks(&key), "nobody", 1500).is_err(), "a changed header or payload");
        assert!(verify("a.b", &jwks(&key), "nobody", 1500).is_err());
    }

    #[test]
    fn the_issuer_is_matched_whole_or_with_a_path() {
        let issuer = "https://token.actions.githubusercontent.com";
        assert!(issuer_matches(issuer, issuer));
        assert!(
            issuer_matches("https://token.actions.githubusercontent.com/acme", issuer),
            "an enterprise slug"
        );
        for hostile in [
            "https://token.actions.githubusercontent.com.evil",
            "https://token.actions.githubusercontent.com.evil/acme",
            "https://token.actions.githubusercontent.comx",
            "https://token.actions.githubusercontent.com/",
            "https://token.actions.githubusercontent.co",
            "",
        ] {
            assert!(!issuer_matches(hostile, issuer), "{hostile}");
        }
    }
}
