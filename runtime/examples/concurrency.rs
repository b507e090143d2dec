//! Concurrency is not parallelism, measured in virtual time.
//!
//! Three services each take 200 ms to answer. Called one after another they take 600 ms.
//! Called concurrently, on three green threads, they take 200 ms, because waiting for an
//! answer (`time::sleep`, like waiting for the network) needs no processor. But if each
//! service has 200 ms of computing to do (`time::work`, which occupies a virtual processor)
//! and the run has a single processor, the three green threads take turns and still need
//! 600 ms; with three processors they overlap again.
//!
//! Time here is virtual: the deterministic executor jumps the clock straight to the next
//! deadline, so the example finishes instantly and prints exact figures on every machine.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p gort --example concurrency
//! ```

use std::time::Duration;

use gort::{go, sim, time};

const SERVICES: usize = 3;
const CALL: Duration = Duration::from_millis(200);

/// One way of calling the services.
struct Way {
    how: &'static str,
    concurrently: bool,
    /// What one call does for `CALL`: wait (`time::sleep`) or compute (`time::work`).
    call: fn(Duration),
    processors: usize,
}

/// Calls every service, one after another or each on its own green thread, and returns the
/// virtual time it took.
fn call_services(concurrently: bool, call: fn(Duration)) -> Duration {
    let start = time::now();
    if concurrently {
        let handles: Vec<_> = (0..SERVICES).map(|_| go(move || call(CALL))).collect();
        for h in handles {
            h.join().unwrap();
        }
    } else {
        for _ in 0..SERVICES {
            call(CALL);
        }
    }
    time::now() - start
}

fn main() {
    println!(
        "{SERVICES} services, each taking {} ms. How long does calling all of them take?\n",
        CALL.as_millis()
    );
    let ways = [
        Way {
            how: "one after another, waiting (sleep)",
            concurrently: false,
            call: time::sleep,
            processors: 1,
        },
        Way {
            how: "concurrently, waiting (sleep)",
            concurrently: true,
            call: time::sleep,
            processors: 1,
        },
        Way {
            how: "concurrently, computing (work), 1 processor",
            concurrently: true,
            call: time::work,
            processors: 1,
        },
        Way {
            how: "concurrently, computing (work), 3 processors",
            concurrently: true,
            call: time::work,
            processors: 3,
        },
    ];
    println!("  {:<46} {:>12}", "how", "virtual time");
    for Way { how, concurrently, call, processors } in ways {
        let config = sim::Config::default().with_processors(processors);
        let report = sim::run(&config, || call_services(concurrently, call));
        match report.value() {
            Some(elapsed) => println!("  {how:<46} {:>9} ms", elapsed.as_millis()),
            None => println!("  {how:<46} failed:\n{report}"),
        }
    }
    println!(
        "\nWaiting overlaps freely; computing overlaps only as far as there are processors\n\
         (Config::with_processors, Go's GOMAXPROCS)."
    );
}
