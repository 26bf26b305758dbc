//! House rules that apply to every file: a `//!` header on each Rust file, and docs that name only
//! commands that exist.

use sources::rust_files;

mod sources;

#[test]
fn every_rust_file_starts_with_a_module_doc_comment() {
    let root = tagwright_test_support::workspace_root();
    let mut files = Vec::new();
    for top in ["crates", "xtask", "tests", "fuzz"] {
        rust_files(&root.join(top), &mut files);
    }
    assert!(files.len() > 10, "found the sources");
    let missing: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).expect("utf-8").starts_with("//!"))
        .map(|f| f.strip_prefix(&root).expect("in workspace").display().to_string())
        .collect();
    assert!(missing.is_empty(), "add a //! header to: {missing:?}");
}

#[test]
fn the_readme_names_the_two_commands_and_ci_runs_the_test_command() {
    let root = tagwright_test_support::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    assert!(readme.contains("\ncargo xtask demo\n"), "README shows the main job");
    assert!(readme.contains("\ncargo xtask test\n"), "README shows the test command");
    let ci = std::fs::read_to_string(root.join(".ci/run")).expect(".ci/run");
    assert!(ci.contains("cargo xtask test"), ".ci/run runs the README's test command");
}

#[test]
fn every_json_snapshot_is_in_the_one_envelope() {
    let dir = tagwright_test_support::workspace_root().join("crates/cli/tests/snapshots");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("snapshots") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        // `format-*`: documents in formats others define (CycloneDX, in-toto, DSSE) or in our own
        // asset format (release-manifest.json), which are not `--json` documents.
        if !name.ends_with(".json") || name.starts_with("format-") {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).expect("utf-8");
        if name.ends_with(".shape.json") {
            let shape: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(
                (shape["schema_version"].as_str(), shape["status"].as_str()),
                (Some("number"), Some("string")),
                "{name}"
            );
        } else {
            // The documents themselves: the envelope's two fields first, in that order.
            assert!(text.starts_with("{\n  \"schema_version\": 1,\n  \"status\": \""), "{name}:\n{text}");
            if text.contains("\"status\": \"error\"") {
                let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                let error = doc["error"].as_object().expect("an error object");
                let keys: Vec<&str> = error.keys().map(String::as_str).collect();
                assert_eq!(keys.len(), 5, "{name}: {keys:?}");
                assert!(doc["error"]["exit_code"].is_u64() && doc["error"]["message"].is_string(), "{name}");
            }
        }
    }
    assert!(seen >= 20, "found the snapshots ({seen})");
}
