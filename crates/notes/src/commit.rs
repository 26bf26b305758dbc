//! Commits as the templates see them, and the processing that turns a raw commit into one:
//! preprocessors, conventional parsing, commit parsers (group, scope, skip) and link parsers.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::Value;

use crate::config::{CommitParser, GitConfig, LinkParser, TextProcessor};
use crate::conventional::{self, Conventional};

/// Who wrote or committed a commit, and when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// The name, when it is valid UTF-8.
    pub name: Option<String>,
    /// The email, when it is valid UTF-8.
    pub email: Option<String>,
    /// Seconds since the epoch.
    pub timestamp: i64,
}

/// Lines and files a commit changed (computed only when a template asks for them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CommitStatistics {
    /// Files changed.
    pub files_changed: usize,
    /// Lines added.
    pub additions: usize,
    /// Lines deleted.
    pub deletions: usize,
}

/// A link found in a commit message by a link parser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The text.
    pub text: String,
    /// The target.
    pub href: String,
}

/// A commit.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// The full id.
    pub id: String,
    /// The message (after preprocessing), without trailing whitespace.
    pub message: String,
    /// The conventional parse, when the message is one.
    pub conv: Option<Box<Conventional>>,
    /// The group a commit parser assigned.
    pub group: Option<String>,
    /// The scope used when the commit has none.
    pub default_scope: Option<String>,
    /// The scope a commit parser assigned.
    pub scope: Option<String>,
    /// Links found in the message.
    pub links: Vec<Link>,
    /// The author.
    pub author: Signature,
    /// The committer.
    pub committer: Signature,
    /// Whether it has two or more parents.
    pub merge_commit: bool,
    /// Diff statistics.
    pub statistics: CommitStatistics,
    /// What GitHub says about it (its author's login, its pull request), when GitHub was asked.
    pub github: Option<Box<crate::contributor::RemoteContributor>>,
}

/// Why a commit was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Not a conventional commit, and unconventional commits are filtered.
    NotConventional,
    /// A commit parser said `skip = true`.
    Skipped,
    /// No commit parser matched, and `filter_commits` is on.
    Unmatched,
    /// A commit parser named a field the commit does not have.
    Field,
    /// A preprocessor's command failed.
    Command,
}

impl SkipReason {
    /// What the summary warning calls it.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::NotConventional => "were not conventional commits",
            SkipReason::Skipped => "were skipped by a commit parser",
            SkipReason::Unmatched => "matched no commit parser",
            SkipReason::Field => "named a missing field in a commit parser",
            SkipReason::Command => "failed in a preprocessor command",
        }
    }

    /// Whether git-cliff warns about it (intentional skips are only logged).
    pub fn warns(self) -> bool {
        self != SkipReason::Skipped
    }
}

impl Commit {
    /// The description (conventional) or the whole message.
    pub fn title(&self) -> &str {
        self.conv.as_ref().map_or(&self.message, |c| &c.description)
    }

    /// The group as templates see it: the parser's group, else the conventional type.
    pub fn effective_group(&self) -> Option<&str> {
        self.group.as_deref().or(self.conv.as_ref().map(|c| c.type_.as_str()))
    }

    /// The scope as templates see it.
    pub fn effective_scope(&self) -> Option<&str> {
        self.scope
            .as_deref()
            .or(self.conv.as_ref().and_then(|c| c.scope.as_deref()))
            .or(self.default_scope.as_deref())
    }

    /// Runs one commit through the whole pipeline.
    pub(crate) fn process(&self, config: &GitConfig) -> Result<Commit, SkipReason> {
        let mut commit = self.clone();
        commit.preprocess(&config.commit_preprocessors)?;
        if config.conventional_commits {
            let parsed = conventional::parse(&commit.message).map(Box::new);
            if !config.require_conventional && config.filter_unconventional && !config.split_commits {
                commit.conv = Some(parsed.ok_or(SkipReason::NotConventional)?);
            } else if parsed.is_some() {
                commit.conv = parsed;
            }
        }
        commit.parse(&config.commit_parsers, config.protect_breaking_commits, config.filter_commits)?;
        commit.parse_links(&config.link_parsers);
        Ok(commit)
    }

    fn preprocess(&mut self, preprocessors: &[TextProcessor]) -> Result<(), SkipReason> {
        for processor in preprocessors {
            apply_text_processor(processor, &mut self.message, &[("COMMIT_SHA", &self.id)])
                .map_err(|_| SkipReason::Command)?;
        }
        Ok(())
    }

    fn skip_for(&self, parser: &CommitParser, protect_breaking: bool) -> bool {
        parser.skip.unwrap_or(false) && !(protect_breaking && self.conv.as_ref().is_some_and(|c| c.breaking))
    }

    /// Applies the first matching commit parser.
    fn parse(
        &mut self,
        parsers: &[CommitParser],
        protect_breaking: bool,
        filter: bool,
    ) -> Result<(), SkipReason> {
        match self.match_parser(parsers, protect_breaking)? {
            Matched::Sha(parser) => {
                self.group = parser.group.clone().or(self.group.take());
                self.scope = parser.scope.clone().or(self.scope.take());
                self.default_scope = parser.default_scope.clone().or(self.default_scope.take());
                Ok(())
            }
            Matched::Regex { group, scope, default_scope } => {
                self.group = group;
                self.scope = scope;
                self.default_scope = default_scope;
                Ok(())
            }
            Matched::None if filter => Err(SkipReason::Unmatched),
            Matched::None => Ok(()),
        }
    }

    /// Finds the first parser that matches, without changing the commit.
    fn match_parser<'p>(
        &self,
        parsers: &'p [CommitParser],
        protect_breaking: bool,
    ) -> Result<Matched<'p>, SkipReason> {
        // The commit as a JSON document, for parsers that match a `field`; built only if one does.
        let mut lookup: Option<Value> = None;
        let body = self.conv.as_ref().and_then(|c| c.body.as_deref());
        for parser in parsers {
            let mut checks: Vec<(&regex::Regex, Cow<'_, str>)> = Vec::new();
            if let Some(regex) = &parser.message {
                checks.push((regex, Cow::Borrowed(self.message.as_str())));
            }
            if let Some(regex) = &parser.body {
                checks.push((regex, Cow::Borrowed(body.unwrap_or_default())));
            }
            if let (Some(regex), Some(conv)) = (&parser.footer, &self.conv) {
                checks.extend(conv.footers.iter().map(|f| (regex, Cow::Owned(f.text()))));
            }
            if let (Some(field), Some(regex)) = (&parser.field, &parser.pattern) {
                if field == "body" {
                    // git-cliff treats a missing body as a missing field.
                    checks.push((regex, Cow::Borrowed(body.ok_or(SkipReason::Field)?)));
                } else {
                    let document =
                        lookup.get_or_insert_with(|| serde_json::to_value(self).unwrap_or(Value::Null));
                    let values = field_values(document, field).ok_or(SkipReason::Field)?;
                    checks.extend(values.into_iter().map(|v| (regex, Cow::Owned(v))));
                }
            }
            if parser.sha.as_ref().map(|s| s.to_lowercase()).as_deref() == Some(self.id.as_str()) {
                if self.skip_for(parser, protect_breaking) {
                    return Err(SkipReason::Skipped);
                }
                return Ok(Matched::Sha(parser));
            }
            for (regex, text) in checks {
                if regex.is_match(text.trim()) {
                    if self.skip_for(parser, protect_breaking) {
                        return Err(SkipReason::Skipped);
                    }
                    // As git-cliff does: each match of the regex in the text expands `$n` in the template.
                    let expand = |template: &String| {
                        let mut value = template.clone();
                        for found in regex.find_iter(&text) {
                            value = regex.replace(found.as_str(), value.as_str()).into_owned();
                        }
                        value
                    };
                    return Ok(Matched::Regex {
                        group: parser.group.as_ref().map(expand),
                        scope: parser.scope.as_ref().map(expand),
                        default_scope: parser.default_scope.clone(),
                    });
                }
            }
        }
        Ok(Matched::None)
    }

    fn parse_links(&mut self, parsers: &[LinkParser]) {
        for parser in parsers {
            for found in parser.pattern.find_iter(&self.message) {
                let matched = found.as_str();
                let text = match &parser.text {
                    Some(template) => parser.pattern.replace(matched, template.as_str()).into_owned(),
                    None => matched.to_owned(),
                };
                let href = parser.pattern.replace(matched, parser.href.as_str()).into_owned();
                self.links.push(Link { text, href });
            }
        }
    }
}

/// What the first matching commit parser decided.
enum Matched<'p> {
    /// A parser named this commit's id.
    Sha(&'p CommitParser),
    /// A parser's regex matched: the expanded group and scope.
    Regex { group: Option<String>, scope: Option<String>, default_scope: Option<String> },
    /// No parser matched.
    None,
}

/// The string values at a dotted path of the commit document (`author.name`, `footers`…).
fn field_values(document: &Value, field: &str) -> Option<Vec<String>> {
    let value = field.split('.').try_fold(document, |v, key| v.get(key))?;
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) | Value::Null => Some(v.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => Some(items.iter().filter_map(scalar).collect()),
        Value::Object(_) => None,
        other => scalar(other).map(|s| vec![s]),
    }
}

/// Runs a text processor over `text`: a regex replacement, or a shell command fed the text on stdin.
pub(crate) fn apply_text_processor(
    processor: &TextProcessor,
    text: &mut String,
    env: &[(&str, &str)],
) -> std::io::Result<()> {
    if let Some(replace) = &processor.replace {
        *text = processor.pattern.replace_all(text, replace.as_str()).into_owned();
    } else if let Some(command) = &processor.replace_command
        && processor.pattern.is_match(text)
    {
        use std::io::Write;
        let mut child = std::process::Command::new("sh")
            .args(["-c", command])
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(text.as_bytes())?;
        }
        let output = child.wait_with_output()?;
        if !output.status.success() {
            return Err(std::io::Error::other(format!("`{command}` failed ({})", output.status)));
        }
        *text = String::from_utf8_lossy(&output.stdout).into_owned();
    }
    Ok(())
}

impl Commit {
    /// A commit made from a message alone (git-cliff's `Commit::from(String)`): `<40 hex digits>
    /// <message>` on one line gives the id; otherwise the id is empty.
    pub fn custom(message: &str) -> Commit {
        if let Some((id, rest)) = message.split_at_checked(40)
            && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && let Some(text) = rest.strip_prefix(' ')
            && !text.contains('\n')
        {
            return Commit { id: id.to_owned(), message: text.to_owned(), ..Commit::default() };
        }
        Commit { message: message.to_owned(), ..Commit::default() }
    }
}

/// Empty remote metadata, as git-cliff's templates expect when no forge was queried.
const NO_REMOTE: crate::contributor::RemoteContributor = crate::contributor::RemoteContributor {
    username: None,
    pr_author: None,
    pr_title: None,
    pr_number: None,
    pr_numbers: Vec::new(),
    pr_labels: Vec::new(),
    is_first_time: false,
};

/// The optional commit fields a template reads. Building only those keeps the template context small:
/// git-cliff's full commit object has about thirty entries, and the default template reads five.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fields(u16);

impl Fields {
    const BODY: u16 = 1;
    const FOOTERS: u16 = 1 << 1;
    const BREAKING_DESCRIPTION: u16 = 1 << 2;
    const LINKS: u16 = 1 << 3;
    const AUTHOR: u16 = 1 << 4;
    const COMMITTER: u16 = 1 << 5;
    const CONVENTIONAL: u16 = 1 << 6;
    const MERGE_COMMIT: u16 = 1 << 7;
    const STATISTICS: u16 = 1 << 8;
    const EXTRA: u16 = 1 << 9;
    const REMOTE: u16 = 1 << 10;
    const RAW_MESSAGE: u16 = 1 << 11;
    const NAMES: [(&'static str, u16); 17] = [
        ("body", Fields::BODY),
        ("footers", Fields::FOOTERS),
        ("breaking_description", Fields::BREAKING_DESCRIPTION),
        ("links", Fields::LINKS),
        ("author", Fields::AUTHOR),
        ("committer", Fields::COMMITTER),
        ("conventional", Fields::CONVENTIONAL),
        ("merge_commit", Fields::MERGE_COMMIT),
        ("statistics", Fields::STATISTICS),
        ("extra", Fields::EXTRA),
        ("github", Fields::REMOTE),
        ("gitlab", Fields::REMOTE),
        ("gitea", Fields::REMOTE),
        ("bitbucket", Fields::REMOTE),
        ("azure_devops", Fields::REMOTE),
        ("remote", Fields::REMOTE),
        ("raw_message", Fields::RAW_MESSAGE),
    ];

    /// Every field, as `--context` prints them.
    pub(crate) const ALL: Fields = Fields(u16::MAX);

    /// The fields whose names appear in any of `sources`; all of them if a template dumps whole values.
    pub(crate) fn used_by<'a>(sources: impl IntoIterator<Item = &'a str> + Clone) -> Fields {
        if sources.clone().into_iter().any(|s| s.contains("json_encode") || s.contains("__tera_context")) {
            return Fields::ALL;
        }
        let mut mask = 0;
        for (name, bit) in Fields::NAMES {
            if sources.clone().into_iter().any(|s| s.contains(name)) {
                mask |= bit;
            }
        }
        Fields(mask)
    }

    fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

/// A commit serialized with some of its optional fields.
pub(crate) struct CommitView<'a> {
    pub(crate) commit: &'a Commit,
    pub(crate) fields: Fields,
}

impl Serialize for Commit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CommitView { commit: self, fields: Fields::ALL }.serialize(serializer)
    }
}

impl Serialize for CommitView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct FooterView<'a> {
            token: &'a str,
            separator: &'a str,
            value: &'a str,
            breaking: bool,
        }
        let (c, f) = (self.commit, self.fields);
        let mut s = serializer.serialize_struct("Commit", 17)?;
        s.serialize_field("id", &c.id)?;
        if let Some(conv) = &c.conv {
            s.serialize_field("message", &conv.description)?;
            if f.has(Fields::BODY) {
                s.serialize_field("body", &conv.body)?;
            }
            if f.has(Fields::FOOTERS) {
                let footers: Vec<FooterView<'_>> = conv
                    .footers
                    .iter()
                    .map(|x| FooterView {
                        token: &x.token,
                        separator: x.separator,
                        value: &x.value,
                        breaking: x.breaking(),
                    })
                    .collect();
                s.serialize_field("footers", &footers)?;
            }
            s.serialize_field("group", &c.effective_group())?;
            if f.has(Fields::BREAKING_DESCRIPTION) {
                s.serialize_field("breaking_description", &conv.breaking_description)?;
            }
            s.serialize_field("breaking", &conv.breaking)?;
        } else {
            s.serialize_field("message", &c.message)?;
            s.serialize_field("group", &c.group)?;
        }
        s.serialize_field("scope", &c.effective_scope())?;
        if f.has(Fields::LINKS) {
            s.serialize_field("links", &c.links)?;
        }
        if f.has(Fields::AUTHOR) {
            s.serialize_field("author", &c.author)?;
        }
        if f.has(Fields::COMMITTER) {
            s.serialize_field("committer", &c.committer)?;
        }
        if f.has(Fields::CONVENTIONAL) {
            s.serialize_field("conventional", &c.conv.is_some())?;
        }
        if f.has(Fields::MERGE_COMMIT) {
            s.serialize_field("merge_commit", &c.merge_commit)?;
        }
        if f.has(Fields::STATISTICS) {
            s.serialize_field("statistics", &c.statistics)?;
        }
        if f.has(Fields::EXTRA) {
            s.serialize_field("extra", &None::<()>)?;
        }
        if f.has(Fields::REMOTE) {
            // git-cliff 2.14's forge fields; `remote` only where a forge's data was added.
            s.serialize_field("github", c.github.as_deref().unwrap_or(&NO_REMOTE))?;
            s.serialize_field("gitlab", &NO_REMOTE)?;
            s.serialize_field("gitea", &NO_REMOTE)?;
            s.serialize_field("bitbucket", &NO_REMOTE)?;
            s.serialize_field("azure_devops", &NO_REMOTE)?;
            if let Some(remote) = &c.github {
                s.serialize_field("remote", remote)?;
            }
        }
        if f.has(Fields::RAW_MESSAGE) {
            s.serialize_field("raw_message", &c.message)?;
        }
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn processed(message: &str) -> Result<Commit, SkipReason> {
        let config = Config::default_config();
        Commit { id: "abc".into(), message: message.into(), ..Commit::default() }.process(&config.git)
    }

    #[test]
    fn default_parsers_group_and_skip() {
        let c = processed("feat(api): add search").expect("kept");
        assert_eq!(c.effective_group(), Some("<!-- 0 -->🚀 Features"));
        assert_eq!(c.effective_scope(), Some("api"));
        assert_eq!(processed("chore(deps): bump x").map(|_| ()), Err(SkipReason::Skipped));
        assert_eq!(processed("Not conventional").map(|_| ()), Err(SkipReason::NotConventional));
        let security = processed("fix: escape output\n\nCloses a security hole").expect("kept");
        assert_eq!(security.effective_group(), Some("<!-- 1 -->🐛 Bug Fixes"), "message parsers come first");
        let other = processed("build: bump ci image\n\nsecurity fix").expect("kept");
        assert_eq!(other.effective_group(), Some("<!-- 8 -->🛡️ Security"));
    }

    #[test]
    fn capture_groups_expand_in_groups_and_fields_match() {
        let mut config = Config::default_config();
        config.git.commit_parsers = vec![
            CommitParser {
                field: Some("author.name".into()),
                pattern: regex::Regex::new("^Bot$").ok(),
                skip: Some(true),
                ..CommitParser::default()
            },
            CommitParser {
                message: regex::Regex::new(r"^(\w+)\((\w+)\)").ok(),
                group: Some("$1 in $2".into()),
                ..CommitParser::default()
            },
        ];
        let commit = Commit { id: "a".into(), message: "feat(api): x".into(), ..Commit::default() };
        assert_eq!(commit.process(&config.git).expect("kept").effective_group(), Some("feat in api"));
        let bot = Commit {
            id: "b".into(),
            message: "feat(api): x".into(),
            author: Signature { name: Some("Bot".into()), ..Signature::default() },
            ..Commit::default()
        };
        assert_eq!(bot.process(&config.git).map(|_| ()), Err(SkipReason::Skipped));
    }
}
