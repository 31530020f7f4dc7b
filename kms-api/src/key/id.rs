//! Key identifiers: [`KeyId`] (a UUID, or `mrk-` and 32 hex digits for a multi-Region key),
//! the forms callers write (key ID, key ARN, alias name, alias ARN) and the ARNs the engine
//! writes back.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::KmsError;
use crate::scope::Scope;

/// A key's ID: 16 random bytes, written as a hyphenated UUID for a single-Region key and as
/// `mrk-` and 32 lowercase hex digits for a multi-Region key. `Copy`, hashed and compared as
/// bytes, so it costs what a `Uuid` did.
///
/// ```
/// use kms_api::KeyId;
/// let single: KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab".parse().unwrap();
/// assert!(!single.is_multi_region());
/// let multi: KeyId = "mrk-1234abcd12ab34cd56ef1234567890ab".parse().unwrap();
/// assert!(multi.is_multi_region());
/// assert_eq!(multi.to_string(), "mrk-1234abcd12ab34cd56ef1234567890ab");
/// assert_eq!(single.as_bytes(), multi.as_bytes(), "the same bytes, a different kind");
/// assert!("1234abcd12ab34cd56ef1234567890ab".parse::<KeyId>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId {
    multi_region: bool,
    bytes: [u8; 16],
}

impl KeyId {
    /// A single-Region key ID (a UUID) of these bytes.
    pub fn single_region(bytes: [u8; 16]) -> Self {
        Self {
            multi_region: false,
            bytes,
        }
    }

    /// A multi-Region key ID (`mrk-...`) of these bytes.
    pub fn multi_region(bytes: [u8; 16]) -> Self {
        Self {
            multi_region: true,
            bytes,
        }
    }

    /// Whether it is a multi-Region key ID.
    pub fn is_multi_region(&self) -> bool {
        self.multi_region
    }

    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.bytes
    }

    /// Low bits of the random bytes, for spreading IDs over stripes or shards.
    pub(crate) fn low_bits(&self) -> u64 {
        let mut low = [0u8; 8];
        low.copy_from_slice(&self.bytes[8..]);
        u64::from_be_bytes(low)
    }
}

impl From<Uuid> for KeyId {
    fn from(id: Uuid) -> Self {
        Self::single_region(id.into_bytes())
    }
}

/// The text is not a key ID (neither a hyphenated UUID nor `mrk-` and 32 lowercase hex digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidKeyId;

impl fmt::Display for InvalidKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a key ID")
    }
}

impl std::error::Error for InvalidKeyId {}

impl FromStr for KeyId {
    type Err = InvalidKeyId;

    fn from_str(s: &str) -> Result<Self, InvalidKeyId> {
        if let Some(hex) = s.strip_prefix("mrk-") {
            if !is_multi_region_id(s) {
                return Err(InvalidKeyId);
            }
            let mut bytes = [0u8; 16];
            for (i, byte) in bytes.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| InvalidKeyId)?;
            }
            return Ok(Self::multi_region(bytes));
        }
        parse_key_id(s).map(Self::from).ok_or(InvalidKeyId)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.multi_region {
            f.write_str("mrk-")?;
            for b in self.bytes {
                write!(f, "{b:02x}")?;
            }
            Ok(())
        } else {
            fmt::Display::fmt(Uuid::from_bytes(self.bytes).as_hyphenated(), f)
        }
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A parsed `KeyId` request member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRef<'a> {
    /// A bare key ID.
    Id(KeyId),
    /// `arn:<partition>:kms:<region>:<account>:key/<id>`.
    KeyArn {
        region: &'a str,
        account: &'a str,
        id: KeyId,
    },
    /// `alias/<name>`.
    AliasName(&'a str),
    /// `arn:<partition>:kms:<region>:<account>:alias/<name>`; `name` keeps its `alias/` prefix.
    AliasArn {
        region: &'a str,
        account: &'a str,
        name: &'a str,
    },
}

impl<'a> KeyRef<'a> {
    /// Parses a `KeyId`; anything that is none of the four forms is AWS's
    /// `NotFoundException: Invalid keyId '<input>'`.
    pub(crate) fn parse(input: &'a str) -> Result<Self, KmsError> {
        let invalid = || KmsError::NotFound(format!("Invalid keyId '{input}'"));
        if let Some(rest) = input.strip_prefix("arn:") {
            let mut parts = rest.splitn(5, ':');
            let (Some(_partition), Some("kms"), Some(region), Some(account), Some(resource)) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            ) else {
                return Err(invalid());
            };
            if region.is_empty() || account.is_empty() {
                return Err(invalid());
            }
            if let Some(id) = resource.strip_prefix("key/") {
                let id = id.parse().map_err(|_| invalid())?;
                return Ok(Self::KeyArn {
                    region,
                    account,
                    id,
                });
            }
            if resource.starts_with("alias/") && resource.len() > "alias/".len() {
                return Ok(Self::AliasArn {
                    region,
                    account,
                    name: resource,
                });
            }
            return Err(invalid());
        }
        if input.starts_with("alias/") {
            return Ok(Self::AliasName(input));
        }
        input.parse().map(Self::Id).map_err(|_| invalid())
    }
}

/// `mrk-` followed by 32 lowercase hex digits.
fn is_multi_region_id(s: &str) -> bool {
    s.strip_prefix("mrk-").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A key ID is a hyphenated UUID; AWS rejects the 32-hex form without dashes.
fn parse_key_id(s: &str) -> Option<Uuid> {
    if s.len() != 36 {
        return None;
    }
    Uuid::try_parse(s).ok()
}

/// `arn:<partition>:kms:<region>:<account>:key/<id>`.
pub(crate) fn key_arn(scope: &Scope, id: KeyId) -> String {
    format!(
        "arn:{}:kms:{}:{}:key/{id}",
        scope.partition(),
        scope.region(),
        scope.account(),
    )
}

/// `arn:<partition>:kms:<region>:<account>:<alias name>`.
pub(crate) fn alias_arn(scope: &Scope, name: &str) -> String {
    format!(
        "arn:{}:kms:{}:{}:{}",
        scope.partition(),
        scope.region(),
        scope.account(),
        name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn parses_the_four_forms() {
        let id: KeyId = ID.parse().unwrap();
        assert_eq!(KeyRef::parse(ID).unwrap(), KeyRef::Id(id));
        assert_eq!(
            KeyRef::parse(&format!("arn:aws:kms:eu-west-1:111122223333:key/{ID}")).unwrap(),
            KeyRef::KeyArn {
                region: "eu-west-1",
                account: "111122223333",
                id
            }
        );
        assert_eq!(
            KeyRef::parse("alias/app").unwrap(),
            KeyRef::AliasName("alias/app")
        );
        assert_eq!(
            KeyRef::parse("arn:aws:kms:us-east-1:111122223333:alias/a:b").unwrap(),
            KeyRef::AliasArn {
                region: "us-east-1",
                account: "111122223333",
                name: "alias/a:b"
            }
        );
    }

    #[test]
    fn multi_region_ids_are_well_formed_ids() {
        let id = "mrk-1234abcd12ab34cd56ef1234567890ab";
        let parsed: KeyId = id.parse().unwrap();
        assert!(parsed.is_multi_region());
        assert_eq!(KeyRef::parse(id).unwrap(), KeyRef::Id(parsed));
        assert_eq!(parsed.to_string(), id);
        assert_eq!(
            serde_json::from_str::<KeyId>(&serde_json::to_string(&parsed).unwrap()).unwrap(),
            parsed
        );
        for bad in [
            "mrk-1234",
            "mrk-1234ABCD12ab34cd56ef1234567890ab",
            "mrk-+234abcd12ab34cd56ef1234567890ab",
        ] {
            assert!(KeyRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_malformed_ids_with_aws_text() {
        for bad in [
            "fake-key-id",
            "134f2428cec14b25a1ae9048164dba47",
            "mrk-fake-key-id",
            "",
            "arn:aws:kms:x",
        ] {
            assert_eq!(
                KeyRef::parse(bad).unwrap_err(),
                KmsError::NotFound(format!("Invalid keyId '{bad}'"))
            );
        }
    }

    #[test]
    fn arns_follow_the_partition_of_the_region() {
        let id: KeyId = ID.parse().unwrap();
        assert_eq!(
            key_arn(&Scope::new("111122223333", "cn-north-1"), id),
            format!("arn:aws-cn:kms:cn-north-1:111122223333:key/{ID}")
        );
        assert_eq!(
            alias_arn(&Scope::new("111122223333", "us-east-1"), "alias/x"),
            "arn:aws:kms:us-east-1:111122223333:alias/x"
        );
    }
}
