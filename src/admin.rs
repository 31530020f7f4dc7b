//! The admin API under `/_kms/`, outside AWS's surface: health and reset.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::AppState;

/// `GET /_kms/health`: `{"status":"ok","version":"...","keys":N,"storage":"memory"}`.
pub async fn health(State(state): State<AppState>) -> Response {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "keys": state.kms.key_count(),
        "storage": "memory",
    }))
    .into_response()
}

/// `POST /_kms/reset`: removes every key and alias in every account and Region.
pub async fn reset(State(state): State<AppState>) -> Response {
    match state.kms.reset() {
        Ok(()) => Json(json!({"status": "reset"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reset failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"status": "error", "message": e.message()})),
            )
                .into_response()
        }
    }
}

/// `GET /_kms/clock`: `{"now": "<RFC 3339>", "offset_seconds": n}`.
pub async fn clock(State(state): State<AppState>) -> Response {
    Json(clock_json(&state.kms)).into_response()
}

fn clock_json(kms: &kms_api::Kms) -> serde_json::Value {
    json!({
        "now": kms.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "offset_seconds": kms.clock().offset(),
    })
}

/// `POST /_kms/clock` with `{"advance_seconds": n}`: moves emulated time forward, then runs
/// the rotations and deletions that came due before answering with the new time.
pub async fn advance_clock(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let bad = |message: &str| {
        (StatusCode::BAD_REQUEST, Json(json!({"message": message}))).into_response()
    };
    let seconds = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) => match v.get("advance_seconds") {
            Some(n) => match n.as_i64() {
                Some(n) => n,
                None => return bad("advance_seconds must be an integer number of seconds"),
            },
            None => return bad("expected {\"advance_seconds\": <seconds>}"),
        },
        Err(_) => return bad("request body must be JSON: {\"advance_seconds\": <seconds>}"),
    };
    if seconds < 0 {
        return bad("advance_seconds must not be negative: emulated time only moves forward");
    }
    if seconds > MAX_ADVANCE_SECONDS {
        return bad("advance_seconds must be at most 3153600000 (100 years) per call");
    }
    if !state.kms.clock().advance(seconds) {
        return bad("this engine's clock cannot be moved");
    }
    let kms = state.kms.clone();
    let work = tokio::task::spawn_blocking(move || kms.run_scheduled())
        .await
        .unwrap_or_default();
    let mut out = clock_json(&state.kms);
    out["rotations"] = json!(work.rotations);
    out["deletions"] = json!(work.deletions);
    Json(out).into_response()
}

/// One call moves time by at most 100 years.
const MAX_ADVANCE_SECONDS: i64 = 100 * 365 * 86_400;
