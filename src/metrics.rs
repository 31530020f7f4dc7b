//! Prometheus metrics at `GET /metrics`, recorded with the `metrics` crate's handles.
//!
//! Every family in the exposition has one `# HELP` and one `# TYPE` line before its samples:
//! the recorder's families are described once, in [`Metrics::new`] (the exporter writes
//! `# HELP` only for described names), and the hand-written gauges below write theirs.
//!
//! - `kms_requests_total{operation,outcome}` (counter): outcome `ok` or the AWS error code
//! - `kms_request_duration_seconds{operation}` (histogram: `_bucket{le}`, `_sum`, `_count`)
//! - `kms_throttled_total{quota}` (counter)
//! - `kms_keys` (gauge): keys in every account and Region
//! - `kms_quota_limit{quota,account,region}` (gauge, requests per second): every quota of the
//!   default account and Region, always (also with throttling off), plus every quota of every
//!   live throttle scope that admitted a request in the current second or refused one since
//!   the scope's limiters were built
//! - `kms_quota_used{quota,account,region}` (gauge): requests admitted in the current second,
//!   for those scope quotas only (not for the default-scope rows that saw no requests)
//! - `kms_throttle_scopes` (gauge: scopes with limiters now) and
//!   `kms_throttle_scopes_evicted_total` (counter)
//!
//! The per-scope gauges are written straight from the throttle's live scopes at each scrape,
//! never registered with the recorder, so a scope's series disappear with its limiters (scopes
//! are client-chosen: registered series would be kept for ever).
//!
//! Each server has its own recorder (no global state, so several servers can share a
//! process). Counter and histogram handles are created once per series and cached in
//! `OnceLock` slots, so recording a request is a few atomic operations: no lock, no map
//! lookup, no allocation. Descriptions are written once, at construction, never on that path.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kms_api::Operation;
use metrics::{Counter, Histogram, Key, KeyName, Label, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::AppState;
use crate::throttle::QuotaId;
use crate::throttle::quotas::QUOTA_COUNT;

/// Every error code the server can answer, for the per-outcome counter slots.
const OUTCOMES: [&str; 30] = [
    "ok",
    "AccessDeniedException",
    "AlreadyExistsException",
    "CustomKeyStoreNotFoundException",
    "DependencyTimeoutException",
    "DisabledException",
    "DryRunOperationException",
    "IncorrectKeyException",
    "KMSInternalException",
    "InvalidAliasNameException",
    "InvalidArnException",
    "InvalidCiphertextException",
    "InvalidGrantTokenException",
    "InvalidKeyUsageException",
    "InvalidMarkerException",
    "InvalidSignatureException",
    "KMSInvalidStateException",
    "KeyUnavailableException",
    "LimitExceededException",
    "MalformedPolicyDocumentException",
    "NotAuthorizedException",
    "NotFoundException",
    "RequestTimeoutException",
    "SerializationException",
    "TagException",
    "ThrottlingException",
    "UnknownOperationException",
    "UnsupportedOperationException",
    "ValidationException",
    "other",
];
/// Operations plus one slot for requests that named none.
const OPERATION_SLOTS: usize = Operation::ALL.len() + 1;

/// The kind of a metric family, for its description and `# TYPE` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    /// The name on its `# TYPE` line.
    const fn type_name(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

const REQUESTS: &str = "kms_requests_total";
const DURATION: &str = "kms_request_duration_seconds";
const THROTTLED: &str = "kms_throttled_total";
const KEYS: &str = "kms_keys";

/// The recorder's families: name, kind, unit and `# HELP` text, described in [`Metrics::new`].
const RECORDED: [(&str, Kind, Option<Unit>, &str); 4] = [
    (
        REQUESTS,
        Kind::Counter,
        Some(Unit::Count),
        "KMS API requests answered, by operation and outcome (ok or the AWS error code).",
    ),
    (
        DURATION,
        Kind::Histogram,
        Some(Unit::Seconds),
        "Time to answer a KMS API request, in seconds, by operation.",
    ),
    (
        THROTTLED,
        Kind::Counter,
        Some(Unit::Count),
        "KMS API requests refused with ThrottlingException, by quota.",
    ),
    (
        KEYS,
        Kind::Gauge,
        Some(Unit::Count),
        "KMS keys in every account and Region.",
    ),
];

/// `# HELP` texts of the hand-written families of [`Metrics::render`].
const QUOTA_LIMIT_HELP: &str = "The quota's rate in requests per second: every quota of the default account and Region, and every quota in use in a live throttle scope.";
const QUOTA_USED_HELP: &str =
    "Requests admitted in the current second, per quota in use in a live throttle scope.";
const SCOPES_HELP: &str = "(account, Region) scopes with live limiters.";
const SCOPES_EVICTED_HELP: &str = "Scopes whose limiters were dropped (idle, or over the cap).";

/// The server's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    requests: Vec<OnceLock<Counter>>,
    durations: Vec<OnceLock<Histogram>>,
    throttled: Vec<OnceLock<Counter>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A fresh registry.
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(DURATION.into()),
                &[
                    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05,
                    0.1, 0.25, 0.5, 1.0,
                ],
            )
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        for (name, kind, unit, help) in RECORDED {
            let (name, help) = (KeyName::from_const_str(name), SharedString::const_str(help));
            match kind {
                Kind::Counter => recorder.describe_counter(name, unit, help),
                Kind::Gauge => recorder.describe_gauge(name, unit, help),
                Kind::Histogram => recorder.describe_histogram(name, unit, help),
            }
        }
        let handle = recorder.handle();
        Self {
            recorder,
            handle,
            requests: (0..OPERATION_SLOTS * OUTCOMES.len())
                .map(|_| OnceLock::new())
                .collect(),
            durations: (0..OPERATION_SLOTS).map(|_| OnceLock::new()).collect(),
            throttled: (0..QUOTA_COUNT).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Records one answered request.
    pub fn request(
        &self,
        operation: Option<Operation>,
        error_code: Option<&str>,
        elapsed: Duration,
    ) {
        let op = operation.map_or(Operation::ALL.len(), operation_index);
        let name = operation.map_or("unknown", Operation::name);
        let outcome = match error_code {
            None => 0,
            Some(code) => OUTCOMES
                .iter()
                .position(|o| *o == code)
                .unwrap_or(OUTCOMES.len() - 1),
        };
        self.requests[op * OUTCOMES.len() + outcome]
            .get_or_init(|| {
                self.counter(
                    REQUESTS,
                    vec![
                        Label::new("operation", name),
                        Label::new("outcome", OUTCOMES[outcome]),
                    ],
                )
            })
            .increment(1);
        self.durations[op]
            .get_or_init(|| {
                let key = Key::from_parts(DURATION, vec![Label::new("operation", name)]);
                self.recorder.register_histogram(&key, &metadata())
            })
            .record(elapsed.as_secs_f64());
    }

    /// Records one throttled request.
    pub fn throttled(&self, quota: QuotaId) {
        self.throttled[quota.index()]
            .get_or_init(|| self.counter(THROTTLED, vec![Label::new("quota", quota.name())]))
            .increment(1);
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &metadata())
    }

    /// Folds recorded histogram samples into their buckets. The exporter keeps raw samples
    /// until then, so this must run periodically (the server does, every few seconds), or
    /// memory grows with every request.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The Prometheus text exposition, with gauges read from `state` now.
    pub fn render(&self, state: &AppState) -> String {
        self.recorder
            .register_gauge(&Key::from_static_name(KEYS), &metadata())
            .set(state.kms.key_count() as f64);
        let mut text = self.handle.render();
        // Every quota's limit in the default account and Region, then limit and use of every
        // quota that has seen requests in a live scope.
        let (account, region) = (&state.config.default_account, &state.config.default_region);
        let usage = state.throttle.usage();
        header(&mut text, "kms_quota_limit", Kind::Gauge, QUOTA_LIMIT_HELP);
        let default_scope = kms_api::Scope::new(account.as_str(), region.as_str());
        for (quota, limit) in state.throttle.effective(&default_scope) {
            if !usage
                .iter()
                .any(|u| u.quota == quota && &u.account == account && &u.region == region)
            {
                sample(&mut text, "kms_quota_limit", &quota, account, region, limit);
            }
        }
        for u in &usage {
            sample(
                &mut text,
                "kms_quota_limit",
                &u.quota,
                &u.account,
                &u.region,
                u.limit,
            );
        }
        header(&mut text, "kms_quota_used", Kind::Gauge, QUOTA_USED_HELP);
        for u in &usage {
            let used = u.used as f64;
            sample(
                &mut text,
                "kms_quota_used",
                &u.quota,
                &u.account,
                &u.region,
                used,
            );
        }
        header(&mut text, "kms_throttle_scopes", Kind::Gauge, SCOPES_HELP);
        let _ = writeln!(text, "kms_throttle_scopes {}", state.throttle.scope_count());
        header(
            &mut text,
            "kms_throttle_scopes_evicted_total",
            Kind::Counter,
            SCOPES_EVICTED_HELP,
        );
        let _ = writeln!(
            text,
            "kms_throttle_scopes_evicted_total {}",
            state.throttle.evicted()
        );
        text
    }
}

/// The `# HELP` and `# TYPE` lines of a hand-written family.
fn header(out: &mut String, name: &str, kind: Kind, help: &str) {
    let kind = kind.type_name();
    let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
}

/// One `name{quota,account,region} value` line.
fn sample(out: &mut String, name: &str, quota: &str, account: &str, region: &str, value: f64) {
    let _ = writeln!(
        out,
        "{name}{{quota=\"{}\",account=\"{}\",region=\"{}\"}} {value}",
        escape(quota),
        escape(account),
        escape(region)
    );
}

/// A label value as the text format quotes it.
fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains(['\\', '"', '\n']) {
        value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
            .into()
    } else {
        value.into()
    }
}

fn operation_index(op: Operation) -> usize {
    Operation::ALL.iter().position(|o| *o == op).unwrap_or(0)
}

fn metadata() -> metrics::Metadata<'static> {
    metrics::Metadata::new(module_path!(), metrics::Level::INFO, None)
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let text = state.metrics.render(&state);
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// How often the server runs [`Metrics::upkeep`].
pub const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs [`Metrics::upkeep`] every [`UPKEEP_INTERVAL`]; abort the handle to stop.
pub fn spawn_upkeep(metrics: Arc<Metrics>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
        loop {
            tick.tick().await;
            metrics.upkeep();
        }
    })
}

/// Shared handle type in [`AppState`].
pub type SharedMetrics = Arc<Metrics>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The family of a sample name: histogram series belong to their base name.
    fn family<'a>(name: &'a str, histograms: &[&str]) -> &'a str {
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(base) = name.strip_suffix(suffix) {
                if histograms.contains(&base) {
                    return base;
                }
            }
        }
        name
    }

    #[test]
    fn every_family_has_one_help_and_one_type_line_before_its_samples() {
        let config = crate::Config {
            throttle: true,
            ..crate::Config::default()
        };
        let state = AppState::new(kms_api::Kms::new(), config);
        let scope = kms_api::Scope::new("111122223333", "us-east-1");
        assert!(state.throttle.admit(&scope, QuotaId::SYMMETRIC));
        let m = &state.metrics;
        m.request(Some(Operation::ALL[0]), None, Duration::from_millis(2));
        m.request(None, Some("ValidationException"), Duration::from_micros(30));
        m.request(Some(Operation::ALL[0]), Some("NoSuchCode"), Duration::ZERO);
        m.throttled(QuotaId::SYMMETRIC);
        m.upkeep();
        let text = m.render(&state);

        let histograms: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.strip_suffix(" histogram"))
            .collect();
        let mut help = std::collections::HashMap::<&str, usize>::new();
        let mut types = std::collections::HashMap::<&str, usize>::new();
        let mut families = Vec::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                *help.entry(rest.split(' ').next().unwrap()).or_default() += 1;
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                *types.entry(rest.split(' ').next().unwrap()).or_default() += 1;
            } else {
                let name = line.split(['{', ' ']).next().unwrap();
                let fam = family(name, &histograms);
                assert_eq!(help.get(fam), Some(&1), "HELP before {line:?} in\n{text}");
                assert_eq!(types.get(fam), Some(&1), "TYPE before {line:?} in\n{text}");
                families.push(fam);
            }
        }
        assert!(
            help.values().chain(types.values()).all(|n| *n == 1),
            "{text}"
        );
        for name in [
            REQUESTS,
            DURATION,
            THROTTLED,
            KEYS,
            "kms_quota_limit",
            "kms_quota_used",
            "kms_throttle_scopes",
            "kms_throttle_scopes_evicted_total",
        ] {
            assert!(families.contains(&name), "{name} has samples in\n{text}");
        }
    }

    #[test]
    fn described_kinds_match_the_exported_types() {
        let state = AppState::new(kms_api::Kms::new(), crate::Config::default());
        state.metrics.request(None, None, Duration::from_millis(1));
        state.metrics.throttled(QuotaId::SYMMETRIC);
        let text = state.metrics.render(&state);
        for (name, kind, _, help) in RECORDED {
            let kind = kind.type_name();
            assert!(text.contains(&format!("# TYPE {name} {kind}\n")), "{text}");
            assert!(text.contains(&format!("# HELP {name} {help}\n")), "{text}");
        }
    }
}
