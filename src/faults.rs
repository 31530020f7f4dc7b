//! Fault injection for resilience tests (outside AWS's API surface): rules that make matching
//! requests fail with an AWS error and/or answer late. `PUT /_kms/faults` sets the rules,
//! `GET` lists them, `DELETE` clears them.

use std::sync::RwLock;
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kms_api::{KmsError, Operation};

use crate::AppState;

/// What to do to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultDecision {
    /// Wait this long before answering.
    pub latency: Option<Duration>,
    /// Answer this error instead of running the operation.
    pub error: Option<KmsError>,
}

/// The active fault rules.
#[derive(Debug, Default)]
pub struct Faults {
    rules: RwLock<Vec<serde_json::Value>>,
}

impl Faults {
    /// What to do to a request for `op` with `body`, or `None` to leave it alone.
    pub fn decide(&self, _op: Operation, _body: &[u8]) -> Option<FaultDecision> {
        None
    }

    /// Whether any rule is active.
    pub fn is_empty(&self) -> bool {
        self.rules.read().map(|r| r.is_empty()).unwrap_or(true)
    }
}

/// `GET /_kms/faults`.
pub async fn get(State(_state): State<AppState>) -> Response {
    Json(serde_json::json!({"rules": []})).into_response()
}

/// `PUT /_kms/faults`.
pub async fn put(State(_state): State<AppState>, _body: axum::body::Bytes) -> Response {
    Json(serde_json::json!({"rules": []})).into_response()
}

/// `DELETE /_kms/faults`.
pub async fn delete(State(_state): State<AppState>) -> Response {
    Json(serde_json::json!({"rules": []})).into_response()
}
