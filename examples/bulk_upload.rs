//! Bulk upload into an in-memory object store with SSE-KMS semantics, with and without S3
//! Bucket Keys, against any KMS endpoint (this emulator or AWS), to show what bucket keys save.
//!
//! ```text
//! cargo run --release --example bulk_upload -- --endpoint http://127.0.0.1:8080 \
//!     --objects 10000 --concurrency 32 --bucket-key on [--object-size 1024]
//! ```
//!
//! - `--bucket-key off`: as S3 without bucket keys, every PUT asks KMS for a data key
//!   (GenerateDataKey, encryption context `{"aws:s3:arn": "arn:aws:s3:::<bucket>/<object>"}`) and
//!   every GET sends its encrypted data key to KMS Decrypt.
//! - `--bucket-key on`: as S3 with bucket keys, the store's writer asks KMS for one bucket key
//!   (context `{"aws:s3:arn": "arn:aws:s3:::<bucket>"}`) and derives a unique key per object from
//!   it; its reader (a separate cache, as another front-end would have) decrypts that bucket key
//!   once and opens every object with it.
//!
//! Either way the reader names the KMS key it expects (strict mode): the key ARN of `--key-id`
//! (resolved with DescribeKey) or of the key it created, never the key an object's metadata
//! names, so an object written under someone else's KMS key does not verify.
//!
//! Every object is then read back through KMS the same way and compared byte for byte. Throttled
//! calls are retried: the SDK's standard mode (3 attempts), then the provider's bounded loop with
//! full-jitter backoff, as a real uploader would. A progress bar goes to stderr; the last stdout
//! line is
//! `objects=<n> verified=<n> kms_calls=<n> throttled=<n> retries=<n> elapsed_ms=<n>`, where
//! `kms_calls` counts every KMS request sent (CreateKey or DescribeKey, and retries, included) and
//! `throttled` every ThrottlingException received. Any object that cannot be stored or verified
//! fails the run.

use std::collections::HashMap;
use std::fmt;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use aws_sdk_kms::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use bucket_key_cache::provider::{DataKeyRequest, DecryptRequest, EncryptionContext};
use bucket_key_cache::{
    AwsSdkProvider, BucketKeyCache, BucketScope, KeyProvider, OpenPolicy, ThrottleRetry, bucket_arn,
};
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Command-line arguments.
#[derive(Parser, Debug, Clone)]
#[command(about = "Bulk upload with SSE-KMS semantics, with or without S3 Bucket Keys")]
pub struct Args {
    /// KMS endpoint URL (e.g. http://127.0.0.1:8080).
    #[arg(long)]
    pub endpoint: String,
    /// Objects to upload and verify.
    #[arg(long, default_value_t = 1000)]
    pub objects: usize,
    /// Uploads (and later downloads) in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Use S3 Bucket Keys.
    #[arg(long, value_enum)]
    pub bucket_key: Switch,
    /// Bytes per object.
    #[arg(long, default_value_t = 1024)]
    pub object_size: usize,
    /// The bucket name.
    #[arg(long, default_value = "bulk-upload-demo")]
    pub bucket: String,
    /// The AWS Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The KMS key to use: key ID, key ARN, alias name or alias ARN, resolved to its key ARN with
    /// DescribeKey (created with CreateKey when not given). Readers accept only that key ARN.
    #[arg(long)]
    pub key_id: Option<String>,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// `on` or `off`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Objects uploaded.
    pub objects: usize,
    /// Objects read back and found identical.
    pub verified: usize,
    /// KMS requests sent, retries included.
    pub kms_calls: u64,
    /// ThrottlingException answers received.
    pub throttled: u64,
    /// Requests that were retries.
    pub retries: u64,
    /// Wall time of upload plus verification.
    pub elapsed_ms: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "objects={} verified={} kms_calls={} throttled={} retries={} elapsed_ms={}",
            self.objects,
            self.verified,
            self.kms_calls,
            self.throttled,
            self.retries,
            self.elapsed_ms
        )
    }
}

/// An object as the store keeps it.
enum Stored {
    /// Sealed under a per-object key derived from a bucket key (the envelope carries the bucket
    /// key's KMS ciphertext).
    BucketKey(Vec<u8>),
    /// Encrypted under its own KMS data key.
    DataKey {
        encrypted_data_key: Vec<u8>,
        nonce: Vec<u8>,
        ciphertext: Vec<u8>,
    },
}

/// An in-memory bucket that encrypts on PUT and decrypts on GET with KMS, as S3 does with
/// SSE-KMS.
struct SseKmsBucket {
    scope: BucketScope,
    /// The one KMS key objects are read under: Decrypt's `KeyId` without bucket keys, the
    /// readers' strict [`OpenPolicy`] with them.
    kms_key_arn: String,
    expected: OpenPolicy,
    provider: Arc<AwsSdkProvider>,
    /// With bucket keys: the PUT side's and the GET side's caches.
    caches: Option<(BucketKeyCache, BucketKeyCache)>,
    objects: Mutex<HashMap<String, Stored>>,
}

impl SseKmsBucket {
    fn new(
        bucket: &str,
        kms_key_arn: &str,
        provider: Arc<AwsSdkProvider>,
        bucket_keys: bool,
    ) -> Self {
        let caches = bucket_keys.then(|| {
            (
                BucketKeyCache::new(provider.clone()),
                BucketKeyCache::new(provider.clone()),
            )
        });
        Self {
            scope: BucketScope::new(bucket, kms_key_arn),
            kms_key_arn: kms_key_arn.to_owned(),
            expected: OpenPolicy::key(kms_key_arn),
            provider,
            caches,
            objects: Mutex::new(HashMap::new()),
        }
    }

    fn object_context(&self, name: &str) -> EncryptionContext {
        EncryptionContext::from([(
            "aws:s3:arn".to_owned(),
            format!("{}/{name}", bucket_arn(self.scope.bucket())),
        )])
    }

    async fn put(&self, name: &str, data: &[u8]) -> Result<(), BoxError> {
        let stored = match &self.caches {
            Some((writer, _)) => Stored::BucketKey(writer.seal(&self.scope, name, data).await?),
            None => {
                let context = self.object_context(name);
                let dk = self
                    .provider
                    .generate_data_key(DataKeyRequest {
                        key_id: self.scope.kms_key_id(),
                        encryption_context: &context,
                    })
                    .await?;
                let cipher = Aes256Gcm::new_from_slice(&dk.plaintext)?;
                let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
                let ciphertext = cipher
                    .encrypt(
                        &nonce,
                        Payload {
                            msg: data,
                            aad: name.as_bytes(),
                        },
                    )
                    .map_err(|_| "AES-GCM encryption failed")?;
                Stored::DataKey {
                    encrypted_data_key: dk.ciphertext,
                    nonce: nonce.to_vec(),
                    ciphertext,
                }
            }
        };
        self.objects
            .lock()
            .expect("not poisoned")
            .insert(name.to_owned(), stored);
        Ok(())
    }

    async fn get(&self, name: &str) -> Result<Vec<u8>, BoxError> {
        let stored = {
            let objects = self.objects.lock().expect("not poisoned");
            match objects
                .get(name)
                .ok_or_else(|| format!("no object {name}"))?
            {
                Stored::BucketKey(env) => Stored::BucketKey(env.clone()),
                Stored::DataKey {
                    encrypted_data_key,
                    nonce,
                    ciphertext,
                } => Stored::DataKey {
                    encrypted_data_key: encrypted_data_key.clone(),
                    nonce: nonce.clone(),
                    ciphertext: ciphertext.clone(),
                },
            }
        };
        match stored {
            Stored::BucketKey(env) => {
                let (_, reader) = self.caches.as_ref().ok_or("bucket keys are off")?;
                Ok(reader
                    .open(&self.expected, self.scope.bucket(), name, &env)
                    .await?)
            }
            Stored::DataKey {
                encrypted_data_key,
                nonce,
                ciphertext,
            } => {
                let context = self.object_context(name);
                let dk = self
                    .provider
                    .decrypt(DecryptRequest {
                        // The key we expect, not one stored with the object: KMS refuses a data
                        // key under any other (IncorrectKeyException).
                        key_id: &self.kms_key_arn,
                        ciphertext: &encrypted_data_key,
                        encryption_context: &context,
                    })
                    .await?;
                let cipher = Aes256Gcm::new_from_slice(&dk.plaintext)?;
                Ok(cipher
                    .decrypt(
                        Nonce::from_slice(&nonce),
                        Payload {
                            msg: &ciphertext,
                            aad: name.as_bytes(),
                        },
                    )
                    .map_err(|_| format!("object {name} does not authenticate"))?)
            }
        }
    }
}

/// The bytes of object `i`: a cheap deterministic pattern, so verification needs no copy.
fn content(i: usize, size: usize) -> Vec<u8> {
    let mut x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn object_name(i: usize) -> String {
    format!("uploads/{:02}/object-{i:08}.bin", i % 100)
}

/// A KMS provider for `args`: standard retry mode (3 attempts, 100 ms initial backoff) in its
/// own retry partition, then up to 30 calls with full-jitter backoff (50 ms doubling to 1 s).
pub fn provider(args: &Args) -> AwsSdkProvider {
    static RUN: AtomicU64 = AtomicU64::new(0);
    let partition = format!("bulk-upload-{}", RUN.fetch_add(1, Ordering::Relaxed));
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&args.endpoint)
        .region(Region::new(args.region.clone()))
        .credentials_provider(Credentials::new("test", "test", None, None, "bulk-upload"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(100)),
        )
        .retry_partition(RetryPartition::new(partition))
        .build();
    AwsSdkProvider::new(config).with_throttle_retry(ThrottleRetry {
        max_calls: 30,
        base: Duration::from_millis(50),
        max_backoff: Duration::from_secs(1),
    })
}

/// Runs `count` jobs `0..count` with `concurrency` workers; the first error stops the run.
async fn run_all<F, Fut>(count: usize, concurrency: usize, job: F) -> Result<(), BoxError>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let job = Arc::new(job);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (next, job) = (next.clone(), job.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<(), BoxError>(());
                }
                job(i).await?;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok(())
}

/// Uploads and verifies `args.objects` objects; returns the summary.
/// Why the first KMS call failed, in words a user can act on: an endpoint that cannot be
/// reached says so and how to start the emulator; any other failure shows its whole cause
/// chain (the SDK's own text is just "dispatch failure").
fn first_call_failed<E, R>(
    args: &Args,
    call: &str,
    e: aws_sdk_kms::error::SdkError<E, R>,
) -> BoxError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        cause.push_str(": ");
        cause.push_str(&inner.to_string());
        source = inner.source();
    }
    if matches!(
        e,
        aws_sdk_kms::error::SdkError::DispatchFailure(_)
            | aws_sdk_kms::error::SdkError::TimeoutError(_)
    ) {
        format!(
            "cannot reach KMS at {} ({call}): {cause}. Is the emulator running there? Start it with `cargo run --release` (it listens on http://127.0.0.1:8080), or pass its address with --endpoint",
            args.endpoint
        )
        .into()
    } else {
        format!("{call} at {} failed: {cause}", args.endpoint).into()
    }
}

pub async fn run(args: &Args) -> Result<Summary, BoxError> {
    let provider = Arc::new(provider(args));
    let kms_key_arn = match &args.key_id {
        Some(k) => provider
            .client()
            .describe_key()
            .key_id(k)
            .send()
            .await
            .map_err(|e| first_call_failed(args, "DescribeKey", e))?
            .key_metadata
            .ok_or("DescribeKey returned no KeyMetadata")?
            .arn
            .ok_or("DescribeKey returned no Arn")?,
        None => provider
            .client()
            .create_key()
            .description("bulk_upload example")
            .send()
            .await
            .map_err(|e| first_call_failed(args, "CreateKey", e))?
            .key_metadata
            .ok_or("CreateKey returned no KeyMetadata")?
            .arn
            .ok_or("CreateKey returned no Arn")?,
    };
    let bucket = Arc::new(SseKmsBucket::new(
        &args.bucket,
        &kms_key_arn,
        provider.clone(),
        args.bucket_key == Switch::On,
    ));
    let progress = if args.no_progress {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(2 * args.objects as u64)
    };
    progress.set_style(
        ProgressStyle::with_template(
            "{msg:8} [{bar:40}] {pos}/{len} objects ({per_sec}, eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let (n, size) = (args.objects, args.object_size);
    let started = Instant::now();

    progress.set_message("upload");
    {
        let (bucket, progress) = (bucket.clone(), progress.clone());
        run_all(n, args.concurrency, move |i| {
            let (bucket, progress) = (bucket.clone(), progress.clone());
            async move {
                let name = object_name(i);
                bucket
                    .put(&name, &content(i, size))
                    .await
                    .map_err(|e| format!("PUT {name}: {e}"))?;
                progress.inc(1);
                Ok(())
            }
        })
        .await?;
    }

    progress.set_message("verify");
    let verified = Arc::new(AtomicUsize::new(0));
    {
        let (bucket, progress, verified) = (bucket.clone(), progress.clone(), verified.clone());
        run_all(n, args.concurrency, move |i| {
            let (bucket, progress, verified) = (bucket.clone(), progress.clone(), verified.clone());
            async move {
                let name = object_name(i);
                let data = bucket
                    .get(&name)
                    .await
                    .map_err(|e| format!("GET {name}: {e}"))?;
                if data != content(i, size) {
                    return Err(
                        format!("GET {name}: the bytes differ from what was uploaded").into(),
                    );
                }
                verified.fetch_add(1, Ordering::Relaxed);
                progress.inc(1);
                Ok(())
            }
        })
        .await?;
    }
    progress.finish_and_clear();

    let stats = provider.stats();
    Ok(Summary {
        objects: n,
        verified: verified.load(Ordering::Relaxed),
        kms_calls: stats.requests,
        throttled: stats.throttles,
        retries: stats.retries,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    eprintln!(
        "bulk_upload: {} objects of {} bytes, concurrency {}, bucket keys {:?}, KMS at {}",
        args.objects, args.object_size, args.concurrency, args.bucket_key, args.endpoint
    );
    match run(&args).await {
        Ok(summary) => {
            println!("{summary}");
            if summary.verified == summary.objects {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("bulk_upload: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
