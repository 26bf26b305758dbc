//! `oci-publish`'s progress and retries on stderr: a rewritten line on a terminal, log lines otherwise.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tagwright_oci_publish::Events;

/// Reports a registry client's events on stderr.
#[derive(Debug)]
pub struct Reporter {
    program: &'static str,
    tty: bool,
    state: Mutex<(Instant, u64)>,
}

impl Reporter {
    /// A reporter for `program`, rewriting one line when stderr is a terminal.
    pub fn new(program: &'static str, tty: bool) -> Reporter {
        Reporter { program, tty, state: Mutex::new((Instant::now(), 0)) }
    }

    fn line(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = if self.tty { writeln!(stderr, "\r\x1b[K{text}") } else { writeln!(stderr, "{text}") };
    }

    /// Clears the rewritten line, if there is one.
    pub fn clear(&self) {
        if self.tty {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        }
    }
}

/// `12.3 MiB`.
pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

impl Events for Reporter {
    fn retry(&self, what: &str, attempt: u32, delay: Duration, reason: &str) {
        self.line(&format!("{}: {reason}; retrying {what} (attempt {attempt}) in {delay:.1?}", self.program));
    }

    fn progress(&self, what: &str, done: u64, total: u64) {
        if total < 16 << 20 {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let percent = done * 100 / total.max(1);
        if self.tty {
            let _ = write!(std::io::stderr(), "\r\x1b[K{what}: {} of {} ({percent}%)", mib(done), mib(total));
            if done >= total {
                let _ = writeln!(std::io::stderr());
            }
        } else if state.0.elapsed() >= Duration::from_secs(10)
            || done >= total
            || percent / 25 != state.1 / 25
        {
            *state = (Instant::now(), percent);
            let _ = writeln!(std::io::stderr(), "{what}: {} of {} ({percent}%)", mib(done), mib(total));
        }
    }

    fn note(&self, message: &str) {
        self.line(&format!("{}: {message}", self.program));
    }

    fn waiting(&self, reference: &str, attempt: u32, elapsed: Duration, next: Duration, state: &str) {
        let elapsed = format!("{}m{:02}s", elapsed.as_secs() / 60, elapsed.as_secs() % 60);
        if self.tty {
            let _ = write!(
                std::io::stderr(),
                "\r\x1b[Kwaiting for {reference}: {state}; {elapsed} elapsed, check {attempt}, next in {next:.0?}"
            );
        } else {
            let _ = writeln!(
                std::io::stderr(),
                "{}: waiting for {reference}: {state} (check {attempt}, {elapsed} elapsed); next check in {next:.0?}",
                self.program
            );
        }
    }
}
