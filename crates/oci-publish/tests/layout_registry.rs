//! The demo's embedded target, `LayoutRegistry` (OCI layouts served over the distribution API on
//! 127.0.0.1), proved honest with a real client: skopeo pushes an image to it and pulls it back
//! byte for byte, lists its tags and deletes from it; our own client pushes a chart in chunks and
//! pulls it back. The layout it writes is one skopeo reads directly. The registry itself is a
//! stand-in used only by `cargo xtask demo`; tagwright's other tests use the real registry.

use std::sync::Arc;

use tagwright_oci_publish::{Publisher, RegistryOptions, Silent, Target};
use tagwright_test_support::layout_registry::LayoutRegistry;
use tagwright_test_support::registry::{file_digest, image_layout};
use tagwright_test_support::{fixture, peer_command, run, run_ok};

fn skopeo(args: &[&str]) -> String {
    run_ok(peer_command("skopeo").args(args)).stdout
}

#[test]
fn skopeo_pushes_pulls_lists_and_deletes_through_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = LayoutRegistry::start(&dir.path().join("served"));
    let host = registry.host();
    let source = dir.path().join("source");
    image_layout(&source, "1.0.0", &["linux/amd64", "linux/arm64"], true, 300_000);
    // skopeo compresses the layers on the way to a registry, so what it pushed is its digestfile.
    let digest_file = dir.path().join("pushed-digest");
    skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        "--digestfile",
        digest_file.to_str().expect("utf-8"),
        &format!("oci:{}:1.0.0", source.display()),
        &format!("docker://{host}/acme/app:1.0.0"),
    ]);
    let inspected =
        skopeo(&["inspect", "--raw", "--tls-verify=false", &format!("docker://{host}/acme/app:1.0.0")]);
    let raw = dir.path().join("raw.json");
    // skopeo prints the manifest's bytes and a newline.
    std::fs::write(&raw, inspected.strip_suffix('\n').unwrap_or(&inspected)).expect("write");
    let digest = std::fs::read_to_string(&digest_file).expect("digestfile");
    assert_eq!(file_digest(&raw), digest, "the index came back with other bytes");

    // Back out, every platform, byte for byte; and the served layout is itself a layout skopeo reads.
    let back = dir.path().join("back");
    skopeo(&[
        "copy",
        "--all",
        "--src-tls-verify=false",
        &format!("docker://{host}/acme/app:1.0.0"),
        &format!("oci:{}:1.0.0", back.display()),
    ]);
    let served = registry.layout_dir("acme/app").join("blobs/sha256");
    let mut count = 0;
    for entry in std::fs::read_dir(&served).expect("blobs") {
        let name = entry.expect("entry").file_name();
        assert!(back.join("blobs/sha256").join(&name).is_file(), "{name:?} did not come back");
        count += 1;
    }
    assert!(count >= 7, "an index, 2 manifests, 2 configs and 3 layers; served {count} blobs");
    skopeo(&["inspect", "--raw", &format!("oci:{}:1.0.0", registry.layout_dir("acme/app").display())]);

    let tags = skopeo(&["list-tags", "--tls-verify=false", &format!("docker://{host}/acme/app")]);
    assert!(tags.contains("\"1.0.0\""), "{tags}");
    skopeo(&["delete", "--tls-verify=false", &format!("docker://{host}/acme/app@{digest}")]);
    let gone = run(peer_command("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{host}/acme/app:1.0.0"),
    ]));
    assert_ne!(gone.code, 0, "the deleted manifest is still served");

    // Names that would leave the directory are refused.
    let escape = run(peer_command("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{host}/acme/../x:1.0.0"),
    ]));
    assert_ne!(escape.code, 0);
}

#[test]
fn our_client_pushes_a_chart_in_chunks_and_pulls_it_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = LayoutRegistry::start(&dir.path().join("served"));
    let repo = fixture("make_advisoryhub.sh", &[]);
    let mut options = RegistryOptions::default();
    options.chunk_size = Some(1024);
    let publisher = Publisher::new(options, Arc::new(Silent));
    let target = Target::parse(&format!("oci://{}/charts", registry.host())).expect("target");
    let pushed = publisher.push_chart(&repo.path().join("charts/advisoryhub"), &target, false).expect("push");
    let pulled = publisher
        .pull_chart(&Target::parse(&pushed.reference).expect("reference"), &dir.path().join("pulled"))
        .expect("pull");
    assert_eq!(pulled.digest, pushed.digest);
    let again = publisher.push_chart(&repo.path().join("charts/advisoryhub"), &target, false).expect("push");
    assert!(again.unchanged, "a second push of the same chart changed it");
}
