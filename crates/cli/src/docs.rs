//! `tagwright docs-deploy X.Y.Z`: its arguments, and what it prints.

use std::path::PathBuf;
use std::sync::Arc;

use tagwright_release::{AliasType, DocsDeployOptions, Site};

use crate::flows::Progress;
use crate::{Failure, out};

/// Arguments of `tagwright docs-deploy`.
#[derive(Debug, clap::Args)]
pub struct DocsDeployArgs {
    /// The version to deploy (its directory on the docs branch), such as 1.2.0.
    pub version: String,
    #[command(flatten)]
    pub repo: crate::flows::RepoArg,
    /// A site that is already built.
    #[arg(long, value_name = "DIR", conflicts_with = "build", required_unless_present = "build")]
    pub site: Option<PathBuf>,
    /// Build the site: `mkdocs build --strict` with mike's plugin, at the tag's commit time
    /// (SOURCE_DATE_EPOCH, unless set), as `mike deploy` builds it.
    #[arg(long)]
    pub build: bool,
    /// The MkDocs program for --build (default: `mkdocs` on PATH).
    #[arg(long, value_name = "PATH", requires = "build")]
    pub mkdocs: Option<PathBuf>,
    /// An alias to point at the version, such as latest (repeatable).
    #[arg(long = "alias", value_name = "NAME")]
    pub aliases: Vec<String>,
    /// How aliases are written: a git symlink, a redirect page per page, or a copy.
    #[arg(long, value_name = "TYPE", default_value = "symlink")]
    pub alias_type: AliasType,
    /// Move an alias that points at another version (mike's --update-aliases).
    #[arg(long, short = 'u')]
    pub update_aliases: bool,
    /// Redirect the site's root to this version or alias (mike's set-default).
    #[arg(long, value_name = "NAME")]
    pub set_default: Option<String>,
    /// The version's title in the version selector.
    #[arg(long, value_name = "TITLE")]
    pub title: Option<String>,
    /// The docs branch.
    #[arg(long, default_value = "gh-pages")]
    pub branch: String,
    /// The remote to compare with and push to.
    #[arg(long, default_value = "origin")]
    pub remote: String,
    /// Fetch, commit on the remote's tip, and push; a push refused because a concurrent deploy moved
    /// the branch is rebuilt on the new tip and retried.
    #[arg(long)]
    pub push: bool,
    /// How many times a refused push is retried.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub attempts: u32,
    /// SSH-sign the docs commit with the repository's signing key (user.signingkey, or the
    /// ssh-agent), as `tagwright release` signs.
    #[arg(long)]
    pub sign: bool,
    /// The commit message.
    #[arg(long, short = 'm', value_name = "TEXT")]
    pub message: Option<String>,
    /// Compose the commit and report it; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// `tagwright docs-deploy`.
pub fn docs_deploy(args: &DocsDeployArgs, program: &'static str) -> Result<(), Failure> {
    let site = match &args.site {
        Some(dir) => Site::Dir(dir.clone()),
        None => Site::Build { mkdocs: args.mkdocs.clone() },
    };
    let mut options = DocsDeployOptions::new(&args.repo.repo, &args.version, site);
    options.aliases.clone_from(&args.aliases);
    options.alias_type = args.alias_type;
    options.update_aliases = args.update_aliases;
    options.set_default.clone_from(&args.set_default);
    options.title.clone_from(&args.title);
    options.branch.clone_from(&args.branch);
    options.remote.clone_from(&args.remote);
    options.push = args.push;
    options.max_attempts = args.attempts;
    options.message.clone_from(&args.message);
    options.sign = args.sign;
    options.dry_run = args.dry_run;
    let epoch = tagwright_fs::source_date_epoch().map_err(|e| Failure::input(e.to_string()))?;
    options.source_date_epoch = epoch
        .map(|e| {
            i64::try_from(e)
                .map_err(|_| Failure::input(format!("SOURCE_DATE_EPOCH={e} is too far in the future")))
        })
        .transpose()?;
    let report = tagwright_release::docs_deploy(&options, Arc::new(Progress::new(program, args.json)))?;
    if args.json {
        return crate::json::print("ok", &report);
    }
    let mut text = format!(
        "  {} files from {} ({}){}\n",
        report.files,
        &report.source[..report.source.len().min(12)],
        report.source_ref,
        report.built_with.as_ref().map(|b| format!(", built with {b}")).unwrap_or_default()
    );
    for moved in &report.moved {
        text.push_str(&format!("  alias {} moved from {}\n", moved.alias, moved.from));
    }
    let what = match (&report.commit, report.changed, report.dry_run) {
        (_, false, _) => format!("  {} already has this deploy: nothing to commit\n", report.branch),
        (_, true, true) => format!("  would commit tree {} to {}\n", report.tree, report.branch),
        (Some(commit), true, false) => format!("  committed {commit} to {}\n", report.branch),
        (None, true, false) => format!("  {} updated\n", report.branch),
    };
    text.push_str(&what);
    if report.pushed {
        let tries =
            if report.attempts > 1 { format!(" after {} attempts", report.attempts) } else { String::new() };
        text.push_str(&format!("  pushed to {}{tries}\n", args.remote));
    }
    let rows: Vec<Vec<String>> = report
        .versions
        .iter()
        .map(|v| vec![v.version.clone(), v.title.clone(), v.aliases.join(", ")])
        .collect();
    text.push_str(&crate::table(&["version", "title", "aliases"], &rows));
    out(&text);
    Ok(())
}
