//! A per-address allowance of connection requests, checked before anything is decrypted: opening
//! a token costs an XChaCha20-Poly1305 pass, and a request is 1,078 bytes an attacker need not even
//! make valid. One source address may send `per_sec` requests a second (a burst of as many); the
//! rest are refused for free. This stops a client or a script stuck in a loop; a flood from many
//! (spoofed) addresses is bounded by the per-tick receive budget instead. Per address, not per IP,
//! because players behind one NAT — and every bot of a load test on 127.0.0.1 — share an IP.
//!
//! The allowances live in a fixed table indexed by a keyed hash of the address, so a flood of
//! spoofed sources cannot grow memory; two sources that land in one slot take turns resetting it,
//! which can only let requests through, never lock out an honest client.

use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::time::Duration;

/// Slots in the table: far more than sources connecting within a second on one server.
const SLOTS: usize = 4096;

#[derive(Debug, Clone, Copy, Default)]
struct Allowance {
    /// The keyed hash of the address holding the slot (never 0); 0 when free.
    source: u64,
    requests: f32,
    refilled_at: Duration,
}

#[derive(Debug)]
pub(super) struct RequestLimiter {
    allowances: Box<[Allowance]>,
    keys: std::hash::RandomState,
    per_sec: f32,
}

impl RequestLimiter {
    pub(super) fn new(per_sec: u32) -> Self {
        Self {
            allowances: vec![Allowance::default(); SLOTS].into_boxed_slice(),
            keys: std::hash::RandomState::new(),
            per_sec: per_sec.max(1) as f32,
        }
    }

    /// Whether a request from `from` at `now` is within its allowance (and takes one from it).
    pub(super) fn allow(&mut self, from: SocketAddr, now: Duration) -> bool {
        let source = self.keys.hash_one(from) | 1;
        let allowance = &mut self.allowances[source as usize % SLOTS];
        if allowance.source == source {
            let elapsed = now.saturating_sub(allowance.refilled_at).as_secs_f32();
            allowance.requests = (allowance.requests + elapsed * self.per_sec).min(self.per_sec);
        } else {
            allowance.source = source;
            allowance.requests = self.per_sec;
        }
        allowance.refilled_at = now;
        if allowance.requests < 1.0 {
            return false;
        }
        allowance.requests -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(port: u16) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, 1], port))
    }

    #[test]
    fn a_source_gets_a_seconds_worth_at_once_then_its_rate() {
        let mut limiter = RequestLimiter::new(10);
        let start = Duration::from_secs(100);
        assert!((0..10).all(|_| limiter.allow(ip(1), start)));
        assert!(!limiter.allow(ip(1), start));
        assert!(!limiter.allow(ip(1), start + Duration::from_millis(50)));
        assert!(limiter.allow(ip(1), start + Duration::from_millis(150)));
        assert!(!limiter.allow(ip(1), start + Duration::from_millis(160)));
    }

    #[test]
    fn one_flooding_source_does_not_use_up_another_sources_allowance() {
        let mut limiter = RequestLimiter::new(10);
        let now = Duration::from_secs(100);
        let refused = (0..10_000).filter(|_| !limiter.allow(ip(1), now)).count();
        assert_eq!(refused, 10_000 - 10);
        assert!((0..10).all(|_| limiter.allow(ip(2), now)));
    }
}
