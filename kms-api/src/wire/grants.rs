//! Wire types of the grant operations: CreateGrant, ListGrants, ListRetirableGrants,
//! RetireGrant, RevokeGrant. Grant tokens are bearer credentials: the request types that hold
//! one print it redacted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::context::EncryptionContext;

/// A grant's constraints, as AWS sends them both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantConstraints {
    /// The request's encryption context must include these pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<EncryptionContext>,
    /// The request's encryption context must be exactly these pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<EncryptionContext>,
    /// The resource on whose behalf the request must be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
}

/// CreateGrant input.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantRequest {
    /// The key (key ID or key ARN; another account's key by ARN).
    pub key_id: Option<String>,
    /// Who gets the permissions (or `GranteeServicePrincipal`).
    pub grantee_principal: Option<String>,
    /// Who may retire the grant.
    pub retiring_principal: Option<String>,
    /// What the grant allows.
    pub operations: Option<Vec<String>>,
    /// Encryption context and source ARN constraints.
    pub constraints: Option<GrantConstraints>,
    /// Grant tokens for this request (validated).
    pub grant_tokens: Option<super::GrantTokens>,
    /// A name that makes a retried CreateGrant return the same grant.
    pub name: Option<String>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
    /// An AWS service principal that gets the permissions.
    pub grantee_service_principal: Option<String>,
    /// An AWS service principal that may retire the grant.
    pub retiring_service_principal: Option<String>,
}

impl std::fmt::Debug for CreateGrantRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateGrantRequest")
            .field("key_id", &self.key_id)
            .field("grantee_principal", &self.grantee_principal)
            .field("operations", &self.operations)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// CreateGrant output.
#[derive(Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantResponse {
    /// A token that carries the grant's permissions at once.
    pub grant_token: String,
    /// The grant's ID (64 hex characters).
    pub grant_id: String,
}

impl std::fmt::Debug for CreateGrantResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateGrantResponse")
            .field("grant_id", &self.grant_id)
            .finish_non_exhaustive()
    }
}

/// ListGrants input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListGrantsRequest {
    /// 1..=1000; at most 100 are returned, 50 by default.
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    pub marker: Option<String>,
    /// The key (key ID or key ARN).
    pub key_id: Option<String>,
    /// Only this grant.
    pub grant_id: Option<String>,
    /// Only grants for this grantee.
    pub grantee_principal: Option<String>,
    /// Only grants for this service principal.
    pub grantee_service_principal: Option<String>,
}

/// ListRetirableGrants input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRetirableGrantsRequest {
    /// 1..=1000; at most 100 are returned, 50 by default.
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    pub marker: Option<String>,
    /// The retiring principal whose grants to list.
    pub retiring_principal: Option<String>,
    /// The retiring service principal whose grants to list.
    pub retiring_service_principal: Option<String>,
}

/// One grant as ListGrants and ListRetirableGrants report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct GrantListEntry {
    /// The key ARN.
    pub key_id: String,
    pub grant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(serialize_with = "super::epoch::serialize")]
    pub creation_date: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    pub issuing_account: String,
    pub operations: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<GrantConstraints>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_service_principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_service_principal: Option<String>,
}

/// ListGrants and ListRetirableGrants output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListGrantsResponse {
    /// This page.
    pub grants: Vec<GrantListEntry>,
    /// Where the next page starts, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}

/// RetireGrant input: a grant token, or the key and the grant ID.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetireGrantRequest {
    /// The token CreateGrant returned.
    pub grant_token: Option<String>,
    /// The key ARN.
    pub key_id: Option<String>,
    /// The grant ID.
    pub grant_id: Option<String>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

impl std::fmt::Debug for RetireGrantRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetireGrantRequest")
            .field("key_id", &self.key_id)
            .field("grant_id", &self.grant_id)
            .field("grant_token", &self.grant_token.as_ref().map(|_| "<token>"))
            .finish_non_exhaustive()
    }
}

/// RevokeGrant input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RevokeGrantRequest {
    /// The key (key ID or key ARN).
    pub key_id: Option<String>,
    /// The grant ID.
    pub grant_id: Option<String>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}
