//! A transparency-log entry as a Sigstore bundle holds it, from Rekor v1 (its `LogEntry` answer, or
//! cosign's Rekor bundle annotation) or Rekor v2 ([`crate::rekor_v2`]), and the forms it is written
//! in: a bundle's `tlogEntries[]` item, and cosign's annotation (Rekor v1 only: it carries the SET).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// An answer that is not a log entry we can use, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EntryError(pub String);

/// A transparency-log entry, as logged (Rekor v1 or v2).
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// The canonicalized body, base64.
    pub body: String,
    /// When it was integrated (seconds; 0 for Rekor v2, which signs no time).
    pub integrated_time: i64,
    /// Its index.
    pub log_index: i64,
    /// The log's ID (SHA-256 of its key), hex.
    pub log_id: String,
    /// The signed entry timestamp, base64 (Rekor v1; Rekor v2 gives none).
    pub signed_entry_timestamp: Option<String>,
    /// The inclusion proof, as a bundle holds it.
    pub inclusion_proof: Option<Value>,
}

pub(crate) fn hex_to_b64(hex: &str, what: &str) -> Result<String, String> {
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{what} is not a SHA-256 hex digest"));
    }
    let bytes: Vec<u8> =
        (0..64).step_by(2).filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect();
    Ok(STANDARD.encode(bytes))
}

impl LogEntry {
    /// The one entry of a Rekor v1 `LogEntry` answer (`{uuid: {body, integratedTime, …}}`), its
    /// shape checked: hex digests where hex is due, at most 64 proof hashes.
    pub fn from_rekor_answer(answer: &Value) -> Result<LogEntry, EntryError> {
        log_entry(answer).map_err(EntryError)
    }
}

fn log_entry(answer: &Value) -> Result<LogEntry, String> {
    let bad = |what: &str| format!("the answer's {what} is missing or malformed");
    let entries = answer.as_object().filter(|o| o.len() == 1).ok_or_else(|| bad("single entry"))?;
    let entry = entries.values().next().ok_or_else(|| bad("entry"))?;
    let text = |field: &Value, what: &str| field.as_str().map(str::to_owned).ok_or_else(|| bad(what));
    let proof = &entry["verification"]["inclusionProof"];
    let inclusion_proof = if proof.is_object() {
        let hashes =
            proof["hashes"].as_array().filter(|h| h.len() <= 64).ok_or_else(|| bad("inclusion proof"))?;
        let hashes = hashes
            .iter()
            .map(|h| hex_to_b64(h.as_str().unwrap_or_default(), "an inclusion proof hash"))
            .collect::<Result<Vec<_>, _>>()?;
        Some(json!({
            "logIndex": proof["logIndex"].as_i64().ok_or_else(|| bad("proof's logIndex"))?.to_string(),
            "rootHash": hex_to_b64(proof["rootHash"].as_str().unwrap_or_default(), "the root hash")?,
            "treeSize": proof["treeSize"].as_i64().ok_or_else(|| bad("proof's treeSize"))?.to_string(),
            "hashes": hashes,
            "checkpoint": {"envelope": text(&proof["checkpoint"], "checkpoint")?}
        }))
    } else {
        None
    };
    let log_id = text(&entry["logID"], "logID")?;
    hex_to_b64(&log_id, "logID")?;
    Ok(LogEntry {
        body: text(&entry["body"], "body")?,
        integrated_time: entry["integratedTime"].as_i64().ok_or_else(|| bad("integratedTime"))?,
        log_index: entry["logIndex"].as_i64().ok_or_else(|| bad("logIndex"))?,
        log_id,
        signed_entry_timestamp: Some(text(
            &entry["verification"]["signedEntryTimestamp"],
            "signedEntryTimestamp",
        )?),
        inclusion_proof,
    })
}

impl LogEntry {
    /// The entry as a bundle's `tlogEntries[]` item. `kindVersion` comes from the logged body.
    pub fn bundle_entry(&self) -> Value {
        let body: Value = STANDARD
            .decode(&self.body)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        let mut entry = json!({
            "logIndex": self.log_index.to_string(),
            "logId": {"keyId": hex_to_b64(&self.log_id, "logID").unwrap_or_default()},
            "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
            "integratedTime": self.integrated_time.to_string(),
            "canonicalizedBody": self.body
        });
        if let Some(set) = &self.signed_entry_timestamp {
            entry["inclusionPromise"] = json!({"signedEntryTimestamp": set});
        }
        if let Some(proof) = &self.inclusion_proof {
            entry["inclusionProof"] = proof.clone();
        }
        entry
    }

    /// cosign's `dev.sigstore.cosign/bundle` annotation: the SET and what it signs; `None` for a Rekor
    /// v2 entry, which has no SET (cosign's legacy format cannot carry it).
    pub fn rekor_bundle_annotation(&self) -> Option<String> {
        let set = self.signed_entry_timestamp.as_ref()?;
        let annotation = json!({
            "SignedEntryTimestamp": set,
            "Payload": {
                "body": self.body,
                "integratedTime": self.integrated_time,
                "logIndex": self.log_index,
                "logID": self.log_id
            }
        });
        Some(annotation.to_string())
    }

    /// An entry from cosign's bundle annotation (the SET and its payload; no inclusion proof).
    pub fn from_rekor_bundle_annotation(annotation: &str) -> Option<LogEntry> {
        let value: Value = serde_json::from_str(annotation).ok()?;
        let payload = &value["Payload"];
        Some(LogEntry {
            body: payload["body"].as_str()?.to_owned(),
            integrated_time: payload["integratedTime"].as_i64()?,
            log_index: payload["logIndex"].as_i64()?,
            log_id: payload["logID"].as_str()?.to_owned(),
            signed_entry_timestamp: Some(value["SignedEntryTimestamp"].as_str()?.to_owned()),
            inclusion_proof: None,
        })
    }
}
