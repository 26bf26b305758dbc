//! Checksum lists, as `checksum -c` reads them; and any name our writer writes reads back as itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwright_checksums::{Algorithm, LineFormat, ListLine, format_line, hash_reader, parse_list};

fuzz_target!(|data: &[u8]| {
    let _ = parse_list(Algorithm::Sha256, data);
    let _ = parse_list(Algorithm::Sha512, data);
    // File names cannot hold NUL, and GNU strips a final carriage return from every line it reads.
    if data.is_empty() || data.contains(&0) || data.ends_with(b"\r") {
        return;
    }
    let digest = hash_reader(Algorithm::Sha256, &b""[..]).expect("hashing nothing");
    for format in [LineFormat::default(), LineFormat::default().binary(true), LineFormat::default().tag(true)]
    {
        let line = format_line(&digest, data, format);
        assert_eq!(
            parse_list(Algorithm::Sha256, &line),
            [ListLine::Entry { name: data.to_vec(), hex: digest.to_hex().into_bytes() }],
            "{format:?} {line:?}"
        );
    }
});
