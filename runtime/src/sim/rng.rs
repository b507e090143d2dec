//! The scheduler's pinned pseudo-random generator: PCG-XSH-RR 64/32 (`rand_pcg::Pcg32`).
//!
//! A replay token is only a seed, so the algorithm that turns a seed into choices is part of
//! the token format: changing anything here (the generator, the stream, the output
//! permutation or the bounded-draw method) silently invalidates every token ever printed.
//! The test vectors below guard it, including across `rand_pcg` upgrades. The generator is
//! O'Neill's PCG32 ("PCG: A Family of Simple Fast Space-Efficient Statistically Good
//! Algorithms for Random Number Generation", 2014), seeded as the reference implementation's
//! `pcg32_srandom_r`; bounded draws use Lemire's multiply-and-reject method ("Fast Random
//! Integer Generation in an Interval", 2019), written here so that no library's choice of
//! method can move them.

use rand_pcg::rand_core::Rng as _;

/// PCG32 with the draws the scheduler makes from it.
#[derive(Clone, Debug)]
pub(crate) struct Pcg32(rand_pcg::Pcg32);

/// The stream every run uses; fixed so that a seed alone names a schedule.
const STREAM: u64 = 0x6f72_745f_6773_6f67;

impl Pcg32 {
    /// Seeds the generator the way the reference implementation's `pcg32_srandom_r` does.
    pub(crate) fn new(seed: u64) -> Self {
        Self::with_stream(seed, STREAM)
    }

    fn with_stream(seed: u64, stream: u64) -> Self {
        Pcg32(rand_pcg::Pcg32::new(seed, stream))
    }

    /// The next 32 uniformly distributed bits.
    #[inline]
    pub(crate) fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// The next 64 bits: two 32-bit outputs, high half first (not `rand_pcg`'s order, which
    /// puts the first output low: this one is pinned by the tokens).
    pub(crate) fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        (hi << 32) | u64::from(self.next_u32())
    }

    /// A uniform integer in `0..n`. `n` must not be zero.
    #[inline]
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0);
        let mut m = u64::from(self.next_u32()) * u64::from(n);
        if (m as u32) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u32) < threshold {
                m = u64::from(self.next_u32()) * u64::from(n);
            }
        }
        (m >> 32) as u32
    }

    /// Shuffles `items` in place (Fisher-Yates, drawing from the end).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u32 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// SplitMix64: derives independent per-schedule seeds from one master seed.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference implementation's demo (`pcg32-demo`, seed 42, stream 54) prints these.
    #[test]
    fn matches_the_reference_implementation() {
        let mut rng = Pcg32::with_stream(42, 54);
        let got: Vec<u32> = (0..6).map(|_| rng.next_u32()).collect();
        assert_eq!(got, [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e]);
    }

    /// Pins our stream and bounded draws: if this changes, every replay token changes meaning.
    #[test]
    fn pinned_choices_do_not_drift() {
        let mut rng = Pcg32::new(7);
        let got: Vec<u32> = (0..8).map(|_| rng.below(10)).collect();
        assert_eq!(got, PINNED_BELOW_10_SEED_7);
        assert_eq!(splitmix64(0), 0xe220a8397b1dcdaf);
    }

    const PINNED_BELOW_10_SEED_7: [u32; 8] = [1, 5, 6, 1, 6, 7, 6, 2];

    /// The raw stream of the seed every default run uses, and the high-first 64-bit draw
    /// PCT priorities come from (recorded from the hand-written generator this replaced).
    #[test]
    fn the_default_seed_stream_is_pinned() {
        let mut rng = Pcg32::new(0);
        let got: Vec<u32> = (0..4).map(|_| rng.next_u32()).collect();
        assert_eq!(got, PINNED_SEED_0);
        let mut rng = Pcg32::new(0);
        assert_eq!(
            rng.next_u64(),
            (u64::from(PINNED_SEED_0[0]) << 32) | u64::from(PINNED_SEED_0[1])
        );
    }

    const PINNED_SEED_0: [u32; 4] = [0x4d53_4e38, 0x7e52_956b, 0xe5be_6344, 0xb56e_0d12];

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut rng = Pcg32::new(1);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[rng.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
    }
}
