//! Access control over real HTTP with aws-sdk-kms signing for real: `--auth sigv4` accepts
//! only requests signed by a known principal (in that principal's account), and refuses the
//! others with AWS's errors; `--auth none` maps known access keys to their accounts but checks
//! nothing.

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::Client;
use common::{advance_clock, expect_err, kms_call, REGION};
use kms_emulator::auth::{AuthMode, Authenticator, Principal, Principals};
use kms_emulator::{Config, RunningServer};

const ALICE_KEY: &str = "AKIAALICE";
const ALICE_SECRET: &str = "alice/secret+key";
const ALICE_ARN: &str = "arn:aws:iam::123456789012:user/alice";
const TEMP_KEY: &str = "ASIATEMPROLE";
const TEMP_SECRET: &str = "temp-secret";
const TEMP_TOKEN: &str = "FwoGZXIvYXdzEXAMPLE//token==";

fn principals() -> Principals {
    let mut principals = Principals::new();
    principals
        .add(Principal::parse_short(&format!("{ALICE_KEY}:{ALICE_SECRET}:{ALICE_ARN}")).unwrap())
        .unwrap();
    principals
        .add_file_text(
            &format!(
                r#"
                [[principals]]
                access_key_id = "{TEMP_KEY}"
                secret_access_key = "{TEMP_SECRET}"
                session_token = "{TEMP_TOKEN}"
                arn = "arn:aws:sts::444455556666:assumed-role/Deployer/ci"
                "#
            ),
            std::path::Path::new("."),
        )
        .unwrap();
    principals
}

async fn server(mode: AuthMode) -> RunningServer {
    let config = Config {
        auth: Authenticator::new(mode, principals()),
        ..Config::default()
    };
    kms_emulator::start(config, kms_api::Kms::new(), "127.0.0.1:0")
        .await
        .unwrap()
}

/// A fixed clock for the SDK's signer.
#[derive(Debug)]
struct SigningClock(SystemTime);

impl aws_smithy_async::time::TimeSource for SigningClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

fn client_with(
    server: &RunningServer,
    key: &str,
    secret: &str,
    token: Option<&str>,
    region: &str,
    signed_at: Option<SystemTime>,
) -> Client {
    let mut config = aws_sdk_kms::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(server.url())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        ))
        .retry_config(RetryConfig::standard().with_max_attempts(1));
    if let Some(at) = signed_at {
        config = config.time_source(SigningClock(at));
    }
    Client::from_conf(config.build())
}

fn alice(server: &RunningServer) -> Client {
    client_with(server, ALICE_KEY, ALICE_SECRET, None, REGION, None)
}

#[tokio::test]
async fn a_known_principal_works_in_its_own_account_and_region() {
    let server = server(AuthMode::Sigv4).await;
    let key = alice(&server).create_key().send().await.unwrap();
    let meta = key.key_metadata().unwrap();
    assert_eq!(meta.aws_account_id(), Some("123456789012"));
    assert!(meta
        .arn()
        .unwrap()
        .starts_with("arn:aws:kms:us-east-1:123456789012:key/"));
    let encrypted = alice(&server)
        .encrypt()
        .key_id(meta.key_id())
        .plaintext(Blob::new(b"hello".to_vec()))
        .send()
        .await
        .unwrap();
    let decrypted = alice(&server)
        .decrypt()
        .ciphertext_blob(encrypted.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext().unwrap().as_ref(), b"hello");
    // The Region comes from the credential scope.
    let west = client_with(&server, ALICE_KEY, ALICE_SECRET, None, "eu-west-2", None);
    let listed = west.list_keys().send().await.unwrap();
    assert!(listed.keys().is_empty());
    // Temporary credentials work with their session token, in their own account.
    let temp = client_with(
        &server,
        TEMP_KEY,
        TEMP_SECRET,
        Some(TEMP_TOKEN),
        REGION,
        None,
    );
    let key = temp.create_key().send().await.unwrap();
    assert_eq!(
        key.key_metadata().unwrap().aws_account_id(),
        Some("444455556666")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_secrets_unknown_keys_and_bad_tokens_are_refused_as_aws_does() {
    let server = server(AuthMode::Sigv4).await;
    let wrong_secret = client_with(&server, ALICE_KEY, "not-alices", None, REGION, None);
    let (code, message) = expect_err(wrong_secret.list_keys().send().await);
    assert_eq!(code, "InvalidSignatureException");
    assert!(
        message.starts_with("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."),
        "{message}"
    );
    assert!(
        message.contains("x-amz-target:TrentService.ListKeys"),
        "{message}"
    );
    assert!(!message.contains(ALICE_SECRET) && !message.contains("not-alices"));

    let unknown = client_with(&server, "AKIAMALLORY", ALICE_SECRET, None, REGION, None);
    let (code, message) = expect_err(unknown.list_keys().send().await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid."
        )
    );
    // A 12-digit access key ID is no longer an account of its own.
    let legacy = client_with(&server, "000000000042", "secret", None, REGION, None);
    assert_eq!(
        expect_err(legacy.list_keys().send().await).0,
        "UnrecognizedClientException"
    );

    for token in [None, Some("another-token")] {
        let temp = client_with(&server, TEMP_KEY, TEMP_SECRET, token, REGION, None);
        assert_eq!(
            expect_err(temp.list_keys().send().await).0,
            "UnrecognizedClientException",
            "{token:?}"
        );
    }
    // Alice's credential carries no token; one sent with it is not hers.
    let with_token = client_with(
        &server,
        ALICE_KEY,
        ALICE_SECRET,
        Some(TEMP_TOKEN),
        REGION,
        None,
    );
    assert_eq!(
        expect_err(with_token.list_keys().send().await).0,
        "UnrecognizedClientException"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn signatures_are_current_for_fifteen_minutes_of_either_clock() {
    let server = server(AuthMode::Sigv4).await;
    let signed_at = |offset: i64| {
        let now = SystemTime::now();
        let at = if offset >= 0 {
            now + Duration::from_secs(offset as u64)
        } else {
            now - Duration::from_secs(offset.unsigned_abs())
        };
        client_with(&server, ALICE_KEY, ALICE_SECRET, None, REGION, Some(at))
    };
    signed_at(-14 * 60).list_keys().send().await.unwrap();
    signed_at(14 * 60).list_keys().send().await.unwrap();
    let (code, message) = expect_err(signed_at(-20 * 60).list_keys().send().await);
    assert_eq!(code, "InvalidSignatureException");
    assert!(message.starts_with("Signature expired: "), "{message}");
    assert!(message.ends_with(" - 15 min.)"), "{message}");
    let (code, message) = expect_err(signed_at(20 * 60).list_keys().send().await);
    assert_eq!(code, "InvalidSignatureException");
    assert!(
        message.starts_with("Signature not yet current: "),
        "{message}"
    );
    // The emulated clock 90 days ahead: clients signing with the host's clock still get in,
    // and so do clients signing with the emulated time.
    advance_clock(&server, 90 * 86_400).await;
    alice(&server).list_keys().send().await.unwrap();
    signed_at(90 * 86_400).list_keys().send().await.unwrap();
    assert!(signed_at(45 * 86_400).list_keys().send().await.is_err());
    server.shutdown().await;
}

#[tokio::test]
async fn unsigned_and_malformed_requests_get_aws_front_end_errors() {
    let server = server(AuthMode::Sigv4).await;
    let resp = kms_call(&server, "ListKeys", b"{}").await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json(),
        serde_json::json!({"__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"})
    );
    // An unknown operation is still authenticated first.
    let resp = kms_call(&server, "NoSuchOperation", b"{}").await;
    assert_eq!(resp.json()["__type"], "MissingAuthenticationTokenException");
    let resp = common::http_request(
        &server,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "TrentService.ListKeys"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Date", "20261203T120000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAALICE/20261203/us-east-1/kms/aws4_request, Signature=abcd",
            ),
        ],
        b"{}",
    )
    .await;
    assert_eq!(resp.status, 400);
    let body = resp.json();
    assert_eq!(body["__type"], "IncompleteSignatureException");
    assert_eq!(
        body["message"],
        "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIAALICE/20261203/us-east-1/kms/aws4_request, Signature=abcd"
    );
    // The admin API keeps its own rule (the admin token), and health is open.
    let health = common::http_request(&server, "GET", "/_kms/health", &[], b"").await;
    assert_eq!(health.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn without_verification_known_keys_act_in_their_accounts_and_nothing_is_checked() {
    let server = server(AuthMode::None).await;
    let careless = client_with(&server, ALICE_KEY, "whatever", None, REGION, None);
    let key = careless.create_key().send().await.unwrap();
    assert_eq!(
        key.key_metadata().unwrap().aws_account_id(),
        Some("123456789012")
    );
    // Unknown callers keep the old rules: a 12-digit access key ID is the account.
    let legacy = client_with(&server, "000000000042", "secret", None, REGION, None);
    let key = legacy.create_key().send().await.unwrap();
    assert_eq!(
        key.key_metadata().unwrap().aws_account_id(),
        Some("000000000042")
    );
    let resp = kms_call(&server, "ListKeys", b"{}").await;
    assert_eq!(resp.status, 200);
    server.shutdown().await;
}
