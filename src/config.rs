//! [`Config`]: what the server needs to know besides the engine: default account and Region,
//! the request body limit, throttling, who may use the admin API, and how callers are
//! authenticated.

use std::time::Duration;

pub use kms_api::Secret;

use crate::throttle::QuotaTable;

/// Server settings. Its `Debug` never shows the admin token.
#[derive(Clone)]
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
    /// Host names (lowercase, without a port) the admin API answers to besides `localhost`
    /// and IP addresses, when it has no token; `*` allows any. See [`crate::admin::guard`].
    pub admin_allowed_hosts: Vec<String>,
    /// The data directory of a durable store, `None` in memory. With a store, mutating
    /// operations run on the blocking pool, so their synced commits never hold up a worker.
    pub data_dir: Option<std::path::PathBuf>,
    /// The `--auth` mode and the known principals (their `Debug` redacts every secret).
    pub auth: crate::auth::Authenticator,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("default_account", &self.default_account)
            .field("default_region", &self.default_region)
            .field("body_limit", &self.body_limit)
            .field("throttle", &self.throttle)
            .field("quotas", &self.quotas)
            .field("max_throttle_scopes", &self.max_throttle_scopes)
            .field("timeouts", &self.timeouts)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("admin_open", &self.admin_open)
            .field("admin_allowed_hosts", &self.admin_allowed_hosts)
            .field("data_dir", &self.data_dir)
            .field("auth", &self.auth)
            .finish()
    }
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
            admin_allowed_hosts: Vec::new(),
            data_dir: None,
            auth: crate::auth::Authenticator::default(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let config = Config {
            admin_token: Some(Secret::from_slice(b"s3cr3t-admin-token")),
            ..Config::default()
        };
        let printed = format!("{config:?} {config:#?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("<redacted>"));
        assert_eq!(config.admin_token.unwrap().expose(), b"s3cr3t-admin-token");
    }
}
