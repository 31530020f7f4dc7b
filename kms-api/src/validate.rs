//! AWS's request validation messages: every constraint violation in a request is collected and
//! reported together as `N validation error(s) detected: ...; ...`.

use crate::error::KmsError;

/// Collects constraint violations for one request.
#[derive(Debug, Default)]
pub(crate) struct Violations {
    items: Vec<String>,
}

impl Violations {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, item: String) {
        self.items.push(item);
    }

    /// A violation in a form the helpers below do not cover (list members, say).
    pub(crate) fn push_raw(&mut self, item: String) {
        self.push(item);
    }

    /// `Value null at '<field>' failed to satisfy constraint: Member must not be null`.
    pub(crate) fn required<T>(&mut self, field: &str, value: &Option<T>) {
        if value.is_none() {
            self.push(format!(
                "Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ));
        }
    }

    /// A string's length in characters, quoting the value as AWS does.
    pub(crate) fn str_len(&mut self, field: &str, value: Option<&str>, min: usize, max: usize) {
        let Some(v) = value else { return };
        let len = v.chars().count();
        if len < min {
            self.push(format!(
                "Value '{v}' at '{field}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        } else if len > max {
            self.push(format!(
                "Value '{v}' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// A blob's length in bytes; the value is secret, so it is never quoted.
    pub(crate) fn blob_len(&mut self, field: &str, value: Option<&[u8]>, min: usize, max: usize) {
        let Some(v) = value else { return };
        if v.len() < min {
            self.push(format!(
                "Value at '{field}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        } else if v.len() > max {
            self.push(format!(
                "Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// An integer range.
    pub(crate) fn range(&mut self, field: &str, value: Option<i64>, min: i64, max: i64) {
        let Some(v) = value else { return };
        if v < min {
            self.push(format!(
                "Value '{v}' at '{field}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            ));
        } else if v > max {
            self.push(format!(
                "Value '{v}' at '{field}' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ));
        }
    }

    /// A list's length (e.g. at most 10 grant tokens).
    pub(crate) fn list_len<T>(&mut self, field: &str, value: Option<&[T]>, max: usize) {
        let Some(v) = value else { return };
        if v.len() > max {
            self.push(format!(
                "Value '[...]' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// An enumeration, parsed with `parse`; the set is AWS's `[A, B, ...]` list.
    pub(crate) fn enumeration<E>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl Fn(&str) -> Option<E>,
        set: impl FnOnce() -> String,
    ) -> Option<E> {
        let v = value?;
        let parsed = parse(v);
        if parsed.is_none() {
            self.push(format!(
                "Value '{v}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: {}",
                set()
            ));
        }
        parsed
    }

    /// A regular-expression constraint checked by `ok`; `pattern` is quoted in the message.
    pub(crate) fn pattern(
        &mut self,
        field: &str,
        value: Option<&str>,
        pattern: &str,
        ok: impl Fn(&str) -> bool,
    ) {
        let Some(v) = value else { return };
        if !ok(v) {
            self.push(format!(
                "Value '{v}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
            ));
        }
    }

    /// `Ok` when nothing was violated, else one `ValidationException` listing everything.
    pub(crate) fn finish(self) -> Result<(), KmsError> {
        match self.items.len() {
            0 => Ok(()),
            1 => Err(KmsError::Validation(format!(
                "1 validation error detected: {}",
                self.items[0]
            ))),
            n => Err(KmsError::Validation(format!(
                "{n} validation errors detected: {}",
                self.items.join("; ")
            ))),
        }
    }
}

/// Checks the `KeyId` member common to most operations and returns it.
pub(crate) fn key_id<'a>(
    v: &mut Violations,
    field: &str,
    value: &'a Option<String>,
) -> Option<&'a str> {
    v.required(field, value);
    v.str_len(field, value.as_deref(), 1, 2048);
    value.as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_violation_reads_like_aws() {
        let mut v = Violations::new();
        v.blob_len("plaintext", Some(&[0u8; 4097][..]), 1, 4096);
        assert_eq!(
            v.finish().unwrap_err(),
            KmsError::Validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096".into())
        );
    }

    #[test]
    fn several_violations_are_joined() {
        let mut v = Violations::new();
        v.range("numberOfBytes", Some(0), 1, 1024);
        v.required::<String>("keyId", &None);
        let KmsError::Validation(msg) = v.finish().unwrap_err() else {
            panic!("not a validation error")
        };
        assert_eq!(
            msg,
            "2 validation errors detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1; Value null at 'keyId' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn enum_message_lists_the_set() {
        let mut v = Violations::new();
        let parsed = v.enumeration(
            "keyUsage",
            Some("RANDOM"),
            crate::KeyUsage::parse,
            crate::KeyUsage::enum_set,
        );
        assert!(parsed.is_none());
        let KmsError::Validation(msg) = v.finish().unwrap_err() else {
            panic!("not a validation error")
        };
        assert!(msg.starts_with("1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC"));
    }
}
