//! `include/arbiter.h` is generated from this crate by cbindgen and checked in, so engine developers
//! can read and vendor it; this test fails when it is stale, and proves it compiles as strict C99
//! and as C++.

use arbiter_testing::tools::program_available;
use std::process::Command;

const CRATE: &str = env!("CARGO_MANIFEST_DIR");
const HEADER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/include/arbiter.h");

fn generated() -> String {
    let config = cbindgen::Config::from_file(format!("{CRATE}/cbindgen.toml")).expect("config");
    let bindings = cbindgen::Builder::new()
        .with_crate(CRATE)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut text = Vec::new();
    bindings.write(&mut text);
    String::from_utf8(text).expect("UTF-8")
}

#[test]
fn the_checked_in_header_is_what_cbindgen_generates_from_the_source() {
    let generated = generated();
    if std::env::var("ARBITER_BLESS").as_deref() == Ok("1") {
        std::fs::write(HEADER, &generated).expect("write the header");
    }
    let checked_in = std::fs::read_to_string(HEADER).unwrap_or_default();
    assert!(
        checked_in == generated,
        "ffi/include/arbiter.h is stale; regenerate it with \
         ARBITER_BLESS=1 cargo test -p arbiter_ffi --test header"
    );
}

#[test]
fn the_header_compiles_as_strict_c99_and_as_cpp() {
    let strict = ["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"];
    for (compiler, language, standard) in [("cc", "c", "-std=c99"), ("c++", "c++", "-std=c++11")] {
        if !program_available(compiler, "apt-get install gcc g++") {
            return;
        }
        let output = Command::new(compiler)
            .args(["-x", language, standard])
            .args(strict)
            .arg(HEADER)
            .output()
            .expect("the compiler runs");
        assert!(
            output.status.success(),
            "{compiler} {standard}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
