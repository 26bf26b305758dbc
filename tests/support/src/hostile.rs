//! Hostile loopback servers: what a registry or a token service in an attacker's hands can do to a
//! client. Each reply is raw bytes on the socket, so a server can stream forever, lie about sizes,
//! stall half-way, or never answer at all. Every request is recorded, so a test can prove what the
//! client sent (or did not send) to whom.

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::wire::{Request, Response, read_body, read_head, write_response};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete, honest response.
    Full(Response),
    /// The status and headers (with whatever `Content-Length` the test chooses, or none), then `chunk`
    /// written over and over until the client goes away.
    Endless {
        /// The status code.
        status: u16,
        /// The headers.
        headers: Vec<(String, String)>,
        /// What is repeated.
        chunk: Vec<u8>,
    },
    /// The status and headers, then `first`, then nothing more: the connection stays open until the
    /// client closes it.
    Stall {
        /// The status code.
        status: u16,
        /// The headers.
        headers: Vec<(String, String)>,
        /// The bytes sent before the stall.
        first: Vec<u8>,
    },
    /// No answer at all: the connection stays open until the client closes it.
    Silent,
}

impl Reply {
    /// A JSON response.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::Full(Response::json(status, body))
    }

    /// A response with these headers and body.
    pub fn with(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        Reply::Full(Response {
            status,
            headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            body: body.to_vec(),
        })
    }
}

/// A loopback server that answers with `handler`'s replies. Stops accepting when dropped.
#[derive(Debug)]
pub struct Hostile {
    addr: String,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Hostile {
    /// Starts the server on a free port of 127.0.0.1.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let (stop2, requests2) = (stop.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (handler, requests) = (handler.clone(), requests2.clone());
                std::thread::spawn(move || serve(stream, &*handler, &requests));
            }
        });
        Hostile { addr, stop, requests }
    }

    /// A server that accepts connections and never answers.
    pub fn silent() -> Hostile {
        Hostile::start(|_| Reply::Silent)
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> &str {
        &self.addr
    }

    /// Every request read so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests").clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
    }
}

fn serve(
    stream: TcpStream,
    handler: &(dyn Fn(&Request) -> Reply + Send + Sync),
    requests: &Mutex<Vec<Request>>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let Some((method, path, headers, _)) = read_head(&mut reader) else { return };
    let Some(body) = read_body(&mut reader, &headers) else { return };
    let request = Request { method, path, headers, body };
    let reply = handler(&request);
    requests.lock().expect("requests").push(request);
    let mut stream = stream;
    match reply {
        Reply::Full(response) => write_response(&mut stream, &response),
        Reply::Endless { status, headers, chunk } => {
            if write_head(&mut stream, status, &headers).is_err() {
                return;
            }
            while stream.write_all(&chunk).is_ok() {}
        }
        Reply::Stall { status, headers, first } => {
            if write_head(&mut stream, status, &headers).is_err() || stream.write_all(&first).is_err() {
                return;
            }
            let _ = stream.flush();
            hold(&mut reader);
        }
        Reply::Silent => hold(&mut reader),
    }
}

fn write_head(stream: &mut TcpStream, status: u16, headers: &[(String, String)]) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())
}

/// Keeps the connection open until the client closes it (it sends nothing more after its request).
fn hold(reader: &mut BufReader<TcpStream>) {
    let mut sink = [0u8; 1024];
    while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
}
