//! The audit log end to end: a server writing `--audit-log` to a file, driven by `aws-sdk-kms`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_kms::Client;
use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::operation::RequestId;
use aws_sdk_kms::primitives::Blob;
use base64::Engine as _;
use kms_emulator::audit::AuditLog;
use kms_emulator::{AppState, Config};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const ACCOUNT: &str = "111122223333";
const REGION: &str = "eu-central-1";
const ACCESS_KEY: &str = "AKIDAUDITEXAMPLE";
const PLAINTEXT: &[u8] = b"recognizable audit plaintext 0123456789";

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("kms-audit-it-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn client(url: &str) -> Client {
    let config = aws_sdk_kms::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(ACCESS_KEY, "secret", None, None, "test"))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .build();
    Client::from_conf(config)
}

/// The file's lines once there are at least `n` of them (polling up to 5 s).
async fn wait_for_lines(path: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= n || Instant::now() >= deadline {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn audit_log_records_each_request_without_plaintext() {
    let dir = TempDir::new();
    let path = dir.0.join("audit.jsonl");
    let audit = AuditLog::open(path.to_str().expect("UTF-8 path")).expect("open audit log");
    let state = AppState::new(kms_api::Kms::new(), Config::default()).with_audit(audit);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(kms_emulator::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let kms = client(&url);

    let created = kms.create_key().send().await.expect("CreateKey");
    let key_id = created
        .key_metadata()
        .expect("metadata")
        .key_id()
        .to_owned();
    let encrypted = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(PLAINTEXT))
        .encryption_context("purpose", "audit-test")
        .send()
        .await
        .expect("Encrypt");
    let failed = kms
        .decrypt()
        .ciphertext_blob(encrypted.ciphertext_blob().expect("blob").clone())
        .encryption_context("purpose", "wrong")
        .send()
        .await
        .expect_err("Decrypt with the wrong context fails");
    let decrypt_code = failed.code().expect("error code").to_owned();
    assert_eq!(decrypt_code, "InvalidCiphertextException");
    let request_ids = [
        created
            .request_id()
            .expect("CreateKey request ID")
            .to_owned(),
        encrypted
            .request_id()
            .expect("Encrypt request ID")
            .to_owned(),
        failed.request_id().expect("Decrypt request ID").to_owned(),
    ];

    let lines = wait_for_lines(&path, 3).await;
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line ({e}): {l}")))
        .collect();
    let key_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}");

    for (event, request_id) in events.iter().zip(&request_ids) {
        assert_eq!(event["eventVersion"], "1.08");
        assert_eq!(event["eventSource"], "kms.amazonaws.com");
        assert_eq!(event["eventType"], "AwsApiCall");
        assert_eq!(event["awsRegion"], REGION);
        assert_eq!(event["recipientAccountId"], ACCOUNT);
        assert_eq!(event["userIdentity"]["accountId"], ACCOUNT);
        assert_eq!(event["userIdentity"]["accessKeyId"], ACCESS_KEY);
        assert_eq!(event["requestID"], request_id.as_str());
        assert_eq!(event["readOnly"], false);
        let time = event["eventTime"].as_str().expect("eventTime");
        assert!(
            chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'),
            "{time}"
        );
        assert!(uuid::Uuid::parse_str(event["eventID"].as_str().expect("eventID")).is_ok());
        // Where the call came from and with what client, as CloudTrail has them.
        assert_eq!(event["sourceIPAddress"], "127.0.0.1");
        let agent = event["userAgent"].as_str().expect("userAgent");
        assert!(agent.contains("aws-sdk-rust"), "{agent}");
    }

    let [create, encrypt, decrypt] = &events[..] else {
        unreachable!()
    };
    assert_eq!(create["eventName"], "CreateKey");
    assert_eq!(create["managementEvent"], true);
    assert!(create.get("errorCode").is_none());

    assert_eq!(encrypt["eventName"], "Encrypt");
    assert_eq!(encrypt["managementEvent"], false);
    assert!(encrypt.get("errorCode").is_none());
    assert_eq!(encrypt["requestParameters"]["keyId"], key_id.as_str());
    assert_eq!(
        encrypt["requestParameters"]["encryptionContext"],
        serde_json::json!({"purpose": "audit-test"})
    );
    assert_eq!(encrypt["resources"][0]["ARN"], key_arn.as_str());
    assert_eq!(encrypt["resources"][0]["type"], "AWS::KMS::Key");

    assert_eq!(decrypt["eventName"], "Decrypt");
    assert_eq!(decrypt["errorCode"], "InvalidCiphertextException");
    // AWS's InvalidCiphertextException has no message, so the line has no errorMessage.
    assert!(decrypt.get("errorMessage").is_none(), "{decrypt}");
    assert_eq!(
        decrypt["requestParameters"]["encryptionContext"],
        serde_json::json!({"purpose": "wrong"})
    );

    let text = std::fs::read_to_string(&path).expect("read audit log");
    let b64 = base64::engine::general_purpose::STANDARD.encode(PLAINTEXT);
    assert!(!text.contains(&b64), "plaintext (base64) leaked: {text}");
    assert!(!text.contains("recognizable audit plaintext"));
    let blob = base64::engine::general_purpose::STANDARD
        .encode(encrypted.ciphertext_blob().expect("blob").as_ref());
    assert!(!text.contains(&blob), "ciphertext blob logged");

    // GetKeyLastUsage names the last successful cryptographic request (the Encrypt; the
    // Decrypt failed) by the request ID the SDK got and the event ID the audit log wrote.
    let usage = kms
        .get_key_last_usage()
        .key_id(&key_id)
        .send()
        .await
        .expect("GetKeyLastUsage");
    let last = usage.key_last_usage().expect("KeyLastUsage");
    assert_eq!(
        last.operation(),
        Some(&aws_sdk_kms::types::KeyLastUsageTrackingOperation::Encrypt)
    );
    assert_eq!(last.kms_request_id(), Some(request_ids[1].as_str()));
    assert_eq!(last.cloud_trail_event_id(), encrypt["eventID"].as_str());
    assert_eq!(
        usage.key_creation_date(),
        created.key_metadata().and_then(|m| m.creation_date())
    );

    let _ = stop.send(());
    server.await.expect("server task").expect("server ends");
}
