//! Durable store benchmarks: loading 100,000 keys at start-up (issue floor: ≤ 2 s and
//! ≤ 200 MB resident, measured on the real binary) and durable CreateKey commits.
//!
//! `cargo bench --bench store` builds a data directory of 100,000 keys once (under
//! `target/bench-store-100k`), times `Store::open` + `restore_into` with criterion, then starts
//! the release binary on it (build it first: `cargo build --release`) and reports the time to
//! the first answered health check and its resident memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use kms_api::{Kms, Scope};
use kms_emulator::store::Store;
use kms_emulator::store::root_key::RootKey;

/// Keys in the start-up benchmark; `cargo test` runs benches once in test mode, where a small
/// store keeps the run short.
fn key_count() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        1_000
    }
}
const ROOT: [u8; 32] = [42u8; 32];

fn data_dir() -> PathBuf {
    let keys = key_count();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-store-{keys}"));
    let done = dir.join("complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&dir, RootKey::from_bytes(&ROOT)).expect("open store");
        let kms = Kms::new();
        let scope = Scope::new("111122223333", "us-east-1");
        let mut batch = Vec::with_capacity(1000);
        for i in 0..keys {
            let meta = kms
                .create_key(&scope, Default::default())
                .expect("create key")
                .key_metadata;
            batch.push(meta.key_id);
            if batch.len() == 1000 || i + 1 == keys {
                let records: Vec<kms_api::KeyRecord> = batch
                    .drain(..)
                    .map(|id| kms.export_key(&scope, &id).expect("export"))
                    .collect();
                store.put_batch(&records, &[]).expect("write batch");
            }
        }
        std::fs::write(&done, b"").expect("mark complete");
    }
    dir
}

fn restore(c: &mut Criterion) {
    let dir = data_dir();
    let mut group = c.benchmark_group("store");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("open_and_restore_keys", |b| {
        b.iter(|| {
            let store = Store::open(&dir, RootKey::from_bytes(&ROOT)).expect("open");
            let kms = Kms::new();
            let (keys, _) = store.restore_into(&kms).expect("restore");
            assert_eq!(keys, key_count());
        })
    });
    group.finish();
    binary_startup(&dir);
}

/// Starts the release binary on the 100k-key directory: time to the first health answer and
/// resident memory then.
fn binary_startup(dir: &Path) {
    let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/kms-emulator");
    if !binary.exists() {
        eprintln!(
            "store: target/release/kms-emulator not built; skipping the binary start-up figure"
        );
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18080);
    let started = Instant::now();
    let mut child = std::process::Command::new(&binary)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--log", "warn"])
        .arg("--data-dir")
        .arg(dir)
        .env(
            "KMS_ROOT_KEY",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, ROOT),
        )
        .spawn()
        .expect("start the binary");
    // Ready means an answered health check: the listener accepts connections before the
    // store is loaded, and requests wait in its backlog until then.
    while !healthy(port) {
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let ready = started.elapsed();
    let rss = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "VmRSS: unknown".into());
    eprintln!(
        "store: binary with {} keys answered after {ready:?}; {rss}",
        key_count()
    );
    let _ = child.kill();
    let _ = child.wait();
}

fn durable_create_key(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("kms-bench-create-{}", std::process::id()));
    let store = Arc::new(Store::open(&dir, RootKey::from_bytes(&ROOT)).expect("open"));
    let kms = Kms::builder().persistence(store).build();
    let scope = Scope::new("111122223333", "us-east-1");
    let mut group = c.benchmark_group("store");
    group.sample_size(20);
    group.bench_function("durable_create_key", |b| {
        b.iter(|| {
            kms.create_key(&scope, Default::default())
                .expect("create key")
        })
    });
    group.finish();
    drop(kms);
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, restore, durable_create_key);
criterion_main!(benches);

fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    if stream
        .write_all(b"GET /_kms/health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}
