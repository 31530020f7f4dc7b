//! Wire types of the import operations: GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial. Import tokens and wrapped material are opaque blobs; the
//! material inside is never held here unwrapped.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// GetParametersForImport input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportRequest {
    /// The EXTERNAL key (key ID or key ARN).
    pub key_id: Option<String>,
    /// `RSAES_OAEP_SHA_1`, `RSAES_OAEP_SHA_256`, `RSA_AES_KEY_WRAP_SHA_1`,
    /// `RSA_AES_KEY_WRAP_SHA_256` (or `SM2PKE` in the China Regions).
    pub wrapping_algorithm: Option<String>,
    /// `RSA_2048`, `RSA_3072`, `RSA_4096` (or `SM2` in the China Regions).
    pub wrapping_key_spec: Option<String>,
}

/// GetParametersForImport output.
#[derive(Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportResponse {
    /// The key ARN.
    pub key_id: String,
    /// The token ImportKeyMaterial needs with material wrapped under `PublicKey`.
    #[serde(with = "super::blob_opt")]
    pub import_token: Option<Vec<u8>>,
    /// The wrapping public key, DER SubjectPublicKeyInfo.
    #[serde(with = "super::blob_opt")]
    pub public_key: Option<Vec<u8>>,
    /// When the token and public key stop being valid (24 hours on).
    #[serde(serialize_with = "super::epoch::serialize")]
    pub parameters_valid_to: DateTime<Utc>,
}

impl std::fmt::Debug for GetParametersForImportResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetParametersForImportResponse")
            .field("key_id", &self.key_id)
            .field("parameters_valid_to", &self.parameters_valid_to)
            .finish_non_exhaustive()
    }
}

/// ImportKeyMaterial input.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportKeyMaterialRequest {
    /// The EXTERNAL key (key ID or key ARN).
    pub key_id: Option<String>,
    /// From the same GetParametersForImport response as the wrapping public key.
    #[serde(default, deserialize_with = "super::blob_opt::deserialize")]
    pub import_token: Option<Vec<u8>>,
    /// The material, wrapped under that public key with that algorithm.
    #[serde(default, deserialize_with = "super::blob_opt::deserialize")]
    pub encrypted_key_material: Option<Vec<u8>>,
    /// When the material expires; required with `KEY_MATERIAL_EXPIRES` (the default).
    #[serde(default, deserialize_with = "super::epoch_in::deserialize")]
    pub valid_to: Option<DateTime<Utc>>,
    /// `KEY_MATERIAL_EXPIRES` (default) or `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    pub expiration_model: Option<String>,
    /// `NEW_KEY_MATERIAL` or `EXISTING_KEY_MATERIAL` (symmetric keys only).
    pub import_type: Option<String>,
    /// A description of the material (symmetric keys only).
    pub key_material_description: Option<String>,
    /// The ID of material being re-imported (symmetric keys only).
    pub key_material_id: Option<String>,
}

impl std::fmt::Debug for ImportKeyMaterialRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportKeyMaterialRequest")
            .field("key_id", &self.key_id)
            .field("valid_to", &self.valid_to)
            .field("expiration_model", &self.expiration_model)
            .field("import_type", &self.import_type)
            .field("key_material_id", &self.key_material_id)
            .finish_non_exhaustive()
    }
}

/// ImportKeyMaterial output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportKeyMaterialResponse {
    /// The key ARN.
    pub key_id: String,
    /// The imported material's ID.
    pub key_material_id: String,
}

/// DeleteImportedKeyMaterial input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteImportedKeyMaterialRequest {
    /// The EXTERNAL key (key ID or key ARN).
    pub key_id: Option<String>,
    /// The material to delete; the current material when absent.
    pub key_material_id: Option<String>,
}

/// DeleteImportedKeyMaterial output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteImportedKeyMaterialResponse {
    /// The key ARN.
    pub key_id: String,
    /// The deleted material's ID (absent when the key had none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}
