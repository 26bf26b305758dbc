//! Verifying checksum lists with the semantics and the exact messages of GNU `sha256sum -c`
//! (coreutils 9.1, C locale).
//!
//! A list line is one of:
//! - `<hex>  <name>` or `<hex> *<name>` (GNU), or `<hex> <name>` ("BSD reversed", as `md5 -r` writes;
//!   once a list uses one form, the other is rejected, so that a name cannot gain a leading space);
//! - `SHA256 (<name>) = <hex>` (BSD, `--tag`);
//! - either of those with a leading `\`, meaning the name escapes `\\`, `\n` and `\r`.
//!
//! Lines starting with `#` and empty lines are skipped; a trailing CR is ignored; hex digits may be
//! uppercase. Anything else is "improperly formatted".

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use super::{Algorithm, Digest, hash_inputs, push_name, quote_name, strerror};

/// What `-c` does besides checking.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Skip listed files that do not exist, instead of failing.
    pub ignore_missing: bool,
    /// Do not print `OK` lines.
    pub quiet: bool,
    /// Print nothing on stdout; the outcome is the return value.
    pub status: bool,
    /// Fail when any line is improperly formatted.
    pub strict: bool,
    /// Name each improperly formatted line on stderr.
    pub warn: bool,
    /// Threads for hashing (0: one per core).
    pub threads: usize,
}

/// Where `check` reads and writes, and the program name its messages carry.
#[derive(Debug)]
pub struct CheckIo<'a, O: Write, E: Write, I: Read> {
    /// The program name that starts every diagnostic (`checksum: …`).
    pub program: &'a str,
    /// Where `NAME: OK` lines go.
    pub stdout: O,
    /// Where diagnostics go.
    pub stderr: E,
    /// What a list named `-`, or a listed file named `-`, reads.
    pub stdin: I,
}

/// The totals of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckOutcome {
    /// True when every list passed.
    pub ok: bool,
    /// Files whose checksum matched.
    pub verified: u64,
    /// Files whose checksum did not match.
    pub mismatched: u64,
    /// Files that could not be read.
    pub unreadable: u64,
    /// Improperly formatted lines.
    pub misformatted: u64,
}

/// Checks every list (`-` is standard input) and writes what `sha256sum -c` writes.
pub fn check<O: Write, E: Write, I: Read>(
    algorithm: Algorithm,
    lists: &[&OsStr],
    options: &CheckOptions,
    io: &mut CheckIo<'_, O, E, I>,
) -> io::Result<CheckOutcome> {
    let mut outcome = CheckOutcome { ok: true, ..CheckOutcome::default() };
    let mut state = ParseState::default();
    for list in lists {
        let ok = check_list(algorithm, list, options, io, &mut state, &mut outcome)?;
        outcome.ok &= ok;
    }
    io.stdout.flush()?;
    io.stderr.flush()?;
    Ok(outcome)
}

/// Whether the list so far uses the BSD-reversed form (`<hex> <name>`); shared by every list of a run.
#[derive(Debug, Default)]
struct ParseState {
    bsd_reversed: Option<bool>,
}

/// One line of a checksum list, as `sha256sum -c` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListLine {
    /// An improperly formatted line, by its 1-based number.
    Misformatted {
        /// The line number.
        number: u64,
    },
    /// A file and the hex digest it should have.
    Entry {
        /// The file name, unescaped.
        name: Vec<u8>,
        /// The hex digest as written.
        hex: Vec<u8>,
    },
}

/// Parses one checksum list as `sha256sum -c` does: comments and blank lines skipped, GNU and BSD
/// lines, escaped names unescaped. (Across several lists, `check` also carries GNU's memory of whether
/// BSD lines were reversed.)
pub fn parse_list(algorithm: Algorithm, text: &[u8]) -> Vec<ListLine> {
    parse_lines(algorithm, text, false, &mut ParseState::default())
}

fn check_list<O: Write, E: Write, I: Read>(
    algorithm: Algorithm,
    list: &OsStr,
    options: &CheckOptions,
    io: &mut CheckIo<'_, O, E, I>,
    state: &mut ParseState,
    totals: &mut CheckOutcome,
) -> io::Result<bool> {
    let is_stdin = list.as_bytes() == b"-";
    let display = quote_name(if is_stdin { b"standard input" } else { list.as_bytes() });
    let program = io.program;
    let mut text = Vec::new();
    if is_stdin {
        if io.stdin.read_to_end(&mut text).is_err() {
            writeln!(io.stderr, "{program}: {display}: read error")?;
            return Ok(false);
        }
    } else {
        let mut file = match std::fs::File::open(list) {
            Ok(file) => file,
            Err(e) => {
                writeln!(io.stderr, "{program}: {display}: {}", strerror(&e))?;
                return Ok(false);
            }
        };
        if file.read_to_end(&mut text).is_err() {
            writeln!(io.stderr, "{program}: {display}: read error")?;
            return Ok(false);
        }
    }

    let lines = parse_lines(algorithm, &text, is_stdin, state);
    // Listed files are hashed in parallel (a file named `-` reads standard input), and each line's
    // outcome is written in list order as soon as it is known.
    let entries: Vec<(usize, PathBuf)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| match line {
            ListLine::Entry { name, .. } => Some((i, PathBuf::from(OsStr::from_bytes(name)))),
            ListLine::Misformatted { .. } => None,
        })
        .collect();
    let paths: Vec<PathBuf> = entries.iter().map(|(_, p)| p.clone()).collect();
    let CheckIo { stdout, stderr, stdin, .. } = io;
    let mut emitter = Emitter {
        program,
        display: &display,
        algorithm,
        options,
        lines: &lines,
        next: 0,
        counts: ListCounts::default(),
        error: None,
        stdout,
        stderr,
    };
    hash_inputs(algorithm, &paths, options.threads, stdin, |k, result| {
        emitter.emit_through(entries[k].0, result)
    });
    emitter.finish();
    if let Some(e) = emitter.error.take() {
        return Err(e);
    }
    let Emitter { counts, stderr, .. } = emitter;

    totals.verified += counts.verified;
    totals.mismatched += counts.mismatched;
    totals.unreadable += counts.unreadable;
    totals.misformatted += counts.misformatted;

    if !counts.properly_formatted {
        writeln!(stderr, "{program}: {display}: no properly formatted checksum lines found")?;
    } else if !options.status {
        let plural = |n: u64, one: &str, many: &str| if n == 1 { one.to_owned() } else { many.to_owned() };
        if counts.misformatted != 0 {
            let n = counts.misformatted;
            let what = plural(n, "line is", "lines are");
            writeln!(stderr, "{program}: WARNING: {n} {what} improperly formatted")?;
        }
        if counts.unreadable != 0 {
            let n = counts.unreadable;
            let what = plural(n, "listed file", "listed files");
            writeln!(stderr, "{program}: WARNING: {n} {what} could not be read")?;
        }
        if counts.mismatched != 0 {
            let n = counts.mismatched;
            let what = plural(n, "computed checksum", "computed checksums");
            writeln!(stderr, "{program}: WARNING: {n} {what} did NOT match")?;
        }
        if options.ignore_missing && counts.verified == 0 {
            writeln!(stderr, "{program}: {display}: no file was verified")?;
        }
    }
    Ok(counts.properly_formatted
        && counts.verified > 0
        && counts.mismatched == 0
        && counts.unreadable == 0
        && (!options.strict || counts.misformatted == 0))
}

#[derive(Default)]
struct ListCounts {
    properly_formatted: bool,
    verified: u64,
    mismatched: u64,
    unreadable: u64,
    misformatted: u64,
}

/// Writes each line's outcome in list order, as the hashes arrive.
struct Emitter<'a, O: Write, E: Write> {
    program: &'a str,
    display: &'a str,
    algorithm: Algorithm,
    options: &'a CheckOptions,
    lines: &'a [ListLine],
    /// The next line to write.
    next: usize,
    counts: ListCounts,
    /// The first error writing the output; writing stops there.
    error: Option<io::Error>,
    stdout: &'a mut O,
    stderr: &'a mut E,
}

impl<O: Write, E: Write> Emitter<'_, O, E> {
    /// Writes the misformatted lines before line `index`, then the entry at `index` with its result.
    fn emit_through(&mut self, index: usize, result: io::Result<Digest>) {
        self.misformatted_before(index);
        if let ListLine::Entry { name, hex } = &self.lines[index] {
            let outcome = self.entry(name, hex, result);
            self.keep_first_error(outcome);
        }
        self.next = index + 1;
    }

    /// Writes the misformatted lines after the last entry.
    fn finish(&mut self) {
        self.misformatted_before(self.lines.len());
    }

    fn misformatted_before(&mut self, index: usize) {
        while self.next < index {
            if let ListLine::Misformatted { number } = self.lines[self.next] {
                let outcome = self.misformatted(number);
                self.keep_first_error(outcome);
            }
            self.next += 1;
        }
    }

    fn keep_first_error(&mut self, outcome: io::Result<()>) {
        if let Err(e) = outcome {
            self.error.get_or_insert(e);
        }
    }

    fn misformatted(&mut self, number: u64) -> io::Result<()> {
        self.counts.misformatted += 1;
        if self.options.warn && self.error.is_none() {
            writeln!(
                self.stderr,
                "{}: {}: {number}: improperly formatted {} checksum line",
                self.program,
                self.display,
                self.algorithm.tag()
            )?;
        }
        Ok(())
    }

    fn entry(&mut self, name: &[u8], hex: &[u8], result: io::Result<Digest>) -> io::Result<()> {
        let options = self.options;
        self.counts.properly_formatted = true;
        // coreutils 9.1 escapes a name in check output only when it contains a newline.
        let escape = !options.status && name.contains(&b'\n');
        let mut shown = Vec::new();
        if escape {
            shown.push(b'\\');
        }
        push_name(&mut shown, name, escape);
        match result {
            Err(e) if options.ignore_missing && e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                self.counts.unreadable += 1;
                if self.error.is_none() {
                    writeln!(self.stderr, "{}: {}: {}", self.program, quote_name(name), strerror(&e))?;
                    if !options.status {
                        self.stdout.write_all(&shown)?;
                        self.stdout.write_all(b": FAILED open or read\n")?;
                    }
                }
            }
            Ok(digest) => {
                let matched = digest.matches_hex(hex);
                if matched {
                    self.counts.verified += 1;
                } else {
                    self.counts.mismatched += 1;
                }
                if !options.status && self.error.is_none() {
                    if !matched || !options.quiet {
                        self.stdout.write_all(&shown)?;
                    }
                    if !matched {
                        self.stdout.write_all(b": FAILED\n")?;
                    } else if !options.quiet {
                        self.stdout.write_all(b": OK\n")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Splits a list into lines as `getline` does and classifies each one.
fn parse_lines(algorithm: Algorithm, text: &[u8], is_stdin: bool, state: &mut ParseState) -> Vec<ListLine> {
    let mut lines = Vec::new();
    for (index, raw) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        let number = index as u64 + 1;
        if raw.first() == Some(&b'#') {
            continue;
        }
        let mut line = raw.strip_suffix(b"\n").unwrap_or(raw);
        line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        match split_line(algorithm, line, state) {
            Some((name, hex)) if !(is_stdin && name == b"-") => lines.push(ListLine::Entry { name, hex }),
            _ => lines.push(ListLine::Misformatted { number }),
        }
    }
    lines
}

fn is_white(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// One list line: the name and the hex digest, or `None` when improperly formatted.
fn split_line(algorithm: Algorithm, s: &[u8], state: &mut ParseState) -> Option<(Vec<u8>, Vec<u8>)> {
    let hex_len = algorithm.hex_len();
    let mut i = s.iter().take_while(|&&b| is_white(b)).count();
    let escaped = s.get(i) == Some(&b'\\');
    if escaped {
        i += 1;
    }
    let tag = algorithm.tag().as_bytes();
    if s[i..].starts_with(tag) {
        i += tag.len();
        if s.get(i) == Some(&b' ') {
            i += 1;
        }
        if s.get(i) != Some(&b'(') {
            return None;
        }
        return split_bsd(&s[i + 1..], escaped, hex_len);
    }
    if s.len() - i < hex_len + 2 + usize::from(s.get(i) == Some(&b'\\')) {
        return None;
    }
    let hex = &s[i..i + hex_len];
    i += hex_len;
    if !is_white(s[i]) {
        return None;
    }
    i += 1;
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    if s.len() - i == 1 || (s[i] != b' ' && s[i] != b'*') {
        if state.bsd_reversed == Some(false) {
            return None;
        }
        state.bsd_reversed = Some(true);
    } else if state.bsd_reversed != Some(true) {
        state.bsd_reversed = Some(false);
        i += 1;
    }
    let name = name_part(&s[i..], escaped)?;
    Some((name, hex.to_vec()))
}

fn split_bsd(s: &[u8], escaped: bool, hex_len: usize) -> Option<(Vec<u8>, Vec<u8>)> {
    let close = s.iter().rposition(|&b| b == b')')?;
    let name = name_part(&s[..close], escaped)?;
    let mut i = close + 1;
    while s.get(i).is_some_and(|&b| is_white(b)) {
        i += 1;
    }
    if s.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    while s.get(i).is_some_and(|&b| is_white(b)) {
        i += 1;
    }
    let hex = &s[i..];
    if hex.len() != hex_len || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    Some((name, hex.to_vec()))
}

/// The file name: unescaped when the line starts with `\`, else cut at the first NUL as C strings are.
fn name_part(raw: &[u8], escaped: bool) -> Option<Vec<u8>> {
    if !escaped {
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        return Some(raw[..end].to_vec());
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'\\' => match bytes.next()? {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b'\\' => out.push(b'\\'),
                _ => return None,
            },
            0 => return None,
            _ => out.push(b),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";

    fn split(line: &str, state: &mut ParseState) -> Option<(String, String)> {
        split_line(Algorithm::Sha256, line.as_bytes(), state).map(|(n, h)| {
            (String::from_utf8_lossy(&n).into_owned(), String::from_utf8_lossy(&h).into_owned())
        })
    }

    #[test]
    fn line_forms() {
        let mut s = ParseState::default();
        assert_eq!(split(&format!("{HEX}  a b"), &mut s), Some(("a b".into(), HEX.into())));
        assert_eq!(split(&format!("{HEX} *a"), &mut s), Some(("a".into(), HEX.into())));
        assert_eq!(split(&format!("SHA256 (x) y) = {HEX}"), &mut s), Some(("x) y".into(), HEX.into())));
        assert_eq!(split(&format!("SHA256(x)={HEX}"), &mut s), Some(("x".into(), HEX.into())));
        assert_eq!(split(&format!("\\{HEX}  a\\nb\\\\"), &mut s), Some(("a\nb\\".into(), HEX.into())));
        assert_eq!(split(&format!("\\{HEX}  a\\qb"), &mut s), None, "only \\n, \\r and \\\\ escape");
        assert_eq!(split(&format!("SHA256 (x) = {HEX} "), &mut s), None, "trailing blank after the digest");
        assert_eq!(split(&format!("SHA256  (x) = {HEX}"), &mut s), None);
        assert_eq!(split(&format!("{HEX}x  a"), &mut s), None);
        assert_eq!(split(&format!("{HEX} a"), &mut s), None, "BSD reversed after a GNU line");
        let mut fresh = ParseState::default();
        assert_eq!(split(&format!("{HEX} a"), &mut fresh), Some(("a".into(), HEX.into())));
        assert_eq!(split(&format!("{HEX}  a"), &mut fresh), Some((" a".into(), HEX.into())));
    }
}
