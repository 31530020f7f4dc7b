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
//! Aliases:
//!   - AliasName: alias/testing
//!     TargetKeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
//! ```
//!
//! Seeded keys get exactly the given IDs and material; keys and aliases that already exist are
//! never overwritten. The whole file is checked before anything is applied, and what is new is
//! written in one transaction.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;
use zeroize::Zeroizing;

use kms_api::{AliasEntry, KeyRecord, Kms, Scope, Secret};

use super::Store;

// The structures that hold backing keys have no `Debug`: they hold secrets.
#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedFile {
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
    asymmetric: Option<IgnoredAny>,
    hmac: Option<IgnoredAny>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedSymmetric {
    #[serde(default)]
    aes: Vec<SeedAes>,
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
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedAlias {
    alias_name: String,
    target_key_id: String,
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
    /// Sections this emulator cannot seed yet (asymmetric and HMAC keys), skipped.
    pub skipped_sections: Vec<&'static str>,
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
    if seed.keys.asymmetric.is_some() {
        outcome.skipped_sections.push("Keys.Asymmetric");
    }
    if seed.keys.hmac.is_some() {
        outcome.skipped_sections.push("Keys.Hmac");
    }

    let mut new_keys = Vec::new();
    let mut seeded_ids = Vec::new();
    for entry in &seed.keys.symmetric.aes {
        let id_text = entry.metadata.key_id.as_str();
        let id = uuid::Uuid::try_parse(id_text)
            .ok()
            .filter(|_| id_text.len() == 36)
            .ok_or_else(|| format!("{}KeyId {id_text:?} is not a key ID (a UUID)", at(id_text)))?;
        if seeded_ids.contains(&id) {
            return Err(format!("{}KeyId {id_text} appears twice", at(id_text)));
        }
        seeded_ids.push(id);
        if entry.backing_keys.is_empty() {
            return Err(format!("{}key {id_text} has no BackingKeys", at(id_text)));
        }
        let materials = entry.backing_keys.iter().map(|k| k.0.clone()).collect();
        if kms.has_key(scope, id) {
            outcome.keys_kept += 1;
            continue;
        }
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

    let mut new_aliases = Vec::new();
    for alias in &seed.aliases {
        let name = alias.alias_name.as_str();
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
        let target = uuid::Uuid::try_parse(&alias.target_key_id).map_err(|_| {
            format!(
                "{}TargetKeyId {:?} is not a key ID",
                at(&alias.target_key_id),
                alias.target_key_id
            )
        })?;
        let known = seeded_ids.contains(&target) || kms.has_key(scope, target);
        if !known {
            return Err(format!(
                "{}alias {name} targets {target}, which is neither seeded nor existing",
                at(name)
            ));
        }
        let exists = kms.has_alias(scope, name);
        if exists
            || new_aliases
                .iter()
                .any(|(_, a): &(Scope, AliasEntry)| a.name == name)
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
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("a BackingKeys entry must be 64 hex digits (32 bytes)".into());
    }
    let mut out = Secret::new(vec![0u8; 32]);
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

    fn scope() -> Scope {
        Scope::new("111122223333", "us-east-1")
    }

    #[test]
    fn local_kms_yaml_seeds_keys_with_their_ids_and_material() {
        let kms = Kms::new();
        let out = apply_text(YAML, false, &kms, None, &scope()).unwrap();
        assert_eq!((out.keys_added, out.aliases_added), (2, 1));
        assert_eq!(out.skipped_sections, vec!["Keys.Asymmetric"]);
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
        assert!(apply_text(bad_yaml, false, &kms, None, &scope())
            .unwrap_err()
            .starts_with("line "));
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
        assert!(apply_text(bad_json, true, &kms, None, &scope())
            .unwrap_err()
            .starts_with("line 1"));
    }
}
