//! SigV4 verification in-process: what `--auth sigv4` adds to each request, for a
//! GenerateDataKey signed as botocore signs it (content-type, host, x-amz-date, x-amz-target).
//! The request is signed by `scripts/load/sigv4_headers.py` (Python's hmac and hashlib), an
//! implementation independent of the verifier.

use axum::http::HeaderMap;
use criterion::{criterion_group, criterion_main, Criterion};
use kms_emulator::auth::{sigv4, AuthMode, Authenticator, Principal, Principals};

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

criterion_group!(benches, verify);
criterion_main!(benches);
