//! The server's integration tests, one module per area, linked into one test binary (one link
//! of the server and aws-sdk-kms instead of one per file). Each module starts the real server
//! on a free loopback port and drives it over HTTP, mostly with aws-sdk-kms; `common` holds the
//! fixtures. Run one area with `cargo test --test it <module>::`, e.g. `cargo test --test it
//! sdk_auth::`.

mod admin_auth;
mod audit;
mod bucket_keys;
mod cli;
mod common;
mod crash;
mod dashboard;
mod faults;
mod fuzz_corpus;
mod metrics_exposition;
mod power_loss;
mod protocol;
mod scope_soak;
mod sdk_aliases_tags_policies;
mod sdk_asymmetric;
mod sdk_auth;
mod sdk_crypto;
mod sdk_custom_key_stores;
mod sdk_grants;
mod sdk_import;
mod sdk_key_last_usage;
mod sdk_keys;
mod sdk_multi_region;
mod sdk_recipient;
mod sdk_rotation;
mod store;
mod store_asymmetric;
mod store_layout;
mod throttle;
mod throttle_classes;
mod timeouts;
