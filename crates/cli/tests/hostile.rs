//! `oci-publish` against registries and layouts that an attacker controls, or that are broken.
//!
//! The servers here are small loopback servers of our own (`tests/support/src/hostile.rs`) that speak
//! just enough of the distribution API to lie: they are stand-ins for a compromised registry, not for
//! a real one. Where the honest side matters (TLS, a real push), the test uses the real registry
//! (Debian's `docker-registry`). Each test reproduces a hole that probing found: paths built from
//! registry data, credentials sent to foreign token services, unbounded downloads, waits that never end,
//! retried certificate failures, and panics on contradictory manifests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tagwright_test_support::hostile::{Hostile, Reply};
use tagwright_test_support::http::Request;
use tagwright_test_support::registry::{self, LocalRegistry, Mode};
use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok, run_with_limit};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
const HELM_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const SECRET: &str = "TOP-SECRET-4f9a1c";
const PASSWORD: &str = "pw-hostile-7Qx";

fn command() -> Command {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_oci-publish"));
    command.env_remove("GITHUB_TOKEN").env_remove("DOCKER_CONFIG").env("HOME", "/nonexistent");
    command
}

fn ours(args: &[&str]) -> Run {
    let mut command = command();
    command.args(args).stdin(Stdio::null());
    run(&mut command)
}

/// Runs `oci-publish`, killed if it is still running after `limit` (the holes made it run forever).
fn ours_within(args: &[&str], limit: Duration) -> (Run, Duration) {
    let mut command = command();
    command.args(args).stdin(Stdio::null());
    let (run, killed, elapsed) = run_with_limit(&mut command, limit);
    assert!(
        !killed,
        "oci-publish {args:?} was still running after {limit:?}:\n{}\n{}",
        run.stdout, run.stderr
    );
    (run, elapsed)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A descriptor's JSON.
fn descriptor(media_type: &str, digest: &str, size: usize) -> String {
    format!(r#"{{"mediaType":"{media_type}","digest":"{digest}","size":{size}}}"#)
}

/// A chart manifest with this config and layer.
fn chart_manifest(config: &str, layer: &str) -> String {
    format!(r#"{{"schemaVersion":2,"config":{config},"layers":[{layer}]}}"#)
}

/// Whether any request the server saw carried `needle` in its body.
fn received(server: &Hostile, needle: &str) -> bool {
    server.requests().iter().any(|r| String::from_utf8_lossy(&r.body).contains(needle))
}

/// A registry that accepts every push and has nothing: what a copy writes to.
fn accepting_registry() -> Hostile {
    Hostile::start(|request: &Request| match request.method.as_str() {
        "GET" | "HEAD" if request.path == "/v2/" => Reply::json(200, "{}"),
        "HEAD" | "GET" => Reply::json(404, r#"{"errors":[{"code":"BLOB_UNKNOWN"}]}"#),
        "POST" => Reply::with(202, &[("Location", "/v2/x/blobs/uploads/1")], b""),
        "PATCH" => Reply::with(202, &[("Location", "/v2/x/blobs/uploads/1"), ("Range", "0-0")], b""),
        _ => Reply::with(201, &[], b""),
    })
}

#[test]
fn a_digest_never_becomes_a_path_out_of_a_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    // blobs/sha256/../../../../secret.txt, seen from the layout dir/a/b/layout, is dir/a/secret.txt.
    let layout = dir.path().join("a/b/layout");
    std::fs::create_dir_all(&layout).expect("mkdir");
    std::fs::write(dir.path().join("a/secret.txt"), SECRET).expect("secret");
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{},"layers":[{}]}}"#,
        descriptor("application/vnd.oci.image.config.v1+json", &registry::digest(config), config.len()),
        descriptor("application/vnd.oci.image.layer.v1.tar", "sha256:../../../../secret.txt", SECRET.len()),
    );
    registry::raw_layout(&layout, "1", OCI_MANIFEST, manifest.as_bytes(), &[config]);
    let server = accepting_registry();

    let out = ours(&["copy", &format!("oci-layout:{}:1", path(&layout)), &format!("{}/x:1", server.host())]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("`sha256:../../../../secret.txt` is not a valid digest"), "{}", out.stderr);
    assert!(!received(&server, SECRET), "the file outside the layout was uploaded");
}

#[test]
fn a_digest_never_becomes_a_path_into_a_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("out/layout");
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let config_digest = registry::digest(config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{},"layers":[{}]}}"#,
        descriptor("application/vnd.oci.image.config.v1+json", &config_digest, config.len()),
        descriptor("application/vnd.oci.image.layer.v1.tar", "sha256:../../../made-by-attacker/x", 5),
    );
    let server = Hostile::start(move |request: &Request| {
        if request.path.contains("/manifests/") {
            Reply::with(200, &[("Content-Type", OCI_MANIFEST)], manifest.as_bytes())
        } else if request.path.contains(&config_digest) {
            Reply::with(200, &[], config)
        } else if request.path == "/v2/" {
            Reply::json(200, "{}")
        } else {
            Reply::with(200, &[], b"12345")
        }
    });

    let out = ours(&["copy", &format!("{}/x:1", server.host()), &format!("oci-layout:{}:1", path(&layout))]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("is not a valid digest"), "{}", out.stderr);
    assert!(!dir.path().join("out/made-by-attacker").exists(), "a directory was made outside the layout");
    let outside: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .expect("out")
        .map(|e| e.expect("entry").file_name())
        .filter(|name| name != "layout")
        .collect();
    assert!(outside.is_empty(), "files appeared beside the layout: {outside:?}");
}

#[test]
fn a_pulled_chart_is_named_only_by_a_valid_name_and_version() {
    for (name, version, why) in [
        ("x", "1.0.0/../../ESCAPED", "chart version `1.0.0/../../ESCAPED` is not a valid SemVer version"),
        ("..", "1.0.0", "chart name `..` is invalid"),
        ("x y", "1.0.0", "chart name `x y` is invalid"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = dir.path().join("layout");
        let config = format!(r#"{{"name":"{name}","version":"{version}","apiVersion":"v2"}}"#);
        let layer = b"not really a chart".as_slice();
        let manifest = chart_manifest(
            &descriptor(HELM_CONFIG, &registry::digest(config.as_bytes()), config.len()),
            &descriptor(HELM_LAYER, &registry::digest(layer), layer.len()),
        );
        registry::raw_layout(&layout, "1", OCI_MANIFEST, manifest.as_bytes(), &[config.as_bytes(), layer]);
        // With this directory in place, `x-1.0.0/../../ESCAPED.tgz` resolves to beside `dest`.
        let dest = dir.path().join("dest");
        std::fs::create_dir_all(dest.join("x-1.0.0")).expect("mkdir");

        let out = ours(&["chart", "pull", &format!("oci-layout:{}:1", path(&layout)), "-d", path(&dest)]);
        assert_eq!(out.code, 1, "{name} {version}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(why), "{name} {version}: {}", out.stderr);
        assert!(!dir.path().join("ESCAPED.tgz").exists(), "the archive was written outside -d");
        let written: Vec<_> =
            std::fs::read_dir(&dest).expect("dest").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(written, ["x-1.0.0"], "nothing new in -d");
    }
}

const TOKEN_MANIFEST: &str = r#"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2},"layers":[]}"#;

/// A registry that challenges for a Bearer token at `realm` (`None`: its own `/token`), and serves a
/// manifest to that token.
fn bearer_registry(realm: Option<String>) -> Hostile {
    let own_host = Arc::new(OnceLock::<String>::new());
    let host = own_host.clone();
    let server = Hostile::start(move |request: &Request| {
        if request.path.starts_with("/token") {
            return Reply::json(200, r#"{"token":"registry-token"}"#);
        }
        if request.header("authorization") == Some("Bearer registry-token") {
            return Reply::with(200, &[("Content-Type", OCI_MANIFEST)], TOKEN_MANIFEST.as_bytes());
        }
        let realm = realm.clone().unwrap_or_else(|| format!("http://{}/token", host.get().expect("host")));
        let challenge = format!(r#"Bearer realm="{realm}",service="test""#);
        Reply::with(401, &[("WWW-Authenticate", challenge.as_str())], b"")
    });
    own_host.set(server.host().to_owned()).expect("set once");
    server
}

fn with_password(args: &[&str]) -> Run {
    let mut command = command();
    command.args(["--username", "releaser", "--password-stdin"]).args(args);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    child.stdin.take().expect("stdin").write_all(format!("{PASSWORD}\n").as_bytes()).expect("password");
    child.wait_with_output().expect("wait").into()
}

#[test]
fn credentials_go_only_to_a_realm_that_may_have_them() {
    // A token service on another host, over plain HTTP: it must not see the password.
    let thief = Hostile::start(|_: &Request| Reply::json(200, r#"{"token":"stolen"}"#));
    let registry = bearer_registry(Some(format!("http://{}/token", thief.host())));
    let out = with_password(&["manifest", &format!("{}/x:1", registry.host())]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let realm = format!("http://{}/token", thief.host());
    assert!(out.stderr.contains(&realm), "the error names the realm: {}", out.stderr);
    assert!(out.stderr.contains("not sent"), "{}", out.stderr);
    assert!(
        thief.requests().iter().all(|r| r.header("authorization").is_none()),
        "credentials were sent to {realm}: {:?}",
        thief.requests()
    );
    assert!(!out.stderr.contains(PASSWORD) && !out.stdout.contains(PASSWORD));

    // The registry's own token service, on the registry's own (plain, loopback) host: allowed.
    let own = bearer_registry(None);
    let out = with_password(&["manifest", &format!("{}/x:1", own.host())]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        own.requests().iter().any(|r| r.path.starts_with("/token") && r.header("authorization").is_some()),
        "the registry's own realm gets the credentials"
    );
}

#[test]
fn an_endless_manifest_is_cut_off_at_4_mib() {
    let server = Hostile::start(|request: &Request| {
        if request.path == "/v2/" {
            return Reply::json(200, "{}");
        }
        Reply::Endless {
            status: 200,
            headers: vec![("Content-Type".into(), OCI_MANIFEST.into())],
            chunk: vec![b' '; 64 << 10],
        }
    });
    let (out, _) = ours_within(&["manifest", &format!("{}/x:1", server.host())], Duration::from_secs(15));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("larger than 4 MiB"), "{}", out.stderr);
}

/// A registry with one chart manifest whose config and layer blobs `blob` answers for.
fn chart_registry(
    config: Vec<u8>,
    layer_size: usize,
    blob: impl Fn(bool) -> Reply + Send + Sync + 'static,
) -> (Hostile, String) {
    let layer_digest = registry::digest(&vec![b'x'; layer_size]);
    let config_digest = registry::digest(&config);
    let manifest = chart_manifest(
        &descriptor(HELM_CONFIG, &config_digest, config.len()),
        &descriptor(HELM_LAYER, &layer_digest, layer_size),
    );
    let server = Hostile::start(move |request: &Request| {
        if request.path == "/v2/" {
            Reply::json(200, "{}")
        } else if request.path.contains("/manifests/") {
            Reply::with(200, &[("Content-Type", OCI_MANIFEST)], manifest.as_bytes())
        } else {
            blob(request.path.contains(&config_digest))
        }
    });
    (server, layer_digest)
}

#[test]
fn an_endless_config_is_cut_off() {
    let config = br#"{"name":"x","version":"1.0.0","apiVersion":"v2"}"#.to_vec();
    let (server, _) = chart_registry(config, 10, |_| Reply::Endless {
        status: 200,
        headers: vec![],
        chunk: vec![b' '; 64 << 10],
    });
    let dest = tempfile::tempdir().expect("tempdir");
    let (out, _) = ours_within(
        &["chart", "pull", &format!("{}/x:1", server.host()), "-d", path(dest.path())],
        Duration::from_secs(15),
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("more than the 48 bytes"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(dest.path()).expect("dest").count(), 0, "nothing written");
}

#[test]
fn a_layer_is_read_up_to_its_size_and_no_further() {
    let config = br#"{"name":"x","version":"1.0.0","apiVersion":"v2"}"#.to_vec();
    let honest = config.clone();
    let (server, _) = chart_registry(config, 1000, move |is_config| {
        if is_config {
            Reply::with(200, &[], &honest)
        } else {
            Reply::Endless { status: 200, headers: vec![], chunk: vec![b'x'; 64 << 10] }
        }
    });
    let dest = tempfile::tempdir().expect("tempdir");
    let (out, _) = ours_within(
        &["chart", "pull", &format!("{}/x:1", server.host()), "-d", path(dest.path())],
        Duration::from_secs(10),
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("more than the 1000 bytes"), "{}", out.stderr);
    let left: Vec<_> =
        std::fs::read_dir(dest.path()).expect("dest").map(|e| e.expect("entry").file_name()).collect();
    assert!(left.is_empty(), "the temporary file stayed: {left:?}");
}

/// Starts `oci-publish args`, waits until a file appears under `watch`, sends `signal`, and returns
/// how the process ended.
fn interrupted(args: &[&str], watch: &Path, signal: &str) -> std::process::ExitStatus {
    let mut command = command();
    command.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = command.spawn().expect("spawn");
    let start = Instant::now();
    while files_under(watch).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no temporary file appeared under {}",
            watch.display()
        );
        assert!(child.try_wait().expect("wait").is_none(), "oci-publish ended before the download started");
        std::thread::sleep(Duration::from_millis(20));
    }
    run_ok(peer_command("kill").args([&format!("-{signal}"), &child.id().to_string()]));
    child.wait().expect("wait")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn temporary_files_go_on_sigterm_and_sigint() {
    use std::os::unix::process::ExitStatusExt;
    let config = br#"{"name":"x","version":"1.0.0","apiVersion":"v2"}"#.to_vec();
    let honest = config.clone();
    let (server, _) = chart_registry(config, 64 << 20, move |is_config| {
        if is_config {
            Reply::with(200, &[], &honest)
        } else {
            Reply::Stall { status: 200, headers: vec![], first: vec![b'x'; 1 << 20] }
        }
    });
    let dest = tempfile::tempdir().expect("tempdir");
    let status = interrupted(
        &["chart", "pull", &format!("{}/x:1", server.host()), "-d", path(dest.path())],
        dest.path(),
        "TERM",
    );
    assert_eq!(
        status.code(),
        Some(143),
        "ends as a SIGTERM'd process reports: {status:?} {:?}",
        status.signal()
    );
    assert_eq!(files_under(dest.path()), Vec::<PathBuf>::new(), "the partial download stayed after SIGTERM");

    let layout = tempfile::tempdir().expect("tempdir");
    let status = interrupted(
        &["copy", &format!("{}/x:1", server.host()), &format!("oci-layout:{}", path(layout.path()))],
        &layout.path().join("blobs"),
        "INT",
    );
    assert_eq!(status.code(), Some(130), "{status:?}");
    let left: Vec<PathBuf> = files_under(&layout.path().join("blobs"));
    assert!(
        left.iter().all(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".tagwright"))),
        "the partial blob stayed after SIGINT: {left:?}"
    );
}

#[test]
fn wait_ends_on_time_against_a_server_that_never_answers() {
    let silent = Hostile::silent();
    let (out, elapsed) = ours_within(
        &["wait", &format!("{}/x/y:1", silent.host()), "--timeout", "5s"],
        Duration::from_secs(40),
    );
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(elapsed < Duration::from_secs(9), "the 5 s timeout took {elapsed:?}");
}

#[test]
fn certificate_failures_and_redirect_loops_are_final() {
    let registry = LocalRegistry::start(Mode::Tls);
    let dir = tempfile::tempdir().expect("tempdir");
    registry::make_ca(dir.path(), "other.crt", "other.key", "another CA");
    let other = dir.path().join("other.crt");
    let (out, elapsed) = ours_within(
        &["--ca-file", path(&other), "manifest", &format!("{}/x:1", registry.host())],
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("certificate"), "{}", out.stderr);
    assert!(!out.stderr.contains("retrying"), "a certificate failure is not retried: {}", out.stderr);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");

    let looping = Hostile::start(|request: &Request| {
        let to = request.path.clone();
        Reply::with(307, &[("Location", to.as_str())], b"")
    });
    let (out, elapsed) =
        ours_within(&["manifest", &format!("{}/x:1", looping.host())], Duration::from_secs(60));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("redirect"), "{}", out.stderr);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").expect("write");
    let (out, _) = ours_within(
        &["--ca-file", path(&empty), "manifest", &format!("{}/x:1", registry.host())],
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("holds no PEM certificate"), "{}", out.stderr);
}

/// An AdvisoryHub-shaped chart directory.
fn chart_dir(dir: &Path) -> PathBuf {
    let chart = dir.join("chart");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: advisoryhub\nversion: 1.2.0\nappVersion: \"1.2.0\"\n",
    )
    .expect("Chart.yaml");
    std::fs::write(chart.join("templates/a.yaml"), "kind: ConfigMap\n").expect("template");
    chart
}

fn flip_last_byte(file: &Path) {
    let mut bytes = std::fs::read(file).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(file, bytes).expect("write");
}

#[test]
fn integrity_failures_exit_1_everywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    let chart = chart_dir(dir.path());
    let pushed = ours(&["--json", "chart", "push", path(&chart), &format!("oci-layout:{}", path(&layout))]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    let doc: serde_json::Value = serde_json::from_str(&pushed.stdout).expect("json");
    let blob = |digest: &str| layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:"));
    let reference = format!("oci-layout:{}:1.2.0", path(&layout));

    flip_last_byte(&blob(doc["layers"][0]["digest"].as_str().expect("layer digest")));
    let out = ours(&["chart", "pull", &reference, "-d", path(&dir.path().join("pulled"))]);
    assert_eq!(out.code, 1, "a tampered layer: {}", out.stderr);

    flip_last_byte(&blob(doc["digest"].as_str().expect("manifest digest")));
    let out = ours(&["manifest", &reference]);
    assert_eq!(out.code, 1, "a tampered manifest: {}", out.stderr);
    assert!(out.stderr.contains("does not match its digest"), "{}", out.stderr);
    let out = ours(&["chart", "pull", &reference, "-d", path(&dir.path().join("pulled"))]);
    assert_eq!(out.code, 1, "a tampered manifest: {}", out.stderr);
}

#[test]
fn a_manifest_that_is_also_an_index_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    let child = format!(
        r#"{{"schemaVersion":2,"config":{},"layers":[]}}"#,
        descriptor("a/b", &registry::digest(b"{}"), 2)
    );
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","manifests":[{}]}}"#,
        descriptor(OCI_MANIFEST, &registry::digest(child.as_bytes()), child.len())
    );
    registry::raw_layout(&layout, "1", OCI_MANIFEST, manifest.as_bytes(), &[child.as_bytes(), b"{}"]);
    let reference = format!("oci-layout:{}:1", path(&layout));

    let out = ours(&["chart", "pull", &reference, "-d", path(&dir.path().join("pulled"))]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("has a `manifests` array"), "{}", out.stderr);
    let (out, _) = ours_within(
        &["wait", &reference, "--platform", "linux/amd64", "--timeout", "2s"],
        Duration::from_secs(20),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("has a `manifests` array"), "{}", out.stderr);
}

#[test]
fn a_github_api_page_link_to_another_host_is_not_followed_with_the_token() {
    // A stand-in for a GitHub API (GitHub cannot run here) whose pagination points elsewhere.
    let thief = Hostile::start(|_: &Request| Reply::json(200, "[]"));
    let elsewhere = format!("http://{}/orgs/acme/packages/container/app/versions?page=2", thief.host());
    let api = Hostile::start(move |request: &Request| {
        let link = format!("<{elsewhere}>; rel=\"next\"");
        if request.path.starts_with("/orgs/acme/packages/container/app/versions") {
            Reply::with(200, &[("Content-Type", "application/json"), ("Link", link.as_str())], b"[]")
        } else {
            Reply::json(404, r#"{"message":"Not Found"}"#)
        }
    });
    let mut command = command();
    command
        .env("GITHUB_API_URL", format!("http://{}", api.host()))
        .env("GITHUB_TOKEN", "secret-token")
        .args(["delete", "ghcr.io/acme/app:1.0.0"])
        .stdin(Stdio::null());
    let out = run(&mut command);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("on another origin"), "{}", out.stderr);
    assert!(thief.requests().is_empty(), "the token went to {}: {:?}", thief.host(), thief.requests());
}
