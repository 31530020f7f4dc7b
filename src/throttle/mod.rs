//! Throttling like AWS: the quota tables ([`quotas`]), their configuration ([`table`]) and
//! admission per (account, Region, quota) ([`limiter`]).

pub mod limiter;
pub mod quotas;
pub mod table;

pub use limiter::{FakeRelativeClock, QuotaUse, Throttle, ThrottleClock};
pub use quotas::{QuotaId, quota_for};
pub use table::QuotaTable;
