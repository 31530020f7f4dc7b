//! Wire types of the key lifecycle operations: CreateKey, DescribeKey, ListKeys,
//! UpdateKeyDescription, EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Tag;

/// CreateKey input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeyRequest {
    /// The key policy; AWS's default policy when absent.
    pub policy: Option<String>,
    /// A description, up to 8192 characters.
    pub description: Option<String>,
    /// `ENCRYPT_DECRYPT` (default for symmetric keys), `SIGN_VERIFY`, ...
    pub key_usage: Option<String>,
    /// Deprecated name of `KeySpec`.
    pub customer_master_key_spec: Option<String>,
    /// `SYMMETRIC_DEFAULT` (default), ...
    pub key_spec: Option<String>,
    /// `AWS_KMS` (default), ...
    pub origin: Option<String>,
    /// The custom key store to create the key in (origin `AWS_CLOUDHSM` or
    /// `EXTERNAL_KEY_STORE`).
    pub custom_key_store_id: Option<String>,
    /// Accepted and ignored: policies are not evaluated.
    pub bypass_policy_lockout_safety_check: Option<bool>,
    /// Tags to set on the new key.
    pub tags: Option<Vec<Tag>>,
    /// A multi-Region primary key (`mrk-` key ID) when true.
    pub multi_region: Option<bool>,
    /// The external key of a key in an external key store.
    pub xks_key_id: Option<String>,
}

/// The metadata AWS returns for a key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct KeyMetadata {
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    pub key_id: String,
    pub arn: String,
    #[serde(serialize_with = "super::epoch::serialize")]
    pub creation_date: DateTime<Utc>,
    pub enabled: bool,
    pub description: String,
    pub key_usage: String,
    pub key_state: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub deletion_date: Option<DateTime<Utc>>,
    pub origin: String,
    /// The custom key store of a key in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    /// The CloudHSM cluster of a key in a CloudHSM key store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_hsm_cluster_id: Option<String>,
    /// The external key of a key in an external key store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xks_key_configuration: Option<XksKeyConfiguration>,
    pub key_manager: String,
    /// Absent for specs the deprecated enum does not have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<String>,
    pub key_spec: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encapsulation_algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_algorithms: Option<Vec<String>>,
    pub multi_region: bool,
    /// A multi-Region key's set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region_configuration: Option<MultiRegionConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
    /// EXTERNAL keys while their material is imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<String>,
    /// The earliest expiry of an EXTERNAL key's imported material.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub valid_to: Option<DateTime<Utc>>,
}

/// CreateKey output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeyResponse {
    /// The new key.
    pub key_metadata: KeyMetadata,
}

/// Input of operations that take only a `KeyId`: DescribeKey, EnableKey, DisableKey,
/// CancelKeyDeletion, ListKeyPolicies' key part.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdRequest {
    /// Key ID, key ARN, alias name or alias ARN (where the operation accepts aliases).
    pub key_id: Option<String>,
    /// Grant tokens: checked (each must name a grant that exists), never printed.
    pub grant_tokens: Option<super::GrantTokens>,
}

impl KeyIdRequest {
    /// A request naming `key_id`.
    pub fn new(key_id: impl Into<String>) -> Self {
        Self {
            key_id: Some(key_id.into()),
            grant_tokens: None,
        }
    }
}

/// DescribeKey output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeKeyResponse {
    /// The key.
    pub key_metadata: KeyMetadata,
}

/// The `{ "KeyId": "<ARN>" }` output of CancelKeyDeletion (and RotateKeyOnDemand).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdResponse {
    /// The key ARN.
    pub key_id: String,
}

/// The `{}` output of operations that return nothing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Empty {}

/// ListKeys input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysRequest {
    /// 1..=1000, default 100.
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    pub marker: Option<String>,
}

/// One ListKeys entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    /// The key ID.
    pub key_id: String,
    /// The key ARN.
    pub key_arn: String,
}

/// ListKeys output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse {
    /// This page.
    pub keys: Vec<KeyListEntry>,
    /// Where the next page starts, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}

/// UpdateKeyDescription input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateKeyDescriptionRequest {
    /// The key.
    pub key_id: Option<String>,
    /// The new description, up to 8192 characters.
    pub description: Option<String>,
}

/// ScheduleKeyDeletion input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionRequest {
    /// The key.
    pub key_id: Option<String>,
    /// 7..=30 days, default 30.
    pub pending_window_in_days: Option<i64>,
}

/// ScheduleKeyDeletion output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionResponse {
    /// The key ARN.
    pub key_id: String,
    /// When the key will be deleted; absent for a multi-Region primary key with replicas,
    /// whose waiting period starts when its last replica is deleted.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub deletion_date: Option<DateTime<Utc>>,
    /// `PendingDeletion`, or `PendingReplicaDeletion` for a primary key with replicas.
    pub key_state: String,
    /// The waiting period.
    pub pending_window_in_days: u32,
}

/// `XksKeyConfiguration`: the external key behind a key in an external key store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct XksKeyConfiguration {
    /// The external key's ID in its key manager.
    pub id: String,
}

/// `MultiRegionConfiguration` of a multi-Region key's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionConfiguration {
    /// `PRIMARY` or `REPLICA`.
    pub multi_region_key_type: String,
    /// The primary key.
    pub primary_key: MultiRegionKey,
    /// Every replica key (a replica's metadata lists itself too).
    pub replica_keys: Vec<MultiRegionKey>,
}

/// One member of a multi-Region set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionKey {
    /// Its key ARN.
    pub arn: String,
    /// Its Region.
    pub region: String,
}
