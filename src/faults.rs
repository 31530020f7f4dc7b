//! Fault injection for resilience tests (outside AWS's API surface): rules that make matching
//! requests fail with an AWS error and/or answer late.
//!
//! - `PUT /_kms/faults` with `{"rules": [...]}` (or a bare array) replaces the active rules,
//!   all or nothing: one invalid rule is a 400 `{"message": ...}` and changes nothing.
//! - `GET /_kms/faults` lists them, `DELETE /_kms/faults` clears them; all three answer
//!   `{"rules": [...]}` as stored (normalized).
//!
//! A rule:
//!
//! | field        | meaning                                                                   |
//! |--------------|---------------------------------------------------------------------------|
//! | `operation`  | required: an operation name such as `"Decrypt"`, or `"*"` for every one  |
//! | `key_id`     | optional: only requests whose `KeyId` (or `SourceKeyId`, `DestinationKeyId`, `TargetKeyId`) is this, or an ARN ending in `/<key_id>` |
//! | `probability`| `0.0..=1.0`, default `1.0`                                                 |
//! | `error`      | optional AWS exception name, e.g. `KMSInternalException`                  |
//! | `message`    | optional text for `error`; exceptions whose text AWS fixes (`ThrottlingException`, ...) reject a different one |
//! | `latency_ms` | optional delay before answering, `0..=60000`                               |
//!
//! A rule needs `error` and/or a non-zero `latency_ms`. For each request the first rule that
//! matches it and whose probability draw succeeds decides its fate; later rules are not
//! consulted. With no rules the check is one relaxed atomic load.

use std::borrow::Cow;
use std::cell::Cell;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kms_api::{KmsError, Operation};
use serde_json::{Map, Value, json};

use crate::AppState;

/// The longest latency a rule may add.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// The most rules one `PUT` may set.
pub const MAX_RULES: usize = 1_000;
/// The message of an injected error when the rule gives none.
pub const DEFAULT_MESSAGE: &str = "Fault injected by kms-emulator (/_kms/faults).";

/// What to do to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultDecision {
    /// Wait this long before answering.
    pub latency: Option<Duration>,
    /// Answer this error instead of running the operation.
    pub error: Option<KmsError>,
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `None` matches every operation (`"*"`).
    operation: Option<Operation>,
    key_id: Option<String>,
    probability: f64,
    error: Option<KmsError>,
    latency: Option<Duration>,
}

impl Rule {
    /// Parses and validates one rule object; the error names the problem.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let Value::Object(obj) = value else {
            return Err(format!("a rule must be a JSON object, got {value}"));
        };
        if let Some(unknown) = obj.keys().find(|k| {
            !matches!(
                k.as_str(),
                "operation" | "key_id" | "probability" | "error" | "message" | "latency_ms"
            )
        }) {
            return Err(format!(
                "unknown field {unknown:?}; a rule takes operation, key_id, probability, \
                 error, message and latency_ms"
            ));
        }
        let text = |name: &str| -> Result<Option<&str>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(other) => Err(format!("{name} must be a string, got {other}")),
            }
        };
        let operation = match text("operation")? {
            None => return Err("operation is required (an operation name or \"*\")".into()),
            Some("*") => None,
            Some(name) => Some(Operation::from_name(name).ok_or_else(|| {
                format!("operation {name:?} is not a KMS operation name (or \"*\")")
            })?),
        };
        let key_id = match text("key_id")? {
            Some("") => return Err("key_id must not be empty".into()),
            other => other.map(str::to_owned),
        };
        let probability = match obj.get("probability") {
            None | Some(Value::Null) => 1.0,
            Some(v) => match v.as_f64() {
                Some(p) if (0.0..=1.0).contains(&p) => p,
                _ => {
                    return Err(format!(
                        "probability must be a number from 0.0 to 1.0, got {v}"
                    ));
                }
            },
        };
        let message = text("message")?;
        let error = match text("error")? {
            None if message.is_some() => {
                return Err("message needs error (the exception it goes with)".into());
            }
            None => None,
            Some(name) => Some(build_error(name, message)?),
        };
        let latency = match obj.get("latency_ms") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(0) => None,
                Some(ms) if ms <= MAX_LATENCY_MS => Some(Duration::from_millis(ms)),
                _ => {
                    return Err(format!(
                        "latency_ms must be an integer from 0 to {MAX_LATENCY_MS}, got {v}"
                    ));
                }
            },
        };
        if error.is_none() && latency.is_none() {
            return Err("a rule needs error and/or a non-zero latency_ms".into());
        }
        Ok(Self {
            operation,
            key_id,
            probability,
            error,
            latency,
        })
    }

    /// The rule as stored, in the shape `PUT` takes.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert(
            "operation".into(),
            json!(self.operation.map_or("*", Operation::name)),
        );
        if let Some(key_id) = &self.key_id {
            out.insert("key_id".into(), json!(key_id));
        }
        out.insert("probability".into(), json!(self.probability));
        if let Some(err) = &self.error {
            out.insert("error".into(), json!(err.aws_type()));
            out.insert("message".into(), json!(stored_message(err)));
        }
        if let Some(latency) = self.latency {
            out.insert("latency_ms".into(), json!(latency.as_millis() as u64));
        }
        Value::Object(out)
    }

    /// Whether the rule applies to `op` (ignoring key IDs).
    fn matches_operation(&self, op: Operation) -> bool {
        self.operation.is_none_or(|o| o == op)
    }

    /// Whether the rule applies to a request naming `ids`.
    fn matches_keys(&self, ids: &RequestKeyIds<'_>) -> bool {
        match &self.key_id {
            None => true,
            Some(want) => ids.iter().any(|id| key_matches(id, want)),
        }
    }

    fn decision(&self) -> FaultDecision {
        FaultDecision {
            latency: self.latency,
            error: self.error.clone(),
        }
    }
}

/// The error called `name` with `message` (or a default). Exceptions whose text AWS fixes
/// (e.g. `ThrottlingException`) reject a different message rather than silently drop it.
fn build_error(name: &str, message: Option<&str>) -> Result<KmsError, String> {
    let Some(probe) = KmsError::from_aws_type(name, "\u{0}") else {
        return Err(format!(
            "error {name:?} is not an AWS KMS exception name this emulator knows \
             (e.g. KMSInternalException, DependencyTimeoutException, KeyUnavailableException, \
             ThrottlingException, NotFoundException)"
        ));
    };
    let fixed = probe.message() != "\u{0}" && !matches!(probe, KmsError::Internal(_));
    if fixed {
        if let Some(m) = message {
            if m != probe.message() {
                return Err(format!(
                    "{name} always carries AWS's own message ({:?}); omit message",
                    probe.message()
                ));
            }
        }
    }
    Ok(
        KmsError::from_aws_type(name, message.unwrap_or(DEFAULT_MESSAGE))
            .unwrap_or(KmsError::Internal(DEFAULT_MESSAGE.into())),
    )
}

/// The message to list for `err`: the text given at `PUT` (for `KMSInternalException`, the
/// detail logged by the server; clients get AWS's generic text), else what clients receive.
fn stored_message(err: &KmsError) -> &str {
    match err {
        KmsError::Internal(detail) => detail,
        other => other.message(),
    }
}

/// Whether a request's key identifier `id` names the rule's `want`: equal, or one is an ARN
/// whose resource part ends with the other (`.../key/<id>`, `...:alias/<name>`).
fn key_matches(id: &str, want: &str) -> bool {
    fn ends_at_separator(long: &str, short: &str) -> bool {
        long.starts_with("arn:")
            && long.len() > short.len()
            && long.ends_with(short)
            && matches!(long.as_bytes()[long.len() - short.len() - 1], b'/' | b':')
    }
    id == want || ends_at_separator(id, want) || ends_at_separator(want, id)
}

/// The key identifiers a request body names.
#[derive(Debug, Default, serde::Deserialize)]
struct RequestKeyIds<'a> {
    #[serde(rename = "KeyId", borrow, default)]
    key_id: Option<Cow<'a, str>>,
    #[serde(rename = "SourceKeyId", borrow, default)]
    source_key_id: Option<Cow<'a, str>>,
    #[serde(rename = "DestinationKeyId", borrow, default)]
    destination_key_id: Option<Cow<'a, str>>,
    #[serde(rename = "TargetKeyId", borrow, default)]
    target_key_id: Option<Cow<'a, str>>,
}

impl<'a> RequestKeyIds<'a> {
    fn parse(body: &'a [u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        [
            &self.key_id,
            &self.source_key_id,
            &self.destination_key_id,
            &self.target_key_id,
        ]
        .into_iter()
        .filter_map(|id| id.as_deref())
    }
}

/// The active fault rules.
#[derive(Debug, Default)]
pub struct Faults {
    /// Whether any rule is set: the lock-free fast path.
    active: AtomicBool,
    /// The rules, replaced whole on `PUT`; readers clone the `Arc` and drop the lock.
    rules: RwLock<Arc<Vec<Rule>>>,
}

impl Faults {
    /// What to do to a request for `op` with `body`, or `None` to leave it alone.
    pub fn decide(&self, op: Operation, body: &[u8]) -> Option<FaultDecision> {
        if !self.active.load(Ordering::Relaxed) {
            return None;
        }
        let rules = self.snapshot();
        // The body is parsed at most once, and only when a rule for `op` has a key_id.
        let mut ids: Option<RequestKeyIds<'_>> = None;
        for rule in rules.iter().filter(|r| r.matches_operation(op)) {
            if rule.key_id.is_some() {
                let ids = ids.get_or_insert_with(|| RequestKeyIds::parse(body));
                if !rule.matches_keys(ids) {
                    continue;
                }
            }
            if draw(rule.probability) {
                return Some(rule.decision());
            }
        }
        None
    }

    /// Whether any rule is active.
    pub fn is_empty(&self) -> bool {
        !self.active.load(Ordering::Relaxed)
    }

    /// Replaces the rules.
    pub fn set(&self, rules: Vec<Rule>) {
        let rules = Arc::new(rules);
        let mut guard = self.rules.write().unwrap_or_else(|e| e.into_inner());
        self.active.store(!rules.is_empty(), Ordering::Relaxed);
        *guard = rules;
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.set(Vec::new());
    }

    /// The active rules, as stored.
    pub fn to_json(&self) -> Value {
        let rules = self.snapshot();
        json!({ "rules": rules.iter().map(Rule::to_json).collect::<Vec<_>>() })
    }

    /// Parses a `PUT` body: `{"rules": [...]}` or a bare array. Errors name the problem.
    pub fn parse(body: &[u8]) -> Result<Vec<Rule>, String> {
        let doc: Value = serde_json::from_slice(body).map_err(|e| {
            format!("request body must be JSON: {{\"rules\": [...]}} or an array of rules ({e})")
        })?;
        let items = match &doc {
            Value::Array(items) => items,
            Value::Object(obj) => {
                if let Some(k) = obj.keys().find(|k| k.as_str() != "rules") {
                    return Err(format!(
                        "unknown field {k:?}; expected {{\"rules\": [...]}}"
                    ));
                }
                match obj.get("rules") {
                    Some(Value::Array(items)) => items,
                    Some(other) => return Err(format!("rules must be an array, got {other}")),
                    None => return Err("expected {\"rules\": [...]}".into()),
                }
            }
            other => {
                return Err(format!(
                    "expected {{\"rules\": [...]}} or an array of rules, got {other}"
                ));
            }
        };
        if items.len() > MAX_RULES {
            return Err(format!("at most {MAX_RULES} rules, got {}", items.len()));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Rule::from_json(item).map_err(|e| format!("rules[{i}]: {e}")))
            .collect()
    }

    fn snapshot(&self) -> Arc<Vec<Rule>> {
        Arc::clone(&self.rules.read().unwrap_or_else(|e| e.into_inner()))
    }
}

/// True with probability `p`: never for 0, always for 1.
fn draw(p: f64) -> bool {
    if p >= 1.0 {
        return true;
    }
    if p <= 0.0 {
        return false;
    }
    next_unit() < p
}

/// A uniform `f64` in `[0, 1)` from a thread-local xorshift64* generator seeded by the OS.
fn next_unit() -> f64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        let out = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (out >> 11) as f64 / (1u64 << 53) as f64
    })
}

fn seed() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x9E37_79B9_7F4A_7C15);
    hasher.finish() | 1
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "message": message }))).into_response()
}

/// `GET /_kms/faults`: `{"rules": [...]}`.
pub async fn get(State(state): State<AppState>) -> Response {
    Json(state.faults.to_json()).into_response()
}

/// `PUT /_kms/faults`: replaces the rules with the body's, or answers 400 and changes nothing.
pub async fn put(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    match Faults::parse(&body) {
        Ok(rules) => {
            tracing::info!(rules = rules.len(), "fault rules set");
            state.faults.set(rules);
            Json(state.faults.to_json()).into_response()
        }
        Err(message) => bad_request(message),
    }
}

/// `DELETE /_kms/faults`: removes every rule; answers `{"rules": []}`.
pub async fn delete(State(state): State<AppState>) -> Response {
    state.faults.clear();
    tracing::info!("fault rules cleared");
    Json(state.faults.to_json()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(v: Value) -> Vec<Rule> {
        Faults::parse(v.to_string().as_bytes()).expect("valid rules")
    }

    fn err(v: Value) -> String {
        Faults::parse(v.to_string().as_bytes()).expect_err("invalid rules")
    }

    fn faults(v: Value) -> Faults {
        let f = Faults::default();
        f.set(rules(v));
        f
    }

    fn code(d: Option<FaultDecision>) -> Option<&'static str> {
        d.and_then(|d| d.error).map(|e| e.aws_type())
    }

    #[test]
    fn parses_and_normalizes() {
        let r = rules(json!({"rules": [
            {"operation": "Decrypt", "error": "KMSInternalException"},
            {"operation": "*", "key_id": "k1", "probability": 0.5, "latency_ms": 20},
            {"operation": "Encrypt", "error": "ThrottlingException"},
        ]}));
        let out: Vec<Value> = r.iter().map(Rule::to_json).collect();
        assert_eq!(
            out,
            vec![
                json!({"operation": "Decrypt", "probability": 1.0,
                       "error": "KMSInternalException", "message": DEFAULT_MESSAGE}),
                json!({"operation": "*", "key_id": "k1", "probability": 0.5, "latency_ms": 20}),
                json!({"operation": "Encrypt", "probability": 1.0,
                       "error": "ThrottlingException",
                       "message": kms_api::error::THROTTLING_MESSAGE}),
            ]
        );
        // A bare array works too, and the normalized form parses back to the same rules.
        let again = rules(Value::Array(out));
        assert_eq!(again, r);
    }

    #[test]
    fn rejects_invalid_rules_naming_the_problem() {
        let cases = [
            (
                json!({"rules": [{"error": "KMSInternalException"}]}),
                "operation is required",
            ),
            (
                json!([{"operation": "Nope", "error": "KMSInternalException"}]),
                "\"Nope\"",
            ),
            (
                json!([{"operation": "Decrypt", "error": "NoSuchException"}]),
                "NoSuchException",
            ),
            (
                json!([{"operation": "Decrypt", "error": "KMSInternalException", "probability": 2}]),
                "probability",
            ),
            (
                json!([{"operation": "Decrypt", "error": "KMSInternalException", "probability": -0.1}]),
                "probability",
            ),
            (json!([{"operation": "Decrypt"}]), "error and/or"),
            (
                json!([{"operation": "Decrypt", "latency_ms": 0}]),
                "error and/or",
            ),
            (
                json!([{"operation": "Decrypt", "latency_ms": 60001}]),
                "latency_ms",
            ),
            (
                json!([{"operation": "Decrypt", "latency_ms": -5}]),
                "latency_ms",
            ),
            (
                json!([{"operation": "Decrypt", "latency": 5}]),
                "\"latency\"",
            ),
            (
                json!([{"operation": "Decrypt", "message": "x", "latency_ms": 5}]),
                "message needs error",
            ),
            (
                json!([{"operation": "Decrypt", "error": "ThrottlingException", "message": "slow"}]),
                "omit message",
            ),
            (json!({"rules": {}}), "rules must be an array"),
            (json!({"rule": []}), "\"rule\""),
            (json!(42), "expected"),
        ];
        for (input, needle) in cases {
            let e = err(input.clone());
            assert!(
                e.contains(needle),
                "{input}: {e:?} should mention {needle:?}"
            );
        }
        assert!(Faults::parse(b"not json").unwrap_err().contains("JSON"));
        // The index of the bad rule is named.
        let e = err(json!([
            {"operation": "Decrypt", "error": "KMSInternalException"},
            {"operation": "Decrypt", "error": "Bogus"},
        ]));
        assert!(e.starts_with("rules[1]"), "{e}");
    }

    #[test]
    fn custom_messages_and_status() {
        let f = faults(
            json!([{"operation": "Decrypt", "error": "NotFoundException", "message": "gone"}]),
        );
        let e = f.decide(Operation::Decrypt, b"{}").unwrap().error.unwrap();
        assert_eq!(
            (e.aws_type(), e.message(), e.http_status()),
            ("NotFoundException", "gone", 400)
        );
        let f = faults(json!([{"operation": "Decrypt", "error": "DependencyTimeoutException"}]));
        let e = f.decide(Operation::Decrypt, b"{}").unwrap().error.unwrap();
        assert_eq!((e.message(), e.http_status()), (DEFAULT_MESSAGE, 500));
    }

    #[test]
    fn empty_faults_leave_requests_alone() {
        let f = Faults::default();
        assert!(f.is_empty());
        assert_eq!(f.decide(Operation::Decrypt, b"{}"), None);
        f.set(rules(json!([{"operation": "*", "latency_ms": 1}])));
        assert!(!f.is_empty());
        f.clear();
        assert!(f.is_empty());
        assert_eq!(f.to_json(), json!({"rules": []}));
    }

    #[test]
    fn matches_by_operation() {
        let f = faults(json!([{"operation": "Decrypt", "error": "KMSInternalException"}]));
        assert_eq!(
            code(f.decide(Operation::Decrypt, b"{}")),
            Some("KMSInternalException")
        );
        assert_eq!(f.decide(Operation::Encrypt, b"{}"), None);
        let f = faults(json!([{"operation": "*", "latency_ms": 7}]));
        for op in [
            Operation::Encrypt,
            Operation::ListKeys,
            Operation::CreateKey,
        ] {
            assert_eq!(
                f.decide(op, b""),
                Some(FaultDecision {
                    latency: Some(Duration::from_millis(7)),
                    error: None
                })
            );
        }
    }

    #[test]
    fn matches_by_key_id() {
        let f = faults(
            json!([{"operation": "*", "key_id": "k-1", "error": "KeyUnavailableException"}]),
        );
        let hit = |body: &str| code(f.decide(Operation::Encrypt, body.as_bytes())).is_some();
        assert!(hit(r#"{"KeyId":"k-1","Plaintext":"AA=="}"#));
        assert!(hit(
            r#"{"KeyId":"arn:aws:kms:us-east-1:111122223333:key/k-1"}"#
        ));
        assert!(hit(r#"{"SourceKeyId":"x","DestinationKeyId":"k-1"}"#));
        assert!(hit(r#"{"TargetKeyId":"k-1"}"#));
        assert!(!hit(r#"{"KeyId":"k-10"}"#));
        assert!(!hit(r#"{"KeyId":"xk-1"}"#));
        assert!(!hit(
            r#"{"KeyId":"arn:aws:kms:us-east-1:111122223333:key/xk-1"}"#
        ));
        assert!(!hit(r#"{}"#));
        assert!(!hit("not json"));
        // Aliases and ARN rules.
        assert!(key_matches(
            "arn:aws:kms:us-east-1:1:alias/app",
            "alias/app"
        ));
        assert!(key_matches("k", "arn:aws:kms:us-east-1:1:key/k"));
        assert!(!key_matches("alias/app", "alias/app2"));
    }

    #[test]
    fn probability_zero_never_fires_and_one_always_does() {
        let never =
            faults(json!([{"operation": "*", "probability": 0, "error": "KMSInternalException"}]));
        let always = faults(
            json!([{"operation": "*", "probability": 1.0, "error": "KMSInternalException"}]),
        );
        for _ in 0..10_000 {
            assert_eq!(never.decide(Operation::Decrypt, b"{}"), None);
            assert!(always.decide(Operation::Decrypt, b"{}").is_some());
        }
        let half = faults(
            json!([{"operation": "*", "probability": 0.5, "error": "KMSInternalException"}]),
        );
        let fired = (0..10_000)
            .filter(|_| half.decide(Operation::Decrypt, b"{}").is_some())
            .count();
        assert!((3_000..7_000).contains(&fired), "fired {fired} of 10000");
    }

    #[test]
    fn first_match_wins() {
        let f = faults(json!([
            {"operation": "Encrypt", "error": "NotFoundException"},
            {"operation": "*", "probability": 0, "error": "AccessDeniedException"},
            {"operation": "*", "key_id": "special", "error": "DisabledException"},
            {"operation": "*", "error": "KMSInternalException"},
            {"operation": "Decrypt", "error": "ThrottlingException"},
        ]));
        assert_eq!(
            code(f.decide(Operation::Encrypt, br#"{"KeyId":"special"}"#)),
            Some("NotFoundException")
        );
        assert_eq!(
            code(f.decide(Operation::Decrypt, br#"{"KeyId":"special"}"#)),
            Some("DisabledException")
        );
        assert_eq!(
            code(f.decide(Operation::Decrypt, br#"{"KeyId":"other"}"#)),
            Some("KMSInternalException")
        );
    }
}
