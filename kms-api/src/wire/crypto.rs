//! Wire types of the cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext, GenerateRandom.

use serde::{Deserialize, Serialize};

use super::SecretBytes;
use crate::crypto::context::EncryptionContext;

/// Encrypt input.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptRequest {
    /// The key.
    pub key_id: Option<String>,
    /// 1..=4096 bytes.
    #[serde(default, deserialize_with = "super::secret_opt::deserialize")]
    pub plaintext: Option<SecretBytes>,
    /// Bound to the ciphertext; Decrypt must present the same.
    pub encryption_context: Option<EncryptionContext>,
    /// Grant tokens: checked (each must name a grant that exists), never printed.
    pub grant_tokens: Option<super::GrantTokens>,
    /// `SYMMETRIC_DEFAULT` for symmetric keys.
    pub encryption_algorithm: Option<String>,
    /// Check everything, change nothing, answer `DryRunOperationException`.
    pub dry_run: Option<bool>,
}

/// Encrypt output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    /// The ciphertext blob.
    #[serde(with = "super::blob_opt")]
    pub ciphertext_blob: Option<Vec<u8>>,
    /// The key ARN.
    pub key_id: String,
    /// `SYMMETRIC_DEFAULT`.
    pub encryption_algorithm: String,
}

/// Decrypt input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptRequest {
    /// 1..=6144 bytes.
    #[serde(default, deserialize_with = "super::blob_opt::deserialize")]
    pub ciphertext_blob: Option<Vec<u8>>,
    /// Must equal the context given at encryption.
    pub encryption_context: Option<EncryptionContext>,
    /// Grant tokens: checked (each must name a grant that exists), never printed.
    pub grant_tokens: Option<super::GrantTokens>,
    /// Optional for symmetric keys; when given, it must name the key that encrypted.
    pub key_id: Option<String>,
    /// `SYMMETRIC_DEFAULT` for symmetric keys.
    pub encryption_algorithm: Option<String>,
    /// A Nitro enclave's attestation document: the secret is then returned sealed to its
    /// public key (`CiphertextForRecipient`), never in plaintext.
    pub recipient: Option<RecipientInfo>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// Decrypt output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse {
    /// The key ARN.
    pub key_id: String,
    /// The plaintext.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::secret_opt::serialize"
    )]
    pub plaintext: Option<SecretBytes>,
    /// The algorithm that decrypted.
    pub encryption_algorithm: String,
    /// The plaintext sealed to the `Recipient`'s key (CMS EnvelopedData).
    #[serde(skip_serializing_if = "Option::is_none", with = "super::blob_opt")]
    pub ciphertext_for_recipient: Option<Vec<u8>>,
    /// The material version that decrypted (symmetric keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// ReEncrypt input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptRequest {
    /// The ciphertext to move.
    #[serde(default, deserialize_with = "super::blob_opt::deserialize")]
    pub ciphertext_blob: Option<Vec<u8>>,
    /// The context it was encrypted with.
    pub source_encryption_context: Option<EncryptionContext>,
    /// Optional for symmetric keys; must name the key that encrypted.
    pub source_key_id: Option<String>,
    /// The key to encrypt under.
    pub destination_key_id: Option<String>,
    /// The context to bind the new ciphertext to.
    pub destination_encryption_context: Option<EncryptionContext>,
    /// `SYMMETRIC_DEFAULT`.
    pub source_encryption_algorithm: Option<String>,
    /// `SYMMETRIC_DEFAULT`.
    pub destination_encryption_algorithm: Option<String>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// ReEncrypt output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptResponse {
    /// The new ciphertext.
    #[serde(with = "super::blob_opt")]
    pub ciphertext_blob: Option<Vec<u8>>,
    /// The source key ARN.
    pub source_key_id: String,
    /// The destination key ARN.
    pub key_id: String,
    /// `SYMMETRIC_DEFAULT`.
    pub source_encryption_algorithm: String,
    /// `SYMMETRIC_DEFAULT`.
    pub destination_encryption_algorithm: String,
    /// The material that decrypted (symmetric source keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_material_id: Option<String>,
    /// The material that encrypted (symmetric destination keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_key_material_id: Option<String>,
}

/// GenerateDataKey and GenerateDataKeyWithoutPlaintext input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyRequest {
    /// The key that encrypts the data key.
    pub key_id: Option<String>,
    /// Bound to the encrypted data key.
    pub encryption_context: Option<EncryptionContext>,
    /// 1..=1024; exactly one of this and `key_spec`.
    pub number_of_bytes: Option<i64>,
    /// `AES_256` or `AES_128`.
    pub key_spec: Option<String>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// A Nitro enclave's attestation document: the secret is then returned sealed to its
    /// public key (`CiphertextForRecipient`), never in plaintext.
    pub recipient: Option<RecipientInfo>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// GenerateDataKey output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyResponse {
    /// The data key encrypted under the KMS key.
    #[serde(with = "super::blob_opt")]
    pub ciphertext_blob: Option<Vec<u8>>,
    /// The data key.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::secret_opt::serialize"
    )]
    pub plaintext: Option<SecretBytes>,
    /// The key ARN.
    pub key_id: String,
    /// The material that encrypted the data key.
    pub key_material_id: String,
    /// The data key sealed to the `Recipient`'s key (CMS EnvelopedData).
    #[serde(skip_serializing_if = "Option::is_none", with = "super::blob_opt")]
    pub ciphertext_for_recipient: Option<Vec<u8>>,
}

/// GenerateDataKeyWithoutPlaintext output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyWithoutPlaintextResponse {
    /// The data key encrypted under the KMS key.
    #[serde(with = "super::blob_opt")]
    pub ciphertext_blob: Option<Vec<u8>>,
    /// The key ARN.
    pub key_id: String,
    /// The material that encrypted the data key.
    pub key_material_id: String,
}

/// `RecipientInfo`: a Nitro enclave's attestation document and the algorithm for its key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecipientInfo {
    /// The attestation document (CBOR COSE_Sign1) carrying the enclave's RSA public key.
    #[serde(default, deserialize_with = "super::blob_opt::deserialize")]
    pub attestation_document: Option<Vec<u8>>,
    /// `RSAES_OAEP_SHA_256`, the only value.
    pub key_encryption_algorithm: Option<String>,
}

/// GenerateRandom input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateRandomRequest {
    /// 1..=1024.
    pub number_of_bytes: Option<i64>,
    /// A connected CloudHSM key store to draw from.
    pub custom_key_store_id: Option<String>,
    /// A Nitro enclave's attestation document: the secret is then returned sealed to its
    /// public key (`CiphertextForRecipient`), never in plaintext.
    pub recipient: Option<RecipientInfo>,
}

/// GenerateRandom output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateRandomResponse {
    /// The random bytes.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::secret_opt::serialize"
    )]
    pub plaintext: Option<SecretBytes>,
    /// The random bytes sealed to the `Recipient`'s key (CMS EnvelopedData).
    #[serde(skip_serializing_if = "Option::is_none", with = "super::blob_opt")]
    pub ciphertext_for_recipient: Option<Vec<u8>>,
}

redacted_debug!(EncryptRequest { key_id, encryption_context, encryption_algorithm, dry_run } secret { plaintext });
redacted_debug!(DecryptResponse { key_id, encryption_algorithm, key_material_id, ciphertext_for_recipient } secret { plaintext });
redacted_debug!(GenerateDataKeyResponse { ciphertext_blob, key_id, key_material_id, ciphertext_for_recipient } secret { plaintext });
redacted_debug!(GenerateRandomResponse { ciphertext_for_recipient } secret { plaintext });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_plaintext() {
        let resp = GenerateRandomResponse {
            plaintext: Some(crate::Secret::from_slice(b"topsecret")),
            ciphertext_for_recipient: None,
        };
        let printed = format!("{resp:?}");
        assert!(printed.contains("<9 secret bytes>"));
        assert!(!printed.contains("116, 111, 112"));
    }

    #[test]
    fn debug_output_never_shows_grant_tokens() {
        let req: DecryptRequest = serde_json::from_str(
            r#"{"CiphertextBlob":"AAAA","GrantTokens":["bearer-grant-token"]}"#,
        )
        .unwrap();
        assert_eq!(req.grant_tokens.as_deref().map(<[String]>::len), Some(1));
        let printed = format!("{req:?}");
        assert!(!printed.contains("bearer-grant-token"), "{printed}");
        assert!(printed.contains("<1 tokens>"), "{printed}");
    }
}
