//! Chart.yaml: the YAML span parser (every span inside the text, on character boundaries, a one-line
//! plain scalar's span exactly its text, a quoted one's from quote to quote), Helm's metadata rules,
//! and the bump oracle (a Chart.yaml that reads must bump and read back as the new version).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tagwright_fuzz::{bump_reads_back, fresh_repo, write};
use tagwright_oci_publish::chart::ChartMetadata;
use tagwright_text::yaml::{self, Node, NodeValue, Style};

fn check(node: &Node, text: &str) {
    let span = node.span.clone();
    assert!(span.start <= span.end && span.end <= text.len(), "{span:?} in {} bytes", text.len());
    assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
    let source = &text[span];
    match &node.value {
        NodeValue::Scalar { text: value, style: Style::Plain } if !source.contains(['\n', '\r']) => {
            assert_eq!(source, value, "a plain scalar's span is its text");
        }
        NodeValue::Scalar { style: Style::SingleQuoted, .. } if !source.is_empty() => {
            assert!(source.starts_with('\'') && source.ends_with('\''), "{source:?}");
        }
        NodeValue::Scalar { style: Style::DoubleQuoted, .. } if !source.is_empty() => {
            assert!(source.starts_with('"') && source.ends_with('"'), "{source:?}");
        }
        NodeValue::Sequence(items) => items.iter().for_each(|item| check(item, text)),
        NodeValue::Mapping(entries) => entries.iter().for_each(|(k, v)| {
            check(k, text);
            check(v, text);
        }),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(node) = yaml::parse(text) {
        check(&node, text);
    }
    if let Ok(meta) = ChartMetadata::parse(text, Path::new("Chart.yaml")) {
        assert!(tagwright_oci_publish::chart::check_name(&meta.name).is_ok());
        let _ = meta.config_json();
    }
    let repo = fresh_repo();
    write(&repo, &[("Chart.yaml", data)]);
    bump_reads_back(&repo);
});
