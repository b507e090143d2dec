//! The book's listings. Each chapter's listings live in `tests/chNN_topic.rs`, one `#[test]`
//! per listing that asserts what the chapter claims, with `// ANCHOR: name` /
//! `// ANCHOR_END: name` around the lines the chapter shows (`{{#include}}` by anchor).
//! Listings meant not to compile live in `compile_fail/`, each with the compiler's real
//! error in a `.stderr` file beside it, checked by `tests/compile_fail.rs`.
