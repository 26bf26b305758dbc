//! OCI manifests and indexes, as a registry or a layout serves them: checked before use.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_oci_publish::Digest;
use tagwright_oci_publish::manifest::{self, Content, MAX_MANIFEST_BYTES};

const SERVED_AS: [&str; 6] = [
    "",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/json; charset=utf-8",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else { return };
    let served = SERVED_AS[usize::from(first) % SERVED_AS.len()];
    let Ok(parsed) = manifest::parse(body, served) else { return };
    assert!(body.len() as u64 <= MAX_MANIFEST_BYTES);
    let mut digests: Vec<&Digest> = parsed.blobs().iter().map(|d| &d.digest).collect();
    if let Content::Index { manifests } = &parsed.content {
        assert!(parsed.is_index());
        digests.extend(manifests.iter().map(|(d, _)| &d.digest));
    }
    for digest in digests {
        // Only a valid digest gets this far, and it is safe as a path component.
        assert_eq!(Digest::parse(digest.as_str()).as_ref(), Ok(digest));
        assert!(digest.hex().bytes().all(|b| b.is_ascii_hexdigit()));
    }
});
