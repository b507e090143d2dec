//! `select!`: wait on several channel operations and run the first that can proceed
//! (≈ Go's `select` statement, `runtime/select.go`).
//!
//! The macro evaluates each arm's channel (and a send arm's value) once, in source order,
//! then calls [`select`] with one [`ArmRef`] per arm. `select`:
//! 1. is a scheduling point;
//! 2. locks every channel involved, in address order, so that checking and queueing are one
//!    atomic step (≈ Go's `sellock`);
//! 3. polls the arms in a seeded random order and completes the first ready one, which makes
//!    the choice uniform among ready arms and the same in every replay;
//! 4. if none is ready, returns `None` when there is a `default` arm, and otherwise queues a
//!    waiter on every channel, all sharing one [`SelectToken`], and parks;
//! 5. once woken by the arm that claimed the token, collects that arm's result and removes the
//!    other arms' waiters.

use std::panic::Location;

use super::queue::{RecvPoll, SelectToken, SendPoll, Shared, Waiter, wake};
use super::{Receiver, RecvError, SendError, Sender};
use crate::sched::rt::{self, ObjRef, Waker};
use crate::vocab::Op;

/// Waits on several channel operations and runs the arm of the one that proceeds: Go's
/// `select` statement.
///
/// ```text
/// select! {
///     recv(rx) -> msg => body,        // msg: Result<T, RecvError>
///     send(tx, value) -> res => body, // res: Result<(), SendError<T>>
///     default => body,                // optional: makes the select non-blocking
/// }
/// ```
///
/// The `-> pattern` part may be left out. Bodies are expressions or blocks, so `return`,
/// `break` and `continue` act on the code around the `select!`.
///
/// * **Evaluation.** Every channel expression and every value to send is evaluated exactly
///   once, in source order, before anything else, as in Go. A send arm that is not chosen
///   drops its value (clone it first if you need it again).
/// * **Choice.** If several arms are ready, one is chosen uniformly at random, from the
///   run's seeded generator, so a replay makes the same choice. A receive arm on a closed,
///   drained channel is ready (with `Err(RecvError)`), and so is a send arm whose receivers
///   are all gone (with `Err(SendError(value))`).
/// * **Blocking.** With no arm ready and no `default`, the thread blocks until one is; a
///   select that can never proceed is reported as a deadlock, like any other operation.
///   `select! {}` blocks forever, like Go's `select {}`.
/// * **Timeouts.** `recv(time::after(d))` is ready `d` from now; `recv(ctx.done())` when a
///   context is cancelled.
///
/// Differences from Go: there are no nil channels; a receiver whose senders are kept alive
/// but never send stands in for one. Sending to a channel with no receivers is an `Err`
/// instead of blocking forever or panicking.
///
/// # Examples
///
/// A timeout:
///
/// ```
/// use gort::{chan, go, select, sim, time};
/// use std::time::Duration;
///
/// let got = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::unbuffered::<&str>();
///     let late = go(move || {
///         time::sleep(Duration::from_secs(2));
///         tx.send("too late").is_err()
///     });
///     let got = select! {
///         recv(rx) -> msg => msg.unwrap().to_string(),
///         recv(time::after(Duration::from_secs(1))) => "timeout".to_string(),
///     };
///     drop(rx); // nobody will receive: the late send fails instead of blocking forever
///     assert!(late.join().unwrap());
///     got
/// });
/// assert_eq!(got.unwrap(), "timeout");
/// ```
///
/// A non-blocking send, and a loop that stops on a done channel:
///
/// ```
/// use gort::{chan, go, select, sim};
///
/// let report = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded(1);
///     let full = select! {
///         send(tx, 1) => false,
///         default => true,
///     };
///     assert!(!full); // the buffer had room
///     let full = select! {
///         send(tx, 2) => false,
///         default => true,
///     };
///     assert!(full);
///
///     let (done_tx, done) = chan::unbuffered::<()>();
///     drop(done_tx); // closed: its receive arm is always ready
///     let mut seen = Vec::new();
///     loop {
///         select! {
///             recv(rx) -> v => seen.push(v.unwrap()),
///             recv(done) => break,
///         }
///     }
///     seen.len() // 0 or 1: both arms were ready, the seed decided
/// });
/// assert!(report.unwrap() <= 1);
/// ```
#[macro_export]
macro_rules! select {
    () => {
        $crate::chan::__private::select_forever(::std::panic::Location::caller())
    };
    ($($arms:tt)+) => {
        $crate::__select_parse!(@arms [] [] $($arms)+)
    };
}

/// The parser behind [`select!`]: one rule per arm form, accumulating arms, then one rule
/// that expands them.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // An arm's head, up to `=>`.
    (@arms $arms:tt $def:tt recv($rx:expr) -> $p:pat => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms $def (arm recv ($rx) $p) $($rest)*)
    };
    (@arms $arms:tt $def:tt recv($rx:expr) => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms $def (arm recv ($rx) _) $($rest)*)
    };
    (@arms $arms:tt $def:tt send($tx:expr, $v:expr) -> $p:pat => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms $def (arm send ($tx, $v) $p) $($rest)*)
    };
    (@arms $arms:tt $def:tt send($tx:expr, $v:expr) => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms $def (arm send ($tx, $v) _) $($rest)*)
    };
    (@arms $arms:tt [] default => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms [] (default) $($rest)*)
    };
    (@arms $arms:tt [$($def:tt)+] default $($rest:tt)*) => {
        ::std::compile_error!("select! has more than one default arm")
    };
    // An arm's body: a block (comma optional) or an expression (comma needed unless last).
    (@body $arms:tt $def:tt $head:tt $body:block, $($rest:tt)*) => {
        $crate::__select_parse!(@push $arms $def $head $body $($rest)*)
    };
    (@body $arms:tt $def:tt $head:tt $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@push $arms $def $head $body $($rest)*)
    };
    (@body $arms:tt $def:tt $head:tt $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@push $arms $def $head { $body } $($rest)*)
    };
    (@body $arms:tt $def:tt $head:tt $body:expr) => {
        $crate::__select_parse!(@push $arms $def $head { $body })
    };
    (@push [$($arms:tt)*] $def:tt (default) $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($arms)*] [$body] $($rest)*)
    };
    (@push [$($arms:tt)*] $def:tt ($arm:ident $kind:ident $args:tt $p:pat) $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($arms)* ($arm $kind $args $p, $body)] $def $($rest)*)
    };
    // Every arm parsed, with a default arm.
    (@arms [$(($arm:ident $kind:ident $args:tt $p:pat, $body:block))*] [$def:block]) => {{
        $( let $arm = $crate::__select_parse!(@eval $kind $args); )*
        $( let mut $arm = $crate::__select_parse!(@new $kind $arm); )*
        let chosen = $crate::chan::__private::select(
            &mut [$($crate::chan::__private::ArmRef::from(&mut $arm)),*],
            true,
            ::std::panic::Location::caller(),
        );
        $( if $arm.is_chosen() { let $p = $arm.take(); $body } else )* { let _ = chosen; $def }
    }};
    // Every arm parsed, no default arm.
    (@arms [$(($arm:ident $kind:ident $args:tt $p:pat, $body:block))*] []) => {{
        $( let $arm = $crate::__select_parse!(@eval $kind $args); )*
        $( let mut $arm = $crate::__select_parse!(@new $kind $arm); )*
        $crate::chan::__private::select(
            &mut [$($crate::chan::__private::ArmRef::from(&mut $arm)),*],
            false,
            ::std::panic::Location::caller(),
        );
        $( if $arm.is_chosen() { let $p = $arm.take(); $body } else )* {
            ::std::unreachable!("select! returned without choosing an arm")
        }
    }};
    // Evaluated in source order, borrowing temporaries (`time::after(d)`) for the whole
    // select: `let x = &temporary;` extends the temporary's life.
    (@eval recv ($rx:expr)) => {
        &$rx
    };
    (@eval send ($tx:expr, $v:expr)) => {
        (&$tx, $v)
    };
    (@new recv $arm:ident) => {
        $crate::chan::__private::RecvArm::new($arm)
    };
    (@new send $arm:ident) => {
        $crate::chan::__private::SendArm::new($arm.0, $arm.1)
    };
    (@arms [$($arms:tt)*] [$($def:tt)*] $($rest:tt)+) => {
        ::std::compile_error!(
            "select! arms are `recv(rx) -> pat => body`, `send(tx, value) -> pat => body` \
             (the `-> pat` is optional) or `default => body`, separated by commas"
        )
    };
}

/// The channel side of an arm: what [`select`] locks and names, whatever the element type.
trait Channel {
    /// The lock's address: select takes the locks of all its channels in address order.
    fn lock_addr(&self) -> usize;
    fn lock(&self);
    /// # Safety
    /// The lock is held (taken by `lock`).
    unsafe fn unlock(&self);
    fn obj(&self) -> ObjRef;
}

impl<T> Channel for Shared<T> {
    fn lock_addr(&self) -> usize {
        Shared::lock_addr(self)
    }

    fn lock(&self) {
        self.lock_raw();
    }

    unsafe fn unlock(&self) {
        // SAFETY: forwarded contract: the lock is held.
        unsafe { self.unlock_raw() }
    }

    fn obj(&self) -> ObjRef {
        Shared::obj(self)
    }
}

/// One arm of a select, as [`select`] drives it.
trait Arm {
    fn channel(&self) -> &dyn Channel;
    /// Completes the operation if it can proceed now; returns the thread to wake, if any.
    ///
    /// # Safety
    /// The channel's lock is held.
    unsafe fn poll(&mut self) -> Option<Option<Waker>>;
    /// Queues this arm's waiter, kept in the arm.
    ///
    /// # Safety
    /// The channel's lock is held; `token` and the arm stay where they are until
    /// [`Arm::finish`] (the select calls it for every arm, also when it unwinds).
    unsafe fn enqueue(&mut self, thread: Waker, token: &SelectToken, case: usize);
    /// Whether the queued waiter has its outcome (the chosen arm has, once its counterpart
    /// is done with it).
    fn settled(&self) -> bool;
    /// After the select chose: collect the result if `chosen`, else withdraw the waiter.
    fn finish(&mut self, chosen: bool);
    fn op(&self) -> Op;
}

/// A `recv(rx)` arm: the receiver, then the result once chosen.
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct RecvArm<'a, T> {
    rx: &'a Receiver<T>,
    result: Option<Result<T, RecvError>>,
    waiter: Option<Waiter<T>>,
}

impl<'a, T> RecvArm<'a, T> {
    #[doc(hidden)]
    pub fn new(rx: &'a Receiver<T>) -> Self {
        RecvArm { rx, result: None, waiter: None }
    }

    #[doc(hidden)]
    pub fn is_chosen(&self) -> bool {
        self.result.is_some()
    }

    #[doc(hidden)]
    pub fn take(&mut self) -> Result<T, RecvError> {
        self.result.take().expect("select!: took the result of an arm that was not chosen")
    }
}

impl<T> Arm for RecvArm<'_, T> {
    fn channel(&self) -> &dyn Channel {
        &*self.rx.shared
    }

    unsafe fn poll(&mut self) -> Option<Option<Waker>> {
        let shared: &Shared<T> = &self.rx.shared;
        // SAFETY: forwarded contract; the reference dies at the end of this function.
        let inner = unsafe { shared.locked() };
        match shared.poll_recv(inner) {
            RecvPoll::Got(value, woken) => {
                self.result = Some(Ok(value));
                Some(woken)
            }
            RecvPoll::Closed => {
                self.result = Some(Err(RecvError));
                Some(None)
            }
            RecvPoll::Empty => None,
        }
    }

    unsafe fn enqueue(&mut self, thread: Waker, token: &SelectToken, case: usize) {
        // SAFETY: forwarded contract; the reference dies at the end of this function.
        let inner = unsafe { self.rx.shared.locked() };
        let w = self.waiter.insert(Waiter::for_select(thread, None, token, case));
        // SAFETY: forwarded contract: the arm, hence its waiter, stays put until `finish`.
        unsafe { Shared::enqueue(inner, w, false) };
    }

    fn settled(&self) -> bool {
        self.waiter.as_ref().is_some_and(Waiter::settled)
    }

    fn finish(&mut self, chosen: bool) {
        let Some(w) = self.waiter.as_ref() else { return };
        if chosen {
            self.result = Some(match w.outcome() {
                Some(Ok(value)) => Ok(value.expect("a delivered receiver has its value")),
                Some(Err(_)) => Err(RecvError),
                None => unreachable!("select!: the chosen receive arm has no outcome"),
            });
        } else {
            self.rx.shared.dequeue(w);
        }
        self.waiter = None;
    }

    fn op(&self) -> Op {
        Op::Recv
    }
}

/// A `send(tx, value)` arm: the sender and the value, then the result once chosen.
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct SendArm<'a, T> {
    tx: &'a Sender<T>,
    value: Option<T>,
    result: Option<Result<(), SendError<T>>>,
    waiter: Option<Waiter<T>>,
}

impl<'a, T> SendArm<'a, T> {
    #[doc(hidden)]
    pub fn new(tx: &'a Sender<T>, value: T) -> Self {
        SendArm { tx, value: Some(value), result: None, waiter: None }
    }

    #[doc(hidden)]
    pub fn is_chosen(&self) -> bool {
        self.result.is_some()
    }

    #[doc(hidden)]
    pub fn take(&mut self) -> Result<(), SendError<T>> {
        self.result.take().expect("select!: took the result of an arm that was not chosen")
    }
}

impl<T> Arm for SendArm<'_, T> {
    fn channel(&self) -> &dyn Channel {
        &*self.tx.shared
    }

    unsafe fn poll(&mut self) -> Option<Option<Waker>> {
        let shared: &Shared<T> = &self.tx.shared;
        // SAFETY: forwarded contract; the reference dies at the end of this function.
        let inner = unsafe { shared.locked() };
        let value = self.value.take().expect("a send arm is polled while it has its value");
        match shared.poll_send(inner, value) {
            SendPoll::Done(woken) => {
                self.result = Some(Ok(()));
                Some(woken)
            }
            SendPoll::Disconnected(value) => {
                self.result = Some(Err(SendError(value)));
                Some(None)
            }
            SendPoll::Full(value) => {
                self.value = Some(value);
                None
            }
        }
    }

    unsafe fn enqueue(&mut self, thread: Waker, token: &SelectToken, case: usize) {
        // SAFETY: forwarded contract; the reference dies at the end of this function.
        let inner = unsafe { self.tx.shared.locked() };
        let value = self.value.take();
        debug_assert!(value.is_some(), "a send arm is queued with its value");
        let w = self.waiter.insert(Waiter::for_select(thread, value, token, case));
        // SAFETY: forwarded contract: the arm, hence its waiter, stays put until `finish`.
        unsafe { Shared::enqueue(inner, w, true) };
    }

    fn settled(&self) -> bool {
        self.waiter.as_ref().is_some_and(Waiter::settled)
    }

    fn finish(&mut self, chosen: bool) {
        let Some(w) = self.waiter.as_ref() else { return };
        if chosen {
            self.result = Some(match w.outcome() {
                Some(Ok(_)) => Ok(()),
                Some(Err(value)) => Err(SendError(value.expect("a closed sender keeps its value"))),
                None => unreachable!("select!: the chosen send arm has no outcome"),
            });
        } else {
            self.tx.shared.dequeue(w);
        }
        // A losing send arm's value goes with its waiter (documented on `select!`).
        self.waiter = None;
    }

    fn op(&self) -> Op {
        Op::Send
    }
}

/// A type-erased arm, as the macro hands it to [`select`].
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct ArmRef<'a>(&'a mut (dyn Arm + 'a));

impl<'a, 'b: 'a, T: 'a> From<&'a mut RecvArm<'b, T>> for ArmRef<'a> {
    fn from(arm: &'a mut RecvArm<'b, T>) -> Self {
        ArmRef(arm)
    }
}

impl<'a, 'b: 'a, T: 'a> From<&'a mut SendArm<'b, T>> for ArmRef<'a> {
    fn from(arm: &'a mut SendArm<'b, T>) -> Self {
        ArmRef(arm)
    }
}

/// Arms a select keeps on the stack; more spill to the heap.
const INLINE_ARMS: usize = 8;

/// A list of arm indices, on the stack for up to [`INLINE_ARMS`] arms.
enum Indices {
    Inline([usize; INLINE_ARMS], usize),
    Heap(Vec<usize>),
}

impl Indices {
    fn identity(n: usize) -> Self {
        if n <= INLINE_ARMS {
            let mut a = [0; INLINE_ARMS];
            for (i, slot) in a.iter_mut().enumerate() {
                *slot = i;
            }
            Indices::Inline(a, n)
        } else {
            Indices::Heap((0..n).collect())
        }
    }

    fn as_mut(&mut self) -> &mut [usize] {
        match self {
            Indices::Inline(a, n) => &mut a[..*n],
            Indices::Heap(v) => v,
        }
    }

    fn as_slice(&self) -> &[usize] {
        match self {
            Indices::Inline(a, n) => &a[..*n],
            Indices::Heap(v) => v,
        }
    }
}

/// Holds the locks of a select's channels, in address order, until dropped.
struct Locked<'s, 'a> {
    arms: &'s mut [ArmRef<'a>],
    /// Indices of the arms whose lock we took (one per distinct channel), in lock order.
    order: Indices,
    len: usize,
}

impl<'s, 'a> Locked<'s, 'a> {
    fn take(arms: &'s mut [ArmRef<'a>]) -> Self {
        let mut order = Indices::identity(arms.len());
        let slice = order.as_mut();
        slice.sort_unstable_by_key(|&i| arms[i].0.channel().lock_addr());
        // Dedup in place: a channel named by two arms is locked once.
        let mut len = 0;
        for k in 0..slice.len() {
            if len == 0
                || arms[slice[len - 1]].0.channel().lock_addr()
                    != arms[slice[k]].0.channel().lock_addr()
            {
                slice[len] = slice[k];
                len += 1;
            }
        }
        for &i in &slice[..len] {
            arms[i].0.channel().lock();
        }
        Locked { arms, order, len }
    }
}

impl Drop for Locked<'_, '_> {
    fn drop(&mut self) {
        for &i in self.order.as_slice()[..self.len].iter().rev() {
            // SAFETY: `take` locked exactly these arms' channels, once each.
            unsafe { self.arms[i].0.channel().unlock() };
        }
    }
}

/// Runs a select over `arms`; returns the chosen arm, or `None` if none was ready and
/// `has_default`. Called by [`select!`].
#[doc(hidden)]
pub fn select(
    arms: &mut [ArmRef<'_>],
    has_default: bool,
    at: &'static Location<'static>,
) -> Option<usize> {
    // 1. The scheduling point, then a seeded random polling order.
    rt::point(Op::Select, None, at);
    let n = arms.len();
    let mut order = Indices::identity(n);
    let poll_order = order.as_mut();
    for i in (1..n).rev() {
        let j = rt::random_below(i as u32 + 1, "select!") as usize;
        poll_order.swap(i, j);
    }
    // 2. Under every channel's lock: the first ready arm in that order wins.
    let locked = Locked::take(arms);
    for &i in order.as_slice() {
        // SAFETY: `locked` holds arm i's channel lock.
        if let Some(woken) = unsafe { locked.arms[i].0.poll() } {
            drop(locked);
            rt::note(arms[i].0.op(), Some(arms[i].0.channel().obj()), at);
            wake(woken, at);
            return Some(i);
        }
    }
    if has_default {
        return None;
    }
    if n == 0 {
        drop(locked);
        select_forever(at);
    }
    // 3. Still under the locks, so no counterpart can slip in between the poll and this:
    //    queue a waiter on every arm's channel, all sharing one token. The token lives in
    //    this frame and the waiters in the arms; `Pending` takes every waiter off its queue
    //    before either goes, also if this thread is unwound while it waits.
    let token = SelectToken::new();
    let me = rt::current_waker("select!");
    // In the seeded polling order, not source order: when two arms wait on one channel, the
    // counterpart completes whichever was queued first, and that must be a fair choice too.
    for &i in order.as_slice() {
        // SAFETY: `locked` holds arm i's channel lock; `Pending` below keeps the token and
        // the arms in place until every arm is finished.
        unsafe { locked.arms[i].0.enqueue(me, &token, i) };
    }
    drop(locked);
    let mut pending = Pending { arms, chosen: None };
    pending.chosen = Some(select_blocking(pending.arms, &token, at));
    pending.chosen
}

/// A blocked select's arms: finishes every one when dropped (collects the chosen one's
/// result, withdraws the others' waiters).
struct Pending<'s, 'a> {
    arms: &'s mut [ArmRef<'a>],
    chosen: Option<usize>,
}

impl Drop for Pending<'_, '_> {
    fn drop(&mut self) {
        for (i, arm) in self.arms.iter_mut().enumerate() {
            arm.0.finish(Some(i) == self.chosen);
        }
    }
}

#[cold]
fn select_blocking(
    arms: &[ArmRef<'_>],
    token: &SelectToken,
    at: &'static Location<'static>,
) -> usize {
    // 4. Park until an arm's counterpart has claimed the token and settled its waiter.
    loop {
        match token.chosen() {
            Some(c) if arms[c].0.settled() => return c,
            _ => rt::park(Op::Select, None, at),
        }
    }
}

/// Blocks forever: `select! {}`.
#[doc(hidden)]
pub fn select_forever(at: &'static Location<'static>) -> ! {
    rt::point(Op::Select, None, at);
    loop {
        rt::park(Op::Select, None, at);
    }
}
