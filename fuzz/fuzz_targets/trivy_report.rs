//! A Trivy report and an ignore file (`.trivyignore` or `.trivyignore.yaml`) as the gate reads them:
//! no panic, and every finding either remains or is suppressed for a reason.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_trivy::{GateOptions, gate};
use tagwright_fuzz::{fresh_repo, split, write};

fuzz_target!(|data: &[u8]| {
    let parts = split(data, 3);
    let ignore = if parts[2].first() == Some(&b'Y') { "ignore.trivyignore.yaml" } else { ".trivyignore" };
    let repo = fresh_repo();
    write(&repo, &[("report.json", parts[0]), (ignore, parts[1])]);
    let mut options = GateOptions::default();
    options.ignore_file = Some(repo.join(ignore));
    options.today = "2026-01-01".to_owned();
    if let Ok(report) = gate(&repo.join("report.json"), &options) {
        assert!(report.suppressed.iter().all(|s| ["severity", "status", "ignored"].contains(&s.reason)));
        assert_eq!(report.passed(), report.remaining.is_empty());
    }
});
