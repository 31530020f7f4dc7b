//! The `kms-emulator` server: AWS KMS's JSON 1.1 protocol over HTTP in front of the
//! [`kms_api`] engine, plus an admin API. Other programs and tests embed it with [`app`],
//! [`serve`] or [`start`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = kms_emulator::start(kms_emulator::Config::default(), kms_api::Kms::new(), "127.0.0.1:0").await?;
//! println!("KMS at {}", server.url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`protocol`]: the AWS JSON 1.1 request handler and error responses.
//! - [`credential`]: (account, Region) from the SigV4 credential.
//! - [`auth`]: the `--auth` mode, the known principals, and SigV4 verification.
//! - [`regions`]: the AWS Regions a credential may name.
//! - [`admin`]: `/_kms/health`, `/_kms/reset`, `/_kms/clock`, `/_kms/quotas`, and who may
//!   call them.
//! - [`scheduler`]: automatic rotations and deletions on the engine's clock.
//! - [`config`]: server settings.
//! - [`server`]: the accept loop, connection timeouts and graceful shutdown.
//! - [`sts`]: STS's GetCallerIdentity on the same listener (for tools that ask who they are).

pub mod admin;
pub mod audit;
pub mod auth;
pub mod config;
pub mod credential;
pub mod dashboard;
pub mod faults;
#[doc(hidden)]
pub mod fuzzing;
pub mod logging;
pub mod metrics;
pub mod protocol;
pub use kms_api::regions;
pub mod scheduler;
pub mod server;
pub mod store;
pub mod sts;
pub mod throttle;
pub mod traffic;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use kms_api::Kms;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::Config;
use throttle::Throttle;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The engine.
    pub kms: Kms,
    /// Server settings.
    pub config: Arc<Config>,
    /// Admission control per (account, Region, quota).
    pub throttle: Arc<Throttle>,
    /// Injected faults.
    pub faults: Arc<faults::Faults>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// The last minute of traffic, second by second, for the dashboard.
    pub traffic: Arc<traffic::Traffic>,
    /// The CloudTrail-like audit log.
    pub audit: Arc<audit::AuditLog>,
    /// Whether the server is reachable from this machine only. [`serve`] sets it from the
    /// listener's address; it starts `false`, so the admin API's network rules hold for a
    /// router served some other way.
    pub loopback_only: bool,
}

impl AppState {
    /// State over `kms` with `config`.
    pub fn new(kms: Kms, config: Config) -> Self {
        let throttle = Arc::new(
            Throttle::new(config.quotas.clone(), config.throttle)
                .with_max_scopes(config.max_throttle_scopes),
        );
        Self {
            kms,
            config: Arc::new(config),
            throttle,
            faults: Arc::new(faults::Faults::default()),
            metrics: Arc::new(metrics::Metrics::new()),
            traffic: Arc::new(traffic::Traffic::new()),
            audit: Arc::new(audit::AuditLog::disabled()),
            loopback_only: false,
        }
    }

    /// The same state with its throttle on `clock`, so tests can move the limiters' time by
    /// hand instead of sleeping (quotas and on/off as in the config).
    pub fn with_throttle_clock(mut self, clock: throttle::ThrottleClock) -> Self {
        self.throttle = Arc::new(
            Throttle::with_clock(self.config.quotas.clone(), self.config.throttle, clock)
                .with_max_scopes(self.config.max_throttle_scopes),
        );
        self
    }

    /// The same state writing its audit log to `audit`.
    pub fn with_audit(mut self, audit: audit::AuditLog) -> Self {
        self.audit = Arc::new(audit);
        self
    }
}

/// The router: `POST /` for KMS, `/_kms/...` for administration (behind [`admin::guard`]
/// except health), `/metrics`.
pub fn app(state: AppState) -> Router {
    let guarded = Router::new()
        .route("/_kms/reset", post(admin::reset))
        .route("/_kms/clock", get(admin::clock).post(admin::advance_clock))
        .route("/_kms/quotas", get(admin::quotas).put(admin::put_quotas))
        .route(
            "/_kms/custom-key-stores/disconnect",
            post(admin::disconnect_key_store),
        )
        .route(
            "/_kms/faults",
            get(faults::get).put(faults::put).delete(faults::delete),
        )
        .merge(dashboard::api())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::guard,
        ));
    Router::new()
        .route("/", post(protocol::handle))
        .route("/_kms/health", get(admin::health).post(admin::health))
        .route("/metrics", get(metrics::scrape))
        .merge(dashboard::assets())
        .merge(guarded)
        .fallback(protocol::fallback)
        .with_state(state)
}

/// Serves `app(state)` on `listener` until `shutdown` completes, with the scheduler
/// (automatic rotations and deletions) and the metrics upkeep running in the background.
pub async fn serve(
    listener: TcpListener,
    mut state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.loopback_only = admin::is_loopback(listener.local_addr()?.ip());
    let scheduler = scheduler::spawn(state.kms.clone());
    let upkeep = metrics::spawn_upkeep(state.metrics.clone());
    let sweeper = throttle::limiter::spawn_idle_sweeper(state.throttle.clone());
    let timeouts = state.config.timeouts;
    let kms = state.kms.clone();
    // The peer's address is kept for `aws:SourceIp` and the audit log's `sourceIPAddress`.
    let record_peer = state.config.auth.enforces() || state.audit.is_enabled();
    let result = server::run(listener, app(state), timeouts, record_peer, shutdown).await;
    scheduler.abort();
    upkeep.abort();
    sweeper.abort();
    // An aborted task is dropped (with the engine handle it holds, and so the store's file
    // lock) only when the runtime next polls it: wait for that, so a caller that reopens the
    // data directory right after `serve` returns finds it free.
    let _ = tokio::join!(scheduler, upkeep, sweeper);
    // Key usage is written lazily; a graceful stop writes what is left.
    let _ = tokio::task::spawn_blocking(move || kms.flush_key_usage()).await;
    result
}

/// A server running in the background.
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, for an SDK's endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes in-flight requests, and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Binds `addr` (port 0 picks a free port) and serves in a background task.
pub async fn start(config: Config, kms: Kms, addr: &str) -> std::io::Result<RunningServer> {
    start_with_state(AppState::new(kms, config), addr).await
}

/// [`start`] with a prepared [`AppState`] (e.g. one with an injected throttle clock).
pub async fn start_with_state(state: AppState, addr: &str) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task,
    })
}
