//! [`Action`]: the IAM actions of KMS (`kms:<Operation>`, with ReEncrypt split into
//! `kms:ReEncryptFrom` and `kms:ReEncryptTo`), and [`ActionSet`], a policy's `Action` or
//! `NotAction` compiled to a bit set, so matching an action at request time is one bit test.

use crate::operation::Operation;
use crate::policy::glob;

/// One KMS IAM action.
///
/// ```
/// use kms_api::policy::Action;
/// use kms_api::Operation;
/// assert_eq!(Action::of(Operation::GenerateDataKey).name(), "kms:GenerateDataKey");
/// assert_eq!(Action::REENCRYPT_TO.name(), "kms:ReEncryptTo");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Action(u8);

/// Every KMS action name, in the order of [`Operation::ALL`], with `ReEncrypt`'s slot
/// taken by `kms:ReEncryptTo` and `kms:ReEncryptFrom` at the end.
const NAMES: [&str; 57] = [
    "kms:CancelKeyDeletion",
    "kms:ConnectCustomKeyStore",
    "kms:CreateAlias",
    "kms:CreateCustomKeyStore",
    "kms:CreateGrant",
    "kms:CreateKey",
    "kms:Decapsulate",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DeleteCustomKeyStore",
    "kms:DeleteImportedKeyMaterial",
    "kms:DeriveSharedSecret",
    "kms:DescribeCustomKeyStores",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:DisconnectCustomKeyStore",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encapsulate",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateMac",
    "kms:GenerateRandom",
    "kms:GetKeyLastUsage",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:GetParametersForImport",
    "kms:GetPublicKey",
    "kms:ImportKeyMaterial",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListKeys",
    "kms:ListResourceTags",
    "kms:ListRetirableGrants",
    "kms:PutKeyPolicy",
    "kms:ReEncryptTo",
    "kms:ReplicateKey",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:Sign",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateCustomKeyStore",
    "kms:UpdateKeyDescription",
    "kms:UpdatePrimaryRegion",
    "kms:Verify",
    "kms:VerifyMac",
    "kms:ReEncryptFrom",
];

impl Action {
    /// `kms:ReEncryptFrom`: ReEncrypt's permission on the source key.
    pub const REENCRYPT_FROM: Action = Action(56);
    /// `kms:ReEncryptTo`: ReEncrypt's permission on the destination key.
    pub const REENCRYPT_TO: Action = Action(41);

    /// The action an operation needs on its (first) resource. ReEncrypt needs
    /// [`Action::REENCRYPT_FROM`] on the source key and [`Action::REENCRYPT_TO`] on the
    /// destination key; this returns the former.
    pub fn of(operation: Operation) -> Action {
        let index = Operation::ALL
            .iter()
            .position(|&o| o == operation)
            .unwrap_or_default();
        if operation == Operation::ReEncrypt {
            Self::REENCRYPT_FROM
        } else {
            Action(index as u8)
        }
    }

    /// The IAM name, e.g. `kms:Decrypt`.
    pub fn name(self) -> &'static str {
        NAMES[self.0 as usize]
    }

    fn all() -> impl Iterator<Item = Action> {
        (0..NAMES.len() as u8).map(Action)
    }
}

/// The actions a statement's `Action` (or, negated, `NotAction`) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ActionSet(u64);

impl ActionSet {
    /// The KMS actions matching any of `patterns` (`kms:*`, `kms:Generate*`, `*`, ...;
    /// case-insensitive). Patterns of other services match nothing here.
    pub(crate) fn of_patterns<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Self {
        let mut bits = 0u64;
        for pattern in patterns {
            for action in Action::all() {
                if glob::matches_ignore_case(pattern, action.name()) {
                    bits |= 1 << action.0;
                }
            }
        }
        Self(bits)
    }

    pub(crate) fn contains(self, action: Action) -> bool {
        self.0 & (1 << action.0) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_action() {
        for op in Operation::ALL {
            let action = Action::of(op);
            if op == Operation::ReEncrypt {
                assert_eq!(action.name(), "kms:ReEncryptFrom");
            } else {
                assert_eq!(action.name(), format!("kms:{}", op.name()));
            }
        }
        assert_eq!(Action::REENCRYPT_TO.name(), "kms:ReEncryptTo");
    }

    #[test]
    fn patterns_compile_to_sets() {
        let all = ActionSet::of_patterns(["kms:*"]);
        assert!(Operation::ALL.iter().all(|&o| all.contains(Action::of(o))));
        assert!(all.contains(Action::REENCRYPT_TO));
        let star = ActionSet::of_patterns(["*"]);
        assert_eq!(star, all);
        let generate = ActionSet::of_patterns(["KMS:generatedatakey*"]);
        assert!(generate.contains(Action::of(Operation::GenerateDataKey)));
        assert!(generate.contains(Action::of(Operation::GenerateDataKeyPairWithoutPlaintext)));
        assert!(!generate.contains(Action::of(Operation::Decrypt)));
        let re = ActionSet::of_patterns(["kms:ReEncrypt*"]);
        assert!(re.contains(Action::REENCRYPT_FROM) && re.contains(Action::REENCRYPT_TO));
        assert_eq!(
            ActionSet::of_patterns(["s3:*", "kms:Nope"]),
            ActionSet::default()
        );
    }
}
