//! The admin API under `/_kms/`, outside AWS's surface: health, reset, clock and quotas (fault
//! injection is in [`crate::faults`]), and [`guard`], who may call them.
//!
//! Access: `/_kms/health` is always open (and `/metrics` is not under `/_kms/`). With an admin
//! token configured, every other `/_kms/...` request needs `Authorization: Bearer <token>`
//! (compared in constant time), else 401. Without a token, a server listening beyond loopback
//! refuses changes (reset, clock moves, quota and fault changes) with 403 unless
//! `admin_open` is set: reading stays possible, wiping the keys does not.
//!
//! Browsers: any web page a developer visits can send a simple POST to `localhost` (no CORS
//! preflight for `text/plain`), or read through DNS rebinding (a name of the attacker's that
//! resolves to 127.0.0.1). So, without a token, a request a browser marks as coming from
//! another site (`Sec-Fetch-Site` other than `same-origin`/`none`, or an `Origin` that is not
//! the request's own `http://<Host>`) is refused with 403, and so is a `Host` that is not
//! `localhost`, an IP address, or a name given with `--admin-allowed-hosts`. The dashboard's
//! own requests are same-origin and pass; clients other than browsers send neither header.
//! With a token the token decides: a browser never attaches `Authorization` by itself, and a
//! reverse proxy that rewrites `Host` keeps working.

use std::net::IpAddr;

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::AppState;

/// Middleware in front of every admin endpoint but health: see the module docs.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.config.admin_token.is_none() {
        if let Err(why) = browser_check(request.headers(), &state.config.admin_allowed_hosts) {
            return (StatusCode::FORBIDDEN, Json(json!({ "message": why }))).into_response();
        }
    }
    if let Some(token) = &state.config.admin_token {
        if !bearer_matches(request.headers(), token.expose()) {
            let mut response = (
                StatusCode::UNAUTHORIZED,
                Json(json!({"message": "the admin API needs Authorization: Bearer <admin token>"})),
            )
                .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"kms-emulator admin\""),
            );
            return response;
        }
    } else if is_change(request.method()) && !state.loopback_only && !state.config.admin_open {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"message": "this server listens beyond loopback without an admin token, so the admin API refuses changes: start it with --admin-token (KMS_ADMIN_TOKEN) and send Authorization: Bearer <token>, or with --admin-open"})),
        )
            .into_response();
    }
    next.run(request).await
}

/// The browser rules of the module docs for a server without a token: `Err` says why a
/// request is refused.
fn browser_check(headers: &HeaderMap, allowed_hosts: &[String]) -> Result<(), String> {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    if let Some(site) = text("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return Err(format!(
                "the admin API refuses requests a browser sends from another site (Sec-Fetch-Site: {site})"
            ));
        }
    }
    let host = text(header::HOST.as_str());
    if let Some(origin) = text(header::ORIGIN.as_str()) {
        let own = host.is_some_and(|h| {
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(|o| o.eq_ignore_ascii_case(h))
        });
        if !own {
            return Err(format!(
                "the admin API refuses requests a browser sends from another origin ({origin})"
            ));
        }
    }
    if let Some(host) = host.filter(|h| !host_allowed(h, allowed_hosts)) {
        return Err(format!(
            "the admin API answers to localhost, IP addresses and the names given with --admin-allowed-hosts (KMS_ADMIN_ALLOWED_HOSTS), not to Host {host:?} (DNS rebinding protection); or set --admin-token"
        ));
    }
    Ok(())
}

/// Whether a `Host` header names this server in a way a DNS-rebinding page cannot: an IP
/// address (a page served from an address is its own origin), `localhost` (browsers resolve it
/// to loopback themselves), or an allowed name.
fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let is_port = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let name = match host.strip_prefix('[') {
        // `[v6]` or `[v6]:port`
        Some(rest) => {
            return rest.split_once(']').is_some_and(|(addr, after)| {
                addr.parse::<std::net::Ipv6Addr>().is_ok()
                    && (after.is_empty() || after.strip_prefix(':').is_some_and(is_port))
            });
        }
        None => host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                host
            }
        }),
    };
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name.parse::<std::net::Ipv4Addr>().is_ok()
        || name == "localhost"
        || allowed.iter().any(|a| a == "*" || *a == name)
}

/// Whether `Authorization` is `Bearer <token>`, compared in constant time (the length of the
/// token is not hidden).
fn bearer_matches(headers: &HeaderMap, token: &[u8]) -> bool {
    let Some(presented) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
    else {
        return false;
    };
    presented.as_bytes().ct_eq(token).into()
}

/// Reading is `GET`/`HEAD`; everything else changes state.
fn is_change(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// Whether `ip` can only be reached from this machine (`127.0.0.0/8`, `::1`, and `::1`'s
/// IPv4-mapped forms). `0.0.0.0` and `::` listen on every interface: not loopback.
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// `GET /_kms/health`: `{"status":"ok","version":"...","keys":N,"storage":"memory"}`.
pub async fn health(State(state): State<AppState>) -> Response {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "keys": state.kms.key_count(),
        "storage": state.config.data_dir.as_ref().map_or("memory".to_owned(), |d| d.display().to_string()),
    }))
    .into_response()
}

/// `POST /_kms/reset[?all=true]`.
#[derive(Debug, serde::Deserialize)]
pub struct ResetQuery {
    all: Option<String>,
}

/// `POST /_kms/reset`: removes every key and alias in every account and Region. Faults,
/// quota overrides and the clock stay. With `?all=true` the faults are cleared and the quotas
/// and throttling mode go back to what the server started with as well (the clock still stays:
/// emulated time only moves forward).
pub async fn reset(State(state): State<AppState>, Query(q): Query<ResetQuery>) -> Response {
    let all = match q.all.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"message": format!("all must be true or false, got {other:?}")})),
            )
                .into_response();
        }
    };
    let kms = state.kms.clone();
    let outcome = tokio::task::spawn_blocking(move || kms.reset())
        .await
        .unwrap_or_else(|e| {
            Err(kms_api::KmsError::Internal(format!(
                "reset task failed: {e}"
            )))
        });
    match outcome {
        Ok(()) if all => {
            state.faults.clear();
            let started_with = state.config.quotas.clone();
            state.throttle.update(|table| *table = started_with);
            state.throttle.set_enabled(state.config.throttle);
            Json(json!({"status": "reset", "keys": true, "faults": true, "quotas": true}))
                .into_response()
        }
        Ok(()) => Json(json!({"status": "reset", "keys": true, "faults": false, "quotas": false}))
            .into_response(),
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
/// the rotations, deletions and expiries of imported material that came due (and ends the
/// transient states of multi-Region keys, `settled`) before answering with the new time.
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
    if state.kms.clock().offset().saturating_add(seconds) > MAX_TOTAL_OFFSET_SECONDS {
        return bad("emulated time may run at most 1000 years ahead of the system clock");
    }
    let kms = state.kms.clone();
    let work = match tokio::task::spawn_blocking(move || kms.advance_clock(seconds)).await {
        Ok(Ok(work)) => work,
        Ok(Err(e)) if !e.is_server_fault() => return bad(e.message()),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the clock could not be moved");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"message": "the new clock offset could not be stored"})),
            )
                .into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "scheduler sweep failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"message": "the scheduler sweep failed"})),
            )
                .into_response();
        }
    };
    let mut out = clock_json(&state.kms);
    out["rotations"] = json!(work.rotations);
    out["deletions"] = json!(work.deletions);
    out["expirations"] = json!(work.expirations);
    out["settled"] = json!(work.settled);
    Json(out).into_response()
}

/// Emulated time stays within 1000 years of the system clock.
pub const MAX_TOTAL_OFFSET_SECONDS: i64 = 1000 * 365 * 86_400;

/// One call moves time by at most 100 years.
const MAX_ADVANCE_SECONDS: i64 = 100 * 365 * 86_400;

/// `POST /_kms/custom-key-stores/disconnect` with `{"CustomKeyStoreId": "cks-...",
/// "ConnectionErrorCode": "NETWORK_ERRORS", "account": "...", "region": "..."}` (all but the
/// ID optional; the default account and Region otherwise): drops the store's connection as a
/// failing HSM or proxy would, `FAILED` with the error code when one is given, else
/// `DISCONNECTED`. Its keys are `Unavailable` until it is connected again.
pub async fn disconnect_key_store(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Response {
    let bad = |status: StatusCode, message: String| {
        (status, Json(json!({"message": message}))).into_response()
    };
    let doc: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => {
            return bad(
                StatusCode::BAD_REQUEST,
                "the body must be a JSON object".into(),
            );
        }
    };
    let text = |name: &str| doc.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let Some(id) = text("CustomKeyStoreId") else {
        return bad(
            StatusCode::BAD_REQUEST,
            "CustomKeyStoreId is required".into(),
        );
    };
    let scope = match scope_or_default(&state, text("account"), text("region")) {
        Ok(scope) => scope,
        Err(message) => return bad(StatusCode::BAD_REQUEST, message),
    };
    let code = text("ConnectionErrorCode");
    let kms = state.kms.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        kms.set_key_store_connection(&scope, &id, code.as_deref())
            .map(|()| id)
    })
    .await
    .unwrap_or_else(|e| Err(kms_api::KmsError::Internal(format!("task failed: {e}"))));
    match outcome {
        Ok(id) => Json(json!({"CustomKeyStoreId": id})).into_response(),
        Err(kms_api::KmsError::CustomKeyStoreNotFound(m)) => bad(StatusCode::NOT_FOUND, m),
        Err(e) if e.is_server_fault() => bad(StatusCode::INTERNAL_SERVER_ERROR, e.message().into()),
        Err(e) => bad(StatusCode::BAD_REQUEST, e.message().into()),
    }
}

/// Which scope `GET /_kms/quotas` describes.
#[derive(Debug, serde::Deserialize)]
pub struct ScopeQuery {
    account: Option<String>,
    region: Option<String>,
}

/// `GET /_kms/quotas[?account=&region=]`: whether throttling is on, the effective rate of
/// every quota in the scope (default account and Region unless given), the overrides, and
/// the current use of every quota that has seen requests.
pub async fn quotas(State(state): State<AppState>, Query(q): Query<ScopeQuery>) -> Response {
    match scope_or_default(&state, q.account, q.region) {
        Ok(scope) => Json(quotas_json(&state, &scope)).into_response(),
        Err(message) => {
            (StatusCode::BAD_REQUEST, Json(json!({"message": message}))).into_response()
        }
    }
}

/// Checks an admin request's optional account and Region, as every admin endpoint does.
fn check_scope(account: Option<&str>, region: Option<&str>) -> Result<(), String> {
    if let Some(r) = region.filter(|r| !crate::regions::is_known(r)) {
        return Err(format!("region {r:?} is not an AWS Region"));
    }
    if let Some(a) = account.filter(|a| !crate::config::is_account_id(a)) {
        return Err(format!(
            "account {a:?} is not an AWS account ID (12 digits)"
        ));
    }
    Ok(())
}

/// The scope an admin request names, the default account and Region where it names none.
pub(crate) fn scope_or_default(
    state: &AppState,
    account: Option<String>,
    region: Option<String>,
) -> Result<kms_api::Scope, String> {
    check_scope(account.as_deref(), region.as_deref())?;
    Ok(kms_api::Scope::new(
        account.unwrap_or_else(|| state.config.default_account.clone()),
        region.unwrap_or_else(|| state.config.default_region.clone()),
    ))
}

fn quotas_json(state: &AppState, scope: &kms_api::Scope) -> serde_json::Value {
    let effective: serde_json::Map<String, serde_json::Value> = state
        .throttle
        .effective(scope)
        .into_iter()
        .map(|(name, rate)| (name, json!(rate)))
        .collect();
    let overrides: Vec<serde_json::Value> = state
        .throttle
        .table()
        .overrides()
        .into_iter()
        .map(|(account, region, quota, rate)| json!({"account": account, "region": region, "quota": quota, "rate": rate}))
        .collect();
    let usage: Vec<serde_json::Value> = state
        .throttle
        .usage()
        .into_iter()
        .map(|u| json!({"account": u.account, "region": u.region, "quota": u.quota, "limit": u.limit, "used": u.used, "throttled": u.throttled}))
        .collect();
    json!({
        "throttle": if state.throttle.is_enabled() { "aws" } else { "off" },
        "account": scope.account(),
        "region": scope.region(),
        "quotas": effective,
        "overrides": overrides,
        "usage": usage,
    })
}

/// `PUT /_kms/quotas`: `{"CreateKey": 10, "symmetric": 500, "DescribeKey": null}` sets (or with
/// `null` removes) overrides for every account and Region; `"account"` and/or `"region"`
/// members narrow them to one scope; `"throttle": "aws" | "off"` switches throttling. All or
/// nothing: any bad member is a 400 and changes nothing. Takes effect for the next request.
pub async fn put_quotas(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let bad = |message: String| {
        (StatusCode::BAD_REQUEST, Json(json!({"message": message}))).into_response()
    };
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_slice::<serde_json::Value>(&body)
    else {
        return bad("expected a JSON object of quota name -> rate".into());
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match doc.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("{key} must be a string, got {other}")),
        }
    };
    let (account, region, mode) = match (text("account"), text("region"), text("throttle")) {
        (Ok(a), Ok(r), Ok(m)) => (a, r, m),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return bad(e),
    };
    if let Err(message) = check_scope(account.as_deref(), region.as_deref()) {
        return bad(message);
    }
    let enable = match mode.as_deref() {
        None => None,
        Some("aws") => Some(true),
        Some("off") => Some(false),
        Some(other) => {
            return bad(format!(
                "throttle must be \"aws\" or \"off\", got {other:?}"
            ));
        }
    };
    let mut changes = Vec::new();
    for (name, value) in doc
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "account" | "region" | "throttle"))
    {
        let quota = match crate::throttle::table::parse_name(name) {
            Ok(q) => q,
            Err(e) => return bad(e),
        };
        let rate = match value {
            serde_json::Value::Null => None,
            v => match v
                .as_f64()
                .ok_or_else(|| format!("{name}: the rate must be a number or null"))
                .and_then(|r| {
                    crate::throttle::table::check_rate(r)
                        .map(|()| r)
                        .map_err(|e| format!("{name}: {e}"))
                }) {
                Ok(r) => Some(r),
                Err(e) => return bad(e),
            },
        };
        changes.push((quota, rate));
    }
    state.throttle.update(|table| {
        for (quota, rate) in changes {
            table.set(account.as_deref(), region.as_deref(), quota, rate);
        }
    });
    if let Some(enable) = enable {
        state.throttle.set_enabled(enable);
    }
    let scope = kms_api::Scope::new(
        account.unwrap_or_else(|| state.config.default_account.clone()),
        region.unwrap_or_else(|| state.config.default_region.clone()),
    );
    Json(quotas_json(&state, &scope)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    axum::http::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn cross_site_requests_are_refused() {
        for pairs in [
            &[("host", "127.0.0.1:4566"), ("sec-fetch-site", "cross-site")][..],
            &[("host", "127.0.0.1:4566"), ("sec-fetch-site", "same-site")],
            &[
                ("host", "127.0.0.1:4566"),
                ("origin", "http://evil.example"),
            ],
            &[
                ("host", "127.0.0.1:4566"),
                ("origin", "http://127.0.0.1:9999"),
            ],
            &[("host", "127.0.0.1:4566"), ("origin", "null")],
            &[("origin", "http://127.0.0.1:4566")],
        ] {
            assert!(browser_check(&headers(pairs), &[]).is_err(), "{pairs:?}");
        }
        // The dashboard's own requests, and clients that are not browsers.
        for pairs in [
            &[
                ("host", "127.0.0.1:4566"),
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://127.0.0.1:4566"),
            ][..],
            &[("host", "localhost:4566"), ("sec-fetch-site", "none")],
            &[("host", "127.0.0.1:4566")],
            &[],
        ] {
            assert!(browser_check(&headers(pairs), &[]).is_ok(), "{pairs:?}");
        }
    }

    #[test]
    fn only_localhost_addresses_and_allowed_hosts_pass() {
        let allowed = ["kms.internal".to_owned()];
        for host in [
            "localhost",
            "localhost:4566",
            "LOCALHOST:4566",
            "127.0.0.1:4566",
            "10.0.0.7",
            "[::1]",
            "[::1]:4566",
            "kms.internal:8080",
            "kms.internal.",
        ] {
            assert!(host_allowed(host, &allowed), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:4566",
            "app.localhost",
            "localhost.evil.example",
            "kms.internal.evil.example",
            "127.0.0.1.nip.io",
            "[evil]:4566",
            "[::1]evil",
            "[::1]:45a",
            "kms",
        ] {
            assert!(!host_allowed(host, &allowed), "{host}");
        }
        assert!(host_allowed("anything.example", &["*".to_owned()]));
        let rebinding = headers(&[("host", "evil.example:4566")]);
        assert!(
            browser_check(&rebinding, &[])
                .unwrap_err()
                .contains("--admin-allowed-hosts")
        );
    }

    #[test]
    fn loopback_addresses() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "0.0.0.0",
            "::",
            "192.168.1.10",
            "10.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert!(!bearer_matches(&headers, b"tok"));
        for (value, ok) in [
            ("Bearer tok", true),
            ("bearer tok", true),
            ("Bearer tok2", false),
            ("Bearer to", false),
            ("Basic tok", false),
            ("tok", false),
        ] {
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(bearer_matches(&headers, b"tok"), ok, "{value}");
        }
    }
}
