//! Prometheus metrics at `GET /metrics`, recorded with the `metrics` crate's handles.
//!
//! - `kms_requests_total{operation,outcome}`: outcome `ok` or the AWS error code
//! - `kms_request_duration_seconds{operation}`: histogram
//! - `kms_throttled_total{quota}`
//! - `kms_quota_limit{quota,account,region}` for every quota of the default account and Region
//!   and of every quota that has seen requests in a live throttle scope, and
//!   `kms_quota_used{...}` (requests admitted in the current second) for the latter; `kms_keys`
//! - `kms_throttle_scopes` (scopes with limiters now) and `kms_throttle_scopes_evicted_total`
//!
//! The per-scope gauges are written straight from the throttle's live scopes at each scrape,
//! never registered with the recorder, so a scope's series disappear with its limiters (scopes
//! are client-chosen: registered series would be kept for ever).
//!
//! Each server has its own recorder (no global state, so several servers can share a
//! process). Counter and histogram handles are created once per series and cached in
//! `OnceLock` slots, so recording a request is a few atomic operations: no lock, no map
//! lookup, no allocation.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use kms_api::Operation;
use metrics::{Counter, Histogram, Key, Label, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::throttle::quotas::QUOTA_COUNT;
use crate::throttle::QuotaId;
use crate::AppState;

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
                metrics_exporter_prometheus::Matcher::Full("kms_request_duration_seconds".into()),
                &[
                    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05,
                    0.1, 0.25, 0.5, 1.0,
                ],
            )
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
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
                    "kms_requests_total",
                    vec![
                        Label::new("operation", name),
                        Label::new("outcome", OUTCOMES[outcome]),
                    ],
                )
            })
            .increment(1);
        self.durations[op]
            .get_or_init(|| {
                let key = Key::from_parts(
                    "kms_request_duration_seconds",
                    vec![Label::new("operation", name)],
                );
                self.recorder.register_histogram(&key, &metadata())
            })
            .record(elapsed.as_secs_f64());
    }

    /// Records one throttled request.
    pub fn throttled(&self, quota: QuotaId) {
        self.throttled[quota.index()]
            .get_or_init(|| {
                self.counter(
                    "kms_throttled_total",
                    vec![Label::new("quota", quota.name())],
                )
            })
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
            .register_gauge(&Key::from_name("kms_keys"), &metadata())
            .set(state.kms.key_count() as f64);
        let mut text = self.handle.render();
        // Every quota's limit in the default account and Region, then limit and use of every
        // quota that has seen requests in a live scope.
        let (account, region) = (&state.config.default_account, &state.config.default_region);
        let usage = state.throttle.usage();
        text.push_str("# HELP kms_quota_limit The quota's rate in requests per second.\n");
        text.push_str("# TYPE kms_quota_limit gauge\n");
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
        text.push_str(
            "# HELP kms_quota_used Requests admitted in the current second.\n# TYPE kms_quota_used gauge\n",
        );
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
        let _ = write!(
            text,
            "# HELP kms_throttle_scopes (account, Region) scopes with live limiters.\n# TYPE kms_throttle_scopes gauge\nkms_throttle_scopes {}\n",
            state.throttle.scope_count()
        );
        let _ = write!(
            text,
            "# HELP kms_throttle_scopes_evicted_total Scopes whose limiters were dropped (idle, or over the cap).\n# TYPE kms_throttle_scopes_evicted_total counter\nkms_throttle_scopes_evicted_total {}\n",
            state.throttle.evicted()
        );
        text
    }
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
