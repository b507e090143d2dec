//! Lesson 03, channels: unbuffered and buffered channels, closing, ranging, generators.
//!
//! Replace every `todo!()` (tasks 1 to 4, in order). Everything runs inside a deterministic
//! run of gort: `chan::bounded(cap)` / `chan::unbuffered()` make a channel, `go` starts a green
//! thread, `tx.send(v)` and `rx.recv()` block, `rx.iter()` ranges until the channel is closed,
//! and dropping the last `Sender` closes it. Check with `cargo run -p checker -- check
//! 03_channels`.
#![allow(unused_variables)]

use std::sync::Arc;

use gort::chan::Receiver;

/// Task 1: receives every value of every part, each part sent by its own green thread.
///
/// Make one unbuffered channel (`chan::unbuffered()`). For each part, start a green thread
/// ([`gort::go`]) that owns a clone of the `Sender` and sends the part's values in order.
/// Then receive by ranging over the receiver (`rx.iter()`) until the channel closes, and
/// return the values in the order they arrived.
///
/// The channel closes when its last `Sender` is dropped: every producer's clone goes when its
/// thread ends, and your own copy must be dropped too, or the range never ends (deadlock).
/// Do not count receives: ranging needs no count.
///
/// Must hold: every value appears exactly once, and the values of one part appear in that
/// part's order (different parts interleave as the schedule decides).
pub fn gather<T: Send + 'static>(parts: Vec<Vec<T>>) -> Vec<T> {
    todo!("task 1: one sender thread per part on one unbuffered channel; range until it closes")
}

/// Task 2: Pike's generator: starts a green thread that sends `items`, in order, on a new
/// channel of capacity `cap` (`chan::bounded(cap)`; 0 is a rendezvous), and returns the
/// receiving end. The producer closes the channel after the last item (by dropping its
/// `Sender`), so the caller can range over it.
///
/// Pull each item from the iterator only after the previous one has been sent (a plain `for`
/// loop over `items` in the producer does this): the channel paces the producer. In virtual
/// time, with a consumer that receives every `d`, item `k` is pulled at `max(0, k - cap) x d`:
/// with `cap == 0` a send completes at the instant the receiver takes the value.
///
/// If the caller drops the receiver early, `send` returns `Err` (every receiver is gone):
/// the producer must then return at once. `items` may be endless (`0..`).
///
/// Only the iterator is required to be `Send` (`I::IntoIter: Send`), not `I` itself: call
/// `items.into_iter()` before moving it into the producer's closure.
pub fn generator<I>(items: I, cap: usize) -> Receiver<I::Item>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
{
    todo!("task 2: make chan::bounded(cap), spawn a producer that sends each item, return rx")
}

/// A binary search tree of `i64`, like the Go Tour's `tree.Tree`. Given complete.
///
/// # Examples
///
/// ```
/// use channels::Tree;
///
/// let t = Tree::from_values([3, 1, 2]);
/// assert_eq!(t.len(), 3);
/// assert!(matches!(t, Tree::Node(_, 3, _)));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Tree {
    /// No value.
    #[default]
    Empty,
    /// Smaller values (left), the value, values at least as large (right).
    Node(Box<Tree>, i64, Box<Tree>),
}

impl Tree {
    /// Inserts `value`: smaller values go left, others right.
    pub fn insert(&mut self, value: i64) {
        match self {
            Tree::Empty => *self = Tree::Node(Box::default(), value, Box::default()),
            Tree::Node(left, v, _) if value < *v => left.insert(value),
            Tree::Node(_, _, right) => right.insert(value),
        }
    }

    /// The tree made by inserting `values` in order: the same values inserted in another
    /// order give another shape but the same sorted sequence.
    pub fn from_values(values: impl IntoIterator<Item = i64>) -> Tree {
        let mut tree = Tree::Empty;
        values.into_iter().for_each(|v| tree.insert(v));
        tree
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        match self {
            Tree::Empty => 0,
            Tree::Node(left, _, right) => left.len() + 1 + right.len(),
        }
    }

    /// True if it holds no value.
    pub fn is_empty(&self) -> bool {
        matches!(self, Tree::Empty)
    }
}

/// Task 3: the Tour's `Walk`: starts a green thread that sends the tree's values in sorted
/// order (in-order: left subtree, the node's value, right subtree) on an unbuffered channel,
/// and returns the receiving end. The channel closes after the last value.
///
/// If the receiver is dropped before the end, the first failed `send` must end the walk: make
/// the recursive helper return `Result<(), SendError<i64>>` and use `?` on every send and
/// every recursive call. Do not `unwrap()` the send (that panics) and do not ignore its
/// error (that walks the whole tree for nobody).
pub fn walk(tree: Arc<Tree>) -> Receiver<i64> {
    todo!("task 3: spawn a walker that sends the values in order on an unbuffered channel")
}

/// Task 4: the Tour's `Same`: true if both trees hold the same sorted sequence of values
/// (their shapes may differ).
///
/// Walk both trees concurrently ([`walk`]) and compare the two streams value by value,
/// returning at the first difference (or when one stream ends before the other). Returning
/// drops both receivers, which stops both walkers: no green thread may be left behind.
pub fn same_sequence(a: Arc<Tree>, b: Arc<Tree>) -> bool {
    todo!("task 4: walk both trees and compare the streams, stopping at the first difference")
}
