//! The audit log: one JSON line per request shaped like a CloudTrail KMS event, written off the
//! request path (`--audit-log PATH` or `-` for stdout). Never plaintext or key material.
//!
//! The request path takes only the whitelisted request parameters out of the body
//! ([`RequestParameters::from_body`]; plaintexts, ciphertexts, policies and the like are
//! skipped unread) and hands an [`AuditEvent`] to a bounded channel ([`AuditLog::record`] never
//! blocks and takes no lock; when the channel is full the event is counted in
//! [`AuditLog::dropped`] and discarded). A dedicated writer thread formats the line and writes
//! it through a `BufWriter`, flushing whenever the channel is momentarily empty and when the
//! log is dropped.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use kms_api::{Operation, Scope};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// How many events may wait for the writer before new ones are dropped.
pub const CHANNEL_CAPACITY: usize = 8192;

/// One request, as the request path hands it over; formatting happens on the writer.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// When the request arrived.
    pub time: DateTime<Utc>,
    /// The operation, if the target named one.
    pub operation: Option<Operation>,
    /// The caller's account and Region.
    pub scope: Scope,
    /// The caller's access key ID, if signed.
    pub access_key_id: Option<String>,
    /// The known principal of that access key (verified with `--auth sigv4`).
    pub principal: Option<std::sync::Arc<crate::auth::Principal>>,
    /// The request ID sent back as `x-amzn-RequestId`.
    pub request_id: uuid::Uuid,
    /// The AWS error code, or `None` on success.
    pub error_code: Option<&'static str>,
    /// The error's message as the client got it, when it has one and it is one the request
    /// path lets the log keep: the engine's texts about keys, grants and state, never those
    /// that can quote the request (see `Failure::auditable` in `protocol`).
    pub error_message: Option<String>,
    /// The client's address (`sourceIPAddress`).
    pub source_ip: Option<std::net::IpAddr>,
    /// The client's `User-Agent` header (`userAgent`), at most 1,024 characters.
    pub user_agent: Option<String>,
    /// The whitelisted request members, taken from the body at request time.
    pub params: RequestParameters,
}

/// The request members an audit line may show, taken out of a request body; nothing else of
/// the body is kept (no plaintext, ciphertext, policy, tag value or grant token).
#[derive(Debug, Clone, Default)]
pub struct RequestParameters {
    /// `(CloudTrail name, value)` in whitelist order; `None` when the body was not a JSON
    /// object.
    members: Option<Vec<(&'static str, Value)>>,
    /// The string values of the members naming keys (`KeyId`, `SourceKeyId`,
    /// `DestinationKeyId`, `TargetKeyId`), in the order their ARNs go into `resources`.
    key_refs: Vec<String>,
}

/// The whitelisted members as they arrive; every other member is skipped without being read
/// into memory.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Whitelisted {
    key_id: Option<Value>,
    encryption_context: Option<Value>,
    key_spec: Option<Value>,
    number_of_bytes: Option<Value>,
    encryption_algorithm: Option<Value>,
    destination_key_id: Option<Value>,
    source_key_id: Option<Value>,
    destination_encryption_context: Option<Value>,
    source_encryption_context: Option<Value>,
    alias_name: Option<Value>,
    target_key_id: Option<Value>,
    description: Option<Value>,
    key_usage: Option<Value>,
    pending_window_in_days: Option<Value>,
    rotation_period_in_days: Option<Value>,
    policy_name: Option<Value>,
    tag_keys: Option<Value>,
    signing_algorithm: Option<Value>,
    message_type: Option<Value>,
    mac_algorithm: Option<Value>,
    key_pair_spec: Option<Value>,
    key_agreement_algorithm: Option<Value>,
    encapsulation_algorithm: Option<Value>,
    wrapping_algorithm: Option<Value>,
    wrapping_key_spec: Option<Value>,
    expiration_model: Option<Value>,
    valid_to: Option<Value>,
    import_type: Option<Value>,
    key_material_id: Option<Value>,
    grantee_principal: Option<Value>,
    retiring_principal: Option<Value>,
    operations: Option<Value>,
    grant_id: Option<Value>,
    name: Option<Value>,
    dry_run: Option<Value>,
    limit: Option<Value>,
}

impl RequestParameters {
    /// The whitelisted members of a JSON request body.
    pub fn from_body(body: &[u8]) -> Self {
        let Ok(w) = serde_json::from_slice::<Whitelisted>(body) else {
            return Self::default();
        };
        let key_refs = [
            &w.key_id,
            &w.source_key_id,
            &w.destination_key_id,
            &w.target_key_id,
        ]
        .into_iter()
        .filter_map(|v| v.as_ref()?.as_str().map(str::to_owned))
        .collect();
        // In WHITELIST order.
        let values = [
            w.key_id,
            w.encryption_context,
            w.key_spec,
            w.number_of_bytes,
            w.encryption_algorithm,
            w.destination_key_id,
            w.source_key_id,
            w.destination_encryption_context,
            w.source_encryption_context,
            w.alias_name,
            w.target_key_id,
            w.description,
            w.key_usage,
            w.pending_window_in_days,
            w.rotation_period_in_days,
            w.policy_name,
            w.tag_keys,
            w.signing_algorithm,
            w.message_type,
            w.mac_algorithm,
            w.key_pair_spec,
            w.key_agreement_algorithm,
            w.encapsulation_algorithm,
            w.wrapping_algorithm,
            w.wrapping_key_spec,
            w.expiration_model,
            w.valid_to,
            w.import_type,
            w.key_material_id,
            w.grantee_principal,
            w.retiring_principal,
            w.operations,
            w.grant_id,
            w.name,
            w.dry_run,
            w.limit,
        ];
        let members = WHITELIST
            .iter()
            .zip(values)
            .filter_map(|((_, logged), value)| Some((*logged, value?)))
            .collect();
        Self {
            members: Some(members),
            key_refs,
        }
    }
}

/// The audit log writer handle.
#[derive(Debug, Default)]
pub struct AuditLog {
    /// The writer's inbox; `None` when disabled.
    sender: Option<SyncSender<AuditEvent>>,
    /// Events discarded because the channel was full (or the writer gone).
    dropped: Arc<AtomicU64>,
    /// The writer thread, joined on drop so every accepted event reaches the output.
    writer: Option<JoinHandle<()>>,
    /// The last [`RECENT_CAPACITY`] lines written, newest last, for the dashboard. Only the
    /// writer thread adds to it, so the request path never takes its lock.
    recent: Arc<Mutex<VecDeque<String>>>,
}

/// How many of the latest lines [`AuditLog::recent`] keeps.
pub const RECENT_CAPACITY: usize = 100;

impl AuditLog {
    /// No audit log.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// An audit log writing to `path` (`-` for stdout). A file is created if missing and
    /// appended to otherwise.
    pub fn open(path: &str) -> std::io::Result<Self> {
        let out: Box<dyn Write + Send> = if path == "-" {
            Box::new(std::io::stdout())
        } else {
            Box::new(OpenOptions::new().create(true).append(true).open(path)?)
        };
        Self::from_writer(out)
    }

    /// An audit log writing to `out` on a dedicated thread.
    pub fn from_writer(out: Box<dyn Write + Send>) -> std::io::Result<Self> {
        let (sender, receiver) = sync_channel(CHANNEL_CAPACITY);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&dropped);
        let recent = Arc::new(Mutex::new(VecDeque::with_capacity(RECENT_CAPACITY)));
        let kept = Arc::clone(&recent);
        let writer = std::thread::Builder::new()
            .name("kms-audit-log".into())
            .spawn(move || write_loop(&receiver, BufWriter::new(out), &counter, &kept))?;
        Ok(Self {
            sender: Some(sender),
            dropped,
            writer: Some(writer),
            recent,
        })
    }

    /// The latest lines written (at most [`RECENT_CAPACITY`]), oldest first: what the log
    /// holds, so no more than it does.
    pub fn recent(&self) -> Vec<String> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.iter().cloned().collect()
    }

    /// Whether events are recorded.
    pub fn is_enabled(&self) -> bool {
        self.sender.is_some()
    }

    /// Hands one event to the writer without blocking the request. When the writer is behind
    /// by [`CHANNEL_CAPACITY`] events, the event is dropped and counted instead.
    pub fn record(&self, event: AuditEvent) {
        let Some(sender) = &self.sender else { return };
        match sender.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// How many events were dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for AuditLog {
    /// Closes the channel and waits for the writer to drain and flush it.
    fn drop(&mut self) {
        self.sender = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The writer thread: formats and writes every event, flushing when the inbox is empty.
fn write_loop(
    receiver: &Receiver<AuditEvent>,
    mut out: impl Write,
    dropped: &AtomicU64,
    recent: &Mutex<VecDeque<String>>,
) {
    let mut reported_drops = 0;
    let mut failed = false;
    let mut line = Vec::with_capacity(1024);
    loop {
        let event = match receiver.try_recv() {
            Ok(event) => event,
            Err(TryRecvError::Empty) => {
                if let Err(e) = out.flush() {
                    report_failure(&mut failed, &e);
                }
                let now_dropped = dropped.load(Ordering::Relaxed);
                if now_dropped > reported_drops {
                    tracing::warn!(
                        dropped = now_dropped - reported_drops,
                        total = now_dropped,
                        "audit log writer fell behind; events dropped"
                    );
                    reported_drops = now_dropped;
                }
                match receiver.recv() {
                    Ok(event) => event,
                    Err(_) => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        line.clear();
        // The event ID GetKeyLastUsage reports for the same request.
        let event_id = kms_api::key::usage::cloudtrail_event_id(event.request_id);
        if write_line(&mut line, &event, event_id).is_err() {
            continue;
        }
        {
            let mut recent = recent.lock().unwrap_or_else(|e| e.into_inner());
            if recent.len() == RECENT_CAPACITY {
                recent.pop_front();
            }
            recent.push_back(String::from_utf8_lossy(&line).into_owned());
        }
        line.push(b'\n');
        match out.write_all(&line) {
            Ok(()) => failed = false,
            Err(e) => report_failure(&mut failed, &e),
        }
    }
    if let Err(e) = out.flush() {
        report_failure(&mut failed, &e);
    }
}

/// Logs a write failure once per run of failures.
fn report_failure(failed: &mut bool, error: &std::io::Error) {
    if !*failed {
        tracing::warn!(%error, "cannot write the audit log");
        *failed = true;
    }
}

// ----------------------------------------------------------------------------------------------
// Formatting
// ----------------------------------------------------------------------------------------------

/// Request members that may be logged: (KMS wire name, CloudTrail name). Everything else —
/// `Plaintext`, `CiphertextBlob`, `Policy`, tag values, grant tokens, ... — never is.
const WHITELIST: [(&str, &str); 36] = [
    ("KeyId", "keyId"),
    ("EncryptionContext", "encryptionContext"),
    ("KeySpec", "keySpec"),
    ("NumberOfBytes", "numberOfBytes"),
    ("EncryptionAlgorithm", "encryptionAlgorithm"),
    ("DestinationKeyId", "destinationKeyId"),
    ("SourceKeyId", "sourceKeyId"),
    (
        "DestinationEncryptionContext",
        "destinationEncryptionContext",
    ),
    ("SourceEncryptionContext", "sourceEncryptionContext"),
    ("AliasName", "aliasName"),
    ("TargetKeyId", "targetKeyId"),
    ("Description", "description"),
    ("KeyUsage", "keyUsage"),
    ("PendingWindowInDays", "pendingWindowInDays"),
    ("RotationPeriodInDays", "rotationPeriodInDays"),
    ("PolicyName", "policyName"),
    ("TagKeys", "tagKeys"),
    ("SigningAlgorithm", "signingAlgorithm"),
    ("MessageType", "messageType"),
    ("MacAlgorithm", "macAlgorithm"),
    ("KeyPairSpec", "keyPairSpec"),
    ("KeyAgreementAlgorithm", "keyAgreementAlgorithm"),
    ("EncapsulationAlgorithm", "encapsulationAlgorithm"),
    // Import: the wrapping choices and the expiry, never the token or the wrapped material.
    ("WrappingAlgorithm", "wrappingAlgorithm"),
    ("WrappingKeySpec", "wrappingKeySpec"),
    ("ExpirationModel", "expirationModel"),
    ("ValidTo", "validTo"),
    ("ImportType", "importType"),
    ("KeyMaterialId", "keyMaterialId"),
    // Grants: who and what, as CloudTrail shows them; never a grant token.
    ("GranteePrincipal", "granteePrincipal"),
    ("RetiringPrincipal", "retiringPrincipal"),
    ("Operations", "operations"),
    ("GrantId", "grantId"),
    ("Name", "name"),
    ("DryRun", "dryRun"),
    ("Limit", "limit"),
];

/// Whitelisted request parameters, in whitelist order.
struct Params<'a>(&'a [(&'static str, Value)]);

impl Serialize for Params<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<&'a str>,
    account_id: &'a str,
    access_key_id: Option<&'a str>,
}

#[derive(Serialize)]
struct Resource<'a> {
    #[serde(rename = "accountId")]
    account_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "ARN")]
    arn: String,
}

/// One CloudTrail KMS event, fields in CloudTrail's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    event_version: &'static str,
    user_identity: UserIdentity<'a>,
    event_time: String,
    event_source: &'static str,
    event_name: &'static str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress", skip_serializing_if = "Option::is_none")]
    source_ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    request_parameters: Option<Params<'a>>,
    response_elements: Option<()>,
    #[serde(rename = "requestID")]
    request_id: String,
    #[serde(rename = "eventID")]
    event_id: String,
    read_only: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resources: Vec<Resource<'a>>,
    event_type: &'static str,
    management_event: bool,
    recipient_account_id: &'a str,
    event_category: &'static str,
}

/// Formats `event` as one JSON object (without the newline) into `out`.
fn write_line(
    out: &mut Vec<u8>,
    event: &AuditEvent,
    event_id: uuid::Uuid,
) -> serde_json::Result<()> {
    let scope = &event.scope;
    let account = scope.account();
    let request_parameters = event.params.members.as_deref().map(Params);
    let mut resources: Vec<Resource<'_>> = Vec::new();
    for id in &event.params.key_refs {
        if let Some(arn) = key_arn(scope, id) {
            if !resources.iter().any(|r| r.arn == arn) {
                resources.push(Resource {
                    account_id: account,
                    kind: "AWS::KMS::Key",
                    arn,
                });
            }
        }
    }
    let line = Line {
        event_version: "1.08",
        user_identity: UserIdentity {
            kind: event
                .principal
                .as_ref()
                .map_or("IAMUser", |p| p.kind().cloudtrail_type()),
            principal_id: event.principal.as_ref().map(|p| p.identity.user_id()),
            arn: event.principal.as_ref().map(|p| p.arn.as_str()),
            account_id: account,
            access_key_id: event.access_key_id.as_deref(),
        },
        event_time: event.time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        event_source: "kms.amazonaws.com",
        event_name: event.operation.map_or("Unknown", Operation::name),
        aws_region: scope.region(),
        source_ip_address: event.source_ip.map(|ip| ip.to_string()),
        user_agent: event.user_agent.as_deref(),
        // CloudTrail records an authorization failure as `AccessDenied`.
        error_code: event.error_code.map(|c| match c {
            "AccessDeniedException" => "AccessDenied",
            other => other,
        }),
        error_message: event.error_message.as_deref(),
        request_parameters,
        response_elements: None,
        request_id: event.request_id.hyphenated().to_string(),
        event_id: event_id.hyphenated().to_string(),
        read_only: event.operation.is_some_and(is_read_only),
        resources,
        event_type: "AwsApiCall",
        management_event: !event.operation.is_some_and(is_cryptographic),
        recipient_account_id: account,
        event_category: "Management",
    };
    serde_json::to_writer(out, &line)
}

/// `Describe*`, `Get*` and `List*` calls.
fn is_read_only(op: Operation) -> bool {
    let name = op.name();
    ["Describe", "Get", "List"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// Cryptographic operations, which CloudTrail records as non-management events.
fn is_cryptographic(op: Operation) -> bool {
    use Operation as O;
    matches!(
        op,
        O::Encrypt
            | O::Decrypt
            | O::ReEncrypt
            | O::GenerateDataKey
            | O::GenerateDataKeyWithoutPlaintext
            | O::GenerateDataKeyPair
            | O::GenerateDataKeyPairWithoutPlaintext
            | O::GenerateRandom
            | O::GenerateMac
            | O::VerifyMac
            | O::Sign
            | O::Verify
            | O::DeriveSharedSecret
            | O::Encapsulate
            | O::Decapsulate
    )
}

/// The key ARN named by a key identifier: a key ARN as is, a key ID (UUID or `mrk-` ID) in the
/// caller's account and Region; `None` for aliases and anything else.
fn key_arn(scope: &Scope, id: &str) -> Option<String> {
    if id.starts_with("arn:") {
        let resource = id.splitn(6, ':').nth(5)?;
        return resource.starts_with("key/").then(|| id.to_owned());
    }
    if is_key_id(id) {
        return Some(format!(
            "arn:{}:kms:{}:{}:key/{id}",
            scope.partition(),
            scope.region(),
            scope.account()
        ));
    }
    None
}

/// A hyphenated UUID or a multi-Region key ID (`mrk-` and 32 hex digits).
fn is_key_id(id: &str) -> bool {
    if let Some(hex) = id.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    id.len() == 36 && uuid::Uuid::try_parse(id).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const SECRET_B64: &str = "dG9wIHNlY3JldCBhdWRpdCBwbGFpbnRleHQ="; // "top secret audit plaintext"

    fn event(op: Option<Operation>, body: &str, error: Option<&'static str>) -> AuditEvent {
        AuditEvent {
            time: DateTime::parse_from_rfc3339("2024-05-06T07:08:09.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            operation: op,
            scope: Scope::new("111122223333", "eu-west-1"),
            access_key_id: Some("AKIDEXAMPLE".into()),
            principal: None,
            request_id: uuid::Uuid::parse_str("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0").unwrap(),
            error_code: error,
            error_message: None,
            source_ip: None,
            user_agent: None,
            params: RequestParameters::from_body(body.as_bytes()),
        }
    }

    fn format(event: &AuditEvent) -> (String, Value) {
        let mut out = Vec::new();
        let id = uuid::Uuid::parse_str("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee").unwrap();
        write_line(&mut out, event, id).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\n'), "one line: {text}");
        let value = serde_json::from_str(&text).unwrap();
        (text, value)
    }

    #[test]
    fn audit_line_has_cloudtrail_shape() {
        let body = format!(
            r#"{{"KeyId":"{KEY}","Plaintext":"{SECRET_B64}","EncryptionContext":{{"purpose":"test"}}}}"#
        );
        let (text, v) = format(&event(Some(Operation::Encrypt), &body, None));
        let expected = serde_json::json!({
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "IAMUser",
                "accountId": "111122223333",
                "accessKeyId": "AKIDEXAMPLE",
            },
            "eventTime": "2024-05-06T07:08:09Z",
            "eventSource": "kms.amazonaws.com",
            "eventName": "Encrypt",
            "awsRegion": "eu-west-1",
            "requestParameters": {"keyId": KEY, "encryptionContext": {"purpose": "test"}},
            "responseElements": null,
            "requestID": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "eventID": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "readOnly": false,
            "resources": [{
                "accountId": "111122223333",
                "type": "AWS::KMS::Key",
                "ARN": format!("arn:aws:kms:eu-west-1:111122223333:key/{KEY}"),
            }],
            "eventType": "AwsApiCall",
            "managementEvent": false,
            "recipientAccountId": "111122223333",
            "eventCategory": "Management",
        });
        assert_eq!(v, expected);
        // Field order follows CloudTrail's.
        assert!(text.starts_with(r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser""#));
        assert!(
            text.ends_with(r#""recipientAccountId":"111122223333","eventCategory":"Management"}"#)
        );
        assert!(!text.contains("errorCode"));
    }

    #[test]
    fn a_known_principal_is_named_by_its_arn_and_kind() {
        let mut e = event(
            Some(Operation::Decrypt),
            "{}",
            Some("AccessDeniedException"),
        );
        let role = crate::auth::Principal::parse_short(
            "ASIAROLE:role-secret:arn:aws:sts::111122223333:assumed-role/Reader/ci",
        )
        .unwrap();
        let principal_id = role.identity.user_id().to_owned();
        assert!(
            principal_id.starts_with("AROA") && principal_id.ends_with(":ci"),
            "{principal_id}"
        );
        e.principal = Some(std::sync::Arc::new(role));
        let (text, v) = format(&e);
        assert_eq!(
            v["userIdentity"],
            serde_json::json!({
                "type": "AssumedRole",
                "principalId": principal_id,
                "arn": "arn:aws:sts::111122223333:assumed-role/Reader/ci",
                "accountId": "111122223333",
                "accessKeyId": "AKIDEXAMPLE",
            })
        );
        assert!(!text.contains("role-secret"));
        // CloudTrail's order within userIdentity.
        assert!(text.contains(r#""userIdentity":{"type":"AssumedRole","principalId":"AROA"#));
    }

    #[test]
    fn signing_and_mac_requests_log_their_algorithms_never_their_messages() {
        let body = format!(
            r#"{{"KeyId":"{KEY}","Message":"{SECRET_B64}","MessageType":"DIGEST","SigningAlgorithm":"ECDSA_SHA_256","Signature":"c2lnbmF0dXJl"}}"#
        );
        let (text, v) = format(&event(Some(Operation::Verify), &body, None));
        assert_eq!(
            v["requestParameters"],
            serde_json::json!({"keyId": KEY, "signingAlgorithm": "ECDSA_SHA_256", "messageType": "DIGEST"})
        );
        assert!(
            !text.contains(SECRET_B64) && !text.contains("c2lnbmF0dXJl"),
            "{text}"
        );
        let body = format!(
            r#"{{"KeyId":"{KEY}","Message":"{SECRET_B64}","MacAlgorithm":"HMAC_SHA_256","Mac":"bWFj"}}"#
        );
        let (text, v) = format(&event(Some(Operation::VerifyMac), &body, None));
        assert_eq!(v["requestParameters"]["macAlgorithm"], "HMAC_SHA_256");
        assert!(
            !text.contains(SECRET_B64) && !text.contains("bWFj"),
            "{text}"
        );
    }

    #[test]
    fn import_requests_log_their_choices_never_their_token_or_material() {
        let body = format!(
            r#"{{"KeyId":"{KEY}","ImportToken":"dG9rZW4tc2VjcmV0","EncryptedKeyMaterial":"{SECRET_B64}","ExpirationModel":"KEY_MATERIAL_EXPIRES","ValidTo":1800000000,"ImportType":"NEW_KEY_MATERIAL","KeyMaterialDescription":"d"}}"#
        );
        let (text, v) = format(&event(Some(Operation::ImportKeyMaterial), &body, None));
        assert_eq!(
            v["requestParameters"],
            serde_json::json!({"keyId": KEY, "expirationModel": "KEY_MATERIAL_EXPIRES",
                "validTo": 1800000000, "importType": "NEW_KEY_MATERIAL"})
        );
        assert!(
            !text.contains("dG9rZW4tc2VjcmV0") && !text.contains(SECRET_B64),
            "{text}"
        );
        let body = format!(
            r#"{{"KeyId":"{KEY}","WrappingAlgorithm":"RSA_AES_KEY_WRAP_SHA_256","WrappingKeySpec":"RSA_4096"}}"#
        );
        let (_, v) = format(&event(Some(Operation::GetParametersForImport), &body, None));
        assert_eq!(
            v["requestParameters"]["wrappingAlgorithm"],
            "RSA_AES_KEY_WRAP_SHA_256"
        );
        assert_eq!(v["requestParameters"]["wrappingKeySpec"], "RSA_4096");
    }

    #[test]
    fn audit_never_logs_plaintext_or_other_members() {
        let body = format!(
            r#"{{"KeyId":"alias/app","Plaintext":"{SECRET_B64}","CiphertextBlob":"Y2lwaGVy",
                "Policy":"{{\"Statement\":[]}}","Tags":[{{"TagKey":"k","TagValue":"tag-value-secret"}}],
                "GrantTokens":["grant-token-secret"],"NumberOfBytes":32,"DryRun":true,"Limit":5,
                "TagKeys":["k"],"PolicyName":"default","Description":"d"}}"#
        );
        let (text, v) = format(&event(Some(Operation::Encrypt), &body, None));
        for secret in [
            SECRET_B64,
            "Y2lwaGVy",
            "Statement",
            "tag-value-secret",
            "grant-token-secret",
        ] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
        assert!(!text.contains("Plaintext") && !text.contains("plaintext"));
        assert_eq!(
            v["requestParameters"],
            serde_json::json!({
                "keyId": "alias/app", "numberOfBytes": 32, "dryRun": true, "limit": 5,
                "tagKeys": ["k"], "policyName": "default", "description": "d",
            })
        );
        // An alias names no key resource.
        assert!(v.get("resources").is_none());
    }

    #[test]
    fn audit_error_fields_and_flags() {
        let body = format!(r#"{{"KeyId":"{KEY}","CiphertextBlob":"AAAA"}}"#);
        let (text, v) = format(&event(
            Some(Operation::Decrypt),
            &body,
            Some("InvalidCiphertextException"),
        ));
        assert_eq!(v["errorCode"], "InvalidCiphertextException");
        assert!(
            v.get("errorMessage").is_none(),
            "an empty message is left out"
        );
        assert!(!text.contains("AAAA"));
        assert_eq!(v["requestParameters"], serde_json::json!({"keyId": KEY}));

        let mut denied = event(
            Some(Operation::Decrypt),
            "{}",
            Some("AccessDeniedException"),
        );
        denied.error_message =
            Some("User: arn:aws:iam::111122223333:user/bob is not authorized".into());
        denied.source_ip = Some("127.0.0.1".parse().unwrap());
        denied.user_agent = Some("Boto3/1.40.0 md/Botocore#1.40.0".into());
        let (text, v) = format(&denied);
        assert_eq!(v["errorCode"], "AccessDenied");
        assert_eq!(
            v["errorMessage"],
            "User: arn:aws:iam::111122223333:user/bob is not authorized"
        );
        assert_eq!(v["sourceIPAddress"], "127.0.0.1");
        assert_eq!(v["userAgent"], "Boto3/1.40.0 md/Botocore#1.40.0");
        // CloudTrail's order: ... awsRegion, sourceIPAddress, userAgent, errorCode, errorMessage,
        // requestParameters ...
        let at = |field: &str| text.find(&format!("\"{field}\"")).unwrap();
        assert!(at("awsRegion") < at("sourceIPAddress"));
        assert!(at("sourceIPAddress") < at("userAgent"));
        assert!(at("userAgent") < at("errorCode"));
        assert!(at("errorCode") < at("errorMessage"));
        assert!(at("errorMessage") < at("requestParameters"));

        let (_, v) = format(&event(Some(Operation::DescribeKey), "{}", None));
        assert_eq!(
            (v["readOnly"].clone(), v["managementEvent"].clone()),
            (true.into(), true.into())
        );
        assert_eq!(v["requestParameters"], serde_json::json!({}));
        assert!(v.get("errorCode").is_none());

        let (_, v) = format(&event(Some(Operation::CreateKey), "{}", None));
        assert_eq!(
            (v["readOnly"].clone(), v["managementEvent"].clone()),
            (false.into(), true.into())
        );

        let (_, v) = format(&event(None, "", Some("UnknownOperationException")));
        assert_eq!(v["eventName"], "Unknown");
        assert_eq!(v["errorCode"], "UnknownOperationException");
        assert_eq!(v["requestParameters"], Value::Null);

        let mut anonymous = event(
            Some(Operation::GenerateRandom),
            r#"{"NumberOfBytes":8}"#,
            None,
        );
        anonymous.access_key_id = None;
        let (_, v) = format(&anonymous);
        assert_eq!(v["userIdentity"]["accessKeyId"], Value::Null);
        assert_eq!(v["managementEvent"], false);
    }

    #[test]
    fn an_event_keeps_nothing_of_the_plaintext() {
        let body = format!(
            r#"{{"KeyId":"{KEY}","Plaintext":"{SECRET_B64}","Policy":"{SECRET_B64}","EncryptionContext":{{"a":"b"}}}}"#
        );
        let event = event(Some(Operation::Encrypt), &body, None);
        let held = format!("{event:?}");
        assert!(!held.contains(SECRET_B64), "{held}");
        assert!(
            held.contains(KEY),
            "the whitelisted members are kept: {held}"
        );
    }

    #[test]
    fn audit_key_arns() {
        let scope = Scope::new("111122223333", "cn-north-1");
        assert_eq!(
            key_arn(&scope, KEY).as_deref(),
            Some(format!("arn:aws-cn:kms:cn-north-1:111122223333:key/{KEY}").as_str())
        );
        let gov = Scope::new("111122223333", "us-gov-west-1");
        assert!(
            key_arn(&gov, KEY)
                .unwrap()
                .starts_with("arn:aws-us-gov:kms:us-gov-west-1:")
        );
        let mrk = "mrk-1234abcd12ab34cd56ef1234567890ab";
        assert!(
            key_arn(&scope, mrk)
                .unwrap()
                .ends_with(":key/mrk-1234abcd12ab34cd56ef1234567890ab")
        );
        let arn = format!("arn:aws:kms:us-east-1:000000000042:key/{KEY}");
        assert_eq!(key_arn(&scope, &arn), Some(arn));
        assert_eq!(key_arn(&scope, "alias/app"), None);
        assert_eq!(
            key_arn(&scope, "arn:aws:kms:us-east-1:000000000042:alias/app"),
            None
        );
        assert_eq!(key_arn(&scope, "not-a-key"), None);

        // ReEncrypt names both keys.
        let other = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000001";
        let body = format!(r#"{{"SourceKeyId":"{KEY}","DestinationKeyId":"{other}"}}"#);
        let (_, v) = format(&event(Some(Operation::ReEncrypt), &body, None));
        let arns: Vec<&str> = v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ARN"].as_str().unwrap())
            .collect();
        assert_eq!(
            arns,
            [
                format!("arn:aws:kms:eu-west-1:111122223333:key/{KEY}").as_str(),
                other
            ]
        );
    }

    #[test]
    fn audit_log_writes_lines_and_flushes_on_drop() {
        let dir = std::env::temp_dir().join(format!("kms-audit-unit-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        let path_str = path.to_str().unwrap();
        std::fs::write(&path, "existing\n").unwrap();
        let log = AuditLog::open(path_str).unwrap();
        assert!(log.is_enabled());
        let body = format!(r#"{{"KeyId":"{KEY}","Plaintext":"{SECRET_B64}"}}"#);
        for _ in 0..3 {
            log.record(event(Some(Operation::Encrypt), &body, None));
        }
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0], "existing");
        for line in &lines[1..] {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["eventName"], "Encrypt");
        }
        assert!(!text.contains(SECRET_B64));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn audit_disabled_records_nothing() {
        let log = AuditLog::disabled();
        assert!(!log.is_enabled());
        log.record(event(None, "", None));
        assert_eq!(log.dropped(), 0);
    }

    #[test]
    fn audit_full_channel_drops_instead_of_blocking() {
        /// A writer stuck until released.
        struct Gate(std::sync::mpsc::Receiver<()>);
        impl Write for Gate {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let _ = self.0.recv();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (release, gate) = std::sync::mpsc::channel();
        let log = AuditLog::from_writer(Box::new(Gate(gate))).unwrap();
        // The BufWriter only writes through once its buffer fills or on flush, and the writer
        // flushes whenever the channel is empty, so the gate blocks it on the first event.
        let extra = 1000;
        for _ in 0..CHANNEL_CAPACITY + extra {
            log.record(event(Some(Operation::ListKeys), "{}", None));
        }
        let dropped = log.dropped();
        // The writer holds at most a BufWriter's worth of events (~20) before blocking.
        assert!(dropped >= extra as u64 - 100, "dropped {dropped}");
        drop(release);
        drop(log);
    }
}
