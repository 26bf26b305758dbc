//! Helm 4 and ORAS, the runbook's own tools, read what `oci-publish` pushes, and we read what Helm
//! pushes. Both are real: `cargo xtask setup` builds them from the Go module proxy (pinned, into
//! `target/peers/go/bin`). The registry is the CNCF distribution registry on loopback.

use std::path::{Path, PathBuf};

use tagwright_test_support::registry::{LocalRegistry, Mode};
use tagwright_test_support::{Run, cargo_bin, peer_command, run};

fn oci_publish(registry: &LocalRegistry, args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_oci-publish"));
    registry.our_args(&mut command);
    run(command.args(args))
}

/// Helm with its configuration, cache and data in `home`, never the user's.
fn helm(home: &Path, args: &[&str]) -> Run {
    let mut command = peer_command("helm");
    for (variable, dir) in
        [("HELM_CONFIG_HOME", "config"), ("HELM_CACHE_HOME", "cache"), ("HELM_DATA_HOME", "data")]
    {
        command.env(variable, home.join(dir));
    }
    command.env("HELM_REGISTRY_CONFIG", home.join("config/registry.json"));
    run(command.args(args))
}

fn chart(dir: &Path) -> PathBuf {
    let chart = dir.join("advisoryhub");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: advisoryhub\ndescription: AdvisoryHub\ntype: application\nversion: 1.2.0\nappVersion: \"1.2.0\"\n",
    )
    .expect("Chart.yaml");
    std::fs::write(
        chart.join("values.yaml"),
        "image:\n  repository: ghcr.io/example/advisoryhub\n  tag: \"1.2.0\"\n",
    )
    .expect("values");
    std::fs::write(
        chart.join("templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      containers:\n        - image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
    )
    .expect("template");
    chart
}

fn json(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn helm_pulls_shows_and_renders_our_chart_and_we_pull_what_helm_pushes() {
    let registry = LocalRegistry::start(Mode::Plain);
    let host = registry.host().to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("helm");
    let chart = chart(dir.path());
    let path = |p: &Path| p.to_str().expect("utf-8").to_owned();

    let packaged = json(&oci_publish(
        &registry,
        &["--json", "chart", "package", &path(&chart), "-o", &path(&dir.path().join("ours"))],
    ));
    let ours = PathBuf::from(packaged["path"].as_str().expect("the archive"));
    let pushed = json(&oci_publish(
        &registry,
        &["--json", "chart", "push", &path(&ours), &format!("oci://{host}/charts")],
    ));
    let our_digest = pushed["digest"].as_str().expect("digest").to_owned();

    // helm pull gives back our archive, byte for byte.
    let pulled = dir.path().join("pulled");
    std::fs::create_dir_all(&pulled).expect("helm pulls into a directory that exists");
    let url = format!("oci://{host}/charts/advisoryhub");
    let out = helm(&home, &["pull", &url, "--version", "1.2.0", "--plain-http", "-d", &path(&pulled)]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&our_digest) || out.stdout.contains(&our_digest),
        "helm names our digest: {}{}",
        out.stdout,
        out.stderr
    );
    let theirs = std::fs::read(pulled.join("advisoryhub-1.2.0.tgz")).expect("helm's download");
    assert!(theirs == std::fs::read(&ours).expect("ours"), "helm pull gives our .tgz byte for byte");

    let shown = helm(&home, &["show", "chart", &url, "--version", "1.2.0", "--plain-http"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains("name: advisoryhub") && shown.stdout.contains("version: 1.2.0"),
        "{}",
        shown.stdout
    );
    let rendered = helm(&home, &["template", "release", &path(&ours)]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    assert!(rendered.stdout.contains("image: \"ghcr.io/example/advisoryhub:1.2.0\""), "{}", rendered.stdout);

    // helm push of our archive, and our pull of what Helm pushed.
    let helm_pushed = helm(&home, &["push", &path(&ours), &format!("oci://{host}/helm"), "--plain-http"]);
    assert_eq!(helm_pushed.code, 0, "{}", helm_pushed.stderr);
    let said = format!("{}{}", helm_pushed.stdout, helm_pushed.stderr);
    let helm_digest = said
        .split("Digest: ")
        .nth(1)
        .and_then(|d| d.split_whitespace().next())
        .expect("helm prints the digest");
    let back = dir.path().join("back");
    let read = json(&oci_publish(
        &registry,
        &["--json", "chart", "pull", &format!("{host}/helm/advisoryhub:1.2.0"), "-d", &path(&back)],
    ));
    assert_eq!(read["digest"], helm_digest);
    assert!(
        std::fs::read(back.join("advisoryhub-1.2.0.tgz")).expect("pulled")
            == std::fs::read(&ours).expect("ours")
    );
    assert_eq!(helm_digest, our_digest, "helm push and our push make the same manifest");
}

#[test]
fn oras_reads_our_chart_manifest() {
    let registry = LocalRegistry::start(Mode::Plain);
    let host = registry.host().to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = chart(dir.path());
    let pushed = json(&oci_publish(
        &registry,
        &["--json", "chart", "push", chart.to_str().expect("utf-8"), &format!("oci://{host}/charts")],
    ));
    let reference = format!("{host}/charts/advisoryhub:1.2.0");
    let fetched =
        run(peer_command("oras").args(["manifest", "fetch", "--plain-http", "--descriptor", &reference]));
    assert_eq!(fetched.code, 0, "{}", fetched.stderr);
    let descriptor: serde_json::Value = serde_json::from_str(&fetched.stdout).expect("a descriptor");
    assert_eq!(descriptor["digest"], pushed["digest"]);
    let manifest = run(peer_command("oras").args(["manifest", "fetch", "--plain-http", &reference]));
    let manifest: serde_json::Value = serde_json::from_str(&manifest.stdout).expect("the manifest");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json");
    assert_eq!(manifest["layers"][0]["mediaType"], "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
}
