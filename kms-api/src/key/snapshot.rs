//! [`KeySnapshot`] and [`MaterialSnapshot`]: a key record as plain data, for a store to write
//! and read back: the key's metadata as one value, and each material version as a value of
//! its own (so a rotation writes one new material value, not the key's whole history). Secret
//! material leaves and enters only through the caller's `wrap`/`unwrap` functions, so a store
//! decides how it is protected at rest and a snapshot never holds plaintext material.

use std::sync::Arc;

use crate::key::id::KeyId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::key::id::key_arn;
use crate::key::imported::ImportInfo;
use crate::key::material::KeyMaterial;
use crate::key::record::{KeyRecord, MultiRegionConfig, RotationEntry, RotationSchedule};
use crate::key::spec::{KeySpec, KeyState, KeyUsage, Origin};
use crate::key_store::{StoreLink, StoreMembership};
use crate::kms::AliasEntry;
use crate::scope::Scope;
use crate::secret::Secret;

/// A key record with its material wrapped by the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct KeySnapshot {
    pub id: KeyId,
    pub account: String,
    pub region: String,
    pub created_at: DateTime<Utc>,
    pub description: String,
    pub key_spec: KeySpec,
    pub key_usage: KeyUsage,
    pub origin: Origin,
    pub state: KeyState,
    pub deletion_date: Option<DateTime<Utc>>,
    pub pending_window_days: Option<u32>,
    pub tags: Vec<(String, String)>,
    pub policy: String,
    pub rotation: RotationSnapshot,
    /// Material versions inside the key's value: only in stores written before material
    /// versions had values of their own (read, never written).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub materials: Vec<MaterialSnapshot>,
    /// An AWS managed key (absent in stores written before it existed).
    #[serde(default)]
    pub aws_managed: bool,
    /// A multi-Region key's set (absent for single-Region keys and in stores written before
    /// multi-Region keys existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<MultiRegionConfig>,
    /// The custom key store the key is in (absent for other keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    /// The external key of a key in an external key store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xks_key_id: Option<String>,
    /// Since when GetKeyLastUsage tracks the key (absent in stores written before it did:
    /// tracking then starts when the key is restored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_tracked_since: Option<DateTime<Utc>>,
}

/// The rotation schedule and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct RotationSnapshot {
    pub enabled: bool,
    pub period_days: u32,
    pub next_rotation: Option<DateTime<Utc>>,
    /// `(version, date, on_demand)`, oldest first: only in stores written before material
    /// versions had values of their own (read, never written; now each
    /// [`MaterialSnapshot`] carries its rotation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<(u32, DateTime<Utc>, bool)>,
}

/// One material version, its secret wrapped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct MaterialSnapshot {
    pub version: u32,
    pub material_id: String,
    pub created_at: DateTime<Utc>,
    /// The secret as the store's `wrap` returned it (base64 in JSON).
    #[serde(with = "base64_bytes")]
    pub wrapped: Vec<u8>,
    /// The rotation that created this version (none for the original material).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<MaterialRotation>,
    /// How imported material was imported (absent for material KMS generated). While it is
    /// deleted or expired `wrapped` is empty: its bytes are gone, its ID stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportSnapshot>,
}

/// The import settings of one imported material version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ImportSnapshot {
    /// Whether the bytes are there (`IMPORTED`) or not (`PENDING_IMPORT`).
    pub imported: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub pending_rotation: bool,
}

/// The rotation that created a material version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct MaterialRotation {
    pub date: DateTime<Utc>,
    pub on_demand: bool,
}

/// An alias as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AliasSnapshot {
    pub account: String,
    pub region: String,
    pub name: String,
    pub target: KeyId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AliasSnapshot {
    /// The snapshot of `alias` in `scope`.
    pub fn of(scope: &Scope, alias: &AliasEntry) -> Self {
        Self {
            account: scope.account().to_owned(),
            region: scope.region().to_owned(),
            name: alias.name.clone(),
            target: alias.target,
            created_at: alias.created_at,
            updated_at: alias.updated_at,
        }
    }

    /// The scope and alias again.
    pub fn into_parts(self) -> (Scope, AliasEntry) {
        (
            Scope::new(self.account, self.region),
            AliasEntry {
                name: self.name,
                target: self.target,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
        )
    }
}

impl KeyRecord {
    /// The record's metadata as plain data: everything but its material versions (see
    /// [`KeyRecord::material_snapshot`]).
    pub fn to_snapshot(&self) -> KeySnapshot {
        KeySnapshot {
            id: self.id,
            account: self.scope.account().to_owned(),
            region: self.scope.region().to_owned(),
            created_at: self.created_at,
            description: self.description.clone(),
            key_spec: self.key_spec,
            key_usage: self.key_usage,
            origin: self.origin,
            state: self.state,
            deletion_date: self.deletion_date,
            pending_window_days: self.pending_window_days,
            tags: self.tags.clone(),
            policy: self.policy.text().to_owned(),
            rotation: RotationSnapshot {
                enabled: self.rotation.enabled,
                period_days: self.rotation.period_days,
                next_rotation: self.rotation.next_rotation,
                history: Vec::new(),
            },
            materials: Vec::new(),
            aws_managed: self.aws_managed,
            multi_region: self.multi_region.clone(),
            custom_key_store_id: self
                .custom_key_store
                .as_ref()
                .map(|m| m.link.id().to_owned()),
            xks_key_id: self
                .custom_key_store
                .as_ref()
                .and_then(|m| m.xks_key_id.clone()),
            usage_tracked_since: self.usage.tracking_since(),
        }
    }

    /// Material `version` (1-based) as plain data, with the rotation that created it; `wrap`
    /// protects the secret.
    ///
    /// # Errors
    /// Whatever `wrap` reports, or that the key has no such version.
    pub fn material_snapshot(
        &self,
        version: u32,
        wrap: impl Fn(&Secret) -> Result<Vec<u8>, String>,
    ) -> Result<MaterialSnapshot, String> {
        let m = self
            .material(version)
            .ok_or_else(|| format!("key {}: no material version {version}", self.id))?;
        let rotation = self
            .rotation
            .history
            .iter()
            .find(|r| r.version == version)
            .map(|r| MaterialRotation {
                date: r.date,
                on_demand: r.on_demand,
            });
        Ok(MaterialSnapshot {
            version,
            material_id: m.material_id().to_owned(),
            created_at: m.created_at(),
            wrapped: match m.secret() {
                Some(secret) => wrap(secret)?,
                None => Vec::new(),
            },
            rotation,
            import: m.import().map(|i| ImportSnapshot {
                imported: m.secret().is_some(),
                valid_to: i.valid_to,
                description: i.description.clone(),
                pending_rotation: i.pending_rotation,
            }),
        })
    }

    /// The record again from its metadata and its material versions (in any order); `unwrap`
    /// recovers each secret. A snapshot written before material versions had values of their
    /// own carries them inside (`s.materials`); those are used when `materials` is empty.
    /// The result is checked: material versions must be 1, 2, ... without gaps and the
    /// deletion date must match the state.
    ///
    /// # Errors
    /// Whatever `unwrap` reports, or a description of the inconsistency.
    pub fn from_snapshot(
        mut s: KeySnapshot,
        mut materials: Vec<MaterialSnapshot>,
        unwrap: impl Fn(&[u8]) -> Result<Secret, String>,
    ) -> Result<KeyRecord, String> {
        let mut history: Vec<RotationEntry> = Vec::new();
        if materials.is_empty() {
            materials = std::mem::take(&mut s.materials);
            history = s
                .rotation
                .history
                .iter()
                .map(|&(version, date, on_demand)| RotationEntry {
                    version,
                    date,
                    on_demand,
                })
                .collect();
        }
        materials.sort_by_key(|m| m.version);
        let scope = Scope::new(s.account, s.region);
        let mut versions = Vec::with_capacity(materials.len());
        for (i, m) in materials.into_iter().enumerate() {
            if m.version as usize != i + 1 {
                return Err(format!("key {}: material versions are not 1..n", s.id));
            }
            if let Some(r) = &m.rotation {
                history.push(RotationEntry {
                    version: m.version,
                    date: r.date,
                    on_demand: r.on_demand,
                });
            }
            let material = match m.import {
                None => {
                    let secret = unwrap(&m.wrapped)?;
                    KeyMaterial::from_parts(
                        s.key_spec,
                        m.version,
                        m.material_id,
                        m.created_at,
                        secret,
                    )
                    .map_err(|e| format!("key {}: {e}", s.id))?
                }
                Some(import) => {
                    let secret = if import.imported {
                        let secret = unwrap(&m.wrapped)?;
                        if s.key_spec == KeySpec::SymmetricDefault {
                            // Checked now, as `from_parts` checks generated material.
                            crate::key::family::parse(s.key_spec, &secret)
                                .map_err(|e| format!("key {}: {e}", s.id))?;
                        }
                        Some(secret)
                    } else {
                        None
                    };
                    KeyMaterial::imported(
                        s.key_spec,
                        m.version,
                        m.material_id,
                        m.created_at,
                        secret,
                        ImportInfo {
                            valid_to: import.valid_to,
                            description: import.description,
                            pending_rotation: import.pending_rotation,
                        },
                    )
                }
            };
            versions.push(Arc::new(material));
        }
        history.sort_by_key(|r| r.version);
        history.dedup_by_key(|r| r.version);
        if versions.is_empty()
            && s.key_spec == KeySpec::SymmetricDefault
            && s.origin == Origin::AwsKms
        {
            return Err(format!("key {}: no key material", s.id));
        }
        if s.deletion_date.is_some() != (s.state == KeyState::PendingDeletion) {
            return Err(format!("key {}: deletion date and state disagree", s.id));
        }
        if s.id.is_multi_region() != s.multi_region.is_some() {
            return Err(format!("key {}: ID and multi-Region set disagree", s.id));
        }
        Ok(KeyRecord {
            id: s.id,
            arn: Arc::from(key_arn(&scope, s.id)),
            scope,
            created_at: s.created_at,
            description: s.description,
            key_spec: s.key_spec,
            key_usage: s.key_usage,
            origin: s.origin,
            state: s.state,
            deletion_date: s.deletion_date,
            pending_window_days: s.pending_window_days,
            versions,
            tags: s.tags,
            policy: crate::key::policy::KeyPolicy::new(s.policy),
            rotation: RotationSchedule {
                enabled: s.rotation.enabled,
                period_days: s.rotation.period_days,
                next_rotation: s.rotation.next_rotation,
                history,
            },
            aws_managed: s.aws_managed,
            grants: Default::default(),
            multi_region: s.multi_region,
            // Linked to the store itself when the store is restored (`Kms::restore_key`).
            custom_key_store: s.custom_key_store_id.as_deref().map(|id| StoreMembership {
                link: StoreLink::detached(id),
                xks_key_id: s.xks_key_id.clone(),
            }),
            usage: Arc::new(crate::key::usage::UsageSlot::new(s.usage_tracked_since)),
        })
    }

    /// A new enabled symmetric key with the given ID and material versions (oldest first),
    /// for seeding. The default key policy applies.
    ///
    /// # Errors
    /// When a material version is not 32 bytes long.
    pub fn seeded(
        scope: &Scope,
        id: KeyId,
        description: String,
        created_at: DateTime<Utc>,
        materials: Vec<Secret>,
        next_rotation: Option<DateTime<Utc>>,
    ) -> Result<KeyRecord, String> {
        let versions = materials
            .into_iter()
            .enumerate()
            .map(|(i, secret)| {
                let version = i as u32 + 1;
                let material_id = crate::key::material::hex(&seeded_material_id(id, version));
                KeyMaterial::from_parts(
                    KeySpec::SymmetricDefault,
                    version,
                    material_id,
                    created_at,
                    secret,
                )
                .map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Every backing key after the first is a rotation (local-kms rotates on its schedule),
        // so ListKeyRotations lists each material that DescribeKey's CurrentKeyMaterialId can
        // name, the last one current.
        let history = (2..=versions.len() as u32)
            .map(|version| RotationEntry {
                version,
                date: created_at,
                on_demand: false,
            })
            .collect();
        Ok(KeyRecord {
            id,
            arn: Arc::from(key_arn(scope, id)),
            scope: scope.clone(),
            created_at,
            description,
            key_spec: KeySpec::SymmetricDefault,
            key_usage: KeyUsage::EncryptDecrypt,
            origin: Origin::AwsKms,
            state: KeyState::Enabled,
            deletion_date: None,
            pending_window_days: None,
            versions,
            tags: Vec::new(),
            policy: crate::key::policy::KeyPolicy::new(crate::ops::policies::default_policy(scope)),
            rotation: RotationSchedule {
                enabled: next_rotation.is_some(),
                period_days: 365,
                next_rotation,
                history,
            },
            aws_managed: false,
            grants: Default::default(),
            multi_region: None,
            custom_key_store: None,
            usage: Default::default(),
        })
    }
}

impl KeyRecord {
    /// A new enabled RSA or ECC key from a DER private key (PKCS#8, PKCS#1 or SEC1), for
    /// seeding; the spec follows from the key's size or curve.
    ///
    /// ```
    /// use kms_api::{KeyRecord, KeyUsage, Scope};
    /// let scope = Scope::new("111122223333", "us-east-1");
    /// let id = kms_api::KeyId::from(uuid::Uuid::new_v4());
    /// let err = KeyRecord::seeded_private_key(&scope, id, String::new(), chrono::Utc::now(),
    ///     KeyUsage::SignVerify, b"not a key").unwrap_err();
    /// assert!(err.contains("not an RSA or EC private key"));
    /// ```
    ///
    /// # Errors
    /// When the DER is not such a key, or the usage is not one its spec allows.
    pub fn seeded_private_key(
        scope: &Scope,
        id: KeyId,
        description: String,
        created_at: DateTime<Utc>,
        usage: KeyUsage,
        der: &[u8],
    ) -> Result<KeyRecord, String> {
        let (spec, material) =
            crate::key::family::import_private_key_der(der).ok_or_else(|| {
                "PrivateKeyPem is not an RSA or EC private key of a size or curve KMS offers"
                    .to_owned()
            })?;
        Self::seeded_single(scope, id, description, created_at, spec, usage, material)
    }

    /// A new enabled HMAC key with the given material, for seeding.
    ///
    /// # Errors
    /// When `spec` is not an HMAC spec or the material is not as long as it says.
    pub fn seeded_hmac(
        scope: &Scope,
        id: KeyId,
        description: String,
        created_at: DateTime<Utc>,
        spec: KeySpec,
        material: Secret,
    ) -> Result<KeyRecord, String> {
        if !spec.allowed_usages().contains(&KeyUsage::GenerateVerifyMac) {
            return Err(format!("KeySpec {spec} is not an HMAC key spec"));
        }
        Self::seeded_single(
            scope,
            id,
            description,
            created_at,
            spec,
            KeyUsage::GenerateVerifyMac,
            material,
        )
    }

    fn seeded_single(
        scope: &Scope,
        id: KeyId,
        description: String,
        created_at: DateTime<Utc>,
        spec: KeySpec,
        usage: KeyUsage,
        material: Secret,
    ) -> Result<KeyRecord, String> {
        if !spec.allowed_usages().contains(&usage) {
            return Err(format!(
                "KeyUsage {usage} is not compatible with KeySpec {spec}"
            ));
        }
        let material_id = crate::key::material::hex(&seeded_material_id(id, 1));
        let material = KeyMaterial::from_parts(spec, 1, material_id, created_at, material)?;
        crate::key::family::parse(spec, material.secret().ok_or("no material")?)?;
        let mut record = Self::seeded(scope, id, description, created_at, Vec::new(), None)?;
        record.key_spec = spec;
        record.key_usage = usage;
        record.versions = vec![Arc::new(material)];
        Ok(record)
    }
}

/// A stable 32-byte material ID for seeded material: the key ID and version, so the same seed
/// gives the same `KeyMaterialId` on every start (never derived from the secret).
fn seeded_material_id(id: KeyId, version: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(id.as_bytes());
    out[16..20].copy_from_slice(&version.to_be_bytes());
    out[20..].copy_from_slice(b"seed-materl\x01");
    out
}

/// Serde for bytes as base64 text.
mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn snapshots_round_trip_with_wrapped_material() {
        let kms = crate::Kms::builder()
            .random(Arc::new(SeededRandom::new(3)))
            .build();
        let scope = Scope::new("111122223333", "eu-west-1");
        let meta = kms
            .create_key(&scope, Default::default())
            .unwrap()
            .key_metadata;
        kms.rotate_key_on_demand(&scope, crate::wire::keys::KeyIdRequest::new(&meta.key_id))
            .unwrap();
        let key = kms.resolve(&scope, &meta.key_id, false).unwrap();
        let xor = |b: &[u8]| b.iter().map(|x| x ^ 0x5a).collect::<Vec<u8>>();
        let snap = key.to_snapshot();
        let materials: Vec<MaterialSnapshot> = (1..=2)
            .rev()
            .map(|v| key.material_snapshot(v, |s| Ok(xor(s.expose()))).unwrap())
            .collect();
        assert!(materials.iter().all(|m| {
            m.wrapped
                != key.versions[m.version as usize - 1]
                    .secret()
                    .unwrap()
                    .expose()
        }));
        assert!(materials[0].rotation.as_ref().is_some_and(|r| r.on_demand));
        assert!(materials[1].rotation.is_none(), "the original material");
        let json = serde_json::to_string(&snap).unwrap();
        assert!(!json.contains("materials") && !json.contains("history"));
        let back: KeySnapshot = serde_json::from_str(&json).unwrap();
        let materials: Vec<MaterialSnapshot> = materials
            .iter()
            .map(|m| serde_json::from_str(&serde_json::to_string(m).unwrap()).unwrap())
            .collect();
        let record =
            KeyRecord::from_snapshot(back, materials, |w| Ok(Secret::new(xor(w)))).unwrap();
        assert_eq!(record.versions.len(), 2);
        assert_eq!(
            record.versions[1].secret().unwrap().expose(),
            key.versions[1].secret().unwrap().expose()
        );
        assert_eq!(record.arn(), key.arn());
        assert_eq!(record.rotation.history, key.rotation.history);
    }
}
