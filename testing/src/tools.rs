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

/// Whether this process runs as root, which `needs` (setting a file capability, starting a process
/// as another user); otherwise says the test skipped, or fails under `CI=true` (CI runs as root).
pub fn root_available(needs: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").is_ok_and(|process| process.uid() == 0);
    if !root {
        skip_unless_ci("root user", "this process", format!("run as root: {needs}"));
    }
    root
}
