//! Port pending.
