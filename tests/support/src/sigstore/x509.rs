//! Certificates as Fulcio issues them, built field by field: a self-signed root, and leaf
//! certificates for an ephemeral key with the Fulcio OID extensions and an embedded SCT from the
//! stand-in's CT log key (the precertificate SCT of RFC 6962 §3.2, over the leaf's TBS without the SCT
//! extension and the hash of the issuer's key).

use std::str::FromStr as _;
use std::time::{Duration, SystemTime};

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;
use sha2::{Digest as _, Sha256};
use x509_cert::der::asn1::{BitString, Ia5String, OctetString, Utf8StringRef};
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate};

const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// The embedded SCT list (RFC 6962 §3.3).
const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// An ECDSA P-256 key and what identifies it.
#[derive(Debug, Clone)]
pub struct Key {
    /// The private key.
    pub signing: SigningKey,
}

impl Key {
    /// A fresh random key.
    pub fn generate() -> Key {
        Key { signing: SigningKey::random(&mut rand_core::OsRng) }
    }

    /// The public key, DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        self.signing.verifying_key().to_public_key_der().expect("spki").as_bytes().to_vec()
    }

    /// SHA-256 of [`Key::spki_der`]: a log's ID, and (its first 4 bytes) a checkpoint's key hint.
    pub fn key_id(&self) -> [u8; 32] {
        Sha256::digest(self.spki_der()).into()
    }

    /// ECDSA-SHA256 over `message`, DER.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: DerSignature = self.signing.sign(message);
        signature.as_bytes().to_vec()
    }
}

fn algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: ECDSA_SHA256, parameters: None }
}

fn extension(oid: ObjectIdentifier, critical: bool, value: &impl x509_cert::der::Encode) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().expect("der")).expect("octets"),
    }
}

fn time(at: SystemTime) -> Time {
    Time::UtcTime(x509_cert::der::asn1::UtcTime::from_system_time(at).expect("time"))
}

fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> OctetString {
    let digest = Sha256::digest(spki.subject_public_key.raw_bytes());
    OctetString::new(&digest[..20]).expect("octets")
}

fn sign_tbs(tbs: TbsCertificate, key: &Key) -> Certificate {
    let signature = key.sign(&tbs.to_der().expect("tbs der"));
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm(),
        signature: BitString::from_bytes(&signature).expect("bits"),
    }
}

fn serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand_core::RngCore::next_u64(&mut rand_core::OsRng)
        .to_be_bytes()
        .iter()
        .chain(rand_core::RngCore::next_u64(&mut rand_core::OsRng).to_be_bytes().iter())
        .copied()
        .collect::<Vec<_>>()
        .try_into()
        .expect("16 bytes");
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::new(&bytes).expect("serial")
}

/// A certificate authority: a self-signed root (CA, key usage certSign and cRLSign).
#[derive(Debug)]
pub struct Authority {
    /// Its key.
    pub key: Key,
    /// Its certificate.
    pub certificate: Certificate,
}

impl Authority {
    /// A root named `O=sigstore.dev, CN=…`, valid from a day ago for ten years.
    pub fn new(common_name: &str) -> Authority {
        let key = Key::generate();
        let name = Name::from_str(&format!("CN={common_name},O=sigstore.dev")).expect("name");
        let spki = SubjectPublicKeyInfoOwned::from_der(&key.spki_der()).expect("spki");
        let now = SystemTime::now();
        let extensions = vec![
            extension(KEY_USAGE, true, &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)),
            extension(BASIC_CONSTRAINTS, true, &BasicConstraints { ca: true, path_len_constraint: Some(1) }),
            extension(SUBJECT_KEY_ID, false, &SubjectKeyIdentifier(key_identifier(&spki))),
        ];
        let tbs = TbsCertificate {
            version: x509_cert::Version::V3,
            serial_number: serial(),
            signature: algorithm(),
            issuer: name.clone(),
            validity: Validity {
                not_before: time(now - Duration::from_secs(86_400)),
                not_after: time(now + Duration::from_secs(10 * 365 * 86_400)),
            },
            subject: name,
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        let certificate = sign_tbs(tbs, &key);
        Authority { key, certificate }
    }

    /// The root, DER.
    pub fn der(&self) -> Vec<u8> {
        self.certificate.to_der().expect("der")
    }
}

/// What a leaf certificate says: its SAN and the Fulcio extensions, in order.
#[derive(Debug, Clone)]
pub struct LeafClaims {
    /// The SAN: a URI (`https://…`) or an email address.
    pub san: String,
    /// `(OID arc under 1.3.6.1.4.1.57264.1, value, raw)`: raw values are the deprecated forms (the
    /// bytes themselves), the others DER UTF8Strings.
    pub extensions: Vec<(u32, String, bool)>,
}

/// Issues a leaf for `subject_key` (DER SPKI), valid for ten minutes from now, with an SCT signed by
/// `ct_log`.
pub fn issue_leaf(ca: &Authority, ct_log: &Key, subject_key: &[u8], claims: &LeafClaims) -> Certificate {
    let spki = SubjectPublicKeyInfoOwned::from_der(subject_key).expect("spki");
    let ca_spki = &ca.certificate.tbs_certificate.subject_public_key_info;
    let now = SystemTime::now();
    let san = if claims.san.contains("://") {
        GeneralName::UniformResourceIdentifier(Ia5String::new(&claims.san).expect("ia5"))
    } else {
        GeneralName::Rfc822Name(Ia5String::new(&claims.san).expect("ia5"))
    };
    let mut extensions = vec![
        extension(KEY_USAGE, true, &KeyUsage(KeyUsages::DigitalSignature.into())),
        extension(EXT_KEY_USAGE, false, &ExtendedKeyUsage(vec![CODE_SIGNING])),
        extension(SUBJECT_KEY_ID, false, &SubjectKeyIdentifier(key_identifier(&spki))),
        extension(
            AUTHORITY_KEY_ID,
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(key_identifier(ca_spki)),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        ),
        extension(SUBJECT_ALT_NAME, true, &SubjectAltName(vec![san])),
    ];
    for (arc, value, raw) in &claims.extensions {
        let oid = ObjectIdentifier::new(&format!("1.3.6.1.4.1.57264.1.{arc}")).expect("oid");
        let value = if *raw {
            value.as_bytes().to_vec()
        } else {
            Utf8StringRef::new(value).expect("utf8").to_der().expect("der")
        };
        extensions.push(Extension {
            extn_id: oid,
            critical: false,
            extn_value: OctetString::new(value).expect("octets"),
        });
    }
    let mut tbs = TbsCertificate {
        version: x509_cert::Version::V3,
        serial_number: serial(),
        signature: algorithm(),
        issuer: ca.certificate.tbs_certificate.subject.clone(),
        validity: Validity { not_before: time(now), not_after: time(now + Duration::from_secs(600)) },
        subject: Name::default(),
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let precert = tbs.to_der().expect("tbs der");
    let sct = signed_certificate_timestamp(ct_log, &ca_spki.to_der().expect("der"), &precert);
    let list = OctetString::new(sct_list(&[sct])).expect("octets");
    tbs.extensions.get_or_insert_with(Vec::new).push(extension(SCT_LIST, false, &list));
    sign_tbs(tbs, &ca.key)
}

/// One SCT (RFC 6962 §3.2, TLS encoding) for a precertificate entry.
fn signed_certificate_timestamp(log: &Key, issuer_spki: &[u8], precert_tbs: &[u8]) -> Vec<u8> {
    let timestamp =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("clock").as_millis() as u64;
    let mut signed = vec![0u8, 0u8];
    signed.extend_from_slice(&timestamp.to_be_bytes());
    signed.extend_from_slice(&1u16.to_be_bytes());
    signed.extend_from_slice(&Sha256::digest(issuer_spki));
    signed.extend_from_slice(&(precert_tbs.len() as u32).to_be_bytes()[1..]);
    signed.extend_from_slice(precert_tbs);
    signed.extend_from_slice(&0u16.to_be_bytes());
    let signature = log.sign(&signed);
    let mut sct = vec![0u8];
    sct.extend_from_slice(&log.key_id());
    sct.extend_from_slice(&timestamp.to_be_bytes());
    sct.extend_from_slice(&0u16.to_be_bytes());
    sct.extend_from_slice(&[4, 3]);
    sct.extend_from_slice(&(signature.len() as u16).to_be_bytes());
    sct.extend_from_slice(&signature);
    sct
}

fn sct_list(scts: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = scts
        .iter()
        .flat_map(|sct| (sct.len() as u16).to_be_bytes().into_iter().chain(sct.iter().copied()))
        .collect();
    (body.len() as u16).to_be_bytes().into_iter().chain(body).collect()
}

/// PEM of a certificate.
pub fn pem(certificate: &Certificate) -> String {
    use x509_cert::der::EncodePem as _;
    certificate.to_pem(x509_cert::der::pem::LineEnding::LF).expect("pem")
}
