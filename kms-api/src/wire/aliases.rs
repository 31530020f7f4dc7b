//! Wire types of the alias operations: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// CreateAlias and UpdateAlias input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasRequest {
    /// `alias/<name>`.
    pub alias_name: Option<String>,
    /// The key (ID or ARN, not an alias).
    pub target_key_id: Option<String>,
}

/// DeleteAlias input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAliasRequest {
    /// `alias/<name>`.
    pub alias_name: Option<String>,
}

/// ListAliases input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesRequest {
    /// Only the aliases of this key.
    pub key_id: Option<String>,
    /// 1..=1000, default 100.
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    pub marker: Option<String>,
}

/// One ListAliases entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// `alias/<name>`.
    pub alias_name: String,
    /// The alias ARN.
    pub alias_arn: String,
    /// The key ID it points to; `None` for a predefined AWS alias with no key yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    /// When it was created; `None` for a predefined AWS alias with no key yet.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub creation_date: Option<DateTime<Utc>>,
    /// When it was last pointed somewhere; `None` for a predefined AWS alias with no key yet.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::epoch_opt::serialize"
    )]
    pub last_updated_date: Option<DateTime<Utc>>,
}

/// ListAliases output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// This page.
    pub aliases: Vec<AliasListEntry>,
    /// Where the next page starts, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}
