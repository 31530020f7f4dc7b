//! The dashboard at `/_kms/ui` in a real browser: headless Chromium (Debian's `chromium`)
//! loads the page from the real server and runs its script; the test reads the DOM it built.
//! It shows the keys this test created, a key's page and the latest audit events, and its
//! CreateKey chart moves when this test exceeds the quota. A screenshot is left in `target/dashboard.png` (CI keeps it).
//!
//! The data routes are behind the admin token like every admin endpoint; the page gets the
//! token from its URL fragment. Without Chromium the test fails, saying how to install it;
//! `KMS_SKIP_BROWSER_TESTS=1` skips it on a machine that cannot have one.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_kms::types::Tag;
use common::*;
use kms_emulator::config::Secret;
use kms_emulator::throttle::{FakeRelativeClock, QuotaTable, ThrottleClock};
use kms_emulator::{AppState, Config, RunningServer};

const TOKEN: &str = "dashboard-test-token";

/// A server with an admin token and a CreateKey quota of 1/s on a clock that never moves, so
/// every CreateKey after the first is throttled.
async fn server() -> RunningServer {
    let mut quotas = QuotaTable::default();
    quotas.apply_flag("CreateKey=1").unwrap();
    let config = Config {
        throttle: true,
        quotas,
        admin_token: Some(Secret::from_slice(TOKEN.as_bytes())),
        ..Config::default()
    };
    let audit = kms_emulator::audit::AuditLog::from_writer(Box::new(std::io::sink())).unwrap();
    let state = AppState::new(kms_api::Kms::new(), config)
        .with_throttle_clock(ThrottleClock::manual(FakeRelativeClock::default()))
        .with_audit(audit);
    kms_emulator::start_with_state(state, "127.0.0.1:0")
        .await
        .unwrap()
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| {
            std::env::var_os("PATH")
                .map(|paths| {
                    std::env::split_paths(&paths)
                        .map(|d| d.join(name))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .find(|path| path.is_file())
}

/// Runs headless Chromium on `url` with `mode` (`--dump-dom` or `--screenshot=...`), giving
/// the page's script 4 s of virtual time (fetches run in real time meanwhile).
async fn browse(browser: &Path, url: &str, mode: &str) -> String {
    let profile = std::env::temp_dir().join(format!("kms-dashboard-{}", uuid::Uuid::new_v4()));
    let run = tokio::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1400,2000",
            "--virtual-time-budget=4000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(url)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("chromium did not finish in 90 s")
        .expect("chromium could not be started");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "chromium failed: {:?}",
        output.status
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The `data-` attributes of the `<figure>` whose `data-quota` is `quota`.
fn quota_chart<'a>(dom: &'a str, quota: &str) -> Option<&'a str> {
    let marker = format!("data-quota=\"{quota}\"");
    dom.split("<figure")
        .skip(1)
        .map(|f| &f[..f.find('>').unwrap_or(f.len())])
        .find(|attrs| attrs.contains(&marker))
}

fn attribute(tag: &str, name: &str) -> Option<u64> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    tag[start..].split('"').next()?.parse().ok()
}

#[tokio::test]
async fn the_dashboard_shows_keys_a_key_page_and_throttling_in_a_real_browser() {
    if std::env::var_os("KMS_SKIP_BROWSER_TESTS").is_some() {
        eprintln!("KMS_SKIP_BROWSER_TESTS is set: the browser test is skipped");
        return;
    }
    let browser = chromium().expect(
        "the dashboard test needs headless Chromium: apt-get install chromium (or set KMS_SKIP_BROWSER_TESTS=1)",
    );
    let server = server().await;
    let client = client(&server);

    // The data routes need the token; the page itself holds no data.
    let bearer = format!("Bearer {TOKEN}");
    for path in [
        "/_kms/ui/api/summary",
        "/_kms/ui/api/keys",
        "/_kms/ui/api/traffic",
    ] {
        assert_eq!(
            http_request(&server, "GET", path, &[], b"").await.status,
            401,
            "{path}"
        );
        let ok = http_request(&server, "GET", path, &[("Authorization", &bearer)], b"").await;
        assert_eq!(ok.status, 200, "{path}");
    }
    // A scope that is not one is a 400 naming what is wrong, as on the admin API.
    for (path, wrong) in [
        ("/_kms/ui/api/keys?account=42", "not an AWS account ID"),
        ("/_kms/ui/api/key?region=moon-1&id=x", "not an AWS Region"),
    ] {
        let resp = http_request(&server, "GET", path, &[("Authorization", &bearer)], b"").await;
        assert_eq!(resp.status, 400, "{path}");
        let message = resp.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(wrong), "{path}: {message}");
    }
    let missing = "/_kms/ui/api/key?id=0b9b1f0c-8d36-4f38-9a39-4e2c3cf0a4f2";
    let resp = http_request(&server, "GET", missing, &[("Authorization", &bearer)], b"").await;
    assert_eq!(resp.status, 404);
    let page = http_request(&server, "GET", "/_kms/ui", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );

    let signer = client
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .description("<img src=x onerror=alert(1)> signs releases")
        .tags(
            Tag::builder()
                .tag_key("team")
                .tag_value("payments")
                .build()
                .unwrap(),
        )
        .send()
        .await;
    // The quota is 1/s and the clock stands still: the first CreateKey is the only one.
    let signer = signer.unwrap().key_metadata.unwrap().key_id;
    client
        .create_alias()
        .alias_name("alias/release-signer")
        .target_key_id(&signer)
        .send()
        .await
        .unwrap();

    let url = format!("{}/_kms/ui#token={TOKEN}", server.url());
    let before = browse(&browser, &url, "--dump-dom").await;
    assert!(
        before.contains("data-loaded=\"true\""),
        "the page did not load: {before}"
    );
    assert!(
        before.contains(&format!("data-key-id=\"{signer}\"")),
        "{before}"
    );
    assert!(before.contains("alias/release-signer"));
    assert!(before.contains("ECC_NIST_P256"));
    // The latest audit events, newest first: the alias, then the key.
    let audit = &before[before.find("<table id=\"audit\">").expect("an audit table")..];
    let audit = &audit[..audit.find("</table>").unwrap()];
    let (alias_at, key_at) = (audit.find("CreateAlias"), audit.find("CreateKey"));
    assert!(alias_at.is_some() && alias_at < key_at, "{audit}");
    // The description is shown as text, never run as HTML.
    assert!(before.contains("&lt;img src=x onerror=alert(1)&gt; signs releases"));
    let chart = quota_chart(&before, "CreateKey").expect("a CreateKey chart");
    assert_eq!(attribute(chart, "data-admitted"), Some(1), "{chart}");
    assert_eq!(attribute(chart, "data-throttled"), Some(0), "{chart}");
    assert_eq!(attribute(chart, "data-limit"), Some(1), "{chart}");

    // Exceed the quota: every one of these is throttled.
    for _ in 0..4 {
        let (code, _) = expect_err(
            client
                .clone()
                .create_key()
                .customize()
                .config_override(
                    aws_sdk_kms::config::Config::builder()
                        .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled()),
                )
                .send()
                .await,
        );
        assert_eq!(code, "ThrottlingException");
    }
    let after = browse(&browser, &url, "--dump-dom").await;
    let chart = quota_chart(&after, "CreateKey").expect("a CreateKey chart");
    assert_eq!(
        attribute(chart, "data-throttled"),
        Some(4),
        "the chart moved: {chart}"
    );
    assert!(after.contains("data-operation=\"CreateKey\""));

    // A key's page: metadata, alias, tag and policy, pretty-printed.
    let key_url = format!("{}/_kms/ui#token={TOKEN}&key={signer}", server.url());
    let key_page = browse(&browser, &key_url, "--dump-dom").await;
    let section = &key_page[key_page.find("id=\"key-section\"").unwrap()..];
    assert!(
        !section.starts_with("id=\"key-section\" hidden"),
        "{section}"
    );
    for shown in [
        signer.as_str(),
        "SIGN_VERIFY",
        "alias/release-signer",
        "payments",
        "ECDSA_SHA_256",
        "\"Sid\": \"Enable IAM User Permissions\"",
    ] {
        assert!(section.contains(shown), "the key page lacks {shown}");
    }

    let screenshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dashboard.png");
    let _ = std::fs::remove_file(&screenshot);
    browse(
        &browser,
        &url,
        &format!("--screenshot={}", screenshot.display()),
    )
    .await;
    let png = std::fs::read(&screenshot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}
