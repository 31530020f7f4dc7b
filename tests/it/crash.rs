//! Crash safety: SIGKILL the real server binary in the middle of a storm of CreateKey,
//! Encrypt, rotations and alias changes, restart it on the same data directory, and check that
//! every acknowledged mutation is there and every ciphertext made before the kill decrypts.
//!
//! A killed process leaves the operating system's page cache behind, so this test shows that
//! the server acknowledges only committed mutations; it would pass with fsync turned off.
//! Losing what was not synced (a power loss) is `power_loss.rs`.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kms::Client;
use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::primitives::Blob;

const ROOT_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

fn spawn_server(dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--throttle",
            "off",
            "--log",
            "warn",
        ])
        .arg("--data-dir")
        .arg(dir)
        .env("KMS_ROOT_KEY", ROOT_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kms-emulator")
}

async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not come up on port {port}");
}

fn client(port: u16) -> Client {
    let config = aws_sdk_kms::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// What the storm saw acknowledged (and what was in flight, for aliases).
#[derive(Default)]
struct Acked {
    keys: Vec<String>,
    ciphertexts: Vec<(Vec<u8>, Vec<u8>)>,
    rotations: HashMap<String, usize>,
    /// Alias name -> targets it may point to: the last acknowledged one and any sent after it.
    aliases: HashMap<String, Vec<String>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_mutations_survive_sigkill() {
    let dir = std::env::temp_dir().join(format!("kms-crash-{}", uuid::Uuid::new_v4()));
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = spawn_server(&dir, port);
    wait_healthy(port).await;
    let kms = client(port);

    let acked = Arc::new(Mutex::new(Acked::default()));
    // A few keys to start from, so every worker has something to encrypt and rotate.
    for _ in 0..4 {
        let id = kms
            .create_key()
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap()
            .key_id;
        acked.lock().unwrap().keys.push(id);
    }

    let mut workers = Vec::new();
    for worker in 0..6usize {
        let (kms, acked) = (kms.clone(), acked.clone());
        workers.push(tokio::spawn(async move {
            let alias = format!("alias/storm-{worker}");
            for round in 0usize.. {
                let keys = acked.lock().unwrap().keys.clone();
                let key = keys[(worker + round) % keys.len()].clone();
                match round % 4 {
                    0 => {
                        if let Ok(out) = kms.create_key().send().await {
                            acked
                                .lock()
                                .unwrap()
                                .keys
                                .push(out.key_metadata.unwrap().key_id);
                        }
                    }
                    1 => {
                        let text = format!("worker {worker} round {round}").into_bytes();
                        if let Ok(out) = kms
                            .encrypt()
                            .key_id(&key)
                            .plaintext(Blob::new(text.clone()))
                            .send()
                            .await
                        {
                            acked
                                .lock()
                                .unwrap()
                                .ciphertexts
                                .push((out.ciphertext_blob.unwrap().into_inner(), text));
                        }
                    }
                    2 => {
                        if kms.rotate_key_on_demand().key_id(&key).send().await.is_ok() {
                            *acked.lock().unwrap().rotations.entry(key).or_default() += 1;
                        }
                    }
                    _ => {
                        let first = !acked.lock().unwrap().aliases.contains_key(&alias);
                        if !first {
                            acked
                                .lock()
                                .unwrap()
                                .aliases
                                .get_mut(&alias)
                                .unwrap()
                                .push(key.clone());
                        }
                        let sent = if first {
                            kms.create_alias()
                                .alias_name(&alias)
                                .target_key_id(&key)
                                .send()
                                .await
                                .is_ok()
                        } else {
                            kms.update_alias()
                                .alias_name(&alias)
                                .target_key_id(&key)
                                .send()
                                .await
                                .is_ok()
                        };
                        if sent {
                            // Acknowledged: from now on only this target or later ones are possible.
                            acked
                                .lock()
                                .unwrap()
                                .aliases
                                .insert(alias.clone(), vec![key]);
                        }
                    }
                }
            }
        }));
    }
    // The storm runs 1.5 s, and on until each kind of work has been acknowledged at least
    // once (a loaded machine's fsyncs are slow), then the server is killed in the middle of it.
    let storm = std::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let did_work = {
            let a = acked.lock().unwrap();
            a.keys.len() > 4 && !a.ciphertexts.is_empty() && !a.rotations.is_empty()
        };
        let elapsed = storm.elapsed();
        if (did_work && elapsed >= Duration::from_millis(1500)) || elapsed > Duration::from_secs(30)
        {
            break;
        }
    }
    server.kill().expect("SIGKILL the server");
    server.wait().unwrap();
    for w in &workers {
        w.abort();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;

    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.keys.len() > 4 && !acked.ciphertexts.is_empty() && !acked.rotations.is_empty(),
        "the storm did work"
    );

    let mut server = spawn_server(&dir, port);
    wait_healthy(port).await;
    let kms = client(port);
    for key in &acked.keys {
        kms.describe_key()
            .key_id(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("acknowledged key {key} lost: {e:?}"));
    }
    for (blob, text) in &acked.ciphertexts {
        let out = kms
            .decrypt()
            .ciphertext_blob(Blob::new(blob.clone()))
            .send()
            .await
            .expect("ciphertext decrypts");
        assert_eq!(out.plaintext.unwrap().as_ref(), text.as_slice());
    }
    for (key, count) in &acked.rotations {
        let listed = kms
            .list_key_rotations()
            .key_id(key)
            .limit(1000)
            .send()
            .await
            .unwrap()
            .rotations
            .unwrap_or_default()
            .len();
        assert!(
            listed >= *count,
            "{key}: {listed} rotations stored, {count} acknowledged"
        );
    }
    for (alias, targets) in &acked.aliases {
        let listed = kms
            .list_aliases()
            .limit(1000)
            .send()
            .await
            .unwrap()
            .aliases
            .unwrap_or_default();
        if let Some(entry) = listed
            .iter()
            .find(|a| a.alias_name.as_deref() == Some(alias))
        {
            let target = entry.target_key_id.clone().unwrap();
            assert!(
                targets.contains(&target),
                "{alias} points to {target}, not one of {targets:?}"
            );
        } else {
            panic!("acknowledged alias {alias} lost");
        }
    }
    eprintln!(
        "crash test: {} keys, {} ciphertexts, {} rotations, {} aliases checked after SIGKILL",
        acked.keys.len(),
        acked.ciphertexts.len(),
        acked.rotations.values().sum::<usize>(),
        acked.aliases.len()
    );
    server.kill().ok();
    server.wait().ok();
    std::fs::remove_dir_all(dir).ok();
}
