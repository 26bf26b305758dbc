//! Tera templates with the filters git-cliff registers, rendered as git-cliff renders them.
//!
//! Registered on top of Tera's core filters: `upper_first`, `split_regex`, `replace_regex`, `find_regex`,
//! `commit_groups`, `group_by_scope`, and `date` (Tera's own `date` needs its `builtins` feature and the
//! time-zone database; this one formats timestamps and RFC 3339 strings in UTC, as git-cliff's templates
//! use it).
//!
//! One deliberate difference from git-cliff: `get_env` never reads a credential. Notes are rendered
//! where release credentials live and are then published, so a variable whose name looks like one
//! ([`is_credential_name`]) renders empty, and the template remembers its name for a warning.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use regex::Regex;
use serde_json::{Map, Value, json};
use tera::{Context, Tera};

use crate::commit::apply_text_processor;
use crate::config::TextProcessor;

/// Why a template could not be parsed or rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The template does not parse.
    #[error("the {name} template does not parse: {message}")]
    Parse {
        /// `header`, `body` or `footer`.
        name: String,
        /// What Tera said.
        message: String,
    },
    /// Rendering failed.
    #[error("rendering the {name} template failed: {message}")]
    Render {
        /// `header`, `body` or `footer`.
        name: String,
        /// What Tera said, with its causes.
        message: String,
    },
    /// A postprocessor failed.
    #[error("a postprocessor failed: {0}")]
    Postprocess(String),
}

/// A parsed template.
#[derive(Debug)]
pub(crate) struct Template {
    name: String,
    tera: Tera,
    source: String,
    /// Credential-like variables `get_env` was asked for, and rendered empty.
    refused: Arc<Mutex<BTreeSet<String>>>,
}

/// Whether `get_env` refuses to read the environment variable `name`: its name contains `TOKEN`,
/// `SECRET`, `PASSWORD` or `KEY` (in any case; `ACTIONS_ID_TOKEN_*` among them).
pub(crate) fn is_credential_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["TOKEN", "SECRET", "PASSWORD", "KEY"].iter().any(|word| upper.contains(word))
}

/// Tera's `get_env(name, default)`, except that a credential-like variable renders empty and its name
/// joins `refused`.
fn get_env(refused: &Mutex<BTreeSet<String>>, args: &Args) -> tera::Result<Value> {
    let name = match args.get("name") {
        Some(Value::String(name)) => name,
        Some(other) => {
            return Err(tera::Error::msg(format!(
                "Function `get_env` received name={other} but `name` can only be a string"
            )));
        }
        None => return Err(tera::Error::msg("Function `get_env` didn't receive a `name` argument")),
    };
    if is_credential_name(name) {
        refused.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.clone());
        return Ok(Value::String(String::new()));
    }
    match std::env::var(name) {
        Ok(value) => Ok(Value::String(value)),
        Err(_) => args
            .get("default")
            .cloned()
            .ok_or_else(|| tera::Error::msg(format!("Environment variable `{name}` not found"))),
    }
}

/// `text` with every string literal blanked out.
fn unquoted(text: &str) -> String {
    let mut unquoted = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => {
                quote = Some(c);
                unquoted.push(' ');
            }
            None => unquoted.push(c),
        }
    }
    unquoted
}

impl Template {
    /// Parses `content`; with `trim`, every line is trimmed first, as git-cliff does.
    pub(crate) fn new(name: &str, content: &str, trim: bool) -> Result<Template, TemplateError> {
        let content = if trim {
            content.lines().map(str::trim).collect::<Vec<_>>().join("\n")
        } else {
            content.to_owned()
        };
        let mut tera = Tera::default();
        tera.add_raw_template(name, &content).map_err(|e| TemplateError::Parse {
            name: name.to_owned(),
            message: tagwright_text::error_chain(&e),
        })?;
        tera.register_filter("upper_first", upper_first);
        tera.register_filter("split_regex", split_regex);
        tera.register_filter("replace_regex", replace_regex);
        tera.register_filter("find_regex", find_regex);
        tera.register_filter("commit_groups", commit_groups);
        tera.register_filter("group_by_scope", group_by_scope);
        tera.register_filter("date", date);
        let refused = Arc::new(Mutex::new(BTreeSet::new()));
        let asked = Arc::clone(&refused);
        tera.register_function("get_env", move |args: &Args| get_env(&asked, args));
        Ok(Template { name: name.to_owned(), tera, source: content, refused })
    }

    /// The credential-like variables `get_env` was asked for so far (and rendered empty).
    pub(crate) fn refused_env(&self) -> Vec<String> {
        self.refused.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().cloned().collect()
    }

    /// The template text (after trimming).
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether the template mentions `word` (used to skip building context it never reads).
    pub(crate) fn mentions(&self, word: &str) -> bool {
        self.source.contains(word)
    }

    /// Whether the template reads the variable `name` as git-cliff 2.14 finds its variables: in
    /// `{{ … }}` expressions and in the expressions of `for`, `if` and `elif` tags (not in `set`,
    /// comments or string literals).
    pub(crate) fn reads_variable(&self, name: &str) -> bool {
        self.expressions().iter().any(|inner| {
            unquoted(inner).split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|token| token == name)
        })
    }

    /// Whether a variable path the template reads (in the same places as [`Template::reads_variable`])
    /// starts with one of `prefixes`, as git-cliff's `contains_variable` decides whether to ask a
    /// forge (`github` matches `github.contributors`, `commit.remote` matches `commit.remote.username`).
    pub(crate) fn reads_path_starting_with(&self, prefixes: &[&str]) -> bool {
        self.expressions().iter().any(|inner| {
            unquoted(inner)
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .any(|path| prefixes.iter().any(|p| path.starts_with(p)))
        })
    }

    /// The expressions git-cliff collects variables from: `{{ … }}` and `for`, `if` and `elif` tags.
    fn expressions(&self) -> Vec<&str> {
        let mut found = Vec::new();
        let mut rest = self.source.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open..];
            let (close, kind) = match after.get(..2) {
                Some("{{") => ("}}", "expr"),
                Some("{%") => ("%}", "tag"),
                _ => {
                    rest = &after[1..];
                    continue;
                }
            };
            let Some(end) = after[2..].find(close) else { break };
            let inner = after[2..2 + end].trim_matches(['-', ' ', '\n', '\t']);
            let keyword = inner.split_whitespace().next().unwrap_or_default();
            if kind == "expr" || matches!(keyword, "for" | "if" | "elif") {
                found.push(inner);
            }
            rest = &after[2 + end + 2..];
        }
        found
    }

    /// Renders with `context`, then runs the postprocessors over the result.
    pub(crate) fn render(
        &self,
        context: Value,
        postprocessors: &[TextProcessor],
    ) -> Result<String, TemplateError> {
        let context = Context::from_value(context).map_err(|e| TemplateError::Render {
            name: self.name.clone(),
            message: tagwright_text::error_chain(&e),
        })?;
        let mut out = self.tera.render(&self.name, &context).map_err(|e| TemplateError::Render {
            name: self.name.clone(),
            message: tagwright_text::error_chain(&e),
        })?;
        for processor in postprocessors {
            apply_text_processor(processor, &mut out, &[])
                .map_err(|e| TemplateError::Postprocess(e.to_string()))?;
        }
        Ok(out)
    }
}

type Args = HashMap<String, Value>;

fn string_arg(filter: &str, args: &Args, name: &str) -> tera::Result<String> {
    match args.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => {
            Err(tera::Error::msg(format!("Filter `{filter}` received `{name}` = {other}, not a string")))
        }
        None => Err(tera::Error::msg(format!("Filter `{filter}` expected an arg called `{name}`"))),
    }
}

fn string_value(filter: &str, value: &Value) -> tera::Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(tera::Error::msg(format!("Filter `{filter}` was called on {other}, not a string"))),
    }
}

fn regex_arg(filter: &str, pattern: &str) -> tera::Result<Regex> {
    Regex::new(pattern)
        .map_err(|e| tera::Error::msg(format!("Filter `{filter}` received an invalid regex pattern: {e}")))
}

fn upper_first(value: &Value, _: &Args) -> tera::Result<Value> {
    let s = string_value("upper_first", value)?;
    let mut chars = s.chars();
    Ok(Value::String(match chars.next() {
        None => String::new(),
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
    }))
}

fn replace_regex(value: &Value, args: &Args) -> tera::Result<Value> {
    let s = string_value("replace_regex", value)?;
    let from = string_arg("replace_regex", args, "from")?;
    let to = string_arg("replace_regex", args, "to")?;
    Ok(Value::String(regex_arg("replace_regex", &from)?.replace_all(&s, to.as_str()).into_owned()))
}

/// `\n` and `\t` written literally in a template argument mean the characters.
fn unescape_pattern(pattern: &str) -> String {
    pattern.replace("\\n", "\n").replace("\\t", "\t")
}

fn find_regex(value: &Value, args: &Args) -> tera::Result<Value> {
    let s = string_value("find_regex", value)?;
    let re = regex_arg("find_regex", &unescape_pattern(&string_arg("find_regex", args, "pat")?))?;
    Ok(Value::Array(re.find_iter(&s).map(|m| Value::String(m.as_str().to_owned())).collect()))
}

fn split_regex(value: &Value, args: &Args) -> tera::Result<Value> {
    let s = string_value("split_regex", value)?;
    let re = regex_arg("split_regex", &unescape_pattern(&string_arg("split_regex", args, "pat")?))?;
    Ok(Value::Array(re.split(&s).map(|p| Value::String(p.to_owned())).collect()))
}

/// Groups commits by `group`, in first-appearance order, or in the order of `groups` when given.
fn commit_groups(value: &Value, args: &Args) -> tera::Result<Value> {
    let Value::Array(commits) = value else {
        return Err(tera::Error::msg("Filter `commit_groups` was called on a value that is not an array"));
    };
    let priority: Option<HashMap<String, usize>> = match args.get("groups") {
        Some(Value::Array(groups)) => {
            let mut map = HashMap::new();
            for (i, g) in groups.iter().enumerate() {
                if let Value::String(name) = g {
                    map.entry(name.clone()).or_insert(i);
                }
            }
            Some(map)
        }
        Some(_) => {
            return Err(tera::Error::msg(
                "Filter `commit_groups` expected `groups` to be an array of strings",
            ));
        }
        None => None,
    };
    let mut order: Vec<String> = Vec::new();
    let mut grouped: HashMap<String, Vec<Value>> = HashMap::new();
    for commit in commits {
        let key = match commit.get("group") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => continue,
            Some(other) => other.to_string(),
        };
        grouped
            .entry(key.clone())
            .or_insert_with(|| {
                order.push(key);
                Vec::new()
            })
            .push(commit.clone());
    }
    if let Some(priority) = &priority {
        let unlisted = priority.len();
        order.sort_by_key(|g| priority.get(g).copied().unwrap_or(unlisted));
    }
    Ok(Value::Array(
        order
            .into_iter()
            .map(|group| {
                let commits = grouped.remove(&group).unwrap_or_default();
                json!({ "group": group, "commits": commits })
            })
            .collect(),
    ))
}

/// Groups releases by the major, minor (default) or patch part of their version.
fn group_by_scope(value: &Value, args: &Args) -> tera::Result<Value> {
    let Value::Array(releases) = value else {
        return Err(tera::Error::msg("Filter `group_by_scope` was called on a value that is not an array"));
    };
    let scope = match args.get("scope") {
        Some(Value::String(s)) => s.clone(),
        None => "minor".to_owned(),
        Some(_) => return Err(tera::Error::msg("Filter `group_by_scope` expected `scope` to be a string")),
    };
    if !matches!(scope.as_str(), "major" | "minor" | "patch") {
        return Err(tera::Error::msg(
            "Filter `group_by_scope` expected `scope` to be `major`, `minor`, or `patch`",
        ));
    }
    let prefix = match args.get("prefix") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let mut grouped = Map::new();
    for release in releases {
        let key = match release.get("version") {
            Some(Value::String(v)) => v.clone(),
            Some(Value::Null) => String::new(),
            Some(other) => other.to_string(),
            None => continue,
        };
        let scoped = key
            .strip_prefix(prefix.as_str())
            .and_then(|v| semver::Version::parse(v).ok())
            .map(|v| match scope.as_str() {
                "major" => format!("{prefix}{}", v.major),
                "minor" => format!("{prefix}{}.{}", v.major, v.minor),
                _ => format!("{prefix}{}.{}.{}", v.major, v.minor, v.patch),
            })
            .unwrap_or(key);
        if let Value::Array(list) = grouped.entry(scoped).or_insert_with(|| Value::Array(Vec::new())) {
            list.push(release.clone());
        }
    }
    Ok(Value::Object(grouped))
}

/// `date(format="%Y-%m-%d")` on a timestamp or an RFC 3339 string, in UTC.
fn date(value: &Value, args: &Args) -> tera::Result<Value> {
    use chrono::format::{Item, StrftimeItems};
    let format = match args.get("format") {
        Some(Value::String(f)) => f.clone(),
        Some(other) => return Err(tera::Error::msg(format!("Filter `date` received `format` = {other}"))),
        None => "%Y-%m-%d".to_owned(),
    };
    if StrftimeItems::new(&format).any(|item| matches!(item, Item::Error)) {
        return Err(tera::Error::msg(format!("Invalid date format `{format}`")));
    }
    if let Some(Value::String(zone)) = args.get("timezone")
        && !matches!(zone.as_str(), "UTC" | "Etc/UTC" | "Z")
    {
        return Err(tera::Error::msg(format!(
            "Filter `date`: only the UTC timezone is supported, not `{zone}`"
        )));
    }
    let formatted = match value {
        Value::Number(n) => {
            let seconds = n
                .as_i64()
                .ok_or_else(|| tera::Error::msg(format!("Filter `date` was invoked on a float: {n}")))?;
            let time = chrono::DateTime::from_timestamp(seconds, 0)
                .ok_or_else(|| tera::Error::msg(format!("Filter `date`: {seconds} is out of range")))?;
            time.naive_utc().format(&format).to_string()
        }
        Value::String(s) if s.contains('T') => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(time) => time.format(&format).to_string(),
            Err(_) => s
                .parse::<chrono::NaiveDateTime>()
                .map_err(|_| {
                    tera::Error::msg(format!("Error parsing `{s:?}` as rfc3339 date or naive datetime"))
                })?
                .format(&format)
                .to_string(),
        },
        Value::String(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| tera::Error::msg(format!("Error parsing `{s:?}` as YYYY-MM-DD date")))?
            .format(&format)
            .to_string(),
        other => {
            return Err(tera::Error::msg(format!(
                "Filter `date` received an incorrect type for arg `value`: {other}"
            )));
        }
    };
    Ok(Value::String(formatted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_is_read_where_git_cliff_finds_it() {
        let reads =
            |source: &str| Template::new("t", source, false).expect("parses").reads_variable("releases");
        assert!(reads("{{ releases | length }}"));
        assert!(reads("{% for r in releases %}x{% endfor %}"));
        assert!(reads("{%- if releases -%}x{% endif %}"));
        assert!(!reads("All releases"));
        assert!(!reads("{# releases #}"));
        assert!(!reads("{{ \"releases\" }}"));
        assert!(!reads("{% set r = releases %}"));
        assert!(!reads("{{ releases_count }}"));
    }

    fn render(template: &str, context: Value) -> String {
        Template::new("t", template, false).expect("parses").render(context, &[]).expect("renders")
    }

    /// Issue 21, item 6: a template cannot put a credential into the notes through `get_env`.
    #[test]
    fn get_env_renders_credentials_empty_and_remembers_them() {
        for name in [
            "GITHUB_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "COSIGN_PASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "api_key",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in ["PATH", "HOME", "GITHUB_REPOSITORY", "CI"] {
            assert!(!is_credential_name(name), "{name}");
        }
        let template = Template::new(
            "t",
            r#"[{{ get_env(name="GITHUB_TOKEN", default="d") }}|{{ get_env(name="COSIGN_PASSWORD") }}|{{ get_env(name="TAGWRIGHT_NO_SUCH_VARIABLE", default="d") }}|{{ get_env(name="PATH") | length > 0 }}]"#,
            false,
        )
        .expect("parses");
        assert_eq!(template.render(json!({}), &[]).expect("renders"), "[||d|true]");
        assert_eq!(template.refused_env(), ["COSIGN_PASSWORD", "GITHUB_TOKEN"]);
        let missing =
            Template::new("t", r#"{{ get_env(name="TAGWRIGHT_NO_SUCH_VARIABLE") }}"#, false).expect("parses");
        assert!(
            missing.render(json!({}), &[]).is_err(),
            "a missing variable without a default is an error, as in Tera"
        );
    }

    #[test]
    fn filters() {
        assert_eq!(render("{{ s | upper_first }}", json!({"s": "émoji first"})), "Émoji first");
        assert_eq!(
            render("{{ s | replace_regex(from=\"o+\", to=\"0\") }}", json!({"s": "foo boo"})),
            "f0 b0"
        );
        assert_eq!(render("{{ s | split_regex(pat=\"\\n\") | length }}", json!({"s": "a\nb\nc"})), "3");
        assert_eq!(
            render("{{ s | find_regex(pat=\"#[0-9]+\") | join(sep=\",\") }}", json!({"s": "x #1 y #22"})),
            "#1,#22"
        );
        assert_eq!(
            render("{{ t | date(format=\"%Y-%m-%d %H:%M\") }}", json!({"t": 1_700_000_000})),
            "2023-11-14 22:13"
        );
        assert_eq!(render("{{ t | date }}", json!({"t": "2026-11-26T10:00:00+02:00"})), "2026-11-26");
    }

    #[test]
    fn commit_groups_follow_the_given_order() {
        let context = json!({
            "commits": [{"group": "b", "m": 1}, {"group": "a", "m": 2}, {"group": null}, {"group": "b", "m": 3}],
            "order": ["a", "b"],
        });
        let out = render(
            "{% for g in commits | commit_groups(groups=order) %}{{ g.group }}:{% for c in g.commits %}{{ c.m }}{% endfor %};{% endfor %}",
            context.clone(),
        );
        assert_eq!(out, "a:2;b:13;");
        let out = render("{% for g in commits | commit_groups %}{{ g.group }};{% endfor %}", context);
        assert_eq!(out, "b;a;", "first appearance without an order");
    }

    #[test]
    fn trimming_and_errors() {
        let t = Template::new("body", "  a  \n   {{ x }}\n", true).expect("parses");
        assert_eq!(t.render(json!({"x": 1}), &[]).expect("renders"), "a\n1");
        assert!(matches!(Template::new("body", "{% if %}", false), Err(TemplateError::Parse { .. })));
        let err = Template::new("body", "{{ x | date(timezone=\"Europe/Paris\") }}", false)
            .expect("parses")
            .render(json!({"x": 0}), &[])
            .expect_err("unsupported timezone");
        assert!(err.to_string().contains("only the UTC timezone"), "{err}");
    }
}
