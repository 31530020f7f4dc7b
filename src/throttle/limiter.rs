//! [`Throttle`]: admission per (account, Region, quota), as AWS throttles.
//!
//! Algorithm: each quota of rate R per second is a GCRA limiter (the `governor` crate) with an
//! emission interval of 1/R seconds and a burst of max(1, ⌊R⌋). A full bucket admits ⌊R⌋
//! requests at once and then one every 1/R seconds, so any one-second window admits at most
//! about R plus the one-second burst, and a sustained load is admitted at R per second. A rate
//! of 0 refuses everything; fractional rates (0.25) admit one request per 1/R seconds.
//!
//! Lookups are lock-free on the hot path: a `DashMap` read for the scope, then an atomic
//! compare-and-swap in the limiter. Changing quotas swaps in fresh limiters for the scopes it
//! touches, which take effect for the very next request.
//!
//! Time comes from a [`ThrottleClock`]: the real monotonic clock in the server, a
//! [`FakeRelativeClock`] that tests move by hand.
//!
//! Scopes are chosen by clients (any 12-digit access key is an account), so the live scopes
//! are bounded: past [`Throttle::max_scopes`] the least recently used eighth is dropped, and
//! [`Throttle::evict_idle`] drops scopes idle for [`SCOPE_IDLE`] once their limiters have
//! refilled (a dropped scope then starts again exactly as it would have: with full buckets).
//! Only a scope dropped for the cap while its buckets were still draining loses anything,
//! and that only happens when more than `max_scopes` scopes are in use at once.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use dashmap::DashMap;
pub use governor::clock::FakeRelativeClock;
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use kms_api::Scope;

use super::quotas::QuotaId;
use super::table::{MAX_RATE, MIN_RATE, QuotaTable};

type Limiter = RateLimiter<NotKeyed, InMemoryState, ThrottleClock, NoOpMiddleware<Nanos>>;

/// The clock of the limiters: monotonic time since an arbitrary start. A cheap `Clone` handle,
/// so tests can hand the server a clock they move themselves.
#[derive(Clone)]
pub struct ThrottleClock {
    now: Arc<dyn Fn() -> Nanos + Send + Sync>,
}

impl ThrottleClock {
    /// The real monotonic clock (governor's default, TSC-based where available).
    pub fn system() -> Self {
        let clock = DefaultClock::default();
        let start = clock.now();
        Self {
            now: Arc::new(move || clock.now().duration_since(start)),
        }
    }

    /// A clock that stands still until `clock` is advanced (`FakeRelativeClock::advance`).
    pub fn manual(clock: FakeRelativeClock) -> Self {
        Self {
            now: Arc::new(move || clock.now()),
        }
    }

    /// A clock reading `now` (for tests that need a clock to misbehave).
    pub fn from_fn(now: impl Fn() -> Duration + Send + Sync + 'static) -> Self {
        Self {
            now: Arc::new(move || Nanos::new(u64::try_from(now().as_nanos()).unwrap_or(u64::MAX))),
        }
    }
}

impl Default for ThrottleClock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for ThrottleClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThrottleClock").finish_non_exhaustive()
    }
}

impl Clock for ThrottleClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        (self.now)()
    }
}

/// How many scopes keep limiters by default ([`Throttle::with_max_scopes`]): about 5.5 KB each.
pub const DEFAULT_MAX_SCOPES: usize = 2_000;

/// How long a scope may go unused before [`Throttle::evict_idle`] drops its limiters (once
/// they have refilled).
pub const SCOPE_IDLE: Duration = Duration::from_secs(5 * 60);

/// Per-scope, per-quota admission control.
pub struct Throttle {
    enabled: AtomicBool,
    table: RwLock<QuotaTable>,
    scopes: DashMap<Scope, Arc<ScopeLimiters>>,
    clock: ThrottleClock,
    start: Nanos,
    /// The most scopes with limiters; more drop the least recently used.
    max_scopes: usize,
    /// Held by the one caller evicting for the cap; others skip.
    evicting: Mutex<()>,
    /// Scopes dropped so far (for `/metrics`).
    evicted: AtomicU64,
}

/// The limiters of one (account, Region).
struct ScopeLimiters {
    slots: Vec<Slot>,
    /// When a request last used the scope, in nanoseconds on the throttle clock.
    last_used: AtomicU64,
    /// How long its fullest-draining limiter takes to refill from empty.
    refill: Duration,
}

struct Slot {
    rate: f64,
    /// `None` for a rate of 0: every request is refused.
    limiter: Option<Limiter>,
    /// Admitted requests in the current one-second window: `second << 32 | count`.
    window: AtomicU64,
    throttled: AtomicU64,
}

/// One quota's state in one scope, for `/_kms/quotas` and `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaUse {
    /// The account.
    pub account: String,
    /// The Region.
    pub region: String,
    /// The quota's name.
    pub quota: String,
    /// Its rate in requests per second.
    pub limit: f64,
    /// Requests admitted in the current one-second window.
    pub used: u64,
    /// Requests refused since the scope's limiters were (re)built.
    pub throttled: u64,
}

impl Throttle {
    /// A throttle on the real clock with `table`'s quotas; `enabled: false` admits everything.
    pub fn new(table: QuotaTable, enabled: bool) -> Self {
        Self::with_clock(table, enabled, ThrottleClock::system())
    }

    /// A throttle on `clock` (tests use [`ThrottleClock::manual`]).
    pub fn with_clock(table: QuotaTable, enabled: bool, clock: ThrottleClock) -> Self {
        let start = clock.now();
        Self {
            enabled: AtomicBool::new(enabled),
            table: RwLock::new(table),
            scopes: DashMap::new(),
            clock,
            start,
            max_scopes: DEFAULT_MAX_SCOPES,
            evicting: Mutex::new(()),
            evicted: AtomicU64::new(0),
        }
    }

    /// The same throttle keeping limiters for at most `max_scopes` (at least 1) scopes.
    pub fn with_max_scopes(mut self, max_scopes: usize) -> Self {
        self.max_scopes = max_scopes.max(1);
        self
    }

    /// The most scopes that keep limiters at once.
    pub fn max_scopes(&self) -> usize {
        self.max_scopes
    }

    /// How many scopes have limiters now.
    pub fn scope_count(&self) -> usize {
        self.scopes.len()
    }

    /// How many scopes were dropped (for the cap or idle) since start.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Whether requests are throttled at all.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Turns throttling on or off.
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    /// Admits or refuses one request of `scope` against `quota`. A refused request must do no
    /// work.
    pub fn admit(&self, scope: &Scope, quota: QuotaId) -> bool {
        if !self.is_enabled() {
            return true;
        }
        let now = self.clock.now();
        let limiters = match self.scopes.get(scope) {
            Some(l) => Arc::clone(&l),
            None => self.limiters_for(scope, now),
        };
        limiters.touch(now);
        let slot = &limiters.slots[quota.index()];
        let admitted = slot.limiter.as_ref().is_some_and(|l| l.check().is_ok());
        if admitted {
            slot.count(self.second_at(now));
        } else {
            slot.throttled.fetch_add(1, Ordering::Relaxed);
        }
        admitted
    }

    fn limiters_for(&self, scope: &Scope, now: Nanos) -> Arc<ScopeLimiters> {
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        let mut refill = Duration::ZERO;
        let slots = QuotaId::all()
            .map(|q| {
                let rate = table.rate(scope, q);
                refill = refill.max(refill_time(rate));
                Slot {
                    rate,
                    limiter: limiter(rate, &self.clock),
                    window: AtomicU64::new(0),
                    throttled: AtomicU64::new(0),
                }
            })
            .collect();
        // Inserted while the table is still read-locked, so an update (which clears the map
        // under the write lock) cannot be overtaken by limiters built from the old table.
        let fresh = Arc::new(ScopeLimiters {
            slots,
            last_used: AtomicU64::new(now.as_u64()),
            refill,
        });
        let limiters = Arc::clone(&self.scopes.entry(scope.clone()).or_insert(fresh));
        drop(table);
        if self.scopes.len() > self.max_scopes {
            self.evict_least_recently_used();
        }
        limiters
    }

    /// Drops the least recently used scopes down to 7/8 of the cap, so the scan (and its
    /// sort) runs once per `max_scopes / 8` new scopes, not per request.
    fn evict_least_recently_used(&self) {
        let Ok(_only_one) = self.evicting.try_lock() else {
            return;
        };
        let mut by_age: Vec<(u64, Scope)> = self
            .scopes
            .iter()
            .map(|e| (e.last_used.load(Ordering::Relaxed), e.key().clone()))
            .collect();
        if by_age.len() <= self.max_scopes {
            return;
        }
        let keep = self.max_scopes - self.max_scopes / 8;
        let excess = by_age.len() - keep;
        by_age.select_nth_unstable_by_key(excess - 1, |(used, _)| *used);
        for (_, scope) in &by_age[..excess] {
            self.scopes.remove(scope);
        }
        self.evicted.fetch_add(excess as u64, Ordering::Relaxed);
    }

    /// Drops the scopes unused for [`SCOPE_IDLE`] whose limiters have all refilled since: a
    /// request after that starts afresh, with full buckets, exactly as it would have. The
    /// server runs this every minute.
    pub fn evict_idle(&self) {
        let now = self.clock.now().as_u64();
        let before = self.scopes.len();
        self.scopes.retain(|_, l| {
            let idle =
                Duration::from_nanos(now.saturating_sub(l.last_used.load(Ordering::Relaxed)));
            idle < SCOPE_IDLE.max(l.refill)
        });
        let dropped = before.saturating_sub(self.scopes.len());
        self.evicted.fetch_add(dropped as u64, Ordering::Relaxed);
    }

    fn second(&self) -> u64 {
        self.second_at(self.clock.now())
    }

    fn second_at(&self, now: Nanos) -> u64 {
        let elapsed: Duration = now.duration_since(self.start).into();
        elapsed.as_secs()
    }

    /// Changes the quota table with `edit`; limiters of affected scopes are rebuilt with the new
    /// rates for the next request.
    pub fn update(&self, edit: impl FnOnce(&mut QuotaTable)) {
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        edit(&mut table);
        self.scopes.clear();
    }

    /// A copy of the quota table.
    pub fn table(&self) -> QuotaTable {
        self.table.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The effective rate of every quota in `scope`.
    pub fn effective(&self, scope: &Scope) -> Vec<(String, f64)> {
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        QuotaId::listed()
            .map(|q| (q.name(), table.rate(scope, q)))
            .collect()
    }

    /// Use of every quota in every scope that has seen requests, busiest first.
    pub fn usage(&self) -> Vec<QuotaUse> {
        let now = self.second();
        let mut out = Vec::new();
        for entry in self.scopes.iter() {
            for (q, slot) in QuotaId::all().zip(&entry.slots) {
                let used = slot.used_in(now);
                let throttled = slot.throttled.load(Ordering::Relaxed);
                if used == 0 && throttled == 0 {
                    continue;
                }
                out.push(QuotaUse {
                    account: entry.key().account().to_owned(),
                    region: entry.key().region().to_owned(),
                    quota: q.name(),
                    limit: slot.rate,
                    used,
                    throttled,
                });
            }
        }
        out.sort_by(|a, b| b.used.cmp(&a.used).then_with(|| a.quota.cmp(&b.quota)));
        out
    }
}

impl ScopeLimiters {
    /// Records a use at `now`; a scope used within the last second is not written again, so
    /// a busy scope's requests do not all write one cache line.
    fn touch(&self, now: Nanos) {
        let now = now.as_u64();
        if now.saturating_sub(self.last_used.load(Ordering::Relaxed)) >= 1_000_000_000 {
            self.last_used.store(now, Ordering::Relaxed);
        }
    }
}

impl Slot {
    fn count(&self, second: u64) {
        let current = self.window.load(Ordering::Relaxed);
        if current >> 32 == second {
            self.window.fetch_add(1, Ordering::Relaxed);
        } else {
            // A new window; a race with another first request of the window loses a count at
            // most, which the gauge tolerates.
            let _ = self.window.compare_exchange(
                current,
                (second << 32) | 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    fn used_in(&self, second: u64) -> u64 {
        let w = self.window.load(Ordering::Relaxed);
        if w >> 32 == second {
            w & 0xffff_ffff
        } else {
            0
        }
    }
}

/// How often the server runs [`Throttle::evict_idle`].
pub const IDLE_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Runs [`Throttle::evict_idle`] every [`IDLE_SWEEP_INTERVAL`]; abort the handle to stop.
pub fn spawn_idle_sweeper(throttle: Arc<Throttle>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(IDLE_SWEEP_INTERVAL);
        loop {
            tick.tick().await;
            throttle.evict_idle();
        }
    })
}

/// How long the limiter of `rate` takes to refill from empty: a burst of ⌊rate⌋ at one per
/// 1/rate s is about a second; a fractional rate's one request takes 1/rate.
fn refill_time(rate: f64) -> Duration {
    if rate.is_nan() || rate <= 0.0 {
        return Duration::ZERO;
    }
    let rate = rate.clamp(MIN_RATE, MAX_RATE);
    Duration::try_from_secs_f64(rate.floor().max(1.0) / rate).unwrap_or(Duration::ZERO)
}

/// The GCRA limiter for `rate` per second: burst max(1, ⌊rate⌋), one more every 1/rate s.
/// `None` (refuse everything) for 0. Rates are checked when configured
/// ([`super::table::check_rate`]); one that bypassed the check (`QuotaTable::set` from code) is
/// clamped into the range governor can represent rather than allowed to panic in it.
fn limiter(rate: f64, clock: &ThrottleClock) -> Option<Limiter> {
    if rate.is_nan() || rate <= 0.0 {
        return None;
    }
    let rate = rate.clamp(MIN_RATE, MAX_RATE);
    // ⌊rate⌋ ≤ 10⁹ fits a u32; the interval is at most a year, well within governor's u64 ns.
    let burst = NonZeroU32::new((rate.floor() as u32).max(1)).unwrap_or(NonZeroU32::MIN);
    let period = Duration::try_from_secs_f64(1.0 / rate)
        .unwrap_or(Duration::from_secs(1))
        .max(Duration::from_nanos(1));
    let quota = Quota::with_period(period)?.allow_burst(burst);
    Some(RateLimiter::direct_with_clock(quota, clock.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(flags: &[&str]) -> (Throttle, FakeRelativeClock) {
        let mut table = QuotaTable::default();
        for f in flags {
            table.apply_flag(f).unwrap();
        }
        let clock = FakeRelativeClock::default();
        (
            Throttle::with_clock(table, true, ThrottleClock::manual(clock.clone())),
            clock,
        )
    }

    fn scope() -> Scope {
        Scope::new("111122223333", "us-east-1")
    }

    fn admitted(t: &Throttle, scope: &Scope, q: QuotaId, n: usize) -> usize {
        (0..n).filter(|_| t.admit(scope, q)).count()
    }

    #[test]
    fn a_quota_admits_its_rate_per_second() {
        let (t, clock) = throttle(&["CreateKey=5"]);
        let q = QuotaId::parse("CreateKey").unwrap();
        assert_eq!(
            admitted(&t, &scope(), q, 20),
            5,
            "a full bucket admits one second's worth"
        );
        for _ in 0..10 {
            clock.advance(Duration::from_secs(1));
            assert_eq!(admitted(&t, &scope(), q, 20), 5, "then R per second");
        }
        clock.advance(Duration::from_millis(200));
        assert_eq!(admitted(&t, &scope(), q, 20), 1, "one every 1/R seconds");
    }

    #[test]
    fn sustained_load_is_admitted_at_the_rate() {
        let (t, clock) = throttle(&["symmetric=500"]);
        let mut total = 0;
        for _ in 0..1000 {
            clock.advance(Duration::from_millis(10));
            total += admitted(&t, &scope(), QuotaId::SYMMETRIC, 20);
        }
        // 10 s at 500/s plus at most one second of burst.
        assert!((5000..=5500).contains(&total), "{total}");
    }

    #[test]
    fn fractional_rates_admit_one_per_period() {
        let (t, clock) = throttle(&["GenerateDataKeyPair:RSA_4096=0.25"]);
        let q = QuotaId::key_pair("RSA_4096").unwrap();
        assert_eq!(admitted(&t, &scope(), q, 5), 1);
        clock.advance(Duration::from_secs(3));
        assert_eq!(admitted(&t, &scope(), q, 5), 0);
        clock.advance(Duration::from_secs(1));
        assert_eq!(admitted(&t, &scope(), q, 5), 1);
    }

    #[test]
    fn quotas_accounts_and_regions_are_independent() {
        let (t, _) = throttle(&["CreateKey=2", "CreateAlias=3"]);
        let (ck, ca) = (
            QuotaId::parse("CreateKey").unwrap(),
            QuotaId::parse("CreateAlias").unwrap(),
        );
        assert_eq!(admitted(&t, &scope(), ck, 10), 2);
        assert_eq!(admitted(&t, &scope(), ca, 10), 3, "other quota");
        assert_eq!(
            admitted(&t, &Scope::new("000000000042", "us-east-1"), ck, 10),
            2,
            "other account"
        );
        assert_eq!(
            admitted(&t, &Scope::new("111122223333", "eu-west-1"), ck, 10),
            2,
            "other region"
        );
    }

    #[test]
    fn zero_refuses_and_off_admits_everything() {
        let (t, _) = throttle(&["CreateKey=0"]);
        let q = QuotaId::parse("CreateKey").unwrap();
        assert_eq!(admitted(&t, &scope(), q, 10), 0);
        t.set_enabled(false);
        assert_eq!(admitted(&t, &scope(), q, 10), 10);
    }

    #[test]
    fn the_extreme_rates_work() {
        let (t, clock) = throttle(&[]);
        let (slow, fast) = (
            QuotaId::parse("CreateKey").unwrap(),
            QuotaId::parse("DescribeKey").unwrap(),
        );
        t.update(|table| {
            table.set(None, None, slow, Some(MIN_RATE));
            table.set(None, None, fast, Some(MAX_RATE));
        });
        assert_eq!(admitted(&t, &scope(), slow, 3), 1);
        clock.advance(Duration::from_secs(364 * 86_400));
        assert_eq!(admitted(&t, &scope(), slow, 3), 0, "one a year");
        clock.advance(Duration::from_secs(86_400));
        assert_eq!(admitted(&t, &scope(), slow, 3), 1);
        assert_eq!(admitted(&t, &scope(), fast, 1000), 1000);
        clock.advance(Duration::from_nanos(10));
        assert_eq!(admitted(&t, &scope(), fast, 1000), 1000, "a burst of 10⁹");
    }

    #[test]
    fn rates_that_bypassed_the_check_never_panic() {
        let (t, clock) = throttle(&[]);
        for rate in [
            1e-12,
            5e-324,
            f64::MIN_POSITIVE,
            1e300,
            f64::INFINITY,
            f64::NAN,
            -1.0,
        ] {
            t.update(|table| table.set(None, None, QuotaId::SYMMETRIC, Some(rate)));
            admitted(&t, &scope(), QuotaId::SYMMETRIC, 3);
            clock.advance(Duration::from_secs(1));
            admitted(&t, &scope(), QuotaId::SYMMETRIC, 3);
        }
    }

    fn account(i: usize) -> Scope {
        Scope::new(format!("{i:012}"), "us-east-1")
    }

    #[test]
    fn live_scopes_are_capped_least_recently_used_first() {
        let (t, clock) = throttle(&["CreateKey=1"]);
        let t = t.with_max_scopes(80);
        let q = QuotaId::parse("CreateKey").unwrap();
        assert_eq!(admitted(&t, &scope(), q, 2), 1);
        for i in 0..10_000 {
            clock.advance(Duration::from_millis(1));
            if i % 50 == 0 {
                // The default scope stays recently used, so it keeps its drained bucket.
                clock.advance(Duration::from_secs(1));
                assert_eq!(admitted(&t, &scope(), q, 2), 1);
            }
            t.admit(&account(i), q);
            assert!(t.scope_count() <= 80, "{} live scopes", t.scope_count());
        }
        assert!(t.evicted() >= 10_000 - 80);
        assert_eq!(
            admitted(&t, &scope(), q, 2),
            0,
            "not dropped: still drained"
        );
        // A dropped scope starts again with a full bucket.
        assert_eq!(admitted(&t, &account(0), q, 2), 1);
    }

    #[test]
    fn idle_scopes_are_dropped_once_refilled() {
        let (t, clock) = throttle(&["CreateKey=1"]);
        let (q, slow) = (
            QuotaId::parse("CreateKey").unwrap(),
            QuotaId::key_pair("RSA_4096").unwrap(),
        );
        t.admit(&account(1), q);
        clock.advance(SCOPE_IDLE - Duration::from_secs(1));
        t.admit(&account(2), q);
        t.evict_idle();
        assert_eq!(t.scope_count(), 2, "not idle long enough");
        clock.advance(Duration::from_secs(2));
        t.evict_idle();
        assert_eq!(t.scope_count(), 1, "account 1 dropped");
        // A scope whose slowest limiter (one per 1000 s) has not refilled is kept.
        t.update(|table| table.set(Some("000000000003"), None, slow, Some(0.001)));
        assert_eq!(admitted(&t, &account(3), slow, 2), 1);
        clock.advance(SCOPE_IDLE + Duration::from_secs(1));
        t.evict_idle();
        assert_eq!(t.scope_count(), 1, "still refilling");
        assert_eq!(admitted(&t, &account(3), slow, 1), 0);
        clock.advance(Duration::from_secs(1000));
        t.evict_idle();
        assert_eq!(t.scope_count(), 0);
    }

    #[test]
    fn updates_take_effect_for_the_next_request() {
        let (t, _) = throttle(&["CreateKey=1"]);
        let q = QuotaId::parse("CreateKey").unwrap();
        assert_eq!(admitted(&t, &scope(), q, 10), 1);
        t.update(|table| table.set(Some("111122223333"), None, q, Some(4.0)));
        assert_eq!(admitted(&t, &scope(), q, 10), 4);
        let usage = t.usage();
        assert_eq!(usage[0].quota, "CreateKey");
        assert_eq!(
            (usage[0].limit, usage[0].used, usage[0].throttled),
            (4.0, 4, 6)
        );
    }
}
