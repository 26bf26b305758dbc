//! `release-notes`: release notes from conventional commits, byte-compatible with git-cliff.
//!
//! Exit codes: 0 ok, 1 a check the configuration asks for failed (`require_conventional`,
//! `fail_on_unmatched_commit`) or GitHub could not be asked for the data a template reads, 2 bad
//! usage, configuration, template or range.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use tagwright_cli::notes::{
    Args, PROGRAM, configure, forge, read_context, selection, strip_of, warn_of_unasked_forges,
};
use tagwright_cli::{Failure, exit, out};
use tagwright_notes::flags;
use tagwright_notes::{Generator, NotesError};

fn main() -> ExitCode {
    let args = Args::parse();
    // Every commit is read once: libgit2's object cache would only hold memory.
    tagwright_notes::disable_object_cache();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(PROGRAM),
    }
}

fn usage(message: impl std::fmt::Display) -> Failure {
    Failure::input(message.to_string())
}

fn run(args: &Args) -> Result<(), Failure> {
    if args.list_templates {
        out(&flags::templates(args.templates_dir.as_deref())
            .map_err(usage)?
            .into_keys()
            .map(|name| format!("{name}\n"))
            .collect::<String>());
        return Ok(());
    }
    if let Some(name) = &args.init {
        return init(
            name,
            args.templates_dir.as_deref(),
            args.config.as_deref().unwrap_or(Path::new("cliff.toml")),
        );
    }
    if args.prepend.is_some() && !(args.unreleased || args.latest || args.range.is_some()) {
        return Err(usage(
            "--prepend needs --unreleased, --latest or a range, so that old releases are not repeated",
        ));
    }
    if args.prepend.is_some() && args.prepend == args.output {
        return Err(usage("--output and --prepend must name different files"));
    }
    let (args, mut config) = configure(args)?;
    let args = &args;
    if args.prepend.is_some() {
        config.changelog.footer = None;
    }
    let header_text = config.changelog.header.clone();
    let configured_output =
        config.changelog.output.clone().map(|p| if p.is_absolute() { p } else { args.repo.join(p) });
    let selection = selection(args);
    let github = forge(args);
    if args.context {
        let changelog = tagwright_notes::context_with_forge(&args.repo, &config, &selection, Some(&github))
            .map_err(notes_error)?;
        return emit(args.output.as_deref(), &format!("{}\n", changelog.to_json()));
    }

    let generator = Generator::new(config).map_err(usage)?;
    if let Some(path) = &args.from_context {
        let notes = generator.render_context(&read_context(path)?, strip_of(args.strip)).map_err(usage)?;
        warn_all(&generator.render_warnings());
        return emit(args.output.clone().or(configured_output).as_deref(), &notes);
    }
    warn_of_unasked_forges(&generator);
    let mut changelog =
        generator.changelog_with_forge(&args.repo, &selection, Some(&github)).map_err(notes_error)?;
    if let Some(message) = &args.with_tag_message {
        changelog.set_latest_message(message);
    }
    if args.bump.is_some() || args.bumped_version {
        let Some(next) = bump(&generator, &mut changelog)? else { return Ok(()) };
        if args.bumped_version {
            out(&format!("{next}\n"));
            return Ok(());
        }
    }
    warn_all(changelog.warnings.iter().chain(&changelog.skip_summary()));
    let notes = generator.render(&changelog, strip_of(args.strip)).map_err(usage)?;
    warn_all(&generator.render_warnings());
    if let Some(path) = &args.prepend {
        prepend(path, &notes, header_text.as_deref())?;
    }
    let output = args.output.clone().or(configured_output);
    if output.is_some() || args.prepend.is_none() {
        emit(output.as_deref(), &notes)?;
    }
    Ok(())
}

fn warn_all<'a>(warnings: impl IntoIterator<Item = &'a String>) {
    for warning in warnings {
        eprintln!("{PROGRAM}: warning: {warning}");
    }
}

fn notes_error(err: NotesError) -> Failure {
    match err {
        NotesError::Unconventional { .. } | NotesError::Unmatched { .. } | NotesError::Forge { .. } => {
            Failure::check(err.to_string())
        }
        other => usage(other),
    }
}

/// `--init`: writes the template `name` (git-cliff's default for `default`) to `path`, which must not
/// exist yet.
fn init(name: &str, dir: Option<&Path>, path: &Path) -> Result<(), Failure> {
    let (name, text) = flags::template(name, dir).map_err(usage)?;
    if path.symlink_metadata().is_ok() {
        return Err(usage(format!(
            "{}: already exists; remove it, or name another file with -c",
            path.display()
        )));
    }
    write_file(path, &text)?;
    eprintln!("{PROGRAM}: wrote {} ({name})", path.display());
    Ok(())
}

/// Versions the unreleased changes as git-cliff's `--bump` does; the version the notes now carry.
fn bump(
    generator: &Generator,
    changelog: &mut tagwright_notes::Changelog,
) -> Result<Option<String>, Failure> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let next = flags::next_version(generator, changelog, now).map_err(|e| match e {
        flags::NextVersionError::TagPattern { .. } => Failure::check(e.to_string()),
        other => usage(other),
    })?;
    warn_all(&next.warnings);
    Ok(next.version)
}

/// Writes `notes` above what `path` holds (without its old header, `header`).
fn prepend(path: &Path, notes: &str, header: Option<&str>) -> Result<(), Failure> {
    let before =
        std::fs::read_to_string(path).map_err(|e| usage(format!("{}: cannot read: {e}", path.display())))?;
    write_file(path, &flags::prepended(notes, &before, header))
}

fn emit(output: Option<&Path>, text: &str) -> Result<(), Failure> {
    match output {
        Some(path) if path.as_os_str() != "-" => write_file(path, text),
        _ => {
            out(text);
            Ok(())
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    tagwright_fs::write_output(path, text.as_bytes()).map_err(|e| Failure {
        code: exit::CHECK_FAILED,
        message: format!("{}: cannot write: {e}", path.display()),
    })
}
