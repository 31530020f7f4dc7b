//! `bucket-key-cache`'s integration tests, one module per area, in one test binary. Run one
//! area with `cargo test -p bucket-key-cache --test it <module>::`.

mod open_policy;
mod redaction;
mod stampede;
mod vectors;
