//! Replay tokens: which property, which input, which schedule, in one shell-safe word.
//!
//! The form is `PROPERTY@INPUT[@SCHEDULE].SUM`: the property's name, its input as JSON in
//! URL-safe base64, the runtime's own replay token (absent for properties that do not run a
//! single schedule), and a checksum of all that ([`grade_wire::seal`]), so a damaged token is
//! refused rather than replaying another input or schedule.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The stable hash of property seeds, from the wire crate (shared with the checker).
pub use grade_wire::{FNV_OFFSET, fnv1a};

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
/// // A changed character breaks the checksum: refused, saying so.
/// let damaged = text.replacen("fifo", "fifa", 1);
/// assert!(damaged.parse::<ReplayToken>().unwrap_err().contains("checksum"));
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
        let mut body = format!("{}@{}", self.property, URL_SAFE_NO_PAD.encode(&self.input));
        if let Some(s) = &self.schedule {
            body.push('@');
            body.push_str(s);
        }
        f.write_str(&grade_wire::seal(&body))
    }
}

impl std::str::FromStr for ReplayToken {
    type Err = String;

    /// # Errors
    ///
    /// A damaged token (its checksum does not match, or is missing), or one not of the form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = grade_wire::unseal(s)?;
        let mut parts = s.splitn(3, '@');
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
