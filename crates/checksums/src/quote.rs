//! File names in diagnostics, quoted exactly as GNU coreutils quotes them (`quotef`) in the C locale.
//!
//! coreutils passes file names in error messages through gnulib's `shell-escape` quoting style with `:`
//! also quoted. The rules, in the C locale (every byte above 0x7e is unprintable):
//!
//! - A name made only of "safe" bytes is printed as is: letters, digits, `%+,-./@]_`, and `#`, `~`
//!   when not first, `{`, `}` when not alone.
//! - Otherwise the name is wrapped in single quotes. A single quote becomes `'\''`; control and
//!   unprintable bytes are written as `'$'\n''` (C escapes for `\a\b\f\n\r\t\v`, octal `\ooo` for others).
//! - A name whose only reason for quoting is a single quote, alongside spaces and safe bytes, is written in
//!   double quotes instead: `"it's"`.
//! - The empty name is `''`.

/// Quotes `name` as coreutils' `quotef` does in the C locale.
///
/// ```
/// use tagwright_checksums::quote_name;
/// assert_eq!(quote_name(b"plain.txt"), "plain.txt");
/// assert_eq!(quote_name(b"a b"), "'a b'");
/// assert_eq!(quote_name(b"it's"), "\"it's\"");
/// assert_eq!(quote_name(b"new\nline"), "'new'$'\\n''line'");
/// assert_eq!(quote_name(b"\xff"), "''$'\\377'");
/// ```
pub fn quote_name(name: &[u8]) -> String {
    if !name.is_empty() && name.iter().enumerate().all(|(i, &b)| is_safe_unquoted(name, i, b)) {
        return String::from_utf8_lossy(name).into_owned();
    }
    let quoted = single_quoted(name);
    match quoted {
        Quoted::PreferDouble => {
            let mut out = String::with_capacity(name.len() + 2);
            out.push('"');
            out.push_str(&String::from_utf8_lossy(name));
            out.push('"');
            out
        }
        Quoted::Single(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// True when the byte at `i` needs no quoting in the elided-quotes pass.
fn is_safe_unquoted(name: &[u8], i: usize, b: u8) -> bool {
    match b {
        b'{' | b'}' => name.len() != 1,
        b'#' | b'~' => i != 0,
        b':' => false,
        b'%' | b'+' | b',' | b'-' | b'.' | b'/' | b'0'..=b'9' | b'A'..=b'Z' | b']' | b'_' | b'a'..=b'z' => {
            true
        }
        b'@' => true,
        _ => false,
    }
}

enum Quoted {
    /// Single quotes were needed only because of `'`: use double quotes.
    PreferDouble,
    Single(Vec<u8>),
}

/// The always-quoted pass (`shell-escape-always`).
fn single_quoted(name: &[u8]) -> Quoted {
    let mut out = vec![b'\''];
    let mut pending_escape_end = false;
    let mut single_quote_seen = false;
    let mut all_double_compatible = true;
    for (i, &b) in name.iter().enumerate() {
        let escape = match b {
            0x07 => Some(b"a".to_vec()),
            0x08 => Some(b"b".to_vec()),
            0x0c => Some(b"f".to_vec()),
            b'\n' => Some(b"n".to_vec()),
            b'\r' => Some(b"r".to_vec()),
            b'\t' => Some(b"t".to_vec()),
            0x0b => Some(b"v".to_vec()),
            0x20..=0x7e => None,
            _ => Some(vec![b'0' + (b >> 6), b'0' + ((b >> 3) & 7), b'0' + (b & 7)]),
        };
        let compatible = match b {
            b' ' | b'\'' | b'@' => true,
            b'{' | b'}' => name.len() == 1,
            b'#' | b'~' => i == 0,
            b'%' | b'+' | b',' | b'-' | b'.' | b'/' | b'0'..=b'9' | b':' | b'A'..=b'Z' | b']' | b'_' => true,
            b'a'..=b'z' => true,
            _ => false,
        };
        all_double_compatible &= compatible;
        if let Some(escape) = escape {
            if !pending_escape_end {
                out.extend_from_slice(b"'$'");
                pending_escape_end = true;
            }
            out.push(b'\\');
            out.extend_from_slice(&escape);
            continue;
        }
        if b == b'\'' {
            single_quote_seen = true;
            out.extend_from_slice(b"'\\'");
            pending_escape_end = false;
        }
        if pending_escape_end {
            out.extend_from_slice(b"''");
            pending_escape_end = false;
        }
        out.push(b);
    }
    out.push(b'\'');
    if single_quote_seen && all_double_compatible { Quoted::PreferDouble } else { Quoted::Single(out) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each case was observed from coreutils 9.1 `sha256sum` with LC_ALL=C.
    #[test]
    fn matches_coreutils() {
        let cases: &[(&[u8], &str)] = &[
            (b"a b", "'a b'"),
            (b"-x", "-x"),
            (b"a\\b", "'a\\b'"),
            (b"new\nline", "'new'$'\\n''line'"),
            (b"\xff\xfe", "''$'\\377\\376'"),
            (b"it's", "\"it's\""),
            (b"a:b", "'a:b'"),
            (b"~x", "'~x'"),
            (b"x~", "x~"),
            (b"#x", "'#x'"),
            (b"x#", "x#"),
            (b"{", "'{'"),
            (b"{a", "{a"),
            (b"a*b", "'a*b'"),
            ("é".as_bytes(), "''$'\\303\\251'"),
            (b"t\tab", "'t'$'\\t''ab'"),
            (b"$x", "'$x'"),
            (b"a=b", "'a=b'"),
            (b"%a", "%a"),
            (b"a,b", "a,b"),
            (b"@a", "@a"),
            (b"it's \"q\"", "'it'\\''s \"q\"'"),
            (b"\x01", "''$'\\001'"),
            (b"", "''"),
            (b"a]b", "a]b"),
            (b"a[b", "'a[b'"),
            (b"?a", "'?a'"),
            (b"\x7f", "''$'\\177'"),
            (b"a\rb", "'a'$'\\r''b'"),
        ];
        for (name, expected) in cases {
            assert_eq!(quote_name(name), *expected, "{:?}", String::from_utf8_lossy(name));
        }
    }
}
