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
