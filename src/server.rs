//! The accept loop: HTTP/1.1 connections served with hyper, each under three timeouts, and a
//! graceful shutdown. `axum::serve` has no timeouts at all, so a client that never finishes
//! its headers or body, or keeps a connection open doing nothing, would hold it for ever.
//!
//! A connection is always in one of three phases, watched by a timer of its own:
//! - **idle**: waiting for the first byte of a request (a new connection, or keep-alive after
//!   a response): closed after [`Timeouts::idle`];
//! - **head**: the first byte arrived, the head is not complete: closed after
//!   [`Timeouts::header`] from that first byte;
//! - **busy**: the handler has the request. Its body must arrive within [`Timeouts::body`] of
//!   the head (`DeadlineBody`; the KMS handler then answers 408, or 413 for a body it was
//!   draining), and the handler itself is not timed (fault injection may delay it on purpose).
//!
//! hyper's own `header_read_timeout` also starts while a keep-alive connection is idle, so it
//! cannot give the idle and header phases different limits; the phases are tracked here from
//! the bytes read and the service calls instead.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::config::Timeouts;

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and waits
/// for the open connections to finish their requests (idle ones close at once), and for their
/// tasks to be gone, so nothing they held (the engine, a store's file lock) outlives the
/// return. With
/// `record_peer`, each request carries its peer's address as a `ConnectInfo<SocketAddr>`.
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    record_peer: bool,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        // Finished connection tasks are reaped as new ones come, so the set stays small.
        while connections.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => (stream, peer),
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::error!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let phase = Arc::new(Phase::new());
        let io = TokioIo::new(Watched {
            stream,
            phase: Arc::clone(&phase),
        });
        let service = {
            let (router, phase) = (router.clone(), Arc::clone(&phase));
            hyper::service::service_fn(move |request: Request<Incoming>| {
                let (router, phase) = (router.clone(), Arc::clone(&phase));
                phase.set(Phase::BUSY);
                let mut request =
                    request.map(|body| Body::new(DeadlineBody::new(body, timeouts.body)));
                if record_peer {
                    // The peer's address, for `aws:SourceIp` (axum's own ConnectInfo type).
                    request.extensions_mut().insert(ConnectInfo(peer));
                }
                async move {
                    let response = router.oneshot(request).await;
                    phase.set(Phase::IDLE);
                    response
                }
            })
        };
        let connection = graceful.watch(
            hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, service),
        );
        connections.spawn(async move {
            tokio::select! {
                served = connection => {
                    if let Err(e) = served {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                () = phase.expired(timeouts) => {
                    tracing::debug!("connection timed out");
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Errors of one incoming connection, not of the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A connection's phase and since when, for its watchdog.
struct Phase {
    phase: AtomicU8,
    /// Milliseconds since `base` when the phase began.
    since_ms: AtomicU64,
    base: Instant,
}

impl Phase {
    const IDLE: u8 = 0;
    const HEAD: u8 = 1;
    const BUSY: u8 = 2;

    fn new() -> Self {
        Self {
            phase: AtomicU8::new(Self::IDLE),
            since_ms: AtomicU64::new(0),
            base: Instant::now(),
        }
    }

    fn set(&self, phase: u8) {
        let now = self.base.elapsed().as_millis() as u64;
        self.since_ms.store(now, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Release);
    }

    /// Bytes arrived: an idle connection is now reading a head.
    fn bytes_read(&self) {
        if self.phase.load(Ordering::Acquire) == Self::IDLE {
            self.set(Self::HEAD);
        }
    }

    /// Completes when the connection has spent longer in its phase than the phase allows.
    ///
    /// The phase changes without waking this watch (a wake-up per request would cost the hot
    /// path), so it never sleeps longer than `header` in a phase that a head may begin in: a
    /// head that begins while it sleeps is seen at most `header` later, that is by the head's
    /// own deadline, and the watch then sleeps exactly until that deadline. (Sleeping until an
    /// idle connection's idle deadline instead let a head begun meanwhile run on for up to
    /// `idle`: hundreds of slowloris connections stayed open 60 s under a 10 s header limit.)
    async fn expired(&self, timeouts: Timeouts) {
        loop {
            let phase = self.phase.load(Ordering::Acquire);
            let since = Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
            let now = Instant::now();
            let wake = match phase {
                Self::IDLE => {
                    let deadline = self.base + since + timeouts.idle;
                    if now >= deadline {
                        return;
                    }
                    deadline.min(now + timeouts.header)
                }
                Self::HEAD => {
                    let deadline = self.base + since + timeouts.header;
                    if now >= deadline {
                        return;
                    }
                    deadline
                }
                // The handler's own time is not limited: look again later.
                _ => now + timeouts.idle.min(timeouts.header),
            };
            tokio::time::sleep_until(wake).await;
        }
    }
}

/// The TCP stream, telling its [`Phase`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    phase: Arc<Phase>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.phase.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The error of a request body that did not arrive within [`Timeouts::body`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTimeout;

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimeout {}

/// True when `err` (from reading a request body) is a [`BodyTimeout`].
pub fn is_body_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(err);
    while let Some(e) = source {
        if e.is::<BodyTimeout>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// A request body that fails with [`BodyTimeout`] once its deadline has passed. The timer is
/// only armed when the body is not all there at once: a small request, whose body arrives
/// with its head, never touches the timer wheel.
struct DeadlineBody {
    inner: Incoming,
    /// When the body must be complete.
    deadline: Instant,
    /// Armed on the first poll that finds the body incomplete.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, limit: Duration) -> Self {
        Self {
            inner,
            deadline: Instant::now() + limit,
            timer: None,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
