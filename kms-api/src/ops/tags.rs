//! Tag operations: TagResource, UntagResource, ListResourceTags, and the tag rules CreateKey
//! shares.

use crate::error::KmsError;
use crate::kms::Kms;
use crate::ops::{index_marker, page_limit};
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::Tag;
use crate::wire::keys::Empty;
use crate::wire::tags::*;

/// User tags per key (AWS's limit).
pub const MAX_TAGS: usize = 50;

impl Kms {
    /// Adds tags to a key or replaces the values of existing tag keys.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.TagResource
    /// {"KeyId":"1234abcd-...","Tags":[{"TagKey":"team","TagValue":"payments"}]}
    /// ```
    /// # Errors
    /// `TagException` (duplicates, `aws:` prefix, more than 50), `ValidationException`,
    /// `NotFoundException`, `KMSInvalidStateException` (pending deletion).
    pub fn tag_resource(&self, scope: &Scope, req: TagResourceRequest) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.required("tags", &req.tags);
        validate_tag_members(&mut v, req.tags.as_deref());
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        let new = req.tags.unwrap_or_default();
        self.update_key(&key, |k| {
            k.check_not_pending_deletion()?;
            k.tags = checked_tags(&new, &k.tags)?;
            Ok(())
        })?;
        Ok(Empty {})
    }

    /// Removes tags by key; keys the resource does not have are ignored.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.UntagResource
    /// {"KeyId":"1234abcd-...","TagKeys":["team"]}
    /// ```
    /// # Errors
    /// `TagException` (`aws:` prefix), `ValidationException`, `NotFoundException`,
    /// `KMSInvalidStateException` (pending deletion).
    pub fn untag_resource(
        &self,
        scope: &Scope,
        req: UntagResourceRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.required("tagKeys", &req.tag_keys);
        for (i, k) in req.tag_keys.iter().flatten().enumerate() {
            v.str_len(&format!("tagKeys.{}.member", i + 1), Some(k), 1, 128);
        }
        v.finish()?;
        let keys = req.tag_keys.unwrap_or_default();
        if keys.iter().any(|k| is_reserved(k)) {
            return Err(reserved());
        }
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        self.update_key(&key, |k| {
            k.check_not_pending_deletion()?;
            k.tags.retain(|(tk, _)| !keys.contains(tk));
            Ok(())
        })?;
        Ok(Empty {})
    }

    /// Lists a key's tags, in the order they were first set.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ListResourceTags
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `InvalidMarkerException`, `ValidationException`.
    pub fn list_resource_tags(
        &self,
        scope: &Scope,
        req: ListResourceTagsRequest,
    ) -> Result<ListResourceTagsResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.range("limit", req.limit, 1, 50);
        v.str_len("marker", req.marker.as_deref(), 1, 1024);
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        let limit = page_limit(req.limit, 50);
        let start = index_marker(req.marker.as_deref(), key.tags.len())?;
        let page: Vec<Tag> = key.tags[start..]
            .iter()
            .take(limit)
            .map(|(k, v)| Tag {
                tag_key: Some(k.clone()),
                tag_value: Some(v.clone()),
            })
            .collect();
        let end = start + page.len();
        let truncated = end < key.tags.len();
        Ok(ListResourceTagsResponse {
            tags: page,
            next_marker: truncated.then(|| end.to_string()),
            truncated,
        })
    }
}

/// Length constraints on each tag, reported as AWS does (`tags.N.member.tagKey`).
pub(crate) fn validate_tag_members(v: &mut Violations, tags: Option<&[Tag]>) {
    for (i, tag) in tags.unwrap_or_default().iter().enumerate() {
        let key_field = format!("tags.{}.member.tagKey", i + 1);
        let value_field = format!("tags.{}.member.tagValue", i + 1);
        v.required(&key_field, &tag.tag_key);
        v.str_len(&key_field, tag.tag_key.as_deref(), 1, 128);
        v.required(&value_field, &tag.tag_value);
        v.str_len(&value_field, tag.tag_value.as_deref(), 0, 256);
    }
}

/// Merges `new` into `existing` under AWS's tag rules.
pub(crate) fn checked_tags(
    new: &[Tag],
    existing: &[(String, String)],
) -> Result<Vec<(String, String)>, KmsError> {
    let mut seen = std::collections::HashSet::with_capacity(new.len());
    for tag in new {
        let key = tag.tag_key.as_deref().unwrap_or_default();
        if !seen.insert(key) {
            return Err(KmsError::Tag("Duplicate tag keys".into()));
        }
        if is_reserved(key) {
            return Err(reserved());
        }
    }
    let mut merged = existing.to_vec();
    for tag in new {
        let key = tag.tag_key.clone().unwrap_or_default();
        let value = tag.tag_value.clone().unwrap_or_default();
        match merged.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => merged.push((key, value)),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(KmsError::Tag("Too many tags".into()));
    }
    Ok(merged)
}

fn is_reserved(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
}

fn reserved() -> KmsError {
    KmsError::Tag("Tags beginning with aws: are reserved".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            tag_key: Some(k.into()),
            tag_value: Some(v.into()),
        }
    }

    #[test]
    fn tag_rules_match_aws() {
        assert_eq!(
            checked_tags(&[tag("a", "1"), tag("a", "2")], &[]),
            Err(KmsError::Tag("Duplicate tag keys".into()))
        );
        assert_eq!(checked_tags(&[tag("aws:x", "1")], &[]), Err(reserved()));
        assert_eq!(checked_tags(&[tag("AWS:x", "1")], &[]), Err(reserved()));
        let many: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "")).collect();
        assert_eq!(
            checked_tags(&many, &[]),
            Err(KmsError::Tag("Too many tags".into()))
        );
    }

    #[test]
    fn re_setting_a_key_replaces_its_value_in_place() {
        let merged = checked_tags(
            &[tag("b", "3"), tag("c", "4")],
            &[("a".into(), "1".into()), ("b".into(), "2".into())],
        )
        .unwrap();
        assert_eq!(
            merged,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "3".into()),
                ("c".into(), "4".into())
            ]
        );
    }

    #[test]
    fn long_keys_are_validation_errors() {
        let mut v = Violations::new();
        validate_tag_members(&mut v, Some(&[tag(&"k".repeat(129), "v")]));
        let msg = v.finish().unwrap_err().message().to_owned();
        assert!(msg.contains("at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128"), "{msg}");
    }
}
