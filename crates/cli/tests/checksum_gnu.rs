//! Differential tests: GNU coreutils `sha256sum` (the real one, run with LC_ALL=C) and `checksum` run on
//! the same generated trees and lists, and must print the same stdout, the same stderr (with the program
//! name swapped) and exit with the same code.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use tagwright_test_support::{apply_test_env, peer};

/// Names that exercise GNU's escaping and quoting: spaces, a leading `-`, `\`, newline, carriage return,
/// tab, quotes, a colon, and bytes that are not UTF-8.
const NAMES: &[&[u8]] = &[
    b"plain.txt",
    b"with space.txt",
    b"-leading-dash",
    b"back\\slash.txt",
    b"new\nline.txt",
    b"cr\rname.txt",
    b"tab\tname",
    b"it's.txt",
    b"colon:name",
    b"\xff\xfe-latin1.bin",
    b"uni-\xc3\xa9.txt",
    b"empty",
];

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Outcome {
    fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

fn run_tool(program: &Path, dir: &Path, args: &[&OsStr], stdin: &[u8], rename_from: &str) -> Outcome {
    let mut command = Command::new(program);
    // GNU tools name themselves by argv[0]; run them as a shell would.
    command.arg0(rename_from);
    apply_test_env(&mut command);
    command.env("LC_ALL", "C").current_dir(dir).args(args);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    {
        use std::io::Write;
        let mut input = child.stdin.take().expect("stdin");
        // A tool that does not read stdin may close it first.
        let _ = input.write_all(stdin);
    }
    let output = child.wait_with_output().expect("wait");
    // Swap the program name at the start of each diagnostic line.
    let prefix = format!("{rename_from}: ");
    let mut stderr = Vec::new();
    for line in output.stderr.split_inclusive(|&b| b == b'\n') {
        match line.strip_prefix(prefix.as_bytes()) {
            Some(rest) => {
                stderr.extend_from_slice(b"TOOL: ");
                stderr.extend_from_slice(rest);
            }
            None => stderr.extend_from_slice(line),
        }
    }
    Outcome { code: output.status.code().unwrap_or(-1), stdout: output.stdout, stderr }
}

/// Runs both tools and asserts identical behaviour. `gnu` is `sha256sum` or `sha512sum`.
#[track_caller]
fn same(gnu: &str, dir: &Path, args: &[&OsStr], stdin: &[u8]) -> Outcome {
    let theirs = run_tool(&peer(gnu), dir, args, stdin, gnu);
    let mut our_args: Vec<&OsStr> = Vec::new();
    if gnu == "sha512sum" {
        our_args.extend([OsStr::new("--algorithm"), OsStr::new("sha512")]);
    }
    our_args.extend_from_slice(args);
    let ours = run_tool(Path::new(env!("CARGO_BIN_EXE_checksum")), dir, &our_args, stdin, "checksum");
    assert!(
        theirs == ours,
        "{gnu} {:?} differs\n===== {gnu}\n{}===== checksum\n{}",
        args,
        theirs.show(),
        ours.show()
    );
    ours
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, name) in NAMES.iter().enumerate() {
        let contents: Vec<u8> = if *name == b"empty" {
            Vec::new()
        } else {
            (0..i * 977 + 13).map(|b| (b * 31 + i) as u8).collect()
        };
        std::fs::write(dir.path().join(OsStr::from_bytes(name)), contents).expect("write");
    }
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("sub/inner.txt"), b"inner\n").expect("write");
    std::os::unix::fs::symlink("does-not-exist", dir.path().join("dangling")).expect("symlink");
    dir
}

fn names() -> Vec<&'static OsStr> {
    let mut args = vec![OsStr::new("--")];
    args.extend(NAMES.iter().map(|n| OsStr::from_bytes(n)));
    args
}

fn gnu_list(gnu: &str, dir: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args: Vec<&OsStr> = extra.iter().map(OsStr::new).collect();
    args.extend(names());
    let out = run_tool(&peer(gnu), dir, &args, b"", gnu);
    assert_eq!(out.code, 0, "{}", out.show());
    out.stdout
}

#[test]
fn writing_matches_gnu_byte_for_byte() {
    let dir = tree();
    for gnu in ["sha256sum", "sha512sum"] {
        for flags in [&[][..], &["--tag"], &["-z"], &["-b"], &["--tag", "-z"]] {
            let mut args: Vec<&OsStr> = flags.iter().map(OsStr::new).collect();
            args.extend(names());
            same(gnu, dir.path(), &args, b"");
        }
    }
}

#[test]
fn unreadable_inputs_are_reported_and_the_rest_still_hashed() {
    let dir = tree();
    let args: Vec<&OsStr> =
        ["plain.txt", "missing.txt", "dangling", "empty", "it's missing"].iter().map(OsStr::new).collect();
    let out = same("sha256sum", dir.path(), &args, b"");
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(), 2);
}

#[test]
fn standard_input_is_hashed_as_dash() {
    let dir = tree();
    same("sha256sum", dir.path(), &[], b"from stdin\n");
    same("sha256sum", dir.path(), &[OsStr::new("plain.txt"), OsStr::new("-"), OsStr::new("empty")], b"abc");
}

/// The check option sets every case is run with.
const CHECK_OPTIONS: &[&[&str]] = &[
    &[],
    &["--quiet"],
    &["--status"],
    &["--strict"],
    &["-w"],
    &["--ignore-missing"],
    &["--ignore-missing", "--quiet"],
    &["--strict", "-w"],
    &["--status", "--strict"],
    &["-w", "--quiet"],
    &["--quiet", "-w"],
    &["--status", "-w"],
];

#[track_caller]
fn check_all_options(gnu: &str, dir: &Path, list: &[u8]) {
    std::fs::write(dir.join("list.txt"), list).expect("write list");
    for options in CHECK_OPTIONS {
        let mut args: Vec<&OsStr> = vec![OsStr::new("-c")];
        args.extend(options.iter().map(OsStr::new));
        args.push(OsStr::new("list.txt"));
        same(gnu, dir, &args, b"");
        // The same list on standard input.
        let mut args: Vec<&OsStr> = vec![OsStr::new("--check")];
        args.extend(options.iter().map(OsStr::new));
        same(gnu, dir, &args, list);
    }
}

fn line(hex: &str, name: &str) -> String {
    format!("{hex}  {name}\n")
}

fn digest_of(dir: &Path, name: &str) -> String {
    let out = run_tool(&peer("sha256sum"), dir, &[OsStr::new(name)], b"", "sha256sum");
    String::from_utf8_lossy(&out.stdout[..64]).into_owned()
}

#[test]
fn checking_gnu_and_our_lists_with_escaped_names() {
    let dir = tree();
    for gnu in ["sha256sum", "sha512sum"] {
        let list = gnu_list(gnu, dir.path(), &[]);
        assert!(list.split(|&b| b == b'\n').any(|line| line.starts_with(b"\\")), "GNU escaped some names");
        check_all_options(gnu, dir.path(), &list);
        check_all_options(gnu, dir.path(), &gnu_list(gnu, dir.path(), &["--tag"]));
    }
}

#[test]
fn checking_missing_files_and_directories() {
    let dir = tree();
    let hex = digest_of(dir.path(), "plain.txt");
    let list =
        [line(&hex, "plain.txt"), line(&hex, "missing.txt"), line(&hex, "sub"), line(&hex, "it's gone")]
            .concat();
    check_all_options("sha256sum", dir.path(), list.as_bytes());
    // Names that need quoting in diagnostics and escaping in the output.
    let mut odd = line(&hex, "plain.txt").into_bytes();
    odd.extend_from_slice(format!("{hex}  ").as_bytes());
    odd.extend_from_slice(b"gone \xff\xfe\n");
    odd.extend_from_slice(format!("\\{hex}  gone\\nwith newline\n").as_bytes());
    odd.extend_from_slice(format!("{hex}  -\n").as_bytes());
    check_all_options("sha256sum", dir.path(), &odd);
    // Nothing verified under --ignore-missing: only missing files.
    let only_missing = [line(&hex, "missing.txt"), line(&hex, "also missing")].concat();
    check_all_options("sha256sum", dir.path(), only_missing.as_bytes());
}

#[test]
fn checking_improperly_formatted_lines_and_mismatches() {
    let dir = tree();
    let hex = digest_of(dir.path(), "plain.txt");
    let upper = hex.to_uppercase();
    let wrong = format!("{}0", &hex[..63]);
    let list = [
        "# a comment line\n".to_owned(),
        "\n".to_owned(),
        line(&hex, "plain.txt"),
        "not a checksum line\n".to_owned(),
        format!("{upper}  plain.txt\r\n"),
        format!("{}  short\n", &hex[..60]),
        format!("SHA256 (plain.txt) = {hex}\n"),
        format!("SHA256 (plain.txt) = {hex} \n"),
        format!("SHA256  (plain.txt) = {hex}\n"),
        line(&wrong, "plain.txt"),
        format!("{hex} *plain.txt\n"),
        format!("{hex} plain.txt\n"),
        format!("\\{hex}  bad\\qescape\n"),
        format!("{hex}\tplain.txt\n"),
    ]
    .concat();
    check_all_options("sha256sum", dir.path(), list.as_bytes());
}

#[test]
fn checking_a_list_with_no_valid_line() {
    let dir = tree();
    check_all_options("sha256sum", dir.path(), b"garbage\nmore garbage\n");
    check_all_options("sha256sum", dir.path(), b"# only a comment\n");
    check_all_options("sha256sum", dir.path(), b"");
}

#[test]
fn checking_bsd_reversed_lists() {
    let dir = tree();
    let hex = digest_of(dir.path(), "plain.txt");
    check_all_options("sha256sum", dir.path(), format!("{hex} plain.txt\n{hex} empty\n").as_bytes());
    check_all_options("sha256sum", dir.path(), format!("{hex} plain.txt\n{hex}  plain.txt\n").as_bytes());
    check_all_options("sha256sum", dir.path(), format!("{hex}  \n{hex}   \n").as_bytes());
}

#[test]
fn checking_several_lists_and_unreadable_lists() {
    let dir = tree();
    let good = gnu_list("sha256sum", dir.path(), &[]);
    std::fs::write(dir.path().join("good.txt"), &good).expect("write");
    std::fs::write(dir.path().join("bad.txt"), b"junk\n").expect("write");
    let args: Vec<&OsStr> =
        ["-c", "good.txt", "missing-list.txt", "sub", "bad.txt"].iter().map(OsStr::new).collect();
    same("sha256sum", dir.path(), &args, b"");
    let args: Vec<&OsStr> = ["-c", "--quiet", "bad.txt", "good.txt"].iter().map(OsStr::new).collect();
    same("sha256sum", dir.path(), &args, b"");
}

#[test]
fn gnu_checks_our_lists_and_we_check_gnus() {
    let dir = tree();
    let ours = run_tool(Path::new(env!("CARGO_BIN_EXE_checksum")), dir.path(), &names(), b"", "checksum");
    assert_eq!(ours.code, 0, "{}", ours.show());
    std::fs::write(dir.path().join("ours.txt"), &ours.stdout).expect("write");
    let gnu_checks = run_tool(
        &peer("sha256sum"),
        dir.path(),
        &[OsStr::new("-c"), OsStr::new("ours.txt")],
        b"",
        "sha256sum",
    );
    assert_eq!(gnu_checks.code, 0, "{}", gnu_checks.show());
    assert_eq!(String::from_utf8_lossy(&gnu_checks.stdout).matches(": OK\n").count(), NAMES.len());

    std::fs::write(dir.path().join("theirs.txt"), gnu_list("sha256sum", dir.path(), &[])).expect("write");
    let checksum = Path::new(env!("CARGO_BIN_EXE_checksum"));
    let we_check =
        run_tool(checksum, dir.path(), &[OsStr::new("-c"), OsStr::new("theirs.txt")], b"", "checksum");
    assert_eq!(we_check.code, 0, "{}", we_check.show());
    assert_eq!(ours.stdout, gnu_list("sha256sum", dir.path(), &[]), "the lists are identical too");
}
