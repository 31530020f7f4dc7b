//! Wire types of the rotation operations: EnableKeyRotation, DisableKeyRotation,
//! GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// EnableKeyRotation input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnableKeyRotationRequest {
    /// The key (ID or ARN).
    pub key_id: Option<String>,
    /// 90..=2560 days, default 365.
    pub rotation_period_in_days: Option<i64>,
}

/// GetKeyRotationStatus output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyRotationStatusResponse {
    /// The key ARN.
    pub key_id: String,
    /// Whether automatic rotation is on.
    pub key_rotation_enabled: bool,
    /// The period, while enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<u32>,
    /// When the next automatic rotation is due, while enabled.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub next_rotation_date: Option<DateTime<Utc>>,
    /// While an on-demand rotation runs; this emulator's rotations complete at once.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub on_demand_rotation_start_date: Option<DateTime<Utc>>,
}

/// ListKeyRotations input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyRotationsRequest {
    /// The key (ID or ARN).
    pub key_id: Option<String>,
    /// `ROTATIONS_ONLY` (default) or `ALL_KEY_MATERIAL` (adds the original material).
    pub include_key_material: Option<String>,
    /// 1..=1000, default 100.
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    pub marker: Option<String>,
}

/// One ListKeyRotations entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationsListEntry {
    /// The key ID.
    pub key_id: String,
    /// The material this entry is about.
    pub key_material_id: String,
    /// Imported material: its `KeyMaterialDescription`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_description: Option<String>,
    /// Imported material: `IMPORTED` or `PENDING_IMPORT` (deleted or expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_state: Option<String>,
    /// `CURRENT`, `NON_CURRENT` or (imported material) `PENDING_ROTATION`.
    pub key_material_state: String,
    /// Imported material: `KEY_MATERIAL_EXPIRES` or `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<String>,
    /// Imported material that expires: when.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub valid_to: Option<DateTime<Utc>>,
    /// When the rotation happened; absent for the original material.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub rotation_date: Option<DateTime<Utc>>,
    /// `AUTOMATIC` or `ON_DEMAND`; absent for the original material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<String>,
}

/// ListKeyRotations output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyRotationsResponse {
    /// This page, oldest first.
    pub rotations: Vec<RotationsListEntry>,
    /// Where the next page starts, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}
