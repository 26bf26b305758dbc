//! A small OCI distribution registry on 127.0.0.1 that serves OCI image layouts from a directory:
//! `<dir>/<repository>/` is one layout per repository. It is the demo's embedded target, for a
//! machine with no registry: the same HTTP API the real registry speaks (the subset tagwright and
//! skopeo use: `/v2/`, blobs with monolithic and chunked uploads and cross-repository mounts,
//! manifests by tag and digest, tag lists, deletes; no referrers API, as distribution 2.8 and
//! GHCR), so every flow runs unchanged against it. The tests prove it honest with skopeo; the tests
//! of tagwright itself use the real registry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tagwright_oci_publish::layout::Layout;
use tagwright_oci_publish::{Digest, Reference};

use crate::http::{HttpServer, Request, Response};

/// The largest blob or manifest accepted in one request.
const MAX_BODY: usize = 512 << 20;

/// A running layout registry, stopped when dropped.
#[derive(Debug)]
pub struct LayoutRegistry {
    server: HttpServer,
    dir: PathBuf,
}

struct State {
    dir: PathBuf,
    uploads: Mutex<HashMap<String, (String, Vec<u8>)>>,
    next: Mutex<u64>,
}

fn error(status: u16, code: &str, message: &str) -> Response {
    Response::json(status, &json!({"errors": [{"code": code, "message": message}]}).to_string())
}

fn with_headers(mut response: Response, headers: &[(&str, String)]) -> Response {
    response.headers.extend(headers.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    response
}

/// A repository name as the distribution spec allows it: lowercase path components.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        })
}

/// A tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`) or a digest.
fn parse_reference(text: &str) -> Option<Reference> {
    if text.contains(':') {
        return text.parse::<Digest>().ok().map(Reference::Digest);
    }
    let first = text.bytes().next()?;
    let valid = text.len() <= 128
        && (first.is_ascii_alphanumeric() || first == b'_')
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    valid.then(|| Reference::Tag(text.to_owned()))
}

impl LayoutRegistry {
    /// Serves the layouts under `dir` (created as needed) on a free port.
    pub fn start(dir: &Path) -> LayoutRegistry {
        std::fs::create_dir_all(dir).expect("the layouts' directory");
        let state =
            Arc::new(State { dir: dir.to_path_buf(), uploads: Mutex::default(), next: Mutex::new(0) });
        let server = HttpServer::start(move |request| state.handle(request));
        LayoutRegistry { server, dir: dir.to_path_buf() }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.server.url().trim_start_matches("http://").to_owned()
    }

    /// The layout of `repository`.
    pub fn layout_dir(&self, repository: &str) -> PathBuf {
        self.dir.join(repository)
    }
}

impl State {
    fn layout(&self, name: &str, create: bool) -> Option<Layout> {
        let dir = self.dir.join(name);
        if create { Layout::create(&dir).ok() } else { Layout::open(&dir).ok() }
    }

    fn handle(&self, request: &Request) -> Response {
        let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
        if path == "/v2/" || path == "/v2" {
            return Response::json(200, "{}");
        }
        let Some(rest) = path.strip_prefix("/v2/") else { return error(404, "NOT_FOUND", path) };
        let method = request.method.as_str();
        for (marker, kind) in [
            ("/blobs/uploads/", "upload"),
            ("/manifests/", "manifest"),
            ("/blobs/", "blob"),
            ("/referrers/", "referrers"),
        ] {
            if let Some(at) = rest.rfind(marker) {
                let (name, target) = (&rest[..at], &rest[at + marker.len()..]);
                if !valid_name(name) {
                    return error(400, "NAME_INVALID", name);
                }
                return match kind {
                    "upload" => self.upload(method, name, target, query, request),
                    "manifest" => self.manifest(method, name, target, request),
                    "blob" => self.blob(method, name, target),
                    _ => error(404, "NOT_FOUND", "this registry has no referrers API"),
                };
            }
        }
        if let Some(name) = rest.strip_suffix("/tags/list")
            && valid_name(name)
        {
            let Some(layout) = self.layout(name, false) else { return error(404, "NAME_UNKNOWN", name) };
            let mut tags: Vec<String> =
                layout.tags().unwrap_or_default().into_iter().map(|(t, _)| t).collect();
            tags.sort();
            tags.dedup();
            return Response::json(200, &json!({"name": name, "tags": tags}).to_string());
        }
        error(404, "NOT_FOUND", path)
    }

    fn blob(&self, method: &str, name: &str, digest: &str) -> Response {
        let Ok(digest) = digest.parse::<Digest>() else { return error(400, "DIGEST_INVALID", digest) };
        let Some(layout) = self.layout(name, false) else { return error(404, "BLOB_UNKNOWN", name) };
        match method {
            "GET" | "HEAD" => match std::fs::read(layout.blob_path(&digest)) {
                Ok(bytes) => {
                    let response = Response {
                        status: 200,
                        headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                        body: bytes,
                    };
                    with_headers(response, &[("Docker-Content-Digest", digest.to_string())])
                }
                Err(_) => error(404, "BLOB_UNKNOWN", digest.as_str()),
            },
            "DELETE" => match std::fs::remove_file(layout.blob_path(&digest)) {
                Ok(()) => Response::json(202, ""),
                Err(_) => error(404, "BLOB_UNKNOWN", digest.as_str()),
            },
            _ => error(405, "UNSUPPORTED", method),
        }
    }

    fn upload(&self, method: &str, name: &str, id: &str, query: &str, request: &Request) -> Response {
        let param = |key: &str| {
            query.split('&').find_map(|p| p.strip_prefix(&format!("{key}="))).map(|v| v.replace("%3A", ":"))
        };
        let Some(layout) = self.layout(name, true) else { return error(500, "UNKNOWN", name) };
        if method == "POST" && id.is_empty() {
            if let (Some(mount), Some(from)) = (param("mount"), param("from"))
                && let (Ok(digest), true) = (mount.parse::<Digest>(), valid_name(&from))
                && let Some(source) = self.layout(&from, false)
                && source.has_blob(&digest)
                && std::fs::read(source.blob_path(&digest))
                    .is_ok_and(|b| layout.put_blob_bytes(&digest, &b).is_ok())
            {
                return with_headers(
                    Response::json(201, ""),
                    &[
                        ("Location", format!("/v2/{name}/blobs/{digest}")),
                        ("Docker-Content-Digest", digest.to_string()),
                    ],
                );
            }
            if let Some(digest) = param("digest") {
                return self.finish(&layout, name, &digest, request.body.clone());
            }
            let id = {
                let mut next = self.next.lock().expect("next");
                *next += 1;
                format!("u{next}")
            };
            self.uploads.lock().expect("uploads").insert(id.clone(), (name.to_owned(), Vec::new()));
            return with_headers(
                Response::json(202, ""),
                &[("Location", format!("/v2/{name}/blobs/uploads/{id}")), ("Range", "0-0".into())],
            );
        }
        let mut uploads = self.uploads.lock().expect("uploads");
        let Some((owner, received)) = uploads.get_mut(id) else {
            return error(404, "BLOB_UPLOAD_UNKNOWN", id);
        };
        if owner != name {
            return error(404, "BLOB_UPLOAD_UNKNOWN", id);
        }
        if received.len() + request.body.len() > MAX_BODY {
            return error(413, "SIZE_INVALID", "too large");
        }
        match method {
            "PATCH" => {
                received.extend_from_slice(&request.body);
                let end = received.len().saturating_sub(1);
                with_headers(
                    Response::json(202, ""),
                    &[("Location", format!("/v2/{name}/blobs/uploads/{id}")), ("Range", format!("0-{end}"))],
                )
            }
            "GET" => with_headers(
                Response::json(204, ""),
                &[
                    ("Location", format!("/v2/{name}/blobs/uploads/{id}")),
                    ("Range", format!("0-{}", received.len().saturating_sub(1))),
                ],
            ),
            "PUT" => {
                let mut bytes = std::mem::take(received);
                bytes.extend_from_slice(&request.body);
                uploads.remove(id);
                drop(uploads);
                match param("digest") {
                    Some(digest) => self.finish(&layout, name, &digest, bytes),
                    None => error(400, "DIGEST_INVALID", "no digest"),
                }
            }
            "DELETE" => {
                uploads.remove(id);
                Response::json(204, "")
            }
            _ => error(405, "UNSUPPORTED", method),
        }
    }

    fn finish(&self, layout: &Layout, name: &str, digest: &str, bytes: Vec<u8>) -> Response {
        let Ok(digest) = digest.parse::<Digest>() else { return error(400, "DIGEST_INVALID", digest) };
        if Digest::of(digest.algorithm(), &bytes) != digest {
            return error(400, "DIGEST_INVALID", "the content does not match the digest");
        }
        if layout.put_blob_bytes(&digest, &bytes).is_err() {
            return error(500, "UNKNOWN", "the blob could not be stored");
        }
        with_headers(
            Response::json(201, ""),
            &[
                ("Location", format!("/v2/{name}/blobs/{digest}")),
                ("Docker-Content-Digest", digest.to_string()),
            ],
        )
    }

    fn manifest(&self, method: &str, name: &str, reference: &str, request: &Request) -> Response {
        let Some(parsed) = parse_reference(reference) else { return error(400, "TAG_INVALID", reference) };
        match method {
            "GET" | "HEAD" => {
                let Some(layout) = self.layout(name, false) else { return error(404, "NAME_UNKNOWN", name) };
                let Ok(Some(descriptor)) = layout.resolve(Some(&parsed)) else {
                    // A manifest stored by digest alone (a child of an index) is found by its blob.
                    if let Reference::Digest(digest) = &parsed
                        && let Ok(bytes) = layout.read_blob(digest)
                    {
                        let media_type = serde_json::from_slice::<serde_json::Value>(&bytes)
                            .ok()
                            .and_then(|v| v["mediaType"].as_str().map(str::to_owned))
                            .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".to_owned());
                        return self.manifest_response(digest, &media_type, bytes);
                    }
                    return error(404, "MANIFEST_UNKNOWN", reference);
                };
                match layout.read_blob(&descriptor.digest) {
                    Ok(bytes) => self.manifest_response(&descriptor.digest, &descriptor.media_type, bytes),
                    Err(_) => error(404, "MANIFEST_UNKNOWN", reference),
                }
            }
            "PUT" => {
                if request.body.len() > 4 << 20 {
                    return error(413, "MANIFEST_INVALID", "too large");
                }
                let Some(layout) = self.layout(name, true) else { return error(500, "UNKNOWN", name) };
                let media_type = request
                    .header("content-type")
                    .map(|t| t.split(';').next().unwrap_or(t).trim().to_owned())
                    .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".to_owned());
                let tag = match &parsed {
                    Reference::Tag(tag) => Some(tag.as_str()),
                    Reference::Digest(digest) => {
                        if &Digest::of(digest.algorithm(), &request.body) != digest {
                            return error(400, "DIGEST_INVALID", "the manifest does not match the digest");
                        }
                        None
                    }
                };
                match layout.put_manifest(tag, &media_type, &request.body) {
                    Ok(digest) => with_headers(
                        Response::json(201, ""),
                        &[
                            ("Location", format!("/v2/{name}/manifests/{digest}")),
                            ("Docker-Content-Digest", digest.to_string()),
                        ],
                    ),
                    Err(e) => error(400, "MANIFEST_INVALID", &e.to_string()),
                }
            }
            "DELETE" => {
                let Some(layout) = self.layout(name, false) else { return error(404, "NAME_UNKNOWN", name) };
                let Reference::Digest(digest) = parsed else {
                    return error(405, "UNSUPPORTED", "delete by digest");
                };
                match layout.remove(&digest) {
                    Ok(_) => Response::json(202, ""),
                    Err(_) => error(404, "MANIFEST_UNKNOWN", reference),
                }
            }
            _ => error(405, "UNSUPPORTED", method),
        }
    }

    fn manifest_response(&self, digest: &Digest, media_type: &str, bytes: Vec<u8>) -> Response {
        Response {
            status: 200,
            headers: vec![
                ("Content-Type".into(), media_type.to_owned()),
                ("Docker-Content-Digest".into(), digest.to_string()),
            ],
            body: bytes,
        }
    }
}
