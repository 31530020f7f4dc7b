//! [`Config`]: what the server needs to know besides the engine: default account and Region,
//! the request body limit, and throttling.

use crate::throttle::QuotaTable;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The account of requests whose access key ID is not a 12-digit account ID.
    pub default_account: String,
    /// The Region of requests without a SigV4 credential scope.
    pub default_region: String,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Whether to throttle like AWS (`--throttle aws`). [`Config::default`] does not throttle,
    /// so tests that embed the server are not throttled by surprise; the CLI does by default.
    pub throttle: bool,
    /// Quota overrides on top of AWS's defaults.
    pub quotas: QuotaTable,
    /// The most (account, Region) scopes that keep throttle limiters at once; past it the
    /// least recently used are dropped (clients choose scopes, so they must be bounded).
    pub max_throttle_scopes: usize,
    /// The data directory of a durable store, `None` in memory. With a store, mutating
    /// operations run on the blocking pool, so their synced commits never hold up a worker.
    pub data_dir: Option<std::path::PathBuf>,
}

/// 1 MiB: far above any valid KMS request (the largest blob member is 6144 bytes).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Self {
            default_account: "111122223333".into(),
            default_region: "us-east-1".into(),
            body_limit: DEFAULT_BODY_LIMIT,
            throttle: false,
            quotas: QuotaTable::default(),
            max_throttle_scopes: crate::throttle::limiter::DEFAULT_MAX_SCOPES,
            data_dir: None,
        }
    }
}

/// True for a 12-digit AWS account ID.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}
