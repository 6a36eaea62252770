//! Programs a test drives (a C compiler, valgrind, Mono): present, or the test says it skipped —
//! except under `CI=true`, where `.ci/run` installs them and a missing one is a failure.

use crate::unavailable::skip_unless_ci;
use std::process::{Command, Stdio};

/// Whether `program` runs (with `--version`); otherwise says the test skipped, naming `install`
/// (how to get it), or fails under `CI=true`.
pub fn program_available(program: &str, install: &str) -> bool {
    let runs = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !runs {
        skip_unless_ci("program", program, format!("install it: {install}"));
    }
    runs
}
