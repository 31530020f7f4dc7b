//! The operations, one file per group; each operation is a synchronous method on [`crate::Kms`].

pub mod aliases;
pub mod crypto;
pub mod custom_key_stores;
pub mod grants;
pub mod import;
pub mod key_agreement;
pub mod key_pairs;
pub mod keys;
pub mod mac;
pub mod multi_region;
pub mod policies;
pub mod rotation;
pub mod signing;
pub mod tags;
pub mod usage;

/// A validated `Limit` member, or the operation's default.
pub(crate) fn page_limit(limit: Option<i64>, default: usize) -> usize {
    limit.map_or(default, |l| l.clamp(1, 1000) as usize)
}

/// `InvalidMarkerException` for a marker this service did not issue.
pub(crate) fn invalid_marker() -> crate::KmsError {
    crate::KmsError::InvalidMarker("The marker is not valid for this request.".into())
}

/// Where a page starts when markers are positions in a list of `len` items.
pub(crate) fn index_marker(marker: Option<&str>, len: usize) -> Result<usize, crate::KmsError> {
    match marker {
        None => Ok(0),
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|i| *i <= len)
            .ok_or_else(invalid_marker),
    }
}

impl crate::Kms {
    /// Validates a request whose only key member is `KeyId` (a key ID or key ARN, not an
    /// alias) and finds the key.
    pub(crate) fn key_named(
        &self,
        scope: &crate::Scope,
        key_id: &Option<String>,
    ) -> Result<std::sync::Arc<crate::KeyRecord>, crate::KmsError> {
        let mut v = crate::validate::Violations::new();
        let key_id = crate::validate::key_id(&mut v, "keyId", key_id);
        v.finish()?;
        self.resolve(scope, key_id.unwrap_or_default(), false)
    }
}
