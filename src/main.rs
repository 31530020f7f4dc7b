//! `kms-emulator`: parses the command line (every flag also an environment variable), sets up
//! logging, binds and serves until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use kms_emulator::AppState;
use kms_emulator::config::{Config, DEFAULT_BODY_LIMIT, Secret, Timeouts, is_account_id};
use kms_emulator::logging::{self, LogFormat};
use kms_emulator::throttle::QuotaTable;

/// A local AWS KMS that the AWS SDKs and CLI accept unchanged.
// No `Debug`: the secrets (`--root-key`, `--admin-token`) are `Secret`s, which cannot be
// printed, so neither can a struct holding them.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on: IP:PORT, localhost:PORT or a port alone (on 127.0.0.1). Without
    /// it, 127.0.0.1 and the port in $PORT (default 8080).
    #[arg(long, env = "KMS_LISTEN", value_parser = listen_address)]
    listen: Option<SocketAddr>,

    /// Port when --listen is not given (local-kms's variable).
    #[arg(long, env = "PORT", default_value_t = 8080, hide = true, allow_negative_numbers = true, value_parser = whole_number::<u16>)]
    port: u16,

    /// Account of requests whose access key ID is not a 12-digit account ID.
    #[arg(long, env = "KMS_ACCOUNT_ID", default_value = "111122223333", value_parser = account_id)]
    account_id: String,

    /// Region of requests that carry no SigV4 credential scope.
    #[arg(long, env = "KMS_REGION", default_value = "us-east-1", value_parser = region)]
    region: String,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "KMS_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    body_limit: usize,

    /// Seconds a client may take to send a request's head, from its first byte.
    #[arg(long, env = "KMS_HEADER_TIMEOUT", default_value = "10", value_parser = parse_seconds, value_name = "SECONDS", allow_negative_numbers = true)]
    header_timeout: Duration,

    /// Seconds a client may take to send a request's body, after its head.
    #[arg(long, env = "KMS_BODY_TIMEOUT", default_value = "30", value_parser = parse_seconds, value_name = "SECONDS", allow_negative_numbers = true)]
    body_timeout: Duration,

    /// Seconds a connection may wait for a request (new, or keep-alive between requests).
    #[arg(long, env = "KMS_IDLE_TIMEOUT", default_value = "60", value_parser = parse_seconds, value_name = "SECONDS", allow_negative_numbers = true)]
    idle_timeout: Duration,

    /// Throttle like AWS (`aws`) or never (`off`).
    #[arg(long, env = "KMS_THROTTLE", default_value = "aws", value_parser = ["aws", "off"])]
    throttle: String,

    /// Override a request quota for every account and Region: NAME=RATE (requests per second;
    /// fractions allowed). NAME is an operation (CreateKey, DescribeKey, ...), a shared class
    /// (symmetric, rsa, ecc, ml-dsa) or GenerateDataKeyPair:<spec>. Repeatable.
    #[arg(
        long = "quota",
        env = "KMS_QUOTA",
        value_delimiter = ',',
        value_name = "NAME=RATE"
    )]
    quotas: Vec<String>,

    /// The most (account, Region) scopes that keep throttle limiters at once; past it the
    /// least recently used are dropped.
    #[arg(long, env = "KMS_MAX_THROTTLE_SCOPES", default_value_t = kms_emulator::throttle::limiter::DEFAULT_MAX_SCOPES, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    max_throttle_scopes: usize,

    /// A TOML file of per-Region and per-account quotas (see README, "Throttling").
    #[arg(long = "quotas", env = "KMS_QUOTAS_FILE", value_name = "FILE")]
    quotas_file: Option<std::path::PathBuf>,

    /// Write a CloudTrail-like JSON line per request to this file (`-` for stdout).
    #[arg(long, env = "KMS_AUDIT_LOG", value_name = "PATH")]
    audit_log: Option<String>,

    /// Keep all state durably in this directory (created if missing). Without it the emulator
    /// runs in memory.
    #[arg(long, env = "KMS_DATA_PATH", value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,

    /// File holding the 256-bit root key (base64) that wraps key material at rest.
    #[arg(long, env = "KMS_ROOT_KEY_FILE", value_name = "FILE")]
    root_key_file: Option<std::path::PathBuf>,

    /// The root key itself, base64. With neither this nor --root-key-file, one is generated
    /// into the data directory (mode 0600) on first start.
    #[arg(
        long,
        env = "KMS_ROOT_KEY",
        hide_env_values = true,
        value_name = "BASE64",
        value_parser = parse_secret
    )]
    root_key: Option<Secret>,

    /// Seed keys and aliases from a local-kms seed YAML (or the same structure in JSON).
    #[arg(long, env = "KMS_SEED_PATH", value_name = "FILE")]
    seed: Option<std::path::PathBuf>,

    /// Start with emulated time this many seconds ahead of the system clock.
    #[arg(
        long,
        env = "KMS_CLOCK_OFFSET_SECONDS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    clock_offset_seconds: i64,

    /// Require `Authorization: Bearer <TOKEN>` on every /_kms/ endpoint but health.
    #[arg(
        long,
        env = "KMS_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        value_parser = parse_secret
    )]
    admin_token: Option<Secret>,

    /// Without --admin-token, allow admin API changes (reset, clock, quotas, faults) even when
    /// listening beyond loopback. Anyone who can reach the port can then wipe every key.
    #[arg(long, env = "KMS_ADMIN_OPEN")]
    admin_open: bool,

    /// Without --admin-token, the host names the admin API answers to besides localhost and IP
    /// addresses (comma-separated; `*` for any). A request naming another Host is refused, so a
    /// web page cannot reach the admin API through DNS rebinding.
    #[arg(
        long,
        env = "KMS_ADMIN_ALLOWED_HOSTS",
        value_name = "HOSTS",
        value_delimiter = ',',
        value_parser = parse_allowed_host
    )]
    admin_allowed_hosts: Vec<String>,

    /// How callers are authenticated and authorized: `none` (no checks), `sigv4` (every KMS
    /// request must carry a valid AWS Signature Version 4 of a known principal) or `enforce`
    /// (sigv4, and key policies, identity policies and grants decide, as in AWS).
    #[arg(long, env = "KMS_AUTH", default_value = "none", value_parser = ["none", "sigv4", "enforce"])]
    auth: String,

    /// A principal: AKID:SECRET:PRINCIPAL_ARN (its account is the ARN's; identity policy
    /// `kms:*` on its own account). Repeatable; the variable takes a comma-separated list.
    #[arg(
        long = "principal",
        env = "KMS_PRINCIPALS",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "AKID:SECRET:ARN"
    )]
    principals: Vec<String>,

    /// A TOML or JSON file of principals: access key IDs with their secret keys, ARNs,
    /// session tokens and identity policies (see README, "Access control").
    #[arg(long = "principals", env = "KMS_PRINCIPALS_FILE", value_name = "FILE")]
    principals_file: Option<std::path::PathBuf>,

    /// Log filter: a level (off, error, warn, info, debug, trace) or comma-separated
    /// target=level directives, e.g. info,kms_emulator=debug. Logs go to stderr.
    #[arg(long, env = "KMS_LOG", default_value = "info")]
    log: String,

    /// Log line format: text, or JSON objects (one per line) for log collectors.
    #[arg(long, env = "KMS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let matches = match Args::command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) => exit_naming_the_variable(e),
    };
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    let log_flag = match matches.value_source("log") {
        Some(ValueSource::EnvVariable) => "KMS_LOG",
        _ => "--log",
    };
    match logging::parse_filter(&args.log, log_flag) {
        Ok(filter) => logging::init(filter, args.log_format),
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    }
    let named = |id: &str, flag: &'static str, env: &'static str| match matches.value_source(id) {
        Some(ValueSource::EnvVariable) => env,
        _ => flag,
    };
    let root_key = args
        .root_key
        .is_some()
        .then(|| named("root_key", "--root-key", "KMS_ROOT_KEY"));
    let root_key_file = args
        .root_key_file
        .is_some()
        .then(|| named("root_key_file", "--root-key-file", "KMS_ROOT_KEY_FILE"));
    if let (Some(key), Some(file)) = (root_key, root_key_file) {
        eprintln!("error: {key} and {file} are both set: give the root key one way only");
        return std::process::ExitCode::from(2);
    }
    if let (Some(given), None) = (root_key.or(root_key_file), &args.data_dir) {
        tracing::warn!(
            "{given} is ignored without --data-dir (KMS_DATA_PATH): state is kept in memory, and nothing is wrapped at rest"
        );
    }
    if let Err(e) = check_clock_offset(args.clock_offset_seconds) {
        eprintln!("error: {e}");
        return std::process::ExitCode::from(2);
    }
    if args
        .admin_token
        .as_ref()
        .is_some_and(|t| t.expose().trim_ascii().is_empty())
    {
        eprintln!("error: --admin-token must not be empty");
        return std::process::ExitCode::from(2);
    }
    let addr = args
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], args.port)));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let mut quotas = QuotaTable::default();
    for flag in &args.quotas {
        if let Err(e) = quotas.apply_flag(flag) {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    }
    if let Some(path) = &args.quotas_file {
        let applied = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| quotas.apply_toml(&text));
        if let Err(e) = applied {
            eprintln!("error: quotas file {}: {e}", path.display());
            return std::process::ExitCode::from(2);
        }
    }
    let auth = match build_authenticator(&args) {
        Ok(auth) => auth,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let config = Config {
        default_account: args.account_id.clone(),
        default_region: args.region.clone(),
        body_limit: args.body_limit,
        throttle: args.throttle == "aws",
        quotas,
        max_throttle_scopes: args.max_throttle_scopes,
        timeouts: Timeouts {
            header: args.header_timeout,
            body: args.body_timeout,
            idle: args.idle_timeout,
        },
        admin_token: args.admin_token.clone(),
        admin_open: args.admin_open,
        admin_allowed_hosts: args.admin_allowed_hosts.clone(),
        data_dir: args.data_dir.clone(),
        auth,
    };
    let mut builder = kms_api::Kms::builder();
    let mut store = None;
    let mut clock_offset = args.clock_offset_seconds;
    if let Some(dir) = &args.data_dir {
        match open_store(dir, &args).and_then(|s| {
            let offset = s.start_clock_offset(clock_offset)?;
            Ok((s, offset))
        }) {
            Ok((s, offset)) => {
                builder = builder.persistence(s.clone()).token_key(s.token_key());
                store = Some(s);
                clock_offset = offset;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let clock = std::sync::Arc::new(kms_api::SystemClock::with_offset_seconds(clock_offset));
    let kms = builder.clock(clock).build();
    let storage = match &store {
        Some(s) => match s.restore_into(&kms) {
            Ok((keys, aliases)) => {
                format!("{} ({keys} keys, {aliases} aliases)", s.dir().display())
            }
            Err(e) => {
                eprintln!("error: cannot load {}: {e}", s.dir().display());
                return std::process::ExitCode::from(2);
            }
        },
        None => "in memory; keys are lost on exit".to_owned(),
    };
    if let Some(seed) = &args.seed {
        let scope = kms_api::Scope::new(
            config.default_account.as_str(),
            config.default_region.as_str(),
        );
        match kms_emulator::store::seed::apply(seed, &kms, store.as_deref(), &scope) {
            Ok(out) => {
                let scopes: Vec<String> = out
                    .scopes
                    .iter()
                    .map(|s| format!("account {} Region {}", s.account(), s.region()))
                    .collect();
                tracing::info!(
                    "seeded from {} into {}: {} keys added, {} kept, {} aliases added, {} kept",
                    seed.display(),
                    if scopes.is_empty() {
                        "nothing".to_owned()
                    } else {
                        scopes.join(", ")
                    },
                    out.keys_added,
                    out.keys_kept,
                    out.aliases_added,
                    out.aliases_kept
                );
                for section in out.skipped_sections {
                    tracing::warn!(
                        "seed file section {section} skipped: HMAC keys go under Keys.Symmetric.Hmac, as in local-kms"
                    );
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let audit = match &args.audit_log {
        Some(path) => match kms_emulator::audit::AuditLog::open(path) {
            Ok(log) => Some(log),
            Err(e) => {
                eprintln!("error: cannot open the audit log {path}: {e}");
                return std::process::ExitCode::from(2);
            }
        },
        None => None,
    };
    // Every start-up step has succeeded: say what is in force.
    let in_force = banner_details(&args, &config, clock_offset);
    tracing::info!(
        "kms-emulator {} listening on http://{} (account {}, region {}, keys: {}, storage: {storage}; {in_force})",
        env!("CARGO_PKG_VERSION"),
        listener.local_addr().map_or(addr, |a| a),
        config.default_account,
        config.default_region,
        kms.key_count(),
    );
    warn_about_admin_access(&listener, &config);
    let mut state = AppState::new(kms, config);
    if let Some(log) = audit {
        state = state.with_audit(log);
    }
    match kms_emulator::serve(listener, state, shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: server failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The start-up line's account of what is in force: throttling and its overrides, the
/// quotas file, auth, the audit log, the seed file and the clock offset.
fn banner_details(args: &Args, config: &Config, clock_offset_seconds: i64) -> String {
    let mut parts = vec![if config.throttle {
        "throttling as AWS".to_owned()
    } else {
        "throttling off".to_owned()
    }];
    let overrides: Vec<&str> = args
        .quotas
        .iter()
        .map(|q| q.trim())
        .filter(|q| !q.is_empty())
        .collect();
    if !overrides.is_empty() {
        parts.push(format!("quota overrides {}", overrides.join(",")));
    }
    if let Some(path) = &args.quotas_file {
        parts.push(format!("quotas file {}", path.display()));
    }
    parts.push(format!(
        "auth {} with {} principals",
        config.auth.mode().name(),
        config.auth.principals().len()
    ));
    if let Some(path) = &args.audit_log {
        parts.push(format!(
            "audit log {}",
            if path == "-" { "stdout" } else { path }
        ));
    }
    if let Some(path) = &args.seed {
        parts.push(format!("seeded from {}", path.display()));
    }
    if clock_offset_seconds != 0 {
        parts.push(format!("clock offset {clock_offset_seconds} s"));
    }
    parts.join(", ")
}

/// The `--auth` mode over the `--principal` flags and the `--principals` file. `sigv4` with
/// no principal would refuse every request, so it is an error.
fn build_authenticator(args: &Args) -> Result<kms_emulator::auth::Authenticator, String> {
    use kms_emulator::auth::{AuthMode, Authenticator, Principal, Principals};
    let mode: AuthMode = args.auth.parse()?;
    let mut principals = Principals::new();
    for flag in args.principals.iter().filter(|f| !f.trim().is_empty()) {
        let principal = Principal::parse_short(flag.trim())
            .map_err(|e| format!("--principal / KMS_PRINCIPALS: {e}"))?;
        principals
            .add(principal)
            .map_err(|e| format!("--principal: {e}"))?;
    }
    if let Some(path) = &args.principals_file {
        principals
            .add_file(path)
            .map_err(|e| format!("--principals / KMS_PRINCIPALS_FILE {}: {e}", path.display()))?;
    }
    if mode != AuthMode::None && principals.is_empty() {
        return Err(format!(
            "--auth {} needs at least one principal: --principal AKID:SECRET:ARN or --principals FILE",
            mode.name()
        ));
    }
    Ok(Authenticator::new(mode, principals))
}

/// `--clock-offset-seconds` stays within 1000 years either way. `unsigned_abs`, because
/// `i64::MIN.abs()` overflows.
fn check_clock_offset(seconds: i64) -> Result<(), String> {
    if seconds.unsigned_abs() > kms_emulator::admin::MAX_TOTAL_OFFSET_SECONDS.unsigned_abs() {
        Err(format!(
            "--clock-offset-seconds must be within 1000 years ({} s) either way, got {seconds}",
            kms_emulator::admin::MAX_TOTAL_OFFSET_SECONDS
        ))
    } else {
        Ok(())
    }
}

/// Exits with clap's error, adding the environment variable when the bad value came from one
/// rather than from the flag clap names (`--body-limit` set as `KMS_BODY_LIMIT=-4`).
fn exit_naming_the_variable(error: clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        error.exit()
    };
    let flag = arg.split_whitespace().next().unwrap_or_default().to_owned();
    let on_command_line = std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    let env = Args::command()
        .get_arguments()
        .find(|a| a.get_long().is_some_and(|long| flag == format!("--{long}")))
        .and_then(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()));
    match env {
        Some(env) if !on_command_line && std::env::var_os(&env).is_some() => {
            let text = error.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            eprintln!("{first} (set by {env})");
            std::process::exit(2)
        }
        _ => error.exit(),
    }
}

/// A count or size flag: a whole number, with "must not be negative" for `-5` (clap's own
/// answer would be `unexpected argument '-5'`).
fn whole_number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err(format!("must not be negative, got {text}"));
    }
    text.parse()
        .map_err(|_| format!("{text:?} is not a whole number (or is too large)"))
}

/// `--account-id`: an AWS account ID, 12 digits.
fn account_id(text: &str) -> Result<String, String> {
    if is_account_id(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "must be an AWS account ID (12 digits), got {text:?}"
        ))
    }
}

/// `--region`: a Region AWS has.
fn region(text: &str) -> Result<String, String> {
    if kms_emulator::regions::is_known(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "must be an AWS Region (e.g. us-east-1), got {text:?}"
        ))
    }
}

/// `--listen`: `IP:PORT` (`[::1]:PORT` for IPv6), `localhost:PORT` (127.0.0.1) or a port
/// alone (127.0.0.1). Other host names are refused rather than resolved, so the address
/// listened on is always the one the banner shows.
fn listen_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let loopback = |port: &str| {
        whole_number::<u16>(port)
            .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
            .map_err(|e| format!("the port {e}"))
    };
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Some((host, port)) = text.rsplit_once(':') {
        if host.eq_ignore_ascii_case("localhost") {
            return loopback(port);
        }
    } else if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
        return loopback(text);
    }
    Err(format!(
        "{text:?} is not an address to listen on: give IP:PORT (127.0.0.1:8080, 0.0.0.0:8080, [::1]:8080), localhost:PORT or a port"
    ))
}

/// A timeout flag: seconds, fractions allowed, more than 0 and at most an hour.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    if text.trim().starts_with('-') {
        return Err(format!("must not be negative, got {}", text.trim()));
    }
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if seconds > 0.0 && seconds <= 3600.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!(
            "must be more than 0 and at most 3600 seconds, got {text}"
        ))
    }
}

/// Says at start-up who may use the admin API when the port is reachable from elsewhere.
fn warn_about_admin_access(listener: &tokio::net::TcpListener, config: &Config) {
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    if kms_emulator::admin::is_loopback(addr.ip()) {
        return;
    }
    if config.admin_token.is_some() {
        tracing::info!("listening beyond loopback: the admin API (/_kms/) needs the admin token");
    } else if config.admin_open {
        tracing::warn!(
            "listening on {addr} with --admin-open and no admin token: anyone who can reach this port can reset every key, move the clock and change quotas and faults"
        );
    } else {
        tracing::warn!(
            "listening on {addr} without an admin token: the admin API refuses changes (reset, clock, quotas, faults) with 403; set --admin-token / KMS_ADMIN_TOKEN, or pass --admin-open to allow them to anyone"
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// A secret flag value, kept as a [`Secret`] from the moment it is parsed.
fn parse_secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::from_slice(value.as_bytes()))
}

/// One `--admin-allowed-hosts` entry: a host name as a `Host` header carries it (letters,
/// digits, `-`, `.`; no port), or `*`.
fn parse_allowed_host(value: &str) -> Result<String, String> {
    let host = value.trim().to_ascii_lowercase();
    let valid = host == "*"
        || (!host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    if valid {
        Ok(host)
    } else {
        Err(format!(
            "{value:?} is not a host name (letters, digits, '-' and '.', without a port) or *"
        ))
    }
}

/// Opens the data directory's store with the chosen root key.
fn open_store(
    dir: &std::path::Path,
    args: &Args,
) -> Result<std::sync::Arc<kms_emulator::store::Store>, String> {
    use kms_emulator::store::root_key::{RootKey, RootKeySource};
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (root, source) = RootKey::load(
        args.root_key_file.as_deref(),
        args.root_key.as_ref().map(Secret::expose),
        dir,
    )?;
    if let RootKeySource::Generated(path) = &source {
        tracing::warn!(
            "generated a new root key into {} (mode 0600); keep it with the data, or pass --root-key-file / KMS_ROOT_KEY",
            path.display()
        );
    }
    kms_emulator::store::Store::open(dir, root).map(std::sync::Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_flags_are_parsed_into_secrets() {
        // `Args` holds them as `Secret`s, which have no `Debug`: `Args` cannot be printed.
        let args = Args::try_parse_from([
            "kms-emulator",
            "--root-key",
            "c2VjcmV0LXJvb3Qta2V5LW1hdGVyaWFsLTMyLWJ5dGVzIQ==",
            "--admin-token",
            "admin-token-do-not-print",
        ])
        .unwrap();
        assert_eq!(
            args.root_key.as_ref().map(Secret::expose),
            Some(&b"c2VjcmV0LXJvb3Qta2V5LW1hdGVyaWFsLTMyLWJ5dGVzIQ=="[..])
        );
        assert_eq!(
            args.admin_token.as_ref().map(Secret::expose),
            Some(&b"admin-token-do-not-print"[..])
        );
    }

    #[test]
    fn listen_accepts_addresses_localhost_and_ports() {
        let v4 = |a: [u8; 4], p| SocketAddr::from((a, p));
        assert_eq!(listen_address("0.0.0.0:4566"), Ok(v4([0, 0, 0, 0], 4566)));
        assert_eq!(
            listen_address("localhost:8080"),
            Ok(v4([127, 0, 0, 1], 8080))
        );
        assert_eq!(listen_address("LOCALHOST:0"), Ok(v4([127, 0, 0, 1], 0)));
        assert_eq!(listen_address("9000"), Ok(v4([127, 0, 0, 1], 9000)));
        assert_eq!(
            listen_address("[::1]:8080"),
            "[::1]:8080"
                .parse::<SocketAddr>()
                .map_err(|e| e.to_string())
        );
        for bad in [
            "example.com:80",
            "localhost",
            "localhost:-1",
            "localhost:99999",
            "",
            ":80",
        ] {
            assert!(listen_address(bad).is_err(), "{bad}");
        }
        assert!(
            listen_address("localhost:-1")
                .unwrap_err()
                .contains("must not be negative")
        );
    }

    #[test]
    fn clock_offsets_are_checked_without_overflow() {
        let max = kms_emulator::admin::MAX_TOTAL_OFFSET_SECONDS;
        for ok in [0, max, -max, 86_400] {
            assert_eq!(check_clock_offset(ok), Ok(()), "{ok}");
        }
        for bad in [i64::MIN, i64::MAX, max + 1, -max - 1] {
            assert!(check_clock_offset(bad).is_err(), "{bad}");
        }
    }
}
