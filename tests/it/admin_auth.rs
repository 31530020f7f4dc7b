//! Who may use the admin API: with an admin token, `/_kms/...` needs it (health excepted);
//! without one, a server reachable beyond loopback refuses changes unless `admin_open`.
//! Without a token, a browser's cross-site request is refused, and so is a `Host` that could
//! come from DNS rebinding. `/metrics` and the KMS protocol are never affected.

use crate::common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use kms_emulator::config::Secret;
use kms_emulator::{AppState, Config, RunningServer, app};
use tower::ServiceExt;

const TOKEN: &str = "correct-horse-battery-staple";

async fn server_with_token() -> RunningServer {
    let config = Config {
        admin_token: Some(Secret::from_slice(TOKEN.as_bytes())),
        ..Config::default()
    };
    kms_emulator::start(config, kms_api::Kms::new(), "127.0.0.1:0")
        .await
        .unwrap()
}

#[tokio::test]
async fn with_a_token_admin_endpoints_need_it() {
    let server = server_with_token().await;
    let bearer = format!("Bearer {TOKEN}");
    let calls: [(&str, &str, &[u8]); 7] = [
        ("POST", "/_kms/reset", b""),
        ("GET", "/_kms/clock", b""),
        ("POST", "/_kms/clock", br#"{"advance_seconds": 1}"#),
        ("GET", "/_kms/quotas", b""),
        ("PUT", "/_kms/quotas", br#"{"CreateKey": 10}"#),
        ("GET", "/_kms/faults", b""),
        ("DELETE", "/_kms/faults", b""),
    ];
    for (method, path, body) in calls {
        let none = http_request(&server, method, path, &[], body).await;
        assert_eq!(none.status, 401, "{method} {path} without a token");
        assert!(none.header("www-authenticate").is_some());
        for wrong in ["Bearer nope", "Bearer correct-horse-battery-stapl", TOKEN] {
            let resp = http_request(&server, method, path, &[("Authorization", wrong)], body).await;
            assert_eq!(resp.status, 401, "{method} {path} with {wrong:?}");
        }
        let ok = http_request(&server, method, path, &[("Authorization", &bearer)], body).await;
        assert_eq!(ok.status, 200, "{method} {path} with the token");
    }
    // Health, metrics and KMS itself need no admin token.
    let health = http_request(&server, "GET", "/_kms/health", &[], b"").await;
    assert_eq!(health.status, 200);
    assert_eq!(
        http_request(&server, "GET", "/metrics", &[], b"")
            .await
            .status,
        200
    );
    assert_eq!(kms_call(&server, "CreateKey", b"{}").await.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn on_loopback_without_a_token_everything_is_allowed() {
    let server = start_server().await;
    let reset = http_request(&server, "POST", "/_kms/reset", &[], b"").await;
    assert_eq!(reset.status, 200);
    server.shutdown().await;
}

/// `app(state)` served by anything but [`kms_emulator::serve`] on loopback counts as
/// reachable from the network.
async fn call(state: &AppState, method: &str, path: &str, body: &'static str) -> u16 {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::from(body))
        .unwrap();
    app(state.clone())
        .oneshot(request)
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn beyond_loopback_without_a_token_changes_are_refused() {
    let state = AppState::new(kms_api::Kms::new(), Config::default());
    assert!(!state.loopback_only);
    for (method, path, body) in [
        ("POST", "/_kms/reset", ""),
        ("POST", "/_kms/clock", r#"{"advance_seconds": 1}"#),
        ("PUT", "/_kms/quotas", r#"{"CreateKey": 10}"#),
        ("PUT", "/_kms/faults", r#"{"rules": []}"#),
        ("DELETE", "/_kms/faults", ""),
    ] {
        assert_eq!(
            call(&state, method, path, body).await,
            403,
            "{method} {path}"
        );
    }
    for path in [
        "/_kms/health",
        "/_kms/clock",
        "/_kms/quotas",
        "/_kms/faults",
        "/metrics",
    ] {
        assert_eq!(call(&state, "GET", path, "").await, 200, "GET {path}");
    }
    assert_eq!(state.kms.clock().offset(), 0, "the clock did not move");

    // --admin-open allows them.
    let open = AppState::new(
        kms_api::Kms::new(),
        Config {
            admin_open: true,
            ..Config::default()
        },
    );
    assert_eq!(call(&open, "POST", "/_kms/reset", "").await, 200);
    assert_eq!(
        call(&open, "POST", "/_kms/clock", r#"{"advance_seconds": 1}"#).await,
        200
    );
}

/// The red-team cases, over raw HTTP against the default loopback listener without a token:
/// a simple form POST from another site (no preflight) must not move the clock, and a page on
/// a rebinding name (`evil.example` resolving to 127.0.0.1) must not read or change anything.
#[tokio::test]
async fn browsers_on_other_sites_and_rebinding_names_are_refused() {
    let server = start_server().await;
    let advance = br#"{"advance_seconds":691200}"#;
    let cross_site = [
        ("Origin", "http://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Content-Type", "text/plain"),
    ];
    let resp = http_request(&server, "POST", "/_kms/clock", &cross_site, advance).await;
    assert_eq!(resp.status, 403);
    assert!(
        resp.json()["message"]
            .as_str()
            .unwrap()
            .contains("another site")
    );
    // Either header alone is enough.
    for header in &cross_site[..2] {
        let resp = http_request(&server, "POST", "/_kms/reset", &[*header], b"").await;
        assert_eq!(resp.status, 403, "{header:?}");
    }
    let rebinding = "evil.example:4566";
    for (method, path) in [
        ("GET", "/_kms/ui/api/keys"),
        ("GET", "/_kms/clock"),
        ("POST", "/_kms/reset"),
        ("POST", "/_kms/clock"),
    ] {
        let resp = http_request_to_host(&server, rebinding, method, path, &[], advance).await;
        assert_eq!(resp.status, 403, "{method} {path}");
        assert!(
            resp.json()["message"]
                .as_str()
                .unwrap()
                .contains("--admin-allowed-hosts"),
            "{method} {path}"
        );
    }
    let clock = http_request(&server, "GET", "/_kms/clock", &[], b"").await;
    assert_eq!(clock.json()["offset_seconds"], 0, "the clock did not move");

    // The dashboard's own same-origin requests, `localhost` and tools that are not browsers.
    let origin = format!("http://{}", server.local_addr());
    let same_origin = [
        ("Origin", origin.as_str()),
        ("Sec-Fetch-Site", "same-origin"),
        ("Content-Type", "application/json"),
    ];
    let resp = http_request(
        &server,
        "POST",
        "/_kms/clock",
        &same_origin,
        br#"{"advance_seconds":1}"#,
    )
    .await;
    assert_eq!(resp.status, 200);
    let localhost = format!("localhost:{}", server.local_addr().port());
    for host in [localhost.as_str(), "127.0.0.1"] {
        let resp = http_request_to_host(&server, host, "GET", "/_kms/ui/api/keys", &[], b"").await;
        assert_eq!(resp.status, 200, "{host}");
    }
    // Health and KMS itself are not the admin API.
    let health = http_request_to_host(&server, rebinding, "GET", "/_kms/health", &[], b"").await;
    assert_eq!(health.status, 200);
    server.shutdown().await;

    // A name given with --admin-allowed-hosts is answered.
    let config = Config {
        admin_allowed_hosts: vec!["kms.test".to_owned()],
        ..Config::default()
    };
    let server = kms_emulator::start(config, kms_api::Kms::new(), "127.0.0.1:0")
        .await
        .unwrap();
    let resp = http_request_to_host(&server, "kms.test:4566", "GET", "/_kms/clock", &[], b"").await;
    assert_eq!(resp.status, 200);
    let resp = http_request_to_host(&server, rebinding, "GET", "/_kms/clock", &[], b"").await;
    assert_eq!(resp.status, 403);
    server.shutdown().await;
}

/// With a token the token decides: a browser never sends it by itself, and a reverse proxy
/// may rewrite `Host` (so `Origin` no longer matches it).
#[tokio::test]
async fn with_a_token_the_token_alone_decides() {
    let server = server_with_token().await;
    let bearer = format!("Bearer {TOKEN}");
    let resp = http_request_to_host(
        &server,
        "kms.team.example",
        "POST",
        "/_kms/reset",
        &[
            ("Authorization", &bearer),
            ("Origin", "https://kms.team.example"),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200);
    let resp = http_request_to_host(
        &server,
        "evil.example",
        "POST",
        "/_kms/reset",
        &[("Sec-Fetch-Site", "cross-site")],
        b"",
    )
    .await;
    assert_eq!(resp.status, 401);
    server.shutdown().await;
}
