//! Port of test/chan/select5.go: sends and receives in every shape of select, run in order.
//!
//! The Go program is a generator: it writes a program with one function per combination of
//! choices and runs it. Each function does one real send or receive on a one-slot channel,
//! alone or as a select case (receiving into a variable, through a pointer, into a map
//! entry or into an interface), with or without a `default` case before or after it, and
//! with or without cases that can never proceed (on an idle channel and on a nil channel).
//! It checks that the right case runs with the right value, that channel and value
//! expressions are evaluated once, left to right, before any receive target is computed,
//! and that a select with only idle cases takes its `default`.
//!
//! `select!` arms are fixed at compile time, so the port enumerates the same kinds of
//! choices with a macro ([`expand!`]) instead of generating source, and asserts how many
//! cases each template produced. Differences:
//!
//! * a channel whose other end is kept but never used stands in for the nil channel;
//! * the receive targets are the arm bodies: a local, a `&mut` returned by a function, a
//!   `HashMap` entry, a `Box<dyn Any>`; Go's receive into a nil pointer has no counterpart
//!   (a body that is not chosen never runs), so the non-blocking template keeps the receive
//!   into a variable only;
//! * the order checks are folded into the plain templates (every channel and value goes
//!   through [`Order`]), and the plain statements outside a select are not order-checked:
//!   Rust evaluates an assignment's right side first, which is a language rule, not a
//!   runtime's.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;

use gort::chan;
use gort::select;

/// Checks that the expressions of one case run in strictly increasing order.
#[derive(Default)]
struct Order {
    last: Cell<u32>,
}

impl Order {
    fn reset(&self) {
        self.last.set(0);
    }

    fn check(&self, o: u32) {
        let last = self.last.replace(o);
        assert!(o > last, "invalid order {o} after {last}");
    }

    /// A channel expression, evaluated at position `o`.
    fn ch<'a, C>(&self, c: &'a C, o: u32) -> &'a C {
        self.check(o);
        c
    }

    /// A value expression, evaluated at position `o`.
    fn val<T>(&self, v: T, o: u32) -> T {
        self.check(o);
        v
    }

    /// A receive target, computed at position `o`.
    fn place<'a, T>(&self, p: &'a mut T, o: u32) -> &'a mut T {
        self.check(o);
        p
    }
}

/// Runs `$case!(arms...)` once per combination of the choices that follow:
///
/// * `pick { tokens }`: always appended;
/// * `maybe { tokens }`: appended or not;
/// * `one_of { {a} {b} ... }`: one of the alternatives;
/// * `maybe_default { tokens }`: appended or not, unless a default arm already was;
/// * `must_default { tokens }`: appended unless a default arm already was.
///
/// The flag after the case macro's name (`no`/`yes`) says whether a default arm is in.
macro_rules! expand {
    ($case:ident $def:ident [$($arms:tt)*]) => {
        $case!($($arms)*)
    };
    ($case:ident $def:ident [$($arms:tt)*] pick { $($t:tt)* } $($rest:tt)*) => {
        expand!($case $def [$($arms)* $($t)*] $($rest)*)
    };
    ($case:ident $def:ident $arms:tt maybe $t:tt $($rest:tt)*) => {
        expand!($case $def $arms pick $t $($rest)*);
        expand!($case $def $arms $($rest)*);
    };
    ($case:ident $def:ident $arms:tt one_of { $first:tt $($others:tt)* } $($rest:tt)*) => {
        expand!($case $def $arms pick $first $($rest)*);
        expand!($case $def $arms one_of { $($others)* } $($rest)*);
    };
    ($case:ident $def:ident $arms:tt one_of {} $($rest:tt)*) => {};
    ($case:ident no $arms:tt maybe_default $t:tt $($rest:tt)*) => {
        expand!($case yes $arms pick $t $($rest)*);
        expand!($case no $arms $($rest)*);
    };
    ($case:ident no $arms:tt must_default $t:tt $($rest:tt)*) => {
        expand!($case yes $arms pick $t $($rest)*)
    };
    ($case:ident yes $arms:tt maybe_default $t:tt $($rest:tt)*) => {
        expand!($case yes $arms $($rest)*)
    };
    ($case:ident yes $arms:tt must_default $t:tt $($rest:tt)*) => {
        expand!($case yes $arms $($rest)*)
    };
}

/// Send `n`, receive it in one way or another into `x`, check they match. Returns the
/// number of cases.
fn recv_cases() -> i32 {
    let (c_tx, c) = chan::bounded::<i32>(1);
    let (dummy_tx, dummy) = chan::unbuffered::<i32>();
    let (nil_tx, nil) = chan::unbuffered::<i32>();
    let ord = Order::default();
    let mut m = HashMap::new();
    let mut i: Box<dyn Any>;
    let mut n = 1;
    let mut x;
    let mut cases = 0;

    macro_rules! case {
        ($($arms:tt)*) => {{
            ord.reset();
            c_tx.send(n).unwrap();
            select! { $($arms)* }
            assert_eq!(x, n, "have {x}, want {n}");
            n += 1;
            cases += 1;
        }};
    }

    c_tx.send(n).unwrap();
    x = c.recv().unwrap();
    assert_eq!(x, n);
    n += 1;
    cases += 1;

    expand!(case no []
        maybe_default { default => panic!("nonblock"), }
        one_of {
            { recv(ord.ch(&c, 1)) -> v => x = v.unwrap(), }
            { recv(ord.ch(&c, 1)) -> v => *ord.place(&mut x, 100) = v.unwrap(), }
            { recv(ord.ch(&c, 1)) -> v => {
                m.insert(ord.val(13, 100), v.unwrap());
                x = m[&13];
            } }
            { recv(ord.ch(&c, 1)) -> v => {
                i = Box::new(v.unwrap());
                x = *i.downcast_ref::<i32>().unwrap();
            } }
        }
        maybe_default { default => panic!("nonblock"), }
        maybe { send(ord.ch(&dummy_tx, 2), ord.val(1, 3)) => panic!("dummy send"), }
        maybe { recv(ord.ch(&dummy, 4)) => panic!("dummy receive"), }
        maybe { send(ord.ch(&nil_tx, 5), ord.val(1, 6)) => panic!("nil send"), }
        maybe { recv(ord.ch(&nil, 7)) => panic!("nil receive"), }
    );
    assert_eq!(n, cases + 1);
    cases
}

/// Send `n` in one way or another, receive it into `x`, check they match. Returns the
/// number of cases.
fn send_cases() -> i32 {
    let (c_tx, c) = chan::bounded::<i32>(1);
    let (dummy_tx, dummy) = chan::unbuffered::<i32>();
    let (nil_tx, nil) = chan::unbuffered::<i32>();
    let ord = Order::default();
    let mut n = 1;
    let mut cases = 0;

    macro_rules! case {
        ($($arms:tt)*) => {{
            ord.reset();
            select! { $($arms)* }
            let x = c.recv().unwrap();
            assert_eq!(x, n, "have {x}, want {n}");
            n += 1;
            cases += 1;
        }};
    }

    c_tx.send(n).unwrap();
    assert_eq!(c.recv().unwrap(), n);
    n += 1;
    cases += 1;

    expand!(case no []
        maybe_default { default => panic!("nonblock"), }
        pick { send(ord.ch(&c_tx, 1), ord.val(n, 2)) -> r => r.unwrap(), }
        maybe_default { default => panic!("nonblock"), }
        maybe { send(ord.ch(&dummy_tx, 3), ord.val(1, 4)) => panic!("dummy send"), }
        maybe { recv(ord.ch(&dummy, 5)) => panic!("dummy receive"), }
        maybe { send(ord.ch(&nil_tx, 6), ord.val(1, 7)) => panic!("nil send"), }
        maybe { recv(ord.ch(&nil, 8)) => panic!("nil receive"), }
    );
    assert_eq!(n, cases + 1);
    cases
}

/// Selects whose arms can never proceed take their default and leave `x` alone. Returns the
/// number of cases.
fn nonblock_cases() -> i32 {
    let (dummy_tx, dummy) = chan::unbuffered::<i32>();
    let (nil_tx, nil) = chan::unbuffered::<i32>();
    let mut n = 1;
    let mut x;
    let mut cases = 0;

    macro_rules! case {
        ($($arms:tt)*) => {{
            x = n;
            select! { $($arms)* }
            assert_eq!(x, n, "have {x}, want {n}");
            n += 1;
            cases += 1;
        }};
    }

    expand!(case no []
        maybe_default { default => {} }
        maybe { send(dummy_tx, 1) => panic!("dummy send"), }
        maybe { send(nil_tx, 1) => panic!("nil send"), }
        one_of {
            {}
            { recv(dummy) => panic!("dummy receive"), }
            { recv(dummy) -> v => x = v.expect("dummy receive into x"), }
        }
        one_of {
            {}
            { recv(nil) => panic!("nil receive"), }
            { recv(nil) -> v => x = v.expect("nil receive into x"), }
        }
        must_default { default => {} }
    );
    assert_eq!(n, cases + 1);
    cases
}

#[test]
fn receives() {
    // 1 plain receive + 3 default placements * 4 targets * 2^4 idle arm sets.
    crate::conform(|| assert_eq!(recv_cases(), 1 + 3 * 4 * 16));
}

#[test]
fn sends() {
    // 1 plain send + 3 default placements * 2^4 idle arm sets.
    crate::conform(|| assert_eq!(send_cases(), 1 + 3 * 16));
}

#[test]
fn nonblocking_selects() {
    // 2 default placements * 2^2 idle send sets * 3^2 idle receive forms.
    crate::conform(|| assert_eq!(nonblock_cases(), 2 * 4 * 9));
}
