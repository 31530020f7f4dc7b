//! Seeding from a file at start-up (`--seed FILE`, `KMS_SEED_PATH`): local-kms's seed YAML, so
//! local-kms users switch without edits, or the same structure in JSON.
//!
//! ```yaml
//! Keys:
//!   Symmetric:
//!     Aes:
//!       - Metadata:
//!           KeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
//!           Description: Your key description
//!         BackingKeys:                  # hex, oldest first; the last one encrypts
//!           - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9
//!         NextKeyRotation: 2027-01-01T00:00:00Z   # optional: automatic rotation on
//!     Hmac:
//!       - Metadata:
//!           KeyId: 0b9b1f0c-8d36-4f38-9a39-4e2c3cf0a4f2
//!           KeySpec: HMAC_256           # HMAC_224, HMAC_256, HMAC_384 or HMAC_512
//!         BackingKeys:                  # hex, as long as the spec's key; the first is used
//!           - 2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c
//!   Asymmetric:
//!     Rsa:                              # or Ecc; size or curve follow from the key
//!       - Metadata:
//!           KeyId: ff275b92-0def-4dfc-b0f6-87c96b26c6c7
//!           KeyUsage: SIGN_VERIFY       # or ENCRYPT_DECRYPT (RSA); KEY_AGREEMENT (NIST ECC)
//!         PrivateKeyPem: |              # PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM
//!           -----BEGIN PRIVATE KEY-----
//!           ...
//! Aliases:
//!   - AliasName: alias/testing
//!     TargetKeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
//! ```
//!
//! Keys and aliases go into the server's default account and Region, or those the file names
//! at its top (`Account: "000000000042"`, `Region: eu-west-1`), or those an entry names for
//! itself (`Account`/`Region` in a key's `Metadata`, or beside an alias's `AliasName`; an
//! alias's target is looked up in the alias's scope). These keys are this emulator's own:
//! local-kms has one account and Region and never writes them.
//!
//! Every backing key after the first is listed by ListKeyRotations as an automatic rotation at
//! seeding time, the last one current, as DescribeKey's `CurrentKeyMaterialId` says.
//!
//! Seeded keys get exactly the given IDs and material; keys and aliases that already exist are
//! never overwritten. The whole file is checked before anything is applied, and what is new is
//! written in one transaction.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::IgnoredAny;
use zeroize::Zeroizing;

use kms_api::{AliasEntry, KeyRecord, KeySpec, KeyUsage, Kms, Scope, Secret};

use super::Store;

// The structures that hold backing keys have no `Debug`: they hold secrets.
#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedFile {
    /// The account every key and alias of the file goes into (default: the server's).
    account: Option<String>,
    /// The Region every key and alias of the file goes into (default: the server's).
    region: Option<String>,
    #[serde(default)]
    keys: SeedKeys,
    #[serde(default)]
    aliases: Vec<SeedAlias>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedKeys {
    #[serde(default)]
    symmetric: SeedSymmetric,
    #[serde(default)]
    asymmetric: SeedAsymmetric,
    /// Not a local-kms section (its HMAC keys are under `Symmetric`): skipped.
    hmac: Option<IgnoredAny>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedSymmetric {
    #[serde(default)]
    aes: Vec<SeedAes>,
    #[serde(default)]
    hmac: Vec<SeedHmac>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedAsymmetric {
    #[serde(default)]
    rsa: Vec<SeedPrivateKey>,
    #[serde(default)]
    ecc: Vec<SeedPrivateKey>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedHmac {
    metadata: SeedMetadata,
    backing_keys: Vec<HmacBackingKey>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedPrivateKey {
    metadata: SeedMetadata,
    private_key_pem: PemKey,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedAes {
    metadata: SeedMetadata,
    backing_keys: Vec<BackingKey>,
    next_key_rotation: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedMetadata {
    key_id: String,
    #[serde(default)]
    description: String,
    /// HMAC keys: their spec.
    key_spec: Option<String>,
    /// Asymmetric keys: their usage (default SIGN_VERIFY, as local-kms).
    key_usage: Option<String>,
    /// This key's account, over the file's.
    account: Option<String>,
    /// This key's Region, over the file's.
    region: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedAlias {
    alias_name: String,
    target_key_id: String,
    /// This alias's account (its target's too), over the file's.
    account: Option<String>,
    /// This alias's Region (its target's too), over the file's.
    region: Option<String>,
}

/// One `BackingKeys` entry: 64 hex digits, decoded as it is read. Its parse errors never
/// quote the value.
struct BackingKey(Secret);

impl<'de> Deserialize<'de> for BackingKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d).map_err(|_| {
            serde::de::Error::custom("a BackingKeys entry must be a string of 64 hex digits")
        })?);
        parse_backing_key(&text)
            .map(BackingKey)
            .map_err(serde::de::Error::custom)
    }
}

/// One HMAC `BackingKeys` entry: an even number of hex digits, up to 64 bytes. Its parse
/// errors never quote the value.
struct HmacBackingKey(Secret);

impl<'de> Deserialize<'de> for HmacBackingKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d).map_err(|_| {
            serde::de::Error::custom("an HMAC BackingKeys entry must be a string of hex digits")
        })?);
        parse_hex(text.trim(), 1..=64)
            .map(HmacBackingKey)
            .map_err(serde::de::Error::custom)
    }
}

/// A `PrivateKeyPem` value: one PEM block, its DER decoded as it is read. Its parse errors
/// never quote the value.
struct PemKey(Secret);

impl<'de> Deserialize<'de> for PemKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(
            String::deserialize(d)
                .map_err(|_| serde::de::Error::custom("PrivateKeyPem must be a PEM string"))?,
        );
        pem_der(&text).map(PemKey).map_err(serde::de::Error::custom)
    }
}

/// The DER inside the first PEM block of `text`.
fn pem_der(text: &str) -> Result<Secret, &'static str> {
    use base64::Engine as _;
    let mut lines = text
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("-----BEGIN "));
    if lines.next().is_none() {
        return Err("PrivateKeyPem has no -----BEGIN line");
    }
    let mut body = Zeroizing::new(String::new());
    for line in lines {
        if line.starts_with("-----END ") {
            return base64::engine::general_purpose::STANDARD
                .decode(body.as_bytes())
                .map(Secret::new)
                .map_err(|_| "PrivateKeyPem is not valid base64");
        }
        body.push_str(line);
    }
    Err("PrivateKeyPem has no -----END line")
}

/// What seeding did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedOutcome {
    /// Keys added.
    pub keys_added: usize,
    /// Keys already present, left as they were.
    pub keys_kept: usize,
    /// Aliases added.
    pub aliases_added: usize,
    /// Aliases already present, left as they were.
    pub aliases_kept: usize,
    /// Sections this emulator does not seed (a top-level `Keys.Hmac`, which local-kms does
    /// not have either), skipped.
    pub skipped_sections: Vec<&'static str>,
    /// Every account and Region the file seeded into, in the order first named.
    pub scopes: Vec<Scope>,
}

/// The scope of an entry: its own `Account`/`Region` over `within`'s, each checked.
fn scope_of(
    within: &Scope,
    account: Option<&str>,
    region: Option<&str>,
    at: &str,
) -> Result<Scope, String> {
    if let Some(a) = account.filter(|a| !crate::config::is_account_id(a)) {
        return Err(format!(
            "{at}Account {a:?} is not an AWS account ID (12 digits)"
        ));
    }
    if let Some(r) = region.filter(|r| !crate::regions::is_known(r)) {
        return Err(format!("{at}Region {r:?} is not an AWS Region"));
    }
    Ok(Scope::new(
        account.unwrap_or(within.account()),
        region.unwrap_or(within.region()),
    ))
}

/// Reads `path` and adds its keys and aliases to `kms` (and `store`, when durable), in
/// `scope`. Errors name the file and line; on error nothing is applied.
pub fn apply(
    path: &Path,
    kms: &Kms,
    store: Option<&Store>,
    scope: &Scope,
) -> Result<SeedOutcome, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the seed file {}: {e}", path.display()))?;
    apply_text(&text, is_json(path, &text), kms, store, scope)
        .map_err(|e| format!("seed file {}: {e}", path.display()))
}

fn is_json(path: &Path, text: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{')
}

/// [`apply`] on the file's text.
pub fn apply_text(
    text: &str,
    json: bool,
    kms: &Kms,
    store: Option<&Store>,
    scope: &Scope,
) -> Result<SeedOutcome, String> {
    let seed: SeedFile = if json {
        serde_json::from_str(text).map_err(|e| {
            format!(
                "line {}, column {}: {}",
                e.line(),
                e.column(),
                without_quoted_values(&e.to_string())
            )
        })?
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| {
            let message = without_quoted_values(&e.to_string());
            match e.location() {
                Some(at) => format!("line {}, column {}: {message}", at.line(), at.column()),
                None => message,
            }
        })?
    };
    let at = |needle: &str| line_of(text, needle);
    let now = kms.now();
    let mut outcome = SeedOutcome::default();
    let file_scope = scope_of(scope, seed.account.as_deref(), seed.region.as_deref(), "")?;
    // An entry's scope: its own `Account`/`Region` over the file's, noted in the outcome.
    let scope_at = |account: &Option<String>,
                    region: &Option<String>,
                    needle: &str,
                    outcome: &mut SeedOutcome| {
        let scope = scope_of(
            &file_scope,
            account.as_deref(),
            region.as_deref(),
            &at(needle),
        )?;
        if !outcome.scopes.contains(&scope) {
            outcome.scopes.push(scope.clone());
        }
        Ok::<_, String>(scope)
    };
    if seed.keys.hmac.is_some() {
        outcome.skipped_sections.push("Keys.Hmac");
    }

    let mut new_keys = Vec::new();
    let mut seeded_ids = Vec::new();
    // A key's scope, and its ID: a UUID, once per file; `None` when the key exists already
    // (kept).
    let mut new_id = |metadata: &SeedMetadata, outcome: &mut SeedOutcome| {
        let id_text = metadata.key_id.as_str();
        let scope = scope_at(&metadata.account, &metadata.region, id_text, outcome)?;
        let id: kms_api::KeyId = uuid::Uuid::try_parse(id_text)
            .ok()
            .filter(|_| id_text.len() == 36)
            .ok_or_else(|| format!("{}KeyId {id_text:?} is not a key ID (a UUID)", at(id_text)))?
            .into();
        if seeded_ids.iter().any(|(_, seeded)| *seeded == id) {
            return Err(format!("{}KeyId {id_text} appears twice", at(id_text)));
        }
        seeded_ids.push((scope.clone(), id));
        if kms.has_key(&scope, id) {
            outcome.keys_kept += 1;
            return Ok((scope, None));
        }
        Ok((scope, Some(id)))
    };
    for entry in &seed.keys.symmetric.aes {
        let id_text = entry.metadata.key_id.as_str();
        let (scope, id) = new_id(&entry.metadata, &mut outcome)?;
        let scope = &scope;
        if entry.backing_keys.is_empty() {
            return Err(format!("{}key {id_text} has no BackingKeys", at(id_text)));
        }
        let materials = entry.backing_keys.iter().map(|k| k.0.clone()).collect();
        let Some(id) = id else { continue };
        new_keys.push(
            KeyRecord::seeded(
                scope,
                id,
                entry.metadata.description.clone(),
                now,
                materials,
                entry.next_key_rotation,
            )
            .map_err(|e| format!("{}key {id_text}: {e}", at(id_text)))?,
        );
    }

    for entry in &seed.keys.symmetric.hmac {
        let id_text = entry.metadata.key_id.as_str();
        let (scope, id) = new_id(&entry.metadata, &mut outcome)?;
        let scope = &scope;
        let spec_text = entry.metadata.key_spec.as_deref().unwrap_or_default();
        let spec = KeySpec::parse(spec_text).ok_or_else(|| {
            format!(
                "{}HMAC key {id_text} needs a KeySpec (HMAC_224, HMAC_256, HMAC_384 or HMAC_512)",
                at(id_text)
            )
        })?;
        // local-kms makes its MACs with the first backing key; HMAC keys never rotate.
        let Some(material) = entry.backing_keys.first() else {
            return Err(format!("{}key {id_text} has no BackingKeys", at(id_text)));
        };
        let Some(id) = id else { continue };
        new_keys.push(
            KeyRecord::seeded_hmac(
                scope,
                id,
                entry.metadata.description.clone(),
                now,
                spec,
                material.0.clone(),
            )
            .map_err(|e| format!("{}key {id_text}: {e}", at(id_text)))?,
        );
    }
    for entry in seed
        .keys
        .asymmetric
        .rsa
        .iter()
        .chain(&seed.keys.asymmetric.ecc)
    {
        let id_text = entry.metadata.key_id.as_str();
        let (scope, id) = new_id(&entry.metadata, &mut outcome)?;
        let scope = &scope;
        let usage_text = entry.metadata.key_usage.as_deref().unwrap_or("SIGN_VERIFY");
        let usage = KeyUsage::parse(usage_text).ok_or_else(|| {
            format!(
                "{}key {id_text}: KeyUsage {usage_text:?} is not a key usage",
                at(id_text)
            )
        })?;
        let Some(id) = id else { continue };
        new_keys.push(
            KeyRecord::seeded_private_key(
                scope,
                id,
                entry.metadata.description.clone(),
                now,
                usage,
                entry.private_key_pem.0.expose(),
            )
            .map_err(|e| format!("{}key {id_text}: {e}", at(id_text)))?,
        );
    }

    let mut new_aliases = Vec::new();
    for alias in &seed.aliases {
        let name = alias.alias_name.as_str();
        let scope = &scope_at(&alias.account, &alias.region, name, &mut outcome)?;
        let valid = name.starts_with("alias/")
            && name.len() > 6
            && !name.starts_with("alias/aws/")
            && name.len() <= 256
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'));
        if !valid {
            return Err(format!(
                "{}AliasName {name:?} is not a valid alias name (alias/<name>, not alias/aws/)",
                at(name)
            ));
        }
        let target: kms_api::KeyId = alias.target_key_id.parse().map_err(|_| {
            format!(
                "{}TargetKeyId {:?} is not a key ID",
                at(&alias.target_key_id),
                alias.target_key_id
            )
        })?;
        let known = seeded_ids.contains(&(scope.clone(), target)) || kms.has_key(scope, target);
        if !known {
            return Err(format!(
                "{}alias {name} targets {target}, which is neither seeded nor existing in account {} and Region {}",
                at(name),
                scope.account(),
                scope.region()
            ));
        }
        let exists = kms.has_alias(scope, name);
        if exists
            || new_aliases
                .iter()
                .any(|(s, a): &(Scope, AliasEntry)| a.name == name && s == scope)
        {
            outcome.aliases_kept += 1;
            continue;
        }
        new_aliases.push((
            scope.clone(),
            AliasEntry {
                name: name.to_owned(),
                target,
                created_at: now,
                updated_at: now,
            },
        ));
    }

    if let Some(store) = store {
        store.put_batch(&new_keys, &new_aliases)?;
    }
    outcome.keys_added = new_keys.len();
    outcome.aliases_added = new_aliases.len();
    for key in new_keys {
        kms.restore_key(key);
    }
    for (scope, alias) in new_aliases {
        kms.restore_alias(&scope, alias);
    }
    Ok(outcome)
}

fn parse_backing_key(hex: &str) -> Result<Secret, String> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return Err("a BackingKeys entry must be 64 hex digits (32 bytes)".into());
    }
    parse_hex(hex, 32..=32)
}

/// Hex digits into a secret of a length in `bytes`; the message never quotes the value.
fn parse_hex(hex: &str, bytes: std::ops::RangeInclusive<usize>) -> Result<Secret, String> {
    let len = hex.len() / 2;
    if hex.len() % 2 != 0 || !bytes.contains(&len) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "a BackingKeys entry must be hex digits for {} to {} bytes",
            bytes.start(),
            bytes.end()
        ));
    }
    let mut out = Secret::new(vec![0u8; len]);
    for (i, byte) in out.expose_mut().iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| "bad hex".to_owned())?;
    }
    Ok(out)
}

/// A parser's message with every quoted value replaced by `"…"`: a misplaced backing key
/// must never be printed back (serde quotes the value it could not use).
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=start]);
        let after = &rest[start + 1..];
        match after.find(quote) {
            Some(end) => {
                out.push('…');
                out.push(quote);
                rest = &after[end + 1..];
            }
            None => {
                out.push('…');
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `"line N: "` for the first line containing `needle`, to point at the offending entry.
fn line_of(text: &str, needle: &str) -> String {
    if needle.is_empty() {
        return String::new();
    }
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| format!("line {}: ", i + 1))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"
Keys:
  Symmetric:
    Aes:
      - Metadata:
          KeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
          Description: "Your key description"
        BackingKeys:
          - 34743777217a25432a46294a404e635266556a586e3272357538782f413f4428
          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9
        NextKeyRotation: "2030-01-01T00:00:00Z"
      - Metadata:
          KeyId: 49c5492b-b1bc-42a8-9a5c-b2015e810c1c
        BackingKeys:
          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9
  Asymmetric:
    Rsa: []
Aliases:
  - AliasName: alias/testing
    TargetKeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
"#;

    /// Keys generated with OpenSSL (`openssl genrsa -traditional 2048`, `openssl ecparam -name
    /// prime256v1 -genkey`); the expected public keys and MAC are OpenSSL's too.
    const ASYMMETRIC_YAML: &str = r#"Keys:
  Symmetric:
    Hmac:
      - Metadata:
          KeyId: 0b9b1f0c-8d36-4f38-9a39-4e2c3cf0a4f2
          KeySpec: HMAC_256
        BackingKeys:
          - 2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c
  Asymmetric:
    Rsa:
      - Metadata:
          KeyId: ff275b92-0def-4dfc-b0f6-87c96b26c6c7
          KeyUsage: ENCRYPT_DECRYPT
          Description: RSA key with 2048 bits
        PrivateKeyPem: |
          -----BEGIN RSA PRIVATE KEY-----
          MIIEogIBAAKCAQEAlBJLBsbMNiLuQ8GcTxu+8wqgtd0nHzi8CEG5HetaeySTU5Lq
          t7Szd3N70m7Yj7GOycudwI7gwh4vlBJd99x/tzcFl1O/TUJ+BffjwIt8HxusfccI
          E8l+C+cIZa5JcXISLkkdzwgD+h5ED+fhFOFhp1bHwO+d3dUQSpfABXEAT6hqa4B2
          9YnFUvi5lqYvUYEZ0CXEir5i1SlKM6roWLbpq7ZCeFouNGAd54MYK5Akp171pIno
          EWuyAStKalDR58/ZgQi6xKz/FnFUeXwnOD1X5jt3eafg0YOJBSlPbf8YZaXDMlgW
          Ppm/4YSYIzcFPtaBgjqS4v+csSlmvFPBtoDAEQIDAQABAoIBAAv7U6KM6U8Y0i1I
          bZ9setihi7H7tHk5zDliJsUi235Vzi137idcZ3NV3yH+7JDqyMelLYg8kje9spLp
          o5H1f/OG78cNifrfU7b5lq6Teuvs1NnpW6AiRgwCL3NEQFbTk2C3HkLiU/65fpTH
          lOFC1aCcDJZHrX9wXhzzHPYzwoHaMEUS1aWBXXk/LNzdwRCPHzsPA5+SYM1Lj67v
          gkURvDTtTu7oudEVKbdLXFD4Y2hvQR5Zufd53FVoFsA8R5iqscveCf6n9bXTvGf+
          XhGucatxRjpzm6yvzgZSSTkCoynr8MyrhrMF2idgo167v1iPxMeTFmFR+A1gMgX3
          3r1FTLkCgYEAyRKlLSFWfHQm6FiR3eftHe4WYxKxlURtS7uSbGEcLC+RYQSudSgd
          GHse2z4FFBhi4KNaCk6OsDkdJEkt5u2ahxXyGZnOFtRWr9Wz3dhWRp96c+Yv15va
          Ok9TTugGplPsQ2ycRN9YNIwLwcZ32/3omMa0CzEMytmDdZEG3YCb2M0CgYEAvIUs
          nBwopkX4zwMLOM1bg70irmE9rXB4bcuCnmPhcmV8uGCH6NC1vmZUX/2HHsaD1uFV
          kXrhZJVfT/2bIDmiERoWDIRtboxLVuB9FQ1lMjAf6RhtxZjW3fRXs5gONVSyy2kx
          0c/uThKE8SLKDQoJj6b1phRUBgyTYL6P+yAY1FUCgYBjYmTkNqsx3pNwmn6WyVEJ
          TyoflBjUZ7sCCNdp3GH5cRWRd6fnXolrFUf+I9yMvzT4RaV2nLeoYMKHsegPUXfk
          tzMv9jbIT/H8/UrnJ0wVojP7X1ZcYrttwNGzmbnXsnmAJgnjfOVzK5mQENIjmY/D
          G8vYEEl7ZiG1FZboGu5tLQKBgAhofCveSaXY2xcIkLiQ2DMQ/Xn/lkulB4oGGKZN
          2CFNC3oBvC4TGPgMAllhqmQiAIFV/YYGkAT3cI/VxNR0HZlbq34VbfgPQ9D1JD8L
          IOdTJCk2ULcOcQ7nNf4pmwCf7XWLFJDCEGPlCY7juVVJjFGe5bfpkjHO38fh1/Qg
          Y1sdAoGASmuUo2pMfjdngf/QCfTHFAL2hpf1/n2vLXnqcuCwC/qFQp4HGRokSfd6
          MNfwf0D6fzM36iU9b9ZZyJUgb0kvLrL/PdqVcGDnTu7ASM3Dmxnf10fzK5pHUnpd
          yewSoZXpSGzDjfpPmpGOJ7Hg1ICHXmqz+zljNDNeVLJpz1MRHcU=
          -----END RSA PRIVATE KEY-----
    Ecc:
      - Metadata:
          KeyId: 800d5768-3fd7-4edd-a4b8-4c81c3e4c147
          KeyUsage: SIGN_VERIFY
        PrivateKeyPem: |
          -----BEGIN EC PRIVATE KEY-----
          MHcCAQEEIJULtd0NyhWPPN4BIUqNvfyXVi7zMYggFRgwHpM24uUroAoGCCqGSM49
          AwEHoUQDQgAEI3lfj6NLhZPAdmu/2Seys50ZkcCNxEIs8uyLySiC4AEyTUAgrmTe
          zvJb7d/M7HC7QDDmlh2T1L9zt0A8rPcuQw==
          -----END EC PRIVATE KEY-----
"#;
    const RSA_SPKI: &str = "30820122300d06092a864886f70d01010105000382010f003082010a028201010094124b06c6cc3622ee43c19c4f1bbef30aa0b5dd271f38bc0841b91deb5a7b24935392eab7b4b377737bd26ed88fb18ec9cb9dc08ee0c21e2f94125df7dc7fb737059753bf4d427e05f7e3c08b7c1f1bac7dc70813c97e0be70865ae497172122e491dcf0803fa1e440fe7e114e161a756c7c0ef9dddd5104a97c00571004fa86a6b8076f589c552f8b996a62f518119d025c48abe62d5294a33aae858b6e9abb642785a2e34601de783182b9024a75ef5a489e8116bb2012b4a6a50d1e7cfd98108bac4acff167154797c27383d57e63b7779a7e0d1838905294f6dff1865a5c33258163e99bfe184982337053ed681823a92e2ff9cb12966bc53c1b680c0110203010001";
    const EC_SPKI: &str = "3059301306072a8648ce3d020106082a8648ce3d0301070342000423795f8fa34b8593c0766bbfd927b2b39d1991c08dc4422cf2ec8bc92882e001324d4020ae64decef25beddfccec70bb4030e6961d93d4bf73b7403cacf72e43";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn local_kms_rsa_ecc_and_hmac_keys_seed_with_their_exact_material() {
        use kms_api::wire::asymmetric::{GenerateMacRequest, GetPublicKeyRequest};
        let kms = Kms::new();
        let out = apply_text(ASYMMETRIC_YAML, false, &kms, None, &scope()).unwrap();
        assert_eq!(out.keys_added, 3);
        assert!(out.skipped_sections.is_empty());
        let public = |id: &str| {
            kms.get_public_key(
                &scope(),
                GetPublicKeyRequest {
                    key_id: Some(id.into()),
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let rsa = public("ff275b92-0def-4dfc-b0f6-87c96b26c6c7");
        assert_eq!(hex(&rsa.public_key.unwrap()), RSA_SPKI);
        assert_eq!(
            (rsa.key_spec.as_str(), rsa.key_usage.as_str()),
            ("RSA_2048", "ENCRYPT_DECRYPT")
        );
        let ec = public("800d5768-3fd7-4edd-a4b8-4c81c3e4c147");
        assert_eq!(hex(&ec.public_key.unwrap()), EC_SPKI);
        assert_eq!(ec.key_spec, "ECC_NIST_P256");
        let mac = kms
            .generate_mac(
                &scope(),
                GenerateMacRequest {
                    key_id: Some("0b9b1f0c-8d36-4f38-9a39-4e2c3cf0a4f2".into()),
                    message: Some(Secret::from_slice(b"seeded message")),
                    mac_algorithm: Some("HMAC_SHA_256".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(
            hex(&mac.mac.unwrap()),
            "99675f9ab19466e11d577f62b7ea4c3502a13c791a53bb88580e3477cb56b5a9"
        );
        // Seeding again keeps them.
        let again = apply_text(ASYMMETRIC_YAML, false, &kms, None, &scope()).unwrap();
        assert_eq!((again.keys_added, again.keys_kept), (0, 3));
    }

    #[test]
    fn bad_private_keys_and_hmac_entries_are_refused_without_quoting_them() {
        let kms = Kms::new();
        let broken = ASYMMETRIC_YAML.replace("MHcCAQEEIJ", "MHcCAQEEIX");
        let err = apply_text(&broken, false, &kms, None, &scope()).unwrap_err();
        assert!(err.contains("800d5768"), "{err}");
        assert!(!err.contains("MHcCAQ"), "{err}");
        let ecc_for_encryption =
            ASYMMETRIC_YAML.replace("KeyUsage: SIGN_VERIFY", "KeyUsage: ENCRYPT_DECRYPT");
        let err = apply_text(&ecc_for_encryption, false, &kms, None, &scope()).unwrap_err();
        assert!(
            err.contains("not compatible with KeySpec ECC_NIST_P256"),
            "{err}"
        );
        let short_hmac = ASYMMETRIC_YAML.replace("2b7e151628aed2a6abf7158809cf4f3c2b7e", "2b7e");
        let err = apply_text(&short_hmac, false, &kms, None, &scope()).unwrap_err();
        assert!(!err.contains("2b7e"), "{err}");
        assert_eq!(kms.key_count(), 0, "nothing applied");
    }

    fn scope() -> Scope {
        Scope::new("111122223333", "us-east-1")
    }

    fn dispatch(kms: &Kms, scope: &Scope, op: kms_api::Operation, body: &str) -> serde_json::Value {
        serde_json::from_slice(&kms.dispatch(scope, op, body.as_bytes()).unwrap()).unwrap()
    }

    const KEY: &str = "5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9";

    #[test]
    fn a_file_or_a_key_can_name_its_account_and_region() {
        let text = format!(
            r#"Account: "000000000042"
Region: eu-west-1
Keys:
  Symmetric:
    Aes:
      - Metadata:
          KeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
        BackingKeys: [{KEY}]
      - Metadata:
          KeyId: 49c5492b-b1bc-42a8-9a5c-b2015e810c1c
          Region: ap-southeast-2
        BackingKeys: [{KEY}]
Aliases:
  - AliasName: alias/file-scope
    TargetKeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
  - AliasName: alias/sydney
    TargetKeyId: 49c5492b-b1bc-42a8-9a5c-b2015e810c1c
    Region: ap-southeast-2
"#
        );
        let kms = Kms::new();
        let out = apply_text(&text, false, &kms, None, &scope()).unwrap();
        let (ireland, sydney) = (
            Scope::new("000000000042", "eu-west-1"),
            Scope::new("000000000042", "ap-southeast-2"),
        );
        assert_eq!(out.scopes, vec![ireland.clone(), sydney.clone()]);
        assert_eq!((out.keys_added, out.aliases_added), (2, 2));
        let op = kms_api::Operation::DescribeKey;
        let arn =
            dispatch(&kms, &ireland, op, r#"{"KeyId":"alias/file-scope"}"#)["KeyMetadata"]["Arn"]
                .clone();
        assert_eq!(
            arn,
            "arn:aws:kms:eu-west-1:000000000042:key/bc436485-5092-42b8-92a3-0aa8b93536dc"
        );
        dispatch(&kms, &sydney, op, r#"{"KeyId":"alias/sydney"}"#);
        assert!(kms.scopes_with_keys().iter().all(|(s, _)| *s != scope()));

        // An alias must target a key of its own scope; accounts and Regions are checked.
        let wrong = text.replace(
            "  - AliasName: alias/sydney\n    TargetKeyId: 49c5492b-b1bc-42a8-9a5c-b2015e810c1c\n    Region: ap-southeast-2",
            "  - AliasName: alias/sydney\n    TargetKeyId: 49c5492b-b1bc-42a8-9a5c-b2015e810c1c",
        );
        let err = apply_text(&wrong, false, &Kms::new(), None, &scope()).unwrap_err();
        assert!(
            err.contains(
                "neither seeded nor existing in account 000000000042 and Region eu-west-1"
            ),
            "{err}"
        );
        let err = apply_text(
            &text.replace("000000000042", "42"),
            false,
            &Kms::new(),
            None,
            &scope(),
        )
        .unwrap_err();
        assert!(err.contains("not an AWS account ID"), "{err}");
        let err = apply_text(
            &text.replace("ap-southeast-2", "moon-1"),
            false,
            &Kms::new(),
            None,
            &scope(),
        )
        .unwrap_err();
        assert!(
            err.starts_with("line 10: Region \"moon-1\" is not an AWS Region"),
            "{err}"
        );
    }

    #[test]
    fn every_backing_key_after_the_first_is_a_listed_rotation() {
        let kms = Kms::new();
        apply_text(YAML, false, &kms, None, &scope()).unwrap();
        let by_id = r#"{"KeyId":"bc436485-5092-42b8-92a3-0aa8b93536dc"}"#;
        let rotations = dispatch(&kms, &scope(), kms_api::Operation::ListKeyRotations, by_id);
        let current = dispatch(&kms, &scope(), kms_api::Operation::DescribeKey, by_id)
            ["KeyMetadata"]["CurrentKeyMaterialId"]
            .clone();
        let listed = rotations["Rotations"].as_array().unwrap();
        assert_eq!(listed.len(), 1, "{rotations}");
        assert_eq!(listed[0]["KeyMaterialId"], current);
        assert_eq!(listed[0]["KeyMaterialState"], "CURRENT");
        assert_eq!(listed[0]["RotationType"], "AUTOMATIC");
        // A key with one backing key has no rotations, as a new AWS key has none.
        let single = r#"{"KeyId":"49c5492b-b1bc-42a8-9a5c-b2015e810c1c"}"#;
        let none = dispatch(&kms, &scope(), kms_api::Operation::ListKeyRotations, single);
        assert_eq!(none["Rotations"], serde_json::json!([]));
    }

    #[test]
    fn local_kms_yaml_seeds_keys_with_their_ids_and_material() {
        let kms = Kms::new();
        let out = apply_text(YAML, false, &kms, None, &scope()).unwrap();
        assert_eq!((out.keys_added, out.aliases_added), (2, 1));
        assert!(out.skipped_sections.is_empty());
        let meta = kms
            .describe_key(
                &scope(),
                kms_api::wire::keys::KeyIdRequest::new("alias/testing"),
            )
            .unwrap()
            .key_metadata;
        assert_eq!(meta.key_id, "bc436485-5092-42b8-92a3-0aa8b93536dc");
        assert_eq!(meta.description, "Your key description");
        let status = kms
            .get_key_rotation_status(
                &scope(),
                kms_api::wire::keys::KeyIdRequest::new(&meta.key_id),
            )
            .unwrap();
        assert!(status.key_rotation_enabled);
        // Seeding again changes nothing.
        let again = apply_text(YAML, false, &kms, None, &scope()).unwrap();
        assert_eq!(
            (again.keys_added, again.keys_kept, again.aliases_kept),
            (0, 2, 1)
        );
    }

    #[test]
    fn json_with_the_same_structure_works() {
        let json = r#"{"Keys":{"Symmetric":{"Aes":[{"Metadata":{"KeyId":"bc436485-5092-42b8-92a3-0aa8b93536dc"},
            "BackingKeys":["5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9"]}]}}}"#;
        let kms = Kms::new();
        assert_eq!(
            apply_text(json, true, &kms, None, &scope())
                .unwrap()
                .keys_added,
            1
        );
    }

    #[test]
    fn malformed_files_name_the_line_and_apply_nothing() {
        let kms = Kms::new();
        let bad_hex = YAML.replace("5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9\n        NextKeyRotation", "zz\n        NextKeyRotation");
        let err = apply_text(&bad_hex, false, &kms, None, &scope()).unwrap_err();
        assert!(
            err.starts_with("line ")
                && err.contains("BackingKeys: a BackingKeys entry must be 64 hex digits"),
            "{err}"
        );
        assert_eq!(kms.key_count(), 0, "nothing half-applied");
        let bad_yaml = "Keys:\n  Symmetric:\n    Aes: [\n";
        assert!(
            apply_text(bad_yaml, false, &kms, None, &scope())
                .unwrap_err()
                .starts_with("line ")
        );
        let bad_alias = YAML.replace(
            "TargetKeyId: bc436485-5092-42b8-92a3-0aa8b93536dc",
            "TargetKeyId: 00000000-0000-4000-8000-000000000000",
        );
        let err = apply_text(&bad_alias, false, &kms, None, &scope()).unwrap_err();
        assert!(err.contains("neither seeded nor existing"), "{err}");
        assert_eq!(kms.key_count(), 0);
        // A backing key in the wrong place is never printed back.
        let secret = "34743777217a25432a46294a404e635266556a586e3272357538782f413f4428";
        let misplaced = YAML.replace(
            "  Symmetric:\n    Aes:\n",
            &format!("  Symmetric:\n    Aes: {secret}\n    Rsa:\n"),
        );
        let err = apply_text(&misplaced, false, &kms, None, &scope()).unwrap_err();
        assert!(
            !err.contains(secret) && !err.contains("3474377721"),
            "{err}"
        );
        let misplaced_json = format!(r#"{{"Keys":{{"Symmetric":{{"Aes":"{secret}"}}}}}}"#);
        let err = apply_text(&misplaced_json, true, &kms, None, &scope()).unwrap_err();
        assert!(!err.contains("3474377721"), "{err}");
        let bad_json = r#"{"Keys": 5}"#;
        assert!(
            apply_text(bad_json, true, &kms, None, &scope())
                .unwrap_err()
                .starts_with("line 1")
        );
    }
}
