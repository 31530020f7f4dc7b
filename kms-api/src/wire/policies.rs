//! Wire types of the key policy operations: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies.

use serde::{Deserialize, Serialize};

/// GetKeyPolicy input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyPolicyRequest {
    /// The key (ID or ARN).
    pub key_id: Option<String>,
    /// Only `default` exists; the default when absent.
    pub policy_name: Option<String>,
}

/// GetKeyPolicy output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyPolicyResponse {
    /// The policy document.
    pub policy: String,
    /// `default`.
    pub policy_name: String,
}

/// PutKeyPolicy input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutKeyPolicyRequest {
    /// The key (ID or ARN).
    pub key_id: Option<String>,
    /// Only `default`; the default when absent.
    pub policy_name: Option<String>,
    /// The new policy document.
    pub policy: Option<String>,
    /// Accepted and ignored: policies are not evaluated.
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

/// ListKeyPolicies input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyPoliciesRequest {
    /// The key (ID or ARN).
    pub key_id: Option<String>,
    /// 1..=1000.
    pub limit: Option<i64>,
    /// Never needed: there is one policy.
    pub marker: Option<String>,
}

/// ListKeyPolicies output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyPoliciesResponse {
    /// `["default"]`.
    pub policy_names: Vec<String>,
    /// Always false.
    pub truncated: bool,
}
