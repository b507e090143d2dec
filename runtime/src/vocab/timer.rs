//! Timer callbacks: what an executor runs when a callback timer fires, and what it did.

use std::sync::Arc;

/// A callback timer's closure: runs in the scheduler loop, outside any green thread.
pub(crate) type TimerFn = Arc<dyn Fn() -> Fired + Send + Sync>;

/// What a callback timer's firing did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fired {
    /// It changed something (delivered a tick, cancelled a context).
    Changed,
    /// Nothing (the tick was dropped: the buffer was full).
    Idle,
    /// Nothing, and nothing ever will: unregister it (its receiver is gone).
    Done,
}
