//! What access control adds to each request, in-process:
//! - SigV4 verification (`--auth sigv4`), for a GenerateDataKey signed as botocore signs it
//!   (content-type, host, x-amz-date, x-amz-target). The request is signed by
//!   `scripts/load/sigv4_headers.py` (Python's hmac and hashlib), an implementation
//!   independent of the verifier.
//! - Authorization (`--auth enforce`): GenerateDataKey through `Kms::dispatch_as` under the
//!   5-statement policy with conditions of `scripts/load/enforce_policy.json`, beside the same
//!   call through `Kms::dispatch`.

use axum::http::HeaderMap;
use criterion::{Criterion, criterion_group, criterion_main};
use kms_api::authorize::Caller;
use kms_api::policy::{Identity, Policy};
use kms_api::{Kms, Operation, Scope};
use kms_emulator::auth::principals::default_identity_policy;
use kms_emulator::auth::{AuthMode, Authenticator, Principal, Principals, sigv4};

const BODY: &str = r#"{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","KeySpec":"AES_256"}"#;
const HOST: &str = "127.0.0.1:4566";

fn signed_headers() -> HeaderMap {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/load/sigv4_headers.py");
    let out = std::process::Command::new("python3")
        .args([script, "GenerateDataKey", BODY, HOST])
        .output()
        .expect("python3 runs the signer");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let (date, authorization) = (lines.next().unwrap(), lines.next().unwrap());
    let mut headers = HeaderMap::new();
    headers.insert("host", HOST.parse().unwrap());
    headers.insert(
        "content-type",
        "application/x-amz-json-1.1".parse().unwrap(),
    );
    headers.insert(
        "x-amz-target",
        "TrentService.GenerateDataKey".parse().unwrap(),
    );
    headers.insert("x-amz-date", date.parse().unwrap());
    headers.insert("authorization", authorization.parse().unwrap());
    headers
}

fn verify(c: &mut Criterion) {
    let mut principals = Principals::new();
    principals
        .add(
            Principal::parse_short(
                "AKIDEXAMPLE:load-test-secret:arn:aws:iam::111122223333:user/load",
            )
            .unwrap(),
        )
        .unwrap();
    let auth = Authenticator::new(AuthMode::Sigv4, principals);
    let headers = signed_headers();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    let request = sigv4::Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: BODY.as_bytes(),
    };
    auth.verify(&request, &[&now])
        .expect("the signature verifies");
    c.bench_function("sigv4/verify_generate_data_key", |b| {
        b.iter(|| auth.verify(&request, &[&now]).is_ok())
    });
}

fn authorize(c: &mut Criterion) {
    let kms = Kms::new();
    let scope = Scope::new("111122223333", "us-east-1");
    let policy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/load/enforce_policy.json"
    ))
    .expect("the load test's policy");
    let create = serde_json::json!({ "Policy": policy }).to_string();
    let created = kms
        .dispatch(&scope, Operation::CreateKey, create.as_bytes())
        .expect("create key");
    let created: serde_json::Value = serde_json::from_slice(&created).unwrap();
    let body = format!(
        r#"{{"KeyId":"{}","KeySpec":"AES_256"}}"#,
        created["KeyMetadata"]["KeyId"].as_str().unwrap()
    );
    let identity = Identity::new(
        "arn:aws:iam::111122223333:user/load",
        vec![
            Policy::parse_identity_policy(&default_identity_policy("111122223333").to_string())
                .unwrap(),
        ],
    );
    let caller = Caller {
        identity: &identity,
        source_ip: Some(std::net::Ipv4Addr::LOCALHOST.into()),
    };
    kms.dispatch_as(&scope, &caller, Operation::GenerateDataKey, body.as_bytes())
        .expect("the policy allows the load user");
    let mut group = c.benchmark_group("authorize");
    group.bench_function("generate_data_key/dispatch", |b| {
        b.iter(|| kms.dispatch(&scope, Operation::GenerateDataKey, body.as_bytes()))
    });
    group.bench_function("generate_data_key/dispatch_as_5_statements", |b| {
        b.iter(|| kms.dispatch_as(&scope, &caller, Operation::GenerateDataKey, body.as_bytes()))
    });
    group.finish();
}

criterion_group!(benches, verify, authorize);
criterion_main!(benches);
