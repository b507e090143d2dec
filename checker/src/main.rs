//! The course's grading command-line tool (placeholder until the checker issue lands).

fn main() {
    println!("The checker is not built yet: the runtime comes first.");
    println!("Meanwhile, run the runtime's examples, for instance:");
    println!("    cargo run -p gort --example deadlock");
}
