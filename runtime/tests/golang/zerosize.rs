//! Port of test/chan/zerosize.go: channels of zero-sized element types work.
//!
//! The Go program only makes buffered and unbuffered channels of `[0]byte` and `struct{}`.
//! The port makes the same four channels and also passes values through each of them (a
//! zero-sized value still counts as one element of a buffer), which the Go program leaves
//! to other tests.

use gort::chan;
use gort::go;

fn through_buffered<T: Send + Default + PartialEq + std::fmt::Debug + 'static>() {
    let (tx, rx) = chan::bounded::<T>(1);
    assert_eq!(tx.capacity(), 1);
    tx.send(T::default()).unwrap();
    assert_eq!(rx.len(), 1);
    assert!(tx.try_send(T::default()).is_err(), "a full buffer of zero-sized values");
    assert_eq!(rx.recv().unwrap(), T::default());
    assert!(rx.is_empty());
}

fn through_unbuffered<T: Send + Default + PartialEq + std::fmt::Debug + 'static>() {
    let (tx, rx) = chan::bounded::<T>(0);
    assert_eq!(tx.capacity(), 0);
    let h = go(move || {
        tx.send(T::default()).unwrap();
        tx.send(T::default()).unwrap();
    });
    let got: Vec<T> = rx.iter().collect();
    assert_eq!(got.len(), 2);
    h.join().unwrap();
}

#[test]
fn zero_sized_elements() {
    crate::conform(|| {
        through_unbuffered::<[u8; 0]>();
        through_buffered::<[u8; 0]>();
        through_unbuffered::<()>();
        through_buffered::<()>();
    });
}
