//! Lesson 01, the `go` statement: spawning green threads and joining them (the exercise).
//!
//! `go(f)` starts `f` on a new green thread and returns at once with a
//! [`JoinHandle`]; nothing waits for the thread unless someone joins the handle. When main
//! returns, virtual time stops: threads that can still run without waiting are run to the
//! end, and every thread left waiting (sleeping, blocked) is reported as a leak. In Go it
//! would silently be killed, and its work lost.
#![allow(unused_variables)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gort::go;
use gort::sched::JoinHandle;

/// A unit of work for one green thread: a closure that runs once and returns a value.
pub type Task<T> = Box<dyn FnOnce() -> T + Send + 'static>;

/// Task 1: starts every task on its own green thread and returns their handles, in the
/// order of `tasks`, without waiting for any of them.
///
/// Returns at once: no virtual time passes, and a task may not even have started when it
/// returns. The handle at index `i` belongs to `tasks[i]`. Reach for [`go`], Go's `go f()`.
///
/// # Examples
///
/// ```
/// use gort::{sim, time};
/// use spawn::{Task, spawn_all};
/// use std::time::Duration;
///
/// let report = sim::run(&sim::Config::default(), || {
///     let slow: Task<u32> = Box::new(|| {
///         time::sleep(Duration::from_secs(1));
///         7
///     });
///     let handles = spawn_all(vec![slow]);
///     assert_eq!(time::now().elapsed_since_start(), Duration::ZERO); // did not wait
///     handles.into_iter().map(|h| h.join().unwrap()).sum::<u32>()
/// });
/// assert_eq!(report.unwrap(), 7);
/// ```
pub fn spawn_all<T: Send + 'static>(tasks: Vec<Task<T>>) -> Vec<JoinHandle<T>> {
    todo!(
        "task 1: start every task with `go` and return the handles in task order, without waiting"
    )
}

/// Task 2: waits for every thread, in the order of `handles`, and returns their values in
/// that order (spawn order), whatever order they finished in.
///
/// Blocks until the last thread has finished: with `spawn_all`, n tasks of costs
/// c1..cn (sleeps) take max(ci) of virtual time, not the sum. If a task panicked, the same
/// panic (its own payload, not a new panic about it) is raised again in the caller, when its
/// handle is reached: the first panicking task in handle order wins. Reach for
/// [`JoinHandle::join`]; [`PanicError::into_panic`](gort::sched::PanicError::into_panic) and
/// [`std::panic::resume_unwind`] re-raise a panic.
///
/// # Examples
///
/// ```
/// use gort::{sim, time};
/// use spawn::{Task, join_all, spawn_all};
/// use std::time::Duration;
///
/// let report = sim::run(&sim::Config::default(), || {
///     let tasks: Vec<Task<u64>> = [300, 100, 200]
///         .into_iter()
///         .map(|ms| -> Task<u64> {
///             Box::new(move || {
///                 time::sleep(Duration::from_millis(ms));
///                 ms
///             })
///         })
///         .collect();
///     let values = join_all(spawn_all(tasks));
///     (values, time::now().elapsed_since_start())
/// });
/// // spawn order, and the longest task's time (300 ms), not the sum (600 ms)
/// assert_eq!(report.unwrap(), (vec![300, 100, 200], Duration::from_millis(300)));
/// ```
pub fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    todo!("task 2: join every handle in order and return the values in spawn order")
}

/// Given: the greeter of the articles' `sayHello`. Sleeps `delay` (its "work"), then returns
/// `"hello from greeter {id}"`.
///
/// # Examples
///
/// ```
/// use gort::sim;
/// use std::time::Duration;
///
/// let hello = sim::run(&sim::Config::default(), || {
///     spawn::greeter(3, Duration::from_millis(10))
/// });
/// assert_eq!(hello.unwrap(), "hello from greeter 3");
/// ```
pub fn greeter(id: usize, delay: Duration) -> String {
    gort::time::sleep(delay);
    format!("hello from greeter {id}")
}

/// Given: the articles' way to wait (`go sayHello(); time.Sleep(time.Second)`), and why it is
/// wrong. Starts one [`greeter`] per delay, drops the handles, sleeps `guess`, and returns
/// the greetings that happen to be there by then, in completion order.
///
/// A greeter slower than the guess is missing from the result, and is still alive when main
/// returns: in Go its work would be silently lost; gort reports it as a leak. A guess long
/// enough for every greeter wastes time instead. Either way, the duration is a guess.
///
/// # Examples
///
/// ```
/// use gort::{diag::Failure, sim};
/// use std::time::Duration;
///
/// let ms = Duration::from_millis;
/// let report = sim::run(&sim::Config::default(), || {
///     spawn::greet_by_sleeping(&[ms(100), ms(1500)], ms(1000))
/// });
/// assert_eq!(report.failure(), Some(&Failure::Leak { count: 1 })); // greeter 1 was lost
/// ```
pub fn greet_by_sleeping(delays: &[Duration], guess: Duration) -> Vec<String> {
    let greetings = Arc::new(Mutex::new(Vec::new()));
    for (id, &delay) in delays.iter().enumerate() {
        let greetings = Arc::clone(&greetings);
        // The handle is dropped at once: fire and forget, as `go sayHello()` does.
        drop(go(move || {
            let hello = greeter(id, delay);
            greetings.lock().unwrap().push(hello);
        }));
    }
    gort::time::sleep(guess); // "wait for the goroutines to finish"
    greetings.lock().unwrap().clone()
}

/// Task 3: the articles' program done right. Starts one [`greeter`] per delay (greeter `i`
/// gets `delays[i]`), all at once, and returns every greeting in spawn order.
///
/// Returns exactly when the slowest greeter has finished, at max(delays) of virtual time
/// after it was called (zero for no delays): it waits by joining, never by sleeping (not
/// even for exactly the longest delay), so it depends on no duration and leaves no thread
/// behind. Each greeter runs once. Use [`spawn_all`] and [`join_all`].
///
/// # Examples
///
/// ```
/// use gort::{sim, time};
/// use std::time::Duration;
///
/// let ms = Duration::from_millis;
/// let report = sim::run(&sim::Config::default(), || {
///     let hellos = spawn::greet_all(&[ms(100), ms(1500)]);
///     (hellos, time::now().elapsed_since_start())
/// });
/// let (hellos, elapsed) = report.unwrap();
/// assert_eq!(hellos, ["hello from greeter 0", "hello from greeter 1"]);
/// assert_eq!(elapsed, ms(1500));
/// ```
pub fn greet_all(delays: &[Duration]) -> Vec<String> {
    todo!("task 3: one greeter per delay, started with spawn_all, collected with join_all")
}
