//! The engine's integration tests, one module per area, in one test binary: each calls `Kms`
//! directly, with a manual clock where time matters. Run one area with `cargo test -p kms-api
//! --test it <module>::`.

mod custom_key_stores;
mod grants;
mod import;
mod key_types;
mod lifecycle;
mod multi_region;
mod persistence;
mod rotation;
mod sm2;
mod usage;
