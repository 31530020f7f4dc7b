//! The live dashboard at `/_kms/ui`: a page embedded in the binary (no CDN, no build step)
//! and the read-only JSON it draws, under `/_kms/ui/api/`.
//!
//! - `summary`: version, emulated clock, auth and throttle modes, audit log, and every account
//!   and Region holding keys;
//! - `keys?account=&region=`: every key of a scope with its aliases (state, spec and alias
//!   filters run in the page);
//! - `key?account=&region=&id=`: one key's metadata, aliases, tags, material versions and
//!   rotations, grants, last usage and policy;
//! - `traffic`: the last minute, second by second, per operation and per quota, from
//!   [`crate::traffic::Traffic`] (not from Prometheus), with each quota's limit;
//! - `audit`: the latest audit log lines.
//!
//! The page's controls (clock, faults, quotas) call the admin API itself. The data routes sit
//! behind [`crate::admin::guard`] like every admin endpoint; the page shell and its script
//! hold no data and are served to anyone, and the page sends the admin token it is given
//! (`/_kms/ui#token=...`, kept in the tab's session storage) as `Authorization: Bearer`.
//! Reading keys goes through [`kms_api::Kms::dispatch`] as an unauthenticated admin, on the
//! blocking pool; nothing here touches the request path.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kms_api::{KmsError, Operation, Scope};
use serde_json::{Value, json};

use crate::AppState;

const PAGE: &str = include_str!("ui.html");
const SCRIPT: &str = include_str!("ui.js");
const STYLE: &str = include_str!("ui.css");

/// The page's own rules: only its own script and style, nothing from elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The open routes: the page and its assets.
pub fn assets() -> Router<AppState> {
    Router::new()
        .route("/_kms/ui", get(page))
        .route("/_kms/ui/", get(page))
        .route(
            "/_kms/ui/app.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/_kms/ui/app.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
}

/// The data routes, to be put behind the admin guard.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/_kms/ui/api/summary", get(summary))
        .route("/_kms/ui/api/keys", get(keys))
        .route("/_kms/ui/api/key", get(key))
        .route("/_kms/ui/api/traffic", get(traffic))
        .route("/_kms/ui/api/audit", get(audit))
}

async fn page() -> Response {
    asset(PAGE, "text/html; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"message": message}))).into_response()
}

/// `GET /_kms/ui/api/summary`.
async fn summary(State(state): State<AppState>) -> Response {
    let scopes: Vec<Value> = state
        .kms
        .scopes_with_keys()
        .into_iter()
        .map(|(scope, keys)| json!({"account": scope.account(), "region": scope.region(), "keys": keys}))
        .collect();
    let config = &state.config;
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "now": state.kms.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "clock_offset_seconds": state.kms.clock().offset(),
        "auth": config.auth.mode().name(),
        "throttle": state.throttle.is_enabled(),
        "audit_log": state.audit.is_enabled(),
        "storage": config.data_dir.as_ref().map_or("memory".to_owned(), |d| d.display().to_string()),
        "default_account": config.default_account,
        "default_region": config.default_region,
        "keys": state.kms.key_count(),
        "scopes": scopes,
    }))
    .into_response()
}

/// Which scope (and key) a dashboard request reads.
#[derive(Debug, serde::Deserialize)]
struct KeyQuery {
    account: Option<String>,
    region: Option<String>,
    id: Option<String>,
}

fn scope_of(state: &AppState, q: &KeyQuery) -> Result<Scope, String> {
    crate::admin::scope_or_default(state, q.account.clone(), q.region.clone())
}

/// Runs `read` on the blocking pool (a durable store's reads may touch the disk).
async fn blocking(
    state: &AppState,
    read: impl FnOnce(&kms_api::Kms) -> Result<Value, KmsError> + Send + 'static,
) -> Response {
    let kms = state.kms.clone();
    match tokio::task::spawn_blocking(move || read(&kms)).await {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(KmsError::NotFound(message))) => {
            (StatusCode::NOT_FOUND, Json(json!({"message": message}))).into_response()
        }
        Ok(Err(e)) if !e.is_server_fault() => bad_request(e.message().to_owned()),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "dashboard read failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"message": "the dashboard could not read the keys"})),
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"message": "the dashboard read task failed"})),
        )
            .into_response(),
    }
}

/// One engine call with a JSON request, answering JSON.
fn call(
    kms: &kms_api::Kms,
    scope: &Scope,
    op: Operation,
    request: &Value,
) -> Result<Value, KmsError> {
    let out = kms.dispatch(scope, op, request.to_string().as_bytes())?;
    serde_json::from_slice(&out).map_err(|e| KmsError::Internal(format!("{op} answered {e}")))
}

/// Every page of a list operation: the `member` arrays of each response, concatenated.
fn all_pages(
    kms: &kms_api::Kms,
    scope: &Scope,
    op: Operation,
    mut request: Value,
    member: &str,
) -> Result<Vec<Value>, KmsError> {
    let mut items = Vec::new();
    loop {
        let page = call(kms, scope, op, &request)?;
        if let Some(list) = page.get(member).and_then(Value::as_array) {
            items.extend(list.iter().cloned());
        }
        match page.get("NextMarker").and_then(Value::as_str) {
            Some(marker) if page.get("Truncated") == Some(&Value::Bool(true)) => {
                request["Marker"] = json!(marker);
            }
            _ => return Ok(items),
        }
    }
}

/// The most keys of one scope the key list describes (each costs a DescribeKey).
const MAX_KEYS_SHOWN: usize = 2000;

/// `GET /_kms/ui/api/keys?account=&region=`: `{"keys": [DescribeKey's KeyMetadata plus
/// "Aliases"], "total": n, ...}`, newest first; at most [`MAX_KEYS_SHOWN`] of the `total`.
async fn keys(State(state): State<AppState>, Query(q): Query<KeyQuery>) -> Response {
    let scope = match scope_of(&state, &q) {
        Ok(scope) => scope,
        Err(message) => return bad_request(message),
    };
    blocking(&state, move |kms| {
        let aliases = all_pages(
            kms,
            &scope,
            Operation::ListAliases,
            json!({"Limit": 100}),
            "Aliases",
        )?;
        let listed = all_pages(
            kms,
            &scope,
            Operation::ListKeys,
            json!({"Limit": 1000}),
            "Keys",
        )?;
        let mut aliases_of: HashMap<&str, Vec<&Value>> = HashMap::new();
        for alias in &aliases {
            if let (Some(target), Some(name)) = (
                alias.get("TargetKeyId").and_then(Value::as_str),
                alias.get("AliasName"),
            ) {
                aliases_of.entry(target).or_default().push(name);
            }
        }
        let total = listed.len();
        let mut keys = Vec::with_capacity(total.min(MAX_KEYS_SHOWN));
        for entry in listed.into_iter().take(MAX_KEYS_SHOWN) {
            let Some(id) = entry.get("KeyId").and_then(Value::as_str) else {
                continue;
            };
            // A key deleted since the listing is skipped.
            let Ok(described) = call(kms, &scope, Operation::DescribeKey, &json!({"KeyId": id}))
            else {
                continue;
            };
            let mut metadata = described["KeyMetadata"].clone();
            metadata["Aliases"] = json!(aliases_of.get(id).map_or(&[][..], Vec::as_slice));
            keys.push(metadata);
        }
        keys.sort_by(|a, b| {
            let created = |k: &Value| k["CreationDate"].as_f64().unwrap_or(0.0);
            created(b).total_cmp(&created(a))
        });
        Ok(json!({"account": scope.account(), "region": scope.region(), "total": total, "keys": keys}))
    })
    .await
}

/// `GET /_kms/ui/api/key?account=&region=&id=`: everything the key page shows. Each part is
/// the operation's answer, or `{"error": ...}` where the key does not support it (rotations of
/// an asymmetric key, say).
async fn key(State(state): State<AppState>, Query(q): Query<KeyQuery>) -> Response {
    let scope = match scope_of(&state, &q) {
        Ok(scope) => scope,
        Err(message) => return bad_request(message),
    };
    let Some(id) = q.id.clone().filter(|id| !id.is_empty()) else {
        return bad_request("id is required".into());
    };
    blocking(&state, move |kms| {
        let described = call(kms, &scope, Operation::DescribeKey, &json!({"KeyId": id}))?;
        let key_id = described["KeyMetadata"]["KeyId"].clone();
        let by_id = json!({"KeyId": key_id});
        let part = |op: Operation, request: &Value| {
            call(kms, &scope, op, request)
                .unwrap_or_else(|e| json!({"error": format!("{}: {}", e.aws_type(), e.message())}))
        };
        let policy = part(
            Operation::GetKeyPolicy,
            &json!({"KeyId": key_id, "PolicyName": "default"}),
        );
        // The policy arrives as a JSON string; the page shows it parsed.
        let policy = match policy.get("Policy").and_then(Value::as_str) {
            Some(text) => serde_json::from_str(text).unwrap_or_else(|_| json!(text)),
            None => policy,
        };
        let aliases = all_pages(
            kms,
            &scope,
            Operation::ListAliases,
            json!({"KeyId": key_id, "Limit": 100}),
            "Aliases",
        )
        .map_or_else(|e| json!({"error": e.message()}), |a| json!(a));
        Ok(json!({
            "metadata": described["KeyMetadata"],
            "aliases": aliases,
            "tags": part(Operation::ListResourceTags, &by_id),
            "rotation_status": part(Operation::GetKeyRotationStatus, &by_id),
            "rotations": part(Operation::ListKeyRotations, &by_id),
            "grants": part(Operation::ListGrants, &by_id),
            "last_usage": part(Operation::GetKeyLastUsage, &by_id),
            "policy": policy,
        }))
    })
    .await
}

/// `GET /_kms/ui/api/traffic`: `{"window": 60, "operations": [...], "quotas": [...]}`, each
/// series oldest second first; a quota carries its rate in the default account and Region.
async fn traffic(State(state): State<AppState>) -> Response {
    let now = Instant::now();
    let default_scope = Scope::new(
        state.config.default_account.as_str(),
        state.config.default_region.as_str(),
    );
    let limits = state.throttle.effective(&default_scope);
    let quotas: Vec<Value> = state
        .traffic
        .quotas(now)
        .into_iter()
        .map(|q| {
            let limit = limits.iter().find(|(name, _)| *name == q.quota).map(|(_, rate)| *rate);
            json!({"quota": q.quota, "admitted": q.admitted, "throttled": q.throttled, "limit": limit})
        })
        .collect();
    Json(json!({
        "window": crate::traffic::WINDOW,
        "throttle": state.throttle.is_enabled(),
        "operations": state.traffic.operations(now),
        "quotas": quotas,
    }))
    .into_response()
}

/// `GET /_kms/ui/api/audit`: `{"enabled": bool, "dropped": n, "events": [...]}`, newest
/// first.
async fn audit(State(state): State<AppState>) -> Response {
    let events: Vec<Value> = state
        .audit
        .recent()
        .iter()
        .rev()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    Json(json!({
        "enabled": state.audit.is_enabled(),
        "dropped": state.audit.dropped(),
        "events": events,
    }))
    .into_response()
}
