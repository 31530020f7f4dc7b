//! The AWS JSON 1.1 protocol, both ways: `POST /` with `X-Amz-Target: TrentService.<Op>` in,
//! `application/x-amz-json-1.1` out, errors as `{"__type", "message"}`, and an
//! `x-amzn-RequestId` on every response. The handler never sees key material: it moves bytes
//! between the wire and [`kms_api::Kms::dispatch`].

use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use kms_api::{KmsError, Operation, Scope};

use std::sync::Arc;

use crate::audit::{AuditEvent, RequestParameters};
use crate::auth::{AuthError, Principal, Verified, sigv4};
use crate::credential::{access_key_id, scope_of};
use crate::throttle::{QuotaId, quota_for};
use crate::{AppState, regions};

/// The content type of every KMS request and response.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The request ID header the SDKs read.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// `POST /`: one KMS API call (or STS's GetCallerIdentity, [`crate::sts`]).
pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Body,
) -> Response {
    let target = headers.get("x-amz-target");
    // KMS requests name their target, so only the rare request without one is looked at again.
    if target.is_none() && crate::sts::is_sts_request(&headers) {
        return crate::sts::handle(State(state), method, uri, headers, body).await;
    }
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4();
    let operation = target
        .and_then(|v| v.to_str().ok())
        .and_then(Operation::from_target);
    let name = operation.map_or("unknown", Operation::name);
    let mut scope = scope_of(&headers, &state.config);
    // Without principals (the default) the header is not parsed a second time.
    let principals = state.config.auth.principals();
    // With verification the signature names the principal, so it is looked up only there.
    let verifies = state.config.auth.verifies();
    let mut principal = if principals.is_empty() || verifies {
        None
    } else {
        access_key_id(&headers).and_then(|id| principals.get(id))
    };
    let mut request_body = Bytes::new();
    let result = match operation {
        None if !verifies => Err(unknown_operation(&headers)),
        _ => match read_body(&state, &headers, body).await {
            Err(failure) => Err(failure),
            Ok(bytes) => {
                request_body = bytes;
                let verified = if verifies {
                    authenticate(&state, &method, &uri, &headers, &request_body).map(Some)
                } else {
                    Ok(None)
                };
                match (verified, operation) {
                    (Err(failure), _) => {
                        principal = None;
                        Err(failure)
                    }
                    (Ok(caller), op) => {
                        if let Some((caller, caller_scope)) = caller {
                            scope = caller_scope;
                            principal = Some(caller);
                        }
                        match op {
                            None => Err(unknown_operation(&headers)),
                            Some(op) => {
                                let caller = principal
                                    .filter(|_| state.config.auth.enforces())
                                    .map(|principal| Authorized {
                                        principal,
                                        source_ip: peer.as_ref().map(|p| p.0.0.ip()),
                                    });
                                let request = (started, request_id);
                                admit_and_run(&state, &scope, caller, op, &request_body, request)
                                    .await
                            }
                        }
                    }
                }
            }
        },
    };
    let mut error_message = None;
    let (status, body, error_code, close) = match result {
        Ok(body) => (StatusCode::OK, body, None, false),
        Err(failure) => {
            if let Some(detail) = &failure.fault {
                tracing::error!(%request_id, operation = name, error = %detail, "request failed");
            }
            if state.audit.is_enabled() && failure.auditable && !failure.message.is_empty() {
                error_message = Some(failure.message.chars().take(1024).collect());
            }
            (
                failure.status,
                error_body_of(failure.code, &failure.message),
                Some(failure.code),
                failure.close,
            )
        }
    };
    let elapsed = started.elapsed();
    state.metrics.request(operation, error_code, elapsed);
    state
        .traffic
        .request(started + elapsed, operation, error_code);
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!(
            %request_id,
            operation = name,
            key = key_named_in(&request_body).unwrap_or("-"),
            outcome = error_code.unwrap_or("ok"),
            latency_us = elapsed.as_micros() as u64,
            "request"
        );
    }
    if state.audit.is_enabled() {
        state.audit.record(AuditEvent {
            time: state.kms.now(),
            operation,
            access_key_id: access_key_id(&headers).map(str::to_owned),
            principal: principal.cloned(),
            scope,
            request_id,
            error_code,
            error_message,
            source_ip: peer.as_ref().map(|p| p.0.0.ip()),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(1024).collect()),
            params: RequestParameters::from_body(&request_body),
        });
    }
    let mut response = respond(status, body, request_id);
    if close {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// AWS's answer to a missing or unknown `X-Amz-Target`, with a log line that says which, as
/// the client's error does not.
fn unknown_operation(headers: &HeaderMap) -> Failure {
    match headers.get("x-amz-target") {
        None => tracing::info!(
            "UnknownOperationException: the request has no X-Amz-Target header (it must be TrentService.<Operation>)"
        ),
        Some(value) => {
            let text = String::from_utf8_lossy(value.as_bytes());
            let shown: String = text.chars().take(80).collect();
            tracing::info!(
                "UnknownOperationException: X-Amz-Target {shown:?} is not TrentService.<Operation> of a KMS operation"
            );
        }
    }
    Failure::kms(StatusCode::BAD_REQUEST, KmsError::UnknownOperation)
}

/// Verifies the request's SigV4 signature (`--auth sigv4`): the principal who signed it and
/// the Region of its credential scope, or AWS's authentication error.
fn authenticate<'s>(
    state: &'s AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(&'s Arc<Principal>, Scope), Failure> {
    verify_signature(state, crate::auth::SERVICE, method, uri, headers, body)
        .map(|v| {
            (
                v.principal,
                Scope::new(v.principal.account.as_str(), v.region),
            )
        })
        .map_err(|e| Failure::front_end(StatusCode::BAD_REQUEST, e.code, e.message))
}

/// Checks a request's SigV4 signature for `service` (`kms`, or `sts` for [`crate::sts`]) with
/// the configured principals. A signature is current within 15 minutes of the emulated clock
/// or of the host's.
pub(crate) fn verify_signature<'s, 'r>(
    state: &'s AppState,
    service: &str,
    method: &'r Method,
    uri: &'r Uri,
    headers: &'r HeaderMap,
    body: &'r [u8],
) -> Result<Verified<'s, 'r>, AuthError> {
    let request = sigv4::Request {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers,
        body,
    };
    let emulated = || state.kms.now().timestamp();
    let host = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    };
    state
        .config
        .auth
        .verify_for(service, &request, &[&emulated, &host])
}

/// Why a request is answered with an error: the engine's [`KmsError`], or one the front end
/// gives before the engine sees the request, as AWS's front end does (a credential for an
/// unknown Region, a body too large).
struct Failure {
    status: StatusCode,
    /// The `__type`.
    code: &'static str,
    message: String,
    /// What to log when the server is at fault (the client gets a generic message).
    fault: Option<String>,
    /// Close the connection after answering: the request body was not read to its end.
    close: bool,
    /// The message may go into the audit log's `errorMessage`: the engine's texts about keys,
    /// grants and state. Not those that can quote the request (validation, serialization,
    /// policy and tag errors) nor any written before the engine (a signature mismatch quotes
    /// the canonical request, session token included).
    auditable: bool,
}

impl Failure {
    fn kms(status: StatusCode, err: KmsError) -> Self {
        Self {
            status,
            code: err.aws_type(),
            message: err.message().to_owned(),
            fault: err.is_server_fault().then(|| err.to_string()),
            close: false,
            auditable: !matches!(
                err,
                KmsError::Validation(_)
                    | KmsError::Serialization(_)
                    | KmsError::MalformedPolicyDocument(_)
                    | KmsError::Tag(_)
            ),
        }
    }

    fn front_end(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fault: None,
            close: false,
            auditable: false,
        }
    }
}

/// The most bytes of an oversized body read (and dropped) before answering 413.
pub const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

/// Reads the request body, up to the configured limit and within the body timeout.
///
/// A body over the limit is refused by its `Content-Length` before any of it is buffered.
/// Unless the client waits for `100 Continue` (it then gets the 413 instead), the rest of the
/// body is read and dropped before answering, up to [`DRAIN_LIMIT`] bytes and within the body
/// timeout: a client that writes its whole request before reading (Python's urllib, most
/// simple clients) would otherwise have its write fail and never see the answer. The
/// connection is closed after a 413.
async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, Failure> {
    let limit = state.config.body_limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let waits_for_continue = headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if !waits_for_continue && declared.is_some_and(|n| n <= DRAIN_LIMIT) {
            drain(state, body, 0).await;
        }
        return Err(too_large_failure(limit));
    }
    let mut buf = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) if crate::server::is_body_timeout(&e) => return Err(timed_out()),
            Err(_) => return Err(broken_body()),
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if buf.len() + data.len() > limit {
            drain(state, body, (buf.len() + data.len()) as u64).await;
            return Err(too_large_failure(limit));
        }
        buf.extend_from_slice(&data);
    }
    Ok(Bytes::from(buf))
}

/// Reads and drops the rest of `body` (of which `read` bytes were read already), until its
/// end, [`DRAIN_LIMIT`], the body timeout or an error.
async fn drain(state: &AppState, mut body: Body, mut read: u64) {
    let rest = async {
        while read <= DRAIN_LIMIT {
            match body.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
                Some(Err(_)) | None => return,
            }
        }
    };
    // `serve` already puts a deadline on the body; this bounds a router served otherwise.
    let _ = tokio::time::timeout(state.config.timeouts.body, rest).await;
}

fn too_large_failure(limit: usize) -> Failure {
    Failure {
        close: true,
        ..Failure::kms(StatusCode::PAYLOAD_TOO_LARGE, too_large(limit))
    }
}

/// A body that ended in a transport error (the client went away, or bad chunked encoding).
fn broken_body() -> Failure {
    Failure {
        close: true,
        ..Failure::front_end(
            StatusCode::BAD_REQUEST,
            "SerializationException",
            "The request body could not be read.",
        )
    }
}

/// A body that did not arrive within the body timeout: HTTP 408, and the connection closed.
fn timed_out() -> Failure {
    Failure {
        close: true,
        ..Failure::front_end(
            StatusCode::REQUEST_TIMEOUT,
            "RequestTimeoutException",
            "The request body was not received within the time limit.",
        )
    }
}

/// A verified caller to authorize (`--auth enforce` only), borrowed from the server's
/// principals so that the hot path touches no shared reference count.
#[derive(Clone, Copy)]
struct Authorized<'a> {
    principal: &'a Arc<Principal>,
    /// The peer's address (`aws:SourceIp`).
    source_ip: Option<IpAddr>,
}

/// Checks the credential's Region, throttles, applies injected faults, then runs the engine.
/// A refused request does no work. `(arrived, request_id)`: when the request came (the
/// traffic counters' second, so admission reads no clock of its own) and its ID.
async fn admit_and_run(
    state: &AppState,
    scope: &Scope,
    caller: Option<Authorized<'_>>,
    op: Operation,
    body: &Bytes,
    (arrived, request_id): (Instant, uuid::Uuid),
) -> Result<Vec<u8>, Failure> {
    if !regions::is_known(scope.region()) {
        // Before throttling: made-up Regions must not create limiters.
        return Err(Failure::front_end(
            StatusCode::BAD_REQUEST,
            "InvalidSignatureException",
            regions::UNKNOWN_REGION_MESSAGE,
        ));
    }
    // Naming an AWS managed key that does not exist yet creates it: that is a CreateKey, with
    // its quota and its store commit.
    let creates_key = creates_aws_managed_key(state, scope, body);
    if state.throttle.is_enabled() {
        if creates_key {
            admit(
                state,
                scope,
                op,
                arrived,
                QuotaId::per_api(Operation::CreateKey),
            )?;
        }
        // AWS counts a ReplicateKey as two CreateKey requests in the replica's Region (one of
        // them a dry run), and an UpdatePrimaryRegion as one request in each Region.
        if let Some(other) = other_region_of(op, body).map(|r| scope.with_region(&r)) {
            if op == Operation::ReplicateKey {
                for _ in 0..2 {
                    admit(
                        state,
                        &other,
                        op,
                        arrived,
                        QuotaId::per_api(Operation::CreateKey),
                    )?;
                }
            } else {
                admit(state, &other, op, arrived, QuotaId::per_api(op))?;
            }
        }
        admit(
            state,
            scope,
            op,
            arrived,
            quota_for(
                op,
                request_key_spec(state, scope, op, body),
                key_pair_spec(op, body).as_deref(),
            ),
        )?;
    }
    if let Some(fault) = state.faults.decide(op, body) {
        if let Some(delay) = fault.latency {
            tokio::time::sleep(delay).await;
        }
        if let Some(err) = fault.error {
            return Err(Failure::kms(status_of(&err), err));
        }
    }
    let generates_key_pair = matches!(
        op,
        Operation::CreateKey
            | Operation::GenerateDataKeyPair
            | Operation::GenerateDataKeyPairWithoutPlaintext
            | Operation::GetParametersForImport
    );
    if generates_key_pair || state.config.data_dir.is_some() && (op.is_mutating() || creates_key) {
        // A durable store syncs each mutation to disk, and an RSA key pair can take a second
        // to generate when its pool is empty: run these on the blocking pool so the async
        // workers keep serving cryptographic requests meanwhile.
        let (st, scope, body) = (state.clone(), scope.clone(), body.clone());
        let owned = caller.map(|c| (Arc::clone(c.principal), c.source_ip));
        return tokio::task::spawn_blocking(move || {
            let caller = owned.as_ref().map(|(principal, source_ip)| Authorized {
                principal,
                source_ip: *source_ip,
            });
            run(&st, &scope, caller, op, &body, request_id)
        })
        .await
        .unwrap_or_else(|e| {
            Err(Failure::kms(
                StatusCode::INTERNAL_SERVER_ERROR,
                KmsError::Internal(format!("{op} task failed: {e}")),
            ))
        });
    }
    run(state, scope, caller, op, body, request_id)
}

/// Admits one request against `quota` or refuses it with `ThrottlingException`. Inside the
/// panic guard like the engine: a failing limiter is a 500, never a dropped connection.
fn admit(
    state: &AppState,
    scope: &Scope,
    op: Operation,
    arrived: Instant,
    quota: QuotaId,
) -> Result<(), Failure> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| state.throttle.admit(scope, quota))) {
        Ok(true) => {
            state.traffic.admission(arrived, quota, true);
            Ok(())
        }
        Ok(false) => {
            state.traffic.admission(arrived, quota, false);
            state.metrics.throttled(quota);
            Err(Failure::kms(StatusCode::BAD_REQUEST, KmsError::Throttling))
        }
        Err(_) => {
            let err = KmsError::Internal(format!("{op}: admission control panicked"));
            Err(Failure::kms(StatusCode::INTERNAL_SERVER_ERROR, err))
        }
    }
}

/// Whether the request names an AWS managed key (`alias/aws/<service>`) that does not exist
/// yet. Bodies without that text are not parsed.
/// The other Region a ReplicateKey (`ReplicaRegion`) or UpdatePrimaryRegion
/// (`PrimaryRegion`) also acts in, when it is a real Region (anything else fails validation in
/// the engine, and must not create limiters).
fn other_region_of(op: Operation, body: &[u8]) -> Option<String> {
    let member = match op {
        Operation::ReplicateKey => "ReplicaRegion",
        Operation::UpdatePrimaryRegion => "PrimaryRegion",
        _ => return None,
    };
    let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    let region = doc.get(member)?.as_str()?;
    regions::is_known(region).then(|| region.to_owned())
}

fn creates_aws_managed_key(state: &AppState, scope: &Scope, body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Named<'a> {
        #[serde(rename = "KeyId", borrow)]
        key_id: Option<std::borrow::Cow<'a, str>>,
        #[serde(rename = "DestinationKeyId", borrow)]
        destination: Option<std::borrow::Cow<'a, str>>,
        #[serde(rename = "SourceKeyId", borrow)]
        source: Option<std::borrow::Cow<'a, str>>,
    }
    if memchr::memmem::find(body, b"alias/aws/").is_none() {
        return false;
    }
    let Ok(named) = serde_json::from_slice::<Named<'_>>(body) else {
        return false;
    };
    [named.key_id, named.destination, named.source]
        .into_iter()
        .flatten()
        .any(|id| state.kms.would_create_aws_managed_key(scope, &id))
}

/// The key a request names, for the debug log (only parsed when debug logging is on).
fn key_named_in(body: &[u8]) -> Option<&str> {
    #[derive(serde::Deserialize)]
    struct Named<'a> {
        #[serde(rename = "KeyId", borrow)]
        key_id: Option<&'a str>,
        #[serde(rename = "DestinationKeyId", borrow)]
        destination: Option<&'a str>,
        #[serde(rename = "TargetKeyId", borrow)]
        target: Option<&'a str>,
        #[serde(rename = "AliasName", borrow)]
        alias: Option<&'a str>,
    }
    let named: Named<'_> = serde_json::from_slice(body).ok()?;
    named
        .key_id
        .or(named.destination)
        .or(named.target)
        .or(named.alias)
}

/// The spec of the key a cryptographic request uses, for operations whose quota depends on it
/// (RSA, ECC, ML-DSA or symmetric). Operations that only take symmetric or HMAC keys
/// (GenerateDataKey*, GenerateMac, VerifyMac, GenerateRandom) skip the parse: they always draw
/// on the symmetric quota.
fn request_key_spec(
    state: &AppState,
    scope: &Scope,
    op: Operation,
    body: &[u8],
) -> Option<kms_api::KeySpec> {
    #[derive(serde::Deserialize)]
    struct Named<'a> {
        #[serde(rename = "KeyId", borrow)]
        key_id: Option<std::borrow::Cow<'a, str>>,
        #[serde(rename = "SourceKeyId", borrow)]
        source: Option<std::borrow::Cow<'a, str>>,
        #[serde(rename = "DestinationKeyId", borrow)]
        destination: Option<std::borrow::Cow<'a, str>>,
    }
    use Operation as Op;
    if !matches!(
        op,
        Op::Encrypt
            | Op::Decrypt
            | Op::ReEncrypt
            | Op::Sign
            | Op::Verify
            | Op::DeriveSharedSecret
            | Op::Encapsulate
            | Op::Decapsulate
    ) {
        return None;
    }
    // A body that names no key (the usual Decrypt) is symmetric: skip the parse. `KeyId` is a
    // substring of the three member names, so one SIMD search rules all of them out.
    if memchr::memmem::find(body, b"KeyId").is_none() {
        return matches!(op, Op::Decrypt | Op::ReEncrypt)
            .then_some(kms_api::KeySpec::SymmetricDefault);
    }
    let named: Named<'_> = serde_json::from_slice(body).ok()?;
    let specs = [named.key_id, named.source, named.destination]
        .into_iter()
        .flatten()
        .filter_map(|id| state.kms.key_spec_of(scope, &id));
    // ReEncrypt names two keys: an asymmetric one decides the class.
    let mut found = None;
    for spec in specs {
        if spec.is_asymmetric() {
            return Some(spec);
        }
        found = Some(spec);
    }
    found.or(match op {
        // A Decrypt without KeyId is symmetric: asymmetric ciphertexts need the key named.
        Op::Decrypt | Op::ReEncrypt => Some(kms_api::KeySpec::SymmetricDefault),
        _ => None,
    })
}

/// The `KeyPairSpec` of a GenerateDataKeyPair request, which chooses its quota.
fn key_pair_spec(op: Operation, body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct KeyPair {
        #[serde(rename = "KeyPairSpec")]
        spec: Option<String>,
    }
    match op {
        Operation::GenerateDataKeyPair | Operation::GenerateDataKeyPairWithoutPlaintext => {
            serde_json::from_slice::<KeyPair>(body).ok()?.spec
        }
        _ => None,
    }
}

/// Runs the request in the engine as `request_id`, so the key uses it makes are recorded
/// with the ID the client gets (GetKeyLastUsage); authorized for `caller` in `--auth enforce`.
/// A panic becomes `KMSInternalException`, so one bad request can never take the server down.
fn run(
    state: &AppState,
    scope: &Scope,
    caller: Option<Authorized<'_>>,
    op: Operation,
    body: &Bytes,
    request_id: uuid::Uuid,
) -> Result<Vec<u8>, Failure> {
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        kms_api::key::usage::with_request_id(request_id, || match caller {
            Some(a) => {
                let caller = kms_api::authorize::Caller {
                    identity: &a.principal.identity,
                    source_ip: a.source_ip,
                };
                state.kms.dispatch_as(scope, &caller, op, body)
            }
            None => state.kms.dispatch(scope, op, body),
        })
    }));
    match outcome {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(err)) => Err(Failure::kms(status_of(&err), err)),
        Err(_) => {
            let err = KmsError::Internal(format!("{op} panicked"));
            Err(Failure::kms(StatusCode::INTERNAL_SERVER_ERROR, err))
        }
    }
}

fn status_of(err: &KmsError) -> StatusCode {
    StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn too_large(limit: usize) -> KmsError {
    KmsError::Validation(format!(
        "Request body is larger than the limit of {limit} bytes."
    ))
}

/// `{"__type": "<Code>", "message": "<text>"}`.
pub fn error_body(err: &KmsError) -> Vec<u8> {
    error_body_of(err.aws_type(), err.message())
}

/// `{"__type": code, "message": message}`.
pub fn error_body_of(code: &str, message: &str) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct ErrorBody<'a> {
        #[serde(rename = "__type")]
        kind: &'a str,
        message: &'a str,
    }
    serde_json::to_vec(&ErrorBody {
        kind: code,
        message,
    })
    .unwrap_or_else(|_| br#"{"__type":"KMSInternalException","message":""}"#.to_vec())
}

/// A response with the protocol's headers.
pub fn respond(status: StatusCode, body: Vec<u8>, request_id: uuid::Uuid) -> Response {
    let mut buf = uuid::Uuid::encode_buffer();
    let id = request_id.hyphenated().encode_lower(&mut buf);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Any other path or method: a protocol error in AWS's shape.
pub async fn fallback() -> Response {
    let err = KmsError::UnknownOperation;
    respond(
        StatusCode::NOT_FOUND,
        error_body(&err),
        uuid::Uuid::new_v4(),
    )
}
