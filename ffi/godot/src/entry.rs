//! The library's entry point, which Godot calls on loading it (`gdext_rust_init`).
#![expect(unsafe_code, reason = "godot-rust's entry point is an unsafe trait")]

use godot::prelude::{ExtensionLibrary, gdextension};

struct ArbiterExtension;

// SAFETY: nothing is registered by hand; the classes come from `#[derive(GodotClass)]`.
#[gdextension]
unsafe impl ExtensionLibrary for ArbiterExtension {}
