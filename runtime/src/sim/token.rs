//! Replay tokens: a short string that names one schedule of one program.
//!
//! Format (version 1): `gort1:<strategy>:<seed>:<program>:<steps>:<fingerprint>`
//! * strategy: `r` (random) or `p<depth>.<horizon>` (PCT);
//! * seed: hex; program: hex fingerprint of the main closure's type and the schedule-affecting
//!   settings (`0` for "any program");
//! * steps and fingerprint: what the recorded run produced (`-` if unknown), so a replay can
//!   tell whether it took the same schedule.

use std::fmt;
use std::str::FromStr;

use super::Strategy;

/// A parsed replay token; `Display` gives back the string form.
///
/// # Examples
///
/// ```
/// use gort::diag::Token;
///
/// let token: Token = "gort1:p3.120:ff:1a2b:812:9e3779b97f4a7c15".parse().unwrap();
/// assert_eq!(token.seed(), 255);
/// assert_eq!(token.steps(), Some(812));
/// assert_eq!(token.to_string(), "gort1:p3.120:ff:1a2b:812:9e3779b97f4a7c15");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token {
    pub(crate) strategy: Strategy,
    pub(crate) seed: u64,
    pub(crate) program: u32,
    pub(crate) steps: Option<u64>,
    pub(crate) fingerprint: Option<u64>,
}

impl Token {
    /// The seed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Token, sim};
    ///
    /// let token: Token = "gort1:r:ff:0:-:-".parse().unwrap();
    /// assert_eq!(token.seed(), 255); // the seed is hex in the string form
    /// let report = sim::run(&sim::Config::default().with_seed(12), || ());
    /// assert_eq!(report.token().seed(), 12);
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The strategy.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Token, sim::Strategy};
    ///
    /// let pct: Token = "gort1:p2.50:1:0:-:-".parse().unwrap();
    /// assert_eq!(pct.strategy(), Strategy::Pct { depth: 2, horizon: 50 });
    /// let random: Token = "gort1:r:1:0:-:-".parse().unwrap();
    /// assert_eq!(random.strategy(), Strategy::Random);
    /// ```
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }
    /// How many events the recorded run had, if known.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Token, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || gort::go(|| ()).join().unwrap());
    /// assert_eq!(report.token().steps(), Some(report.stats().steps));
    /// let unknown: Token = "gort1:r:0:0:-:-".parse().unwrap();
    /// assert_eq!(unknown.steps(), None);
    /// ```
    pub fn steps(&self) -> Option<u64> {
        self.steps
    }
    /// The recorded run's trace fingerprint, if known.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Token, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || gort::go(|| ()).join().unwrap());
    /// assert_eq!(report.token().fingerprint(), Some(report.trace().fingerprint()));
    /// let unknown: Token = "gort1:r:0:0:-:-".parse().unwrap();
    /// assert_eq!(unknown.fingerprint(), None);
    /// ```
    pub fn fingerprint(&self) -> Option<u64> {
        self.fingerprint
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("gort1:")?;
        match self.strategy {
            Strategy::Random => f.write_str("r")?,
            Strategy::Pct { depth, horizon } => write!(f, "p{depth}.{horizon}")?,
        }
        write!(f, ":{:x}:{:x}:", self.seed, self.program)?;
        match self.steps {
            Some(s) => write!(f, "{s}:")?,
            None => f.write_str("-:")?,
        }
        match self.fingerprint {
            Some(h) => write!(f, "{h:x}"),
            None => f.write_str("-"),
        }
    }
}

/// Why a replay token was refused.
///
/// # Examples
///
/// ```
/// use gort::diag::{Token, TokenError};
///
/// let err = "gort1:q:1:0:-:-".parse::<Token>().unwrap_err();
/// assert!(matches!(err, TokenError::Malformed { .. }));
/// assert!(err.to_string().contains("strategy"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not of the token format; says which part is wrong.
    Malformed {
        /// The text that was given.
        token: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The token was made by another version of the runtime.
    Version {
        /// The version prefix found.
        found: String,
    },
    /// The token belongs to another program (another main closure, processor count or step
    /// limit), so its seed would name an unrelated schedule.
    OtherProgram {
        /// The fingerprint in the token.
        recorded: u32,
        /// The fingerprint of the program being replayed.
        this: u32,
    },
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed { token, reason } => write!(
                f,
                "{token:?} is not a replay token: {reason} (tokens look like \
                 gort1:r:1f:9a3c02e1:812:5b1d...)"
            ),
            TokenError::Version { found } => write!(
                f,
                "this replay token was made by another version of the runtime ({found}; this \
                 one reads gort1): rerun the tests to get a fresh token"
            ),
            TokenError::OtherProgram { recorded, this } => write!(
                f,
                "this replay token was recorded for another program (fingerprint {recorded:x}, \
                 this program is {this:x}): replay it with the test and configuration that \
                 printed it"
            ),
        }
    }
}

impl std::error::Error for TokenError {}

impl FromStr for Token {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Token, TokenError> {
        let bad = |reason: &str| TokenError::Malformed { token: s.into(), reason: reason.into() };
        let s = s.trim();
        let parts: Vec<&str> = s.split(':').collect();
        match parts.first() {
            Some(&"gort1") => {}
            Some(v) if v.starts_with("gort") => {
                return Err(TokenError::Version { found: v.to_string() });
            }
            _ => return Err(bad("it does not start with gort1:")),
        }
        if parts.len() != 6 {
            return Err(bad("it should have 6 parts separated by ':'"));
        }
        let strategy = match parts[1] {
            "r" => Strategy::Random,
            p if p.starts_with('p') => {
                let (depth, horizon) = p[1..]
                    .split_once('.')
                    .ok_or_else(|| bad("the PCT strategy needs p<depth>.<horizon>"))?;
                Strategy::Pct {
                    depth: depth.parse().map_err(|_| bad("the PCT depth is not a number"))?,
                    horizon: horizon.parse().map_err(|_| bad("the PCT horizon is not a number"))?,
                }
            }
            _ => return Err(bad("unknown strategy (expected r or p<depth>.<horizon>)")),
        };
        let seed = u64::from_str_radix(parts[2], 16).map_err(|_| bad("the seed is not hex"))?;
        let program =
            u32::from_str_radix(parts[3], 16).map_err(|_| bad("the program id is not hex"))?;
        let steps = match parts[4] {
            "-" => None,
            n => Some(n.parse().map_err(|_| bad("the step count is not a number"))?),
        };
        let fingerprint = match parts[5] {
            "-" => None,
            h => Some(u64::from_str_radix(h, 16).map_err(|_| bad("the fingerprint is not hex"))?),
        };
        Ok(Token { strategy, seed, program, steps, fingerprint })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in ["gort1:r:0:0:-:-", "gort1:p2.57:deadbeef:12ab:3:ffff", "gort1:r:1:2:3:4"] {
            assert_eq!(text.parse::<Token>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn refuses_garbage_with_reasons() {
        let reason = |s: &str| s.parse::<Token>().unwrap_err().to_string();
        assert!(reason("hello").contains("does not start with gort1"));
        assert!(reason("gort2:r:0:0:-:-").contains("another version"));
        assert!(reason("gort1:r:zz:0:-:-").contains("seed is not hex"));
        assert!(reason("gort1:p3:0:0:-:-").contains("p<depth>.<horizon>"));
        assert!(reason("gort1:r:0:0:-").contains("6 parts"));
    }
}
