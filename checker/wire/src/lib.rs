//! `grade-wire`: the grading protocol between the checker and a suite binary.
//!
//! The checker runs a suite binary (built with the `grade` harness) in a child process. What
//! crosses the process boundary is defined here and nowhere else:
//!
//! - the property list (`--list`) as JSON in the file named by `--results`, and each
//!   property's [`Outcome`] ([`outcome`]);
//! - the record the runtime writes to the file named by `--fatal` when a run is ended by its
//!   watchdog or by a stack overflow ([`fatal`]);
//! - each run's outcome, framed with the run's nonce, on a pipe the harness takes before any
//!   code under test runs ([`channel`]);
//! - the checksum of suites and sources, and the seed of property inputs ([`checksum`]).
//!
//! It depends on serde (and the `fnv` hash) only, so the checker links neither the runtime
//! nor proptest.

pub mod channel;
pub mod checksum;
pub mod fatal;
pub mod outcome;

pub use checksum::{FNV_OFFSET, fnv1a, seal, unseal};
pub use fatal::{FatalKind, FatalRecord};
pub use outcome::{Kind, Outcome, PropertyInfo, Status, Verdict, tidy_path};
