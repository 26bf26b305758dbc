//! Publishing a release, the runbook's Release workflow: the version gate (every recorded version
//! agrees, and matches the tag when one is given), the notes, a wait for the release image
//! `<image>:<appVersion>` (and its platforms), and only then the chart push, so that a chart is never
//! published without the image it deploys (a timeout fails with [`ErrorKind::Timeout`] and nothing
//! pushed). Then the evidence (the chart archive, the SBOM, `release-manifest.json`,
//! `checksums.txt`) and, with a GitHub repository, the GitHub release, reconciled: a re-run does only
//! what is missing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tagwright_oci_publish::credentials;
use tagwright_oci_publish::manifest::Platform;
use tagwright_oci_publish::{
    ChartPush, Digest, OciError, Publisher, RegistryOptions, Target, WaitOptions, WaitOutcome,
};
use tagwright_versions::{SourceKind, Status};

use tagwright_github::Github;

use crate::events::Registry;
use crate::{
    Error, ErrorKind, Event, Events, GithubReleaseOptions, GithubReleaseReport, Step, github_release,
};

/// The publish flow's steps, in order.
pub const STEPS: [&str; 6] = [
    "version gate",
    "release notes",
    "wait for the release image",
    "package, push and sign the chart",
    "release evidence",
    "GitHub release",
];

/// The GitHub repository a release goes to, and how to reach its API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GithubTarget {
    /// The owner.
    pub owner: String,
    /// The repository.
    pub repo: String,
    /// The API (`https://api.github.com`, or `GITHUB_API_URL`).
    pub api: String,
    /// The token.
    pub token: Option<String>,
    /// How long one request may take, its retries and rate-limit waits included.
    pub deadline: Duration,
}

impl GithubTarget {
    /// `OWNER/REPO` on `api`, each request within [`tagwright_github::DEFAULT_DEADLINE`].
    pub fn parse(owner_repo: &str, api: &str, token: Option<String>) -> Result<GithubTarget, Error> {
        let (owner, repo) = owner_repo
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| Error::new(ErrorKind::Input, format!("`{owner_repo}` is not OWNER/REPO")))?;
        Ok(GithubTarget {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            api: api.to_owned(),
            token,
            deadline: tagwright_github::DEFAULT_DEADLINE,
        })
    }

    /// The API client: the token, the deadline.
    pub fn client(&self) -> Result<Github, Error> {
        Github::with_timeout(&self.api, self.token.as_deref(), self.deadline)
            .map_err(|e| Error::caused(ErrorKind::Input, e))
    }
}

/// Where and how to publish.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PublishOptions {
    /// The repository.
    pub repo: PathBuf,
    /// Where charts go: `oci://host/namespace` or `oci-layout:DIR`.
    pub charts: Target,
    /// The release image's repository, such as `ghcr.io/org/advisoryhub`; its tag is the appVersion.
    pub image: String,
    /// The release tag the versions must match.
    pub tag: Option<String>,
    /// Platforms the image must offer.
    pub platforms: Vec<Platform>,
    /// How long to wait for the image.
    pub timeout: Duration,
    /// The first pause between checks for the image.
    pub interval: Duration,
    /// Registry connection settings (plain-HTTP hosts, extra CA certificates).
    pub registry: RegistryOptions,
    /// Check the gate and the image, package the chart, plan the GitHub release, and change nothing.
    pub dry_run: bool,
    /// The GitHub repository the release goes to (none: no GitHub release).
    pub github: Option<GithubTarget>,
    /// Files attached to the release besides the chart archive, the SBOM, the manifest and the
    /// checksums.
    pub extra_assets: Vec<PathBuf>,
    /// Replace release assets whose bytes differ, instead of refusing.
    pub replace: bool,
    /// Sign the chart and the release manifest (none: unsigned).
    pub sign: Option<crate::Signing>,
}

impl PublishOptions {
    /// Publishes `repo`'s chart to `charts` once `image:<appVersion>` exists; waits up to 20 minutes.
    pub fn new(repo: impl Into<PathBuf>, charts: Target, image: impl Into<String>) -> PublishOptions {
        PublishOptions {
            repo: repo.into(),
            charts,
            image: image.into(),
            tag: None,
            platforms: Vec::new(),
            timeout: Duration::from_secs(20 * 60),
            interval: Duration::from_secs(1),
            registry: RegistryOptions::default(),
            dry_run: false,
            github: None,
            extra_assets: Vec::new(),
            replace: false,
            sign: None,
        }
    }
}

/// What a publish did.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct PublishReport {
    /// The version every source agrees on.
    pub version: String,
    /// The image that was awaited, `<image>:<appVersion>`.
    pub image: String,
    /// The image's manifest digest.
    pub image_digest: Digest,
    /// The chart push (or, in a dry run, what would be pushed).
    pub chart: ChartPush,
    /// The release notes: the signed tag's message, else rendered from the history.
    pub notes: String,
    /// The release assets, as made (the chart archive, the SBOM, extras, the manifest, the checksums).
    pub assets: Vec<crate::evidence::AssetSummary>,
    /// The GitHub release step, when a GitHub repository was given.
    pub github: Option<GithubReleaseReport>,
    /// The chart's signature, when signing.
    pub chart_signature: Option<crate::signing::ChartSignature>,
}

/// Publishes the chart of `options.repo` once its release image exists.
pub fn publish(options: &PublishOptions, events: Arc<dyn Events>) -> Result<PublishReport, Error> {
    let repo = &options.repo;
    events.event(&Event::Step(Step::of(&STEPS, 1)));
    let inventory = tagwright_versions::read(repo).map_err(|e| Error::caused(ErrorKind::Input, e))?;
    let report = tagwright_versions::check(&inventory, options.tag.as_deref())
        .map_err(|e| Error::caused(ErrorKind::Input, e))?;
    if report.status != Status::Ok {
        return Err(Step::of(&STEPS, 1).failed(report.problems().join("\n")));
    }
    let version = report.expected.map(|v| v.to_string()).unwrap_or_default();
    events.event(&Event::Gated {
        sources: report.sources.len(),
        version: &version,
        tag: options.tag.as_deref(),
    });
    let chart =
        inventory.records.iter().find(|r| r.kind == SourceKind::Chart && r.field == "version").ok_or_else(
            || {
                let message = format!(
                    "{}: no Chart.yaml records a version, so there is no chart to publish",
                    repo.display()
                );
                Error::new(ErrorKind::Input, message)
            },
        )?;
    let app_version = inventory
        .records
        .iter()
        .find(|r| r.kind == SourceKind::Chart && r.file == chart.file && r.field == "appVersion")
        .map_or_else(|| chart.value.clone(), |r| r.value.clone());
    let chart_dir = repo.join(&chart.file).parent().map(PathBuf::from).unwrap_or_else(|| repo.clone());

    events.event(&Event::Step(Step::of(&STEPS, 2)));
    let notes = notes(repo, options.tag.as_deref(), &version, events.as_ref())?;
    events.event(&Event::Notes(&notes));

    let input = |e: tagwright_oci_publish::ReferenceError| Error::caused(ErrorKind::Input, e);
    let image = Target::parse(&format!("{}:{app_version}", options.image)).map_err(input)?;
    let publisher = publisher(options, &image, Arc::clone(&events))?;

    events.event(&Event::Step(Step::of(&STEPS, 3)));
    let image_digest = wait_for_image(&publisher, &image, options)?;
    let image = image.to_string();
    events.event(&Event::ImageReady { reference: &image, digest: &image_digest });

    events.event(&Event::Step(Step::of(&STEPS, 4)));
    let chart = publisher
        .push_chart(&chart_dir, &options.charts, options.dry_run)
        .map_err(|e| oci(Step::of(&STEPS, 4), e))?;
    let signer = match &options.sign {
        Some(signing) if !options.dry_run => Some(signing.prepare().map_err(|e| e.at(Step::of(&STEPS, 4)))?),
        _ => None,
    };
    let chart_signature = match &signer {
        Some(signer) => Some(
            signer
                .sign_chart(&chart.reference, &chart.digest, &options.registry)
                .map_err(|e| e.at(Step::of(&STEPS, 4)))?,
        ),
        None => None,
    };

    events.event(&Event::Step(Step::of(&STEPS, 5)));
    let inputs = crate::evidence::Inputs {
        repo,
        chart_dir: &chart_dir,
        version: &version,
        tag: options.tag.as_deref(),
        image: (&image, &image_digest),
        chart: &chart,
        extra: &options.extra_assets,
    };
    let assets = crate::evidence::assets(&inputs).map_err(|e| e.at(Step::of(&STEPS, 5)))?;

    let github = match &options.github {
        None => None,
        Some(target) => {
            events.event(&Event::Step(Step::of(&STEPS, 6)));
            let step = Step::of(&STEPS, 6);
            let tag = options.tag.as_deref().ok_or_else(|| {
                Error::new(ErrorKind::Input, "a GitHub release needs the release tag: pass --tag").at(step)
            })?;
            let client = target.client().map_err(|e| e.at(step))?;
            let mut release = GithubReleaseOptions::new(&target.owner, &target.repo, tag, &notes);
            release.assets.clone_from(&assets);
            if let Some(signer) = &signer
                && !manifest_signed(&client, target, tag, &assets).map_err(|e| e.at(step))?
            {
                let manifest =
                    assets.iter().find(|a| a.name == crate::RELEASE_MANIFEST).map(|a| a.bytes.as_slice());
                let signature = signer.sign_manifest(manifest.unwrap_or_default()).map_err(|e| e.at(step))?;
                release.assets.push(signature);
            }
            release.replace = options.replace;
            release.dry_run = options.dry_run;
            Some(github_release(&client, &release).map_err(|e| e.at(step))?)
        }
    };
    let assets = crate::evidence::summaries(&assets);
    Ok(PublishReport { version, image, image_digest, chart, notes, assets, github, chart_signature })
}

/// Whether the release already holds our `release-manifest.json` (same SHA-256) and a signature of it.
fn manifest_signed(
    client: &Github,
    target: &GithubTarget,
    tag: &str,
    assets: &[crate::ReleaseAsset],
) -> Result<bool, Error> {
    let failed = |e: tagwright_github::GithubError| Error::caused(ErrorKind::Check, e);
    let Some(release) = client.release_by_tag(&target.owner, &target.repo, tag).map_err(failed)? else {
        return Ok(false);
    };
    let ours = assets
        .iter()
        .find(|a| a.name == crate::RELEASE_MANIFEST)
        .map(|a| Digest::sha256(&a.bytes).to_string());
    let there = client.assets(&target.owner, &target.repo, release.id).map_err(failed)?;
    let same_manifest =
        there.iter().any(|a| a.name == crate::RELEASE_MANIFEST && a.digest == ours && a.state == "uploaded");
    let signed = there.iter().any(|a| a.name == crate::MANIFEST_BUNDLE && a.state == "uploaded");
    Ok(same_manifest && signed)
}

/// The release notes: the annotated tag's message (its signature left out) when it carries notes,
/// else rendered from the history; a line naming the release when there is nothing to say.
fn notes(
    repo: &std::path::Path,
    tag: Option<&str>,
    version: &str,
    events: &dyn Events,
) -> Result<String, Error> {
    let Some(tag) = tag else { return Ok(format!("Release {version}\n")) };
    if let Ok(git) = git2::Repository::discover(repo)
        && let Ok(reference) = git.find_reference(&format!("refs/tags/{tag}"))
        && let Ok(object) = reference.peel(git2::ObjectType::Tag)
        && let Some(annotated) = object.as_tag()
    {
        let message = annotated.message().ok().flatten().unwrap_or_default();
        let message = message.split("-----BEGIN SSH SIGNATURE-----").next().unwrap_or_default();
        let message = message.split("-----BEGIN PGP SIGNATURE-----").next().unwrap_or_default().trim_end();
        // A bare subject (the tag's name, or nothing) carries no notes.
        if !message.is_empty() && message.trim() != tag {
            return Ok(format!("{message}\n"));
        }
    }
    let rendered =
        tagwright_notes::release_notes(repo, tag).map_err(|e| Error::caused(ErrorKind::Check, e))?;
    for warning in &rendered.warnings {
        events.event(&Event::Note(&format!("warning: {warning}")));
    }
    Ok(if rendered.text.trim().is_empty() { format!("Release {tag}\n") } else { rendered.text })
}

/// Step 3: the image, ready with every platform; a dry run checks once and never waits.
fn wait_for_image(publisher: &Publisher, image: &Target, options: &PublishOptions) -> Result<Digest, Error> {
    let mut wait = WaitOptions::default();
    wait.timeout = options.timeout;
    wait.initial_interval = options.interval;
    wait.platforms.clone_from(&options.platforms);
    wait.once = options.dry_run;
    match publisher.wait(image, &wait).map_err(|e| oci(Step::of(&STEPS, 3), e))? {
        WaitOutcome::Ready { digest, .. } => Ok(digest),
        WaitOutcome::TimedOut { last, .. } if options.dry_run => {
            let message = format!(
                "dry run: {image} is not there yet ({last}); a real run waits up to {:.0?} for it, and pushes nothing until it is there",
                options.timeout
            );
            Err(Error::new(ErrorKind::Check, message).at(Step::of(&STEPS, 3)))
        }
        WaitOutcome::TimedOut { last, elapsed, .. } => {
            let message = format!(
                "{image} was not ready after {elapsed:.0?} (last: {last}); the chart was not pushed, so no chart points at a missing image"
            );
            Err(Error::new(ErrorKind::Timeout, message).at(Step::of(&STEPS, 3)))
        }
    }
}

/// A registry client for the image's and the charts' hosts, with their credentials.
fn publisher(options: &PublishOptions, image: &Target, events: Arc<dyn Events>) -> Result<Publisher, Error> {
    let mut publisher = Publisher::new(options.registry.clone(), Arc::new(Registry(events)));
    for target in [image, &options.charts] {
        if let Target::Registry(r) = target
            && let Some(found) =
                credentials::lookup(&r.host, None).map_err(|e| Error::caused(ErrorKind::Input, e))?
        {
            publisher = publisher.with_credentials(&r.host, found);
        }
    }
    Ok(publisher)
}

/// A registry failure is a failed step; bad input (a reference, the chart) is bad input.
fn oci(step: Step, err: OciError) -> Error {
    Error::caused(ErrorKind::of_oci(&err), err).at(step)
}
