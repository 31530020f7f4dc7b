//! Per-second traffic for the dashboard: requests, errors and throttles per operation, and
//! admitted and throttled requests per quota, over the last [`WINDOW`] seconds.
//!
//! Each series is a ring of one-second slots of relaxed atomics, indexed by the second since
//! the server started (real time: traffic is measured in the time requests take, whatever the
//! emulated clock says). Recording is a clock read already made by the caller, a stamp check
//! and one `fetch_add`: no lock, no allocation. A slot found holding an older second is
//! claimed by swapping its stamp and zeroed; a request counted in the instant between the
//! swap and the zeroing can be lost, which a dashboard can afford and a hot path cannot
//! (a lock would cost every request).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

use kms_api::Operation;
use serde::Serialize;

use crate::throttle::QuotaId;
use crate::throttle::quotas::QUOTA_COUNT;

/// How many seconds of history the dashboard sees.
pub const WINDOW: usize = 60;

/// Slots per ring: the window, the second being filled and room to spare.
const SLOTS: usize = 64;

/// Operations plus one slot for requests that named none.
const OPERATION_SLOTS: usize = Operation::ALL.len() + 1;

/// One series of per-second counts of `N` kinds.
struct Ring<const N: usize> {
    /// The second (since start, plus one: 0 is "never used") each slot holds.
    stamps: [AtomicU64; SLOTS],
    counts: [[AtomicU32; N]; SLOTS],
}

impl<const N: usize> Ring<N> {
    fn new() -> Self {
        Self {
            stamps: std::array::from_fn(|_| AtomicU64::new(0)),
            counts: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU32::new(0))),
        }
    }

    fn add(&self, second: u64, kind: usize) {
        let slot = (second % SLOTS as u64) as usize;
        let stamp = second + 1;
        if self.stamps[slot].load(Ordering::Relaxed) != stamp
            && self.stamps[slot].swap(stamp, Ordering::Relaxed) != stamp
        {
            for count in &self.counts[slot] {
                count.store(0, Ordering::Relaxed);
            }
        }
        self.counts[slot][kind].fetch_add(1, Ordering::Relaxed);
    }

    /// The counts of the [`WINDOW`] seconds ending with `now` (oldest first), or `None` when
    /// all of them are zero.
    fn window(&self, now: u64) -> Option<[Vec<u32>; N]> {
        let mut out: [Vec<u32>; N] = std::array::from_fn(|_| Vec::with_capacity(WINDOW));
        let mut any = false;
        for age in (0..WINDOW as u64).rev() {
            let second = now.checked_sub(age);
            let slot = second.map(|s| (s % SLOTS as u64) as usize);
            let live = second
                .zip(slot)
                .filter(|(s, slot)| self.stamps[*slot].load(Ordering::Relaxed) == s + 1);
            for (kind, series) in out.iter_mut().enumerate() {
                let n = live.map_or(0, |(_, slot)| {
                    self.counts[slot][kind].load(Ordering::Relaxed)
                });
                any |= n > 0;
                series.push(n);
            }
        }
        any.then_some(out)
    }
}

/// The server's per-second traffic.
pub struct Traffic {
    start: Instant,
    /// Per operation: requests, errors, throttles.
    operations: Box<[Ring<3>]>,
    /// Per quota: admitted, throttled.
    quotas: Box<[Ring<2>]>,
}

impl std::fmt::Debug for Traffic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Traffic").finish_non_exhaustive()
    }
}

impl Default for Traffic {
    fn default() -> Self {
        Self::new()
    }
}

/// One operation's last [`WINDOW`] seconds, oldest first.
#[derive(Debug, Serialize)]
pub struct OperationSeries {
    /// The operation, or `"unknown"` for requests that named none.
    pub operation: &'static str,
    /// Requests answered each second.
    pub requests: Vec<u32>,
    /// Of those, answered with an error (throttles included).
    pub errors: Vec<u32>,
    /// Of those, refused with `ThrottlingException`.
    pub throttles: Vec<u32>,
}

/// One quota's last [`WINDOW`] seconds, oldest first, summed over every account and Region.
#[derive(Debug, Serialize)]
pub struct QuotaSeries {
    /// The quota's name, as `GET /_kms/quotas` lists it.
    pub quota: String,
    /// Requests admitted each second.
    pub admitted: Vec<u32>,
    /// Requests refused each second.
    pub throttled: Vec<u32>,
}

impl Traffic {
    /// Empty history, starting now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            operations: (0..OPERATION_SLOTS).map(|_| Ring::new()).collect(),
            quotas: (0..QUOTA_COUNT).map(|_| Ring::new()).collect(),
        }
    }

    fn second(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_secs()
    }

    /// Counts one answered request at `at`, with its error code if it failed.
    pub fn request(&self, at: Instant, operation: Option<Operation>, error_code: Option<&str>) {
        let ring = &self.operations[operation.map_or(Operation::ALL.len(), operation_index)];
        let second = self.second(at);
        ring.add(second, 0);
        if let Some(code) = error_code {
            ring.add(second, 1);
            if code == "ThrottlingException" {
                ring.add(second, 2);
            }
        }
    }

    /// Counts one request admitted (`true`) or refused by `quota` at `at`.
    pub fn admission(&self, at: Instant, quota: QuotaId, admitted: bool) {
        self.quotas[quota.index()].add(self.second(at), usize::from(!admitted));
    }

    /// Every operation that saw requests in the last [`WINDOW`] seconds before `now`.
    pub fn operations(&self, now: Instant) -> Vec<OperationSeries> {
        let second = self.second(now);
        let named = Operation::ALL.iter().map(|op| op.name()).chain(["unknown"]);
        named
            .zip(self.operations.iter())
            .filter_map(|(operation, ring)| {
                let [requests, errors, throttles] = ring.window(second)?;
                Some(OperationSeries {
                    operation,
                    requests,
                    errors,
                    throttles,
                })
            })
            .collect()
    }

    /// Every quota that admitted or refused requests in the last [`WINDOW`] seconds.
    pub fn quotas(&self, now: Instant) -> Vec<QuotaSeries> {
        let second = self.second(now);
        QuotaId::all()
            .filter_map(|quota| {
                let [admitted, throttled] = self.quotas[quota.index()].window(second)?;
                Some(QuotaSeries {
                    quota: quota.name(),
                    admitted,
                    throttled,
                })
            })
            .collect()
    }
}

fn operation_index(op: Operation) -> usize {
    Operation::ALL.iter().position(|o| *o == op).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn counts_land_in_their_second_and_age_out_of_the_window() {
        let t = Traffic::new();
        let at = |s: u64| t.start + Duration::from_secs(s);
        t.request(at(0), Some(Operation::Encrypt), None);
        t.request(at(2), Some(Operation::Encrypt), Some("ThrottlingException"));
        t.request(at(2), Some(Operation::Encrypt), Some("NotFoundException"));
        t.request(at(2), None, Some("UnknownOperationException"));
        let ops = t.operations(at(2));
        let encrypt = ops.iter().find(|o| o.operation == "Encrypt").unwrap();
        assert_eq!(encrypt.requests.len(), WINDOW);
        assert_eq!(&encrypt.requests[WINDOW - 3..], [1, 0, 2]);
        assert_eq!(&encrypt.errors[WINDOW - 3..], [0, 0, 2]);
        assert_eq!(&encrypt.throttles[WINDOW - 3..], [0, 0, 1]);
        assert!(ops.iter().any(|o| o.operation == "unknown"));
        assert!(!ops.iter().any(|o| o.operation == "Decrypt"));
        // A minute later the window holds nothing of it, and a reused slot starts at zero.
        assert!(t.operations(at(2 + WINDOW as u64)).is_empty());
        t.request(at(SLOTS as u64), Some(Operation::Encrypt), None);
        let later = t.operations(at(SLOTS as u64));
        assert_eq!(later[0].requests.iter().sum::<u32>(), 1);
    }

    #[test]
    fn quotas_count_admitted_and_throttled_apart() {
        let t = Traffic::new();
        let quota = QuotaId::all().next().unwrap();
        let now = t.start + Duration::from_secs(5);
        for admitted in [true, true, false] {
            t.admission(now, quota, admitted);
        }
        let quotas = t.quotas(now);
        assert_eq!(quotas.len(), 1);
        assert_eq!(quotas[0].quota, quota.name());
        assert_eq!(quotas[0].admitted[WINDOW - 1], 2);
        assert_eq!(quotas[0].throttled[WINDOW - 1], 1);
    }
}
