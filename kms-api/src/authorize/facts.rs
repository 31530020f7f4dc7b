//! [`Facts`]: the members of a request that authorization reads (which key, which alias,
//! the encryption context, algorithms, tags, grant details), parsed from the same JSON body
//! the operation then parses in full. Member types are the model's, which names each member
//! with one type across operations, so a body the operation accepts always parses here.

use serde::Deserialize;

use crate::crypto::context::EncryptionContext;
use crate::wire::Tag;
use crate::wire::grants::GrantConstraints;

/// What authorization needs to know about a request.
#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Facts {
    pub key_id: Option<String>,
    pub target_key_id: Option<String>,
    pub source_key_id: Option<String>,
    pub destination_key_id: Option<String>,
    pub alias_name: Option<String>,
    pub encryption_context: Option<EncryptionContext>,
    pub source_encryption_context: Option<EncryptionContext>,
    pub destination_encryption_context: Option<EncryptionContext>,
    pub encryption_algorithm: Option<String>,
    pub source_encryption_algorithm: Option<String>,
    pub destination_encryption_algorithm: Option<String>,
    pub signing_algorithm: Option<String>,
    pub mac_algorithm: Option<String>,
    pub key_agreement_algorithm: Option<String>,
    pub wrapping_algorithm: Option<String>,
    pub key_pair_spec: Option<String>,
    pub message_type: Option<String>,
    pub key_spec: Option<String>,
    pub customer_master_key_spec: Option<String>,
    pub key_usage: Option<String>,
    pub origin: Option<String>,
    pub multi_region: Option<bool>,
    pub tags: Option<Vec<Tag>>,
    pub tag_keys: Option<Vec<String>>,
    pub operations: Option<Vec<String>>,
    pub grantee_principal: Option<String>,
    pub retiring_principal: Option<String>,
    pub constraints: Option<GrantConstraints>,
    pub bypass_policy_lockout_safety_check: Option<bool>,
    pub policy: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::blob_opt::deserialize")]
    pub ciphertext_blob: Option<Vec<u8>>,
    pub grant_id: Option<String>,
    pub grant_token: Option<String>,
    pub rotation_period_in_days: Option<i64>,
    pub pending_window_in_days: Option<i64>,
    pub expiration_model: Option<String>,
    pub replica_region: Option<String>,
    pub primary_region: Option<String>,
}

impl Facts {
    /// The encryption context the action reads: the source context for `ReEncryptFrom`, the
    /// destination context for `ReEncryptTo`, else `EncryptionContext`.
    pub(crate) fn context_for(&self, reencrypt_to: Option<bool>) -> Option<&EncryptionContext> {
        match reencrypt_to {
            Some(false) => self.source_encryption_context.as_ref(),
            Some(true) => self.destination_encryption_context.as_ref(),
            None => self.encryption_context.as_ref(),
        }
    }
}
