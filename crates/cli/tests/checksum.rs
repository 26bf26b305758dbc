//! `checksum`'s own behaviour beyond GNU's: directories, `--relative-to`, atomic `-o`, usage errors.

use std::path::Path;

use tagwright_test_support::{
    Run, assert_same_tree, cargo_bin, file_mode as mode, peer_command, run, run_ok, run_with_umask, tree,
};

fn checksum(dir: &Path, args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_checksum"));
    command.current_dir(dir).args(args);
    run(&mut command)
}

fn dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, contents) in [
        ("dist/advisoryhub-1.2.0.tgz", &b"chart"[..]),
        ("dist/sbom.cdx.json", b"{}"),
        ("dist/b/z.txt", b"z"),
        ("dist/a-b.txt", b"ab"),
        ("dist/a/b.txt", b"a/b"),
        ("dist/B.txt", b"upper"),
    ] {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, contents).expect("write");
    }
    dir
}

#[test]
fn a_directory_expands_to_its_files_in_byte_order() {
    let dir = dist();
    let ours = checksum(dir.path(), &["dist/"]);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    // Byte order of relative paths: "B.txt" < "a-b.txt" < "a/b.txt" < "advisoryhub…" < "b/z.txt" < "sbom…".
    let order = ["B.txt", "a-b.txt", "a/b.txt", "advisoryhub-1.2.0.tgz", "b/z.txt", "sbom.cdx.json"];
    let expected: Vec<String> = order.iter().map(|n| format!("dist/{n}")).collect();
    let gnu = run_ok(peer_command("sha256sum").current_dir(dir.path()).args(&expected));
    assert_eq!(ours.stdout, gnu.stdout, "same lines as sha256sum given the files in byte order");
    let again = checksum(dir.path(), &["dist"]);
    assert_eq!(again.stdout, ours.stdout, "reproducible, with or without the trailing slash");
}

#[test]
fn relative_to_names_files_from_a_directory() {
    let dir = dist();
    let out = checksum(dir.path(), &["--relative-to", "dist", "dist", "dist/a-b.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let names: Vec<&str> = out.stdout.lines().map(|l| &l[66..]).collect();
    assert_eq!(
        names,
        ["B.txt", "a-b.txt", "a/b.txt", "advisoryhub-1.2.0.tgz", "b/z.txt", "sbom.cdx.json", "a-b.txt"]
    );
    let inside = checksum(&dir.path().join("dist"), &["."]);
    assert_eq!(inside.stdout, out.stdout.lines().take(6).map(|l| format!("{l}\n")).collect::<String>());
    let outside = checksum(dir.path(), &["--relative-to", "dist/b", "dist/a-b.txt"]);
    assert_eq!(outside.code, 2);
    assert!(outside.stderr.contains("dist/a-b.txt: not under dist/b"), "{}", outside.stderr);
}

#[test]
fn output_is_atomic_complete_and_never_lists_itself() {
    let dir = dist();
    let out = checksum(dir.path(), &["--relative-to", "dist", "dist", "-o", "dist/checksums.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let list = std::fs::read_to_string(dir.path().join("dist/checksums.txt")).expect("written");
    assert_eq!(list.lines().count(), 6);
    assert!(!list.contains("checksums.txt"), "{list}");
    // A re-run over the directory that now holds the list still leaves it out, and GNU verifies it.
    let again = checksum(dir.path(), &["--relative-to", "dist", "dist", "-o", "dist/checksums.txt"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("dist/checksums.txt")).expect("written"), list);
    let gnu =
        run_ok(peer_command("sha256sum").current_dir(dir.path().join("dist")).args(["-c", "checksums.txt"]));
    assert_eq!(gnu.stdout.matches(": OK").count(), 6);
}

#[test]
fn output_is_not_written_when_an_input_is_unreadable() {
    let dir = dist();
    std::fs::write(dir.path().join("old.txt"), "previous list\n").expect("write");
    let before = tree(dir.path());
    let out = checksum(dir.path(), &["dist", "missing.tgz", "-o", "old.txt"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "checksum: missing.tgz: No such file or directory\nchecksum: old.txt: not written: 1 input(s) could not be read\n"
    );
    assert_same_tree(&before, &tree(dir.path()));
}

#[test]
fn usage_errors_exit_2_with_gnus_words() {
    let dir = dist();
    for (args, message) in [
        (&["-c", "--zero", "x"][..], "the --zero option is not supported when verifying checksums"),
        (&["-c", "--tag", "x"], "the --tag option is meaningless when verifying checksums"),
        (&["--strict", "x"], "the --strict option is meaningful only when verifying checksums"),
        (
            &["--ignore-missing", "x"],
            "the --ignore-missing option is meaningful only when verifying checksums",
        ),
        (&["--algorithm", "md5", "x"], "invalid value 'md5'"),
    ] {
        let out = checksum(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn debug_reports_the_sha_instructions() {
    let dir = dist();
    let out = checksum(dir.path(), &["--debug", "dist/B.txt"]);
    assert_eq!(out.code, 0);
    // What the CPU offers, as the kernel reports it: not the detection code under test.
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").expect("/proc/cpuinfo");
    let flags: Vec<&str> = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags") || l.starts_with("Features"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, f)| f.split_whitespace().collect())
        .unwrap_or_default();
    let has = |flag: &str| flags.contains(&flag);
    let expected = if cfg!(target_arch = "x86_64") && ["sha_ni", "ssse3", "sse4_1"].into_iter().all(has) {
        "checksum: using x86 SHA-NI hardware support\n"
    } else if cfg!(target_arch = "aarch64") && has("sha2") {
        "checksum: using ARMv8 SHA2 hardware support\n"
    } else {
        "checksum: no SHA hardware support on this CPU; using portable code\n"
    };
    assert_eq!(out.stderr, expected);
}

#[test]
fn a_file_outside_relative_to_is_refused_after_normalising() {
    let dir = dist();
    std::fs::write(dir.path().join("README"), "readme").expect("write");
    for name in ["dist/../README", "dist/b/../../README"] {
        let out = checksum(dir.path(), &["--relative-to", "dist", name]);
        assert_eq!(out.code, 2, "{name}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(&format!("{name}: not under dist")), "{}", out.stderr);
        assert_eq!(out.stdout, "", "no line names a file outside dist");
    }
    let out = checksum(dir.path(), &["--relative-to", "dist", "dist/b/../a-b.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.ends_with("  a-b.txt\n"), "normalised, inside: {}", out.stdout);
}

#[test]
fn output_files_are_written_where_and_as_sha256sum_writes_them() {
    use std::os::unix::fs::PermissionsExt;
    let dir = dist();
    let out_file = |args: &[&str]| {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_checksum"));
        command.current_dir(dir.path()).args(args);
        run_with_umask(&mut command)
    };
    // A new file: 0666 & ~umask, as `sha256sum > FILE` makes it.
    let gnu = run_with_umask(
        peer_command("sh").current_dir(dir.path()).args(["-c", "sha256sum dist/B.txt > gnu.txt"]),
    );
    assert_eq!(gnu.code, 0, "{}", gnu.stderr);
    let out = out_file(&["dist/B.txt", "-o", "new.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(mode(&dir.path().join("new.txt")), mode(&dir.path().join("gnu.txt")));
    assert_eq!(mode(&dir.path().join("new.txt")), 0o644);

    // A file that exists keeps its mode.
    std::fs::write(dir.path().join("kept.txt"), "old").expect("write");
    std::fs::set_permissions(dir.path().join("kept.txt"), std::fs::Permissions::from_mode(0o640))
        .expect("chmod");
    assert_eq!(out_file(&["dist/B.txt", "-o", "kept.txt"]).code, 0);
    assert_eq!(mode(&dir.path().join("kept.txt")), 0o640);
    assert_eq!(
        std::fs::read(dir.path().join("kept.txt")).expect("read"),
        std::fs::read(dir.path().join("gnu.txt")).expect("read")
    );

    // A symlink is written through to its target, and stays a symlink (a dangling one too).
    std::os::unix::fs::symlink("kept.txt", dir.path().join("link.txt")).expect("symlink");
    std::os::unix::fs::symlink("made.txt", dir.path().join("dangling.txt")).expect("symlink");
    assert_eq!(out_file(&["dist/a-b.txt", "-o", "link.txt"]).code, 0);
    assert_eq!(out_file(&["dist/a-b.txt", "-o", "dangling.txt"]).code, 0);
    for link in ["link.txt", "dangling.txt"] {
        assert!(dir.path().join(link).symlink_metadata().expect("lstat").file_type().is_symlink(), "{link}");
    }
    let listed = std::fs::read_to_string(dir.path().join("kept.txt")).expect("read");
    assert!(listed.ends_with("  dist/a-b.txt\n"), "{listed}");
    assert_eq!(std::fs::read_to_string(dir.path().join("made.txt")).expect("read"), listed);
    assert_eq!(mode(&dir.path().join("kept.txt")), 0o640);

    // A FIFO is written into, not replaced.
    let fifo = dir.path().join("fifo");
    run_ok(peer_command("mkfifo").arg(&fifo));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the fifo"))
    };
    let out = out_file(&["dist/a-b.txt", "-o", "fifo"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(reader.join().expect("reader"), listed);
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&fifo.symlink_metadata().expect("lstat").file_type()));

    // `/dev/stdout` (a symlink into /proc, to a pipe here) is written into, as `> /dev/stdout` does.
    let out = out_file(&["dist/a-b.txt", "-o", "/dev/stdout"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, listed.as_str()), "{}", out.stderr);
}
