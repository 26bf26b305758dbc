//! `oci-publish` against the real CNCF distribution registry (Debian's `docker-registry`), started by
//! each test on 127.0.0.1 in three configurations (plain HTTP, htpasswd, TLS with a test CA), with
//! skopeo as the independent client. GitHub's Packages REST API cannot run here: its tests use a local
//! stand-in that follows GitHub's documented paths, headers and pagination.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tagwright_test_support::http::{HttpServer, Request, Response};
use tagwright_test_support::registry::{self, LocalRegistry, Mode, PASSWORD};
use tagwright_test_support::{Run, assert_snapshot, cargo_bin, peer_command, run, run_ok};

const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
const HELM_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const EPOCH: &str = "1767261600";

fn command() -> Command {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_oci-publish"));
    command
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env_remove("GITHUB_TOKEN")
        .env_remove("DOCKER_CONFIG")
        .env("HOME", "/nonexistent");
    command
}

/// Runs `oci-publish` against `registry` with its connection options (and the password on stdin).
fn ours(registry: Option<&LocalRegistry>, args: &[&str]) -> Run {
    let mut command = command();
    let mut stdin = None;
    if let Some(registry) = registry {
        registry.our_args(&mut command);
        if registry.mode() == Mode::Htpasswd {
            stdin = Some(format!("{PASSWORD}\n"));
        }
    }
    command.args(args);
    let run = run_with_stdin(&mut command, stdin.as_deref());
    assert!(
        !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
        "a credential was printed by {args:?}:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    run
}

fn run_with_stdin(command: &mut Command, stdin: Option<&str>) -> Run {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait").into()
}

fn json(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn skopeo(registry: &LocalRegistry, verb: &str, side: &str, args: &[&str]) -> Run {
    let mut command = peer_command("skopeo");
    command.arg(verb).args(registry.skopeo_args(side)).args(args);
    run_ok(&mut command)
}

/// An AdvisoryHub-shaped chart.
fn chart(dir: &Path) -> PathBuf {
    let chart = dir.join("charts/advisoryhub");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: advisoryhub\ndescription: AdvisoryHub <security advisories>\ntype: application\nversion: 1.2.0\nappVersion: \"1.2.0\"\nhome: https://advisoryhub.example\nsources:\n  - https://github.com/example/advisoryhub\nmaintainers:\n  - name: Rel Eng\n    email: rel@example.com\n",
    )
    .expect("Chart.yaml");
    std::fs::write(
        chart.join("values.yaml"),
        "image:\n  repository: ghcr.io/example/advisoryhub\n  tag: \"1.2.0\"\n",
    )
    .expect("values");
    std::fs::write(chart.join("templates/deployment.yaml"), "kind: Deployment\n").expect("template");
    std::fs::write(chart.join(".helmignore"), "*.swp\n").expect("helmignore");
    chart
}

/// Push, inspect with skopeo, re-push, pull, read, wait, alias, delete: one configuration.
fn round_trip(mode: Mode) {
    let registry = LocalRegistry::start(mode);
    let host = registry.host().to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = chart(dir.path());
    let reference = format!("{host}/charts/advisoryhub:1.2.0");

    let pushed = json(&ours(
        Some(&registry),
        &["--json", "chart", "push", chart.to_str().expect("utf-8"), &format!("oci://{host}/charts")],
    ));
    assert_eq!(pushed["reference"], reference.as_str());
    assert_eq!(pushed["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(pushed["config"]["mediaType"], HELM_CONFIG);
    assert_eq!(pushed["layers"][0]["mediaType"], HELM_LAYER);
    assert_eq!(pushed["uploaded"].as_array().map(Vec::len), Some(2), "config and chart uploaded: {pushed}");
    let digest = pushed["digest"].as_str().expect("digest").to_owned();

    // skopeo, the independent client, sees Helm's media types and our digest.
    let raw = skopeo(&registry, "inspect", "", &["--raw", &format!("docker://{reference}")]);
    assert_eq!(registry::digest(raw.stdout.as_bytes()), digest, "skopeo's bytes have our digest");
    let manifest: serde_json::Value = serde_json::from_str(&raw.stdout).expect("manifest JSON");
    assert_eq!(manifest["config"]["mediaType"], HELM_CONFIG);
    assert_eq!(manifest["layers"][0]["mediaType"], HELM_LAYER);
    assert_eq!(manifest["annotations"]["org.opencontainers.image.title"], "advisoryhub");
    assert_eq!(manifest["annotations"]["org.opencontainers.image.created"], "2026-01-01T10:00:00Z");
    assert!(manifest.get("mediaType").is_none(), "Helm's manifests have no mediaType field");

    // Idempotent: nothing uploaded, same digest.
    let again = json(&ours(
        Some(&registry),
        &["--json", "chart", "push", chart.to_str().expect("utf-8"), &format!("oci://{host}/charts")],
    ));
    assert_eq!((again["digest"].as_str(), again["unchanged"].as_bool()), (Some(digest.as_str()), Some(true)));
    assert_eq!(again["uploaded"], serde_json::json!([]));

    // Pull gives back exactly the archive that `chart package` makes.
    let packaged = dir.path().join("packaged");
    let package = ours(
        None,
        &["chart", "package", chart.to_str().expect("utf-8"), "-o", packaged.to_str().expect("utf-8")],
    );
    assert_eq!(package.code, 0, "{}", package.stderr);
    let pulled_dir = dir.path().join("pulled");
    let pulled = json(&ours(
        Some(&registry),
        &["--json", "chart", "pull", &reference, "-d", pulled_dir.to_str().expect("utf-8")],
    ));
    assert_eq!(pulled["digest"], digest.as_str());
    assert_eq!(
        std::fs::read(pulled_dir.join("advisoryhub-1.2.0.tgz")).expect("pulled archive"),
        std::fs::read(packaged.join("advisoryhub-1.2.0.tgz")).expect("packaged archive")
    );

    let shown = ours(Some(&registry), &["manifest", &reference]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(shown.stdout.starts_with(&format!("Digest: {digest}\n")), "{}", shown.stdout);
    assert!(shown.stdout.contains(HELM_LAYER));

    let waited = ours(Some(&registry), &["wait", &reference, "--timeout", "30s"]);
    assert_eq!((waited.code, waited.stdout.trim()), (0, digest.as_str()), "{}", waited.stderr);

    // A second tag on the same manifest: delete warns about it, and deletes it too.
    let alias = format!("{host}/charts/advisoryhub:stable");
    let copied = ours(Some(&registry), &["copy", &reference, &alias]);
    assert_eq!(copied.code, 0, "{}", copied.stderr);
    let dry = ours(Some(&registry), &["delete", &reference, "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.starts_with("Would delete:"), "{}", dry.stdout);
    assert!(dry.stderr.contains("stable") && dry.stderr.contains("warning"), "{}", dry.stderr);
    assert_eq!(ours(Some(&registry), &["manifest", &reference]).code, 0, "a dry run deletes nothing");
    let deleted = json(&ours(Some(&registry), &["--json", "delete", &reference]));
    assert_eq!(
        (deleted["digest"].as_str(), deleted["via"].as_str()),
        (Some(digest.as_str()), Some("registry"))
    );
    assert_eq!(deleted["shared_tags"], serde_json::json!(["stable"]));
    for gone in [&reference, &alias] {
        let missing = ours(Some(&registry), &["manifest", gone]);
        assert_eq!(missing.code, 1, "{gone} is gone: {}", missing.stderr);
        assert!(missing.stderr.contains("not found"), "{}", missing.stderr);
    }
}

#[test]
fn round_trip_over_plain_http() {
    round_trip(Mode::Plain);
}

#[test]
fn round_trip_with_htpasswd_auth() {
    round_trip(Mode::Htpasswd);
}

#[test]
fn round_trip_over_tls_with_a_test_ca() {
    round_trip(Mode::Tls);
}

#[test]
fn credentials_come_from_docker_config_and_are_never_printed() {
    let registry = LocalRegistry::start(Mode::Htpasswd);
    let host = registry.host();
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = chart(dir.path());
    let target = format!("oci://{host}/charts");

    let anonymous = run(command().args(["chart", "push", chart.to_str().expect("utf-8"), &target]));
    assert_eq!(anonymous.code, 1);
    assert!(anonymous.stderr.contains("needs credentials"), "{}", anonymous.stderr);

    let wrong = run_with_stdin(
        command().args([
            "--username",
            "releaser",
            "--password-stdin",
            "chart",
            "push",
            chart.to_str().expect("utf-8"),
            &target,
        ]),
        Some("not-the-password-42\n"),
    );
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("rejected the credentials"), "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("not-the-password-42") && !wrong.stdout.contains("not-the-password-42"));

    // `docker login` writes base64("user:password") under the host.
    let config = dir.path().join("docker");
    std::fs::create_dir_all(&config).expect("mkdir");
    let secret = dir.path().join("auth");
    std::fs::write(&secret, format!("releaser:{PASSWORD}")).expect("write");
    let auth = run_ok(peer_command("base64").arg("-w0").arg(&secret));
    std::fs::write(
        config.join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"{}"}}}}}}"#, auth.stdout.trim()),
    )
    .expect("config");
    let pushed = run(command().env("DOCKER_CONFIG", &config).args([
        "chart",
        "push",
        chart.to_str().expect("utf-8"),
        &target,
    ]));
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert!(
        pushed.stdout.starts_with(&format!("Pushed: {host}/charts/advisoryhub:1.2.0\nDigest: sha256:")),
        "{}",
        pushed.stdout
    );
    assert!(!pushed.stdout.contains(PASSWORD) && !pushed.stderr.contains(PASSWORD));
}

#[test]
fn skopeo_reads_our_layouts_and_we_read_its_pushes() {
    let registry = LocalRegistry::start(Mode::Plain);
    let host = registry.host();
    let dir = tempfile::tempdir().expect("tempdir");

    // A chart pushed to a layout (the embedded default) is copied by skopeo into the registry…
    let layout = dir.path().join("layout");
    let chart = chart(dir.path());
    let pushed = json(&ours(
        None,
        &[
            "--json",
            "chart",
            "push",
            chart.to_str().expect("utf-8"),
            &format!("oci-layout:{}", layout.display()),
        ],
    ));
    assert_eq!(pushed["reference"], format!("oci-layout:{}:1.2.0", layout.display()).as_str());
    skopeo(
        &registry,
        "copy",
        "dest",
        &[
            "--preserve-digests",
            &format!("oci:{}:1.2.0", layout.display()),
            &format!("docker://{host}/charts/advisoryhub:1.2.0"),
        ],
    );
    // …and pulled back by us with the digest we computed.
    let pulled = json(&ours(
        None,
        &[
            "--json",
            "chart",
            "pull",
            &format!("{host}/charts/advisoryhub:1.2.0"),
            "-d",
            dir.path().join("pulled").to_str().expect("utf-8"),
        ],
    ));
    assert_eq!(pulled["digest"], pushed["digest"]);

    // An image layout copied by us (layout to layout) is read by skopeo too.
    let source = dir.path().join("source");
    let digest = registry::image_layout(&source, "1.0.0", &["linux/amd64"], false, 0);
    let ours_layout = dir.path().join("ours");
    let copied = ours(
        None,
        &[
            "copy",
            &format!("oci-layout:{}:1.0.0", source.display()),
            &format!("oci-layout:{}", ours_layout.display()),
        ],
    );
    assert_eq!(copied.code, 0, "{}", copied.stderr);
    skopeo(
        &registry,
        "copy",
        "dest",
        &[
            "--preserve-digests",
            &format!("oci:{}:1.0.0", ours_layout.display()),
            &format!("docker://{host}/app:1.0.0"),
        ],
    );
    let raw = skopeo(&registry, "inspect", "", &["--raw", &format!("docker://{host}/app:1.0.0")]);
    assert_eq!(registry::digest(raw.stdout.as_bytes()), digest);
}

/// Starts `oci-publish wait` and returns it with a channel of its stderr lines.
fn spawn_wait(
    args: &[&str],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>, Arc<Mutex<Vec<String>>>) {
    let mut command = command();
    command.arg("wait").args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn wait");
    let stderr = child.stderr.take().expect("stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    let all = Arc::new(Mutex::new(Vec::new()));
    let all2 = all.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all2.lock().expect("lines").push(line.clone());
            let _ = sender.send(line);
        }
    });
    (child, receiver, all)
}

fn next_line_containing(lines: &std::sync::mpsc::Receiver<String>, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(e) => panic!("no stderr line with `{needle}`: {e}"),
        }
    }
}

#[test]
fn wait_sees_an_image_that_skopeo_pushes_while_it_waits() {
    let registry = LocalRegistry::start(Mode::Plain);
    let host = registry.host();
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("image");
    registry::image_layout(&layout, "1.2.0", &["linux/amd64", "linux/arm64"], true, 0);
    let reference = format!("{host}/example/advisoryhub:1.2.0");

    let (child, lines, _) = spawn_wait(&[
        &reference,
        "--timeout",
        "120s",
        "--interval",
        "200ms",
        "--max-interval",
        "1s",
        "--platform",
        "linux/amd64,linux/arm64",
    ]);
    // Once it has looked and not found it, skopeo pushes the image.
    next_line_containing(&lines, "not found");
    skopeo(
        &registry,
        "copy",
        "dest",
        &["--all", &format!("oci:{}:1.2.0", layout.display()), &format!("docker://{reference}")],
    );
    let output = child.wait_with_output().expect("wait finishes");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let raw = skopeo(&registry, "inspect", "", &["--raw", &format!("docker://{reference}")]);
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), registry::digest(raw.stdout.as_bytes()));
}

#[test]
fn wait_exits_3_when_the_image_never_appears() {
    let registry = LocalRegistry::start(Mode::Plain);
    let reference = format!("{}/example/advisoryhub:9.9.9", registry.host());
    let start = Instant::now();
    let run = run(command().args(["--json", "wait", &reference, "--timeout", "3s", "--interval", "500ms"]));
    let elapsed = start.elapsed();
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        elapsed >= Duration::from_secs(3) && elapsed < Duration::from_secs(8),
        "gave up after {elapsed:?}"
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!((report["status"].as_str(), report["last"].as_str()), (Some("timeout"), Some("not found")));
    assert!(run.stderr.contains("was not ready after"), "{}", run.stderr);
    // Plain log lines (stderr is not a terminal), one per check.
    assert!(run.stderr.lines().filter(|l| l.contains("waiting for")).count() >= 2, "{}", run.stderr);
}

#[test]
fn wait_keeps_waiting_while_an_index_lacks_a_platform() {
    let registry = LocalRegistry::start(Mode::Tls);
    let host = registry.host();
    let dir = tempfile::tempdir().expect("tempdir");
    let partial = dir.path().join("partial");
    let partial_digest = registry::image_layout(&partial, "2.0.0", &["linux/amd64"], true, 0);
    let full = dir.path().join("full");
    registry::image_layout(&full, "2.0.0", &["linux/amd64", "linux/arm64"], true, 0);
    let reference = format!("{host}/example/advisoryhub:2.0.0");
    skopeo(
        &registry,
        "copy",
        "dest",
        &[
            "--all",
            "--preserve-digests",
            &format!("oci:{}:2.0.0", partial.display()),
            &format!("docker://{reference}"),
        ],
    );

    let ca = registry.ca_file().expect("TLS");
    let (child, lines, all) = spawn_wait(&[
        &reference,
        "--ca-file",
        ca.to_str().expect("utf-8"),
        "--timeout",
        "120s",
        "--interval",
        "200ms",
        "--max-interval",
        "1s",
        "--platform",
        "linux/amd64,linux/arm64",
    ]);
    let line = next_line_containing(&lines, "lacks linux/arm64");
    assert!(line.contains(&partial_digest), "{line}");
    // It is still waiting after seeing the incomplete index twice.
    next_line_containing(&lines, "lacks linux/arm64");
    skopeo(
        &registry,
        "copy",
        "dest",
        &["--all", &format!("oci:{}:2.0.0", full.display()), &format!("docker://{reference}")],
    );
    let output = child.wait_with_output().expect("wait finishes");
    assert_eq!(output.status.code(), Some(0), "{:?}", all.lock().expect("lines"));
    let waited = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert_ne!(waited, partial_digest);
    let raw = skopeo(&registry, "inspect", "", &["--raw", &format!("docker://{reference}")]);
    assert_eq!(waited, registry::digest(raw.stdout.as_bytes()));
}

/// A stand-in for GitHub's Packages REST API (GitHub cannot run here): it serves the documented
/// `GET /orgs/{org}/packages/container/{package_name}/versions` and `/users/{username}/…` with `per_page`,
/// `page` and a `Link` header, and `DELETE …/versions/{package_version_id}`; it insists on the documented
/// headers and on the package name being URL-encoded.
struct GithubStandIn {
    server: HttpServer,
    deleted: Arc<Mutex<Vec<u64>>>,
}

fn hex(n: u64) -> String {
    format!("{n:064x}")
}

impl GithubStandIn {
    fn start() -> GithubStandIn {
        // acme (an organization) owns charts/advisoryhub with 150 versions; octo (a user) owns app.
        let mut versions: Vec<(String, &str, String, u64, Vec<String>)> = Vec::new();
        for id in 1..=150u64 {
            let tags = match id {
                120 => vec!["1.2.0".to_owned(), "latest".to_owned()],
                121 => vec![format!("sha256-{}.sig", hex(120))],
                122 => vec![format!("sha256-{}.att", hex(120))],
                _ => vec![format!("0.{id}.0")],
            };
            versions.push(("orgs".into(), "acme", "charts%2Fadvisoryhub".into(), id, tags));
        }
        versions.push(("users".into(), "octo", "app".into(), 900, vec!["3.0.0".into()]));
        let versions = Arc::new(Mutex::new(versions));
        let deleted = Arc::new(Mutex::new(Vec::new()));
        let (versions2, deleted2) = (versions.clone(), deleted.clone());
        let server = HttpServer::start(move |request: &Request| {
            if request.header("authorization") == Some("Bearer weak-token") {
                return Response::json(403, r#"{"message":"Must have admin rights to Repository."}"#);
            }
            if request.header("authorization") != Some("Bearer test-token") {
                return Response::json(401, r#"{"message":"Requires authentication"}"#);
            }
            if request.header("accept") != Some("application/vnd.github+json")
                || request.header("x-github-api-version") != Some("2022-11-28")
            {
                return Response::json(
                    400,
                    r#"{"message":"missing the documented Accept or X-GitHub-Api-Version header"}"#,
                );
            }
            let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
            let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
            // kind/owner/packages/container/name/versions[/id]
            let [kind, owner, "packages", "container", name, "versions", rest @ ..] = parts.as_slice() else {
                return Response::json(404, r#"{"message":"Not Found"}"#);
            };
            let mut versions = versions2.lock().expect("versions");
            let owned: Vec<usize> = versions
                .iter()
                .enumerate()
                .filter(|(_, v)| v.0 == *kind && v.1 == *owner && v.2 == *name)
                .map(|(i, _)| i)
                .collect();
            if owned.is_empty() {
                return Response::json(404, r#"{"message":"Package not found."}"#);
            }
            match (request.method.as_str(), rest) {
                ("GET", []) => {
                    let param = |key: &str| {
                        query
                            .split('&')
                            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                            .and_then(|v| v.parse::<usize>().ok())
                    };
                    let per_page = param("per_page").unwrap_or(30).min(100);
                    let page = param("page").unwrap_or(1);
                    let items: Vec<String> = owned
                        .iter()
                        .skip((page - 1) * per_page)
                        .take(per_page)
                        .map(|&i| {
                            let v = &versions[i];
                            format!(
                                r#"{{"id":{},"name":"sha256:{}","metadata":{{"package_type":"container","container":{{"tags":{}}}}}}}"#,
                                v.3,
                                hex(v.3),
                                serde_json::to_string(&v.4).expect("tags")
                            )
                        })
                        .collect();
                    let mut response = Response::json(200, &format!("[{}]", items.join(",")));
                    if page * per_page < owned.len() {
                        response.headers.push((
                            "Link".into(),
                            format!(
                                "<http://{}{path}?per_page={per_page}&page={}>; rel=\"next\"",
                                request.header("host").unwrap_or_default(),
                                page + 1
                            ),
                        ));
                    }
                    response
                }
                ("DELETE", [id]) => {
                    let id: u64 = id.parse().unwrap_or(0);
                    match versions.iter().position(|v| v.3 == id && v.0 == *kind && v.1 == *owner) {
                        Some(i) => {
                            versions.remove(i);
                            deleted2.lock().expect("deleted").push(id);
                            Response { status: 204, headers: vec![], body: vec![] }
                        }
                        None => Response::json(404, r#"{"message":"Not Found"}"#),
                    }
                }
                _ => Response::json(404, r#"{"message":"Not Found"}"#),
            }
        });
        GithubStandIn { server, deleted }
    }
}

fn github_delete(stand_in: &GithubStandIn, token: Option<&str>, args: &[&str]) -> Run {
    let mut command = command();
    command.env("GITHUB_API_URL", stand_in.server.url()).arg("delete").args(args);
    if let Some(token) = token {
        command.env("GITHUB_TOKEN", token);
    }
    run(&mut command)
}

#[test]
fn ghcr_deletes_go_through_the_packages_api_stand_in() {
    let stand_in = GithubStandIn::start();
    let reference = "ghcr.io/acme/charts/advisoryhub:1.2.0";

    let dry = github_delete(&stand_in, Some("test-token"), &[reference, "--dry-run", "--json"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let report: serde_json::Value = serde_json::from_str(&dry.stdout).expect("JSON");
    assert_eq!(report["via"], "GitHub Packages API");
    assert_eq!(report["digest"], format!("sha256:{}", hex(120)).as_str());
    assert_eq!(report["package_versions"], serde_json::json!([120, 121, 122]));
    assert_eq!(report["shared_tags"], serde_json::json!(["latest"]));
    assert_eq!(
        report["signatures"],
        serde_json::json!([format!("sha256-{}.sig", hex(120)), format!("sha256-{}.att", hex(120))])
    );
    assert!(dry.stderr.contains("latest"), "warns about the shared tag: {}", dry.stderr);
    assert!(stand_in.deleted.lock().expect("deleted").is_empty(), "a dry run deletes nothing");
    // Version 120 is on the second page: pagination was followed, with the encoded package name.
    let paths: Vec<String> = stand_in.server.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.iter().any(|p| p == "/orgs/acme/packages/container/charts%2Fadvisoryhub/versions?per_page=100"),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p.ends_with("page=2")), "{paths:?}");

    let done = github_delete(&stand_in, Some("test-token"), &[reference]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(*stand_in.deleted.lock().expect("deleted"), vec![120, 121, 122]);
    let again = github_delete(&stand_in, Some("test-token"), &[reference]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("no such version"), "{}", again.stderr);

    // A user's package, by digest: the organization lookup 404s, the user lookup finds it.
    let by_digest =
        github_delete(&stand_in, Some("test-token"), &[&format!("ghcr.io/octo/app@sha256:{}", hex(900))]);
    assert_eq!(by_digest.code, 0, "{}", by_digest.stderr);
    assert!(stand_in.deleted.lock().expect("deleted").contains(&900));

    let weak = github_delete(&stand_in, Some("weak-token"), &["ghcr.io/acme/charts/advisoryhub:0.5.0"]);
    assert_eq!(weak.code, 1);
    assert!(weak.stderr.contains("HTTP 403") && weak.stderr.contains("delete:packages"), "{}", weak.stderr);
    assert!(!weak.stderr.contains("weak-token"), "the token is never printed");

    let no_token = github_delete(&stand_in, None, &["ghcr.io/acme/charts/advisoryhub:0.5.0"]);
    assert_eq!(no_token.code, 2);
    assert!(no_token.stderr.contains("GITHUB_TOKEN"), "{}", no_token.stderr);
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = chart(dir.path());
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: advisoryhub\nversion: one\n")
        .expect("write");
    let out = dir.path().join("out");
    let invalid =
        ours(None, &["chart", "package", chart.to_str().expect("utf-8"), "-o", out.to_str().expect("utf-8")]);
    assert_eq!(invalid.code, 2);
    assert!(invalid.stderr.contains("Chart.yaml") && invalid.stderr.contains("SemVer"), "{}", invalid.stderr);
    assert!(std::fs::read_dir(&out).map_or(true, |mut d| d.next().is_none()), "nothing written");
    for (args, why) in [
        (vec!["manifest", "advisoryhub:1.0"], "registry host"),
        (vec!["wait", "127.0.0.1:1/app"], "name a tag or a digest"),
        (vec!["wait", "127.0.0.1:1/app:1", "--timeout", "soon"], "not a duration"),
        (vec!["wait", "127.0.0.1:1/app:1", "--platform", "linux"], "not a platform"),
    ] {
        let run = ours(None, &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(why), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn wait_rewrites_one_progress_line_on_a_terminal() {
    let registry = LocalRegistry::start(Mode::Plain);
    let reference = format!("{}/example/advisoryhub:9.9.9", registry.host());
    // util-linux `script` gives the command a pseudo-terminal.
    let line =
        format!("{} wait {reference} --timeout 2s --interval 300ms", env!("CARGO_BIN_EXE_oci-publish"));
    let mut command = peer_command("script");
    command.args(["-qec", &line, "/dev/null"]).env("HOME", "/nonexistent").env_remove("DOCKER_CONFIG");
    let run = run(&mut command);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let rewrites = run.stdout.matches("\r\x1b[Kwaiting for").count();
    assert!(rewrites >= 2, "a rewritten line per check: {:?}", run.stdout);
    assert!(!run.stdout.contains("oci-publish: waiting for"), "no log lines on a terminal: {:?}", run.stdout);
}

#[test]
fn an_index_child_in_a_layout_has_its_own_media_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = registry::image_layout(dir.path(), "1", &["linux/amd64", "linux/arm64"], true, 0);
    let index =
        std::fs::read_to_string(dir.path().join("blobs/sha256").join(top.trim_start_matches("sha256:")))
            .expect("the index blob");
    let index: serde_json::Value = serde_json::from_str(&index).expect("json");
    let child = index["manifests"][0]["digest"].as_str().expect("a child");
    let out = ours(None, &["manifest", &format!("oci-layout:{}@{child}", dir.path().display())]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Media-Type: application/vnd.oci.image.manifest.v1+json"), "{}", out.stdout);
}

/// Every `--json` document of `oci-publish`, against OCI layouts (no registry: the documents are the
/// same), compared with the committed snapshots `crates/cli/tests/snapshots/oci-publish-*.json`. The
/// temporary directory reads `<TMP>`.
#[test]
fn every_json_document_matches_its_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = chart(dir.path());
    let tmp = dir.path().display().to_string();
    let layout = format!("oci-layout:{tmp}/layout");
    let snapshot = |name: &str, run: &Run, code: i32| {
        assert_eq!(run.code, code, "{name}: {}\n{}", run.stdout, run.stderr);
        let text = run.stdout.replace(&tmp, "<TMP>");
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{name}: {e}: {text}"));
        assert_snapshot(&format!("crates/cli/tests/snapshots/oci-publish-{name}.json"), &text);
    };
    let package_dir = format!("{tmp}/packaged");
    let chart_arg = chart.to_str().expect("utf-8");
    snapshot("package", &ours(None, &["--json", "chart", "package", chart_arg, "-o", &package_dir]), 0);
    snapshot("push", &ours(None, &["--json", "chart", "push", chart_arg, &layout]), 0);
    let tagged = format!("{layout}:1.2.0");
    snapshot("pull", &ours(None, &["--json", "chart", "pull", &tagged, "-d", &format!("{tmp}/pulled")]), 0);
    snapshot("manifest", &ours(None, &["--json", "manifest", &tagged]), 0);
    let wait = ours(None, &["--json", "wait", &tagged, "--timeout", "5s"]);
    let ready: serde_json::Value = serde_json::from_str(&wait.stdout).expect("wait JSON");
    assert!(ready["elapsed_seconds"].as_f64().is_some_and(|s| s < 5.0), "{ready}");
    snapshot("wait", &Run { stdout: zeroed(&wait.stdout, &["elapsed_seconds"]), ..wait }, 0);
    let copy = format!("oci-layout:{tmp}/copy:1.2.0");
    snapshot("copy", &ours(None, &["--json", "copy", &tagged, &copy]), 0);
    snapshot("delete", &ours(None, &["--json", "delete", &copy, "--dry-run"]), 0);
    let missing =
        ours(None, &["--json", "wait", &format!("{layout}:9.9.9"), "--timeout", "1s", "--interval", "200ms"]);
    let timeout: serde_json::Value = serde_json::from_str(&missing.stdout).expect("timeout JSON");
    assert!(timeout["checks"].as_u64().is_some_and(|n| n >= 2), "{timeout}");
    let missing = Run { stdout: zeroed(&missing.stdout, &["checks", "elapsed_seconds"]), ..missing };
    snapshot("timeout", &missing, 3);
    snapshot("error", &ours(None, &["--json", "manifest", "not a reference"]), 2);
}

/// `text` with the values of `keys` (timings, which vary) replaced by 0, the rest as printed.
fn zeroed(text: &str, keys: &[&str]) -> String {
    text.lines()
        .map(|line| match keys.iter().find(|k| line.trim_start().starts_with(&format!("\"{k}\": "))) {
            Some(key) => {
                let comma = if line.ends_with(',') { "," } else { "" };
                format!("{}\"{key}\": 0{comma}\n", &line[..line.len() - line.trim_start().len()])
            }
            None => format!("{line}\n"),
        })
        .collect()
}
