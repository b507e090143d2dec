//! The results channel: how a property's outcome travels from the suite binary to the checker.
//!
//! The checker runs each property with two inherited pipe descriptors: `--nonce-fd N`, from
//! which the harness reads a per-run nonce, and `--results-fd N`, to which it writes the
//! outcome. The harness takes both before any code under test runs (it reads the nonce, moves
//! the results end to a private close-on-exec descriptor and closes the inherited ones), so a
//! results file that code under test could overwrite no longer exists, and a record is tied to
//! its run by the nonce. One record is:
//!
//! ```text
//! grade-results 1 <nonce>
//! <the outcome as JSON>
//! ```

/// The first word of a record's header line.
const MAGIC: &str = "grade-results 1";

/// Frames `json` as the record of the run given `nonce`.
///
/// # Examples
///
/// ```
/// use grade_wire::channel::{frame, unframe};
///
/// let record = frame("5eed", "{}");
/// assert_eq!(unframe("5eed", &record), Ok("{}"));
/// assert!(unframe("f00d", &record).is_err());
/// ```
pub fn frame(nonce: &str, json: &str) -> String {
    format!("{MAGIC} {nonce}\n{json}")
}

/// The JSON of the record in `text` if it was framed for `nonce`.
///
/// # Errors
///
/// What is wrong: no header, another run's nonce. The message is for the report.
///
/// # Examples
///
/// ```
/// use grade_wire::channel::unframe;
///
/// assert!(unframe("5eed", "{\"status\":\"pass\"}").unwrap_err().contains("header"));
/// ```
pub fn unframe<'a>(nonce: &str, text: &'a str) -> Result<&'a str, String> {
    let Some((header, json)) = text.split_once('\n') else {
        return Err("the results record has no header line".into());
    };
    let Some(found) = header.strip_prefix(MAGIC).map(str::trim) else {
        return Err(format!("the results record has no `{MAGIC}` header"));
    };
    if found != nonce {
        return Err(
            "the results record carries another run's nonce, so it did not come from this \
             run's harness"
                .into(),
        );
    }
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_runs_nonce_opens_a_record() {
        let record = frame("abc123", "{\"a\":1}\n");
        assert_eq!(unframe("abc123", &record), Ok("{\"a\":1}\n"));
        assert!(unframe("abc124", &record).unwrap_err().contains("another run's nonce"));
        assert!(unframe("abc", &record).is_err());
        assert!(unframe("abc123", "").is_err());
        assert!(unframe("abc123", "grade-results 2 abc123\n{}").is_err());
    }
}
