//! The privilege the tick's scheduling needs (CAP_SYS_NICE), taken for the one call that uses it.
//!
//! A container runs the server as an ordinary user, whose threads keep no capability across the
//! `exec` that starts the binary. The image therefore gives the binary CAP_SYS_NICE as a file
//! capability in the *permitted* set only (`setcap cap_sys_nice=p`): a binary whose file
//! capability were also *effective* would not start at all in a container that withholds the
//! capability. A permitted capability does nothing until a thread raises it into its effective
//! set, which this does for the calling thread alone, and lowers it again afterwards.

use rustix::thread::{CapabilitySet, capabilities, set_capabilities};

/// Runs `schedule` with CAP_SYS_NICE effective on this thread when it is permitted but not
/// effective, and puts the thread's capabilities back afterwards. Where the capability is not
/// permitted (or already effective, as for root), `schedule` runs as the thread is.
pub(super) fn with_sys_nice<T>(schedule: impl FnOnce() -> T) -> T {
    let Ok(before) = capabilities(None) else {
        return schedule();
    };
    let raisable = before.permitted.contains(CapabilitySet::SYS_NICE)
        && !before.effective.contains(CapabilitySet::SYS_NICE);
    if !raisable {
        return schedule();
    }
    let mut raised = before;
    raised.effective |= CapabilitySet::SYS_NICE;
    if let Err(error) = set_capabilities(None, raised) {
        tracing::warn!(%error, "could not raise the permitted CAP_SYS_NICE on the tick's thread");
        return schedule();
    }
    tracing::debug!("CAP_SYS_NICE raised from the permitted set for the tick's scheduling");
    let outcome = schedule();
    if let Err(error) = set_capabilities(None, before) {
        tracing::warn!(%error, "could not lower CAP_SYS_NICE on the tick's thread again");
    }
    outcome
}
