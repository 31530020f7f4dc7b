//! Soak: many distinct client-chosen scopes (12-digit access keys select accounts) through
//! the protocol, throttle and metrics layers in process, showing that memory stays bounded.
//!
//! `SOAK_SCOPES` sets the number of distinct access keys (20,000 by default);
//! `scripts/scope-soak.sh` runs it with 1,000,000 in a release build and prints the figures.

use axum::body::Body;
use axum::http::Request;
use kms_emulator::{AppState, Config, app};
use tower::ServiceExt;

/// Resident set size of this process in KiB (Linux), 0 where unknown.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn request(access_key: &str, region: &str) -> Request<Body> {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/kms/aws4_request, SignedHeaders=host, Signature=0"
    );
    Request::post("/")
        .header("x-amz-target", "TrentService.GenerateRandom")
        .header("content-type", "application/x-amz-json-1.1")
        .header("authorization", auth)
        .body(Body::from(r#"{"NumberOfBytes":1}"#))
        .unwrap()
}

#[tokio::test]
async fn distinct_access_keys_keep_memory_bounded() {
    let n: u64 = std::env::var("SOAK_SCOPES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let config = Config {
        throttle: true,
        ..Config::default()
    };
    let state = AppState::new(kms_api::Kms::new(), config);
    let router = app(state.clone());
    // Warm up the allocator and the per-operation metric series before the baseline.
    for i in 0..100u64 {
        let resp = router
            .clone()
            .oneshot(request(&format!("{i:012}"), "us-east-1"))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let _ = state.metrics.render(&state);
    let before = rss_kib();
    let mut metrics_len = 0;
    for i in 0..n {
        let key = format!("{:012}", 100 + i);
        let resp = router
            .clone()
            .oneshot(request(&key, "us-east-1"))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        if i % 10_000 == 9_999 {
            // A Prometheus scrape registers the gauges of every active scope.
            metrics_len = state.metrics.render(&state).len();
        }
    }
    let after = rss_kib();
    let grown_mib = after.saturating_sub(before) as f64 / 1024.0;
    let live = state.throttle.scope_count();
    eprintln!(
        "scope soak: {n} distinct access keys: RSS {before} KiB -> {after} KiB (+{grown_mib:.1} MiB), {live} live throttle scopes, last /metrics {metrics_len} bytes"
    );
    assert!(live <= state.throttle.max_scopes(), "{live} live scopes");
    let text = state.metrics.render(&state);
    let series = text
        .lines()
        .filter(|l| l.starts_with("kms_quota_used{"))
        .count();
    assert!(series <= state.throttle.max_scopes(), "{series} series");
    // Before scopes were bounded, 20,000 access keys grew RSS by about 115 MiB.
    assert!(grown_mib < 32.0, "RSS grew by {grown_mib:.1} MiB");
}

#[tokio::test]
async fn made_up_regions_create_no_scope() {
    let config = Config {
        throttle: true,
        ..Config::default()
    };
    let state = AppState::new(kms_api::Kms::new(), config);
    let router = app(state.clone());
    for i in 0..1000 {
        let resp = router
            .clone()
            .oneshot(request("AKIDEXAMPLE", &format!("xx-made-up-{i}")))
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
    }
    assert_eq!(state.throttle.scope_count(), 0);
}
