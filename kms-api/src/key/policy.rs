//! [`KeyPolicy`]: a key's policy document, kept with its compiled form. The document is
//! compiled once per change (at PutKeyPolicy or CreateKey, or on first use after a restart)
//! and shared by every clone of the record, so authorizing a request costs no parsing.

use std::sync::{Arc, OnceLock};

use crate::policy::Policy;

/// A key's policy: the document as given and its compiled form.
#[derive(Clone)]
pub struct KeyPolicy {
    text: Arc<str>,
    compiled: Arc<OnceLock<Policy>>,
}

impl KeyPolicy {
    /// A policy from its document, compiled on first use.
    pub(crate) fn new(text: impl Into<Arc<str>>) -> Self {
        Self {
            text: text.into(),
            compiled: Arc::new(OnceLock::new()),
        }
    }

    /// A policy already compiled.
    pub(crate) fn compiled_from(text: String, policy: Policy) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(policy);
        Self {
            text: text.into(),
            compiled: Arc::new(cell),
        }
    }

    /// The document, as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The compiled policy. A document that does not compile (only possible for a key
    /// stored before policies were checked) allows nothing.
    pub fn compiled(&self) -> &Policy {
        self.compiled.get_or_init(|| {
            Policy::parse_key_policy(&self.text).unwrap_or_else(|_| Policy::empty())
        })
    }
}

impl std::fmt::Debug for KeyPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPolicy")
            .field("bytes", &self.text.len())
            .finish()
    }
}
