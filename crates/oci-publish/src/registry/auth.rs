//! Authentication: which requests carry the registry's credentials or token, and answering a `401`
//! challenge with Basic credentials or a Bearer token fetched from the challenge's realm.

use tagwright_http::reqwest::blocking::{RequestBuilder, Response};
use tagwright_http::reqwest::{Method, Url, header};

use super::http::Origin;
use super::{Registry, RegistryError};

use super::http::{MAX_SMALL_BODY, error_text, parse_challenge, read_capped};

impl Registry {
    /// Adds the registry's token or credentials, but only to a request for the registry's own origin:
    /// an upload `Location` or a pagination link elsewhere gets none.
    pub(super) fn authorize(&self, request: RequestBuilder, url: &str, scope: &str) -> RequestBuilder {
        if Origin::parse(url).as_ref() != Some(&self.origin) {
            return request;
        }
        if let Some(token) = self.tokens.lock().unwrap_or_else(|e| e.into_inner()).get(scope) {
            return request.bearer_auth(token);
        }
        match (&self.credentials, *self.basic.lock().unwrap_or_else(|e| e.into_inner())) {
            (Some(c), true) => request.basic_auth(&c.username, Some(&c.password)),
            _ => request,
        }
    }

    /// Whether credentials may go to a token `realm`: over HTTPS, or over plain HTTP to this registry's
    /// own host when the registry itself is reached over plain HTTP by choice.
    pub(super) fn realm_may_have_credentials(&self, realm: &Url) -> bool {
        match realm.scheme() {
            "https" => true,
            "http" => self.plain && Origin::of(realm) == self.origin,
            _ => false,
        }
    }

    /// Answers a 401 challenge.
    pub(super) fn authenticate(
        &self,
        response: &Response,
        scope: &str,
        url: &str,
    ) -> Result<(), RegistryError> {
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let auth_error = |message: String| RegistryError::Auth { url: url.to_owned(), message };
        let (kind, params) = parse_challenge(&challenge);
        match kind.to_ascii_lowercase().as_str() {
            "basic" => {
                if self.credentials.is_none() {
                    return Err(auth_error(format!(
                        "{} needs credentials: pass --username and --password-stdin, or `docker login {}`",
                        self.host, self.host
                    )));
                }
                let mut basic = self.basic.lock().unwrap_or_else(|e| e.into_inner());
                if *basic {
                    return Err(auth_error("the registry rejected the credentials".to_owned()));
                }
                *basic = true;
                Ok(())
            }
            "bearer" => {
                let realm = params
                    .get("realm")
                    .ok_or_else(|| auth_error("the Bearer challenge has no realm".to_owned()))?;
                let mut token_url = Url::parse(realm)
                    .map_err(|e| auth_error(format!("the Bearer realm `{realm}` is not a URL: {e}")))?;
                if !matches!(token_url.scheme(), "http" | "https") {
                    return Err(auth_error(format!("the Bearer realm `{realm}` is not an HTTP URL")));
                }
                let scope = params.get("scope").map_or(scope, String::as_str);
                token_url.query_pairs_mut().append_pair("scope", scope);
                if let Some(service) = params.get("service") {
                    token_url.query_pairs_mut().append_pair("service", service);
                }
                let mut request = self.request(Method::GET, token_url.as_str(), 0);
                if let Some(c) = &self.credentials {
                    if !self.realm_may_have_credentials(&token_url) {
                        return Err(auth_error(format!(
                            "the token service {realm} is neither HTTPS nor this registry's own host over plain \
                             HTTP: credentials not sent"
                        )));
                    }
                    request = request.basic_auth(&c.username, Some(&c.password));
                }
                let answer = request.send().map_err(|e| {
                    auth_error(format!("cannot reach the token service {realm}: {}", error_text(&e)))
                })?;
                if !answer.status().is_success() {
                    let status = answer.status().as_u16();
                    let hint = if self.credentials.is_none() {
                        "; pass credentials (--username/--password-stdin or docker login)"
                    } else {
                        ""
                    };
                    return Err(auth_error(format!(
                        "the token service {realm} answered HTTP {status}{hint}"
                    )));
                }
                let bytes = read_capped(&Method::GET, realm, answer, MAX_SMALL_BODY, "the token answer")?;
                let body: serde_json::Value = serde_json::from_slice(&bytes)
                    .map_err(|e| auth_error(format!("the token service {realm} sent no token: {e}")))?;
                let token = body
                    .get("token")
                    .or_else(|| body.get("access_token"))
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| auth_error(format!("the token service {realm} sent no token")))?;
                self.tokens
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(scope.to_owned(), token.to_owned());
                Ok(())
            }
            _ => Err(auth_error(format!("unsupported authentication challenge `{challenge}`"))),
        }
    }
}
