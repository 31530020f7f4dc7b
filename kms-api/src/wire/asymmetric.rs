//! Wire types of the asymmetric, HMAC and post-quantum operations: GetPublicKey, Sign, Verify,
//! GenerateMac, VerifyMac, DeriveSharedSecret, Encapsulate, Decapsulate, GenerateDataKeyPair
//! and GenerateDataKeyPairWithoutPlaintext.

use serde::{Deserialize, Serialize};

use super::SecretBytes;
use super::crypto::RecipientInfo;
use crate::crypto::context::EncryptionContext;

/// GetPublicKey input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPublicKeyRequest {
    /// The key.
    pub key_id: Option<String>,
    /// Grant tokens: checked (each must name a grant that exists), never printed.
    pub grant_tokens: Option<super::GrantTokens>,
}

/// GetPublicKey output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct GetPublicKeyResponse {
    /// The key ARN.
    pub key_id: String,
    /// DER SubjectPublicKeyInfo.
    #[serde(with = "super::blob_opt")]
    pub public_key: Option<Vec<u8>>,
    /// Absent for specs the deprecated enum does not have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<String>,
    pub key_spec: String,
    pub key_usage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encapsulation_algorithms: Option<Vec<String>>,
}

/// Sign input.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignRequest {
    /// The key.
    pub key_id: Option<String>,
    /// The message, digest or mu (1..=4096 bytes).
    #[serde(default, deserialize_with = "super::secret_opt::deserialize")]
    pub message: Option<SecretBytes>,
    /// `RAW` (default), `DIGEST` or `EXTERNAL_MU`.
    pub message_type: Option<String>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// One of the key's signing algorithms.
    pub signing_algorithm: Option<String>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// Sign output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignResponse {
    /// The key ARN.
    pub key_id: String,
    /// The signature (DER for ECDSA).
    #[serde(with = "super::blob_opt")]
    pub signature: Option<Vec<u8>>,
    /// The algorithm used.
    pub signing_algorithm: String,
}

/// Verify input.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyRequest {
    /// The key.
    pub key_id: Option<String>,
    /// The message, digest or mu that was signed.
    #[serde(default, deserialize_with = "super::secret_opt::deserialize")]
    pub message: Option<SecretBytes>,
    /// `RAW` (default), `DIGEST` or `EXTERNAL_MU`.
    pub message_type: Option<String>,
    /// The signature to check.
    #[serde(default, deserialize_with = "super::blob_opt::deserialize")]
    pub signature: Option<Vec<u8>>,
    /// The algorithm it was made with.
    pub signing_algorithm: Option<String>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// Verify output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyResponse {
    /// The key ARN.
    pub key_id: String,
    /// Always true: an invalid signature is `KMSInvalidSignatureException`.
    pub signature_valid: bool,
    /// The algorithm.
    pub signing_algorithm: String,
}

/// GenerateMac input.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateMacRequest {
    /// The message (1..=4096 bytes).
    #[serde(default, deserialize_with = "super::secret_opt::deserialize")]
    pub message: Option<SecretBytes>,
    /// The HMAC key.
    pub key_id: Option<String>,
    /// The key's MAC algorithm.
    pub mac_algorithm: Option<String>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// GenerateMac output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateMacResponse {
    /// The MAC.
    #[serde(with = "super::blob_opt")]
    pub mac: Option<Vec<u8>>,
    /// The algorithm.
    pub mac_algorithm: String,
    /// The key ARN.
    pub key_id: String,
}

/// VerifyMac input.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyMacRequest {
    /// The message.
    #[serde(default, deserialize_with = "super::secret_opt::deserialize")]
    pub message: Option<SecretBytes>,
    /// The HMAC key.
    pub key_id: Option<String>,
    /// The key's MAC algorithm.
    pub mac_algorithm: Option<String>,
    /// The MAC to check.
    #[serde(default, deserialize_with = "super::blob_opt::deserialize")]
    pub mac: Option<Vec<u8>>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// VerifyMac output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyMacResponse {
    /// The key ARN.
    pub key_id: String,
    /// Always true: a wrong MAC is `KMSInvalidMacException`.
    pub mac_valid: bool,
    /// The algorithm.
    pub mac_algorithm: String,
}

/// DeriveSharedSecret input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeriveSharedSecretRequest {
    /// The KEY_AGREEMENT key.
    pub key_id: Option<String>,
    /// `ECDH`.
    pub key_agreement_algorithm: Option<String>,
    /// The peer's DER SubjectPublicKeyInfo.
    #[serde(default, deserialize_with = "super::blob_opt::deserialize")]
    pub public_key: Option<Vec<u8>>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
    /// A Nitro enclave's attestation document: the secret is then returned sealed to its
    /// public key (`CiphertextForRecipient`), never in plaintext.
    pub recipient: Option<RecipientInfo>,
}

/// DeriveSharedSecret output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeriveSharedSecretResponse {
    /// The key ARN.
    pub key_id: String,
    /// The raw ECDH shared secret.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::secret_opt::serialize"
    )]
    pub shared_secret: Option<SecretBytes>,
    /// The shared secret sealed to the `Recipient`'s key (CMS EnvelopedData).
    #[serde(skip_serializing_if = "Option::is_none", with = "super::blob_opt")]
    pub ciphertext_for_recipient: Option<Vec<u8>>,
    /// `ECDH`.
    pub key_agreement_algorithm: String,
    /// The key's origin.
    pub key_origin: String,
}

/// Encapsulate input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncapsulateRequest {
    /// The ML-KEM key.
    pub key_id: Option<String>,
    /// `ML_KEM`.
    pub encapsulation_algorithm: Option<String>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// Encapsulate output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncapsulateResponse {
    /// The key ARN.
    pub key_id: String,
    /// The shared secret.
    #[serde(serialize_with = "super::secret_opt::serialize")]
    pub shared_secret: Option<SecretBytes>,
    /// The ML-KEM ciphertext that carries it.
    #[serde(with = "super::blob_opt")]
    pub shared_secret_ciphertext_blob: Option<Vec<u8>>,
    /// `ML_KEM`.
    pub encapsulation_algorithm: String,
}

/// Decapsulate input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecapsulateRequest {
    /// The ML-KEM key.
    pub key_id: Option<String>,
    /// The ML-KEM ciphertext.
    #[serde(default, deserialize_with = "super::blob_opt::deserialize")]
    pub shared_secret_ciphertext_blob: Option<Vec<u8>>,
    /// `ML_KEM`.
    pub encapsulation_algorithm: Option<String>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// Decapsulate output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecapsulateResponse {
    /// The key ARN.
    pub key_id: String,
    /// The shared secret.
    #[serde(serialize_with = "super::secret_opt::serialize")]
    pub shared_secret: Option<SecretBytes>,
    /// `ML_KEM`.
    pub encapsulation_algorithm: String,
}

/// GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairRequest {
    /// Bound to the encrypted private key.
    pub encryption_context: Option<EncryptionContext>,
    /// The symmetric key that encrypts the private key.
    pub key_id: Option<String>,
    /// The type of pair.
    pub key_pair_spec: Option<String>,
    /// Accepted and ignored.
    pub grant_tokens: Option<super::GrantTokens>,
    /// A Nitro enclave's attestation document: the secret is then returned sealed to its
    /// public key (`CiphertextForRecipient`), never in plaintext.
    pub recipient: Option<RecipientInfo>,
    /// Check everything, change nothing.
    pub dry_run: Option<bool>,
}

/// GenerateDataKeyPair output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairResponse {
    /// The PKCS#8 private key encrypted under the KMS key.
    #[serde(with = "super::blob_opt")]
    pub private_key_ciphertext_blob: Option<Vec<u8>>,
    /// The PKCS#8 DER private key.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::secret_opt::serialize"
    )]
    pub private_key_plaintext: Option<SecretBytes>,
    /// The private key sealed to the `Recipient`'s key (CMS EnvelopedData).
    #[serde(skip_serializing_if = "Option::is_none", with = "super::blob_opt")]
    pub ciphertext_for_recipient: Option<Vec<u8>>,
    /// The DER SubjectPublicKeyInfo.
    #[serde(with = "super::blob_opt")]
    pub public_key: Option<Vec<u8>>,
    /// The KMS key ARN.
    pub key_id: String,
    /// The type of pair.
    pub key_pair_spec: String,
    /// The material that encrypted the private key.
    pub key_material_id: String,
}

/// GenerateDataKeyPairWithoutPlaintext output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairWithoutPlaintextResponse {
    /// The PKCS#8 private key encrypted under the KMS key.
    #[serde(with = "super::blob_opt")]
    pub private_key_ciphertext_blob: Option<Vec<u8>>,
    /// The DER SubjectPublicKeyInfo.
    #[serde(with = "super::blob_opt")]
    pub public_key: Option<Vec<u8>>,
    /// The KMS key ARN.
    pub key_id: String,
    /// The type of pair.
    pub key_pair_spec: String,
    /// The material that encrypted the private key.
    pub key_material_id: String,
}

redacted_debug!(SignRequest { key_id, message_type, signing_algorithm, dry_run } secret { message });
redacted_debug!(VerifyRequest { key_id, message_type, signing_algorithm, dry_run } secret { message });
redacted_debug!(GenerateMacRequest { key_id, mac_algorithm, dry_run } secret { message });
redacted_debug!(VerifyMacRequest { key_id, mac_algorithm, dry_run } secret { message });
redacted_debug!(DeriveSharedSecretResponse { key_id, key_agreement_algorithm, key_origin, ciphertext_for_recipient } secret { shared_secret });
redacted_debug!(EncapsulateResponse { key_id, shared_secret_ciphertext_blob, encapsulation_algorithm } secret { shared_secret });
redacted_debug!(DecapsulateResponse { key_id, encapsulation_algorithm } secret { shared_secret });
redacted_debug!(GenerateDataKeyPairResponse { private_key_ciphertext_blob, public_key, key_id, key_pair_spec, key_material_id, ciphertext_for_recipient } secret { private_key_plaintext });
