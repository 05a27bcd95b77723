//! Business steps between the HTTP handlers and the store: preparing records for storage
//! (validation, depth scoring, idempotency hashes) and shaping stored rows for each reader.

pub mod bundles;
pub mod caseload;
pub mod contacts;
pub mod reports;

use sha2::{Digest, Sha256};

/// A stable fingerprint of a request body, to tell a retry from a different request that
/// reuses a client id.
pub fn request_hash<T: serde::Serialize>(body: &T) -> String {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
