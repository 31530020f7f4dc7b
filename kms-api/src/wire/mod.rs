//! The JSON wire types, named exactly as AWS names them (PascalCase members, base64 blobs,
//! epoch-second timestamps). Unknown members are ignored, as AWS ignores them; every member is
//! optional at this layer so that a missing required one becomes AWS's `ValidationException`,
//! not a parse error.

#[macro_use]
mod redacted;
pub mod aliases;
pub mod asymmetric;
pub mod crypto;
pub mod custom_key_stores;
pub mod grants;
pub mod import;
pub mod keys;
pub mod multi_region;
pub mod policies;
pub mod rotation;
pub mod tags;
pub mod usage;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serializer};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Secret bytes (plaintexts, data keys): a [`crate::Secret`], zeroized when dropped and never
/// printed.
pub type SecretBytes = crate::Secret;

/// Serde for optional base64 blobs.
pub(crate) mod blob_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        let Some(text) = Option::<std::borrow::Cow<'de, str>>::deserialize(d)? else {
            return Ok(None);
        };
        STANDARD
            .decode(text.as_bytes())
            .map(Some)
            .map_err(|_| serde::de::Error::custom("Invalid base64 encoding of a blob member"))
    }

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_str(&STANDARD.encode(bytes)),
            None => s.serialize_none(),
        }
    }
}

/// Serde for optional secret base64 blobs.
pub(crate) mod secret_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SecretBytes>, D::Error> {
        super::blob_opt::deserialize(d).map(|b| b.map(crate::Secret::new))
    }

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<SecretBytes>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => {
                s.serialize_str(&zeroize::Zeroizing::new(STANDARD.encode(bytes.expose())))
            }
            None => s.serialize_none(),
        }
    }
}

/// Serde for secret text members (passwords, proxy secrets): the string's bytes as a
/// [`crate::Secret`]; the intermediate `String` is wiped.
pub(crate) mod secret_text_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SecretBytes>, D::Error> {
        let text: Option<zeroize::Zeroizing<String>> =
            Option::<String>::deserialize(d)?.map(zeroize::Zeroizing::new);
        Ok(text.map(|t| crate::Secret::from_slice(t.as_bytes())))
    }
}

/// Serde for timestamps as epoch seconds with millisecond fractions, as AWS JSON 1.1 sends them.
pub(crate) mod epoch_opt {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(t) => s.serialize_f64(t.timestamp_millis() as f64 / 1000.0),
            None => s.serialize_none(),
        }
    }
}

/// Serde for an optional timestamp in a request: epoch seconds, with or without a fraction.
pub(crate) mod epoch_in {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let Some(seconds) = Option::<f64>::deserialize(d)? else {
            return Ok(None);
        };
        // Beyond chrono's range (or not a number) is not a timestamp at all.
        if !seconds.is_finite() || seconds.abs() > 8.0e12 {
            return Err(serde::de::Error::custom("timestamp out of range"));
        }
        let millis = (seconds * 1000.0).round() as i64;
        DateTime::from_timestamp_millis(millis)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
    }
}

/// Serde for a required timestamp.
pub(crate) mod epoch {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(value: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(value.timestamp_millis() as f64 / 1000.0)
    }
}

/// A request's `GrantTokens`: bearer credentials, so they are never printed (`Debug` shows
/// how many). Reads as a slice of tokens.
///
/// ```
/// let tokens = kms_api::wire::GrantTokens::from(vec!["secret-token".to_owned()]);
/// assert_eq!(tokens.len(), 1);
/// assert!(!format!("{tokens:?}").contains("secret"));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct GrantTokens(pub Vec<String>);

impl std::fmt::Debug for GrantTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GrantTokens(<{} tokens>)", self.0.len())
    }
}

impl std::ops::Deref for GrantTokens {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

impl From<Vec<String>> for GrantTokens {
    fn from(tokens: Vec<String>) -> Self {
        Self(tokens)
    }
}

/// One tag as AWS sends it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The tag key, 1..=128 characters.
    pub tag_key: Option<String>,
    /// The tag value, 0..=256 characters.
    pub tag_value: Option<String>,
}
