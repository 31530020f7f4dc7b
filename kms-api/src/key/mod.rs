//! Keys: identifiers (`id`), AWS's enumerations ([`spec`]), versioned material
//! ([`material`]), imported material ([`imported`]), multi-Region sets ([`multi_region`]), the key families behind it (`family`) and
//! the record that ties them together ([`record`]).

pub(crate) mod family;
pub mod grant;
pub(crate) mod id;
pub mod imported;
pub mod material;
pub mod multi_region;
pub mod policy;
pub mod record;
pub mod snapshot;
pub mod spec;
pub mod usage;
