//! Wire types of the tag operations: TagResource, UntagResource, ListResourceTags.

use serde::{Deserialize, Serialize};

use super::Tag;

/// TagResource input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    /// The key (ID or ARN).
    pub key_id: Option<String>,
    /// Tags to add or overwrite.
    pub tags: Option<Vec<Tag>>,
}

/// UntagResource input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    /// The key (ID or ARN).
    pub key_id: Option<String>,
    /// Tag keys to remove; absent keys are ignored.
    pub tag_keys: Option<Vec<String>>,
}

/// ListResourceTags input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListResourceTagsRequest {
    /// The key (ID or ARN).
    pub key_id: Option<String>,
    /// 1..=50, default 50.
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    pub marker: Option<String>,
}

/// ListResourceTags output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListResourceTagsResponse {
    /// This page.
    pub tags: Vec<Tag>,
    /// Where the next page starts, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}
