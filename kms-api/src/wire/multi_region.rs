//! Wire types of the multi-Region operations: ReplicateKey and UpdatePrimaryRegion.

use serde::{Deserialize, Serialize};

use super::Tag;
use super::keys::KeyMetadata;

/// ReplicateKey input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateKeyRequest {
    /// The multi-Region primary key (key ID or key ARN).
    pub key_id: Option<String>,
    /// The Region of the new replica, in the primary key's partition.
    pub replica_region: Option<String>,
    /// The replica's key policy; AWS's default policy when absent.
    pub policy: Option<String>,
    /// Accepted; policies are not evaluated.
    pub bypass_policy_lockout_safety_check: Option<bool>,
    /// The replica's description (not shared with the set), up to 8192 characters.
    pub description: Option<String>,
    /// The replica's tags (not shared with the set).
    pub tags: Option<Vec<Tag>>,
}

/// ReplicateKey output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateKeyResponse {
    /// The new replica, `Creating`.
    pub replica_key_metadata: KeyMetadata,
    /// The replica's key policy.
    pub replica_policy: String,
    /// The replica's tags; absent when none were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_tags: Option<Vec<Tag>>,
}

/// UpdatePrimaryRegion input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePrimaryRegionRequest {
    /// The current primary key (key ID or key ARN).
    pub key_id: Option<String>,
    /// The Region of the replica that becomes the primary key.
    pub primary_region: Option<String>,
}
