//! `redacted_debug!`: `Debug` for wire types that never prints their secret members.

/// Debug output that never shows secret bytes.
macro_rules! redacted_debug {
    ($ty:ident { $($field:ident),* } secret { $($secret:ident),* }) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    $(.field(stringify!($secret), &self.$secret.as_ref().map(|s| format!("<{} secret bytes>", s.len()))))*
                    .finish()
            }
        }
    };
}
