//! Time as the engine sees it: an injected [`Clock`], so tests and the admin API can move it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

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
}

/// The system clock, optionally shifted by an offset that only ever grows (the emulator's
/// `--clock-offset-seconds` and `POST /_kms/clock`).
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
    /// A system clock shifted by `offset_seconds`.
    pub fn with_offset_seconds(offset_seconds: i64) -> Self {
        Self {
            offset_seconds: AtomicI64::new(offset_seconds),
        }
    }

    /// Moves emulated time forward by `seconds` (saturating).
    pub fn advance_seconds(&self, seconds: i64) {
        let _ = self
            .offset_seconds
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(seconds))
            });
    }

    /// How far emulated time is ahead of the system clock.
    pub fn offset_seconds(&self) -> i64 {
        self.offset_seconds.load(Ordering::SeqCst)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = Duration::try_seconds(self.offset_seconds.load(Ordering::Relaxed))
            .unwrap_or(Duration::MAX);
        Utc::now()
            .checked_add_signed(offset)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    fn advance(&self, seconds: i64) -> bool {
        self.advance_seconds(seconds);
        true
    }

    fn offset(&self) -> i64 {
        self.offset_seconds()
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
    /// A clock standing at `seconds` after the Unix epoch.
    pub fn at_epoch_seconds(seconds: i64) -> Self {
        Self {
            millis: AtomicI64::new(seconds * 1000),
            start_millis: seconds * 1000,
        }
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance_seconds(&self, seconds: i64) {
        self.millis.fetch_add(seconds * 1000, Ordering::SeqCst);
    }

    /// Wraps the clock for [`crate::KmsBuilder::clock`].
    pub fn shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis.load(Ordering::SeqCst)).unwrap_or_default()
    }

    fn advance(&self, seconds: i64) -> bool {
        self.advance_seconds(seconds);
        true
    }

    fn offset(&self) -> i64 {
        (self.millis.load(Ordering::SeqCst) - self.start_millis) / 1000
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
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_epoch_seconds(10);
        assert_eq!(clock.now().timestamp(), 10);
        clock.advance_seconds(5);
        assert_eq!(clock.now().timestamp(), 15);
    }
}
