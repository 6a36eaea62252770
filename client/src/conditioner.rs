//! A simulated bad network: delay, jitter and loss applied to datagrams, for load tests and bots.

use std::collections::VecDeque;
use std::time::Duration;

/// Delays each datagram by `latency ± jitter` and drops it with probability `loss`. Delivery is in
/// release order, so jitter can reorder packets, as on a real network.
#[derive(Debug, Clone)]
pub struct LinkConditioner {
    latency: Duration,
    jitter: Duration,
    loss: f64,
    rng: u64,
    in_flight: VecDeque<(Duration, Vec<u8>)>,
}

impl LinkConditioner {
    /// `loss` is clamped to 0–1. `seed` makes a run repeatable.
    pub fn new(latency: Duration, jitter: Duration, loss: f64, seed: u64) -> Self {
        Self {
            latency,
            jitter,
            loss: loss.clamp(0.0, 1.0),
            rng: seed | 1,
            in_flight: VecDeque::new(),
        }
    }

    /// The same link for the other direction: equal delay, jitter and loss, drawn from its own random
    /// stream (with one stream both ways, the n-th datagram out and the n-th in would be lost together).
    pub fn other_direction(&self) -> Self {
        Self {
            rng: (self.rng.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15) | 1,
            in_flight: VecDeque::new(),
            ..self.clone()
        }
    }

    /// Accepts a datagram at time `now`; it is lost or released later by [`Self::release`].
    pub fn admit(&mut self, now: Duration, datagram: &[u8]) {
        if self.next_unit() < self.loss {
            return;
        }
        // latency ± jitter, drawn as latency − jitter + [0, 2·jitter): Durations cannot be negative.
        let spread = self.jitter.mul_f64(2.0 * self.next_unit());
        let release_at = (now + self.latency + spread).saturating_sub(self.jitter);
        let position = self.in_flight.partition_point(|(at, _)| *at <= release_at);
        self.in_flight
            .insert(position, (release_at, datagram.to_vec()));
    }

    /// The next datagram due at `now`, if any.
    pub fn release(&mut self, now: Duration) -> Option<Vec<u8>> {
        match self.in_flight.front() {
            Some((at, _)) if *at <= now => self.in_flight.pop_front().map(|(_, datagram)| datagram),
            _ => None,
        }
    }

    /// Uniform in [0, 1), from xorshift64*.
    fn next_unit(&mut self) -> f64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let bits = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        bits as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_by_the_latency_and_loses_about_the_asked_share() {
        let mut link = LinkConditioner::new(Duration::from_millis(50), Duration::ZERO, 0.25, 7);
        for index in 0..1000u32 {
            link.admit(Duration::ZERO, &index.to_le_bytes());
        }
        assert_eq!(link.release(Duration::from_millis(49)), None);
        let delivered = std::iter::from_fn(|| link.release(Duration::from_millis(50))).count();
        assert!(
            (700..800).contains(&delivered),
            "{delivered} of 1000 delivered at 25% loss"
        );
    }

    #[test]
    fn the_other_direction_loses_different_datagrams() {
        let out = LinkConditioner::new(Duration::ZERO, Duration::ZERO, 0.5, 11);
        let delivered = |mut link: LinkConditioner| -> Vec<u32> {
            for index in 0..64u32 {
                link.admit(Duration::ZERO, &index.to_le_bytes());
            }
            std::iter::from_fn(|| link.release(Duration::ZERO))
                .map(|bytes| u32::from_le_bytes(bytes.try_into().expect("4 bytes")))
                .collect()
        };
        let back = out.other_direction();
        assert_ne!(delivered(out), delivered(back));
    }

    #[test]
    fn jitter_spreads_delivery_around_the_latency() {
        let mut link =
            LinkConditioner::new(Duration::from_millis(75), Duration::from_millis(10), 0.0, 3);
        for index in 0..1000u32 {
            link.admit(Duration::from_secs(1), &index.to_le_bytes());
        }
        let at = |ms| Duration::from_secs(1) + Duration::from_millis(ms);
        assert_eq!(
            link.release(at(64)),
            None,
            "nothing before latency − jitter"
        );
        let early = std::iter::from_fn(|| link.release(at(75))).count();
        assert!(
            (350..650).contains(&early),
            "about half by the latency: {early}"
        );
        let rest = std::iter::from_fn(|| link.release(at(85))).count();
        assert_eq!(early + rest, 1000, "everything by latency + jitter");
    }
}
