//! The shared vocabulary of the runtime: thread ids and wakers, object handles, operations and
//! object kinds, timer callbacks, spawn errors, and diagnostics' events, traces and failures.
//!
//! The lowest layer: it imports nothing else of the crate, so every other module (both
//! executors, the primitives, the reports) can speak it without depending on each other.

mod display;
mod failure;
mod object;
mod thread;
mod timer;
mod trace;

pub(crate) use display::{DisplayDuration, FNV_OFFSET, fnv1a};
pub use failure::{Failure, LockWait, PanicReport, ThreadSnapshot, ThreadState};
pub(crate) use object::ObjRef;
pub use object::{ObjectId, ObjectKind, ObjectMeta, Op};
pub use thread::{MIN_STACK_SIZE, SpawnError, ThreadId};
pub(crate) use thread::{Waker, outside_run_message};
pub(crate) use timer::{Fired, TimerFn};
pub use trace::{Event, ThreadLabel, Timeline, Trace};
