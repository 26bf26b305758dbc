//! `attest sbom` against the real peers: cyclonedx-python-lib's strict validator (1.5 and 1.6), the
//! purl set of `uv export --format cyclonedx1.5` on the same uv.lock, and `cargo metadata`'s resolve
//! for this repository's own Cargo.lock.

mod attest_support;

use std::collections::BTreeSet;
use std::path::Path;

use attest_support::*;
use tagwright_test_support::{fixture, peer_command, run, run_ok, workspace_root};

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
            if repo == advisoryhub.path() && spec == "1.6" {
                let shape = tagwright_test_support::json_shape(&first.stdout);
                tagwright_test_support::assert_snapshot(
                    "crates/cli/tests/snapshots/format-sbom.shape.json",
                    &shape,
                );
            }
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
        let text = std::fs::read_to_string(&envelope).expect("the envelope");
        let shape = tagwright_test_support::json_shape(&text);
        tagwright_test_support::assert_snapshot("crates/cli/tests/snapshots/format-dsse.shape.json", &shape);
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
