//! `csharp/NativeMethods.g.cs`, the C# declarations of the C API (for Unity and .NET), is generated
//! from this crate by csbindgen and checked in; this test fails when it is stale.

const CRATE: &str = env!("CARGO_MANIFEST_DIR");
const BINDING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/csharp/NativeMethods.g.cs");

/// The files holding exported functions and the types they use.
const SOURCES: [&str; 7] = [
    "lib.rs",
    "handles.rs",
    "result.rs",
    "events.rs",
    "client.rs",
    "requests.rs",
    "views.rs",
];

fn generated(into: &std::path::Path) -> String {
    let mut builder = csbindgen::Builder::default();
    for source in SOURCES {
        builder = builder.input_extern_file(format!("{CRATE}/src/{source}"));
    }
    builder
        .csharp_dll_name("arbiter_ffi")
        // iOS links the static library into the game: P/Invoke must look in the executable.
        .csharp_dll_name_if("UNITY_IOS && !UNITY_EDITOR", "__Internal")
        .csharp_namespace("Arbiter")
        .csharp_class_name("NativeMethods")
        .csharp_class_accessibility("public")
        // Unity's Mono and IL2CPP: no C# 9 function pointers, no nint.
        .csharp_use_function_pointer(false)
        .csharp_use_nint_types(false)
        .always_included_types([
            "ArbiterResult",
            "ArbiterEventKind",
            "ArbiterShotOutcome",
            "ArbiterSlot",
            "ArbiterState",
            "ArbiterGuildRole",
            "ArbiterTradePhase",
        ])
        .generate_csharp_file(into)
        .expect("csbindgen generates the binding");
    std::fs::read_to_string(into).expect("read the generated binding")
}

#[test]
fn the_checked_in_csharp_binding_is_what_csbindgen_generates_from_the_source() {
    let directory = tempfile::tempdir().expect("temp dir");
    let generated = generated(&directory.path().join("NativeMethods.g.cs"));
    if std::env::var("ARBITER_BLESS").as_deref() == Ok("1") {
        std::fs::write(BINDING, &generated).expect("write the binding");
    }
    let checked_in = std::fs::read_to_string(BINDING).unwrap_or_default();
    assert!(
        checked_in == generated,
        "ffi/csharp/NativeMethods.g.cs is stale; regenerate it with \
         ARBITER_BLESS=1 cargo test -p arbiter_ffi --test csharp"
    );
}
