//! `Property` and `Suite`: declaring properties, and running one input under many schedules.

use std::cell::Cell;
use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use gort::sim;
use proptest::strategy::{SBoxedStrategy, Strategy};
use proptest::test_runner::{self, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::fail::Fail;
use crate::token::ReplayToken;
use crate::wire::{Kind, Outcome, PropertyInfo, Verdict};

/// Inputs tried per property unless the property says otherwise.
const DEFAULT_CASES: u32 = 24;
/// Schedules per input unless the property says otherwise.
const DEFAULT_SCHEDULES: u32 = 48;
/// Shrinking steps at most; a count, not a time, so grades do not depend on machine speed.
const MAX_SHRINK_ITERS: u32 = 256;

/// What every property has, whatever its input type.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) name: String,
    pub(crate) demand: String,
    pub(crate) task: u32,
    pub(crate) cases: u32,
    pub(crate) schedules: u32,
    pub(crate) config: sim::Config,
    pub(crate) at: &'static Location<'static>,
}

/// Runs a property's inputs; the typed half of a [`Property`].
trait Runner: Send + Sync {
    fn run(&self, s: &Settings) -> Outcome;
    fn replay(&self, s: &Settings, token: &ReplayToken) -> Outcome;
}

/// The body of an explore property: runs as the main green thread of each schedule.
type Body<I> = dyn Fn(&I) + Send + Sync;
/// The body of a check property: runs on the test's OS thread, runs sims itself.
type Check<I> = dyn Fn(&I) -> Result<(), Fail> + Send + Sync;

enum Mode<I> {
    Explore(Arc<Body<I>>),
    Check(Arc<Check<I>>),
}

struct Typed<I> {
    strategy: SBoxedStrategy<I>,
    mode: Mode<I>,
}

/// One demand on the code under test, checked on many inputs under many schedules.
///
/// Built with [`Property::explore`] (the usual kind) or [`Property::check`], then tuned with
/// [`task`](Property::task), [`cases`](Property::cases), [`schedules`](Property::schedules)
/// and [`config`](Property::config). Not `Clone`; `Send` and `Sync`.
///
/// # Examples
///
/// ```
/// use grade::prelude::*;
///
/// let p = Property::explore("sums", "adding is commutative", (0u8..9, 0u8..9), |&(a, b)| {
///     check_eq!(a + b, b + a, "a + b");
/// })
/// .task(2)
/// .cases(8);
/// assert_eq!(p.info().task, 2);
/// assert_eq!(p.run().status, grade::wire::Status::Pass);
/// ```
pub struct Property {
    settings: Settings,
    runner: Box<dyn Runner>,
}

impl fmt::Debug for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Property").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Property {
    /// A property whose `body` runs as the main green thread of a deterministic run, once per
    /// schedule, for every input `strategy` draws. The body states the demand with
    /// [`check!`](crate::check) and [`check_eq!`](crate::check_eq); a panic, deadlock, leak or
    /// step limit anywhere in the run fails it too.
    ///
    /// `name` is a `snake_case` identifier, unique in the suite; `demand` is one sentence a
    /// learner reads when the property fails.
    #[track_caller]
    pub fn explore<I, S, F>(name: &str, demand: &str, strategy: S, body: F) -> Property
    where
        I: fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static,
        S: Strategy<Value = I> + Send + Sync + 'static,
        F: Fn(&I) + Send + Sync + 'static,
    {
        Property::new(name, demand, strategy.sboxed(), Mode::Explore(Arc::new(body)))
    }

    /// A property whose `check` runs on the test's OS thread, once per input, and runs the
    /// simulations it needs itself: for demands about several runs at once ("the completion
    /// order differs across seeds") or about the runs' reports.
    #[track_caller]
    pub fn check<I, S, F>(name: &str, demand: &str, strategy: S, check: F) -> Property
    where
        I: fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static,
        S: Strategy<Value = I> + Send + Sync + 'static,
        F: Fn(&I) -> Result<(), Fail> + Send + Sync + 'static,
    {
        Property::new(name, demand, strategy.sboxed(), Mode::Check(Arc::new(check)))
    }

    #[track_caller]
    fn new<I>(name: &str, demand: &str, strategy: SBoxedStrategy<I>, mode: Mode<I>) -> Property
    where
        I: fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        Property {
            settings: Settings {
                name: name.to_string(),
                demand: demand.to_string(),
                task: 1,
                cases: DEFAULT_CASES,
                schedules: DEFAULT_SCHEDULES,
                config: sim::Config::default(),
                at: Location::caller(),
            },
            runner: Box::new(Typed { strategy, mode }),
        }
    }

    /// The exercise task this property grades (1-based, as numbered in the README).
    pub fn task(mut self, task: u32) -> Property {
        self.settings.task = task;
        self
    }

    /// How many inputs to draw (default 24).
    pub fn cases(mut self, cases: u32) -> Property {
        self.settings.cases = cases.max(1);
        self
    }

    /// How many schedules to run each input under (default 48; explore properties only).
    pub fn schedules(mut self, schedules: u32) -> Property {
        self.settings.schedules = schedules.max(1);
        self
    }

    /// Adjusts the deterministic executor's configuration (limits, processors).
    pub fn config(mut self, f: impl FnOnce(sim::Config) -> sim::Config) -> Property {
        self.settings.config = f(self.settings.config);
        self
    }

    /// Its name, demand, task and where it is declared.
    pub fn info(&self) -> PropertyInfo {
        let s = &self.settings;
        PropertyInfo {
            name: s.name.clone(),
            demand: s.demand.clone(),
            task: s.task,
            file: crate::wire::tidy_path(s.at.file()),
            line: s.at.line(),
        }
    }

    /// Grades it: every input under every schedule, shrinking the first failure.
    pub fn run(&self) -> Outcome {
        self.runner.run(&self.settings)
    }

    /// Runs one recorded failure again, with the whole timeline.
    pub fn replay(&self, token: &ReplayToken) -> Outcome {
        self.runner.replay(&self.settings, token)
    }
}

/// The same closure type for exploring and replaying, so the runtime's program fingerprint
/// matches between the two.
fn program<'a, I: Sync>(body: &'a Body<I>, input: &'a I) -> impl Fn() + Send + Sync + 'a {
    move || body(input)
}

impl<I> Typed<I>
where
    I: fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    /// One input: every schedule (explore) or the check. `Ok` carries the schedules run.
    fn attempt(&self, s: &Settings, input: &I) -> Result<u64, Fail> {
        let json = serde_json::to_string(input).expect("inputs serialize to JSON");
        crate::unwind::attempting(&s.name, format!("{input:?}"), json);
        match &self.mode {
            Mode::Explore(body) => {
                match sim::explore(&s.config, s.schedules, program(&**body, input)) {
                    Ok(summary) => Ok(u64::from(summary.schedules)),
                    Err(report) => Err(Fail::from_report(&report).expect("a failing report")),
                }
            }
            Mode::Check(check) => match catch_unwind(AssertUnwindSafe(|| check(input))) {
                Ok(Ok(())) => Ok(1),
                Ok(Err(fail)) => Err(fail),
                Err(payload) => Err(panic_fail(&*payload)),
            },
        }
    }

    fn verdict(&self, s: &Settings, input: &I, fail: Fail) -> Verdict {
        let fail = fail.classify(s.at.file());
        let json = serde_json::to_string(input).expect("inputs serialize to JSON");
        // A todo!() is reached whatever the input: input and token would only distract.
        let unfinished = fail.verdict.kind == Some(Kind::Unfinished);
        let token = ReplayToken { property: s.name.clone(), input: json, schedule: fail.schedule };
        Verdict {
            input: (!unfinished).then(|| format!("{input:#?}")),
            token: (!unfinished).then(|| token.to_string()),
            ..*fail.verdict
        }
    }
}

impl<I> Runner for Typed<I>
where
    I: fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    fn run(&self, s: &Settings) -> Outcome {
        let start = Instant::now();
        let config = test_runner::Config {
            cases: s.cases,
            max_shrink_iters: MAX_SHRINK_ITERS,
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::ChaCha,
            ..test_runner::Config::default()
        };
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(&s.name));
        let mut runner = TestRunner::new_with_rng(config, rng);
        let schedules = Cell::new(0u64);
        let cases = Cell::new(0u32);
        let result = runner.run(&self.strategy, |input| {
            cases.set(cases.get() + 1);
            match self.attempt(s, &input) {
                Ok(n) => {
                    schedules.set(schedules.get() + n);
                    Ok(())
                }
                Err(fail) => Err(TestCaseError::fail(fail.to_string())),
            }
        });
        let millis = |start: Instant| start.elapsed().as_millis() as u64;
        match result {
            Ok(()) => Outcome::pass(&s.name, s.cases, schedules.get(), millis(start)),
            Err(TestError::Fail(_, minimal)) => {
                let fail = self.attempt(s, &minimal).err().unwrap_or_else(|| {
                    Fail::new("the minimal failing input passed when run again: the code under test is not deterministic (does it read the real clock or OS randomness?)")
                });
                let verdict = self.verdict(s, &minimal, fail);
                Outcome::fail(&s.name, verdict, cases.get(), schedules.get(), millis(start))
            }
            Err(TestError::Abort(why)) => {
                let verdict = Verdict::new(Kind::Error, format!("the harness gave up: {why}"));
                Outcome::fail(&s.name, verdict, cases.get(), schedules.get(), millis(start))
            }
        }
    }

    fn replay(&self, s: &Settings, token: &ReplayToken) -> Outcome {
        let start = Instant::now();
        let input: I = match serde_json::from_str(&token.input) {
            Ok(input) => input,
            Err(e) => {
                let v = Verdict::new(
                    Kind::Error,
                    format!("the token's input does not fit property `{}`: {e}", s.name),
                );
                return Outcome::fail(&s.name, v, 0, 0, 0);
            }
        };
        let result = match (&self.mode, &token.schedule) {
            (Mode::Explore(body), Some(schedule)) => {
                crate::unwind::attempting(&s.name, format!("{input:?}"), token.input.clone());
                match sim::replay(&s.config, schedule, program(&**body, &input)) {
                    Ok(report) => match Fail::with_timeline(&report, usize::MAX) {
                        Some(fail) => Err(fail),
                        None => Ok(1),
                    },
                    Err(e) => {
                        let v = Verdict::new(Kind::Error, format!("cannot replay: {e}"));
                        return Outcome::fail(&s.name, v, 1, 0, 0);
                    }
                }
            }
            _ => self.attempt(s, &input),
        };
        let millis = start.elapsed().as_millis() as u64;
        match result {
            Ok(n) => Outcome::pass(&s.name, 1, n, millis),
            Err(fail) => Outcome::fail(&s.name, self.verdict(s, &input, fail), 1, 1, millis),
        }
    }
}

/// A panic outside any green thread (in a check property's own code).
fn panic_fail(payload: &(dyn std::any::Any + Send)) -> Fail {
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "Box<dyn Any>".to_string());
    let mut fail = Fail::new(message);
    fail.verdict.kind = Some(Kind::Panic);
    fail.verdict.location = crate::panics::last_panic_location();
    fail
}

/// The proptest seed of a property: fixed by its name, so grades are the same on every run.
fn seed_bytes(name: &str) -> [u8; 32] {
    use crate::token::{FNV_OFFSET, fnv1a};
    let mut h = FNV_OFFSET;
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        h = fnv1a(fnv1a(h, name.as_bytes()), &[i as u8]);
        chunk.copy_from_slice(&h.to_le_bytes());
    }
    out
}

/// A lesson's property suite.
///
/// # Examples
///
/// ```
/// use grade::prelude::*;
///
/// let suite = Suite::new("00_example").property(Property::explore(
///     "trivial",
///     "nothing goes wrong",
///     Just(()),
///     |_| {},
/// ));
/// assert_eq!(suite.properties().len(), 1);
/// ```
#[derive(Debug)]
pub struct Suite {
    pub(crate) lesson: String,
    pub(crate) properties: Vec<Property>,
}

impl Suite {
    /// Changes every property's `sim::Config` with `f` (the harness's supervision settings).
    pub(crate) fn configure_runs(&mut self, f: impl Fn(sim::Config) -> sim::Config) {
        for p in &mut self.properties {
            p.settings.config = f(p.settings.config.clone());
        }
    }

    /// An empty suite for `lesson` (the registry's name, such as `01_spawn`).
    pub fn new(lesson: &str) -> Suite {
        Suite { lesson: lesson.to_string(), properties: Vec::new() }
    }

    /// Adds a property; properties are graded and shown in the order they are added.
    ///
    /// # Panics
    ///
    /// If a property of that name is already in the suite.
    pub fn property(mut self, property: Property) -> Suite {
        let name = &property.settings.name;
        assert!(
            self.properties.iter().all(|p| &p.settings.name != name),
            "grade: property `{name}` is declared twice in suite {}",
            self.lesson
        );
        self.properties.push(property);
        self
    }

    /// The properties, in order.
    pub fn properties(&self) -> &[Property] {
        &self.properties
    }
}
