//! Chart archives (gzip-compressed tar), as `chart push` reads a `.tgz` it is given.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tagwright_oci_publish::chart;

fuzz_target!(|data: &[u8]| {
    if let Ok(meta) = chart::read_archive_from(data, Path::new("fuzz.tgz")) {
        assert!(chart::check_name(&meta.name).is_ok() && chart::check_version(&meta.version).is_ok());
    }
});
