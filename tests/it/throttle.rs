//! Throttling over HTTP: AWS's quotas and exact ThrottlingException, run-time quota changes,
//! independence of accounts, SDK retries turning throttles into successes, and the metrics.
//!
//! The server's limiters run on a hand-moved clock, so every count is exact and no test
//! sleeps: time passes only when a test (or the SDK's retry back-off) advances it.

use crate::common;

use std::time::Duration;

use aws_sdk_kms::Client;
use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::timeout::TimeoutConfig;
use aws_sdk_kms::config::{
    AsyncSleep, BehaviorVersion, Credentials, Region, SharedAsyncSleep, Sleep,
    StalledStreamProtectionConfig,
};
use common::*;
use kms_emulator::throttle::{FakeRelativeClock, QuotaTable, ThrottleClock};
use kms_emulator::{AppState, Config, RunningServer};

const THROTTLED: &str =
    "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.";

/// A throttling server whose limiters read `clock`, which only moves when advanced.
async fn throttled_server(flags: &[&str]) -> (RunningServer, FakeRelativeClock) {
    let mut quotas = QuotaTable::default();
    for f in flags {
        quotas.apply_flag(f).unwrap();
    }
    let config = Config {
        throttle: true,
        quotas,
        ..Config::default()
    };
    let clock = FakeRelativeClock::default();
    let state = AppState::new(kms_api::Kms::new(), config)
        .with_throttle_clock(ThrottleClock::manual(clock.clone()));
    let server = kms_emulator::start_with_state(state, "127.0.0.1:0")
        .await
        .unwrap();
    (server, clock)
}

/// The SDK's retry back-off (at most `MAX_BACKOFF`) "sleeps" by moving the limiters' clock,
/// then returns at once. Longer sleeps are the SDK's housekeeping (connection pool upkeep),
/// which would outlast the test anyway: they never end.
#[derive(Debug)]
struct AdvanceClock(FakeRelativeClock);

const MAX_BACKOFF: Duration = Duration::from_millis(500);

impl AsyncSleep for AdvanceClock {
    fn sleep(&self, duration: Duration) -> Sleep {
        if duration > MAX_BACKOFF {
            return Sleep::new(std::future::pending());
        }
        self.0.advance(duration);
        Sleep::new(std::future::ready(()))
    }
}

/// Sends `n` CreateKey calls as fast as possible; returns (ok, throttled).
async fn create_burst(client: &Client, n: usize) -> (usize, usize) {
    let mut ok = 0;
    let mut throttled = 0;
    for _ in 0..n {
        match client.create_key().send().await {
            Ok(_) => ok += 1,
            Err(e) => {
                let (code, message) = err_parts(e);
                assert_eq!(
                    (code.as_str(), message.as_str()),
                    ("ThrottlingException", THROTTLED)
                );
                throttled += 1;
            }
        }
    }
    (ok, throttled)
}

async fn key_count(client: &Client) -> usize {
    client
        .list_keys()
        .limit(1000)
        .send()
        .await
        .unwrap()
        .keys
        .unwrap_or_default()
        .len()
}

#[tokio::test]
async fn a_create_key_burst_is_throttled_with_aws_error() {
    let (server, clock) = throttled_server(&[]).await;
    let client = client(&server);
    // AWS's CreateKey quota is 5/s: a burst admits one second's worth.
    assert_eq!(create_burst(&client, 12).await, (5, 7));
    assert_eq!(
        key_count(&client).await,
        5,
        "throttled requests created nothing"
    );

    let raw = kms_call(&server, "CreateKey", b"{}").await;
    assert_eq!(raw.status, 400);
    assert_eq!(
        raw.json(),
        serde_json::json!({"__type": "ThrottlingException", "message": THROTTLED})
    );
    assert!(raw.header("x-amzn-requestid").is_some());

    // One request every 200 ms, then a full second's worth after an idle second.
    clock.advance(Duration::from_millis(200));
    assert_eq!(create_burst(&client, 3).await, (1, 2));
    clock.advance(Duration::from_secs(1));
    assert_eq!(create_burst(&client, 12).await, (5, 7));
}

#[tokio::test]
async fn put_quotas_changes_the_admitted_rate_at_once() {
    let (server, _clock) = throttled_server(&["CreateKey=1"]).await;
    let client = client(&server);
    assert_eq!(create_burst(&client, 5).await, (1, 4));
    let resp = http_request(&server, "PUT", "/_kms/quotas", &[], br#"{"CreateKey": 20}"#).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["quotas"]["CreateKey"], 20.0);
    assert_eq!(create_burst(&client, 25).await, (20, 5));

    let bad = http_request(
        &server,
        "PUT",
        "/_kms/quotas",
        &[],
        br#"{"CreateKey": -1, "Nope": 3}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    // Accounts and Regions are checked as the quotas file checks them, on PUT and on GET.
    for (method, path, body) in [
        (
            "PUT",
            "/_kms/quotas",
            &br#"{"account": "42", "CreateKey": 1}"#[..],
        ),
        ("GET", "/_kms/quotas?account=abc", b""),
    ] {
        let resp = http_request(&server, method, path, &[], body).await;
        assert_eq!(resp.status, 400, "{method} {path}");
        let message = resp.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains("not an AWS account ID"), "{message}");
    }
    let moon = http_request(&server, "GET", "/_kms/quotas?region=moon-1", &[], b"").await;
    assert_eq!(moon.status, 400);
    assert!(
        moon.json()["message"]
            .as_str()
            .unwrap()
            .contains("not an AWS Region")
    );
    let table = http_request(&server, "GET", "/_kms/quotas", &[], b"")
        .await
        .json();
    assert_eq!(
        table["quotas"]["CreateKey"], 20.0,
        "a rejected update changes nothing"
    );
}

#[tokio::test]
async fn accounts_regions_and_quotas_are_independent() {
    let (server, _clock) = throttled_server(&["CreateKey=2"]).await;
    let resp = http_request(
        &server,
        "PUT",
        "/_kms/quotas",
        &[],
        br#"{"account":"000000000042","CreateKey":0}"#,
    )
    .await;
    assert_eq!(resp.status, 200);
    let default_account = client(&server);
    let blocked = client_for(&server, OTHER_ACCOUNT, REGION);
    let other_region = client_for(&server, "AKIDEXAMPLE", OTHER_REGION);
    assert_eq!(
        create_burst(&blocked, 3).await.0,
        0,
        "a quota of 0 refuses everything"
    );
    assert_eq!(create_burst(&default_account, 3).await.0, 2);
    assert_eq!(create_burst(&other_region, 3).await.0, 2);
    // Another quota of the same account is untouched.
    for _ in 0..10 {
        default_account.list_keys().send().await.unwrap();
    }
}

#[tokio::test]
async fn quotas_endpoint_reports_aws_defaults_and_usage() {
    let (server, _clock) = throttled_server(&[]).await;
    let table = http_request(&server, "GET", "/_kms/quotas", &[], b"")
        .await
        .json();
    assert_eq!(table["throttle"], "aws");
    assert_eq!(table["quotas"]["symmetric"], 100000.0);
    assert_eq!(table["quotas"]["CreateKey"], 5.0);
    assert_eq!(table["quotas"]["DescribeKey"], 2000.0);
    assert_eq!(table["quotas"]["GenerateDataKeyPair:RSA_4096"], 1.0);
    // What GET lists is exactly what PUT accepts: no per-API row for Encrypt, which draws on
    // the symmetric class.
    assert!(table["quotas"].get("Encrypt").is_none(), "{table}");
    let names: Vec<String> = table["quotas"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(names.len() > 40, "{names:?}");
    // (for another account, so the rest of this test sees the defaults)
    let mut all = serde_json::Map::new();
    all.insert("account".into(), serde_json::json!("999999999999"));
    for name in &names {
        all.insert(name.clone(), serde_json::json!(table["quotas"][name]));
    }
    let put = http_request(
        &server,
        "PUT",
        "/_kms/quotas",
        &[],
        serde_json::Value::Object(all).to_string().as_bytes(),
    )
    .await;
    assert_eq!(put.status, 200, "{:?}", put.json());
    let eu = http_request(&server, "GET", "/_kms/quotas?region=eu-west-2", &[], b"")
        .await
        .json();
    assert_eq!(eu["quotas"]["symmetric"], 20000.0);
    let client = client(&server);
    create_key(&client).await;
    let table = http_request(&server, "GET", "/_kms/quotas", &[], b"")
        .await
        .json();
    let usage = table["usage"].as_array().unwrap();
    assert!(
        usage
            .iter()
            .any(|u| u["quota"] == "CreateKey" && u["used"] == 1 && u["limit"] == 5.0),
        "{usage:?}"
    );
}

#[tokio::test]
async fn sdk_standard_retries_turn_throttles_into_successes() {
    let (server, clock) = throttled_server(&["CreateKey=4"]).await;
    let config = aws_sdk_kms::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(server.url())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(10)
                .with_max_backoff(MAX_BACKOFF),
        )
        // Back-off moves the limiters' clock instead of waiting. The SDK's timeouts and
        // stalled-stream protection sleep on the same implementation, and would fire at once.
        .sleep_impl(SharedAsyncSleep::new(AdvanceClock(clock)))
        .timeout_config(TimeoutConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build();
    let client = Client::from_conf(config);
    for _ in 0..8 {
        client
            .create_key()
            .send()
            .await
            .expect("retried until admitted");
    }
    assert_eq!(key_count(&client).await, 8);
    let metrics = http_request(&server, "GET", "/metrics", &[], b"").await;
    let text = String::from_utf8(metrics.body).unwrap();
    let throttled = metric(&text, "kms_throttled_total{quota=\"CreateKey\"}");
    let ok = metric(
        &text,
        "kms_requests_total{operation=\"CreateKey\",outcome=\"ok\"}",
    );
    let refused = metric(
        &text,
        "kms_requests_total{operation=\"CreateKey\",outcome=\"ThrottlingException\"}",
    );
    assert_eq!(ok, 8.0);
    assert!(
        throttled >= 1.0,
        "the burst of 8 against 4/s was throttled at least once"
    );
    assert_eq!(throttled, refused, "metrics agree with each other");
}

#[tokio::test]
async fn throttling_off_admits_everything() {
    let (server, _clock) = throttled_server(&["CreateKey=0"]).await;
    let resp = http_request(
        &server,
        "PUT",
        "/_kms/quotas",
        &[],
        br#"{"throttle":"off"}"#,
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["throttle"], "off");
    assert_eq!(create_burst(&client(&server), 3).await.0, 3);
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .map(|v| v.trim().parse::<f64>().unwrap())
        })
        .unwrap_or(0.0)
}

/// A rate governor cannot represent is refused by the admin API, and the server keeps serving.
#[tokio::test]
async fn an_unrepresentable_rate_is_refused_and_the_server_keeps_answering() {
    let (server, _clock) = throttled_server(&[]).await;
    for body in [
        &br#"{"symmetric": 1e-12}"#[..],
        br#"{"CreateKey": 1e10}"#,
        br#"{"account": "000000000042", "DescribeKey": 5e-324}"#,
    ] {
        let resp = http_request(&server, "PUT", "/_kms/quotas", &[], body).await;
        assert_eq!(resp.status, 400, "{}", String::from_utf8_lossy(body));
        let message = resp.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains("between"), "{message}");
    }
    let random = kms_call(&server, "GenerateRandom", br#"{"NumberOfBytes":8}"#).await;
    assert_eq!(random.status, 200);
    assert_eq!(kms_call(&server, "CreateKey", b"{}").await.status, 200);
    let table = http_request(&server, "GET", "/_kms/quotas", &[], b"")
        .await
        .json();
    assert_eq!(table["overrides"], serde_json::json!([]), "nothing changed");
}

/// A panic while admitting (here: the limiters' clock) is a KMSInternalException, not a
/// dropped connection.
#[tokio::test]
async fn a_panic_in_the_limiter_is_an_internal_error() {
    let config = Config {
        throttle: true,
        ..Config::default()
    };
    // The clock is read once when the throttle is built, then fails.
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let clock = ThrottleClock::from_fn(move || {
        if reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed) > 0 {
            panic!("the throttle clock failed");
        }
        Duration::ZERO
    });
    let state = AppState::new(kms_api::Kms::new(), config).with_throttle_clock(clock);
    let server = kms_emulator::start_with_state(state, "127.0.0.1:0")
        .await
        .unwrap();
    let resp = kms_call(&server, "ListKeys", b"{}").await;
    assert_eq!(resp.status, 500);
    assert_eq!(resp.json()["__type"], "KMSInternalException");
    assert!(resp.header("x-amzn-requestid").is_some());
    let health = http_request(&server, "GET", "/_kms/health", &[], b"").await;
    assert_eq!(health.status, 200);
}

#[tokio::test]
async fn naming_a_new_aws_managed_key_draws_on_the_create_key_quota() {
    let (server, _clock) = throttled_server(&["CreateKey=1"]).await;
    let kms = client(&server);
    // The first use of alias/aws/s3 creates the key: it spends the one CreateKey of the second.
    kms.describe_key()
        .key_id("alias/aws/s3")
        .send()
        .await
        .unwrap();
    assert_eq!(create_burst(&kms, 1).await, (0, 1));
    // Another new managed key is refused the same way, and nothing is created.
    let (code, message) = expect_err(kms.describe_key().key_id("alias/aws/ebs").send().await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ThrottlingException", THROTTLED)
    );
    // An existing one is only a read.
    for _ in 0..5 {
        kms.describe_key()
            .key_id("alias/aws/s3")
            .send()
            .await
            .unwrap();
    }
    let keys = kms.list_keys().send().await.unwrap().keys.unwrap();
    assert_eq!(keys.len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn import_and_grant_operations_have_aws_per_api_quotas() {
    let (server, _clock) = throttled_server(&[]).await;
    // A burst admits one second's worth of each quota (AWS's current figures); the requests
    // themselves fail validation, but admission comes first and counts them.
    for (op, quota) in [
        ("GetParametersForImport", 1),
        ("ImportKeyMaterial", 15),
        ("DeleteImportedKeyMaterial", 15),
        ("CreateGrant", 50),
        ("RetireGrant", 50),
        ("RevokeGrant", 50),
        ("ListGrants", 100),
        ("ListRetirableGrants", 100),
    ] {
        for i in 0..quota {
            let resp = kms_call(&server, op, b"{}").await;
            assert_ne!(
                resp.json()["__type"],
                "ThrottlingException",
                "{op} request {i} of {quota}"
            );
        }
        let resp = kms_call(&server, op, b"{}").await;
        assert_eq!(resp.json()["__type"], "ThrottlingException", "{op}");
    }
}

#[tokio::test]
async fn replicate_key_counts_against_create_key_in_the_replica_region() {
    let (server, _clock) = throttled_server(&[]).await;
    let client = client(&server);
    let id = client
        .create_key()
        .multi_region(true)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_owned();
    // No CreateKey in the replica's Region: ReplicateKey there is throttled, as in AWS.
    let resp = http_request(
        &server,
        "PUT",
        "/_kms/quotas",
        &[],
        format!(r#"{{"region":"{OTHER_REGION}","CreateKey":0}}"#).as_bytes(),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let (code, message) = expect_err(
        client
            .replicate_key()
            .key_id(&id)
            .replica_region(OTHER_REGION)
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ThrottlingException", THROTTLED)
    );
    // Another Region's CreateKey quota is untouched.
    client
        .replicate_key()
        .key_id(&id)
        .replica_region("eu-west-1")
        .send()
        .await
        .unwrap();
}
