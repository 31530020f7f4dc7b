//! Connection timeouts: a slowloris (hundreds of connections that never finish their
//! headers) neither starves normal requests nor holds its connections; a stalled body is
//! answered with 408; an idle connection is closed. The timeouts are made short (300 ms) so
//! nothing here sleeps for long.

use crate::common;

use std::time::Duration;

use common::*;
use kms_emulator::config::Timeouts;
use kms_emulator::{Config, RunningServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

const SHORT: Duration = Duration::from_millis(300);
/// Far longer than any timeout here: a connection still open after it was never closed.
const PATIENCE: Duration = Duration::from_secs(5);

async fn server() -> RunningServer {
    server_with_idle(SHORT).await
}

async fn server_with_idle(idle: Duration) -> RunningServer {
    let config = Config {
        timeouts: Timeouts {
            header: SHORT,
            body: SHORT,
            idle,
        },
        ..Config::default()
    };
    kms_emulator::start(config, kms_api::Kms::new(), "127.0.0.1:0")
        .await
        .unwrap()
}

/// Reads until the server closes the connection; returns what it sent, or `None` if it kept
/// the connection open for [`PATIENCE`].
async fn read_until_closed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(out),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_slowloris_neither_starves_requests_nor_keeps_its_connections() {
    let server = server().await;
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
        s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\n")
            .await
            .unwrap();
        stalled.push(s);
    }
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(kms_call(&server, "ListKeys", b"{}").await.status, 200);
    }
    // Served while the 300 stalled connections are open (they close only after `SHORT`).
    for s in &mut stalled {
        let sent = read_until_closed(s)
            .await
            .expect("the server closes a connection that never finishes its head");
        assert!(
            sent.is_empty() || sent.starts_with(b"HTTP/1.1 408"),
            "{sent:?}"
        );
    }
    assert!(started.elapsed() < PATIENCE);
    server.shutdown().await;
}

/// The red-team case: hundreds of connections that sit idle a moment, then trickle a head a
/// byte at a time. Each must be closed `header` after its first byte, not after the far
/// longer idle timeout (the watch used to sleep until the idle deadline and miss the head
/// beginning meanwhile).
#[tokio::test]
async fn trickled_heads_are_closed_after_the_header_timeout_however_many() {
    const CONNECTIONS: usize = 300;
    let idle = Duration::from_secs(60);
    let server = server_with_idle(idle).await;
    let mut streams = Vec::new();
    for _ in 0..CONNECTIONS {
        streams.push(TcpStream::connect(server.local_addr()).await.unwrap());
    }
    // Let the server accept them all and start watching them while they are idle.
    for _ in 0..5 {
        assert_eq!(kms_call(&server, "ListKeys", b"{}").await.status, 200);
    }
    let started = Instant::now();
    let mut trickles = tokio::task::JoinSet::new();
    for mut s in streams {
        trickles.spawn(async move {
            let head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
            let mut tick = tokio::time::interval(SHORT / 6);
            let mut buf = [0u8; 1024];
            for byte in head.iter().cycle() {
                tokio::select! {
                    read = s.read(&mut buf) => match read {
                        Ok(0) | Err(_) => return true,
                        Ok(_) => {}
                    },
                    _ = tick.tick() => if s.write_all(&[*byte]).await.is_err() {
                        return true;
                    },
                }
                if started.elapsed() > PATIENCE {
                    return false;
                }
            }
            false
        });
    }
    let mut closed = 0;
    while let Some(done) = trickles.join_next().await {
        closed += usize::from(done.unwrap());
    }
    assert_eq!(
        closed, CONNECTIONS,
        "connections still open after {PATIENCE:?}"
    );
    assert!(started.elapsed() < idle);
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_that_never_finishes_is_408() {
    let server = server().await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 100\r\n\r\n{\"Li",
    )
    .await
    .unwrap();
    let sent = read_until_closed(&mut s)
        .await
        .expect("the server closes a connection whose body stalls");
    let text = String::from_utf8_lossy(&sent);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains(r#""__type":"RequestTimeoutException""#),
        "{text}"
    );
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let server = server().await;
    // A connection that never sends anything.
    let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
    // A keep-alive connection after one request.
    let mut kept = TcpStream::connect(server.local_addr()).await.unwrap();
    // Taken before the request: the server's idle clock starts when it answers, later, so
    // a stall of this test between the answer and the reads can only make `elapsed` longer.
    let started = Instant::now();
    kept.write_all(b"GET /_kms/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = timeout(PATIENCE, kept.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    assert_eq!(read_until_closed(&mut silent).await, Some(Vec::new()));
    assert_eq!(read_until_closed(&mut kept).await, Some(Vec::new()));
    assert!(
        started.elapsed() >= SHORT / 2,
        "not closed before the timeout"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn keep_alive_connections_serve_several_requests() {
    // Pauses of SHORT / 3 against an idle timeout far above them, so a loaded machine's
    // stall cannot turn a pause into an idle close.
    let server = server_with_idle(PATIENCE / 2).await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    for _ in 0..3 {
        s.write_all(b"GET /_kms/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 4096];
        let n = timeout(PATIENCE, s.read(&mut buf)).await.unwrap().unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        tokio::time::sleep(SHORT / 3).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_idle_keep_alive_connections_at_once() {
    // Default timeouts: waiting out the idle timeout would take a minute.
    let server = start_server().await;
    let mut kept = TcpStream::connect(server.local_addr()).await.unwrap();
    kept.write_all(b"GET /_kms/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = timeout(PATIENCE, kept.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    timeout(PATIENCE, server.shutdown())
        .await
        .expect("shutdown does not wait for idle connections");
    assert_eq!(read_until_closed(&mut kept).await, Some(Vec::new()));
}

#[tokio::test]
async fn an_oversized_body_that_stalls_is_413_after_the_body_timeout() {
    let server = server().await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.Encrypt\r\nContent-Length: 10485760\r\n\r\n{\"KeyId\":",
    )
    .await
    .unwrap();
    let sent = read_until_closed(&mut s)
        .await
        .expect("the server closes a connection whose oversized body stalls");
    let text = String::from_utf8_lossy(&sent);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    server.shutdown().await;
}
