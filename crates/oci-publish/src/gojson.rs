//! JSON written the way Go's `encoding/json` writes it, so that manifests and configs are byte-identical
//! to Helm's: struct fields in declaration order, empty fields omitted, map keys sorted, and `<`, `>`,
//! `&`, U+2028 and U+2029 escaped.

use std::collections::BTreeMap;

/// Appends `s` as a JSON string, escaped as Go does.
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object under construction, with `omitempty` helpers.
pub(crate) struct Object {
    out: String,
    first: bool,
}

impl Object {
    pub(crate) fn new() -> Object {
        Object { out: String::from("{"), first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        string(&mut self.out, key);
        self.out.push(':');
    }

    /// A string field, left out when empty.
    pub(crate) fn str(&mut self, key: &str, value: &str) -> &mut Object {
        if !value.is_empty() {
            self.key(key);
            string(&mut self.out, value);
        }
        self
    }

    /// A number field, always written.
    pub(crate) fn num(&mut self, key: &str, value: u64) -> &mut Object {
        self.key(key);
        self.out.push_str(&value.to_string());
        self
    }

    /// A boolean field, left out when false.
    pub(crate) fn flag(&mut self, key: &str, value: bool) -> &mut Object {
        if value {
            self.key(key);
            self.out.push_str("true");
        }
        self
    }

    /// A list of strings, left out when empty.
    pub(crate) fn strs(&mut self, key: &str, values: &[String]) -> &mut Object {
        if !values.is_empty() {
            self.key(key);
            self.out.push('[');
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                string(&mut self.out, v);
            }
            self.out.push(']');
        }
        self
    }

    /// A map of strings, sorted by key as Go writes maps, left out when empty.
    pub(crate) fn map(&mut self, key: &str, values: &BTreeMap<String, String>) -> &mut Object {
        if !values.is_empty() {
            self.key(key);
            self.out.push('{');
            for (i, (k, v)) in values.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                string(&mut self.out, k);
                self.out.push(':');
                string(&mut self.out, v);
            }
            self.out.push('}');
        }
        self
    }

    /// Pre-rendered JSON (objects, arrays), left out when `None`.
    pub(crate) fn raw(&mut self, key: &str, json: Option<&str>) -> &mut Object {
        if let Some(json) = json {
            self.key(key);
            self.out.push_str(json);
        }
        self
    }

    pub(crate) fn finish(&mut self) -> String {
        self.out.push('}');
        std::mem::take(&mut self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let mut s = String::new();
        string(&mut s, "a <b> & \"c\"\n\u{1}");
        assert_eq!(s, r#""a \u003cb\u003e \u0026 \"c\"\n\u0001""#);
    }

    #[test]
    fn omits_empty_fields() {
        let mut map = BTreeMap::new();
        map.insert("z".to_owned(), "1".to_owned());
        map.insert("a".to_owned(), "2".to_owned());
        let json = Object::new()
            .str("name", "x")
            .str("home", "")
            .flag("deprecated", false)
            .map("annotations", &map)
            .finish();
        assert_eq!(json, r#"{"name":"x","annotations":{"a":"2","z":"1"}}"#);
    }
}
