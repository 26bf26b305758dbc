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
    let start = offsets.byte(span.start.index());
    let mut end = offsets.byte(span.end.index()).max(start);
    if style == Style::Plain {
        // Plain scalars end at their last non-blank character.
        end = start + offsets.source[start..end].trim_end().len();
    }
    Node {
        value: NodeValue::Scalar { text, style },
        span: start..end,
        line: span.start.line(),
        column: span.start.col() + 1,
    }
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
    fn empty_document_is_an_empty_mapping() {
        assert_eq!(parse("# only a comment\n").expect("valid").entries().map(<[_]>::len), Some(0));
    }
}
