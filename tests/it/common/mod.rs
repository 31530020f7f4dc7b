//! Shared fixtures for the integration tests: a real `kms-emulator` server on a free loopback
//! port, `aws-sdk-kms` clients pointed at it, helpers to read an SDK error's code and message,
//! and a tiny raw HTTP/1.1 client for protocol-level tests.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::fmt::Debug;

use aws_sdk_kms::Client;
use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use kms_emulator::{Config, RunningServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The account of requests whose access key ID is not a 12-digit account ID.
pub const DEFAULT_ACCOUNT: &str = "111122223333";
/// The default Region of the tests.
pub const REGION: &str = "us-east-1";
/// A second Region.
pub const OTHER_REGION: &str = "us-west-2";
/// A second account (selected by a 12-digit access key ID).
pub const OTHER_ACCOUNT: &str = "000000000042";

/// Starts a fresh server with a fresh engine on `127.0.0.1:0`.
pub async fn start_server() -> RunningServer {
    kms_emulator::start(Config::default(), kms_api::Kms::new(), "127.0.0.1:0")
        .await
        .expect("server starts")
}

/// A client in the default account and Region.
pub fn client(server: &RunningServer) -> Client {
    client_for(server, "AKIDEXAMPLE", REGION)
}

/// A client signing with `access_key_id` (a 12-digit ID selects that account) in `region`.
pub fn client_for(server: &RunningServer, access_key_id: &str, region: &str) -> Client {
    let config = aws_sdk_kms::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(server.url())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(
            access_key_id,
            "secret",
            None,
            None,
            "test",
        ))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .build();
    Client::from_conf(config)
}

/// A server and a default client.
pub async fn setup() -> (RunningServer, Client) {
    let server = start_server().await;
    let client = client(&server);
    (server, client)
}

/// `arn:aws:kms:<region>:<account>:key/<id>`.
pub fn key_arn(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{id}")
}

/// `arn:aws:kms:<region>:<account>:<alias name>`.
pub fn alias_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{name}")
}

/// A server over a durable store in `dir` (created with root key `[root; 32]`), restored
/// from what the directory holds, with the store's token key (import and grant tokens
/// survive a restart, as with the CLI's `--data-dir`).
pub async fn durable_server(dir: &std::path::Path, root: u8) -> RunningServer {
    use kms_emulator::store::{Store, root_key::RootKey};
    let store = std::sync::Arc::new(Store::open(dir, RootKey::from_bytes(&[root; 32])).unwrap());
    let kms = kms_api::Kms::builder()
        .persistence(store.clone())
        .token_key(store.token_key())
        .build();
    store.restore_into(&kms).unwrap();
    let config = Config {
        data_dir: Some(dir.to_owned()),
        ..Config::default()
    };
    kms_emulator::start(config, kms, "127.0.0.1:0")
        .await
        .unwrap()
}

/// Moves the server's emulated clock `seconds` ahead with `POST /_kms/clock`; returns the
/// reply (the work that came due).
pub async fn advance_clock(server: &RunningServer, seconds: i64) -> serde_json::Value {
    let body = format!(r#"{{"advance_seconds":{seconds}}}"#);
    let resp = http_request(
        server,
        "POST",
        "/_kms/clock",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()
}

/// Creates a default symmetric key and returns its key ID.
pub async fn create_key(client: &Client) -> String {
    client
        .create_key()
        .send()
        .await
        .expect("CreateKey")
        .key_metadata()
        .expect("KeyMetadata")
        .key_id()
        .to_owned()
}

/// The (code, message) of a failed SDK call. The message is `""` when the service sent none.
pub fn err_parts<E, R>(err: SdkError<E, R>) -> (String, String)
where
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    let Some(service) = err.as_service_error() else {
        panic!("expected a service error, got {err:?}")
    };
    let code = service
        .meta()
        .code()
        .unwrap_or_else(|| panic!("no error code in {service:?}"))
        .to_owned();
    let message = service.meta().message().unwrap_or_default().to_owned();
    (code, message)
}

/// Unwraps the error of `result` into (code, message); panics when the call succeeded.
pub fn expect_err<T, E, R>(result: Result<T, SdkError<E, R>>) -> (String, String)
where
    T: Debug,
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => err_parts(e),
    }
}

/// Asserts `result` failed with exactly `code` and `message`.
#[track_caller]
pub fn assert_err<T, E, R>(result: Result<T, SdkError<E, R>>, code: &str, message: &str)
where
    T: Debug,
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    let (c, m) = expect_err(result);
    assert_eq!((c.as_str(), m.as_str()), (code, message));
}

// ----------------------------------------------------------------------------------------------
// Raw HTTP/1.1
// ----------------------------------------------------------------------------------------------

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names lowercased; the last value wins.
    pub headers: BTreeMap<String, String>,
    /// The body (de-chunked when chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends one request over a fresh connection (`Connection: close`) and reads the response.
/// `Host`, `Content-Length` and `Connection` are added; `headers` come after them.
pub async fn http_request(
    server: &RunningServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let host = server.local_addr().to_string();
    http_request_to_host(server, &host, method, path, headers, body).await
}

/// [`http_request`] with `Host: host` (a browser led there by another name sends that name).
pub async fn http_request_to_host(
    server: &RunningServer,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let addr = server.local_addr();
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    // The server reads an oversized body before answering 413, but only up to 64 MiB (and
    // not when the client expects `100 Continue`); a failed write is then expected, so the
    // response is read regardless.
    let _ = stream.write_all(body).await;
    let _ = stream.flush().await;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(_) if !raw.is_empty() => break,
            Err(e) => panic!("read failed: {e}"),
        }
    }
    parse_response(&raw)
}

/// `POST /` with `X-Amz-Target: TrentService.<op>` and the JSON 1.1 content type.
pub async fn kms_call(server: &RunningServer, op: &str, body: &[u8]) -> HttpResponse {
    let target = format!("TrentService.{op}");
    http_request(
        server,
        "POST",
        "/",
        &[
            ("X-Amz-Target", target.as_str()),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        body,
    )
    .await
}

fn parse_response(raw: &[u8]) -> HttpResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut headers = BTreeMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let rest = &raw[split + 4..];
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        dechunk(rest)
    } else if let Some(len) = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        rest[..len.min(rest.len())].to_vec()
    } else {
        rest.to_vec()
    };
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = std::str::from_utf8(&data[..eol]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        data = &data[eol + 2..];
        if size == 0 || data.len() < size {
            out.extend_from_slice(&data[..size.min(data.len())]);
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
    out
}
