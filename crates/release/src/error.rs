//! How a flow fails: the step it was at, what kind of failure (which exit code), and what was put back.

use std::fmt;

/// What kind of failure: each maps to one of the command line's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// A check or a step failed: versions disagree, a signature is bad, a push was refused (exit 1).
    Check,
    /// Bad usage or input: an unparsable version, a missing file, no repository (exit 2).
    Input,
    /// A wait ran out of time (exit 3).
    Timeout,
}

impl ErrorKind {
    /// The exit code the command line reports for this kind: 1, 2 or 3.
    pub const fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Check => 1,
            ErrorKind::Input => 2,
            ErrorKind::Timeout => 3,
        }
    }

    /// The kind of a registry or layout failure: bad input (a reference, a chart, a local file) or a
    /// failed step (a refusal, an integrity failure, an unreachable registry).
    pub fn of_oci(err: &tagwright_oci_publish::OciError) -> ErrorKind {
        if err.is_input_error() { ErrorKind::Input } else { ErrorKind::Check }
    }
}

/// The step of a flow where a failure happened: its position and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// 1-based position in the flow.
    pub index: usize,
    /// How many steps the flow has.
    pub total: usize,
    /// The step's name, such as `version gate`.
    pub name: &'static str,
}

impl Step {
    /// Step `index` (1-based) of a flow whose steps are `steps`.
    pub(crate) fn of(steps: &[&'static str], index: usize) -> Step {
        Step { index, total: steps.len(), name: steps[index - 1] }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {} ({})", self.index, self.name)
    }
}

/// A flow's failure: the step, the kind, a message naming the file, ref or URL, and the cause.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    step: Option<Step>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A failure of `kind`, outside any step.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, step: None, message: message.into(), source: None }
    }

    /// A failure caused by `source`, whose whole chain becomes the message.
    pub(crate) fn caused(kind: ErrorKind, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error {
            kind,
            step: None,
            message: tagwright_text::error_chain(&source),
            source: Some(Box::new(source)),
        }
    }

    /// The same failure, placed at `step`.
    pub(crate) fn at(mut self, step: Step) -> Error {
        self.step = Some(step);
        self
    }

    /// Adds what happened afterwards (a restore, say) to the message.
    pub(crate) fn then(mut self, aftermath: &str) -> Error {
        self.message.push_str("; ");
        self.message.push_str(aftermath);
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The step that failed, when the failure happened inside one.
    pub fn step(&self) -> Option<Step> {
        self.step
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(step) => write!(f, "{step} failed: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Makes a step-placed failure from any error: `.map_err(step.fail(ErrorKind::Check))`.
impl Step {
    pub(crate) fn fail<E: std::error::Error + Send + Sync + 'static>(
        self,
        kind: ErrorKind,
    ) -> impl Fn(E) -> Error {
        move |e| Error::caused(kind, e).at(self)
    }

    pub(crate) fn failed(self, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Check, message).at(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_failure_names_its_step_and_keeps_its_cause() {
        let step = Step { index: 4, total: 9, name: "version gate" };
        let cause = std::io::Error::other("Chart.yaml:3: appVersion 0.1.0");
        let err = step.fail(ErrorKind::Check)(cause);
        assert_eq!(err.to_string(), "step 4 (version gate) failed: Chart.yaml:3: appVersion 0.1.0");
        assert_eq!(err.kind().exit_code(), 1);
        assert!(std::error::Error::source(&err).is_some());
        assert_eq!(ErrorKind::Input.exit_code(), 2);
        assert_eq!(ErrorKind::Timeout.exit_code(), 3);
    }
}
