//! Time as the engine sees it: an injected [`Clock`], so tests and the admin API can move it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
///
/// ```
/// use kms_api::{Clock, ManualClock};
/// let clock = ManualClock::at_epoch_seconds(1_700_000_000);
/// clock.advance_seconds(60);
/// assert_eq!(clock.now().timestamp(), 1_700_000_060);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Moves time forward by `seconds`, if this clock can be moved; returns whether it moved.
    fn advance(&self, seconds: i64) -> bool {
        let _ = seconds;
        false
    }

    /// How far this clock has been moved ahead of where it started, in seconds.
    fn offset(&self) -> i64 {
        0
    }

    /// Whether [`Clock::advance`] moves this clock.
    fn is_movable(&self) -> bool {
        false
    }
}

/// How far emulated time may run from the system clock, either way: 1000 years. Within it,
/// every date the engine computes (a deletion 30 days on, a rotation 2560 days on) stays far
/// inside what dates can hold, so no date arithmetic can overflow.
pub const MAX_OFFSET_SECONDS: i64 = 1000 * 365 * 86_400;

/// `days` after `t`, or the end of time if that is later: engine date arithmetic never panics,
/// whatever clock it was given.
pub(crate) fn days_after(t: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    t.checked_add_signed(Duration::days(i64::from(days)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t + d`, or the end of time if that is later (no panic whatever the clock).
pub(crate) fn saturating_add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `seconds` within ±[`MAX_OFFSET_SECONDS`].
fn clamp_offset(seconds: i64) -> i64 {
    seconds.clamp(-MAX_OFFSET_SECONDS, MAX_OFFSET_SECONDS)
}

/// The system clock, optionally shifted by an offset that only ever grows (the emulator's
/// `--clock-offset-seconds` and `POST /_kms/clock`), kept within ±[`MAX_OFFSET_SECONDS`].
///
/// ```
/// use kms_api::{Clock, SystemClock};
/// let clock = SystemClock::default();
/// clock.advance_seconds(3600);
/// assert_eq!(clock.offset_seconds(), 3600);
/// ```
#[derive(Debug, Default)]
pub struct SystemClock {
    offset_seconds: AtomicI64,
}

impl SystemClock {
    /// A system clock shifted by `offset_seconds` (clamped to ±[`MAX_OFFSET_SECONDS`]).
    pub fn with_offset_seconds(offset_seconds: i64) -> Self {
        Self {
            offset_seconds: AtomicI64::new(clamp_offset(offset_seconds)),
        }
    }

    /// Moves emulated time forward by `seconds` (up to [`MAX_OFFSET_SECONDS`] ahead).
    pub fn advance_seconds(&self, seconds: i64) {
        let _ = self
            .offset_seconds
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(clamp_offset(o.saturating_add(seconds.max(0))))
            });
    }

    /// How far emulated time is ahead of the system clock.
    pub fn offset_seconds(&self) -> i64 {
        self.offset_seconds.load(Ordering::SeqCst)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // The offset is within ±1000 years (see `clamp_offset`), so this cannot fail.
        let offset =
            Duration::try_seconds(self.offset_seconds.load(Ordering::Relaxed)).unwrap_or_default();
        let now = Utc::now();
        now.checked_add_signed(offset).unwrap_or(now)
    }

    fn advance(&self, seconds: i64) -> bool {
        self.advance_seconds(seconds);
        true
    }

    fn offset(&self) -> i64 {
        self.offset_seconds()
    }

    fn is_movable(&self) -> bool {
        true
    }
}

/// A clock that only moves when told to, for tests.
///
/// ```
/// use kms_api::{Clock, ManualClock};
/// let clock = ManualClock::at_epoch_seconds(0);
/// assert_eq!(clock.now().timestamp(), 0);
/// ```
#[derive(Debug)]
pub struct ManualClock {
    millis: AtomicI64,
    start_millis: i64,
}

impl ManualClock {
    /// A clock standing at `seconds` after the Unix epoch (saturating at the ends of time).
    pub fn at_epoch_seconds(seconds: i64) -> Self {
        let millis = seconds.saturating_mul(1000);
        Self {
            millis: AtomicI64::new(millis),
            start_millis: millis,
        }
    }

    /// Moves the clock forward by `seconds` (saturating).
    pub fn advance_seconds(&self, seconds: i64) {
        let _ = self
            .millis
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |m| {
                Some(m.saturating_add(seconds.saturating_mul(1000)))
            });
    }

    /// Wraps the clock for [`crate::KmsBuilder::clock`].
    pub fn shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let millis = self.millis.load(Ordering::SeqCst);
        DateTime::from_timestamp_millis(millis).unwrap_or(if millis > 0 {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
    }

    fn advance(&self, seconds: i64) -> bool {
        self.advance_seconds(seconds);
        true
    }

    fn offset(&self) -> i64 {
        (self
            .millis
            .load(Ordering::SeqCst)
            .saturating_sub(self.start_millis))
            / 1000
    }

    fn is_movable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_clock_runs_ahead_of_the_system_clock() {
        let clock = SystemClock::with_offset_seconds(86_400);
        let diff = clock.now() - Utc::now();
        assert!(diff > Duration::seconds(86_390) && diff <= Duration::seconds(86_400));
    }

    #[test]
    fn offsets_stay_within_a_thousand_years() {
        for extreme in [i64::MIN, i64::MAX, -MAX_OFFSET_SECONDS - 1] {
            let clock = SystemClock::with_offset_seconds(extreme);
            assert!(clock.offset_seconds().abs() <= MAX_OFFSET_SECONDS);
            clock.advance_seconds(i64::MAX);
            assert_eq!(clock.offset_seconds(), MAX_OFFSET_SECONDS);
            let _ = days_after(clock.now(), 2560);
        }
        let edge = ManualClock::at_epoch_seconds(i64::MAX);
        edge.advance_seconds(i64::MAX);
        assert_eq!(days_after(edge.now(), 30), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_epoch_seconds(10);
        assert_eq!(clock.now().timestamp(), 10);
        clock.advance_seconds(5);
        assert_eq!(clock.now().timestamp(), 15);
    }
}
