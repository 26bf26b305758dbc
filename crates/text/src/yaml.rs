//! A small YAML document tree with byte spans, for reading Chart.yaml and editing it in place.
//!
//! Built on `saphyr-parser`'s event stream. Every scalar keeps its style and the byte range of its
//! text in the source, so a value can be replaced without touching the rest of the file: comments,
//! key order, indentation and quote style all stay.

use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A YAML node with its location in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// What the node holds.
    pub value: NodeValue,
    /// Byte range of the node in the source; for quoted scalars it includes the quotes.
    pub span: Range<usize>,
    /// 1-based line of the node's first byte.
    pub line: usize,
    /// 1-based column (in characters) of the node's first byte.
    pub column: usize,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeValue {
    /// A scalar and how it was written.
    Scalar {
        /// The scalar's text after unquoting.
        text: String,
        /// How it was written.
        style: Style,
    },
    /// A sequence of nodes.
    Sequence(Vec<Node>),
    /// A mapping, in source order. Keys are scalars.
    Mapping(Vec<(Node, Node)>),
    /// An alias (`*name`). Its target is not resolved.
    Alias,
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Style {
    /// `value`
    Plain,
    /// `'value'`
    SingleQuoted,
    /// `"value"`
    DoubleQuoted,
    /// `|` or `>` block scalars.
    Block,
}

/// A YAML syntax error with its location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What the parser said.
    pub message: String,
}

impl Node {
    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The value for `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Mapping(entries) => {
                entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// The scalar style, if this is a scalar.
    pub fn style(&self) -> Option<Style> {
        match &self.value {
            NodeValue::Scalar { style, .. } => Some(*style),
            _ => None,
        }
    }
}

/// Parses the first document of `source`. An empty document is an empty mapping.
pub fn parse(source: &str) -> Result<Node, YamlError> {
    let offsets = CharOffsets::new(source);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut parser = Parser::new_from_str(source);
    let mut documents = 0;
    for event in &mut parser {
        let (event, span) = event.map_err(|e| YamlError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_owned(),
        })?;
        let node = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    break;
                }
                continue;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
            Event::MappingStart(..) => {
                stack.push(Frame { start: span, kind: FrameKind::Mapping(Vec::new(), None, HashMap::new()) });
                continue;
            }
            Event::SequenceStart(..) => {
                stack.push(Frame { start: span, kind: FrameKind::Sequence(Vec::new()) });
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let frame = stack.pop().ok_or_else(|| YamlError {
                    line: span.start.line(),
                    column: span.start.col() + 1,
                    message: "unbalanced collection end".to_owned(),
                })?;
                let value = match frame.kind {
                    FrameKind::Mapping(entries, _, _) => NodeValue::Mapping(entries),
                    FrameKind::Sequence(items) => NodeValue::Sequence(items),
                };
                let start = offsets.byte(frame.start.start.index());
                let end = offsets.byte(span.end.index()).max(start);
                Node {
                    value,
                    span: start..end,
                    line: frame.start.start.line(),
                    column: frame.start.start.col() + 1,
                }
            }
            Event::Scalar(text, style, ..) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    _ => Style::Block,
                };
                scalar_node(text.into_owned(), style, span, &offsets)
            }
            Event::Alias(_) => Node {
                value: NodeValue::Alias,
                span: offsets.byte(span.start.index())..offsets.byte(span.end.index()),
                line: span.start.line(),
                column: span.start.col() + 1,
            },
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame { kind: FrameKind::Sequence(items), .. }) => items.push(node),
            Some(Frame { kind: FrameKind::Mapping(entries, pending, seen), .. }) => match pending.take() {
                None => {
                    // YAML requires unique keys; readers disagree on which duplicate wins (PyYAML and Helm
                    // take the last, a first-match lookup the first), so a duplicate is an error.
                    if let Some(text) = node.as_str() {
                        if let Some(first) = seen.get(text) {
                            return Err(YamlError {
                                line: node.line,
                                column: node.column,
                                message: format!(
                                    "duplicate key `{}` (first at line {first}, again at line {})",
                                    text.chars().take(100).flat_map(char::escape_debug).collect::<String>(),
                                    node.line
                                ),
                            });
                        }
                        seen.insert(text.to_owned(), node.line);
                    }
                    *pending = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
        }
    }
    Ok(root.unwrap_or(Node { value: NodeValue::Mapping(Vec::new()), span: 0..0, line: 1, column: 1 }))
}

fn scalar_node(text: String, style: Style, span: Span, offsets: &CharOffsets) -> Node {
    let end = offsets.byte(span.end.index());
    let start = after_properties(offsets.source, offsets.byte(span.start.index()).min(end));
    let mut end = end.max(start);
    let source = offsets.source;
    match style {
        // An empty plain scalar (a key without a value in a flow mapping) has an empty span, not the
        // `}` or `,` the parser points at; a one-line plain scalar is its text, verbatim.
        Style::Plain if text.is_empty() => end = start,
        Style::Plain if source[start..].starts_with(text.as_str()) => end = start + text.len(),
        // A folded (multi-line) plain scalar ends at its last non-blank character; only YAML's blanks
        // and breaks count (`\x0c` and other Unicode spaces are content).
        Style::Plain => end = start + source[start..end].trim_end_matches([' ', '\t', '\r', '\n']).len(),
        // A quoted scalar ends at its closing quote, whatever the parser's span takes in after it.
        Style::SingleQuoted | Style::DoubleQuoted => end = closing_quote(source, start, style).unwrap_or(end),
        Style::Block => {}
    }
    Node {
        value: NodeValue::Scalar { text, style },
        span: start..end,
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// One past the closing quote of the quoted scalar at `start` (`''` escapes `'`; `\` escapes in `"`).
fn closing_quote(source: &str, start: usize, style: Style) -> Option<usize> {
    let bytes = source.as_bytes();
    let quote = if style == Style::SingleQuoted { b'\'' } else { b'"' };
    if bytes.get(start) != Some(&quote) {
        return None;
    }
    let mut at = start + 1;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'\\' if quote == b'"' => at += 2,
            b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') => at += 2,
            b if b == quote => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

/// Where a node's content begins: past its properties (`&anchor`, `!tag`), which the parser's span
/// includes. No content starts with `&` or `!`, so anything there is a property.
fn after_properties(source: &str, mut at: usize) -> usize {
    let bytes = source.as_bytes();
    let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while matches!(bytes.get(at), Some(b'&' | b'!')) {
        while bytes.get(at).is_some_and(|&b| !blank(b)) {
            at += 1;
        }
        loop {
            while bytes.get(at).copied().is_some_and(blank) {
                at += 1;
            }
            // A comment after the properties, up to the end of its line.
            if bytes.get(at) == Some(&b'#') {
                while bytes.get(at).is_some_and(|&b| b != b'\n' && b != b'\r') {
                    at += 1;
                }
            } else {
                break;
            }
        }
    }
    at
}

struct Frame {
    start: Span,
    kind: FrameKind,
}

enum FrameKind {
    /// The entries so far, a key waiting for its value, and the scalar keys seen (with their lines).
    Mapping(Vec<(Node, Node)>, Option<Node>, HashMap<String, usize>),
    Sequence(Vec<Node>),
}

/// Maps saphyr's character indices to byte offsets.
struct CharOffsets<'a> {
    source: &'a str,
    /// Byte offset of each character, plus one past the end; empty when the source is ASCII.
    table: Vec<usize>,
}

impl<'a> CharOffsets<'a> {
    fn new(source: &'a str) -> CharOffsets<'a> {
        let table = if source.is_ascii() {
            Vec::new()
        } else {
            source.char_indices().map(|(i, _)| i).chain(std::iter::once(source.len())).collect()
        };
        CharOffsets { source, table }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.source.len())
        } else {
            self.table.get(char_index).copied().unwrap_or(self.source.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHART: &str = "# A chart\napiVersion: v2\nname: advisoryhub # the name\n\
        description: \"Ünïcode description\"\nversion: 0.1.0   # bumped by release\n\
        appVersion: '0.1.0'\nmaintainers:\n  - name: A\n    email: a@example.com\n";

    #[test]
    fn scalars_keep_their_span_and_style() {
        let doc = parse(CHART).expect("valid yaml");
        let version = doc.get("version").expect("version");
        assert_eq!(&CHART[version.span.clone()], "0.1.0");
        assert_eq!(version.line, 5);
        assert_eq!(version.style(), Some(Style::Plain));
        let app = doc.get("appVersion").expect("appVersion");
        assert_eq!(&CHART[app.span.clone()], "'0.1.0'");
        assert_eq!(app.as_str(), Some("0.1.0"));
        assert_eq!(app.style(), Some(Style::SingleQuoted));
        let description = doc.get("description").expect("description");
        assert_eq!(&CHART[description.span.clone()], "\"Ünïcode description\"");
        let maintainers = doc.get("maintainers").and_then(Node::items).expect("maintainers");
        assert_eq!(maintainers[0].get("email").and_then(Node::as_str), Some("a@example.com"));
    }

    #[test]
    fn syntax_errors_carry_the_location() {
        let err = parse("name: a\nversion: [1.0\n").expect_err("unterminated flow sequence");
        assert!(err.line >= 2, "{err}");
        let err = parse("a: 'x\n").expect_err("unterminated quote");
        assert_eq!(err.line, 1, "{err}");
    }

    #[test]
    fn duplicate_keys_are_errors_naming_both_lines() {
        let err = parse("name: a\nversion: 0.4.1\nappVersion: x\nversion: 9.9.9\n").expect_err("duplicate");
        assert_eq!((err.line, err.column), (4, 1));
        assert_eq!(err.message, "duplicate key `version` (first at line 2, again at line 4)");
        let nested = parse("a:\n  b: 1\n  b: 2\nc:\n  b: 3\n").expect_err("nested duplicate");
        assert_eq!(nested.line, 3, "{nested}");
        assert!(parse("a:\n  b: 1\nc:\n  b: 2\n").is_ok(), "the same key in different mappings is fine");
    }

    #[test]
    fn a_quoted_scalar_ends_at_its_quote_even_at_the_end_of_the_input() {
        // Found by the chart_yaml fuzz target: a bump would have written `'1.3.0 ` here.
        let text = "appVersion: 'v1.2.0' ";
        let value = parse(text).expect("valid").get("appVersion").cloned().expect("appVersion");
        assert_eq!(&text[value.span.clone()], "'v1.2.0'");
    }

    #[test]
    fn a_form_feed_is_part_of_a_plain_scalar() {
        // Found by the chart_yaml fuzz target: Rust's `trim_end` took it for a blank.
        let text = "key\u{c}: value";
        let doc = parse(text).expect("valid");
        let (key, _) = &doc.entries().expect("a mapping")[0];
        assert_eq!((key.as_str(), &text[key.span.clone()]), (Some("key\u{c}"), "key\u{c}"));
    }

    #[test]
    fn anchors_and_tags_are_not_part_of_a_scalars_span() {
        // Found by the chart_yaml fuzz target: a bump would have dropped `&v` (and `!!str`).
        let text = "version: &v 0.1.0\nappVersion: !!str '0.1.0'\nother: *v\nlast: &w # note\r  0.2.0\n";
        let doc = parse(text).expect("valid");
        for (key, source) in [("version", "0.1.0"), ("appVersion", "'0.1.0'"), ("last", "0.2.0")] {
            let node = doc.get(key).expect(key);
            assert_eq!(&text[node.span.clone()], source, "{key}");
        }
    }

    #[test]
    fn quoted_scalars_end_at_their_closing_quote() {
        // Found by the chart_yaml fuzz target: the parser's span ran over a comment after the quote.
        for (text, source) in [
            (":\t \"flow\"\t#: ", "\"flow\""),
            ("a: 'it''s' # x", "'it''s'"),
            ("a: \"q\\\"x\" #", "\"q\\\"x\""),
        ] {
            let doc = parse(text).expect(text);
            let (_, value) = &doc.entries().expect("a mapping")[0];
            assert_eq!(&text[value.span.clone()], source, "{text:?}");
        }
    }

    #[test]
    fn an_empty_plain_scalar_has_an_empty_span() {
        // Found by the chart_yaml fuzz target: the value of `b` in a flow mapping spanned the `}`.
        let text = "m: {a: x, b}\n";
        let doc = parse(text).expect("valid");
        let (_, value) = &doc.get("m").and_then(Node::entries).expect("a mapping")[1];
        assert_eq!((value.as_str(), &text[value.span.clone()]), (Some(""), ""));
    }

    #[test]
    fn empty_document_is_an_empty_mapping() {
        assert_eq!(parse("# only a comment\n").expect("valid").entries().map(<[_]>::len), Some(0));
    }
}
