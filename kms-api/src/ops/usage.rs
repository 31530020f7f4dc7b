//! GetKeyLastUsage: the last successful cryptographic operation of a key, from the slot the
//! cryptographic operations write (`key::usage`), and the scheduler's lazy flush of those
//! slots to the persistence hook ([`Kms::flush_key_usage`]).

use std::sync::Arc;

use crate::error::KmsError;
use crate::key::record::KeyRecord;
use crate::key::usage::cloudtrail_event_id;
use crate::kms::Kms;
use crate::persist::Change;
use crate::scope::Scope;
use crate::wire::usage::*;

/// Key usages written per store transaction by a flush.
const FLUSH_BATCH: usize = 1000;

impl Kms {
    /// Reports a key's last successful cryptographic operation (its time, request ID and
    /// CloudTrail event ID), or an empty `KeyLastUsage` when it was not used since tracking
    /// began. Each member of a multi-Region set tracks its own.
    ///
    /// ```
    /// use kms_api::wire::crypto::EncryptRequest;
    /// use kms_api::wire::usage::GetKeyLastUsageRequest;
    /// let kms = kms_api::Kms::new();
    /// let scope = kms_api::Scope::new("111122223333", "us-east-1");
    /// let key = kms.create_key(&scope, Default::default()).unwrap().key_metadata.key_id;
    /// let ask = || kms.get_key_last_usage(&scope, GetKeyLastUsageRequest { key_id: Some(key.clone()) }).unwrap();
    /// assert_eq!(ask().key_last_usage.operation, None);
    /// kms.encrypt(&scope, EncryptRequest {
    ///     key_id: Some(key.clone()),
    ///     plaintext: Some(b"x".to_vec().into()),
    ///     ..Default::default()
    /// }).unwrap();
    /// assert_eq!(ask().key_last_usage.operation.as_deref(), Some("Encrypt"));
    /// ```
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GetKeyLastUsage
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `ValidationException`.
    pub fn get_key_last_usage(
        &self,
        scope: &Scope,
        req: GetKeyLastUsageRequest,
    ) -> Result<GetKeyLastUsageResponse, KmsError> {
        let key = self.key_named(scope, &req.key_id)?;
        let last = key.usage.last();
        let tracking = key
            .usage
            .tracking_since()
            .map_or(key.created_at, |t| t.max(key.created_at));
        Ok(GetKeyLastUsageResponse {
            key_id: key.arn.to_string(),
            key_last_usage: last.map_or_else(Default::default, |u| KeyLastUsageData {
                operation: Some(u.operation.name().into()),
                timestamp: Some(u.timestamp),
                cloud_trail_event_id: u
                    .request_id
                    .map(|id| cloudtrail_event_id(id).hyphenated().to_string()),
                kms_request_id: u.request_id.map(|id| id.hyphenated().to_string()),
            }),
            tracking_start_date: tracking,
            key_creation_date: key.created_at,
        })
    }

    /// Writes every key usage recorded since the last flush to the persistence hook, in
    /// batches (the scheduler does this now and then; a use is never a store write on the
    /// request's path). Returns how many keys it wrote; a batch the hook refuses is tried
    /// again at the next flush.
    pub fn flush_key_usage(&self) -> usize {
        let used: Vec<Arc<KeyRecord>> = self
            .all_keys()
            .into_iter()
            .filter(|k| k.usage.take_dirty())
            .collect();
        let mut written = 0;
        for batch in used.chunks(FLUSH_BATCH) {
            // The batch's key locks: a deletion never interleaves and leaves a row behind.
            let _keys = self.key_guard(batch.iter().map(|k| k.id));
            let live: Vec<&Arc<KeyRecord>> = batch
                .iter()
                .filter(|k| {
                    self.scope_state(&k.scope)
                        .is_some_and(|s| s.keys.contains_key(&k.id))
                })
                .collect();
            let changes: Vec<Change<'_>> = live.iter().map(|k| Change::PutKeyUsage(k)).collect();
            match self.commit(&changes) {
                Ok(()) => written += live.len(),
                Err(e) => {
                    for key in batch {
                        key.usage.mark_dirty();
                    }
                    tracing::warn!(error = %e, keys = batch.len(), "could not store key usage; retrying at the next flush");
                }
            }
        }
        written
    }
}
