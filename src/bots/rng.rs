//! A small deterministic random source for bots (SplitMix64): reproducible runs from a seed, no
//! dependency.

#[derive(Debug, Clone)]
pub(super) struct BotRng(u64);

impl BotRng {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Roughly normal with mean 0 and standard deviation `sigma` (Irwin–Hall of four uniforms).
    pub(super) fn normal(&mut self, sigma: f32) -> f32 {
        let sum: f32 = (0..4).map(|_| self.unit()).sum();
        (sum - 2.0) * sigma * 3.0f32.sqrt()
    }
}
