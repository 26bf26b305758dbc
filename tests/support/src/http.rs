//! Loopback HTTP helpers: a tiny server for stand-ins of services that cannot run here (GitHub's REST
//! API), and a fault-injecting proxy in front of a real server. One request per connection: every
//! response says `Connection: close`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub use crate::wire::{Request, Response};
use crate::wire::{content_length, read_head, write_response};

/// A loopback HTTP server answering every request with `handler`. Stops when dropped.
#[derive(Debug)]
pub struct HttpServer(crate::hostile::Hostile);

impl HttpServer {
    /// Starts the server on a free port.
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> HttpServer {
        HttpServer(crate::hostile::Hostile::start(move |request| {
            crate::hostile::Reply::Full(handler(request))
        }))
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.0.host())
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<Request> {
        self.0.requests()
    }
}

/// What the proxy does to a request that a rule matches.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Reads this many bytes of the request body, then drops the connection without answering.
    DropAfter(usize),
    /// Answers with this status and headers without forwarding.
    Status(u16, Vec<(String, String)>),
}

/// Which request to break: the `nth` (1-based; 0 for every one) whose method is `method` and whose
/// path contains `path_contains`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The method.
    pub method: &'static str,
    /// A piece of the path.
    pub path_contains: &'static str,
    /// Which matching request.
    pub nth: usize,
    /// What to do.
    pub fault: Fault,
}

#[derive(Debug)]
struct ProxyState {
    rules: Vec<(Rule, usize)>,
    fired: Vec<String>,
    seen: Vec<String>,
}

/// A loopback proxy in front of `upstream` that injects faults by rule and forwards everything else.
#[derive(Debug)]
pub struct FaultProxy {
    addr: String,
    state: Arc<Mutex<ProxyState>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Starts the proxy for `upstream` (`host:port`, plain HTTP).
    pub fn start(upstream: &str, rules: Vec<Rule>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address").to_string();
        let state = Arc::new(Mutex::new(ProxyState {
            rules: rules.into_iter().map(|r| (r, 0)).collect(),
            fired: vec![],
            seen: vec![],
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (state2, stop2, upstream) = (state.clone(), stop.clone(), upstream.to_owned());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (state, upstream) = (state2.clone(), upstream.clone());
                std::thread::spawn(move || proxy_one(stream, &upstream, &state));
            }
        });
        FaultProxy { addr, state, stop }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> &str {
        &self.addr
    }

    /// The faults injected so far, as `METHOD path: fault`.
    pub fn fired(&self) -> Vec<String> {
        self.state.lock().expect("state").fired.clone()
    }

    /// Every request seen, as `METHOD path`.
    pub fn seen(&self) -> Vec<String> {
        self.state.lock().expect("state").seen.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
    }
}

fn proxy_one(client: TcpStream, upstream: &str, state: &Mutex<ProxyState>) {
    let mut reader = BufReader::new(client.try_clone().expect("clone stream"));
    let Some((method, path, headers, raw_head)) = read_head(&mut reader) else { return };
    let length = content_length(&headers);
    let fault = {
        let mut state = state.lock().expect("state");
        state.seen.push(format!("{method} {path}"));
        let mut chosen = None;
        for (rule, count) in &mut state.rules {
            if rule.method == method && path.contains(rule.path_contains) {
                *count += 1;
                if (rule.nth == 0 || *count == rule.nth) && chosen.is_none() {
                    chosen = Some(rule.fault.clone());
                }
            }
        }
        if let Some(fault) = &chosen {
            state.fired.push(format!("{method} {path}: {fault:?}"));
        }
        chosen
    };
    let mut client = client;
    match fault {
        Some(Fault::DropAfter(bytes)) => {
            let mut sink = vec![0u8; bytes.min(length)];
            let _ = reader.read_exact(&mut sink);
            let _ = client.shutdown(Shutdown::Both);
        }
        Some(Fault::Status(status, headers)) => {
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            write_response(&mut client, &Response { status, headers, body: Vec::new() });
        }
        None => {
            let Ok(mut server) = TcpStream::connect(upstream) else {
                write_response(&mut client, &Response { status: 502, headers: vec![], body: vec![] });
                return;
            };
            // Re-send the head with `Connection: close`, then the body, then relay the answer.
            let head = String::from_utf8_lossy(&raw_head).into_owned();
            let mut lines: Vec<&str> =
                head.split("\r\n").filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).collect();
            while lines.last() == Some(&"") {
                lines.pop();
            }
            let new_head = format!("{}\r\nConnection: close\r\n\r\n", lines.join("\r\n"));
            if server.write_all(new_head.as_bytes()).is_err() {
                return;
            }
            let mut body = (&mut reader).take(length as u64);
            if std::io::copy(&mut body, &mut server).is_err() {
                return;
            }
            let mut from_server = BufReader::new(server);
            let mut response_head = String::new();
            loop {
                let mut line = String::new();
                if from_server.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if line == "\r\n" {
                    break;
                }
                if !line.to_ascii_lowercase().starts_with("connection:") {
                    response_head.push_str(&line);
                }
            }
            response_head.push_str("Connection: close\r\n\r\n");
            if client.write_all(response_head.as_bytes()).is_err() {
                return;
            }
            let _ = std::io::copy(&mut from_server, &mut client);
            let _ = client.flush();
            let _ = client.shutdown(Shutdown::Both);
        }
    }
}
