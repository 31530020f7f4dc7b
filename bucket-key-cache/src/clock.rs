//! Where the cache's time comes from: [`SystemClock`] in programs, [`ManualClock`] in tests, so
//! TTL and grace-period behaviour can be tested without sleeping; and [`saturating_add`], the one
//! way the crate adds a duration to an instant, so no setting can make it panic.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic time source.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// [`Instant::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to.
///
/// ```
/// use std::time::Duration;
/// use bucket_key_cache::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now() - t0, Duration::from_secs(90));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    origin: Instant,
    offset_nanos: AtomicU64,
}

impl ManualClock {
    /// A clock standing at the instant it was made.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            offset_nanos: AtomicU64::new(0),
        }
    }

    /// Moves the clock forward by `by`. The clock stops at about 584 years after it was made
    /// (`u64::MAX` nanoseconds) rather than wrapping around.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // The closure always returns `Some`, so `fetch_update` cannot fail.
        let _ = self
            .offset_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(nanos))
            });
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        saturating_add(
            self.origin,
            Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst)),
        )
    }
}

/// `t + d`, or the latest instant after `t` that this platform can represent when `t + d` cannot
/// be (`Instant + Duration` panics then). The cache adds its TTL and grace interval with this, so
/// a setting like `Duration::MAX` means "never", not a panic.
///
/// ```
/// use std::time::{Duration, Instant};
/// use bucket_key_cache::clock::saturating_add;
///
/// let now = Instant::now();
/// assert_eq!(saturating_add(now, Duration::from_secs(5)), now + Duration::from_secs(5));
/// let never = saturating_add(now, Duration::MAX);
/// assert!(never > now + Duration::from_secs(1_000_000_000));
/// assert!(never.checked_add(Duration::from_nanos(1)).is_none());
/// ```
pub fn saturating_add(t: Instant, d: Duration) -> Instant {
    if let Some(sum) = t.checked_add(d) {
        return sum;
    }
    // Binary search for the largest addable duration: `lo` can be added, `hi` cannot.
    let (mut lo, mut hi) = (Duration::ZERO, d);
    loop {
        let mid = lo + (hi - lo) / 2;
        if mid == lo {
            return t + lo; // `lo` was checked to be addable (or is zero)
        }
        match t.checked_add(mid) {
            Some(_) => lo = mid,
            None => hi = mid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_never_runs_backwards() {
        let clock = ManualClock::new();
        clock.advance(Duration::MAX);
        let far = clock.now();
        clock.advance(Duration::from_secs(1));
        assert!(clock.now() >= far, "advancing past the end wrapped around");
    }

    #[test]
    fn saturating_add_never_panics() {
        let now = Instant::now();
        for d in [Duration::ZERO, Duration::from_nanos(1), Duration::MAX] {
            let t = saturating_add(now, d);
            assert!(t >= now);
            assert_eq!(
                saturating_add(t, Duration::MAX),
                saturating_add(now, Duration::MAX)
            );
        }
    }
}
