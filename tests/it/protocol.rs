//! The AWS JSON 1.1 wire protocol and the admin API, over raw HTTP/1.1.

use crate::common;

use std::collections::HashSet;

use common::*;

const JSON_11: &str = "application/x-amz-json-1.1";

#[track_caller]
fn assert_protocol_headers(resp: &HttpResponse) {
    assert_eq!(
        resp.header("content-type"),
        Some(JSON_11),
        "content-type of a {} response",
        resp.status
    );
    let id = resp
        .header("x-amzn-requestid")
        .unwrap_or_else(|| panic!("no x-amzn-requestid on a {} response", resp.status));
    assert!(!id.is_empty());
}

#[track_caller]
fn assert_error(resp: &HttpResponse, status: u16, kind: &str) -> serde_json::Value {
    assert_eq!(
        resp.status,
        status,
        "body: {:?}",
        String::from_utf8_lossy(&resp.body)
    );
    assert_protocol_headers(resp);
    let json = resp.json();
    assert_eq!(json["__type"], kind, "{json}");
    assert!(json["message"].is_string(), "message member: {json}");
    json
}

#[tokio::test]
async fn unknown_target_is_unknown_operation() {
    let server = start_server().await;
    let resp = kms_call(&server, "NoSuchOperation", b"{}").await;
    assert_error(&resp, 400, "UnknownOperationException");

    let resp = http_request(
        &server,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "SomethingElse.ListKeys"),
            ("Content-Type", JSON_11),
        ],
        b"{}",
    )
    .await;
    assert_error(&resp, 400, "UnknownOperationException");

    let resp = http_request(&server, "POST", "/", &[("Content-Type", JSON_11)], b"{}").await;
    assert_error(&resp, 400, "UnknownOperationException");
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_json_is_serialization_exception() {
    let server = start_server().await;
    for (op, body) in [
        ("ListKeys", &b"{not json"[..]),
        ("DescribeKey", br#"{"KeyId":"x""#),
        ("DescribeKey", br#"{"KeyId":5}"#),
        (
            "Encrypt",
            br#"{"KeyId":"alias/x","Plaintext":"%%%not base64%%%"}"#,
        ),
        ("ListKeys", br#"{"Limit":"two"}"#),
        ("CreateKey", b"[]"),
    ] {
        let resp = kms_call(&server, op, body).await;
        assert_error(&resp, 400, "SerializationException");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn serialization_errors_do_not_echo_secrets() {
    let server = start_server().await;
    let resp = kms_call(
        &server,
        "Encrypt",
        br#"{"KeyId":"alias/x","Plaintext":987654321}"#,
    )
    .await;
    let json = assert_error(&resp, 400, "SerializationException");
    assert!(
        !json["message"].as_str().unwrap().contains("987654321"),
        "{json}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn missing_required_member_is_validation_exception() {
    let server = start_server().await;
    let resp = kms_call(&server, "DescribeKey", b"{}").await;
    let json = assert_error(&resp, 400, "ValidationException");
    assert_eq!(
        json["message"],
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn modeled_errors_are_http_400() {
    let server = start_server().await;
    let resp = kms_call(
        &server,
        "DescribeKey",
        br#"{"KeyId":"11111111-2222-4333-8444-555555555555"}"#,
    )
    .await;
    let json = assert_error(&resp, 400, "NotFoundException");
    assert_eq!(
        json["message"],
        "Key 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-4333-8444-555555555555' does not exist"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn every_response_has_protocol_headers() {
    let server = start_server().await;
    let mut ids = HashSet::new();
    let responses = vec![
        kms_call(&server, "CreateKey", b"{}").await,
        kms_call(&server, "ListKeys", b"{}").await,
        kms_call(&server, "GenerateRandom", br#"{"NumberOfBytes":8}"#).await,
        kms_call(&server, "DescribeKey", b"{}").await,
        kms_call(&server, "DescribeKey", br#"{"KeyId":"fake-key-id"}"#).await,
        kms_call(&server, "ListKeys", b"{oops").await,
        kms_call(&server, "NoSuchOperation", b"{}").await,
    ];
    for resp in &responses {
        assert_protocol_headers(resp);
        ids.insert(resp.header("x-amzn-requestid").unwrap().to_owned());
    }
    assert_eq!(ids.len(), responses.len(), "request IDs are unique");
    assert_eq!(responses[0].status, 200);
    assert_eq!(responses[1].status, 200);
    assert_eq!(responses[2].status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn oversized_body_is_413_and_server_survives() {
    let server = start_server().await;
    let mut body = br#"{"KeyId":"alias/x","Plaintext":""#.to_vec();
    body.extend(std::iter::repeat_n(b'A', 2 * 1024 * 1024));
    body.extend_from_slice(br#""}"#);
    let resp = kms_call(&server, "Encrypt", &body).await;
    assert_eq!(resp.status, 413);
    assert_protocol_headers(&resp);

    let health = http_request(&server, "GET", "/_kms/health", &[], b"").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    let list = kms_call(&server, "ListKeys", b"{}").await;
    assert_eq!(list.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let server = start_server().await;
    let resp = kms_call(
        &server,
        "ListKeys",
        br#"{"Whatever":1,"Nested":{"a":[1,2]}}"#,
    )
    .await;
    assert_eq!(
        resp.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    let resp = kms_call(
        &server,
        "CreateKey",
        br#"{"Description":"d","NotAMember":true}"#,
    )
    .await;
    assert_eq!(
        resp.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    assert_eq!(resp.json()["KeyMetadata"]["Description"], "d");
    server.shutdown().await;
}

#[tokio::test]
async fn empty_body_is_accepted_for_list_keys() {
    let server = start_server().await;
    let resp = kms_call(&server, "ListKeys", b"").await;
    assert_eq!(
        resp.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    assert_protocol_headers(&resp);
    let json = resp.json();
    assert_eq!(json["Keys"], serde_json::json!([]));
    assert_eq!(json["Truncated"], false);
    server.shutdown().await;
}

#[tokio::test]
async fn reset_wipes_keys() {
    let server = start_server().await;
    for _ in 0..3 {
        assert_eq!(kms_call(&server, "CreateKey", b"{}").await.status, 200);
    }
    let health = http_request(&server, "GET", "/_kms/health", &[], b"").await;
    assert_eq!(health.json()["keys"], 3);

    let reset = http_request(&server, "POST", "/_kms/reset", &[], b"").await;
    assert_eq!(reset.status, 200);
    assert_eq!(reset.json()["status"], "reset");

    let list = kms_call(&server, "ListKeys", b"{}").await;
    assert_eq!(list.json()["Keys"], serde_json::json!([]));
    let health = http_request(&server, "GET", "/_kms/health", &[], b"").await;
    assert_eq!(health.json()["keys"], 0);
    server.shutdown().await;
}

#[tokio::test]
async fn reset_keeps_faults_and_quotas_unless_all_is_asked_for() {
    let server = start_server().await;
    let fault = br#"{"rules":[{"operation":"Decrypt","error":"KMSInternalException"}]}"#;
    let setup = || async {
        assert_eq!(
            http_request(&server, "PUT", "/_kms/faults", &[], fault)
                .await
                .status,
            200
        );
        let quota = http_request(
            &server,
            "PUT",
            "/_kms/quotas",
            &[],
            br#"{"CreateKey": 3, "throttle": "aws"}"#,
        )
        .await;
        assert_eq!(quota.status, 200);
    };
    let in_force = || async {
        let faults = http_request(&server, "GET", "/_kms/faults", &[], b"")
            .await
            .json();
        let quotas = http_request(&server, "GET", "/_kms/quotas", &[], b"")
            .await
            .json();
        (
            faults["rules"].as_array().unwrap().len(),
            quotas["quotas"]["CreateKey"].as_f64().unwrap(),
            quotas["throttle"].as_str().unwrap().to_owned(),
        )
    };
    // The server starts with throttling off and AWS's CreateKey quota of 5.
    setup().await;
    let reset = http_request(&server, "POST", "/_kms/reset", &[], b"").await;
    assert_eq!(reset.json()["faults"], false);
    assert_eq!(in_force().await, (1, 3.0, "aws".to_owned()));
    let all = http_request(&server, "POST", "/_kms/reset?all=true", &[], b"").await;
    assert_eq!(all.status, 200);
    assert_eq!(all.json()["quotas"], true);
    assert_eq!(in_force().await, (0, 5.0, "off".to_owned()));
    let bad = http_request(&server, "POST", "/_kms/reset?all=yes", &[], b"").await;
    assert_eq!(bad.status, 400);
    server.shutdown().await;
}

#[tokio::test]
async fn health_reports_status_and_version() {
    let server = start_server().await;
    let resp = http_request(&server, "GET", "/_kms/health", &[], b"").await;
    assert_eq!(resp.status, 200);
    let json = resp.json();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["keys"], 0);
    server.shutdown().await;
}

#[tokio::test]
async fn other_paths_answer_in_aws_error_shape() {
    let server = start_server().await;
    let resp = http_request(&server, "POST", "/not-kms", &[], b"{}").await;
    assert_eq!(resp.status, 404);
    assert_protocol_headers(&resp);
    assert_eq!(resp.json()["__type"], "UnknownOperationException");
    server.shutdown().await;
}

/// The SigV4 credential scope selects the Region and a 12-digit access key the account.
#[tokio::test]
async fn credential_scope_selects_account_and_region() {
    let server = start_server().await;
    let auth = "AWS4-HMAC-SHA256 Credential=000000000042/20260101/eu-west-2/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
    let resp = http_request(
        &server,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "TrentService.CreateKey"),
            ("Content-Type", JSON_11),
            ("Authorization", auth),
        ],
        b"{}",
    )
    .await;
    assert_eq!(resp.status, 200);
    let md = &resp.json()["KeyMetadata"];
    assert_eq!(md["AWSAccountId"], "000000000042");
    let id = md["KeyId"].as_str().unwrap();
    assert_eq!(
        md["Arn"],
        format!("arn:aws:kms:eu-west-2:000000000042:key/{id}")
    );
    // Unsigned requests use the default account and Region: the key is not there.
    let list = kms_call(&server, "ListKeys", b"{}").await;
    assert_eq!(list.json()["Keys"], serde_json::json!([]));
    server.shutdown().await;
}

/// A credential scoped to a Region AWS does not have gets AWS's signature error, and no key or
/// quota is created for it.
#[tokio::test]
async fn unknown_regions_are_invalid_signatures() {
    let server = start_server().await;
    for region in ["xx-fake-1", "us-east-99", "local"] {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/{region}/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
        );
        let resp = http_request(
            &server,
            "POST",
            "/",
            &[
                ("X-Amz-Target", "TrentService.CreateKey"),
                ("Content-Type", JSON_11),
                ("Authorization", auth.as_str()),
            ],
            b"{}",
        )
        .await;
        let json = assert_error(&resp, 400, "InvalidSignatureException");
        assert_eq!(
            json["message"],
            "Credential should be scoped to a valid region."
        );
    }
    let health = http_request(&server, "GET", "/_kms/health", &[], b"").await;
    assert_eq!(health.json()["keys"], 0);
    // Real Regions of every partition work.
    for region in ["eu-central-2", "cn-north-1", "us-gov-west-1"] {
        let client = client_for(&server, "AKIDEXAMPLE", region);
        create_key(&client).await;
    }
    server.shutdown().await;
}

/// Like Python's urllib: the whole request (8 MiB body) written in one go before reading. The
/// server must read (drain) the body before answering 413 and closing, or the client's write
/// fails with a broken pipe or reset and it never sees the 413.
#[tokio::test]
async fn an_oversized_body_written_at_once_still_reads_the_413() {
    use std::io::{Read, Write};
    let server = start_server().await;
    let addr = server.local_addr();
    let (write, status, body) = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let body = vec![b'A'; 8 * 1024 * 1024];
        let mut request = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: TrentService.Encrypt\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(&body);
        let write = stream.write_all(&request).map_err(|e| e.to_string());
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text.split(' ').nth(1).unwrap_or("").to_owned();
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        (write, status, body)
    })
    .await
    .unwrap();
    assert_eq!(write, Ok(()), "the whole request could be written");
    assert_eq!(status, "413");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["__type"], "ValidationException");
    assert_eq!(kms_call(&server, "ListKeys", b"{}").await.status, 200);
    server.shutdown().await;
}

/// A declared length over the limit is refused at once, without waiting for the body, when
/// the client waits for `100 Continue` before sending it.
#[tokio::test]
async fn an_oversized_content_length_is_refused_before_the_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = start_server().await;
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.Encrypt\r\nContent-Length: 104857600\r\nExpect: 100-continue\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("answered without the body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    server.shutdown().await;
}
