//! The map under both sides of the cache: one slot per key holding the live [`BucketKey`], its
//! last use (for LRU eviction) and at most one KMS fetch in flight, which every other caller
//! that needs a fresh key waits on. Storm tracking after the hierarchical keyring: inside the
//! grace period before expiry exactly one caller refreshes while the rest keep using the
//! still-valid key.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use tokio::sync::watch;

use crate::cache::BucketKey;
use crate::clock::{Clock, saturating_add};
use crate::error::Error;

/// One counter both as a number for `stats()` and as a `metrics` counter. Striped over cache
/// lines by thread, so threads counting hits at once do not contend on one atomic.
#[derive(Debug)]
pub(crate) struct Count {
    stripes: [Stripe; STRIPES],
    metric: metrics::Counter,
}

const STRIPES: usize = 8;

#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(AtomicU64);

fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    STRIPE.with(|s| *s)
}

impl Count {
    pub(crate) fn new(metric: metrics::Counter) -> Self {
        Self {
            stripes: Default::default(),
            metric,
        }
    }

    pub(crate) fn inc(&self) {
        self.stripes[stripe()].0.fetch_add(1, Ordering::Relaxed);
        self.metric.increment(1);
    }

    pub(crate) fn get(&self) -> u64 {
        self.stripes
            .iter()
            .map(|s| s.0.load(Ordering::Relaxed))
            .sum()
    }
}

/// Counters of one side (encrypt or decrypt).
#[derive(Debug)]
pub(crate) struct SideCounters {
    pub(crate) hits: Count,
    pub(crate) misses: Count,
    pub(crate) refreshes: Count,
    pub(crate) evictions: Count,
}

impl SideCounters {
    pub(crate) fn new(side: &'static str) -> Self {
        Self {
            hits: Count::new(metrics::counter!("bucket_key_cache_hits_total", "side" => side)),
            misses: Count::new(metrics::counter!("bucket_key_cache_misses_total", "side" => side)),
            refreshes: Count::new(
                metrics::counter!("bucket_key_cache_refreshes_total", "side" => side),
            ),
            evictions: Count::new(
                metrics::counter!("bucket_key_cache_evictions_total", "side" => side),
            ),
        }
    }
}

/// Timing of refreshes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// After a failed refresh inside the grace period, the next attempt waits this long
    /// (callers meanwhile keep using the still-valid key).
    pub(crate) grace_interval: Duration,
}

type Outcome = Option<Result<BucketKey, Error>>;

struct Flight {
    id: u64,
    done: watch::Receiver<Outcome>,
}

#[derive(Default)]
struct Slot {
    key: Option<BucketKey>,
    last_used: AtomicU64,
    flight: Option<Flight>,
    retry_after: Option<Instant>,
}

enum Step {
    Hit(BucketKey),
    Wait(watch::Receiver<Outcome>),
    Fetch {
        id: u64,
        done: watch::Sender<Outcome>,
        fallback: Option<BucketKey>,
    },
}

/// A hasher for keys that already carry a well-mixed 64-bit hash (written with `write_u64`),
/// such as [`BucketScope`](crate::BucketScope): passes it through.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

impl std::hash::BuildHasher for PassThrough {
    type Hasher = Self;

    fn build_hasher(&self) -> Self {
        Self(0)
    }
}

pub(crate) struct Slots<K: Hash + Eq, S = std::collections::hash_map::RandomState> {
    map: DashMap<K, Slot, S>,
    capacity: usize,
    tick: AtomicU64,
    flights: AtomicU64,
    timing: Timing,
    pub(crate) counters: SideCounters,
}

impl<K, S> Slots<K, S>
where
    K: Hash + Eq + Clone,
    S: std::hash::BuildHasher + Clone + Default,
{
    pub(crate) fn new(capacity: usize, timing: Timing, side: &'static str) -> Self {
        Self {
            map: DashMap::with_hasher(S::default()),
            capacity: capacity.max(1),
            tick: AtomicU64::new(1),
            flights: AtomicU64::new(1),
            timing,
            counters: SideCounters::new(side),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The live key of `k`, fetching it with `fetch` when there is none usable (one fetch at a
    /// time per key; concurrent callers wait on it) or refreshing it in the grace period (one
    /// caller; the others keep the still-valid key).
    pub(crate) async fn get<F, Fut>(
        &self,
        k: &K,
        clock: &dyn Clock,
        fetch: F,
    ) -> Result<BucketKey, Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<BucketKey, Error>>,
    {
        // Fast path: a shared lock on one shard, three atomics, no allocation.
        if let Some(slot) = self.map.get(k) {
            if let Some(key) = &slot.key {
                if clock.now() < key.refresh_at() && key.try_use() {
                    self.touch(&slot.last_used);
                    let key = key.clone();
                    drop(slot);
                    self.counters.hits.inc();
                    return Ok(key);
                }
            }
        }
        let mut missed = false;
        loop {
            let now = clock.now();
            let (step, inserted) = match self.map.entry(k.clone()) {
                Entry::Occupied(mut e) => (self.decide(e.get_mut(), now), false),
                Entry::Vacant(e) => {
                    let mut slot = Slot::default();
                    let step = self.decide(&mut slot, now);
                    e.insert(slot);
                    (step, true)
                }
            };
            if inserted {
                self.evict_over_capacity();
            }
            match step {
                Step::Hit(key) => {
                    self.counters.hits.inc();
                    return Ok(key);
                }
                Step::Wait(mut done) => {
                    if !missed {
                        missed = true;
                        self.counters.misses.inc();
                    }
                    let outcome = done
                        .wait_for(Option::is_some)
                        .await
                        .ok()
                        .and_then(|v| v.clone());
                    match outcome {
                        Some(Ok(key)) if key.try_use() => return Ok(key),
                        Some(Err(e)) => return Err(e),
                        // Exhausted already, or the fetch was cancelled: look again.
                        Some(Ok(_)) | None => continue,
                    }
                }
                Step::Fetch { id, done, fallback } => {
                    if fallback.is_none() && !missed {
                        self.counters.misses.inc();
                    }
                    let mut guard = FlightGuard {
                        slots: self,
                        key: k,
                        id,
                        armed: true,
                    };
                    let result = fetch().await;
                    guard.armed = false;
                    self.complete(k, id, &result, clock.now());
                    done.send_replace(Some(result.clone()));
                    return match result {
                        Ok(key) => {
                            key.try_use();
                            Ok(key)
                        }
                        Err(e) => match fallback {
                            Some(old) if old.usable(clock.now()) && old.try_use() => {
                                tracing::warn!(error = %e, "bucket key refresh failed; using the still-valid key");
                                Ok(old)
                            }
                            _ => Err(e),
                        },
                    };
                }
            }
        }
    }

    fn decide(&self, slot: &mut Slot, now: Instant) -> Step {
        if let Some(key) = slot.key.as_ref().filter(|key| key.usable(now)) {
            let in_grace = now >= key.refresh_at();
            let refreshing = slot.flight.is_some();
            let backing_off = slot.retry_after.is_some_and(|t| now < t);
            if !in_grace || refreshing || backing_off {
                if key.try_use() {
                    self.touch(&slot.last_used);
                    return Step::Hit(key.clone());
                }
            } else {
                let fallback = Some(key.clone());
                return self.start_flight(slot, fallback);
            }
        }
        match &slot.flight {
            Some(flight) => Step::Wait(flight.done.clone()),
            None => self.start_flight(slot, None),
        }
    }

    fn start_flight(&self, slot: &mut Slot, fallback: Option<BucketKey>) -> Step {
        if slot.key.is_some() {
            self.counters.refreshes.inc();
        }
        let id = self.flights.fetch_add(1, Ordering::Relaxed);
        let (done, rx) = watch::channel(None);
        slot.flight = Some(Flight { id, done: rx });
        self.touch(&slot.last_used);
        Step::Fetch { id, done, fallback }
    }

    fn complete(&self, k: &K, id: u64, result: &Result<BucketKey, Error>, now: Instant) {
        let mut remove = false;
        match self.map.entry(k.clone()) {
            Entry::Occupied(mut e) => {
                let slot = e.get_mut();
                if slot.flight.as_ref().is_some_and(|f| f.id == id) {
                    slot.flight = None;
                }
                match result {
                    Ok(key) => {
                        slot.key = Some(key.clone());
                        slot.retry_after = None;
                        self.touch(&slot.last_used);
                    }
                    Err(_) => {
                        slot.retry_after = Some(saturating_add(now, self.timing.grace_interval));
                        remove = slot.key.is_none() && slot.flight.is_none();
                    }
                }
                if remove {
                    e.remove();
                }
            }
            Entry::Vacant(e) => {
                if let Ok(key) = result {
                    let slot = Slot {
                        key: Some(key.clone()),
                        ..Slot::default()
                    };
                    self.touch(&slot.last_used);
                    e.insert(slot);
                }
            }
        }
        if !remove && result.is_ok() {
            self.evict_over_capacity();
        }
    }

    /// Marks a slot most recently used. The global tick only advances when another slot was
    /// touched since, so a hot key costs two shared loads, not a contended write.
    fn touch(&self, last_used: &AtomicU64) {
        let tick = self.tick.load(Ordering::Relaxed);
        if last_used.load(Ordering::Relaxed) != tick {
            last_used.store(
                self.tick.fetch_add(1, Ordering::Relaxed) + 1,
                Ordering::Relaxed,
            );
        }
    }

    /// Evicts least recently used slots (never one with a fetch in flight) while over capacity.
    fn evict_over_capacity(&self) {
        while self.map.len() > self.capacity {
            let victim = self
                .map
                .iter()
                .filter(|s| s.flight.is_none())
                .min_by_key(|s| s.last_used.load(Ordering::Relaxed))
                .map(|s| s.key().clone());
            let Some(victim) = victim else { break };
            if self
                .map
                .remove_if(&victim, |_, s| s.flight.is_none())
                .is_some()
            {
                self.counters.evictions.inc();
            }
        }
    }

    /// Drops every key that has expired at `now`; returns how many.
    pub(crate) fn purge_expired(&self, now: Instant) -> usize {
        let before = self.map.len();
        self.map.retain(|_, s| {
            s.flight.is_some() || s.key.as_ref().is_some_and(|k| now < k.expires_at())
        });
        let purged = before.saturating_sub(self.map.len());
        for _ in 0..purged {
            self.counters.evictions.inc();
        }
        purged
    }

    /// Drops every key.
    pub(crate) fn clear(&self) {
        self.map.retain(|_, s| s.flight.is_some());
    }
}

/// Clears the flight if its fetch is dropped before completing (the caller was cancelled), so
/// waiters wake (their channel closes) and one of them fetches again.
struct FlightGuard<'a, K, S>
where
    K: Hash + Eq + Clone,
    S: std::hash::BuildHasher + Clone + Default,
{
    slots: &'a Slots<K, S>,
    key: &'a K,
    id: u64,
    armed: bool,
}

impl<K, S> Drop for FlightGuard<'_, K, S>
where
    K: Hash + Eq + Clone,
    S: std::hash::BuildHasher + Clone + Default,
{
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.slots.map.remove_if_mut(self.key, |_, slot| {
            if slot.flight.as_ref().is_some_and(|f| f.id == self.id) {
                slot.flight = None;
            }
            slot.key.is_none() && slot.flight.is_none()
        });
    }
}
