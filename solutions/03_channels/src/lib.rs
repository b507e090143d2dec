//! Lesson 03, channels: the solution (gather, a generator, and the Tour's equivalent trees).
//!
//! Every example runs inside a deterministic run ([`gort::sim::run`]): channels and green
//! threads exist only there.

use std::sync::Arc;

use gort::chan::{self, Receiver, SendError, Sender};
use gort::go;

/// Task 1: receives every value of every part, each part sent by its own green thread.
///
/// One unbuffered channel, one sender per part (a clone of the `Sender`), and main ranges
/// over the receiver until the channel closes, which happens when the last clone is dropped:
/// main's own copy must go first, or the range waits for it forever.
///
/// # Examples
///
/// ```
/// use gort::sim;
///
/// let got = sim::run(&sim::Config::default(), || {
///     channels::gather(vec![vec!["a1", "a2"], vec![], vec!["b1"]])
/// })
/// .unwrap();
/// let mut sorted = got.clone();
/// sorted.sort();
/// assert_eq!(sorted, ["a1", "a2", "b1"]); // every value once, in some interleaving
/// assert!(got.iter().position(|v| *v == "a1") < got.iter().position(|v| *v == "a2"));
/// ```
pub fn gather<T: Send + 'static>(parts: Vec<Vec<T>>) -> Vec<T> {
    let (tx, rx) = chan::unbuffered();
    for part in parts {
        let tx = tx.clone();
        go(move || {
            for value in part {
                // main ranges until every sender is gone, so it never drops the receiver
                // while we still send: an error here would be a bug worth a panic.
                tx.send(value).expect("gather receives until the channel closes");
            }
            // tx dropped here: one sender fewer.
        });
    }
    // Our copy is not a producer: drop it so the channel closes when the last part is done.
    drop(tx);
    // `for v := range ch`: ends when the channel is closed and drained. Counting receives
    // instead would need to know how many values will come; ranging does not.
    rx.iter().collect()
}

/// Task 2: Pike's generator: a green thread sends the items on a channel of capacity `cap`,
/// and the caller gets the receiving end.
///
/// # Examples
///
/// ```
/// use gort::sim;
///
/// let (firsts, all) = sim::run(&sim::Config::default(), || {
///     // An endless generator: the producer stops when we drop the receiver.
///     let naturals = channels::generator(1u64.., 0);
///     let firsts: Vec<u64> = naturals.iter().take(3).collect();
///     drop(naturals);
///     let all: Vec<char> = channels::generator("go".chars(), 2).iter().collect();
///     (firsts, all)
/// })
/// .unwrap();
/// assert_eq!(firsts, [1, 2, 3]);
/// assert_eq!(all, ['g', 'o']);
/// ```
pub fn generator<I>(items: I, cap: usize) -> Receiver<I::Item>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
{
    let (tx, rx) = chan::bounded(cap);
    let items = items.into_iter();
    go(move || {
        // Pull an item only when the previous one has been sent: the producer is paced by
        // the channel (at most `cap` items ahead of the consumer).
        for item in items {
            if tx.send(item).is_err() {
                // Every receiver is gone: nobody will ever take another value. Stop, or
                // an endless iterator would keep this thread busy forever.
                return;
            }
        }
        // Returning drops tx: the channel closes and the consumer's range ends.
    });
    rx
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

/// Task 3: the Tour's `Walk`: sends the tree's values in sorted order (in-order traversal)
/// on an unbuffered channel, from a new green thread, and closes the channel at the end.
///
/// # Examples
///
/// ```
/// use channels::{Tree, walk};
/// use gort::sim;
/// use std::sync::Arc;
///
/// let values = sim::run(&sim::Config::default(), || {
///     walk(Arc::new(Tree::from_values([5, 3, 8, 1]))).iter().collect::<Vec<i64>>()
/// })
/// .unwrap();
/// assert_eq!(values, [1, 3, 5, 8]);
/// ```
pub fn walk(tree: Arc<Tree>) -> Receiver<i64> {
    let (tx, rx) = chan::unbuffered();
    go(move || {
        // An Err means the receiver is gone: `?` unwinds the recursion and the thread ends.
        let _receiver_gone = send_in_order(&tree, &tx);
    });
    rx
}

/// Sends `tree`'s values in order; stops at the first failed send.
fn send_in_order(tree: &Tree, tx: &Sender<i64>) -> Result<(), SendError<i64>> {
    if let Tree::Node(left, value, right) = tree {
        send_in_order(left, tx)?;
        tx.send(*value)?;
        send_in_order(right, tx)?;
    }
    Ok(())
}

/// Task 4: the Tour's `Same`: true if both trees hold the same sorted sequence of values.
///
/// # Examples
///
/// ```
/// use channels::{Tree, same_sequence};
/// use gort::sim;
/// use std::sync::Arc;
///
/// let (same, different) = sim::run(&sim::Config::default(), || {
///     let a = Arc::new(Tree::from_values([2, 1, 3]));
///     let b = Arc::new(Tree::from_values([1, 2, 3])); // another shape, same sequence
///     let c = Arc::new(Tree::from_values([1, 2, 4]));
///     (same_sequence(a.clone(), b), same_sequence(a, c))
/// })
/// .unwrap();
/// assert!(same);
/// assert!(!different);
/// ```
pub fn same_sequence(a: Arc<Tree>, b: Arc<Tree>) -> bool {
    let (a, b) = (walk(a), walk(b));
    // `Iterator::eq` stops at the first difference (or when one side ends first). Returning
    // drops both receivers, so both walkers' next send fails and they exit: no leak.
    a.iter().eq(b.iter())
}
