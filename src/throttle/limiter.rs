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

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
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
use super::table::{QuotaTable, MAX_RATE, MIN_RATE};

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

/// Per-scope, per-quota admission control.
pub struct Throttle {
    enabled: AtomicBool,
    table: RwLock<QuotaTable>,
    scopes: DashMap<Scope, Arc<ScopeLimiters>>,
    clock: ThrottleClock,
    start: Nanos,
}

/// The limiters of one (account, Region).
struct ScopeLimiters {
    slots: Vec<Slot>,
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
        }
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
        let limiters = match self.scopes.get(scope) {
            Some(l) => Arc::clone(&l),
            None => self.limiters_for(scope),
        };
        let slot = &limiters.slots[quota.index()];
        let admitted = slot.limiter.as_ref().is_some_and(|l| l.check().is_ok());
        if admitted {
            slot.count(self.second());
        } else {
            slot.throttled.fetch_add(1, Ordering::Relaxed);
        }
        admitted
    }

    fn limiters_for(&self, scope: &Scope) -> Arc<ScopeLimiters> {
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        let slots = QuotaId::all()
            .map(|q| {
                let rate = table.rate(scope, q);
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
        let fresh = Arc::new(ScopeLimiters { slots });
        let limiters = Arc::clone(&self.scopes.entry(scope.clone()).or_insert(fresh));
        drop(table);
        limiters
    }

    fn second(&self) -> u64 {
        let elapsed: Duration = self.clock.now().duration_since(self.start).into();
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
        QuotaId::all()
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
