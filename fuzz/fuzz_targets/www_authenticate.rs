//! The registry's `WWW-Authenticate` challenges and `Link` headers.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_oci_publish::registry::{next_link, parse_challenge};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (scheme, params) = parse_challenge(text);
    assert!(text.contains(scheme.as_str()));
    assert!(params.keys().all(|k| *k == k.to_ascii_lowercase()));
    if let Some(next) = next_link(text) {
        assert!(next.len() <= text.len());
    }
});
