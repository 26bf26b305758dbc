//! Allowed-signers files, as `ssh-keygen -Y verify` reads them (`man ssh-keygen`, ALLOWED SIGNERS).
//!
//! Each line is `principals [options] keytype base64 [comment]`. Principals are a comma-separated
//! pattern list (`*`, `?`, and `!` to negate). Options: `namespaces="git,file"` (a pattern list),
//! `valid-after=`/`valid-before=` (`YYYYMMDD[Z]` or `YYYYMMDDHHMM[SS][Z]`), and `cert-authority`.
//!
//! Differences from ssh-keygen: `cert-authority` lines (certificates) are not supported and are skipped;
//! times without `Z` are read as UTC, where ssh-keygen reads them as local time.

use std::path::{Path, PathBuf};

use ssh_key::PublicKey;
use tagwright_text::wildcard_match;

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    /// The principals pattern list, as written.
    pub principals: String,
    /// The namespaces pattern list, if restricted.
    pub namespaces: Option<String>,
    /// Not valid before this time (seconds since the epoch).
    pub valid_after: Option<i64>,
    /// Not valid after this time.
    pub valid_before: Option<i64>,
    /// The key.
    pub key: PublicKey,
    /// The 1-based line number.
    pub line: usize,
}

/// A parsed allowed-signers file.
#[derive(Debug, Clone)]
pub struct AllowedSigners {
    /// Where it came from.
    pub path: PathBuf,
    /// Its usable lines, in order.
    pub signers: Vec<AllowedSigner>,
    /// Lines that were skipped (certificate authorities).
    pub skipped: Vec<usize>,
}

/// A line that cannot be parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AllowedSignersError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("{}:{line}: {message}", .path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl AllowedSigners {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<AllowedSigners, AllowedSignersError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AllowedSignersError::Io { path: path.to_path_buf(), source })?;
        AllowedSigners::parse(&text, path)
    }

    /// Parses file contents; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<AllowedSigners, AllowedSignersError> {
        let mut signers = Vec::new();
        let mut skipped = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let err = |message: String| AllowedSignersError::Line { path: path.to_path_buf(), line, message };
            let rest = raw.trim_start();
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            let (principals, rest) = take_token(rest).ok_or_else(|| err("missing principals".to_owned()))?;
            let rest = rest.trim_start();
            let (options, key_text) = match parse_key(rest) {
                Some(_) => (None, rest),
                None => {
                    let (options, after) = take_token(rest).ok_or_else(|| err("missing key".to_owned()))?;
                    (Some(options), after.trim_start())
                }
            };
            let key = parse_key(key_text).ok_or_else(|| err("not a valid SSH public key".to_owned()))?;
            let mut signer = AllowedSigner {
                principals: principals.replace('"', ""),
                namespaces: None,
                valid_after: None,
                valid_before: None,
                key,
                line,
            };
            let mut certificate_authority = false;
            for option in options.iter().flat_map(|o| split_options(o)) {
                let (name, value) = match option.split_once('=') {
                    Some((name, value)) => {
                        (name.to_ascii_lowercase(), Some(value.trim_matches('"').to_owned()))
                    }
                    None => (option.to_ascii_lowercase(), None),
                };
                match (name.as_str(), value) {
                    ("cert-authority", None) => certificate_authority = true,
                    ("namespaces", Some(v)) => signer.namespaces = Some(v),
                    ("valid-after", Some(v)) => {
                        signer.valid_after =
                            Some(parse_time(&v).ok_or_else(|| err(format!("bad valid-after time `{v}`")))?);
                    }
                    ("valid-before", Some(v)) => {
                        signer.valid_before =
                            Some(parse_time(&v).ok_or_else(|| err(format!("bad valid-before time `{v}`")))?);
                    }
                    (other, _) => return Err(err(format!("unknown option `{other}`"))),
                }
            }
            if certificate_authority {
                skipped.push(line);
            } else {
                signers.push(signer);
            }
        }
        Ok(AllowedSigners { path: path.to_path_buf(), signers, skipped })
    }

    /// The lines for `key`.
    pub fn for_key<'a>(&'a self, key: &'a PublicKey) -> impl Iterator<Item = &'a AllowedSigner> {
        self.signers.iter().filter(move |s| s.key.key_data() == key.key_data())
    }
}

impl AllowedSigner {
    /// Whether signatures in `namespace` are allowed.
    pub fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces.as_deref().is_none_or(|patterns| match_pattern_list(namespace, patterns))
    }

    /// Whether `principal` is one of this line's principals.
    pub fn matches_principal(&self, principal: &str) -> bool {
        match_pattern_list(principal, &self.principals)
    }
}

/// A token up to unquoted whitespace, as written (quotes kept), and the rest.
fn take_token(s: &str) -> Option<(String, &str)> {
    if s.is_empty() {
        return None;
    }
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return Some((s[..i].to_owned(), &s[i..])),
            _ => {}
        }
    }
    Some((s.to_owned(), ""))
}

/// `keytype base64 [comment]` at the start of `s`.
fn parse_key(s: &str) -> Option<PublicKey> {
    let mut parts = s.split_whitespace();
    let kind = parts.next()?;
    let blob = parts.next()?;
    PublicKey::from_openssh(&format!("{kind} {blob}")).ok()
}

/// Options are comma-separated; commas inside quotes do not split.
fn split_options(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    out.push(current);
    out.into_iter().filter(|o| !o.is_empty()).collect()
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optionally followed by `Z`; read as UTC.
fn parse_time(s: &str) -> Option<i64> {
    let digits = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 8 | 12 | 14) {
        return None;
    }
    let n = |range: std::ops::Range<usize>| digits.get(range).map_or(Some(0), |d| d.parse::<i64>().ok());
    let (year, month, day) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (hour, minute, second) = (n(8..10)?, n(10..12)?, n(12..14)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 for a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// OpenSSH's `match_pattern_list`: any positive pattern matches and no negated one does.
pub(crate) fn match_pattern_list(value: &str, patterns: &str) -> bool {
    let mut positive = false;
    for pattern in patterns.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match pattern.strip_prefix('!') {
            Some(negated) if wildcard_match(negated, value) => return false,
            Some(_) => {}
            None if wildcard_match(pattern, value) => positive = true,
            None => {}
        }
    }
    positive
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILKcb0jEy7/ktEqEKNQcSJh4g6ZuPrINyDyVXytaP72v";

    #[test]
    fn lines_with_and_without_options() {
        let text = format!(
            "# comment\n\nrel@example.com {KEY} a comment\n\"a b@x,*@example.org\" namespaces=\"git,file\",valid-after=\"20260101\",valid-before=20270101Z {KEY}\n*@ca cert-authority {KEY}\n"
        );
        let file = AllowedSigners::parse(&text, Path::new("allowed")).expect("parses");
        assert_eq!(file.signers.len(), 2);
        assert_eq!(file.skipped, vec![5]);
        let first = &file.signers[0];
        assert_eq!((first.principals.as_str(), first.line), ("rel@example.com", 3));
        assert!(first.allows_namespace("git"));
        let second = &file.signers[1];
        assert_eq!(second.principals, "a b@x,*@example.org");
        assert!(second.matches_principal("anyone@example.org"));
        assert!(!second.matches_principal("x@example.com"));
        assert!(second.allows_namespace("file") && !second.allows_namespace("email"));
        assert_eq!(second.valid_after, Some(1_767_225_600));
        assert_eq!(second.valid_before, Some(1_798_761_600));
    }

    #[test]
    fn mistakes_name_the_line() {
        let err = AllowedSigners::parse("rel@example.com ssh-ed25519 notbase64\n", Path::new("f"))
            .expect_err("bad key");
        assert_eq!(err.to_string(), "f:1: not a valid SSH public key");
        let err = AllowedSigners::parse(&format!("x valid-after=\"2026\" {KEY}\n"), Path::new("f"))
            .expect_err("bad time");
        assert!(err.to_string().contains("bad valid-after"), "{err}");
    }

    #[test]
    fn pattern_lists() {
        assert!(match_pattern_list("git", "git,file"));
        assert!(match_pattern_list("a@x.org", "*@x.org"));
        assert!(!match_pattern_list("bad@x.org", "*@x.org,!bad@*"));
        assert!(!match_pattern_list("git", "file"));
        assert!(match_pattern_list("g1t", "g?t"));
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("19700101"), Some(0));
        assert_eq!(parse_time("19700102000001Z"), Some(86_401));
        assert_eq!(parse_time("202601011230"), Some(1_767_270_600));
        assert_eq!(parse_time("2026"), None);
    }
}
