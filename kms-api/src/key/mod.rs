//! Keys: identifiers (`id`), AWS's enumerations ([`spec`]), versioned material
//! ([`material`]), imported material ([`imported`]), the key families behind it (`family`) and
//! the record that ties them together ([`record`]).

pub(crate) mod family;
pub mod grant;
pub(crate) mod id;
pub mod imported;
pub mod material;
pub mod record;
pub mod snapshot;
pub mod spec;
