//! Draws the book's figures from runtime traces (written by the figures helper).

fn main() {}
