//! Power loss: the durable store runs on a simulated disk that keeps only what was synced
//! when the power goes. A fixed workload of mutations (keys, rotations, aliases, tags,
//! deletions, AWS managed keys, clock moves with their automatic rotations) is cut at every
//! point of its disk I/O in turn; after each cut the store is reopened from what the disk kept
//! and must hold every acknowledged mutation, plus at most the one in flight, and open without
//! corruption. Every ciphertext made before the cut must still decrypt.
//!
//! Two disks: one that loses every unsynced write (LazyFS's model), and one that keeps a
//! random, possibly torn, selection of the unsynced data writes (real disks persist some
//! writes early) with the file-size changes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use kms_api::{Kms, ManualClock, Operation, RandomSource, Scope, SeededRandom};
use kms_emulator::store::Store;
use kms_emulator::store::root_key::RootKey;
use serde_json::{Value, json};

const START: i64 = 1_800_000_000;

// ------------------------------------------------------------------------------------------
// The simulated disk
// ------------------------------------------------------------------------------------------

/// One write or resize not yet synced.
#[derive(Debug, Clone)]
enum Pending {
    Write(u64, Vec<u8>),
    SetLen(u64),
}

/// What survives: the synced image, and the writes since the last sync.
#[derive(Debug, Default)]
struct Platter {
    synced: Vec<u8>,
    live: Vec<u8>,
    pending: Vec<Pending>,
}

/// A redb storage backend whose power fails after a given number of I/O operations: that
/// operation and every later one fail, as if the machine stopped.
#[derive(Debug)]
struct FlakyDisk {
    platter: Arc<Mutex<Platter>>,
    /// I/O operations left before the power fails (negative: never).
    budget: Arc<AtomicI64>,
    dead: Arc<AtomicBool>,
    /// I/O operations performed, to find the crash points.
    ops: Arc<AtomicI64>,
}

impl FlakyDisk {
    fn on(image: Vec<u8>, budget: i64) -> Self {
        Self {
            platter: Arc::new(Mutex::new(Platter {
                synced: image.clone(),
                live: image,
                pending: Vec::new(),
            })),
            budget: Arc::new(AtomicI64::new(budget)),
            dead: Arc::new(AtomicBool::new(false)),
            ops: Arc::new(AtomicI64::new(0)),
        }
    }

    fn handle(&self) -> Self {
        Self {
            platter: Arc::clone(&self.platter),
            budget: Arc::clone(&self.budget),
            dead: Arc::clone(&self.dead),
            ops: Arc::clone(&self.ops),
        }
    }

    /// Spends one operation of the budget; the one that exhausts it fails, and so does
    /// everything after.
    fn spend(&self) -> std::io::Result<()> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("power lost"));
        }
        self.ops.fetch_add(1, Ordering::SeqCst);
        if self.budget.fetch_sub(1, Ordering::SeqCst) == 0 {
            self.dead.store(true, Ordering::SeqCst);
            return Err(std::io::Error::other("power lost"));
        }
        Ok(())
    }

    /// What the disk holds after the power came back: the synced image, plus (when `random`
    /// is given) the unsynced size changes (journaled metadata, as ext4 and XFS keep them) and
    /// a random selection of the unsynced data writes, some of them torn at a 512-byte
    /// boundary, applied in order.
    fn after_power_loss(&self, random: Option<&SeededRandom>) -> Vec<u8> {
        let platter = self.platter.lock().unwrap();
        let mut image = platter.synced.clone();
        let Some(random) = random else {
            return image;
        };
        for op in &platter.pending {
            if matches!(op, Pending::SetLen(_)) {
                apply(&mut image, op, usize::MAX);
                continue;
            }
            match pick(random, 3) {
                0 => {}
                1 => apply(&mut image, op, usize::MAX),
                _ => apply(&mut image, op, 512 * (1 + pick(random, 4) as usize)),
            }
        }
        image
    }
}

fn pick(random: &SeededRandom, n: u64) -> u64 {
    let mut b = [0u8; 8];
    random.fill(&mut b);
    u64::from_le_bytes(b) % n
}

/// Applies `op` to `image`, a write only up to `limit` bytes (a torn write).
fn apply(image: &mut Vec<u8>, op: &Pending, limit: usize) {
    match op {
        Pending::SetLen(len) => image.resize(*len as usize, 0),
        Pending::Write(offset, data) => {
            let offset = *offset as usize;
            let data = &data[..data.len().min(limit)];
            if image.len() < offset + data.len() {
                image.resize(offset + data.len(), 0);
            }
            image[offset..offset + data.len()].copy_from_slice(data);
        }
    }
}

impl redb::StorageBackend for FlakyDisk {
    fn len(&self) -> std::io::Result<u64> {
        Ok(self.platter.lock().unwrap().live.len() as u64)
    }

    fn read(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        let platter = self.platter.lock().unwrap();
        let offset = offset as usize;
        platter
            .live
            .get(offset..offset + len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| std::io::Error::other("read past the end"))
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.spend()?;
        let mut platter = self.platter.lock().unwrap();
        platter.live.resize(len as usize, 0);
        platter.pending.push(Pending::SetLen(len));
        Ok(())
    }

    fn sync_data(&self, _eventual: bool) -> std::io::Result<()> {
        self.spend()?;
        let mut platter = self.platter.lock().unwrap();
        let Platter {
            synced, pending, ..
        } = &mut *platter;
        for op in pending.drain(..) {
            apply(synced, &op, usize::MAX);
        }
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.spend()?;
        let mut platter = self.platter.lock().unwrap();
        let op = Pending::Write(offset, data.to_vec());
        apply(&mut platter.live, &op, usize::MAX);
        platter.pending.push(op);
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------
// The workload
// ------------------------------------------------------------------------------------------

/// One step: an operation and its body; `$N` stands for the N-th created key's ID.
const STEPS: &[(&str, &str)] = &[
    ("CreateKey", r#"{"Description":"first"}"#),
    ("Encrypt", r#"{"KeyId":"$0","Plaintext":"b25l"}"#),
    (
        "CreateAlias",
        r#"{"AliasName":"alias/app","TargetKeyId":"$0"}"#,
    ),
    ("RotateKeyOnDemand", r#"{"KeyId":"$0"}"#),
    ("Encrypt", r#"{"KeyId":"alias/app","Plaintext":"dHdv"}"#),
    ("CreateKey", r#"{"Description":"second"}"#),
    (
        "TagResource",
        r#"{"KeyId":"$1","Tags":[{"TagKey":"team","TagValue":"a"}]}"#,
    ),
    (
        "UpdateAlias",
        r#"{"AliasName":"alias/app","TargetKeyId":"$1"}"#,
    ),
    (
        "EnableKeyRotation",
        r#"{"KeyId":"$0","RotationPeriodInDays":90}"#,
    ),
    (
        "UpdateKeyDescription",
        r#"{"KeyId":"$1","Description":"renamed"}"#,
    ),
    ("DescribeKey", r#"{"KeyId":"alias/aws/s3"}"#),
    (
        "Encrypt",
        r#"{"KeyId":"alias/aws/s3","Plaintext":"dGhyZWU="}"#,
    ),
    ("AdvanceClock", "200"),
    ("Encrypt", r#"{"KeyId":"$0","Plaintext":"Zm91cg=="}"#),
    ("CreateKey", r#"{"Description":"third"}"#),
    ("DisableKey", r#"{"KeyId":"$2"}"#),
    (
        "ScheduleKeyDeletion",
        r#"{"KeyId":"$2","PendingWindowInDays":7}"#,
    ),
    (
        "CreateAlias",
        r#"{"AliasName":"alias/doomed","TargetKeyId":"$1"}"#,
    ),
    ("DeleteAlias", r#"{"AliasName":"alias/doomed"}"#),
    ("RotateKeyOnDemand", r#"{"KeyId":"$1"}"#),
    ("Encrypt", r#"{"KeyId":"$1","Plaintext":"Zml2ZQ=="}"#),
    ("CancelKeyDeletion", r#"{"KeyId":"$2"}"#),
    ("AdvanceClock", "100"),
    ("UntagResource", r#"{"KeyId":"$1","TagKeys":["team"]}"#),
    ("CreateKey", r#"{"Description":"fourth"}"#),
    (
        "ScheduleKeyDeletion",
        r#"{"KeyId":"$3","PendingWindowInDays":7}"#,
    ),
    ("AdvanceClock", "8"),
];

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

/// An engine at the workload's start, with the workload's randomness.
fn engine(persistence: Option<Arc<Store>>) -> Kms {
    let mut builder = Kms::builder()
        .clock(Arc::new(ManualClock::at_epoch_seconds(START)))
        .random(Arc::new(SeededRandom::new(7)));
    if let Some(store) = persistence {
        builder = builder.persistence(store);
    }
    builder.build()
}

/// What a run did: the created key IDs and every ciphertext with its plaintext.
#[derive(Default)]
struct Run {
    keys: Vec<String>,
    sealed: Vec<(Value, Value)>,
}

/// Runs step `i` on `kms`; `Err` when the engine refused it (the power is gone).
fn step(kms: &Kms, run: &mut Run, i: usize) -> Result<(), String> {
    let (op, body) = STEPS[i];
    if op == "AdvanceClock" {
        let days: i64 = body.parse().unwrap();
        return kms
            .advance_clock(days * 86_400)
            .map(|_| ())
            .map_err(|e| e.message().to_owned());
    }
    let mut body = body.to_owned();
    for (n, id) in run.keys.iter().enumerate() {
        body = body.replace(&format!("${n}"), id);
    }
    let out = kms
        .dispatch(&scope(), Operation::from_name(op).unwrap(), body.as_bytes())
        .map_err(|e| format!("{}: {}", e.aws_type(), e.message()))?;
    let out: Value = serde_json::from_slice(&out).unwrap();
    match op {
        "CreateKey" => run
            .keys
            .push(out["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()),
        "Encrypt" => {
            let sent: Value = serde_json::from_str(&body).unwrap();
            run.sealed
                .push((out["CiphertextBlob"].clone(), sent["Plaintext"].clone()));
        }
        _ => {}
    }
    Ok(())
}

fn call(kms: &Kms, op: &str, body: Value) -> Value {
    let out = kms
        .dispatch(
            &scope(),
            Operation::from_name(op).unwrap(),
            body.to_string().as_bytes(),
        )
        .unwrap_or_else(|e| panic!("{op}: {} {}", e.aws_type(), e.message()));
    serde_json::from_slice(&out).unwrap()
}

/// Everything the workload can change, after the scheduler has caught up, as one value.
fn state(kms: &Kms) -> Value {
    while kms.run_scheduled().rotations > 0 {}
    let mut keys = Vec::new();
    for entry in call(kms, "ListKeys", json!({"Limit": 1000}))["Keys"]
        .as_array()
        .unwrap()
    {
        let id = entry["KeyId"].clone();
        let meta = call(kms, "DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
        let rotations = if meta["KeyState"] == "PendingDeletion" {
            Value::Null
        } else {
            call(kms, "ListKeyRotations", json!({"KeyId": id, "Limit": 1000}))["Rotations"]
                .as_array()
                .unwrap()
                .len()
                .into()
        };
        let tags = call(kms, "ListResourceTags", json!({"KeyId": id}))["Tags"].clone();
        keys.push(json!({
            "id": id, "state": meta["KeyState"], "description": meta["Description"],
            "rotations": rotations, "tags": tags,
        }));
    }
    let aliases: Vec<Value> = call(kms, "ListAliases", json!({"Limit": 100}))["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a.get("TargetKeyId").is_some())
        .map(|a| json!([a["AliasName"], a["TargetKeyId"]]))
        .collect();
    json!({"keys": keys, "aliases": aliases, "clock": kms.clock().offset()})
}

/// The state after the first `n` steps, on an engine without a store.
fn reference(n: usize) -> Value {
    let kms = engine(None);
    let mut run = Run::default();
    for i in 0..n {
        step(&kms, &mut run, i).unwrap();
    }
    state(&kms)
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kms-power-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn root() -> RootKey {
    RootKey::from_bytes(&[5u8; 32])
}

/// The outcome of one cut.
struct Cut {
    acknowledged: usize,
    in_flight: bool,
}

/// A freshly created, empty store's disk image and its directory (`root.check`). Cuts start
/// from it: the store creates its database under a temporary name and renames it when
/// complete, so a cut during creation only loses a temporary file (`store_layout.rs`).
fn empty_store() -> (PathBuf, Vec<u8>) {
    let dir = temp_dir("cut");
    let disk = FlakyDisk::on(Vec::new(), -1);
    let handle = disk.handle();
    drop(Store::open_with_backend(&dir, root(), disk).unwrap());
    let image = handle.after_power_loss(None);
    (dir, image)
}

/// Runs the workload on a disk that fails after `budget` operations, restores from what the
/// disk keeps and checks it. `None` when the workload finished before the budget ran out.
fn cut_at(
    budget: i64,
    torn: Option<&SeededRandom>,
    references: &[Value],
    (dir, empty): &(PathBuf, Vec<u8>),
) -> Option<Cut> {
    let disk = FlakyDisk::on(empty.clone(), budget);
    let handle = disk.handle();
    let mut run = Run::default();
    let mut acknowledged = 0;
    // Opening commits too; a cut there acknowledged nothing.
    if let Ok(store) = Store::open_with_backend(dir, root(), disk) {
        let kms = engine(Some(Arc::new(store)));
        while acknowledged < STEPS.len() && step(&kms, &mut run, acknowledged).is_ok() {
            acknowledged += 1;
        }
    }
    if !handle.dead.load(Ordering::SeqCst) {
        return None;
    }

    // The power is back: open what the disk kept.
    let image = handle.after_power_loss(torn);
    let store = Arc::new(
        Store::open_with_backend(dir, root(), FlakyDisk::on(image, -1))
            .unwrap_or_else(|e| panic!("budget {budget}: the store does not open: {e}")),
    );
    let offset = store.clock_offset().unwrap();
    let clock = Arc::new(ManualClock::at_epoch_seconds(START));
    clock.advance_seconds(offset);
    let recovered = Kms::builder()
        .clock(clock)
        .persistence(store.clone())
        .build();
    store
        .restore_into(&recovered)
        .unwrap_or_else(|e| panic!("budget {budget}: the store is corrupt: {e}"));
    let got = state(&recovered);
    let without = &references[acknowledged];
    let with = references.get(acknowledged + 1);
    let in_flight = if &got == without {
        false
    } else if with == Some(&got) {
        true
    } else {
        panic!(
            "budget {budget}: after {acknowledged} acknowledged steps the store holds\n{got:#}\nexpected\n{without:#}\nor, with step {acknowledged} ({:?}),\n{:#}",
            STEPS.get(acknowledged),
            with.unwrap_or(&Value::Null)
        );
    };
    for (blob, plaintext) in &run.sealed {
        let opened = call(&recovered, "Decrypt", json!({"CiphertextBlob": blob}));
        assert_eq!(&opened["Plaintext"], plaintext, "budget {budget}");
    }
    Some(Cut {
        acknowledged,
        in_flight,
    })
}

/// Cuts the workload at every `every`-th I/O operation (`POWER_LOSS_EVERY` overrides it;
/// 1 cuts at all of them); returns (cuts, acknowledged mutations in all, in-flight mutations
/// that landed).
fn every_cut(torn: Option<&SeededRandom>, every: i64) -> (usize, usize, usize) {
    let every = std::env::var("POWER_LOSS_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(every)
        .max(1);
    let references: Vec<Value> = (0..=STEPS.len()).map(reference).collect();
    let empty = empty_store();
    let (mut cuts, mut acknowledged, mut landed) = (0, 0, 0);
    for budget in (0..).step_by(every as usize) {
        let Some(cut) = cut_at(budget, torn, &references, &empty) else {
            break;
        };
        cuts += 1;
        acknowledged += cut.acknowledged;
        landed += usize::from(cut.in_flight);
    }
    std::fs::remove_dir_all(&empty.0).unwrap();
    assert!(
        cuts as i64 * every > 100,
        "the workload does enough I/O to cut: {cuts}"
    );
    (cuts, acknowledged, landed)
}

#[test]
fn every_acknowledged_mutation_survives_losing_unsynced_writes() {
    let (cuts, acknowledged, landed) = every_cut(None, 2);
    println!(
        "power loss, unsynced writes dropped: {cuts} cuts, {acknowledged} acknowledged mutations, all recovered; {landed} in-flight ones landed"
    );
}

#[test]
fn every_acknowledged_mutation_survives_torn_and_reordered_unsynced_writes() {
    let random = SeededRandom::new(99);
    let (cuts, acknowledged, landed) = every_cut(Some(&random), 3);
    println!(
        "power loss, unsynced writes partly kept and torn: {cuts} cuts, {acknowledged} acknowledged mutations, all recovered; {landed} in-flight ones landed"
    );
}
