//! AWS KMS's request quotas: which quota a request draws on ([`QuotaId`]), their names as the
//! CLI, quotas file and admin API spell them, and AWS's default rates per Region.
//!
//! Source: the KMS Developer Guide's "Request quotas" (see
//! `shared/reference/aws-kms-quotas-protocol-bucket-keys.md` §1).

use kms_api::{KeySpec, Operation};

/// A quota a request draws on: a shared cryptographic class, one operation's own quota, or the
/// GenerateDataKeyPair quota of one key pair spec. A small dense index, so a scope's limiters
/// are an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QuotaId(u8);

/// The shared cryptographic-operation quotas.
const SHARED: [&str; 5] = ["symmetric", "rsa", "ecc", "ml-dsa", "ml-kem"];
/// Key pair specs with their own GenerateDataKeyPair quota, and AWS's default rate.
const KEY_PAIR_SPECS: [(&str, f64); 9] = [
    ("ECC_NIST_P256", 100.0),
    ("ECC_NIST_P384", 100.0),
    ("ECC_NIST_P521", 100.0),
    ("ECC_SECG_P256K1", 100.0),
    ("ECC_NIST_EDWARDS25519", 100.0),
    ("RSA_2048", 20.0),
    ("RSA_3072", 4.0),
    ("RSA_4096", 1.0),
    ("SM2", 25.0),
];
const OPS: usize = Operation::ALL.len();

/// How many quotas there are.
pub const QUOTA_COUNT: usize = SHARED.len() + OPS + KEY_PAIR_SPECS.len();

impl QuotaId {
    /// The symmetric cryptographic-operations quota (also HMAC keys).
    pub const SYMMETRIC: QuotaId = QuotaId(0);
    /// The RSA cryptographic-operations quota.
    pub const RSA: QuotaId = QuotaId(1);
    /// The ECC and SM2 cryptographic-operations quota.
    pub const ECC: QuotaId = QuotaId(2);
    /// The ML-DSA cryptographic-operations quota.
    pub const ML_DSA: QuotaId = QuotaId(3);
    /// The ML-KEM cryptographic-operations quota (Encapsulate, Decapsulate). AWS's quota page
    /// lists none yet; like ML-DSA's, it is 1,000 shared requests per second.
    pub const ML_KEM: QuotaId = QuotaId(4);

    /// Every quota, in index order.
    pub fn all() -> impl Iterator<Item = QuotaId> {
        (0..QUOTA_COUNT as u8).map(QuotaId)
    }

    /// Every quota a request can draw on, which are the ones a name sets: all but the per-API
    /// slots of cryptographic and GenerateDataKeyPair operations, which draw on their shared
    /// class or key pair spec instead. What `GET /_kms/quotas` lists.
    pub fn listed() -> impl Iterator<Item = QuotaId> {
        Self::all().filter(|q| Self::parse(&q.name()) == Some(*q))
    }

    /// The dense index.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The quota of an operation's own per-API rate.
    pub fn per_api(op: Operation) -> QuotaId {
        let i = Operation::ALL.iter().position(|o| *o == op).unwrap_or(0);
        QuotaId((SHARED.len() + i) as u8)
    }

    /// The GenerateDataKeyPair quota of `spec` (e.g. `RSA_2048`).
    pub fn key_pair(spec: &str) -> Option<QuotaId> {
        let i = KEY_PAIR_SPECS.iter().position(|(s, _)| *s == spec)?;
        Some(QuotaId((SHARED.len() + OPS + i) as u8))
    }

    /// The name used by `--quota`, the quotas file and `/_kms/quotas`.
    pub fn name(self) -> String {
        let i = self.index();
        if i < SHARED.len() {
            SHARED[i].to_owned()
        } else if i < SHARED.len() + OPS {
            Operation::ALL[i - SHARED.len()].name().to_owned()
        } else {
            format!(
                "GenerateDataKeyPair:{}",
                KEY_PAIR_SPECS[i - SHARED.len() - OPS].0
            )
        }
    }

    /// The quota called `name`; the shared classes, an operation name, or
    /// `GenerateDataKeyPair:<spec>`. Cryptographic operations have no quota of their own.
    pub fn parse(name: &str) -> Option<QuotaId> {
        if let Some(i) = SHARED.iter().position(|s| *s == name) {
            return Some(QuotaId(i as u8));
        }
        if let Some(spec) = name.strip_prefix("GenerateDataKeyPair:") {
            return Self::key_pair(spec);
        }
        let op = Operation::from_name(name)?;
        (!op.is_cryptographic() && !is_key_pair_op(op)).then(|| Self::per_api(op))
    }

    /// AWS's default rate in requests per second in `region`.
    pub fn aws_default(self, region: &str) -> f64 {
        let i = self.index();
        if i == 0 {
            return symmetric_default(region);
        }
        if i < SHARED.len() {
            return 1000.0;
        }
        if i < SHARED.len() + OPS {
            return per_api_default(Operation::ALL[i - SHARED.len()]);
        }
        KEY_PAIR_SPECS[i - SHARED.len() - OPS].1
    }
}

fn is_key_pair_op(op: Operation) -> bool {
    matches!(
        op,
        Operation::GenerateDataKeyPair | Operation::GenerateDataKeyPairWithoutPlaintext
    )
}

/// The quota a request draws on. `key_spec` is the spec of the key the request uses, when
/// known; `key_pair_spec` the `KeyPairSpec` member of GenerateDataKeyPair requests.
pub fn quota_for(op: Operation, key_spec: Option<KeySpec>, key_pair_spec: Option<&str>) -> QuotaId {
    if is_key_pair_op(op) {
        return key_pair_spec
            .and_then(QuotaId::key_pair)
            .unwrap_or_else(|| QuotaId::per_api(op));
    }
    if !op.is_cryptographic() {
        return QuotaId::per_api(op);
    }
    use KeySpec::*;
    match key_spec {
        Some(Rsa2048 | Rsa3072 | Rsa4096) => QuotaId::RSA,
        Some(
            EccNistP256 | EccNistP384 | EccNistP521 | EccSecgP256k1 | EccNistEdwards25519 | Sm2,
        ) => QuotaId::ECC,
        Some(MlDsa44 | MlDsa65 | MlDsa87) => QuotaId::ML_DSA,
        Some(MlKem512 | MlKem768 | MlKem1024) => QuotaId::ML_KEM,
        Some(_) => QuotaId::SYMMETRIC,
        // Signing and key agreement never use symmetric keys; without a known key they count
        // against the class of their most common keys.
        None => match op {
            Operation::Sign | Operation::Verify => QuotaId::RSA,
            Operation::DeriveSharedSecret => QuotaId::ECC,
            Operation::Encapsulate | Operation::Decapsulate => QuotaId::ML_KEM,
            _ => QuotaId::SYMMETRIC,
        },
    }
}

/// The symmetric cryptographic quota of a Region (current AWS defaults).
fn symmetric_default(region: &str) -> f64 {
    match region {
        "us-east-1" | "us-west-2" | "eu-west-1" => 100_000.0,
        "us-east-2" | "ap-southeast-1" | "ap-southeast-2" | "ap-northeast-1" | "eu-central-1"
        | "eu-west-2" => 20_000.0,
        _ => 10_000.0,
    }
}

/// AWS's per-API request quotas (requests per second).
fn per_api_default(op: Operation) -> f64 {
    use Operation::*;
    match op {
        CancelKeyDeletion
        | ConnectCustomKeyStore
        | CreateAlias
        | CreateCustomKeyStore
        | CreateKey
        | DeleteCustomKeyStore
        | DescribeCustomKeyStores
        | DisableKey
        | DisableKeyRotation
        | DisconnectCustomKeyStore
        | EnableKey
        | GetKeyLastUsage
        | ReplicateKey
        | RotateKeyOnDemand
        | UntagResource
        | UpdateAlias
        | UpdateCustomKeyStore
        | UpdateKeyDescription
        | UpdatePrimaryRegion => 5.0,
        TagResource => 10.0,
        DeleteAlias
        | DeleteImportedKeyMaterial
        | EnableKeyRotation
        | ImportKeyMaterial
        | PutKeyPolicy
        | ScheduleKeyDeletion => 15.0,
        CreateGrant | RetireGrant | RevokeGrant => 50.0,
        ListGrants | ListKeyPolicies | ListKeyRotations | ListRetirableGrants => 100.0,
        ListAliases | ListKeys => 500.0,
        GetKeyPolicy | GetKeyRotationStatus => 1000.0,
        DescribeKey | GetPublicKey | ListResourceTags => 2000.0,
        GetParametersForImport => 1.0,
        GenerateDataKeyPair | GenerateDataKeyPairWithoutPlaintext => 20.0,
        // Cryptographic operations draw on the shared classes; these rates are never used.
        _ => 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for q in QuotaId::all() {
            let name = q.name();
            if let Some(parsed) = QuotaId::parse(&name) {
                assert_eq!(parsed, q, "{name}");
            } else {
                let op = Operation::from_name(&name).unwrap();
                assert!(
                    op.is_cryptographic() || is_key_pair_op(op),
                    "{name} must parse"
                );
            }
        }
        assert_eq!(QuotaId::parse("ml-dsa"), Some(QuotaId::ML_DSA));
        assert_eq!(
            QuotaId::parse("GenerateDataKeyPair:RSA_4096")
                .unwrap()
                .aws_default("us-east-1"),
            1.0
        );
        assert_eq!(QuotaId::parse("Encrypt"), None, "crypto ops share a class");
        assert_eq!(QuotaId::parse("Nope"), None);
    }

    #[test]
    fn aws_defaults() {
        assert_eq!(QuotaId::SYMMETRIC.aws_default("us-east-1"), 100_000.0);
        assert_eq!(QuotaId::SYMMETRIC.aws_default("eu-west-2"), 20_000.0);
        assert_eq!(QuotaId::SYMMETRIC.aws_default("sa-east-1"), 10_000.0);
        assert_eq!(QuotaId::RSA.aws_default("us-east-1"), 1000.0);
        assert_eq!(QuotaId::per_api(Operation::CreateKey).aws_default("x"), 5.0);
        assert_eq!(
            QuotaId::per_api(Operation::DescribeKey).aws_default("x"),
            2000.0
        );
        assert_eq!(
            QuotaId::per_api(Operation::GetParametersForImport).aws_default("x"),
            1.0
        );
    }

    #[test]
    fn requests_map_to_their_quota() {
        assert_eq!(
            quota_for(Operation::GenerateDataKey, None, None),
            QuotaId::SYMMETRIC
        );
        assert_eq!(
            quota_for(Operation::GenerateMac, Some(KeySpec::Hmac256), None),
            QuotaId::SYMMETRIC
        );
        assert_eq!(
            quota_for(Operation::Decrypt, Some(KeySpec::Rsa2048), None),
            QuotaId::RSA
        );
        assert_eq!(
            quota_for(Operation::Sign, Some(KeySpec::MlDsa65), None),
            QuotaId::ML_DSA
        );
        assert_eq!(
            quota_for(Operation::Sign, Some(KeySpec::Sm2), None),
            QuotaId::ECC
        );
        assert_eq!(
            quota_for(Operation::CreateKey, None, None),
            QuotaId::per_api(Operation::CreateKey)
        );
        assert_eq!(
            quota_for(
                Operation::GenerateDataKeyPairWithoutPlaintext,
                None,
                Some("RSA_3072")
            ),
            QuotaId::key_pair("RSA_3072").unwrap()
        );
    }
}
