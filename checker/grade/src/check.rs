//! `check!` and `check_eq!`: assertions whose failure messages read as a verdict.
//!
//! They panic like `assert!`, at the line of the suite that states the demand, so the
//! harness can tell a failed demand (an assertion in the suite) from a panic in the code under
//! test (anywhere else).

/// Checks a condition; on failure panics with the message, a verdict the learner reads.
///
/// # Examples
///
/// ```should_panic
/// use grade::check;
///
/// let in_flight = 4;
/// check!(in_flight <= 3, "at most 3 jobs in flight, saw {in_flight}");
/// ```
#[macro_export]
macro_rules! check {
    ($cond:expr, $($what:tt)+) => {
        if !$cond {
            ::std::panic!($($what)+);
        }
    };
}

/// Checks `actual == expected`; on failure panics with the message and both values, expected
/// first.
///
/// # Examples
///
/// ```
/// use grade::check_eq;
///
/// let err = std::panic::catch_unwind(|| check_eq!(1 + 1, 3, "one plus one")).unwrap_err();
/// let text = err.downcast_ref::<String>().unwrap();
/// assert_eq!(text, "one plus one\n  expected: 3\n    actual: 2");
/// ```
#[macro_export]
macro_rules! check_eq {
    ($actual:expr, $expected:expr, $($what:tt)+) => {
        match (&$actual, &$expected) {
            (actual, expected) => {
                if actual != expected {
                    ::std::panic!(
                        "{}\n  expected: {:?}\n    actual: {:?}",
                        ::std::format_args!($($what)+),
                        expected,
                        actual
                    );
                }
            }
        }
    };
}
