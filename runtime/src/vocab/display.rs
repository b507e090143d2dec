//! Durations written the way Go prints them, and the FNV-1a hash that names strings in
//! fingerprints.

use std::fmt;
use std::hash::Hasher as _;
use std::time::Duration;

/// Formats a virtual duration compactly: `0s`, `200ms`, `1.5s`, `3µs`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DisplayDuration(pub(crate) Duration);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0.as_nanos();
        let text = if ns == 0 {
            "0s".to_string()
        } else if ns.is_multiple_of(1_000_000_000) {
            format!("{}s", ns / 1_000_000_000)
        } else if ns >= 1_000_000_000 {
            format!("{}s", trim(ns as f64 / 1e9))
        } else if ns.is_multiple_of(1_000_000) {
            format!("{}ms", ns / 1_000_000)
        } else if ns >= 1_000_000 {
            format!("{}ms", trim(ns as f64 / 1e6))
        } else if ns.is_multiple_of(1_000) {
            format!("{}µs", ns / 1_000)
        } else {
            format!("{ns}ns")
        };
        f.pad(&text)
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// FNV-1a's 64-bit offset basis: where a hash starts.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a (64 bits) of `bytes`, continuing from `h` (start from [`FNV_OFFSET`]). Part of the
/// token format (program and trace fingerprints), pinned by a test vector.
#[inline]
pub(crate) fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    let mut hasher = fnv::FnvHasher::with_key(h);
    hasher.write(bytes);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_go() {
        let d = |ns| DisplayDuration(Duration::from_nanos(ns)).to_string();
        assert_eq!(d(0), "0s");
        assert_eq!(d(200_000_000), "200ms");
        assert_eq!(d(1_500_000_000), "1.5s");
        assert_eq!(d(2_000_000_000), "2s");
        assert_eq!(d(3_000), "3µs");
        assert_eq!(d(1_250_000), "1.25ms");
        assert_eq!(d(17), "17ns");
    }

    /// The published FNV-1a 64 vectors, and values the hand-written function this replaced
    /// gave: fingerprints in existing replay tokens depend on them.
    #[test]
    fn fnv1a_gives_the_values_tokens_were_made_with() {
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a(fnv1a(FNV_OFFSET, b"foo"), b"bar"), fnv1a(FNV_OFFSET, b"foobar"));
    }
}
