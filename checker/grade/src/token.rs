//! Replay tokens: which property, which input, which schedule, in one shell-safe word.
//!
//! The form is `PROPERTY@INPUT[@SCHEDULE]`: the property's name, its input as JSON in
//! URL-safe base64, and the runtime's own replay token (absent for properties that do not
//! run a single schedule).

use std::fmt;
use std::hash::Hasher as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// FNV-1a (64 bits), continuing from `h` (start from [`FNV_OFFSET`]): the stable hash of
/// property seeds and of the checker's suite and source checksums.
///
/// # Examples
///
/// ```
/// use grade::token::{FNV_OFFSET, fnv1a};
///
/// assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
/// assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
/// assert_eq!(fnv1a(fnv1a(FNV_OFFSET, b"a"), b"b"), fnv1a(FNV_OFFSET, b"ab"));
/// ```
#[inline]
pub fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    let mut hasher = fnv::FnvHasher::with_key(h);
    hasher.write(bytes);
    hasher.finish()
}

/// FNV-1a's starting value.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// A decoded replay token.
///
/// # Examples
///
/// ```
/// use grade::token::ReplayToken;
///
/// let t = ReplayToken { property: "fifo".into(), input: "[1,2]".into(), schedule: None };
/// let text = t.to_string();
/// assert!(text.starts_with("fifo@"));
/// assert_eq!(text.parse::<ReplayToken>().unwrap(), t);
/// assert!("no-at-sign".parse::<ReplayToken>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayToken {
    /// The property's name.
    pub property: String,
    /// The input, as JSON.
    pub input: String,
    /// The runtime's token for the schedule (`gort1:...`), if any.
    pub schedule: Option<String>,
}

impl fmt::Display for ReplayToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.property, URL_SAFE_NO_PAD.encode(&self.input))?;
        if let Some(s) = &self.schedule {
            write!(f, "@{s}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ReplayToken {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().splitn(3, '@');
        let property = parts.next().unwrap_or_default();
        let Some(input) = parts.next() else {
            return Err(format!(
                "`{s}` is not a replay token: expected PROPERTY@INPUT[@SCHEDULE], as printed \
                 under a failing property"
            ));
        };
        let input = URL_SAFE_NO_PAD
            .decode(input)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                format!("the input part of replay token `{s}` is damaged (copy the whole token)")
            })?;
        Ok(ReplayToken {
            property: property.to_string(),
            input,
            schedule: parts.next().map(str::to_string),
        })
    }
}
