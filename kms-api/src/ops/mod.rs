//! The operations, one file per group; each operation is a synchronous method on [`crate::Kms`].

pub mod aliases;
pub mod crypto;
pub mod keys;
pub mod policies;
pub mod rotation;
pub mod tags;

/// A validated `Limit` member, or the operation's default.
pub(crate) fn page_limit(limit: Option<i64>, default: usize) -> usize {
    limit.map_or(default, |l| l.clamp(1, 1000) as usize)
}
