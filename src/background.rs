//! A thread that works beside the tick on its behalf (the send thread) gives way to it. The async
//! runtime's threads do not: with them given way too, the lobby's ticks measured the same.

/// Gives the calling thread Linux's `SCHED_BATCH` policy: the same share of the CPU, but its
/// wake-ups do not preempt the running thread. Where such a thread shares a core with the tick, a
/// wake-up (the tick's hand-over to the send thread) would otherwise run its work inside the tick
/// (BENCHMARKS.md, *The tick's sends on a thread of their own*: at 10,000 lobby players 90–95 % of
/// ticks within 5 ms with the send thread's policy, 70–76 % without).
pub(crate) fn yield_to_the_tick() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityOsValue,
            ThreadSchedulePolicy, set_thread_priority_and_policy, thread_native_id,
        };
        let batch = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
        let nice_zero = ThreadPriority::Os(ThreadPriorityOsValue::default());
        if let Err(error) = set_thread_priority_and_policy(thread_native_id(), nice_zero, batch) {
            tracing::warn!(
                ?error,
                "a background thread could not take SCHED_BATCH: its wake-ups may lengthen ticks"
            );
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_background_thread_s_policy_is_batch_so_its_wake_ups_do_not_preempt_the_tick() {
        const SCHED_BATCH: &str = "3";
        let policy = std::thread::spawn(|| {
            yield_to_the_tick();
            let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("own stat");
            // The fields after the command's closing parenthesis start at the third; the
            // policy is the 41st.
            let after_command = stat.rsplit_once(')').expect("a command").1;
            after_command
                .split_whitespace()
                .nth(41 - 3)
                .map(str::to_owned)
        })
        .join()
        .expect("the thread ran");
        assert_eq!(policy.as_deref(), Some(SCHED_BATCH));
    }
}
