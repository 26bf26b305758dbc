//! The one place that builds HTTP clients.

use std::time::Duration;

use reqwest::blocking::Client;

use crate::{HttpError, error_text};

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("tagwright/", env!("CARGO_PKG_VERSION"));

/// Whether and how far redirects are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// Never: a redirect is an answer the caller handles (GitHub's asset downloads, Sigstore).
    None,
    /// At most this many hops (registries, which redirect blob reads to storage).
    Limited(usize),
}

/// How a client is built.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The longest wait for a connection.
    pub connect_timeout: Duration,
    /// The longest wait for an answer and for each read of its body; a request may set a shorter or
    /// longer one for itself.
    pub timeout: Duration,
    /// The redirect policy.
    pub redirects: Redirects,
    /// Certificates trusted besides the system's roots (a private registry's CA).
    pub roots: Vec<reqwest::Certificate>,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            connect_timeout: Duration::from_secs(15),
            timeout: Duration::from_secs(60),
            redirects: Redirects::None,
            roots: Vec::new(),
        }
    }
}

impl ClientOptions {
    /// The defaults with these timeouts.
    pub fn with_timeouts(connect_timeout: Duration, timeout: Duration) -> ClientOptions {
        ClientOptions { connect_timeout, timeout, ..ClientOptions::default() }
    }

    /// The same options with another redirect policy.
    #[must_use]
    pub fn redirects(mut self, redirects: Redirects) -> ClientOptions {
        self.redirects = redirects;
        self
    }
}

/// A blocking client under `options`: rustls with ring (installing the provider twice is
/// harmless), the system's roots and `options.roots`, [`USER_AGENT`].
pub fn client(options: &ClientOptions) -> Result<Client, HttpError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let redirect = match options.redirects {
        Redirects::None => reqwest::redirect::Policy::none(),
        Redirects::Limited(hops) => reqwest::redirect::Policy::limited(hops),
    };
    let mut builder = Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .redirect(redirect);
    for root in &options.roots {
        builder = builder.add_root_certificate(root.clone());
    }
    builder.build().map_err(|e| HttpError::Setup(format!("cannot set up an HTTP client: {}", error_text(&e))))
}
