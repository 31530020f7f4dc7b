//! GetKeyLastUsage's record: the last successful cryptographic operation of each key, its
//! time and its request ID ([`UsageSlot`]), and the request ID of the call in progress
//! ([`with_request_id`]).
//!
//! The slot is written on the cryptographic hot path, so it is three atomics and no lock: a
//! writer stores the request ID, then a stamp (time, operation, and a check of the ID) with
//! `Release`; a reader takes the stamp, the ID and the stamp again, and retries until they
//! agree. Within one millisecond a second use of the same operation is not written again
//! (either request is "the last"), so a busy key costs a load, not a contended store. The
//! slot is shared by every version of the key's record (an `Arc`), and the scheduler writes
//! it to the store now and then (`Kms::flush_key_usage`): it may lag, as AWS's does.
//!
//! The server runs each request inside [`with_request_id`], so the engine records the request
//! ID the client got (`x-amzn-RequestId`) without it being a parameter of every operation. The
//! CloudTrail event ID of the request follows from it ([`cloudtrail_event_id`]), and the audit
//! log writes the same one.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{DateTime, TimeZone, Utc};

use crate::operation::Operation;

/// The operations GetKeyLastUsage reports (`KeyLastUsageTrackingOperation`).
pub const TRACKED_OPERATIONS: [Operation; 14] = [
    Operation::Decrypt,
    Operation::DeriveSharedSecret,
    Operation::Encrypt,
    Operation::GenerateDataKey,
    Operation::GenerateDataKeyPair,
    Operation::GenerateDataKeyPairWithoutPlaintext,
    Operation::GenerateDataKeyWithoutPlaintext,
    Operation::GenerateMac,
    Operation::ReEncrypt,
    Operation::Sign,
    Operation::Verify,
    Operation::VerifyMac,
    Operation::Encapsulate,
    Operation::Decapsulate,
];

const OP_BITS: u32 = 6;
const MILLIS_BITS: u32 = 42;
const MAX_MILLIS: i64 = (1 << MILLIS_BITS) - 1;

thread_local! {
    static REQUEST_ID: Cell<Option<[u8; 16]>> = const { Cell::new(None) };
}

/// Runs `f` as the request `request_id`: the key uses it makes are recorded with that ID.
///
/// ```
/// use kms_api::key::usage::{current_request_id, with_request_id};
/// let id = uuid::Uuid::new_v4();
/// assert_eq!(with_request_id(id, current_request_id), Some(id));
/// assert_eq!(current_request_id(), None);
/// ```
pub fn with_request_id<T>(request_id: uuid::Uuid, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<[u8; 16]>);
    impl Drop for Restore {
        fn drop(&mut self) {
            REQUEST_ID.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(REQUEST_ID.with(|c| c.replace(Some(*request_id.as_bytes()))));
    f()
}

/// The request ID [`with_request_id`] set for this thread, if any.
pub fn current_request_id() -> Option<uuid::Uuid> {
    REQUEST_ID.with(Cell::get).map(uuid::Uuid::from_bytes)
}

/// The CloudTrail `eventID` of the request `request_id`: a version-4 UUID derived from it, so
/// the audit log and GetKeyLastUsage name the same event without storing it.
///
/// ```
/// let request = uuid::Uuid::new_v4();
/// let event = kms_api::key::usage::cloudtrail_event_id(request);
/// assert_ne!(event, request);
/// assert_eq!(event, kms_api::key::usage::cloudtrail_event_id(request));
/// assert_eq!(event.get_version_num(), 4);
/// ```
pub fn cloudtrail_event_id(request_id: uuid::Uuid) -> uuid::Uuid {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(b"kms-emulator cloudtrail event id, version 1");
    ctx.update(request_id.as_bytes());
    let digest = ctx.finish();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// A key's last use as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[allow(missing_docs)]
pub struct UsageSnapshot {
    pub operation: String,
    pub timestamp: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<uuid::Uuid>,
}

impl UsageSnapshot {
    /// The snapshot of `usage`.
    pub fn of(usage: &LastUsage) -> Self {
        Self {
            operation: usage.operation.name().to_owned(),
            timestamp: usage.timestamp,
            request_id: usage.request_id,
        }
    }

    /// The use it records; `None` for an operation that is not tracked.
    pub fn usage(&self) -> Option<LastUsage> {
        let operation = TRACKED_OPERATIONS
            .into_iter()
            .find(|o| o.name() == self.operation)?;
        Some(LastUsage {
            operation,
            timestamp: self.timestamp,
            request_id: self.request_id,
        })
    }
}

/// A key's last successful cryptographic operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastUsage {
    /// One of [`TRACKED_OPERATIONS`].
    pub operation: Operation,
    /// When (to the millisecond).
    pub timestamp: DateTime<Utc>,
    /// The request, when it came through the server ([`with_request_id`]).
    pub request_id: Option<uuid::Uuid>,
}

/// The last-usage record of one key (see the module documentation).
#[derive(Debug, Default)]
pub struct UsageSlot {
    /// Odd while a writer is writing.
    seq: AtomicU64,
    /// 0 while unused; else the time in milliseconds (42 bits) and the operation's index + 1
    /// (6 bits).
    stamp: AtomicU64,
    request_hi: AtomicU64,
    request_lo: AtomicU64,
    /// Written since the last flush to the store.
    dirty: AtomicBool,
    /// Since when this key's use is tracked; `None` until known (a key restored from a store
    /// that did not track it gets the time it was restored).
    tracking_since: Option<DateTime<Utc>>,
}

impl UsageSlot {
    /// An unused slot tracking since `since`.
    pub fn new(since: Option<DateTime<Utc>>) -> Self {
        Self {
            tracking_since: since,
            ..Default::default()
        }
    }

    /// Since when the key's use is tracked.
    pub fn tracking_since(&self) -> Option<DateTime<Utc>> {
        self.tracking_since
    }

    /// Records a successful `operation` at `now`, with the current request ID.
    pub(crate) fn record(&self, operation: Operation, now: DateTime<Utc>) {
        let Some(stamp) = stamp_of(operation, now) else {
            return;
        };
        // The same operation in the same millisecond: already the last use.
        if self.stamp.load(Ordering::Relaxed) == stamp {
            return;
        }
        let request = REQUEST_ID.with(Cell::get).map_or(0, u128::from_be_bytes);
        self.write(stamp, request);
        if !self.dirty.load(Ordering::Relaxed) {
            self.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// Stores one use under the sequence lock; gives up (never waits) when another writer
    /// holds it.
    fn write(&self, stamp: u64, request: u128) {
        let seq = self.seq.load(Ordering::Relaxed);
        if seq & 1 == 1
            || self
                .seq
                .compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.stamp.store(stamp, Ordering::Relaxed);
        self.request_hi
            .store((request >> 64) as u64, Ordering::Relaxed);
        self.request_lo.store(request as u64, Ordering::Relaxed);
        self.seq.store(seq + 2, Ordering::Release);
    }

    /// The last use, if there was one.
    pub fn last(&self) -> Option<LastUsage> {
        let (stamp, request) = loop {
            let before = self.seq.load(Ordering::Acquire);
            if before & 1 == 1 {
                // A writer is between its two sequence stores: a few instructions.
                std::hint::spin_loop();
                continue;
            }
            let stamp = self.stamp.load(Ordering::Relaxed);
            let hi = self.request_hi.load(Ordering::Relaxed);
            let lo = self.request_lo.load(Ordering::Relaxed);
            std::sync::atomic::fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == before {
                break (stamp, ((hi as u128) << 64) | lo as u128);
            }
        };
        if stamp == 0 {
            return None;
        }
        let index = (stamp & ((1 << OP_BITS) - 1)) as usize;
        let operation = *TRACKED_OPERATIONS.get(index.checked_sub(1)?)?;
        let millis = ((stamp >> OP_BITS) & MAX_MILLIS as u64) as i64;
        Some(LastUsage {
            operation,
            timestamp: Utc.timestamp_millis_opt(millis).single()?,
            request_id: (request != 0).then(|| uuid::Uuid::from_u128(request)),
        })
    }

    /// Puts back a use read from a store.
    pub fn restore(&self, usage: LastUsage) {
        if let Some(stamp) = stamp_of(usage.operation, usage.timestamp) {
            self.write(stamp, usage.request_id.map_or(0, |id| id.as_u128()));
        }
    }

    /// Whether it was written since the last call (and clears the mark).
    pub(crate) fn take_dirty(&self) -> bool {
        self.dirty.load(Ordering::Relaxed) && self.dirty.swap(false, Ordering::AcqRel)
    }

    /// Marks it written again (a flush that failed).
    pub(crate) fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }
}

/// The stamp of `operation` at `at`; `None` for an operation that is not tracked.
fn stamp_of(operation: Operation, at: DateTime<Utc>) -> Option<u64> {
    let index = TRACKED_OPERATIONS.iter().position(|o| *o == operation)?;
    let millis = at.timestamp_millis().clamp(0, MAX_MILLIS) as u64;
    Some((millis << OP_BITS) | (index as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(millis: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(millis).unwrap()
    }

    #[test]
    fn records_the_last_operation_with_its_request() {
        let slot = UsageSlot::new(Some(at(0)));
        assert_eq!(slot.last(), None);
        slot.record(Operation::Encrypt, at(1_800_000_000_123));
        assert_eq!(
            slot.last(),
            Some(LastUsage {
                operation: Operation::Encrypt,
                timestamp: at(1_800_000_000_123),
                request_id: None
            })
        );
        let id = uuid::Uuid::new_v4();
        with_request_id(id, || {
            slot.record(Operation::Decrypt, at(1_800_000_000_124))
        });
        let last = slot.last().unwrap();
        assert_eq!(
            (last.operation, last.request_id),
            (Operation::Decrypt, Some(id))
        );
        assert!(slot.take_dirty());
        assert!(!slot.take_dirty());
        // Not a tracked operation: nothing changes.
        slot.record(Operation::DescribeKey, at(1_800_000_000_200));
        assert_eq!(slot.last().unwrap().operation, Operation::Decrypt);
        let copy = UsageSlot::default();
        copy.restore(last);
        assert_eq!(copy.last(), Some(last));
    }

    #[test]
    fn concurrent_writers_never_tear_a_request_id() {
        let slot = std::sync::Arc::new(UsageSlot::default());
        let ids: Vec<uuid::Uuid> = (0..4).map(|_| uuid::Uuid::new_v4()).collect();
        let writers: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let (slot, id) = (slot.clone(), *id);
                std::thread::spawn(move || {
                    for n in 0..20_000 {
                        with_request_id(id, || {
                            slot.record(Operation::Encrypt, at(1_000 + n * 4 + i as i64))
                        });
                    }
                })
            })
            .collect();
        for _ in 0..20_000 {
            if let Some(last) = slot.last() {
                if let Some(id) = last.request_id {
                    assert!(ids.contains(&id), "torn request ID {id}");
                }
            }
        }
        for w in writers {
            w.join().unwrap();
        }
    }
}
