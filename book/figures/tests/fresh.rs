//! The committed figures in `book/src/img/` are exactly what the code draws today.

use std::fs;

const STALE: &str =
    "book figures are stale: run `cargo run -p book-figures` and commit book/src/img";

#[test]
fn committed_figures_are_fresh() {
    let dir = book_figures::img_dir();
    let mut stale = vec![];
    for (name, svg) in book_figures::figures() {
        match fs::read_to_string(dir.join(name)) {
            Ok(committed) if committed == svg => {}
            Ok(_) => stale.push(format!("{name} differs")),
            Err(e) => stale.push(format!("{name}: {e}")),
        }
    }
    assert!(stale.is_empty(), "{STALE}\n  {}", stale.join("\n  "));
}

#[test]
fn figures_are_the_same_on_every_run() {
    assert_eq!(book_figures::figures(), book_figures::figures(), "a figure is not deterministic");
}

#[test]
fn figures_are_well_formed_svg_with_tooltips() {
    for (name, svg) in book_figures::figures() {
        assert!(name.ends_with(".svg"), "{name}");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{name}");
        assert!(svg.trim_end().ends_with("</svg>"), "{name}");
        assert!(svg.contains(r##"fill="#ffffff""##), "{name}: a white background");
        assert!(svg.matches("<title>").count() > 3, "{name}: tooltips");
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count(), "{name}");
        assert!(svg.contains("width=\"750\""), "{name}: book width");
    }
}

/// The worker-pool figure draws the chapter's jobs under the chapter's numbers: the costs of
/// `uneven_jobs` in `book/listings/tests/ch06_worker_pool.rs`, job `i` being the `i`-th
/// (numbered from 0, as the listing's `Job { id, .. }` and the prose about "job 2" are).
#[test]
fn the_worker_pool_figure_numbers_jobs_as_the_chapter_does() {
    let listing = book_figures::img_dir().join("../../listings/tests/ch06_worker_pool.rs");
    let listing = fs::read_to_string(&listing).expect("read the chapter's listing");
    let at = listing.find("fn uneven_jobs()").expect("the listing has uneven_jobs");
    let open = at + listing[at..].find('[').expect("a cost array");
    let close = open + listing[open..].find(']').expect("the array ends");
    let costs: Vec<u64> = listing[open + 1..close]
        .split(',')
        .map(|c| c.trim().parse().expect("a cost in ms"))
        .collect();
    assert_eq!(costs, book_figures::worker_pool::COSTS, "the figure runs the listing's jobs");
    let svg = book_figures::worker_pool::svg();
    for (job, cost) in costs.iter().enumerate() {
        let label = format!("job {job} ({cost} ms)"); // every bar's tooltip
        assert!(svg.contains(&label), "the figure should label `{label}`, as the chapter does");
    }
}
