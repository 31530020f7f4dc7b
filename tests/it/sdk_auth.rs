//! Access control over real HTTP with aws-sdk-kms signing for real: `--auth sigv4` accepts
//! only requests signed by a known principal (in that principal's account), and refuses the
//! others with AWS's errors; `--auth none` maps known access keys to their accounts but checks
//! nothing.

use crate::common;

use std::time::{Duration, SystemTime};

use aws_sdk_kms::Client;
use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::primitives::Blob;
use common::{REGION, advance_clock, expect_err, kms_call};
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
    assert!(
        meta.arn()
            .unwrap()
            .starts_with("arn:aws:kms:us-east-1:123456789012:key/")
    );
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

const ACCOUNT: &str = "111122223333";
const PARTNER: &str = "444455556666";

/// `--auth enforce` with the README's cast: an administrator, a reader the key policy lets
/// decrypt (for one tenant's context only), a writer of the same account it does not name,
/// and a partner account's app whose identity policy reaches the key.
async fn enforcing_server() -> RunningServer {
    let mut principals = Principals::new();
    principals
        .add_file_text(
            &format!(
                r#"
                [[principals]]
                access_key_id = "AKIAADMIN"
                secret_access_key = "admin-secret"
                arn = "arn:aws:iam::{ACCOUNT}:user/admin"

                [[principals]]
                access_key_id = "AKIAREADER"
                secret_access_key = "reader-secret"
                arn = "arn:aws:iam::{ACCOUNT}:user/reader"

                [[principals]]
                access_key_id = "AKIAWRITER"
                secret_access_key = "writer-secret"
                arn = "arn:aws:iam::{ACCOUNT}:user/writer"

                [[principals]]
                access_key_id = "AKIAPARTNER"
                secret_access_key = "partner-secret"
                arn = "arn:aws:sts::{PARTNER}:assumed-role/App/run-1"
                policies = ['{{"Statement":{{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"arn:aws:kms:*:{ACCOUNT}:key/*"}}}}']
                "#
            ),
            std::path::Path::new("."),
        )
        .unwrap();
    let config = Config {
        auth: Authenticator::new(AuthMode::Enforce, principals),
        ..Config::default()
    };
    kms_emulator::start(config, kms_api::Kms::new(), "127.0.0.1:0")
        .await
        .unwrap()
}

fn as_user(server: &RunningServer, key: &str, secret: &str) -> Client {
    client_with(server, key, secret, None, REGION, None)
}

fn denial<T, E>(
    result: Result<T, aws_sdk_kms::error::SdkError<E, aws_sdk_kms::config::http::HttpResponse>>,
) -> String
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::fmt::Debug,
{
    let err = result.err().expect("the request was allowed");
    let meta = err.as_service_error().expect("not a service error");
    assert_eq!(meta.code(), Some("AccessDeniedException"), "{err:?}");
    meta.message().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn enforce_decides_by_key_policy_identity_policy_and_grants() {
    let server = enforcing_server().await;
    let admin = as_user(&server, "AKIAADMIN", "admin-secret");
    let reader = as_user(&server, "AKIAREADER", "reader-secret");
    let writer = as_user(&server, "AKIAWRITER", "writer-secret");
    let partner = as_user(&server, "AKIAPARTNER", "partner-secret");
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/admin")},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "ReaderDecryptsBlue", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/reader")},
         "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "blue"}}},
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": PARTNER},
         "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}
    ]});
    let key = (admin.create_key().policy(policy.to_string()).send())
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let encrypt = |tenant: &'static str| {
        admin
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new("payload"))
            .encryption_context("tenant", tenant)
            .send()
    };
    let blue = (encrypt("blue")).await.unwrap().ciphertext_blob.unwrap();
    let red = (encrypt("red")).await.unwrap().ciphertext_blob.unwrap();

    // The key policy names the reader, for the blue tenant only.
    let out = (reader
        .decrypt()
        .ciphertext_blob(blue.clone())
        .encryption_context("tenant", "blue")
        .send())
    .await
    .unwrap();
    assert_eq!(out.plaintext.unwrap().as_ref(), b"payload");
    let m = denial(
        reader
            .decrypt()
            .ciphertext_blob(red.clone())
            .encryption_context("tenant", "red")
            .send()
            .await,
    );
    assert_eq!(
        m,
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/reader is not authorized to perform: kms:Decrypt on resource: {key} because no resource-based policy allows the kms:Decrypt action"
        )
    );
    // The writer has kms:* in its identity policy, but the key policy does not delegate to
    // the account: IAM alone cannot open the key.
    let m = denial(
        writer
            .decrypt()
            .ciphertext_blob(blue.clone())
            .encryption_context("tenant", "blue")
            .send()
            .await,
    );
    assert!(
        m.ends_with("because no resource-based policy allows the kms:Decrypt action"),
        "{m}"
    );
    // Its identity policy does allow ListKeys, which has no key policy.
    writer.list_keys().send().await.unwrap();
    // The partner account's role: key policy (its account) and its identity policy both allow.
    let out = (partner
        .decrypt()
        .ciphertext_blob(red.clone())
        .key_id(&key)
        .encryption_context("tenant", "red")
        .send())
    .await
    .unwrap();
    assert_eq!(out.plaintext.unwrap().as_ref(), b"payload");
    let m = denial(partner.describe_key().key_id(&key).send().await);
    assert!(
        m.contains("arn:aws:sts::444455556666:assumed-role/App/run-1")
            && m.contains("kms:DescribeKey"),
        "{m}"
    );

    // A grant lets the writer decrypt the blue tenant's data, until the writer retires it.
    let grant = (admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(format!("arn:aws:iam::{ACCOUNT}:user/writer"))
        .retiring_principal(format!("arn:aws:iam::{ACCOUNT}:user/writer"))
        .operations(aws_sdk_kms::types::GrantOperation::Decrypt)
        .constraints(
            aws_sdk_kms::types::GrantConstraints::builder()
                .encryption_context_subset("tenant", "blue")
                .build(),
        )
        .send())
    .await
    .unwrap();
    let decrypt_as_writer = |blob: &Blob, tenant: &'static str| {
        writer
            .decrypt()
            .ciphertext_blob(blob.clone())
            .encryption_context("tenant", tenant)
            .grant_tokens(grant.grant_token.clone().unwrap())
            .send()
    };
    (decrypt_as_writer(&blue, "blue")).await.unwrap();
    denial(decrypt_as_writer(&red, "red").await);
    (writer
        .retire_grant()
        .grant_token(grant.grant_token.clone().unwrap())
        .send())
    .await
    .unwrap();
    // The grant is retired: its token no longer lets the writer in.
    denial(decrypt_as_writer(&blue, "blue").await);
    denial(
        writer
            .decrypt()
            .ciphertext_blob(blue.clone())
            .encryption_context("tenant", "blue")
            .send()
            .await,
    );

    // The lockout safety check: the admin may not write itself out of the policy.
    let locked = serde_json::json!({"Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/reader")}, "Action": "kms:*", "Resource": "*"}]});
    let err = admin
        .put_key_policy()
        .key_id(&key)
        .policy_name("default")
        .policy(locked.to_string())
        .send()
        .await
        .unwrap_err();
    let service = err.as_service_error().unwrap();
    assert!(service.is_malformed_policy_document_exception(), "{err:?}");
    assert_eq!(
        aws_sdk_kms::error::ProvideErrorMetadata::message(service),
        Some("The new key policy will not allow you to update the key policy in the future.")
    );

    // The default key policy delegates to the account: the writer's identity policy opens it,
    // while the partner's identity policy alone cannot (its account is not in the key policy).
    let delegated = (admin.create_key().send())
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let encrypt_with = |client: &Client| {
        client
            .encrypt()
            .key_id(&delegated)
            .plaintext(Blob::new("payload"))
            .send()
    };
    (encrypt_with(&writer)).await.unwrap();
    let m = denial(encrypt_with(&partner).await);
    assert!(
        m.ends_with("because no resource-based policy allows the kms:Encrypt action"),
        "{m}"
    );
}
