//! Conventional-commit messages, as commits in any history carry them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_notes::conventional;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = std::str::from_utf8(data) else { return };
    if let Some(parsed) = conventional::parse(message) {
        assert!(!parsed.type_.is_empty());
        assert!(message.contains(parsed.type_.as_str()));
        assert!(message.contains(parsed.description.trim()));
        for footer in &parsed.footers {
            assert!(message.contains(footer.token.as_str()));
            if footer.breaking() {
                assert!(parsed.breaking, "a breaking footer makes the commit breaking: {message:?}");
            }
            let _ = footer.text();
        }
    }
});
