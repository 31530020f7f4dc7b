//! [`Operation`]: the 56 operations of the KMS API (model `kms-2014-11-01`), parsed from
//! `X-Amz-Target: TrentService.<Name>`.

/// One KMS API operation.
///
/// ```
/// use kms_api::Operation;
/// let op = Operation::from_target("TrentService.GenerateDataKey").unwrap();
/// assert_eq!(op, Operation::GenerateDataKey);
/// assert_eq!(op.name(), "GenerateDataKey");
/// assert!(Operation::from_target("TrentService.Nope").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `TrentService.CancelKeyDeletion`.
    CancelKeyDeletion,
    /// `TrentService.ConnectCustomKeyStore`.
    ConnectCustomKeyStore,
    /// `TrentService.CreateAlias`.
    CreateAlias,
    /// `TrentService.CreateCustomKeyStore`.
    CreateCustomKeyStore,
    /// `TrentService.CreateGrant`.
    CreateGrant,
    /// `TrentService.CreateKey`.
    CreateKey,
    /// `TrentService.Decapsulate`.
    Decapsulate,
    /// `TrentService.Decrypt`.
    Decrypt,
    /// `TrentService.DeleteAlias`.
    DeleteAlias,
    /// `TrentService.DeleteCustomKeyStore`.
    DeleteCustomKeyStore,
    /// `TrentService.DeleteImportedKeyMaterial`.
    DeleteImportedKeyMaterial,
    /// `TrentService.DeriveSharedSecret`.
    DeriveSharedSecret,
    /// `TrentService.DescribeCustomKeyStores`.
    DescribeCustomKeyStores,
    /// `TrentService.DescribeKey`.
    DescribeKey,
    /// `TrentService.DisableKey`.
    DisableKey,
    /// `TrentService.DisableKeyRotation`.
    DisableKeyRotation,
    /// `TrentService.DisconnectCustomKeyStore`.
    DisconnectCustomKeyStore,
    /// `TrentService.EnableKey`.
    EnableKey,
    /// `TrentService.EnableKeyRotation`.
    EnableKeyRotation,
    /// `TrentService.Encapsulate`.
    Encapsulate,
    /// `TrentService.Encrypt`.
    Encrypt,
    /// `TrentService.GenerateDataKey`.
    GenerateDataKey,
    /// `TrentService.GenerateDataKeyPair`.
    GenerateDataKeyPair,
    /// `TrentService.GenerateDataKeyPairWithoutPlaintext`.
    GenerateDataKeyPairWithoutPlaintext,
    /// `TrentService.GenerateDataKeyWithoutPlaintext`.
    GenerateDataKeyWithoutPlaintext,
    /// `TrentService.GenerateMac`.
    GenerateMac,
    /// `TrentService.GenerateRandom`.
    GenerateRandom,
    /// `TrentService.GetKeyLastUsage`.
    GetKeyLastUsage,
    /// `TrentService.GetKeyPolicy`.
    GetKeyPolicy,
    /// `TrentService.GetKeyRotationStatus`.
    GetKeyRotationStatus,
    /// `TrentService.GetParametersForImport`.
    GetParametersForImport,
    /// `TrentService.GetPublicKey`.
    GetPublicKey,
    /// `TrentService.ImportKeyMaterial`.
    ImportKeyMaterial,
    /// `TrentService.ListAliases`.
    ListAliases,
    /// `TrentService.ListGrants`.
    ListGrants,
    /// `TrentService.ListKeyPolicies`.
    ListKeyPolicies,
    /// `TrentService.ListKeyRotations`.
    ListKeyRotations,
    /// `TrentService.ListKeys`.
    ListKeys,
    /// `TrentService.ListResourceTags`.
    ListResourceTags,
    /// `TrentService.ListRetirableGrants`.
    ListRetirableGrants,
    /// `TrentService.PutKeyPolicy`.
    PutKeyPolicy,
    /// `TrentService.ReEncrypt`.
    ReEncrypt,
    /// `TrentService.ReplicateKey`.
    ReplicateKey,
    /// `TrentService.RetireGrant`.
    RetireGrant,
    /// `TrentService.RevokeGrant`.
    RevokeGrant,
    /// `TrentService.RotateKeyOnDemand`.
    RotateKeyOnDemand,
    /// `TrentService.ScheduleKeyDeletion`.
    ScheduleKeyDeletion,
    /// `TrentService.Sign`.
    Sign,
    /// `TrentService.TagResource`.
    TagResource,
    /// `TrentService.UntagResource`.
    UntagResource,
    /// `TrentService.UpdateAlias`.
    UpdateAlias,
    /// `TrentService.UpdateCustomKeyStore`.
    UpdateCustomKeyStore,
    /// `TrentService.UpdateKeyDescription`.
    UpdateKeyDescription,
    /// `TrentService.UpdatePrimaryRegion`.
    UpdatePrimaryRegion,
    /// `TrentService.Verify`.
    Verify,
    /// `TrentService.VerifyMac`.
    VerifyMac,
}

/// The `X-Amz-Target` prefix of the KMS API.
pub const TARGET_PREFIX: &str = "TrentService.";

impl Operation {
    /// Every operation, in alphabetical order.
    pub const ALL: [Operation; 56] = [
        Self::CancelKeyDeletion,
        Self::ConnectCustomKeyStore,
        Self::CreateAlias,
        Self::CreateCustomKeyStore,
        Self::CreateGrant,
        Self::CreateKey,
        Self::Decapsulate,
        Self::Decrypt,
        Self::DeleteAlias,
        Self::DeleteCustomKeyStore,
        Self::DeleteImportedKeyMaterial,
        Self::DeriveSharedSecret,
        Self::DescribeCustomKeyStores,
        Self::DescribeKey,
        Self::DisableKey,
        Self::DisableKeyRotation,
        Self::DisconnectCustomKeyStore,
        Self::EnableKey,
        Self::EnableKeyRotation,
        Self::Encapsulate,
        Self::Encrypt,
        Self::GenerateDataKey,
        Self::GenerateDataKeyPair,
        Self::GenerateDataKeyPairWithoutPlaintext,
        Self::GenerateDataKeyWithoutPlaintext,
        Self::GenerateMac,
        Self::GenerateRandom,
        Self::GetKeyLastUsage,
        Self::GetKeyPolicy,
        Self::GetKeyRotationStatus,
        Self::GetParametersForImport,
        Self::GetPublicKey,
        Self::ImportKeyMaterial,
        Self::ListAliases,
        Self::ListGrants,
        Self::ListKeyPolicies,
        Self::ListKeyRotations,
        Self::ListKeys,
        Self::ListResourceTags,
        Self::ListRetirableGrants,
        Self::PutKeyPolicy,
        Self::ReEncrypt,
        Self::ReplicateKey,
        Self::RetireGrant,
        Self::RevokeGrant,
        Self::RotateKeyOnDemand,
        Self::ScheduleKeyDeletion,
        Self::Sign,
        Self::TagResource,
        Self::UntagResource,
        Self::UpdateAlias,
        Self::UpdateCustomKeyStore,
        Self::UpdateKeyDescription,
        Self::UpdatePrimaryRegion,
        Self::Verify,
        Self::VerifyMac,
    ];

    /// The operation named by an `X-Amz-Target` header value.
    pub fn from_target(target: &str) -> Option<Self> {
        Self::from_name(target.strip_prefix(TARGET_PREFIX)?)
    }

    /// The operation called `name` (e.g. `Encrypt`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "CancelKeyDeletion" => Self::CancelKeyDeletion,
            "ConnectCustomKeyStore" => Self::ConnectCustomKeyStore,
            "CreateAlias" => Self::CreateAlias,
            "CreateCustomKeyStore" => Self::CreateCustomKeyStore,
            "CreateGrant" => Self::CreateGrant,
            "CreateKey" => Self::CreateKey,
            "Decapsulate" => Self::Decapsulate,
            "Decrypt" => Self::Decrypt,
            "DeleteAlias" => Self::DeleteAlias,
            "DeleteCustomKeyStore" => Self::DeleteCustomKeyStore,
            "DeleteImportedKeyMaterial" => Self::DeleteImportedKeyMaterial,
            "DeriveSharedSecret" => Self::DeriveSharedSecret,
            "DescribeCustomKeyStores" => Self::DescribeCustomKeyStores,
            "DescribeKey" => Self::DescribeKey,
            "DisableKey" => Self::DisableKey,
            "DisableKeyRotation" => Self::DisableKeyRotation,
            "DisconnectCustomKeyStore" => Self::DisconnectCustomKeyStore,
            "EnableKey" => Self::EnableKey,
            "EnableKeyRotation" => Self::EnableKeyRotation,
            "Encapsulate" => Self::Encapsulate,
            "Encrypt" => Self::Encrypt,
            "GenerateDataKey" => Self::GenerateDataKey,
            "GenerateDataKeyPair" => Self::GenerateDataKeyPair,
            "GenerateDataKeyPairWithoutPlaintext" => Self::GenerateDataKeyPairWithoutPlaintext,
            "GenerateDataKeyWithoutPlaintext" => Self::GenerateDataKeyWithoutPlaintext,
            "GenerateMac" => Self::GenerateMac,
            "GenerateRandom" => Self::GenerateRandom,
            "GetKeyLastUsage" => Self::GetKeyLastUsage,
            "GetKeyPolicy" => Self::GetKeyPolicy,
            "GetKeyRotationStatus" => Self::GetKeyRotationStatus,
            "GetParametersForImport" => Self::GetParametersForImport,
            "GetPublicKey" => Self::GetPublicKey,
            "ImportKeyMaterial" => Self::ImportKeyMaterial,
            "ListAliases" => Self::ListAliases,
            "ListGrants" => Self::ListGrants,
            "ListKeyPolicies" => Self::ListKeyPolicies,
            "ListKeyRotations" => Self::ListKeyRotations,
            "ListKeys" => Self::ListKeys,
            "ListResourceTags" => Self::ListResourceTags,
            "ListRetirableGrants" => Self::ListRetirableGrants,
            "PutKeyPolicy" => Self::PutKeyPolicy,
            "ReEncrypt" => Self::ReEncrypt,
            "ReplicateKey" => Self::ReplicateKey,
            "RetireGrant" => Self::RetireGrant,
            "RevokeGrant" => Self::RevokeGrant,
            "RotateKeyOnDemand" => Self::RotateKeyOnDemand,
            "ScheduleKeyDeletion" => Self::ScheduleKeyDeletion,
            "Sign" => Self::Sign,
            "TagResource" => Self::TagResource,
            "UntagResource" => Self::UntagResource,
            "UpdateAlias" => Self::UpdateAlias,
            "UpdateCustomKeyStore" => Self::UpdateCustomKeyStore,
            "UpdateKeyDescription" => Self::UpdateKeyDescription,
            "UpdatePrimaryRegion" => Self::UpdatePrimaryRegion,
            "Verify" => Self::Verify,
            "VerifyMac" => Self::VerifyMac,
            _ => return None,
        })
    }

    /// The operation's name, e.g. `GenerateDataKey`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CancelKeyDeletion => "CancelKeyDeletion",
            Self::ConnectCustomKeyStore => "ConnectCustomKeyStore",
            Self::CreateAlias => "CreateAlias",
            Self::CreateCustomKeyStore => "CreateCustomKeyStore",
            Self::CreateGrant => "CreateGrant",
            Self::CreateKey => "CreateKey",
            Self::Decapsulate => "Decapsulate",
            Self::Decrypt => "Decrypt",
            Self::DeleteAlias => "DeleteAlias",
            Self::DeleteCustomKeyStore => "DeleteCustomKeyStore",
            Self::DeleteImportedKeyMaterial => "DeleteImportedKeyMaterial",
            Self::DeriveSharedSecret => "DeriveSharedSecret",
            Self::DescribeCustomKeyStores => "DescribeCustomKeyStores",
            Self::DescribeKey => "DescribeKey",
            Self::DisableKey => "DisableKey",
            Self::DisableKeyRotation => "DisableKeyRotation",
            Self::DisconnectCustomKeyStore => "DisconnectCustomKeyStore",
            Self::EnableKey => "EnableKey",
            Self::EnableKeyRotation => "EnableKeyRotation",
            Self::Encapsulate => "Encapsulate",
            Self::Encrypt => "Encrypt",
            Self::GenerateDataKey => "GenerateDataKey",
            Self::GenerateDataKeyPair => "GenerateDataKeyPair",
            Self::GenerateDataKeyPairWithoutPlaintext => "GenerateDataKeyPairWithoutPlaintext",
            Self::GenerateDataKeyWithoutPlaintext => "GenerateDataKeyWithoutPlaintext",
            Self::GenerateMac => "GenerateMac",
            Self::GenerateRandom => "GenerateRandom",
            Self::GetKeyLastUsage => "GetKeyLastUsage",
            Self::GetKeyPolicy => "GetKeyPolicy",
            Self::GetKeyRotationStatus => "GetKeyRotationStatus",
            Self::GetParametersForImport => "GetParametersForImport",
            Self::GetPublicKey => "GetPublicKey",
            Self::ImportKeyMaterial => "ImportKeyMaterial",
            Self::ListAliases => "ListAliases",
            Self::ListGrants => "ListGrants",
            Self::ListKeyPolicies => "ListKeyPolicies",
            Self::ListKeyRotations => "ListKeyRotations",
            Self::ListKeys => "ListKeys",
            Self::ListResourceTags => "ListResourceTags",
            Self::ListRetirableGrants => "ListRetirableGrants",
            Self::PutKeyPolicy => "PutKeyPolicy",
            Self::ReEncrypt => "ReEncrypt",
            Self::ReplicateKey => "ReplicateKey",
            Self::RetireGrant => "RetireGrant",
            Self::RevokeGrant => "RevokeGrant",
            Self::RotateKeyOnDemand => "RotateKeyOnDemand",
            Self::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Self::Sign => "Sign",
            Self::TagResource => "TagResource",
            Self::UntagResource => "UntagResource",
            Self::UpdateAlias => "UpdateAlias",
            Self::UpdateCustomKeyStore => "UpdateCustomKeyStore",
            Self::UpdateKeyDescription => "UpdateKeyDescription",
            Self::UpdatePrimaryRegion => "UpdatePrimaryRegion",
            Self::Verify => "Verify",
            Self::VerifyMac => "VerifyMac",
        }
    }

    /// Whether the operation can change state (not cryptographic, not Describe/Get/List).
    pub fn is_mutating(self) -> bool {
        let name = self.name();
        !self.is_cryptographic()
            && !name.starts_with("Describe")
            && !name.starts_with("Get")
            && !name.starts_with("List")
    }

    /// Whether the operation draws on a shared cryptographic-operations quota rather than a
    /// per-API one.
    pub fn is_cryptographic(self) -> bool {
        matches!(
            self,
            Self::Decrypt
                | Self::Encrypt
                | Self::GenerateDataKey
                | Self::GenerateDataKeyWithoutPlaintext
                | Self::GenerateMac
                | Self::GenerateRandom
                | Self::ReEncrypt
                | Self::VerifyMac
                | Self::Sign
                | Self::Verify
                | Self::DeriveSharedSecret
                | Self::Encapsulate
                | Self::Decapsulate
        )
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
            assert_eq!(
                Operation::from_target(&format!("TrentService.{op}")),
                Some(op)
            );
        }
        assert!(Operation::from_target("Encrypt").is_none());
        assert!(Operation::from_target("OtherService.Encrypt").is_none());
    }
}
