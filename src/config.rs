//! [`Config`]: what the server needs to know besides the engine: default account and Region,
//! the request body limit, throttling, and who may use the admin API; [`Secret`] for values
//! that must never be printed.

use std::time::Duration;

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
    /// How long clients may take to send requests and how long connections may idle.
    pub timeouts: Timeouts,
    /// When set, every `/_kms/...` endpoint but health needs `Authorization: Bearer <token>`.
    pub admin_token: Option<Secret>,
    /// Allow admin API changes (reset, clock, quotas, faults) without a token on a listener
    /// beyond loopback. Without a token and without this, such a server refuses them (403).
    pub admin_open: bool,
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
            timeouts: Timeouts::default(),
            admin_token: None,
            admin_open: false,
            data_dir: None,
        }
    }
}

/// The connection timeouts (see [`crate::server`] for the phases they bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the first byte of a request to the end of its head (10 s).
    pub header: Duration,
    /// From the end of a request's head to the end of its body (30 s).
    pub body: Duration,
    /// How long a connection may wait for a request: a new one, or keep-alive after a
    /// response (60 s).
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            idle: Duration::from_secs(60),
        }
    }
}

/// True for a 12-digit AWS account ID.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A secret string (the admin token, the root key): zeroized on drop, and `Debug` prints
/// `<redacted>`, so a struct holding one can derive `Debug` without leaking it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(zeroize::Zeroizing::new(value.into()))
    }

    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let config = Config {
            admin_token: Some(Secret::new("s3cr3t-admin-token")),
            ..Config::default()
        };
        let printed = format!("{config:?} {config:#?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("<redacted>"));
        assert_eq!(config.admin_token.unwrap().expose(), "s3cr3t-admin-token");
    }
}
