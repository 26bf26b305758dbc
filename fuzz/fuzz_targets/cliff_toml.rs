//! cliff.toml (and the templates in it), as a repository carries it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_notes::{Config, Generator};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = Config::from_toml(text) {
        let _ = Generator::new(config);
    }
});
