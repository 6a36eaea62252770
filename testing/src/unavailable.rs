//! What a test does when a service it needs (PostgreSQL, Redis) does not answer: it says that it
//! skipped — except under `CI=true`, where a missing service is a failure.

use std::fmt::Display;

/// Panics under `CI=true`; otherwise says that the test skipped because `service` did not answer
/// at `address`.
pub(crate) fn skip_unless_ci(service: &str, address: &str, problem: impl Display) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{service} is required under CI=true: {problem}"
    );
    #[expect(clippy::print_stderr, reason = "a skipped test says so")]
    {
        eprintln!("skipped: no {service} at {address}: {problem}");
    }
}
