//! Helm's `.helmignore`: which files of a chart directory stay out of its archive.

use std::path::Path;

use super::ChartError;

/// Helm's `.helmignore` rules.
#[derive(Debug, Clone)]
pub(super) struct IgnoreRules {
    rules: Vec<IgnoreRule>,
}

#[derive(Debug, Clone)]
struct IgnoreRule {
    pattern: String,
    negate: bool,
    must_dir: bool,
    kind: RuleKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleKind {
    /// `/pattern`: matches the path from the chart root.
    Rooted,
    /// `a/b`: matches the whole relative path.
    Path,
    /// `pattern`: matches the file name only.
    Base,
}

impl IgnoreRules {
    /// Parses a `.helmignore`; Helm's default rule (`templates/.?*`) comes first.
    pub(super) fn parse(text: &str, path: &Path) -> Result<IgnoreRules, ChartError> {
        let mut rules = IgnoreRules { rules: Vec::new() };
        rules.add("templates/.?*").expect("the default rule is valid");
        for (i, line) in text.lines().enumerate() {
            rules.add(line).map_err(|message| {
                ChartError::Invalid(tagwright_fs::BadFile::new(
                    path.to_path_buf(),
                    format!("line {}: {message}", i + 1),
                ))
            })?;
        }
        Ok(rules)
    }

    fn add(&mut self, line: &str) -> Result<(), String> {
        let mut rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".to_owned());
        }
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let must_dir = rule.ends_with('/');
        if must_dir {
            rule = &rule[..rule.len() - 1];
        }
        let kind = if rule.starts_with('/') {
            rule = &rule[1..];
            RuleKind::Rooted
        } else if rule.contains('/') {
            RuleKind::Path
        } else {
            RuleKind::Base
        };
        if go_match(rule, "abc").is_none() {
            return Err(format!("`{line}` is not a valid pattern"));
        }
        self.rules.push(IgnoreRule { pattern: rule.to_owned(), negate, must_dir, kind });
        Ok(())
    }

    /// Helm's `Ignore`: rules in order, the first match decides; a negated rule that does not match
    /// ignores the path.
    pub(super) fn ignored(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." {
            return false;
        }
        for rule in &self.rules {
            let subject = match rule.kind {
                RuleKind::Base => path.rsplit('/').next().unwrap_or(path),
                RuleKind::Rooted | RuleKind::Path => path,
            };
            let matched = go_match(&rule.pattern, subject).unwrap_or(false);
            if rule.negate {
                if rule.must_dir && !is_dir {
                    return true;
                }
                if !matched {
                    return true;
                }
                continue;
            }
            if rule.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

/// Go's `filepath.Match`: `*` (not `/`), `?`, `[...]` classes with ranges and `^`, and `\` escapes.
/// `None` when the pattern is malformed.
pub(super) fn go_match(pattern: &str, name: &str) -> Option<bool> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn class(p: &[char], mut i: usize, c: char) -> Option<(bool, usize)> {
        // p[i] is just after '['.
        let negated = p.get(i) == Some(&'^');
        if negated {
            i += 1;
        }
        let mut matched = false;
        let mut first = true;
        loop {
            let ch = *p.get(i)?;
            if ch == ']' && !first {
                return Some((matched != negated, i + 1));
            }
            first = false;
            let mut lo = ch;
            if lo == '\\' {
                i += 1;
                lo = *p.get(i)?;
            }
            i += 1;
            let mut hi = lo;
            if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|&c| c != ']') {
                hi = p[i + 1];
                if hi == '\\' {
                    hi = *p.get(i + 2)?;
                    i += 1;
                }
                i += 2;
            }
            if lo <= c && c <= hi {
                matched = true;
            }
        }
    }
    fn go(p: &[char], n: &[char]) -> Option<bool> {
        match p.first() {
            None => Some(n.is_empty()),
            Some('*') => {
                let rest = &p[1..];
                for k in 0..=n.len() {
                    if k > 0 && n[k - 1] == '/' {
                        break;
                    }
                    if go(rest, &n[k..])? {
                        return Some(true);
                    }
                }
                // Validate the remaining pattern even when nothing matched.
                go(rest, &[]).map(|_| false)
            }
            Some('?') => match n.first() {
                Some(&c) if c != '/' => go(&p[1..], &n[1..]),
                _ => check(&p[1..]).map(|_| false),
            },
            Some('[') => {
                let Some(&c) = n.first() else { return class(p, 1, '\0').map(|_| false) };
                let (ok, next) = class(p, 1, c)?;
                if ok && c != '/' { go(&p[next..], &n[1..]) } else { check(&p[next..]).map(|_| false) }
            }
            Some('\\') => {
                let &escaped = p.get(1)?;
                match n.first() {
                    Some(&c) if c == escaped => go(&p[2..], &n[1..]),
                    _ => check(&p[2..]).map(|_| false),
                }
            }
            Some(&literal) => match n.first() {
                Some(&c) if c == literal => go(&p[1..], &n[1..]),
                _ => check(&p[1..]).map(|_| false),
            },
        }
    }
    /// Whether the rest of a pattern is well-formed.
    fn check(p: &[char]) -> Option<()> {
        let mut i = 0;
        while i < p.len() {
            match p[i] {
                '\\' => {
                    p.get(i + 1)?;
                    i += 2;
                }
                '[' => i = class(p, i + 1, '\0')?.1,
                _ => i += 1,
            }
        }
        Some(())
    }
    go(&p, &n)
}
