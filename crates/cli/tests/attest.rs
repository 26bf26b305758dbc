//! `attest sbom` against the real peers: cyclonedx-python-lib's strict validator (1.5 and 1.6), the
//! purl set of `uv export --format cyclonedx1.5` on the same uv.lock, and `cargo metadata`'s resolve
//! for this repository's own Cargo.lock.

use std::collections::BTreeSet;
use std::path::Path;

use tagwright_test_support::{Run, cargo_bin, fixture, peer_command, run, run_ok, workspace_root};

const EPOCH: &str = "1767261600";

fn attest(args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.env("SOURCE_DATE_EPOCH", EPOCH).args(args);
    run(&mut command)
}

fn sbom(repo: &Path, extra: &[&str]) -> serde_json::Value {
    let out = attest(&[&["sbom", "--repo", repo.to_str().expect("utf-8")][..], extra].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).expect("JSON")
}

/// The uv workspace of `tests/fixtures/sbom-workspace`, copied to a temporary directory.
fn workspace() -> tempfile::TempDir {
    copied("sbom-workspace")
}

/// `tests/fixtures/NAME`, copied to a temporary directory.
fn copied(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    run_ok(
        peer_command("cp")
            .arg("-R")
            .arg(workspace_root().join("tests/fixtures").join(name).join("."))
            .arg(dir.path()),
    );
    dir
}

/// cyclonedx-python-lib's `JsonStrictValidator` for `version` (`V1_5`, `V1_6`): `None` means valid.
fn validate(json: &str, version: &str) {
    let script = format!(
        "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\n\
         err = JsonStrictValidator(SchemaVersion.{version}).validate_str(sys.stdin.read())\nprint(err)\nsys.exit(1 if err else 0)\n"
    );
    let mut command = peer_command("python3");
    command.args(["-c", &script]);
    let out = tagwright_test_support::run_with_input(&mut command, json.as_bytes());
    assert_eq!(out.code, 0, "{version}: {}{}", out.stdout, out.stderr);
}

fn purls(bom: &serde_json::Value) -> BTreeSet<String> {
    bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_owned))
        .collect()
}

fn uv_export(repo: &Path, args: &[&str]) -> serde_json::Value {
    let mut command = peer_command("uv");
    command
        .current_dir(repo)
        .args(["export", "--format", "cyclonedx1.5", "--preview-features", "sbom-export", "--frozen"])
        .args(args);
    serde_json::from_str(&run_ok(&mut command).stdout).expect("uv's SBOM")
}

#[test]
fn sboms_of_real_locks_pass_the_strict_schemas_and_are_reproducible() {
    let advisoryhub = fixture("make_advisoryhub.sh", &[]);
    let uv_workspace = workspace();
    let this = workspace_root();
    for repo in [advisoryhub.path(), uv_workspace.path(), this.as_path()] {
        for (spec, version) in [("1.5", "V1_5"), ("1.6", "V1_6")] {
            let first = attest(&["sbom", "--repo", repo.to_str().expect("utf-8"), "--spec", spec]);
            assert_eq!(first.code, 0, "{}", first.stderr);
            validate(&first.stdout, version);
            let again = attest(&["sbom", "--repo", repo.to_str().expect("utf-8"), "--spec", spec]);
            assert!(first.stdout == again.stdout, "{}: two runs differ", repo.display());
            let bom: serde_json::Value = serde_json::from_str(&first.stdout).expect("JSON");
            assert_eq!(bom["specVersion"], spec);
            assert_eq!(bom["metadata"]["timestamp"], "2026-01-01T10:00:00Z");
        }
    }
}

#[test]
fn the_purls_are_the_ones_uv_export_lists() {
    for repo in [fixture("make_advisoryhub.sh", &[]), workspace(), copied("sbom-extras")] {
        let everything = uv_export(repo.path(), &["--all-extras", "--all-groups"]);
        assert_eq!(purls(&sbom(repo.path(), &[])), purls(&everything), "{}", repo.path().display());
        let runtime = uv_export(repo.path(), &["--all-extras", "--no-default-groups"]);
        assert_eq!(purls(&sbom(repo.path(), &["--no-dev"])), purls(&runtime), "--no-dev");
    }
}

/// Issue 21, item 4: an extra that only development groups ask for (`fsspec[s3]`) does not make its
/// packages runtime: they are left out with `--no-dev` and `scope: excluded` in the full SBOM, as
/// `uv export` leaves them out of a runtime export.
#[test]
fn an_extra_only_development_groups_ask_for_is_not_runtime() {
    let repo = copied("sbom-extras");
    let runtime = purls(&sbom(repo.path(), &["--no-dev"]));
    assert_eq!(runtime, purls(&uv_export(repo.path(), &["--all-extras", "--no-default-groups"])));
    assert!(runtime.iter().any(|p| p.starts_with("pkg:pypi/fsspec@")), "{runtime:?}");
    let full = sbom(repo.path(), &[]);
    let scope = |name: &str| {
        let components = full["components"].as_array().expect("components");
        components.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("{name}"))["scope"].clone()
    };
    for dev_only in ["s3fs", "aiobotocore", "botocore", "aiohttp", "pytest"] {
        assert_eq!(scope(dev_only), "excluded", "{dev_only}");
    }
    for runtime in ["fsspec", "requests", "urllib3"] {
        assert!(scope(runtime).is_null(), "{runtime}");
    }
}

/// A uv.lock of `packages` packages, each depending on every other one: a dense graph.
fn dense_lock(dir: &Path, packages: usize) -> u64 {
    let mut text = String::from("version = 1\nrevision = 3\nrequires-python = \">=3.11\"\n\n");
    for i in 0..=packages {
        let (name, source) = if i == 0 {
            ("root".to_owned(), "{ editable = \".\" }")
        } else {
            (format!("pkg-{i}"), "{ registry = \"https://pypi.org/simple\" }")
        };
        text.push_str(&format!(
            "[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\nsource = {source}\ndependencies = [\n"
        ));
        for j in (1..=packages).filter(|&j| j != i) {
            text.push_str(&format!(
                "    {{ name = \"pkg-{j}\", marker = \"python_full_version >= '3.12'\" }},\n"
            ));
        }
        text.push_str("]\n\n");
    }
    std::fs::write(dir.join("uv.lock"), &text).expect("write");
    text.len() as u64
}

/// Issue 21, item 6: a dense dependency graph costs a small multiple of the lock's size (a 43 MB
/// lock reached 3.7 GB, about 90 times, because the whole document's TOML tree was held), and a lock
/// over the cap is refused before it is read. Peak RSS from GNU time.
#[test]
fn a_dense_lock_is_read_in_bounded_memory_and_a_huge_one_is_refused() {
    let repo = tempfile::tempdir().expect("tempdir");
    let size = dense_lock(repo.path(), 300);
    let out = repo.path().join("sbom.json");
    let mut command = peer_command("/usr/bin/time");
    command.env("SOURCE_DATE_EPOCH", EPOCH).args(["-f", "%M"]).arg(env!("CARGO_BIN_EXE_attest")).args([
        "sbom",
        "--repo",
        repo.path().to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    let measured = run(&mut command);
    assert_eq!(measured.code, 0, "{}", measured.stderr);
    let peak_kib: u64 =
        measured.stderr.lines().last().and_then(|l| l.trim().parse().ok()).expect("GNU time's %M");
    assert!(size > 5 << 20, "the lock is {size} bytes");
    assert!(peak_kib * 1024 < 16 * size, "peak RSS {peak_kib} KiB for a lock of {size} bytes");
    let bom: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("sbom")).expect("JSON");
    assert_eq!(bom["dependencies"].as_array().map(Vec::len), Some(301));

    let huge = tempfile::tempdir().expect("tempdir");
    let file = std::fs::File::create(huge.path().join("uv.lock")).expect("create");
    file.set_len((64 << 20) + 1).expect("a sparse file over the cap");
    let refused = attest(&["sbom", "--repo", huge.path().to_str().expect("utf-8")]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("larger than 64 MiB"), "{}", refused.stderr);
}

#[test]
fn development_groups_extras_markers_and_members_are_kept() {
    let repo = workspace();
    let bom = sbom(repo.path(), &[]);
    let component = |name: &str| {
        bom["components"]
            .as_array()
            .expect("components")
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}"))
    };
    let property = |c: &serde_json::Value, name: &str| -> Vec<String> {
        c["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["name"] == name)
            .map(|p| p["value"].as_str().expect("value").to_owned())
            .collect()
    };
    assert_eq!(bom["metadata"]["component"]["name"], "advisoryhub-workspace", "the project is the root");
    let pytest = component("pytest");
    assert_eq!(pytest["scope"], "excluded");
    assert_eq!(property(&pytest, "uv:package:group"), ["advisoryhub-workspace:dev", "feedparse:dev"]);
    assert_eq!(component("pluggy")["scope"], "excluded", "pulled in only by a dev group");
    assert!(component("requests")["scope"].is_null());
    assert_eq!(property(&component("click"), "uv:package:extra"), ["advisoryhub-workspace[cli]"]);
    assert_eq!(property(&component("pyyaml"), "uv:package:marker"), ["sys_platform != 'win32'"]);
    let feedparse = component("feedparse");
    assert!(feedparse["purl"].is_null(), "a workspace member is not on PyPI");
    assert_eq!(property(&feedparse, "tagwright:source"), ["editable:libs/feedparse"]);
    assert_eq!(property(&feedparse, "tagwright:workspace:member"), ["true"]);
    let certifi = component("certifi");
    assert_eq!(certifi["externalReferences"][0]["hashes"][0]["alg"], "SHA-256");
    let root_deps = bom["dependencies"]
        .as_array()
        .expect("deps")
        .iter()
        .find(|d| d["ref"] == "advisoryhub-workspace@1.4.0")
        .expect("root");
    assert!(root_deps["dependsOn"].as_array().expect("list").iter().any(|d| d == "pkg:pypi/click@8.5.1"));

    let runtime = sbom(repo.path(), &["--no-dev"]);
    let names: Vec<&str> = runtime["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(!names.contains(&"pytest") && !names.contains(&"ruff") && names.contains(&"click"), "{names:?}");
    assert!(runtime.to_string().find("\"excluded\"").is_none());
    assert_ne!(runtime["serialNumber"], bom["serialNumber"], "another content, another serial number");
}

#[test]
fn a_cargo_lock_describes_what_cargo_metadata_resolves() {
    let root = workspace_root();
    let bom = sbom(&root, &["--lock", "Cargo.lock"]);
    let ours: BTreeSet<(String, String)> = bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| {
            (c["name"].as_str().expect("name").to_owned(), c["version"].as_str().expect("version").to_owned())
        })
        .collect();
    let mut command = std::process::Command::new(env!("CARGO"));
    command.current_dir(&root).args(["metadata", "--format-version", "1", "--locked", "--offline"]);
    let metadata: serde_json::Value =
        serde_json::from_str(&run_ok(&mut command).stdout).expect("cargo metadata");
    let packages = metadata["packages"].as_array().expect("packages");
    let theirs: BTreeSet<(String, String)> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            let p = packages.iter().find(|p| p["id"] == n["id"]).expect("package of node");
            (p["name"].as_str().expect("name").to_owned(), p["version"].as_str().expect("version").to_owned())
        })
        .collect();
    assert_eq!(ours, theirs);
    let serde = bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["name"] == "serde")
        .expect("serde");
    assert!(serde["purl"].as_str().is_some_and(|p| p.starts_with("pkg:cargo/serde@")), "{serde}");
    assert_eq!(serde["hashes"][0]["alg"], "SHA-256");
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = attest(&["sbom", "--repo", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no uv.lock or Cargo.lock"), "{}", out.stderr);
    std::fs::write(dir.path().join("uv.lock"), "version = 1\n[[package]]\nname = \"x\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [{ name = \"missing\" }]\n").expect("write");
    let out = attest(&["sbom", "--repo", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("uv.lock: `x` depends on `missing`, which the lock does not hold"),
        "{}",
        out.stderr
    );
    let out = attest(&["sbom", "--repo", dir.path().to_str().expect("utf-8"), "--spec", "1.4"]);
    assert_eq!(out.code, 2);
}

/// A key pair made by the real openssl: `(private PKCS#8 PEM, public SPKI PEM)`.
fn openssl_key(dir: &Path, name: &str, args: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub"));
    run_ok(peer_command("openssl").arg("genpkey").args(args).arg("-out").arg(&private));
    run_ok(peer_command("openssl").args(["pkey", "-pubout", "-in"]).arg(&private).arg("-out").arg(&public));
    (private, public)
}

/// securesystemslib (what in-toto uses) verifies `envelope` with the public key at `public`, with the
/// keyid securesystemslib computes itself; prints `ok` or the error.
fn sslib_verify(envelope: &Path, public: &Path) -> Run {
    let script = "import json, sys\n\
        from cryptography.hazmat.primitives.serialization import load_pem_public_key\n\
        from securesystemslib.signer import SSlibKey\n\
        from securesystemslib.dsse import Envelope\n\
        env = Envelope.from_dict(json.load(open(sys.argv[1])))\n\
        key = SSlibKey.from_crypto(load_pem_public_key(open(sys.argv[2], 'rb').read()))\n\
        try:\n    env.verify([key], 1)\nexcept Exception as e:\n    print(type(e).__name__, e); sys.exit(1)\n\
        print('ok', key.keyid)\n";
    run(peer_command("python3").args(["-c", script]).arg(envelope).arg(public))
}

#[test]
fn dsse_envelopes_verify_with_securesystemslib_and_tampering_fails_in_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    let statement = dir.path().join("statement.json");
    std::fs::write(&statement, br#"{"_type":"https://in-toto.io/Statement/v1","subject":[]}"#)
        .expect("write");
    for (name, args) in [
        ("ed25519", &["-algorithm", "ed25519"][..]),
        ("p256", &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
    ] {
        let (private, public) = openssl_key(dir.path(), name, args);
        let envelope = dir.path().join(format!("{name}.dsse.json"));
        let p = |p: &Path| p.to_str().expect("utf-8").to_owned();
        let signed = attest(&["dsse", "sign", "--key", &p(&private), &p(&statement), "-o", &p(&envelope)]);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
        let theirs = sslib_verify(&envelope, &public);
        assert_eq!(theirs.code, 0, "{name}: securesystemslib: {}{}", theirs.stdout, theirs.stderr);
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&envelope).expect("read")).expect("json");
        assert_eq!(
            theirs.stdout.trim(),
            format!("ok {}", doc["signatures"][0]["keyid"].as_str().expect("keyid")),
            "the same keyid"
        );
        let ours = attest(&["dsse", "verify", "--key", &p(&public), &p(&envelope)]);
        assert_eq!(
            (ours.code, ours.stdout.as_bytes()),
            (0, std::fs::read(&statement).expect("read").as_slice()),
            "{}",
            ours.stderr
        );

        // A changed payload, then a changed signature: both tools refuse.
        for (field, value) in [("payload", "eyJfdHlwZSI6ICJ4In0="), ("sig", "")] {
            let mut tampered = doc.clone();
            if field == "payload" {
                tampered["payload"] = value.into();
            } else {
                let sig = tampered["signatures"][0]["sig"].as_str().expect("sig").to_owned();
                let (first, rest) = sig.split_at(1);
                let flipped = format!("{}{rest}", if first == "A" { "B" } else { "A" });
                tampered["signatures"][0]["sig"] = flipped.into();
            }
            let path = dir.path().join(format!("{name}-{field}.json"));
            std::fs::write(&path, tampered.to_string()).expect("write");
            assert_eq!(
                sslib_verify(&path, &public).code,
                1,
                "{name}: securesystemslib accepted a changed {field}"
            );
            let ours = attest(&["dsse", "verify", "--key", &p(&public), &p(&path)]);
            assert_eq!(ours.code, 1, "{name}: we accepted a changed {field}: {}", ours.stderr);
            assert!(ours.stderr.contains("no signature verifies"), "{}", ours.stderr);
        }
    }
}

#[test]
fn envelopes_securesystemslib_signs_verify_with_ours() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (private, public) =
        openssl_key(dir.path(), "p256", &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    let envelope = dir.path().join("theirs.json");
    let script = "import json, sys\n\
        from cryptography.hazmat.primitives.serialization import load_pem_private_key\n\
        from securesystemslib.signer import CryptoSigner\n\
        from securesystemslib.dsse import Envelope\n\
        signer = CryptoSigner(load_pem_private_key(open(sys.argv[1], 'rb').read(), None))\n\
        env = Envelope(b'hello from sslib', 'text/plain', {})\n\
        env.sign(signer)\n\
        json.dump(env.to_dict(), open(sys.argv[2], 'w'))\n";
    run_ok(peer_command("python3").args(["-c", script]).arg(&private).arg(&envelope));
    let ours = attest(&[
        "dsse",
        "verify",
        "--key",
        public.to_str().expect("utf-8"),
        envelope.to_str().expect("utf-8"),
    ]);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    assert_eq!(ours.stdout, "hello from sslib");
    assert!(ours.stderr.contains("payload type text/plain"), "{}", ours.stderr);
}

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

/// `attest provenance` inside a (stand-in) GitHub Actions job: the OIDC stand-in of
/// `tagwright_test_support::oidc` plays GitHub's token service.
fn our_provenance(oidc: &tagwright_test_support::oidc::OidcStandIn, subject: &str) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.envs(oidc.env()).args(["provenance", "--subject", subject, "--oidc-issuer", &oidc.issuer()]);
    run(&mut command)
}

/// `buildSLSAProvenancePredicate(issuer)` of npm `@actions/attest`, under node, in the same job.
fn their_predicate(oidc: &tagwright_test_support::oidc::OidcStandIn) -> Run {
    let script = "import { buildSLSAProvenancePredicate } from '@actions/attest';\n\
        try { const p = await buildSLSAProvenancePredicate(process.argv[1]); console.log(JSON.stringify(p)); }\n\
        catch (e) { console.error(e.message); process.exit(1); }\n";
    let mut command = peer_command("node");
    command.current_dir(tagwright_test_support::node_peers()).envs(oidc.env()).args([
        "--input-type=module",
        "-e",
        script,
        &oidc.issuer(),
    ]);
    run(&mut command)
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

/// Validates `statement` against our JSON schemas of in-toto's Statement v1 and SLSA provenance v1
/// (`docs/schemas/`), with the real `jsonschema` (Python); `format` checked too.
fn validate_statement(statement: &str) {
    let script = "import json, sys\n\
        from jsonschema import Draft202012Validator\n\
        doc = json.loads(sys.stdin.read())\n\
        for name, part in [('in-toto-statement-v1', doc), ('slsa-provenance-v1', doc['predicate'])]:\n\
        \x20   schema = json.load(open(sys.argv[1] + '/' + name + '.schema.json'))\n\
        \x20   Draft202012Validator.check_schema(schema)\n\
        \x20   errors = list(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(part))\n\
        \x20   if errors:\n\
        \x20       print(name, [e.message for e in errors]); sys.exit(1)\n";
    let mut command = peer_command("python3");
    command.args(["-c", script]).arg(workspace_root().join("docs/schemas"));
    let out = tagwright_test_support::run_with_input(&mut command, statement.as_bytes());
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
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

#[test]
fn cosign_key_pairs_sign_envelopes_that_python_cryptography_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prefix = dir.path().join("release");
    let p = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let mut generate = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    generate.env("COSIGN_PASSWORD", "s3cret").args(["generate-key-pair", "--output-key-prefix", &p(&prefix)]);
    let out = run(&mut generate);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let key = dir.path().join("release.key");
    let public = dir.path().join("release.pub");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).expect("key").permissions());
    assert_eq!(mode & 0o777, 0o600, "the private key is the owner's alone");
    assert!(
        std::fs::read_to_string(&key)
            .expect("read")
            .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
    );
    // A second run does not replace the pair.
    assert_eq!(run(&mut generate).code, 2);

    let payload = dir.path().join("payload.json");
    std::fs::write(&payload, br#"{"critical":{"type":"cosign container image signature"},"optional":null}"#)
        .expect("write");
    let envelope = dir.path().join("envelope.json");
    let mut sign = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    sign.env("COSIGN_PASSWORD", "s3cret").args([
        "dsse",
        "sign",
        "--key",
        &p(&key),
        "--payload-type",
        "text/plain",
        &p(&payload),
        "-o",
        &p(&envelope),
    ]);
    let signed = run(&mut sign);
    assert_eq!(signed.code, 0, "{}", signed.stderr);

    // The real `cryptography` verifies our ECDSA signature over the PAE bytes with our public key file.
    let script = "import json, sys, base64\n\
        from cryptography.hazmat.primitives.serialization import load_pem_public_key\n\
        from cryptography.hazmat.primitives.asymmetric import ec\n\
        from cryptography.hazmat.primitives import hashes\n\
        env = json.load(open(sys.argv[1]))\n\
        body = base64.b64decode(env['payload'])\n\
        t = env['payloadType'].encode()\n\
        pae = b'DSSEv1 %d %s %d %s' % (len(t), t, len(body), body)\n\
        key = load_pem_public_key(open(sys.argv[2], 'rb').read())\n\
        key.verify(base64.b64decode(env['signatures'][0]['sig']), pae, ec.ECDSA(hashes.SHA256()))\n\
        print('verified')\n";
    let theirs = run(peer_command("python3").args(["-c", script]).arg(&envelope).arg(&public));
    assert_eq!((theirs.code, theirs.stdout.trim()), (0, "verified"), "{}", theirs.stderr);

    let mut wrong = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    wrong.env("COSIGN_PASSWORD", "guess").args(["dsse", "sign", "--key", &p(&key), &p(&payload)]);
    let out = run(&mut wrong);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("the password does not decrypt the key (COSIGN_PASSWORD is wrong"),
        "{}",
        out.stderr
    );
    let mut without = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    without.env_remove("COSIGN_PASSWORD").args([
        "generate-key-pair",
        "--output-key-prefix",
        &p(&dir.path().join("other")),
    ]);
    let out = run(&mut without);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("set COSIGN_PASSWORD"), "{}", out.stderr);
}

/// Runs `attest` with `COSIGN_PASSWORD` set.
fn attest_with_password(args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command
        .env("COSIGN_PASSWORD", "s3cret")
        .env("HOME", "/nonexistent")
        .env_remove("DOCKER_CONFIG")
        .args(args);
    run(&mut command)
}

fn oci_publish(args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_oci-publish"));
    command.env("HOME", "/nonexistent").env_remove("DOCKER_CONFIG").args(args);
    run(&mut command)
}

/// Copies `reference` (a registry tag) into an OCI layout `dir/name` with oci-publish, and returns the
/// layout's directory and the manifest as `oci-publish --json manifest` shows it.
fn pulled(reference: &str, dir: &Path, name: &str) -> (std::path::PathBuf, serde_json::Value) {
    let layout = dir.join(name);
    let target = format!("oci-layout:{}:{name}", layout.display());
    assert_eq!(oci_publish(&["copy", reference, &target]).code, 0, "copy {reference}");
    let manifest =
        serde_json::from_str(&oci_publish(&["--json", "manifest", &target]).stdout).expect("manifest");
    (layout, manifest)
}

/// A real registry holding the image `HOST/acme/app:1.0`, and a cosign key pair (password `s3cret`).
struct Signing {
    _registry: tagwright_test_support::registry::LocalRegistry,
    dir: tempfile::TempDir,
    host: String,
    image: String,
    key: String,
    public: String,
}

impl Signing {
    fn new() -> Signing {
        use tagwright_test_support::registry::{self, LocalRegistry, Mode};
        let local = LocalRegistry::start(Mode::Plain);
        let host = local.host().to_owned();
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = dir.path().join("image");
        registry::image_layout(&layout, "1.0", &["linux/amd64"], false, 0);
        let image = format!("{host}/acme/app:1.0");
        let copied = oci_publish(&["copy", &format!("oci-layout:{}:1.0", layout.display()), &image]);
        assert_eq!(copied.code, 0, "{}", copied.stderr);
        let prefix = dir.path().join("cosign");
        let generated = attest_with_password(&[
            "generate-key-pair",
            "--output-key-prefix",
            &prefix.display().to_string(),
        ]);
        assert_eq!(generated.code, 0, "{}", generated.stderr);
        let key = dir.path().join("cosign.key").display().to_string();
        let public = dir.path().join("cosign.pub").display().to_string();
        Signing { _registry: local, dir, host, image, key, public }
    }
}

#[test]
fn key_based_signatures_verify_survive_a_skopeo_copy_and_fail_when_tampered() {
    let setup = Signing::new();
    let (host, dir, image) = (setup.host.clone(), &setup.dir, setup.image.clone());
    let p = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let (key, public) = (Path::new(&setup.key), Path::new(&setup.public));

    let signed = attest_with_password(&["sign", &image, "--key", &p(key), "--json"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let signed: serde_json::Value = serde_json::from_str(&signed.stdout).expect("json");
    let digest = signed["digest"].as_str().expect("digest").to_owned();
    let sig_tag = format!("sha256-{}.sig", &digest["sha256:".len()..]);
    assert_eq!(signed["signature"], format!("{host}/acme/app:{sig_tag}"));
    let verify = |reference: &str| {
        attest_with_password(&["verify", reference, "--key", &p(public), "--insecure-ignore-tlog"])
    };
    let ok = verify(&image);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains(&format!("signed as {host}/acme/app")), "{}", ok.stdout);
    assert_eq!(
        attest_with_password(&["verify", &image, "--key", &p(public)]).code,
        2,
        "cosign asks for --insecure-ignore-tlog"
    );

    // Python's cryptography verifies the signature over the payload's bytes, as the registry holds them.
    let (sig_layout, manifest) = pulled(&format!("{host}/acme/app:{sig_tag}"), dir.path(), "sig");
    let layer = &manifest["manifest"]["layers"][0];
    assert_eq!(layer["mediaType"], "application/vnd.dev.cosign.simplesigning.v1+json");
    let payload =
        sig_layout.join("blobs/sha256").join(&layer["digest"].as_str().expect("digest")["sha256:".len()..]);
    let signature = layer["annotations"]["dev.cosignproject.cosign/signature"].as_str().expect("signature");
    let script = "import sys, base64\n\
        from cryptography.hazmat.primitives.serialization import load_pem_public_key\n\
        from cryptography.hazmat.primitives.asymmetric import ec\n\
        from cryptography.hazmat.primitives import hashes\n\
        key = load_pem_public_key(open(sys.argv[1], 'rb').read())\n\
        key.verify(base64.b64decode(sys.argv[3]), open(sys.argv[2], 'rb').read(), ec.ECDSA(hashes.SHA256()))\n\
        print('verified')\n";
    let theirs = run(peer_command("python3").args(["-c", script]).arg(public).arg(&payload).arg(signature));
    assert_eq!((theirs.code, theirs.stdout.trim()), (0, "verified"), "{}", theirs.stderr);

    // skopeo carries the signature to another repository; the copy verifies.
    let registries_d = dir.path().join("registries.d");
    std::fs::create_dir_all(&registries_d).expect("mkdir");
    std::fs::write(registries_d.join("default.yaml"), "default-docker:\n  use-sigstore-attachments: true\n")
        .expect("write");
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"default":[{"type":"insecureAcceptAnything"}]}"#).expect("write");
    run_ok(
        peer_command("skopeo")
            .args(["--registries.d"])
            .arg(&registries_d)
            .args(["--policy"])
            .arg(&policy)
            .args([
                "copy",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                &format!("docker://{image}"),
                &format!("docker://{host}/mirror/app:1.0"),
            ]),
    );
    let copy = verify(&format!("{host}/mirror/app:1.0"));
    assert_eq!(copy.code, 0, "the copy verifies: {}", copy.stderr);

    // Another key's signature does not verify.
    let other = dir.path().join("other");
    assert_eq!(attest_with_password(&["generate-key-pair", "--output-key-prefix", &p(&other)]).code, 0);
    let wrong = attest_with_password(&[
        "verify",
        &image,
        "--key",
        &p(&dir.path().join("other.pub")),
        "--insecure-ignore-tlog",
    ]);
    assert_eq!(wrong.code, 1);
    assert!(wrong.stderr.contains("the signature does not verify with the key"), "{}", wrong.stderr);

    // An edited signature layer (the annotation changed) fails.
    let mut tampered = manifest["manifest"].clone();
    let original = tampered["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .expect("sig")
        .to_owned();
    // One base64 character in the middle changed: still base64, no longer the signature.
    let (head, tail) = original.split_at(10);
    let changed = format!("{head}{}{}", if tail.starts_with('A') { 'B' } else { 'A' }, &tail[1..]);
    tampered["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"] = changed.into();
    tagwright_test_support::registry::put_manifest(
        &host,
        "acme/app",
        &sig_tag,
        tampered.to_string().as_bytes(),
    );
    let broken = verify(&image);
    assert_eq!(broken.code, 1, "{}", broken.stderr);
    assert!(broken.stderr.contains("does not verify"), "{}", broken.stderr);

    // Without the .sig tag there is nothing to verify.
    assert_eq!(oci_publish(&["delete", &format!("{host}/acme/app:{sig_tag}")]).code, 0);
    let gone = verify(&image);
    assert_eq!(gone.code, 1);
    assert!(
        gone.stderr.contains(&format!("no signatures: the tag {sig_tag} does not exist")),
        "{}",
        gone.stderr
    );
}

#[test]
fn sbom_and_provenance_attestations_verify_here_and_their_dsse_in_securesystemslib() {
    let setup = Signing::new();
    let (host, dir, image) = (setup.host.clone(), &setup.dir, setup.image.clone());
    let p = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let (key, public) = (Path::new(&setup.key), Path::new(&setup.public));

    // The evidence: an SBOM and a provenance statement of this repository.
    let sbom = dir.path().join("sbom.json");
    assert_eq!(
        attest(&[
            "sbom",
            "--repo",
            &p(&workspace_root().join("tests/fixtures/sbom-workspace")),
            "-o",
            &p(&sbom)
        ])
        .code,
        0
    );
    let provenance = dir.path().join("provenance.json");
    let repo = fixture("make_advisoryhub.sh", &[]);
    assert_eq!(
        attest(&[
            "provenance",
            "--repo",
            &p(repo.path()),
            "--subject",
            "app@sha256:1111111111111111111111111111111111111111111111111111111111111111",
            "-o",
            &p(&provenance)
        ])
        .code,
        0
    );
    for (file, kind) in [(&sbom, "cyclonedx"), (&provenance, "slsaprovenance1")] {
        let out = attest_with_password(&[
            "attest",
            &image,
            "--predicate",
            &p(file),
            "--type",
            kind,
            "--key",
            &p(key),
        ]);
        assert_eq!(out.code, 0, "{kind}: {}", out.stderr);
    }
    let verify = |kind: &str| {
        attest_with_password(&[
            "verify-attestation",
            &image,
            "--key",
            &p(public),
            "--type",
            kind,
            "--insecure-ignore-tlog",
            "--json",
        ])
    };
    let sboms = verify("cyclonedx");
    assert_eq!(sboms.code, 0, "{}", sboms.stderr);
    let doc: serde_json::Value = serde_json::from_str(&sboms.stdout).expect("json");
    let statement = &doc["statements"][0];
    assert_eq!(statement["predicateType"], "https://cyclonedx.org/bom");
    assert_eq!(statement["predicate"]["bomFormat"], "CycloneDX");
    let digest = statement["subject"][0]["digest"]["sha256"].as_str().expect("digest").to_owned();
    let slsa = verify("slsaprovenance1");
    assert_eq!(slsa.code, 0, "{}", slsa.stderr);
    let doc: serde_json::Value = serde_json::from_str(&slsa.stdout).expect("json");
    assert!(
        doc["statements"][0]["predicate"]["buildDefinition"]["buildType"].is_string(),
        "the predicate, not the statement, is attested"
    );
    assert_eq!(verify("spdxjson").code, 1, "no SPDX attestation");

    // The DSSE of each layer verifies with securesystemslib, with the public key file.
    let (att_layout, manifest) = pulled(&format!("{host}/acme/app:sha256-{digest}.att"), dir.path(), "att");
    let layers = manifest["manifest"]["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    for layer in layers {
        assert_eq!(layer["mediaType"], "application/vnd.dsse.envelope.v1+json");
        assert!(layer["annotations"]["predicateType"].is_string());
        let envelope = att_layout
            .join("blobs/sha256")
            .join(&layer["digest"].as_str().expect("digest")["sha256:".len()..]);
        let theirs = sslib_verify(&envelope, public);
        assert_eq!(theirs.code, 0, "securesystemslib: {}{}", theirs.stdout, theirs.stderr);
    }
    // Another key verifies none of them.
    assert_eq!(
        attest_with_password(&["generate-key-pair", "--output-key-prefix", &p(&dir.path().join("other"))])
            .code,
        0
    );
    let other = attest_with_password(&[
        "verify-attestation",
        &image,
        "--key",
        &p(&dir.path().join("other.pub")),
        "--insecure-ignore-tlog",
    ]);
    assert_eq!(other.code, 1);
    assert!(
        other.stderr.contains("the envelope's signature does not verify with the key"),
        "{}",
        other.stderr
    );
}

/// `attest verify-blob` on the real bundles of `tests/fixtures/sigstore` (signed by the real Sigstore
/// services), offline.
fn verify_blob(artifact: &str, args: &[&str]) -> Run {
    let dir = workspace_root().join("tests/fixtures/sigstore");
    let path = |name: &str| dir.join(name).display().to_string();
    let bundle = path(&format!("{artifact}.sigstore"));
    let mut all = vec!["verify-blob".to_owned(), path(artifact), "--bundle".to_owned(), bundle];
    for arg in args {
        all.push(if arg.starts_with("trusted_root") { path(arg) } else { (*arg).to_owned() });
    }
    attest(&all.iter().map(String::as_str).collect::<Vec<_>>())
}

const GITHUB: &str = "https://token.actions.githubusercontent.com";
const RUNBOOK_REGEXP: &str = r"https://github.com/trailofbits/rfc8785.py/\.github/workflows/release\.yml@.*";

#[test]
fn the_production_github_actions_bundle_verifies_with_the_runbooks_regexp_form() {
    for root in [&["--trusted-root", "trusted_root.production.json"][..], &[]] {
        let args = [
            &["--certificate-identity-regexp", RUNBOOK_REGEXP, "--certificate-oidc-issuer", GITHUB][..],
            root,
        ]
        .concat();
        let out = verify_blob("bundle_v3_github.whl", &args);
        assert_eq!(out.code, 0, "{root:?}: {}", out.stderr);
        assert!(out.stdout.contains("signed by https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"), "{}", out.stdout);
    }
    // Unanchored, as cosign's Go regexps: a part of the identity is enough.
    assert_eq!(
        verify_blob(
            "bundle_v3_github.whl",
            &[
                "--certificate-identity-regexp",
                "rfc8785",
                "--certificate-oidc-issuer-regexp",
                "githubusercontent"
            ]
        )
        .code,
        0
    );
    let other_repo = verify_blob(
        "bundle_v3_github.whl",
        &[
            "--certificate-identity-regexp",
            r"https://github.com/acme/other/\.github/workflows/release\.yml@.*",
            "--certificate-oidc-issuer",
            GITHUB,
        ],
    );
    assert_eq!(other_repo.code, 1);
    assert!(
        other_repo.stderr.contains("the certificate's identity https://github.com/trailofbits/rfc8785.py/"),
        "{}",
        other_repo.stderr
    );
    let other_issuer = verify_blob(
        "bundle_v3_github.whl",
        &[
            "--certificate-identity-regexp",
            RUNBOOK_REGEXP,
            "--certificate-oidc-issuer",
            "https://accounts.google.com",
        ],
    );
    assert_eq!(other_issuer.code, 1);
    assert!(
        other_issuer
            .stderr
            .contains(&format!("OIDC issuer {GITHUB} does not match `https://accounts.google.com`")),
        "{}",
        other_issuer.stderr
    );
    assert_eq!(
        verify_blob(
            "bundle_v3_github.whl",
            &["--certificate-identity-regexp", "(", "--certificate-oidc-issuer", GITHUB]
        )
        .code,
        2,
        "a bad regexp"
    );
}

#[test]
fn one_changed_artifact_byte_and_the_cve_2022_36056_bundle_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = workspace_root().join("tests/fixtures/sigstore");
    let mut bytes = std::fs::read(fixtures.join("bundle_v3_github.whl")).expect("read");
    bytes[100] ^= 1;
    let changed = dir.path().join("bundle_v3_github.whl");
    std::fs::write(&changed, &bytes).expect("write");
    let bundle = fixtures.join("bundle_v3_github.whl.sigstore");
    let out = attest(&[
        "verify-blob",
        changed.to_str().expect("utf-8"),
        "--bundle",
        bundle.to_str().expect("utf-8"),
        "--certificate-identity-regexp",
        RUNBOOK_REGEXP,
        "--certificate-oidc-issuer",
        GITHUB,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("not verified:"), "{}", out.stderr);
    let cve = verify_blob(
        "bundle_cve_2022_36056.txt",
        &[
            "--certificate-identity",
            "william@yossarian.net",
            "--certificate-oidc-issuer",
            "https://github.com/login/oauth",
            "--trusted-root",
            "trusted_root.staging.json",
        ],
    );
    assert_eq!(cve.code, 1);
    assert!(cve.stderr.contains("log entry does not match the bundle"), "{}", cve.stderr);
}

#[test]
fn the_staging_bundles_verify_against_the_staging_trust_root_only() {
    for artifact in ["bundle_v3.txt", "bundle_v3_alt.txt"] {
        let args = [
            "--certificate-identity",
            "william@yossarian.net",
            "--certificate-oidc-issuer",
            "https://github.com/login/oauth",
        ];
        let staging =
            verify_blob(artifact, &[&args[..], &["--trusted-root", "trusted_root.staging.json"]].concat());
        assert_eq!(staging.code, 0, "{artifact}: {}", staging.stderr);
        let production = verify_blob(artifact, &args);
        assert_eq!(
            production.code, 1,
            "{artifact} is not trusted by the production root: {}",
            production.stderr
        );
    }
}
