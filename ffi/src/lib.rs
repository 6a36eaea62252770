//! A flat C API over `arbiter_client`: one Rust client for every engine.
//!
//! The rules at the boundary, for every function:
//! - a client is a generational integer handle ([`handles`]): a stale, freed or forged handle is an
//!   error code, never undefined behaviour;
//! - every call returns an `int32` [`ArbiterResult`] (name it with `arbiter_result_name`);
//! - a panic inside a call becomes `ARBITER_RESULT_PANIC` and poisons that handle; it never unwinds
//!   into the engine;
//! - a handle is used from the thread that created it (`ARBITER_RESULT_WRONG_THREAD` otherwise);
//!   `arbiter_free` works from any thread;
//! - events are polled, never delivered by callback: no function pointer crosses the boundary;
//! - strings and arrays handed out are borrowed: valid until the next call on the same handle.
//!   Nothing is the caller's to free but the client itself.
//!
//! Raw pointers are read and written in [`raw`] alone; the exported functions are in [`client`],
//! [`requests`] and [`views`]. The header `include/arbiter.h` is generated from this crate by
//! cbindgen and checked by `tests/header.rs`.

pub mod client;
pub mod events;
pub mod handles;
mod raw;
pub mod requests;
pub mod result;
mod scratch;
mod session;
pub mod views;

pub use result::ArbiterResult;

/// The version of this C API. A binding checks `arbiter_abi_version()` against the version it was
/// written for and refuses to run on a mismatch; it changes whenever a signature or a struct does.
pub const ARBITER_ABI_VERSION: u32 = 2;
