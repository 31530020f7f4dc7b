//! Wire types of GetKeyLastUsage.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// GetKeyLastUsage input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyLastUsageRequest {
    /// A key ID or key ARN (no alias).
    pub key_id: Option<String>,
}

/// `KeyLastUsageData`: every member absent (an empty object) when the key was not used since
/// tracking began.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyLastUsageData {
    /// The operation, e.g. `Encrypt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// When.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub timestamp: Option<DateTime<Utc>>,
    /// The request's CloudTrail `eventID`, as the audit log writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_trail_event_id: Option<String>,
    /// The request ID the client got (`x-amzn-RequestId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_request_id: Option<String>,
}

/// GetKeyLastUsage output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyLastUsageResponse {
    /// The key ARN.
    pub key_id: String,
    /// The last successful cryptographic operation.
    pub key_last_usage: KeyLastUsageData,
    /// Since when the key's use is tracked (its creation, or when tracking began).
    #[serde(serialize_with = "super::epoch::serialize")]
    pub tracking_start_date: DateTime<Utc>,
    /// When the key was created.
    #[serde(serialize_with = "super::epoch::serialize")]
    pub key_creation_date: DateTime<Utc>,
}
