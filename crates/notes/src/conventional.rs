//! Conventional Commits, parsed with the grammar git-cliff uses (the `git-conventional` crate's).
//!
//! ```text
//! <message> ::= <summary> (<newline> | EOF) <newline>* [<body>] <footer>* <newline>*
//! <summary> ::= <type> ["(" <scope> ")"] ["!"] ":" <whitespace>* <text>
//! <footer>  ::= <token> <separator> <whitespace>* <value>
//! <token>   ::= "BREAKING CHANGE" | <type>
//! <separator> ::= ":" | " #"
//! ```
//!
//! The body runs until a line that follows an empty line and starts like a footer. A footer's value runs
//! until the next line that starts like a footer. A commit is breaking when its summary has `!` or a
//! footer's token is `BREAKING CHANGE` or `BREAKING-CHANGE` (case-insensitively).

/// A parsed conventional commit. Every part is owned, so it outlives the message it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional {
    /// `feat`, `fix`, …
    pub type_: String,
    /// The scope between parentheses.
    pub scope: Option<String>,
    /// The text after `type(scope): `.
    pub description: String,
    /// The body, without trailing whitespace.
    pub body: Option<String>,
    /// Whether the commit declares a breaking change.
    pub breaking: bool,
    /// The `BREAKING CHANGE` footer's value, else the description when the summary has `!`.
    pub breaking_description: Option<String>,
    /// The footers, in order.
    pub footers: Vec<Footer>,
}

/// A conventional-commit footer, such as `Refs: #12` or `Fixes #12`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    /// `Refs`, `BREAKING CHANGE`, …
    pub token: String,
    /// `:` or ` #`.
    pub separator: &'static str,
    /// The value, without trailing whitespace.
    pub value: String,
}

impl Footer {
    /// Whether the token announces a breaking change.
    pub fn breaking(&self) -> bool {
        is_breaking_token(&self.token)
    }

    /// `token` + `separator` + `value`, the text commit parsers' `footer` regexes match.
    pub fn text(&self) -> String {
        format!("{}{}{}", self.token, self.separator, self.value)
    }
}

fn is_breaking_token(token: &str) -> bool {
    token.eq_ignore_ascii_case("BREAKING CHANGE") || token.eq_ignore_ascii_case("BREAKING-CHANGE")
}

fn is_line_ending(c: char) -> bool {
    c == '\n' || c == '\r'
}

/// `<type>`: one or more characters that are not a newline, a parenthesis, `:`, `!` or whitespace.
fn take_type(s: &str) -> Option<(&str, &str)> {
    let end = s.find(|c: char| {
        is_line_ending(c) || c == '(' || c == ')' || c == ':' || c == '!' || c.is_whitespace()
    });
    let end = end.unwrap_or(s.len());
    (end > 0).then(|| s.split_at(end))
}

/// `<token> <separator>` at the start of `line`: what makes a line start a footer.
fn footer_start(line: &str) -> Option<(&str, &'static str, &str)> {
    let (token, rest) = match line.strip_prefix("BREAKING CHANGE") {
        Some(rest) => (&line[..15], rest),
        None => take_type(line)?,
    };
    if let Some(rest) = rest.strip_prefix(':') {
        Some((token, ":", rest))
    } else {
        rest.strip_prefix(" #").map(|rest| (token, " #", rest))
    }
}

/// Lines with their terminators.
fn lines_with_terminator(s: &str) -> impl Iterator<Item = &str> {
    s.split_inclusive('\n')
}

/// `\n` or `\r\n`.
fn strip_line_ending(s: &str) -> Option<&str> {
    s.strip_prefix('\n').or_else(|| s.strip_prefix("\r\n"))
}

fn skip_line_endings(mut s: &str) -> &str {
    while let Some(rest) = strip_line_ending(s) {
        s = rest;
    }
    s
}

/// Parses a commit message; `None` when it is not a conventional commit.
pub fn parse(message: &str) -> Option<Conventional> {
    // Summary.
    let (type_, mut rest) = take_type(message)?;
    let mut scope = None;
    if let Some(after) = rest.strip_prefix('(') {
        let end = after.find(|c: char| is_line_ending(c) || c == '(' || c == ')').unwrap_or(after.len());
        if end == 0 || !after[end..].starts_with(')') {
            return None;
        }
        scope = Some(&after[..end]);
        rest = &after[end + 1..];
    }
    let bang = rest.starts_with('!');
    if bang {
        rest = &rest[1..];
    }
    rest = rest.strip_prefix(':')?;
    rest = rest.trim_start_matches(char::is_whitespace);
    let text_end = rest.find(is_line_ending).unwrap_or(rest.len());
    if text_end == 0 {
        return None;
    }
    let description = &rest[..text_end];
    rest = &rest[text_end..];
    // The summary ends the input or a line; the next thing is a blank line or the end.
    if !rest.is_empty() {
        rest = strip_line_ending(rest)?;
        if !rest.is_empty() {
            rest = strip_line_ending(rest)?;
        }
    }
    rest = skip_line_endings(rest);

    // Body: up to a footer-like line that follows an empty line.
    let mut body = None;
    if !rest.is_empty() {
        let mut offset = 0;
        let mut prior_is_empty = true;
        for line in lines_with_terminator(rest) {
            if prior_is_empty && footer_start(line.trim_end()).is_some() {
                break;
            }
            prior_is_empty = line.trim().is_empty();
            offset += line.len();
        }
        if offset > 0 {
            body = Some(rest[..offset].trim_end());
            rest = &rest[offset..];
        }
    }

    // Footers.
    let mut footers = Vec::new();
    while let Some((token, separator, after)) = footer_start(rest) {
        let value_input = after.trim_start_matches(char::is_whitespace);
        if value_input.is_empty() {
            return None; // A footer needs a value; git-conventional rejects the whole message.
        }
        let mut offset = 0;
        for (i, line) in lines_with_terminator(value_input).enumerate() {
            if i > 0 && footer_start(line.trim_end()).is_some() {
                break;
            }
            offset += line.len();
        }
        footers.push(Footer {
            token: token.to_owned(),
            separator,
            value: value_input[..offset].trim_end().to_owned(),
        });
        rest = &value_input[offset..];
    }
    rest = skip_line_endings(rest);
    if !rest.is_empty() {
        return None;
    }

    let breaking_description = footers
        .iter()
        .find(|f| is_breaking_token(&f.token))
        .map(|f| f.value.clone())
        .or_else(|| bang.then(|| description.to_owned()));
    Some(Conventional {
        type_: type_.to_owned(),
        scope: scope.map(str::to_owned),
        description: description.to_owned(),
        body: body.map(str::to_owned),
        breaking: breaking_description.is_some(),
        breaking_description,
        footers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let c = parse("feat(cli)!: rename --out to --output").expect("conventional");
        assert_eq!((c.type_.as_str(), c.scope.as_deref()), ("feat", Some("cli")));
        assert_eq!(c.description, "rename --out to --output");
        assert!(c.breaking);
        assert_eq!(c.breaking_description.as_deref(), Some("rename --out to --output"));
        assert!(parse("Hello World").is_none());
        assert!(parse("fix Improved error messages\n").is_none());
        assert!(parse("feat(): empty scope").is_none());
        assert!(parse("feat: ").is_none());
        assert!(parse("feat: x\nno blank line").is_none(), "the body must follow a blank line");
        assert_eq!(parse("feat:no space").expect("ok").description, "no space");
    }

    #[test]
    fn bodies_and_footers() {
        let c = parse(
            "refactor: split module\n\nThe module was too big.\nIt is two now.\n\nBREAKING CHANGE: the API moved\nRefs #12\nSigned-off-by: A <a@b.c>",
        )
        .expect("conventional");
        assert_eq!(c.body.as_deref(), Some("The module was too big.\nIt is two now."));
        assert_eq!(c.footers.len(), 3);
        assert_eq!(c.footers[0].text(), "BREAKING CHANGE:the API moved");
        assert_eq!(
            (c.footers[1].token.as_str(), c.footers[1].separator, c.footers[1].value.as_str()),
            ("Refs", " #", "12")
        );
        assert!(c.breaking);
        assert_eq!(c.breaking_description.as_deref(), Some("the API moved"));
        let multiline = parse("fix: x\n\nToken: first\n  continued\nOther: y").expect("conventional");
        assert_eq!(multiline.footers[0].value, "first\n  continued");
        assert!(parse("fix: x\n\nToken:").is_none(), "a footer without a value");
        let arrow = parse("fix: x\n\nbreaking-change: yes").expect("conventional");
        assert!(arrow.breaking);
        let body_only = parse("docs: x\n\nSee https://example.com for more").expect("conventional");
        assert_eq!(body_only.body.as_deref(), Some("See https://example.com for more"));
    }
}
