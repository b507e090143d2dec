//! Writes every figure of the book into `book/src/img/` (`cargo run -p book-figures`).

use std::fs;

fn main() -> std::io::Result<()> {
    let dir = book_figures::img_dir();
    fs::create_dir_all(&dir)?;
    let dir = fs::canonicalize(&dir)?;
    for (name, svg) in book_figures::figures() {
        let path = dir.join(name);
        let unchanged = fs::read_to_string(&path).is_ok_and(|old| old == svg);
        if !unchanged {
            fs::write(&path, &svg)?;
        }
        println!("{} {}", if unchanged { "unchanged" } else { "wrote    " }, path.display());
    }
    Ok(())
}
