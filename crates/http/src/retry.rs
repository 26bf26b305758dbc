//! The one retry policy: how often, how long between tries, and when to stop.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

/// How transient failures are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Tries per request, the first included.
    pub attempts: u32,
    /// The first backoff delay; each retry doubles it.
    pub initial_delay: Duration,
    /// The longest backoff delay (a `Retry-After` may ask for more, within the budget).
    pub max_delay: Duration,
    /// The longest time one request may take, retries included.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 6,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            budget: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The delay before try `attempt + 1` after try `attempt` (1-based) failed.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.initial_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Statuses worth another try: timeouts, rate limits and the server errors that pass.
pub fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// What one try came to.
#[derive(Debug)]
pub enum Attempt<T, E> {
    /// Done: this is the result.
    Done(T),
    /// Try again, after `after` if the server said how long (`Retry-After`), else the backoff.
    Retry {
        /// Why, for progress and for the final error.
        reason: String,
        /// The server's wait.
        after: Option<Duration>,
    },
    /// Failed in a way another try cannot mend.
    Fail(E),
}

/// Runs `attempt` (given the 1-based try number) until it is done or fails, or the policy (tries,
/// budget) or `deadline` is spent; then `give_up` makes the error from the last reason and what was
/// tried. `on_retry(next_try, delay, reason)` reports each wait before it is slept.
pub fn retry<T, E>(
    policy: &RetryPolicy,
    deadline: Option<Instant>,
    mut on_retry: impl FnMut(u32, Duration, &str),
    mut attempt: impl FnMut(u32) -> Attempt<T, E>,
    give_up: impl FnOnce(String) -> E,
) -> Result<T, E> {
    let start = Instant::now();
    let mut n = 0;
    loop {
        n += 1;
        match attempt(n) {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fail(err) => return Err(err),
            Attempt::Retry { reason, after } => {
                let delay = after.unwrap_or_else(|| policy.backoff(n));
                let past_deadline =
                    deadline.is_some_and(|d| d.saturating_duration_since(Instant::now()) <= delay);
                if n >= policy.attempts || start.elapsed() + delay > policy.budget || past_deadline {
                    return Err(give_up(format!(
                        "{reason} (gave up after {n} attempts in {:.0?})",
                        start.elapsed()
                    )));
                }
                on_retry(n + 1, delay, &reason);
                std::thread::sleep(delay);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_bound() {
        let policy = RetryPolicy::default();
        let delays: Vec<u64> = (1..=8).map(|n| policy.backoff(n).as_millis() as u64).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    }

    #[test]
    fn retries_until_done_or_out_of_tries() {
        let policy = RetryPolicy { attempts: 3, initial_delay: Duration::ZERO, ..RetryPolicy::default() };
        let mut waits = Vec::new();
        let done: Result<u32, String> = retry(
            &policy,
            None,
            |next, _, reason| waits.push(format!("{next}:{reason}")),
            |n| {
                if n < 3 {
                    Attempt::Retry { reason: "HTTP 503".into(), after: None }
                } else {
                    Attempt::Done(n)
                }
            },
            |last| last,
        );
        assert_eq!((done, waits), (Ok(3), vec!["2:HTTP 503".to_owned(), "3:HTTP 503".to_owned()]));
        let spent: Result<(), String> = retry(
            &policy,
            None,
            |_, _, _| {},
            |_| Attempt::Retry { reason: "HTTP 502".into(), after: Some(Duration::ZERO) },
            |last| last,
        );
        assert!(spent.expect_err("gives up").starts_with("HTTP 502 (gave up after 3 attempts"));
        let past: Result<(), String> = retry(
            &policy,
            Some(Instant::now()),
            |_, _, _| panic!("no wait past the deadline"),
            |_| Attempt::Retry { reason: "HTTP 429".into(), after: Some(Duration::from_secs(1)) },
            |last| last,
        );
        assert!(past.is_err());
        let failed: Result<(), &str> = retry(&policy, None, |_, _, _| {}, |_| Attempt::Fail("TLS"), |_| "no");
        assert_eq!(failed, Err("TLS"));
    }
}
