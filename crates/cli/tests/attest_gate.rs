//! The Trivy gate and SLSA provenance against the real peers: Trivy's own filtering and golden
//! pairs, `@actions/attest`'s predicate, the JWT checks, and the in-toto and SLSA schemas.

mod attest_support;

use std::collections::BTreeSet;
use std::path::Path;

use attest_support::*;
use tagwright_test_support::{cargo_bin, fixture, peer_command, run, run_ok, workspace_root};

/// The real Trivy reports of `tests/fixtures/trivy` (Trivy's own golden files).
const TRIVY_REPORTS: &[&str] =
    &["alpine-310", "debian-buster", "centos-7", "pip", "poetry", "secrets", "dockerfile"];

/// A finding as both tools can name it: kind, id, target, package, installed version.
type Key = (String, String, String, String, String);

fn keys_of_trivy_report(doc: &serde_json::Value) -> BTreeSet<Key> {
    let mut keys = BTreeSet::new();
    for result in doc["Results"].as_array().into_iter().flatten() {
        let target = result["Target"].as_str().unwrap_or_default().to_owned();
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        for v in result["Vulnerabilities"].as_array().into_iter().flatten() {
            keys.insert((
                "vulnerability".into(),
                text(&v["VulnerabilityID"]),
                target.clone(),
                text(&v["PkgName"]),
                text(&v["InstalledVersion"]),
            ));
        }
        for s in result["Secrets"].as_array().into_iter().flatten() {
            keys.insert(("secret".into(), text(&s["RuleID"]), target.clone(), String::new(), String::new()));
        }
        for m in
            result["Misconfigurations"].as_array().into_iter().flatten().filter(|m| m["Status"] == "FAIL")
        {
            let id = if m["AVDID"].as_str().is_some_and(|a| !a.is_empty()) {
                text(&m["AVDID"])
            } else {
                text(&m["ID"])
            };
            keys.insert(("misconfiguration".into(), id, target.clone(), String::new(), String::new()));
        }
    }
    keys
}

fn keys_of_gate(doc: &serde_json::Value) -> BTreeSet<Key> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    doc["remaining"]
        .as_array()
        .expect("remaining")
        .iter()
        .map(|f| {
            (text(&f["kind"]), text(&f["id"]), text(&f["target"]), text(&f["package"]), text(&f["installed"]))
        })
        .collect()
}

/// Ignore files for a report, from its own findings: live entries for the first finding, expired ones
/// for the second; a YAML one with a purl for a vulnerability, and a path glob for a secret or check.
fn ignore_files(dir: &Path, report: &serde_json::Value) -> Vec<std::path::PathBuf> {
    let mut ids = Vec::new();
    let mut purl = None;
    for result in report["Results"].as_array().into_iter().flatten() {
        for v in result["Vulnerabilities"].as_array().into_iter().flatten() {
            ids.push(v["VulnerabilityID"].as_str().expect("id").to_owned());
            purl = purl.or_else(|| {
                v["PkgIdentifier"]["PURL"]
                    .as_str()
                    .map(|p| (ids.last().cloned().unwrap_or_default(), p.to_owned()))
            });
        }
        for s in result["Secrets"].as_array().into_iter().flatten() {
            ids.push(s["RuleID"].as_str().expect("rule").to_owned());
        }
        for m in result["Misconfigurations"].as_array().into_iter().flatten() {
            ids.push(m["ID"].as_str().expect("id").to_owned());
        }
    }
    let first = ids.first().cloned().unwrap_or_default();
    let second = ids.get(1).cloned().unwrap_or_else(|| first.clone());
    let plain = dir.join(".trivyignore");
    std::fs::write(
        &plain,
        format!("# live, then expired\n{first} exp:2099-12-31\n{second} exp:2020-01-01\n"),
    )
    .expect("write");
    let yaml = dir.join("ignore.trivyignore.yaml");
    let (vuln, purl) = purl.unwrap_or_else(|| (first.clone(), "pkg:generic/none".to_owned()));
    let base_purl = purl.split('@').next().unwrap_or_default().to_owned();
    std::fs::write(
        &yaml,
        format!(
            "vulnerabilities:\n  - id: {vuln}\n    purls: [\"{base_purl}\"]\n    statement: not reachable\n  - id: {second}\n    expired_at: 2021-06-01\nsecrets:\n  - id: {first}\n    paths: [\"**/*.sh\"]\nmisconfigurations:\n  - id: {first}\n    paths: [\"Docker*\"]\n"
        ),
    )
    .expect("write");
    vec![plain, yaml]
}

#[test]
fn the_gate_keeps_what_trivy_convert_keeps_and_exits_as_it_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = workspace_root().join("tests/fixtures/trivy");
    // An empty ignore file: trivy refuses one that does not exist.
    let none = dir.path().join("empty.trivyignore");
    std::fs::write(&none, "").expect("write");
    let mut compared = 0;
    let mut ignored_by: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for name in TRIVY_REPORTS {
        let report_path = fixtures.join(format!("{name}.json"));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report_path).expect("read")).expect("json");
        let files = ignore_files(dir.path(), &report);
        let option_sets: Vec<(&str, &Path)> = vec![
            ("UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL", none.as_path()),
            ("HIGH,CRITICAL", none.as_path()),
            ("LOW,MEDIUM", none.as_path()),
            ("UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL", files[0].as_path()),
            ("MEDIUM,HIGH,CRITICAL", files[1].as_path()),
            ("CRITICAL", files[1].as_path()),
        ];
        for (severity, ignore) in option_sets {
            let out = dir.path().join("trivy.json");
            let mut trivy = peer_command("trivy");
            trivy
                .env("HOME", dir.path())
                .current_dir(dir.path())
                .args([
                    "convert",
                    "--quiet",
                    "--format",
                    "json",
                    "--exit-code",
                    "1",
                    "--severity",
                    severity,
                    "--ignorefile",
                ])
                .arg(ignore)
                .arg("--output")
                .arg(&out)
                .arg(&report_path);
            let theirs = run(&mut trivy);
            assert!(theirs.code == 0 || theirs.code == 1, "trivy convert failed: {}", theirs.stderr);
            let kept: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&out).expect("trivy wrote")).expect("json");
            let ours = attest(&[
                "trivy-gate",
                report_path.to_str().expect("utf-8"),
                "--format",
                "json",
                "--severity",
                severity,
                "--ignorefile",
                ignore.to_str().expect("utf-8"),
            ]);
            let label = format!("{name} --severity {severity} --ignorefile {}", ignore.display());
            assert_eq!(ours.code, theirs.code, "{label}: exit codes: {}", ours.stderr);
            let gate: serde_json::Value = serde_json::from_str(&ours.stdout).expect("gate JSON");
            assert_eq!(keys_of_gate(&gate), keys_of_trivy_report(&kept), "{label}");
            if ignore != none.as_path() {
                assert!(
                    ours.stderr.contains("expired on"),
                    "{label}: the expired entry is reported: {}",
                    ours.stderr
                );
            }
            let ignored = gate["suppressed"]
                .as_array()
                .expect("suppressed")
                .iter()
                .filter(|f| f["reason"] == "ignored")
                .count();
            *ignored_by
                .entry(ignore.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default())
                .or_default() += ignored;
            compared += 1;
        }
    }
    assert_eq!(compared, TRIVY_REPORTS.len() * 6);
    // The ignore files did ignore things: by id (`.trivyignore`), and by purl or path (`.yaml`).
    assert!(
        ignored_by.get("").is_some_and(|&n| n > 0) && ignored_by.get("yaml").is_some_and(|&n| n > 0),
        "{ignored_by:?}"
    );
}

#[test]
fn ignore_unfixed_matches_trivys_own_golden_pairs() {
    let fixtures = workspace_root().join("tests/fixtures/trivy");
    for name in ["debian-buster", "centos-7"] {
        let all = fixtures.join(format!("{name}.json"));
        let golden: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(fixtures.join(format!("{name}-ignore-unfixed.json"))).expect("read"),
        )
        .expect("json");
        let ours = attest(&[
            "trivy-gate",
            all.to_str().expect("utf-8"),
            "--ignore-unfixed",
            "--format",
            "json",
            "--ignorefile",
            "/nonexistent",
        ]);
        assert_eq!(ours.code, 1, "{}", ours.stderr);
        let gate: serde_json::Value = serde_json::from_str(&ours.stdout).expect("json");
        assert_eq!(keys_of_gate(&gate), keys_of_trivy_report(&golden), "{name}");
        assert!(
            gate["suppressed"].as_array().expect("suppressed").iter().any(|s| s["reason"] == "status"),
            "{name}"
        );
    }
}

#[test]
fn the_gate_says_what_it_suppressed_and_annotates_for_github() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = workspace_root().join("tests/fixtures/trivy/centos-7.json");
    let ignore = dir.path().join(".trivyignore");
    std::fs::write(&ignore, "CVE-2019-1559\nCVE-2018-0734 exp:2020-01-01\n").expect("write");
    let r = report.to_str().expect("utf-8");
    let i = ignore.to_str().expect("utf-8");
    let json = attest(&["trivy-gate", r, "--json", "--ignorefile", i]);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/attest-trivy-gate.shape.json",
        &tagwright_test_support::json_shape(&json.stdout),
    );
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(doc["status"], "failed");
    let suppressed = &doc["suppressed"][0];
    assert_eq!(
        (suppressed["finding"]["id"].as_str(), suppressed["reason"].as_str()),
        (Some("CVE-2019-1559"), Some("ignored"))
    );
    assert_eq!(suppressed["by"], format!("{i}:1"));
    assert_eq!(doc["expired"][0]["id"], "CVE-2018-0734");
    let github = attest(&["trivy-gate", r, "--format", "github", "--ignorefile", i]);
    assert_eq!(github.code, 1);
    assert!(github.stdout.contains("::error file=testdata/fixtures/images/centos-7.tar.gz (centos 7.6.1810),title=vulnerability CVE-2019-18276 (LOW)::bash 4.2.46-31.el7: "), "{}", github.stdout);
    assert!(
        github.stdout.contains("::warning title=expired ignore entry CVE-2018-0734::"),
        "{}",
        github.stdout
    );
    let malformed = dir.path().join("bad.json");
    std::fs::write(&malformed, "{\"SchemaVersion\": 1}").expect("write");
    assert_eq!(attest(&["trivy-gate", malformed.to_str().expect("utf-8")]).code, 2);
    assert_eq!(attest(&["trivy-gate", r, "--severity", "SEVERE"]).code, 2);
}

#[test]
fn github_actions_provenance_equals_actions_attests_field_for_field() {
    // A stand-in for GitHub's OIDC token service: GitHub cannot run here.
    let oidc = tagwright_test_support::oidc::OidcStandIn::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let artifact = dir.path().join("advisoryhub-1.2.0.tgz");
    std::fs::write(&artifact, b"chart bytes").expect("write");
    let ours = our_provenance(&oidc, artifact.to_str().expect("utf-8"));
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    let shape = tagwright_test_support::json_shape(&ours.stdout);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/format-provenance.shape.json",
        &shape,
    );
    let statement: serde_json::Value = serde_json::from_str(&ours.stdout).expect("statement");
    let theirs = their_predicate(&oidc);
    assert_eq!(theirs.code, 0, "@actions/attest: {}", theirs.stderr);
    // @actions/core masks the token first: `::add-mask::…` on stdout, as in a real job.
    assert!(theirs.stdout.contains("\n::add-mask::"), "{}", theirs.stdout);
    let json = theirs.stdout.lines().find(|l| l.starts_with('{')).expect("the predicate's line");
    let theirs: serde_json::Value = serde_json::from_str(json).expect("their predicate");
    assert_eq!(statement["predicateType"], theirs["type"]);
    assert_eq!(statement["predicate"], theirs["params"], "the predicate, field for field");
    assert_eq!(
        statement["predicate"]["runDetails"]["builder"]["id"],
        "https://github.com/acme/advisoryhub/.github/workflows/release.yml@refs/tags/v1.2.0"
    );
    assert_eq!(statement["subject"][0]["name"], "advisoryhub-1.2.0.tgz");
    let tokens: Vec<String> =
        oidc.requests().iter().filter(|r| r.path.starts_with("/_apis")).map(|r| r.path.clone()).collect();
    assert!(
        tokens.iter().all(|p| p.ends_with("&audience=nobody")),
        "both asked for audience nobody: {tokens:?}"
    );
}

#[test]
fn a_token_from_another_key_or_without_a_required_claim_is_refused_by_both() {
    // A stand-in for GitHub's OIDC token service: GitHub cannot run here.
    let forged = tagwright_test_support::oidc::OidcStandIn::start();
    forged.sign_with_another_key();
    let ours =
        our_provenance(&forged, "x@sha256:0000000000000000000000000000000000000000000000000000000000000000");
    assert_eq!(ours.code, 1, "{}", ours.stderr);
    assert!(ours.stderr.contains("signature (RS256, kid stand-in-key-1) does not verify"), "{}", ours.stderr);
    let theirs = their_predicate(&forged);
    assert_ne!(theirs.code, 0, "@actions/attest accepted a forged token");
    assert!(theirs.stderr.contains("signature verification failed"), "{}", theirs.stderr);

    let partial = tagwright_test_support::oidc::OidcStandIn::start();
    partial.omit_claim("run_attempt");
    let ours =
        our_provenance(&partial, "x@sha256:0000000000000000000000000000000000000000000000000000000000000000");
    assert_eq!(ours.code, 1, "{}", ours.stderr);
    assert!(ours.stderr.contains("missing claims: run_attempt"), "{}", ours.stderr);
    let theirs = their_predicate(&partial);
    assert_ne!(theirs.code, 0);
    assert!(theirs.stderr.contains("Missing claims: run_attempt"), "{}", theirs.stderr);
}

/// Issue 21, items 5 and 6: claims that skipped the checks are refused. A token without `exp`, with
/// `exp` or `nbf` that is not an integer, or whose `iss` only starts with the issuer. Each token is
/// signed by the stand-in's real key (a stand-in for GitHub's OIDC token service).
#[test]
fn tokens_whose_time_or_issuer_claims_evade_the_checks_are_refused() {
    let subject = "x@sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let far = 4_102_444_800_i64; // 2100-01-01
    type Tamper = Box<dyn Fn(&tagwright_test_support::oidc::OidcStandIn)>;
    let cases: Vec<(&str, Tamper, &str)> = vec![
        ("no exp", Box::new(|o| o.omit_claim("exp")), "has no `exp` claim"),
        (
            "a float exp",
            Box::new(move |o| o.set_claim("exp", far as f64 + 0.5)),
            "`exp` claim is not an integer",
        ),
        (
            "a string exp",
            Box::new(move |o| o.set_claim("exp", far.to_string())),
            "`exp` claim is not an integer",
        ),
        ("a float nbf", Box::new(|o| o.set_claim("nbf", 1.5)), "`nbf` claim is not an integer"),
        ("a string nbf", Box::new(|o| o.set_claim("nbf", "1")), "`nbf` claim is not an integer"),
        (
            "an issuer's prefix",
            Box::new(|o| o.set_claim("iss", format!("{}.evil", o.issuer()))),
            "unexpected iss claim",
        ),
    ];
    for (what, tamper, why) in cases {
        let oidc = tagwright_test_support::oidc::OidcStandIn::start();
        tamper(&oidc);
        let ours = our_provenance(&oidc, subject);
        assert_eq!(ours.code, 1, "{what}: {}", ours.stderr);
        assert!(ours.stderr.contains(why), "{what}: {}", ours.stderr);
    }
    // The issuer with an enterprise path still verifies.
    let oidc = tagwright_test_support::oidc::OidcStandIn::start();
    oidc.set_claim("iss", format!("{}/acme", oidc.issuer()));
    let ours = our_provenance(&oidc, subject);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
}

#[test]
fn outside_github_actions_the_builder_is_local_and_the_commit_is_heads() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let head = run_ok(peer_command("git").current_dir(repo.path()).args(["rev-parse", "HEAD"]))
        .stdout
        .trim()
        .to_owned();
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.env_remove("GITHUB_ACTIONS").args([
        "provenance",
        "--repo",
        repo.path().to_str().expect("utf-8"),
        "--subject",
        "app@sha256:1111111111111111111111111111111111111111111111111111111111111111",
    ]);
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let statement: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let dependency = &statement["predicate"]["buildDefinition"]["resolvedDependencies"][0];
    assert_eq!(dependency["digest"]["gitCommit"], head);
    assert!(
        statement["predicate"]["runDetails"]["builder"]["id"]
            .as_str()
            .is_some_and(|id| id.contains("/builders/local@v"))
    );
    // Inside Actions without the id-token permission, it says what is missing.
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.env("GITHUB_ACTIONS", "true").env_remove("ACTIONS_ID_TOKEN_REQUEST_URL").args([
        "provenance",
        "--subject",
        "app@sha256:1111111111111111111111111111111111111111111111111111111111111111",
    ]);
    let out = run(&mut command);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "ACTIONS_ID_TOKEN_REQUEST_URL is not set: the job needs `permissions: id-token: write`"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(attest(&["provenance", "--subject", "app@sha256:XYZ"]).code, 2);
}

#[test]
fn statements_validate_against_the_in_toto_and_slsa_schemas() {
    // GitHub Actions mode, against a stand-in for GitHub's OIDC token service.
    let oidc = tagwright_test_support::oidc::OidcStandIn::start();
    let github = our_provenance(
        &oidc,
        "ghcr.io/acme/advisoryhub@sha256:2222222222222222222222222222222222222222222222222222222222222222",
    );
    assert_eq!(github.code, 0, "{}", github.stderr);
    validate_statement(&github.stdout);
    let repo = fixture("make_advisoryhub.sh", &[]);
    let local = attest(&[
        "provenance",
        "--repo",
        repo.path().to_str().expect("utf-8"),
        "--subject",
        "app@sha256:1111111111111111111111111111111111111111111111111111111111111111",
    ]);
    assert_eq!(local.code, 0, "{}", local.stderr);
    validate_statement(&local.stdout);
    // The schemas can fail: a subject without a digest is refused.
    let mut broken: serde_json::Value = serde_json::from_str(&local.stdout).expect("json");
    broken["subject"][0].as_object_mut().expect("subject").remove("digest");
    let mut command = peer_command("python3");
    command.args(["-c", "import json,sys; from jsonschema import validate; validate(json.load(sys.stdin), json.load(open(sys.argv[1])))"]).arg(workspace_root().join("docs/schemas/in-toto-statement-v1.schema.json"));
    assert_ne!(tagwright_test_support::run_with_input(&mut command, broken.to_string().as_bytes()).code, 0);
}
