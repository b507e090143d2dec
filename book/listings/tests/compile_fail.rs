//! The book's listings that must not compile, each failing with the error pinned beside it.
//!
//! Regenerate the `.stderr` files after a toolchain change with
//! `TRYBUILD=overwrite cargo test -p book-listings --test compile_fail`, and read the diff.

#[test]
fn listings_that_must_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("compile_fail/*.rs");
}
