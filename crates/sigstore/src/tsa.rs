//! RFC 3161 signed timestamps, as Sigstore bundles carry them: a `TimeStampReq` for the SHA-256 of a
//! signature (with a random nonce, asking for the TSA's certificate), POSTed to a timestamp authority,
//! and its whole `TimeStampResp` (status and token, as sigstore-python and cosign store it), which
//! goes into the bundle's `timestampVerificationData`. The token's signature, chain and imprint are not checked here: the
//! bundle is verified as a whole against the trusted root before anyone publishes it.
//!
//! Only the DER this needs is written and read: definite lengths, at most four length bytes, and
//! nothing after the outermost value.

use sha2::{Digest as _, Sha256};

/// The largest TSA answer read.
const MAX_RESPONSE: u64 = 64 << 10;
/// `id-sha256` (2.16.840.1.101.3.4.2.1), DER.
const SHA256_OID: [u8; 11] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

/// Why a timestamp could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The TSA could not be reached, or answered with an error status.
    #[error("{0}")]
    Http(String),
    /// Bytes that are not a granted `TimeStampResp`.
    #[error("{0}")]
    Malformed(String),
    /// The TSA answered something that is not a granted `TimeStampResp`.
    #[error("the answer of {url}: {reason}")]
    Invalid {
        /// The TSA's URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER `TimeStampReq` (version 1) for the SHA-256 of `signature`, with `nonce` (8 bytes, made a
/// positive INTEGER) and `certReq` TRUE.
pub fn request(signature: &[u8], nonce: [u8; 8]) -> Vec<u8> {
    let algorithm = tlv(0x30, &[&SHA256_OID[..], &[0x05, 0x00]].concat());
    let imprint = tlv(0x30, &[algorithm, tlv(0x04, &Sha256::digest(signature))].concat());
    let mut nonce = nonce.to_vec();
    nonce[0] = (nonce[0] & 0x7f) | 0x01; // positive, and no redundant leading zero
    let body = [tlv(0x02, &[1]), imprint, tlv(0x02, &nonce), tlv(0x01, &[0xff])].concat();
    tlv(0x30, &body)
}

/// One DER value at the start of `bytes`: its tag, its content, and the bytes after it.
fn read(bytes: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let (&tag, rest) = bytes.split_first().ok_or("a DER value ends early")?;
    let (&first, rest) = rest.split_first().ok_or("a DER length is missing")?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return Err("a DER length is indefinite or too long".to_owned());
        }
        let len = rest[..count].iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return Err("a DER value is longer than the answer".to_owned());
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// Checks that `response` is one `TimeStampResp` whose status is granted (0) or granted with
/// modifications (1), followed by its `TimeStampToken`; returns the token (a CMS `ContentInfo`, DER).
pub fn token(response: &[u8]) -> Result<Vec<u8>, TimestampError> {
    granted(response).map_err(TimestampError::Malformed)
}

fn granted(response: &[u8]) -> Result<Vec<u8>, String> {
    let (tag, body, trailing) = read(response)?;
    if tag != 0x30 || !trailing.is_empty() {
        return Err("not one DER SEQUENCE".to_owned());
    }
    let (tag, status_info, rest) = read(body)?;
    if tag != 0x30 {
        return Err("no PKIStatusInfo".to_owned());
    }
    let (tag, status, _) = read(status_info)?;
    if tag != 0x02 || status.len() != 1 || status[0] > 1 {
        return Err(format!("the timestamp was not granted (PKIStatus {status:02x?})"));
    }
    let (tag, _, trailing) = read(rest)?;
    if tag != 0x30 || !trailing.is_empty() {
        return Err("no TimeStampToken after the status".to_owned());
    }
    Ok(rest.to_vec())
}

/// A signed timestamp of `signature` from the TSA at `url` (its `…/api/v1/timestamp`): the granted
/// `TimeStampResp`, DER.
pub(crate) fn timestamp(
    client: &tagwright_http::reqwest::blocking::Client,
    url: &str,
    signature: &[u8],
) -> Result<Vec<u8>, TimestampError> {
    let mut nonce = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
    let types = ("application/timestamp-query", "application/timestamp-reply");
    let (status, answer) = crate::http::post(client, url, types, request(signature, nonce), MAX_RESPONSE)
        .map_err(TimestampError::Http)?;
    let invalid = |reason: String| TimestampError::Invalid { url: url.to_owned(), reason };
    if !(200..300).contains(&status) {
        let text = String::from_utf8_lossy(&answer[..answer.len().min(200)]).into_owned();
        return Err(invalid(format!("HTTP {status}: {text}")));
    }
    granted(&answer).map_err(invalid)?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_the_der_rfc_3161_describes() {
        let der = request(b"sig", [0x80, 0, 0, 0, 0, 0, 0, 7]);
        let (tag, body, rest) = read(&der).expect("one value");
        assert_eq!((tag, rest.len()), (0x30, 0));
        let (tag, version, body) = read(body).expect("version");
        assert_eq!((tag, version), (0x02, &[1u8][..]));
        let (tag, imprint, body) = read(body).expect("imprint");
        assert_eq!(tag, 0x30);
        assert!(imprint.ends_with(&Sha256::digest(b"sig")));
        let (tag, nonce, body) = read(body).expect("nonce");
        assert_eq!((tag, nonce[0]), (0x02, 0x01), "positive, no leading zero");
        assert_eq!(read(body).expect("certReq").0, 0x01);
    }

    #[test]
    fn only_a_granted_answer_gives_its_token() {
        let token_der = tlv(0x30, &tlv(0x06, &[0x2a]));
        let granted = tlv(0x30, &[tlv(0x30, &tlv(0x02, &[0])), token_der.clone()].concat());
        assert_eq!(token(&granted).expect("granted"), token_der);
        let rejected = tlv(0x30, &tlv(0x30, &tlv(0x02, &[2])));
        assert!(token(&rejected).expect_err("rejection").to_string().contains("not granted"));
        let mut trailing = granted.clone();
        trailing.push(0);
        assert!(token(&trailing).is_err());
        for cut in 0..granted.len() {
            assert!(token(&granted[..cut]).is_err(), "cut at {cut}");
        }
        assert!(token(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err(), "a length past the end");
        assert!(token(&[0x30, 0x80]).is_err(), "indefinite length");
    }
}
