//! Pushes through a fault-injecting loopback proxy in front of the real registry (Debian's
//! `docker-registry`): dropped connections mid-upload, a 500, a 429 with `Retry-After`. The push must
//! still complete with the right digest, within the retry budget; other 4xx answers fail at once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tagwright_oci_publish::{Events, Publisher, RegistryOptions, RetryPolicy, Target};
use tagwright_test_support::http::{Fault, FaultProxy, Rule};
use tagwright_test_support::registry::{self, LocalRegistry, Mode};
use tagwright_test_support::{peer_command, run_ok};

/// Records what the client reports.
#[derive(Default)]
struct Recorder {
    lines: Mutex<Vec<String>>,
}

impl Events for Recorder {
    fn retry(&self, what: &str, attempt: u32, delay: Duration, reason: &str) {
        self.lines
            .lock()
            .expect("lines")
            .push(format!("retry {attempt} of {what} after {} ms: {reason}", delay.as_millis()));
    }

    fn note(&self, message: &str) {
        self.lines.lock().expect("lines").push(format!("note {message}"));
    }
}

fn options(chunk_size: u64) -> RegistryOptions {
    let mut retry = RetryPolicy::default();
    retry.initial_delay = Duration::from_millis(20);
    retry.max_delay = Duration::from_millis(200);
    retry.budget = Duration::from_secs(60);
    let mut options = RegistryOptions::default();
    options.retry = retry;
    options.chunk_size = Some(chunk_size);
    options
}

fn skopeo_digest(host: &str, reference: &str) -> String {
    let raw = run_ok(peer_command("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{host}/{reference}"),
    ]));
    registry::digest(raw.stdout.as_bytes())
}

#[test]
fn chunked_push_survives_a_drop_a_500_and_a_429() {
    let registry = LocalRegistry::start(Mode::Plain);
    let proxy = FaultProxy::start(
        registry.host(),
        vec![
            Rule {
                method: "POST",
                path_contains: "/blobs/uploads/",
                nth: 1,
                fault: Fault::Status(429, vec![("Retry-After".into(), "1".into())]),
            },
            // The second chunk of the 5 MiB layer is cut off after 64 KiB.
            Rule {
                method: "PATCH",
                path_contains: "/blobs/uploads/",
                nth: 2,
                fault: Fault::DropAfter(64 << 10),
            },
            Rule { method: "PUT", path_contains: "/manifests/", nth: 1, fault: Fault::Status(500, vec![]) },
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("image");
    let digest = registry::image_layout(&layout, "1.0.0", &["linux/amd64"], false, 5 << 20);
    let recorder = Arc::new(Recorder::default());
    let publisher = Publisher::new(options(1 << 20), recorder.clone());

    let source = Target::parse(&format!("oci-layout:{}:1.0.0", layout.display())).expect("source");
    let destination = Target::parse(&format!("{}/example/app:1.0.0", proxy.host())).expect("destination");
    let report = publisher.copy(&source, &destination).expect("the push completes");
    assert_eq!(report.digest.as_str(), digest);
    assert_eq!(report.uploaded, 3, "config and both layers");

    let fired = proxy.fired();
    assert_eq!(fired.len(), 3, "every fault fired: {fired:?}");
    let lines = recorder.lines.lock().expect("lines").clone();
    assert!(lines.iter().any(|l| l.contains("after 1000 ms: HTTP 429")), "Retry-After honoured: {lines:?}");
    assert!(lines.iter().any(|l| l.contains("HTTP 500")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("resuming at byte 1048576 of")),
        "resumed from the registry's offset: {lines:?}"
    );

    // The registry, asked directly, has the manifest and every blob intact.
    assert_eq!(skopeo_digest(registry.host(), "example/app:1.0.0"), digest);
    let back = dir.path().join("back");
    let direct = Publisher::new(options(1 << 20), Arc::new(tagwright_oci_publish::Silent));
    let source = Target::parse(&format!("{}/example/app:1.0.0", registry.host())).expect("registry");
    let copied = direct
        .copy(&source, &Target::parse(&format!("oci-layout:{}", back.display())).expect("layout"))
        .expect("pull back");
    assert_eq!(copied.digest.as_str(), digest);
    for entry in std::fs::read_dir(layout.join("blobs/sha256")).expect("blobs") {
        let name = entry.expect("entry").file_name();
        assert_eq!(
            std::fs::read(layout.join("blobs/sha256").join(&name)).expect("ours"),
            std::fs::read(back.join("blobs/sha256").join(&name)).expect("pulled back"),
            "blob {name:?}"
        );
    }
}

#[test]
fn a_monolithic_upload_cut_off_mid_body_is_sent_again() {
    let registry = LocalRegistry::start(Mode::Plain);
    let proxy = FaultProxy::start(
        registry.host(),
        vec![
            Rule { method: "PUT", path_contains: "/blobs/uploads/", nth: 2, fault: Fault::DropAfter(4096) },
            Rule { method: "HEAD", path_contains: "/blobs/", nth: 1, fault: Fault::Status(503, vec![]) },
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("image");
    let digest = registry::image_layout(&layout, "1.0.0", &["linux/arm64"], false, 256 << 10);
    let publisher = Publisher::new(options(64 << 20), Arc::new(Recorder::default()));
    let source = Target::parse(&format!("oci-layout:{}:1.0.0", layout.display())).expect("source");
    let report = publisher
        .copy(&source, &Target::parse(&format!("{}/example/app:1.0.0", proxy.host())).expect("destination"))
        .expect("push");
    assert_eq!(report.digest.as_str(), digest);
    assert_eq!(proxy.fired().len(), 2, "{:?}", proxy.fired());
    assert_eq!(skopeo_digest(registry.host(), "example/app:1.0.0"), digest);
}

#[test]
fn client_errors_fail_fast_and_server_errors_give_up_within_the_budget() {
    let registry = LocalRegistry::start(Mode::Plain);
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("image");
    registry::image_layout(&layout, "1.0.0", &["linux/amd64"], false, 0);
    let source = Target::parse(&format!("oci-layout:{}:1.0.0", layout.display())).expect("source");

    let forbidden = FaultProxy::start(
        registry.host(),
        vec![Rule {
            method: "POST",
            path_contains: "/blobs/uploads/",
            nth: 0,
            fault: Fault::Status(403, vec![]),
        }],
    );
    let publisher = Publisher::new(options(64 << 20), Arc::new(Recorder::default()));
    let err = publisher
        .copy(&source, &Target::parse(&format!("{}/example/app:1.0.0", forbidden.host())).expect("target"))
        .expect_err("403");
    assert!(
        err.to_string().contains("HTTP 403") && err.to_string().contains("/v2/example/app/blobs/uploads/"),
        "{err}"
    );
    assert_eq!(forbidden.seen().iter().filter(|r| r.starts_with("POST")).count(), 1, "a 403 is not retried");

    let down = FaultProxy::start(
        registry.host(),
        vec![Rule { method: "HEAD", path_contains: "/blobs/", nth: 0, fault: Fault::Status(503, vec![]) }],
    );
    let err = publisher
        .copy(&source, &Target::parse(&format!("{}/example/app:1.0.0", down.host())).expect("target"))
        .expect_err("503s");
    assert!(err.to_string().contains("gave up after 6 attempts"), "{err}");
    let blob_heads = down.seen().iter().filter(|r| r.starts_with("HEAD") && r.contains("/blobs/")).count();
    assert_eq!(blob_heads, 6, "the policy's six attempts: {:?}", down.seen());
    // Nothing was tagged.
    let direct = Publisher::new(options(64 << 20), Arc::new(Recorder::default()));
    let target = Target::parse(&format!("{}/example/app:1.0.0", registry.host())).expect("target");
    assert!(matches!(direct.manifest(&target), Err(tagwright_oci_publish::OciError::NotFound { .. })));
}

#[test]
fn a_registry_that_refuses_chunks_gets_whole_blobs() {
    let registry = LocalRegistry::start(Mode::Plain);
    let proxy = FaultProxy::start(
        registry.host(),
        vec![Rule {
            method: "PATCH",
            path_contains: "/blobs/uploads/",
            nth: 0,
            fault: Fault::Status(405, vec![]),
        }],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("image");
    let digest = registry::image_layout(&layout, "1.0.0", &["linux/amd64"], false, 3 << 20);
    let recorder = Arc::new(Recorder::default());
    let publisher = Publisher::new(options(1 << 20), recorder.clone());
    let source = Target::parse(&format!("oci-layout:{}:1.0.0", layout.display())).expect("source");
    let target = Target::parse(&format!("{}/example/app:1.0.0", proxy.host())).expect("destination");
    let report = publisher.copy(&source, &target).expect("push");
    assert_eq!(report.digest.as_str(), digest);
    let patches = proxy.seen().iter().filter(|r| r.starts_with("PATCH")).count();
    assert_eq!(patches, 1, "one refused chunk, then whole blobs: {:?}", proxy.seen());
    let lines = recorder.lines.lock().expect("lines").clone();
    assert!(lines.iter().any(|l| l.contains("chunked uploads refused (HTTP 405)")), "{lines:?}");
    assert_eq!(skopeo_digest(registry.host(), "example/app:1.0.0"), digest);
}
