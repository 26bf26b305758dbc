//! The GitHub stand-in's small pieces of GitHub's dialect: users, error bodies, object ids and
//! percent-encoding of path segments.

use serde_json::{Value, json};

pub(crate) fn user(base: &str) -> Value {
    login_user(base, "github-actions[bot]")
}

/// A `simple-user` for `login` (a `[bot]` suffix makes a bot).
pub(crate) fn login_user(base: &str, login: &str) -> Value {
    let path = format!("{base}/users/{}", percent_encode(login));
    let bot = login.ends_with("[bot]");
    let html = match login.strip_suffix("[bot]") {
        Some(app) => format!("https://github.com/apps/{app}"),
        None => format!("https://github.com/{login}"),
    };
    let id = u64::from_str_radix(&sha256_hex(login.as_bytes())[..8], 16).unwrap_or(1);
    json!({
        "login": login, "id": if bot { 41898282 } else { id }, "node_id": format!("U_{}", &sha256_hex(login.as_bytes())[..12]),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"), "gravatar_id": "",
        "url": path, "html_url": html,
        "followers_url": format!("{path}/followers"),
        "following_url": format!("{path}/following{{/other_user}}"),
        "gists_url": format!("{path}/gists{{/gist_id}}"),
        "starred_url": format!("{path}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{path}/subscriptions"),
        "organizations_url": format!("{path}/orgs"),
        "repos_url": format!("{path}/repos"),
        "events_url": format!("{path}/events{{/privacy}}"),
        "received_events_url": format!("{path}/received_events"),
        "type": if bot { "Bot" } else { "User" }, "site_admin": false
    })
}

pub(crate) fn error(status: u16, message: &str) -> (u16, Value) {
    (
        status,
        json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string()}),
    )
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
