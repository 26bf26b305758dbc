//! Publishing a release's chart, the registry half of the runbook's Release workflow: the version gate
//! (every recorded version agrees, and matches the tag when one is given), then a wait for the release
//! image `<image>:<appVersion>` (and its platforms), and only then the chart push, so that a chart is
//! never published without the image it deploys. A timeout fails with [`ErrorKind::Timeout`] and
//! nothing pushed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tagwright_oci_publish::credentials;
use tagwright_oci_publish::manifest::Platform;
use tagwright_oci_publish::{
    ChartPush, Digest, OciError, Publisher, RegistryOptions, Target, WaitOptions, WaitOutcome,
};
use tagwright_versions::{SourceKind, Status};

use crate::events::Registry;
use crate::{Error, ErrorKind, Event, Events, Step};

/// The publish flow's steps, in order.
pub const STEPS: [&str; 3] = ["version gate", "wait for the release image", "package and push the chart"];

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
    /// Check the gate and the image, package the chart, and push nothing.
    pub dry_run: bool,
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

    let input = |e: tagwright_oci_publish::ReferenceError| Error::caused(ErrorKind::Input, e);
    let image = Target::parse(&format!("{}:{app_version}", options.image)).map_err(input)?;
    let publisher = publisher(options, &image, Arc::clone(&events))?;

    events.event(&Event::Step(Step::of(&STEPS, 2)));
    let mut wait = WaitOptions::default();
    wait.timeout = options.timeout;
    wait.initial_interval = options.interval;
    wait.platforms.clone_from(&options.platforms);
    let image_digest = match publisher.wait(&image, &wait).map_err(|e| oci(Step::of(&STEPS, 2), e))? {
        WaitOutcome::Ready { digest, .. } => digest,
        WaitOutcome::TimedOut { last, elapsed, .. } => {
            let message = format!(
                "{image} was not ready after {elapsed:.0?} (last: {last}); the chart was not pushed, so no chart points at a missing image"
            );
            return Err(Error::new(ErrorKind::Timeout, message).at(Step::of(&STEPS, 2)));
        }
    };
    let image = image.to_string();
    events.event(&Event::ImageReady { reference: &image, digest: &image_digest });

    events.event(&Event::Step(Step::of(&STEPS, 3)));
    let chart = publisher
        .push_chart(&chart_dir, &options.charts, options.dry_run)
        .map_err(|e| oci(Step::of(&STEPS, 3), e))?;
    Ok(PublishReport { version, image, image_digest, chart })
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
