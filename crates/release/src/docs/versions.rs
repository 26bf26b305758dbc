//! `versions.json` as mike 2.x reads and writes it: the entries, mike's rules for versions and
//! aliases, its newest-first order (verspec's `LooseVersion`, development versions first), and
//! Python's `json.dumps(indent=2)` bytes.

use std::fmt::Write as _;
use std::ops::Not as _;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The largest `versions.json` read from a docs branch.
pub(crate) const MAX_VERSIONS_JSON: usize = 16 << 20;

/// One documented version: its directory name, title and aliases.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct DocVersion {
    /// The version, which is also its directory.
    pub version: String,
    /// The title the version selector shows.
    pub title: String,
    /// The aliases that point at it.
    pub aliases: Vec<String>,
}

/// An entry of `versions.json`, with mike's free-form `properties` kept in their order.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    version: String,
    title: String,
    aliases: Vec<String>,
    properties: Option<Json>,
}

/// Why an edit of `versions.json` is refused: mike's own messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum VersionsError {
    #[error("{value:?} is not a valid {kind}: it must be a name, not empty, `.`, `..`, or a path")]
    Invalid { value: String, kind: &'static str },
    #[error("alias {alias:?} already exists for version {version:?} (move it with --update-aliases)")]
    AliasTaken { alias: String, version: String },
    #[error("alias {0:?} is already a version")]
    AliasIsVersion(String),
    #[error("version {0:?} is already an alias (move it with --update-aliases)")]
    VersionIsAlias(String),
    #[error("{0:?} is both the version and one of its aliases")]
    Duplicated(String),
    #[error("{0}")]
    Malformed(String),
}

/// mike's check of a version or alias: it becomes a directory name on the branch.
pub(crate) fn check_name(value: &str, kind: &'static str) -> Result<(), VersionsError> {
    let bad = value.is_empty()
        || value == "."
        || value == ".."
        || value.contains(['/', '\\'])
        || value.chars().any(|c| c.is_control())
        || value.eq_ignore_ascii_case(".git");
    if bad { Err(VersionsError::Invalid { value: value.to_owned(), kind }) } else { Ok(()) }
}

/// The versions of a docs branch, in the order they were read or added.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Versions {
    entries: Vec<Entry>,
}

impl Versions {
    /// Parses `versions.json`, applying mike's checks to every entry (its names become paths).
    pub(crate) fn parse(text: &str) -> Result<Versions, VersionsError> {
        let malformed = |m: String| VersionsError::Malformed(m);
        let value: Json = serde_json::from_str(text).map_err(|e| malformed(format!("not JSON: {e}")))?;
        let Json::Array(items) = value else {
            return Err(malformed("not a JSON array".into()));
        };
        let mut versions = Versions::default();
        for (i, item) in items.into_iter().enumerate() {
            let Json::Object(fields) = item else {
                return Err(malformed(format!("entry {i}: not an object")));
            };
            let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
            let string = |name: &str| match get(name) {
                Some(Json::String(s)) => Some(s.clone()),
                _ => None,
            };
            let (Some(version), Some(title)) = (string("version"), string("title")) else {
                return Err(malformed(format!("entry {i}: `version` and `title` must be strings")));
            };
            let aliases = match get("aliases") {
                Some(Json::Array(a)) => a
                    .iter()
                    .map(|v| match v {
                        Json::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| malformed(format!("entry {i}: `aliases` must be strings")))?,
                _ => return Err(malformed(format!("entry {i}: `aliases` must be an array"))),
            };
            check_name(&version, "version")?;
            let mut unique: Vec<String> = Vec::new();
            for alias in aliases {
                check_name(&alias, "alias")?;
                if alias == version {
                    return Err(VersionsError::Duplicated(alias));
                }
                if !unique.contains(&alias) {
                    unique.push(alias);
                }
            }
            versions.ensure_unique(&version, &unique, false)?;
            let properties = get("properties").filter(|p| **p != Json::Null).cloned();
            let entry = Entry { version, title, aliases: unique, properties };
            match versions.entries.iter_mut().find(|e| e.version == entry.version) {
                // A repeated version replaces the earlier entry, as Python's dict does.
                Some(old) => *old = entry,
                None => versions.entries.push(entry),
            }
        }
        Ok(versions)
    }

    /// The entry named `identifier`, as a version or an alias: (version, the alias if it was one).
    pub(crate) fn find(&self, identifier: &str) -> Option<(&str, Option<&str>)> {
        if let Some(e) = self.entries.iter().find(|e| e.version == identifier) {
            return Some((&e.version, None));
        }
        self.entries.iter().find_map(|e| {
            e.aliases.iter().find(|a| *a == identifier).map(|a| (e.version.as_str(), Some(a.as_str())))
        })
    }

    /// mike's `_ensure_unique_aliases`: the aliases that must move to `version`, or why not.
    fn ensure_unique(
        &self,
        version: &str,
        aliases: &[String],
        update: bool,
    ) -> Result<Vec<(String, String)>, VersionsError> {
        let mut moved = Vec::new();
        if let Some((owner, Some(alias))) = self.find(version) {
            if !update {
                return Err(VersionsError::VersionIsAlias(version.to_owned()));
            }
            moved.push((owner.to_owned(), alias.to_owned()));
        }
        for alias in aliases {
            match self.find(alias) {
                Some((owner, _)) if owner == version => {}
                Some((_, None)) => return Err(VersionsError::AliasIsVersion(alias.clone())),
                Some((owner, Some(_))) if !update => {
                    return Err(VersionsError::AliasTaken {
                        alias: alias.clone(),
                        version: owner.to_owned(),
                    });
                }
                Some((owner, Some(a))) => moved.push((owner.to_owned(), a.to_owned())),
                None => {}
            }
        }
        Ok(moved)
    }

    /// mike's `Versions.add`: adds `version` (or updates its title and aliases), moving aliases from
    /// other versions when `update` allows. Returns the aliases that moved: (from version, alias).
    pub(crate) fn add(
        &mut self,
        version: &str,
        title: Option<&str>,
        aliases: &[String],
        update: bool,
    ) -> Result<Vec<(String, String)>, VersionsError> {
        check_name(version, "version")?;
        for alias in aliases {
            check_name(alias, "alias")?;
            if alias == version {
                return Err(VersionsError::Duplicated(alias.clone()));
            }
        }
        let moved = self.ensure_unique(version, aliases, update)?;
        match self.entries.iter_mut().find(|e| e.version == version) {
            Some(entry) => {
                if let Some(title) = title {
                    entry.title = title.to_owned();
                }
                for alias in aliases {
                    if !entry.aliases.contains(alias) {
                        entry.aliases.push(alias.clone());
                    }
                }
            }
            None => {
                let mut unique = Vec::new();
                for alias in aliases {
                    if !unique.contains(alias) {
                        unique.push(alias.clone());
                    }
                }
                self.entries.push(Entry {
                    version: version.to_owned(),
                    title: title.unwrap_or(version).to_owned(),
                    aliases: unique,
                    properties: None,
                });
            }
        }
        for (owner, alias) in &moved {
            if let Some(entry) = self.entries.iter_mut().find(|e| &e.version == owner) {
                entry.aliases.retain(|a| a != alias);
            }
            // A version that was itself an alias elsewhere stops being one.
        }
        Ok(moved)
    }

    /// The entries, newest first, as mike sorts them.
    fn sorted(&self) -> Vec<&Entry> {
        let mut sorted: Vec<&Entry> = self.entries.iter().collect();
        // Python's `sorted(reverse=True)` is stable; so is a stable sort on the reversed order.
        sorted.sort_by_key(|e| std::cmp::Reverse(sort_key(&e.version)));
        sorted
    }

    /// The bytes mike writes: `json.dumps(indent=2)` of the sorted entries, and a newline.
    pub(crate) fn to_json(&self) -> String {
        let items = self
            .sorted()
            .into_iter()
            .map(|e| {
                let mut fields = vec![
                    ("version".to_owned(), Json::String(e.version.clone())),
                    ("title".to_owned(), Json::String(e.title.clone())),
                    (
                        "aliases".to_owned(),
                        Json::Array(e.aliases.iter().cloned().map(Json::String).collect()),
                    ),
                ];
                if let Some(p) = e.properties.as_ref().filter(|p| p.is_truthy()) {
                    fields.push(("properties".to_owned(), p.clone()));
                }
                Json::Object(fields)
            })
            .collect();
        let mut out = String::new();
        Json::Array(items).dump(0, &mut out);
        out.push('\n');
        out
    }

    /// The entries, newest first.
    pub(crate) fn entries(&self) -> Vec<DocVersion> {
        self.sorted()
            .into_iter()
            .map(|e| DocVersion {
                version: e.version.clone(),
                title: e.title.clone(),
                aliases: e.aliases.clone(),
            })
            .collect()
    }
}

/// A JSON value whose objects keep their keys' order, as Python's dicts do.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Python's truthiness (mike writes `properties` only when truthy).
    fn is_truthy(&self) -> bool {
        match self {
            Json::Null => false,
            Json::Bool(b) => *b,
            Json::Int(n) => *n != 0,
            Json::Float(f) => *f != 0.0,
            Json::String(s) => s.is_empty().not(),
            Json::Array(a) => a.is_empty().not(),
            Json::Object(o) => o.is_empty().not(),
        }
    }

    /// `json.dumps(value, indent=2)` at `depth`: items on their own lines, `": "` after keys,
    /// `[]`/`{}` when empty, and every character outside printable ASCII as `\uXXXX`.
    fn dump(&self, depth: usize, out: &mut String) {
        let pad = |out: &mut String, depth: usize| {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', depth * 2));
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Float(f) => python_float(*f, out),
            Json::String(s) => python_string(s, out),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Object(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, depth + 1);
                    item.dump(depth + 1, out);
                }
                pad(out, depth);
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, item)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, depth + 1);
                    python_string(key, out);
                    out.push_str(": ");
                    item.dump(depth + 1, out);
                }
                pad(out, depth);
                out.push('}');
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Int(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Int(n.into()))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Json, E> {
                Ok(Json::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Json, E> {
                Ok(Json::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut fields: Vec<(String, Json)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Json>()? {
                    // A repeated key keeps its first place and its last value, as a dict does.
                    match fields.iter_mut().find(|(k, _)| *k == key) {
                        Some(field) => field.1 = value,
                        None => fields.push((key, value)),
                    }
                }
                Ok(Json::Object(fields))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A float as Python's `repr` prints it: the shortest digits that round-trip, in exponent form
/// from 1e16 and below 1e-4.
fn python_float(f: f64, out: &mut String) {
    let abs = f.abs();
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let _ = write!(out, "{mantissa}e{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.abs());
    } else if f.fract() == 0.0 {
        let _ = write!(out, "{f:.1}");
    } else {
        let _ = write!(out, "{f}");
    }
}

/// A string as `json.dumps` writes it with `ensure_ascii`.
fn python_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// mike's sort key: development versions (no leading digit, after an optional `v`) sort as newer,
/// then verspec's `LooseVersion` key.
fn sort_key(version: &str) -> (u8, Vec<String>) {
    let bytes = version.as_bytes();
    let digit_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let release = digit_at(0) || (bytes.first() == Some(&b'v') && digit_at(1));
    (u8::from(!release), loose_key(version))
}

/// verspec's (setuptools' old `parse_version`) loose key: numeric runs zero-padded to 8, words
/// prefixed with `*` (`pre`/`preview`/`rc` → `c`, `dev` → `@`, `-` → `final-`), trailing zeros of
/// each numeric series dropped, and `*final` at the end.
pub(crate) fn loose_key(version: &str) -> Vec<String> {
    let lower = version.to_lowercase();
    let mut parts: Vec<String> = Vec::new();
    for part in loose_parts(&lower) {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

/// The parts of `_parse_version_parts`: `re.split(r"(\d+|[a-z]+|\.|-)")`, mapped and padded.
fn loose_parts(s: &str) -> Vec<String> {
    let mut pieces: Vec<&str> = Vec::new();
    let bytes = s.as_bytes();
    let (mut gap, mut i) = (0, 0);
    while i < bytes.len() {
        let class = |b: u8| -> u8 {
            if b.is_ascii_digit() {
                1
            } else if b.is_ascii_lowercase() {
                2
            } else {
                0
            }
        };
        let (start, kind) = (i, class(bytes[i]));
        let end = match (kind, bytes[i]) {
            (1 | 2, _) => {
                let mut j = i + 1;
                while j < bytes.len() && class(bytes[j]) == kind {
                    j += 1;
                }
                j
            }
            (_, b'.' | b'-') => i + 1,
            _ => {
                // Not a separator: part of the gap. Step over the whole UTF-8 character.
                i += s[i..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
        };
        pieces.push(&s[gap..start]);
        pieces.push(&s[start..end]);
        gap = end;
        i = end;
    }
    pieces.push(&s[gap..]);
    let mut parts = Vec::new();
    for piece in pieces {
        let piece = match piece {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            p => p,
        };
        if piece.is_empty() || piece == "." {
            continue;
        }
        if piece.as_bytes()[0].is_ascii_digit() {
            parts.push(format!("{piece:0>8}"));
        } else {
            parts.push(format!("*{piece}"));
        }
    }
    parts.push("*final".to_owned());
    parts
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::*;

    #[test]
    fn the_loose_key_is_verspecs() {
        // Keys printed by `verspec.loose.LooseVersion(v)._key` (mike 2.2.0's dependency).
        assert_eq!(loose_key("1.0.0"), ["00000001", "*final"]);
        assert_eq!(loose_key("1.2.0rc1"), ["00000001", "00000002", "*c", "00000001", "*final"]);
        assert_eq!(loose_key("2.0-dev"), ["00000002", "*@", "*final"]);
        assert_eq!(loose_key("1.0+x"), ["00000001", "*+", "*x", "*final"]);
        assert_eq!(loose_key("v1.10"), ["*v", "00000001", "00000010", "*final"]);
    }

    #[test]
    fn versions_sort_newest_first_with_development_versions_on_top() {
        let mut v = Versions::default();
        for name in ["1.0.0", "main", "1.10.0", "1.2.0", "1.2.0rc1", "dev"] {
            v.add(name, None, &[], false).expect("ok");
        }
        let order: Vec<_> = v.sorted().iter().map(|e| e.version.clone()).collect();
        assert_eq!(order, ["main", "dev", "1.10.0", "1.2.0", "1.2.0rc1", "1.0.0"]);
        assert_eq!(sort_key("1.9").cmp(&sort_key("1.10")), Ordering::Less);
    }

    #[test]
    fn an_alias_moves_only_when_asked_and_the_json_is_pythons() {
        let mut v = Versions::default();
        v.add("1.0.0", None, &["latest".into()], false).expect("ok");
        let err = v.add("1.1.0", None, &["latest".into()], false).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "alias \"latest\" already exists for version \"1.0.0\" (move it with --update-aliases)"
        );
        v.add("1.1.0", Some("One.One é"), &["latest".into()], true).expect("ok");
        assert_eq!(
            v.to_json(),
            "[\n  {\n    \"version\": \"1.1.0\",\n    \"title\": \"One.One \\u00e9\",\n    \"aliases\": [\n      \"latest\"\n    ]\n  },\n  {\n    \"version\": \"1.0.0\",\n    \"title\": \"1.0.0\",\n    \"aliases\": []\n  }\n]\n"
        );
        assert_eq!(Versions::parse(&v.to_json()).expect("ok").to_json(), v.to_json());
        assert!(matches!(v.add("2.0", None, &["1.0.0".into()], true), Err(VersionsError::AliasIsVersion(_))));
    }

    #[test]
    fn properties_keep_their_order_and_numbers_print_as_python_prints_them() {
        let text = r#"[{"version":"1","title":"1","aliases":[],"properties":{"z":1,"a":[1.5,"é",1e20,0.0001,1e-5]}}]"#;
        // `json.dumps(json.loads(text), indent=2)` with Python 3.
        let python = "[\n  {\n    \"version\": \"1\",\n    \"title\": \"1\",\n    \"aliases\": [],\n    \"properties\": {\n      \"z\": 1,\n      \"a\": [\n        1.5,\n        \"\\u00e9\",\n        1e+20,\n        0.0001,\n        1e-05\n      ]\n    }\n  }\n]\n";
        assert_eq!(Versions::parse(text).expect("ok").to_json(), python);
    }

    #[test]
    fn names_that_would_be_paths_are_refused_on_read_and_on_write() {
        for bad in ["", ".", "..", "a/b", "..\\x", ".git"] {
            assert!(check_name(bad, "version").is_err(), "{bad:?}");
        }
        let hostile = r#"[{"version": "../../etc", "title": "x", "aliases": []}]"#;
        assert!(matches!(Versions::parse(hostile), Err(VersionsError::Invalid { .. })));
        let shared = r#"[{"version": "1", "title": "1", "aliases": ["a"]}, {"version": "2", "title": "2", "aliases": ["a"]}]"#;
        assert!(Versions::parse(shared).is_err());
    }
}
