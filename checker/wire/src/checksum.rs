//! The 64-bit FNV-1a hash (the `fnv` crate's): the stable checksum of suites and sources, and
//! the seed of a property's inputs.

use std::hash::Hasher as _;

use fnv::FnvHasher;

/// FNV-1a's starting value (the offset basis).
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a (64 bits) of `bytes`, continuing from `h` (start from [`FNV_OFFSET`]).
///
/// Never panics; the result depends only on `h` and `bytes`, on every platform and release,
/// so recorded checksums and property seeds stay valid.
///
/// # Examples
///
/// ```
/// use grade_wire::{FNV_OFFSET, fnv1a};
///
/// assert_eq!(fnv1a(FNV_OFFSET, b""), FNV_OFFSET);
/// assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
/// assert_eq!(fnv1a(fnv1a(FNV_OFFSET, b"a"), b"b"), fnv1a(FNV_OFFSET, b"ab"));
/// ```
pub fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    let mut hasher = FnvHasher::with_key(h);
    hasher.write(bytes);
    hasher.finish()
}

/// Seals the text of a replay token with a checksum of it: `TEXT.XXXXXXXX` (32 bits of FNV-1a,
/// 8 hex digits), so that a token damaged in copying or edited by hand is refused by
/// [`unseal`] instead of replaying some other input or schedule.
///
/// Never panics; the checksum depends only on `body`.
///
/// # Examples
///
/// ```
/// use grade_wire::{seal, unseal};
///
/// let token = seal("fifo@WzEsMl0");
/// assert_eq!(unseal(&token), Ok("fifo@WzEsMl0"));
/// assert!(unseal("fifo@WzEsMl1.00000000").is_err());
/// ```
pub fn seal(body: &str) -> String {
    format!("{body}.{:08x}", token_sum(body))
}

/// The text of a sealed replay token (see [`seal`]), or why it is refused: its checksum is
/// missing (the token was cut short) or does not match the text (a part of it was changed).
///
/// # Errors
///
/// A message for the learner that names the problem and says to copy the whole token again.
///
/// # Examples
///
/// ```
/// use grade_wire::{seal, unseal};
///
/// let token = seal("p@e30@gort1:r:1f:9a3c02e1:812:5b1d");
/// let damaged = token.replace(":812:", ":813:");
/// assert!(unseal(&damaged).unwrap_err().contains("checksum does not match"));
/// assert!(unseal("p@e30").unwrap_err().contains("no checksum"));
/// ```
pub fn unseal(token: &str) -> Result<&str, String> {
    let token = token.trim();
    let again = "Copy the whole token again from the report of the failing property (or \
                 grade again for a fresh one).";
    let Some((body, sum)) = token.rsplit_once('.').filter(|(_, sum)| {
        sum.len() == 8 && sum.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }) else {
        return Err(format!(
            "replay token `{token}` has no checksum at its end: it was cut short when copied, or \
             printed by an older checker. {again}"
        ));
    };
    let expected = token_sum(body);
    if u32::from_str_radix(sum, 16) != Ok(expected) {
        return Err(format!(
            "replay token `{token}` is damaged: its checksum does not match the rest of it (it \
             ends in .{sum}; its contents give .{expected:08x}), so a part of it was changed. \
             Replaying it would run some other input or schedule than the one reported. {again}"
        ));
    }
    Ok(body)
}

/// 32 bits of FNV-1a over a token's text.
fn token_sum(body: &str) -> u32 {
    let h = fnv1a(FNV_OFFSET, body.as_bytes());
    ((h >> 32) ^ h) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written function this crate replaced; kept here to prove the values match.
    fn by_hand(h: u64, bytes: &[u8]) -> u64 {
        bytes.iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
    }

    #[test]
    fn the_crate_gives_the_values_of_the_hand_written_function() {
        assert_eq!(FnvHasher::default().finish(), FNV_OFFSET);
        // Published vectors of FNV-1a 64.
        assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
        for text in [&b""[..], b"a", b"foobar", b"checker/suites/01_spawn.rs", &[0, 255, 7]] {
            assert_eq!(fnv1a(FNV_OFFSET, text), by_hand(FNV_OFFSET, text));
            assert_eq!(fnv1a(12345, text), by_hand(12345, text));
        }
    }

    #[test]
    fn a_sealed_token_opens_and_every_damaged_one_is_refused() {
        let body = "each_task_runs_once@W10@gort1:p2.50:1f:9a3c02e1:812:5b1d";
        let token = seal(body);
        assert_eq!(unseal(&token), Ok(body));
        assert_eq!(unseal(&format!("  {token}\n")), Ok(body));
        // Every one-character change anywhere in the token is caught.
        for (i, c) in token.char_indices() {
            let other = if c == 'a' { 'b' } else { 'a' };
            let mut damaged = token.clone();
            damaged.replace_range(i..i + c.len_utf8(), &other.to_string());
            assert!(unseal(&damaged).is_err(), "{damaged} accepted");
        }
        // Cut short: the checksum or more is missing.
        assert!(unseal(body).unwrap_err().contains("no checksum"));
        assert!(unseal(&token[..token.len() - 3]).unwrap_err().contains("no checksum"));
    }
}
