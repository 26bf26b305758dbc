//! Armored SSH signatures (SSHSIG), as commits and tags carry them, verified against a fixed
//! allowed-signers file.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tagwright_git_sign::{AllowedSigners, verify_payload};

const ALLOWED: &str = "maintainer@example.com namespaces=\"git\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINeU0Do2I4M4p+IuQqDdPKn2JEjLIKmYzdX3fV6iySKk\n";

fuzz_target!(|data: &[u8]| {
    static SIGNERS: OnceLock<AllowedSigners> = OnceLock::new();
    let signers =
        SIGNERS.get_or_init(|| AllowedSigners::parse(ALLOWED, Path::new("allowed")).expect("a valid file"));
    let Ok(armored) = std::str::from_utf8(data) else { return };
    let _ = verify_payload(armored, b"tree 0\n\nrelease\n", 1_767_261_600, signers);
});
