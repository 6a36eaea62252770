//! Python test clients: `python3` with packages from PyPI, installed on first use.

use crate::unavailable::skip_unless_ci;
use std::process::Command;

/// Whether `python3` can import `module`, installing `requirement` from PyPI when it cannot. When
/// it still cannot, the test says it skipped — under `CI=true` that fails (`.ci/run` installs it).
pub fn python_module_available(module: &str, requirement: &str) -> bool {
    let importable = || {
        Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if importable() {
        return true;
    }
    let _ = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ])
        .status();
    if importable() {
        return true;
    }
    skip_unless_ci(
        "Python module",
        module,
        format!("python3 -m pip install '{requirement}' failed"),
    );
    false
}
