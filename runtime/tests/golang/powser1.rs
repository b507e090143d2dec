//! Port of test/chan/powser1.go: McIlroy's power series, one green thread per operator.
//!
//! A power series is a pair of unbuffered channels: its consumer sends a request on one and
//! receives the next coefficient, an exact rational, on the other. Every operator (sum,
//! scalar and series products, derivative, integral, exponential, substitution of `-x²`) is
//! a green thread that computes coefficients on demand from the series it consumes. `split`
//! feeds one series to two consumers that read at different rates, through a chain of
//! generations that hand over by release channels, and the exponential feeds its own output
//! back into its input. The program checks the first terms of `1/(1-x)`, `2/(1-x)`, sums,
//! differences, a derivative, an integral, a square, `exp(x/(1-x))` and `atan` against
//! known coefficients, under many schedules.
//!
//! How the port deviates: Go's nil channels in `getn` become the stand-ins of [`Net`]
//! (channels whose other ends stay open and idle); the request carries `()` instead of Go's
//! racy global sequence number; the end-of-series mark (a zero denominator) is `None`, and
//! an operator that ends its series returns, closing it (Go's `Integ` and `MonSubst` send a
//! second end mark nobody asked for; no check reaches the end of a series). Go's `main`
//! exits with every operator still blocked; gort fails a run that leaks threads, so the
//! network shuts down instead: `main` closes a `quit` channel (Go's done-channel idiom),
//! every operator waiting for a request returns, every operator returns at its first closed
//! channel, and `main` joins every thread the network spawned. Dropping a series alone would
//! not do: the exponential's feedback loop keeps its own channels open. The three Go checks
//! of zero terms (`Add(Ones, Ones)`, `Add(Ones, Twos)`, `Sub(Ones, Twos)`) read five terms
//! here. Printing, `eval` and the operators no check uses (`Mon`, `Monmul`, `Xmul`, `Shift`,
//! `Binom`, `Recip`, `Subst`, `Poly`) are not ported. Besides the whole program, each group
//! of checks also runs alone on its own network, so that a failure names the operator.

use std::fmt;
use std::ops::{Add, Mul, Neg, Sub};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use gort::chan::{self, Receiver, RecvError, SendError, Sender};
use gort::sched::JoinHandle;
use gort::{go, select};

/// A rational number in lowest terms with a positive denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rat {
    num: i64,
    den: i64,
}

const ZERO: Rat = Rat { num: 0, den: 1 };
const ONE: Rat = Rat { num: 1, den: 1 };

fn gcd(mut a: i64, mut b: i64) -> i64 {
    (a, b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Rat {
    fn new(num: i64, den: i64) -> Rat {
        assert!(den != 0, "rational with a zero denominator: {num}/0");
        let g = gcd(num, den) * den.signum();
        Rat { num: num / g, den: den / g }
    }

    fn int(n: i64) -> Rat {
        Rat::new(n, 1)
    }
}

impl Add for Rat {
    type Output = Rat;
    fn add(self, v: Rat) -> Rat {
        let g = gcd(self.den, v.den);
        Rat::new(self.num * (v.den / g) + v.num * (self.den / g), self.den * (v.den / g))
    }
}

impl Neg for Rat {
    type Output = Rat;
    fn neg(self) -> Rat {
        Rat { num: -self.num, den: self.den }
    }
}

impl Sub for Rat {
    type Output = Rat;
    fn sub(self, v: Rat) -> Rat {
        self + -v
    }
}

impl Mul for Rat {
    type Output = Rat;
    fn mul(self, v: Rat) -> Rat {
        // Cancel across before multiplying, to keep the products small.
        let g1 = gcd(self.num, v.den);
        let g2 = gcd(self.den, v.num);
        Rat::new((self.num / g1) * (v.num / g2), (self.den / g2) * (v.den / g1))
    }
}

impl fmt::Display for Rat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// A coefficient, or `None` past the end of a finite series.
type Term = Option<Rat>;

/// A channel an operator uses was closed: its consumer or one of its inputs is gone, so the
/// operator returns. This is how a network shuts down.
#[derive(Debug)]
struct Gone;

impl From<RecvError> for Gone {
    fn from(_: RecvError) -> Gone {
        Gone
    }
}

impl<T> From<SendError<T>> for Gone {
    fn from(_: SendError<T>) -> Gone {
        Gone
    }
}

type Flow<T = ()> = Result<T, Gone>;

/// The consumer's end of a power series: ask for the next term, then receive it.
#[derive(Clone)]
struct Ps {
    req: Sender<()>,
    dat: Receiver<Term>,
}

impl Ps {
    fn get(&self) -> Flow<Term> {
        self.req.send(())?;
        Ok(self.dat.recv()?)
    }
}

/// The producer's end of a power series, held by the operator that computes it.
#[derive(Clone)]
struct Out {
    req: Receiver<()>,
    dat: Sender<Term>,
    /// Closed when the network shuts down.
    quit: Receiver<()>,
}

impl Out {
    /// Waits for the consumer's next request, or for the network to shut down.
    fn demand(&self) -> Flow {
        select! {
            recv(self.req) -> r => Ok(r?),
            recv(self.quit) => Err(Gone),
        }
    }

    fn reply(&self, t: Term) -> Flow {
        Ok(self.dat.send(t)?)
    }

    fn put(&self, t: Term) -> Flow {
        self.demand()?;
        self.reply(t)
    }
}

/// The threads of one network of operators, and what they share.
#[derive(Clone)]
struct Net(Arc<Shared>);

struct Shared {
    threads: Mutex<Vec<JoinHandle<()>>>,
    series: AtomicUsize,
    quit: Receiver<()>,
    stop: Mutex<Option<Sender<()>>>,
    /// Stand-ins for Go's nil channels: their other ends (kept here) never act.
    never_req: Sender<()>,
    never_dat: Receiver<Term>,
    _idle: (Receiver<()>, Sender<Term>),
}

impl Net {
    fn new() -> Net {
        let (never_req, idle_req) = chan::Builder::new().name("nil req").bounded(0);
        let (idle_dat, never_dat) = chan::Builder::new().name("nil dat").bounded(0);
        let (stop, quit) = chan::Builder::new().name("quit").bounded(0);
        Net(Arc::new(Shared {
            threads: Mutex::new(Vec::new()),
            series: AtomicUsize::new(0),
            quit,
            stop: Mutex::new(Some(stop)),
            never_req,
            never_dat,
            _idle: (idle_req, idle_dat),
        }))
    }

    /// Starts an operator; it stops at its first closed channel.
    fn spawn(&self, op: impl FnOnce(&Net) -> Flow + Send + 'static) {
        let net = self.clone();
        let h = go(move || {
            let _stopped: Result<(), Gone> = op(&net);
        });
        self.0.threads.lock().unwrap().push(h);
    }

    /// Shuts the network down: closes `quit`, so that every operator waiting for a request
    /// returns and closes its channels, which stops the operators blocked on them in turn;
    /// then joins every thread the network started (threads start threads while it runs).
    fn shut_down(self) {
        drop(self.0.stop.lock().unwrap().take());
        loop {
            let next = self.0.threads.lock().unwrap().pop();
            let Some(h) = next else { break };
            if let Err(e) = h.join() {
                panic!("an operator panicked: {e}");
            }
        }
    }

    /// A new series, its channels named by a letter as in Go (then a round number).
    fn series(&self) -> (Ps, Out) {
        const NAMES: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let n = self.0.series.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}{}", char::from(NAMES[n % NAMES.len()]), n / NAMES.len());
        let (req, req_rx) = chan::Builder::new().name(format!("{name}.req")).bounded(0);
        let (dat_tx, dat) = chan::Builder::new().name(format!("{name}.dat")).bounded(0);
        (Ps { req, dat }, Out { req: req_rx, dat: dat_tx, quit: self.0.quit.clone() })
    }

    /// One term from each of two series, requested and received in whatever order the
    /// producers are ready: Go's `getn` with its nil-channel bookkeeping.
    fn get2(&self, u: &Ps, v: &Ps) -> Flow<[Term; 2]> {
        let (never_req, never_dat) = (&self.0.never_req, &self.0.never_dat);
        let mut req = [&u.req, &v.req];
        let mut dat = [never_dat, never_dat];
        let mut got = [None, None];
        for _ in 0..4 {
            select! {
                send(req[0], ()) -> r => {
                    r?;
                    (req[0], dat[0]) = (never_req, &u.dat);
                }
                send(req[1], ()) -> r => {
                    r?;
                    (req[1], dat[1]) = (never_req, &v.dat);
                }
                recv(dat[0]) -> t => {
                    got[0] = t?;
                    dat[0] = never_dat;
                }
                recv(dat[1]) -> t => {
                    got[1] = t?;
                    dat[1] = never_dat;
                }
            }
        }
        Ok(got)
    }

    /// Forwards `from` to `to`, term by term on demand.
    fn copy(&self, from: &Ps, to: &Out) -> Flow {
        loop {
            to.demand()?;
            to.reply(from.get()?)?;
        }
    }

    /// `c, c, c, ...`: `c/(1-x)`.
    fn rep(&self, c: Rat) -> Ps {
        let (z, out) = self.series();
        self.spawn(move |_| {
            loop {
                out.put(Some(c))?;
            }
        });
        z
    }

    /// `U + V`.
    fn add(&self, u: Ps, v: Ps) -> Ps {
        let (z, out) = self.series();
        self.spawn(move |net| {
            loop {
                out.demand()?;
                match net.get2(&u, &v)? {
                    [Some(a), Some(b)] => out.reply(Some(a + b))?,
                    [None, None] => return out.reply(None),
                    [None, t] => {
                        out.reply(t)?;
                        return net.copy(&v, &out);
                    }
                    [t, None] => {
                        out.reply(t)?;
                        return net.copy(&u, &out);
                    }
                }
            }
        });
        z
    }

    /// `c·U`.
    fn cmul(&self, c: Rat, u: Ps) -> Ps {
        let (z, out) = self.series();
        self.spawn(move |_| {
            loop {
                out.demand()?;
                let t = u.get()?;
                out.reply(t.map(|x| c * x))?;
                if t.is_none() {
                    return Ok(());
                }
            }
        });
        z
    }

    /// `U - V`.
    fn sub(&self, u: Ps, v: Ps) -> Ps {
        self.add(u, self.cmul(-ONE, v))
    }

    /// `dU/dx`.
    fn diff(&self, u: Ps) -> Ps {
        let (z, out) = self.series();
        self.spawn(move |_| {
            out.demand()?;
            if u.get()?.is_some() {
                let mut i = 1;
                while let Some(x) = u.get()? {
                    out.reply(Some(Rat::int(i) * x))?;
                    out.demand()?;
                    i += 1;
                }
            }
            out.reply(None)
        });
        z
    }

    /// `c + ∫U dx`.
    fn integ(&self, c: Rat, u: Ps) -> Ps {
        let (z, out) = self.series();
        self.spawn(move |_| {
            out.put(Some(c))?;
            let mut i = 1;
            loop {
                out.demand()?;
                let Some(x) = u.get()? else { return out.reply(None) };
                out.reply(Some(Rat::new(1, i) * x))?;
                i += 1;
            }
        });
        z
    }

    /// `U·V`: with `U = u + x·UU` and `V = v + x·VV`,
    /// `U·V = u·v + x·(u·VV + v·UU) + x²·UU·VV`.
    fn mul(&self, u: Ps, v: Ps) -> Ps {
        let (z, out) = self.series();
        self.spawn(move |net| {
            out.demand()?;
            let [Some(a), Some(b)] = net.get2(&u, &v)? else { return out.reply(None) };
            out.reply(Some(a * b))?;
            let [u0, u1] = net.split(u);
            let [v0, v1] = net.split(v);
            let w = net.add(net.cmul(a, v0), net.cmul(b, u0));
            out.demand()?;
            out.reply(w.get()?)?;
            net.copy(&net.add(w, net.mul(u1, v1)), &out)
        });
        z
    }

    /// `exp(U)` for `U` without its constant term (which is ignored, as in Go): `Z = exp(U)`
    /// is the solution of `Z' = Z·U'` with `Z(0) = 1`, so `Z` is computed from itself.
    fn exp(&self, u: Ps) -> Flow<Ps> {
        let (z0, out0) = self.series();
        let (z1, out1) = self.series();
        self.split_into(self.integ(ONE, self.mul(z0, self.diff(u))), [out0, out1])?;
        Ok(z1)
    }

    /// `U(c·xⁿ)`: term `i` of `U` times `cⁱ`, followed by `n - 1` zeros.
    fn mon_subst(&self, u: Ps, c0: Rat, n: usize) -> Ps {
        let (z, out) = self.series();
        self.spawn(move |_| {
            let mut c = ONE;
            loop {
                out.demand()?;
                let t = u.get()?;
                out.reply(t.map(|x| x * c))?;
                if t.is_none() {
                    return Ok(());
                }
                c = c * c0;
                for _ in 1..n {
                    out.put(Some(ZERO))?;
                }
            }
        });
        z
    }

    /// Two copies of `U`, each readable at its own pace.
    fn split(&self, u: Ps) -> [Ps; 2] {
        let (z0, out0) = self.series();
        let (z1, out1) = self.series();
        self.spawn(move |net| net.split_into(u, [out0, out1]));
        [z0, z1]
    }

    fn split_into(&self, input: Ps, out: [Out; 2]) -> Flow {
        let (release, wait) = chan::unbuffered();
        self.spawn(move |net| net.dosplit(input, out, wait));
        Ok(release.send(())?)
    }

    /// One generation of `split`: serves one term of `input` to both outputs, and starts
    /// the next generation as soon as it has asked `input` for its term. The newest
    /// generation serves `out[0]`; the oldest one still holding a term serves `out[1]`;
    /// `wait` tells a generation that all older ones are done, so it may serve either
    /// output first (it renames them so that the first to ask is `out[0]`).
    fn dosplit(&self, input: Ps, mut out: [Out; 2], wait: Receiver<()>) -> Flow {
        let oldest = select! {
            recv(out[0].req) -> r => { r?; false }
            recv(wait) -> r => { r?; true }
        };
        if oldest {
            let second_first = select! {
                recv(out[0].req) -> r => { r?; false }
                recv(out[1].req) -> r => { r?; true }
            };
            if second_first {
                out.swap(0, 1);
            }
        }
        input.req.send(())?;
        let (release, next_wait) = chan::unbuffered();
        let (next_input, next_out) = (input.clone(), out.clone());
        self.spawn(move |net| net.dosplit(next_input, next_out, next_wait));
        let t = input.dat.recv()?;
        out[0].reply(t)?;
        if !oldest {
            wait.recv()?;
        }
        out[1].put(t)?;
        Ok(release.send(())?)
    }
}

/// The next term of `u`, which must exist.
#[track_caller]
fn next(u: &Ps, what: &str, i: usize) -> Rat {
    match u.get() {
        Ok(Some(got)) => got,
        Ok(None) => panic!("{what}: the series ended at term {i}"),
        Err(Gone) => panic!("{what}: the series shut down at term {i}"),
    }
}

/// Checks that the next `count` terms of `u` all equal `want`.
#[track_caller]
fn check(u: &Ps, want: Rat, count: usize, what: &str) {
    for i in 0..count {
        let got = next(u, what, i);
        assert!(got == want, "{what}: term {i} is {got}, want {want}");
    }
}

/// Checks that the next terms of `u` are `want`.
#[track_caller]
fn check_all(u: &Ps, want: &[Rat], what: &str) {
    for (i, &want) in want.iter().enumerate() {
        let got = next(u, what, i);
        assert!(got == want, "{what}: term {i} is {got}, want {want}");
    }
}

/// How many terms the list checks read, as in Go.
const N: i64 = 10;

fn ints_from_one() -> Vec<Rat> {
    (1..=N).map(Rat::int).collect()
}

fn integ_of_ones() -> Vec<Rat> {
    std::iter::once(ZERO).chain((1..N).map(|i| Rat::new(1, i))).collect()
}

/// `exp(x/(1-x))`: `1 + x + 3/2 x² + 13/6 x³ + ...`.
fn exp_of_ones() -> Vec<Rat> {
    [(1, 1), (1, 1), (3, 2), (13, 6), (73, 24), (167, 40), (4051, 720), (37633, 5040)]
        .into_iter()
        .chain([(43817, 4480), (4596553, 362880)])
        .map(|(n, d)| Rat::new(n, d))
        .collect()
}

/// `atan(x) = x - x³/3 + x⁵/5 - ...`.
fn atan() -> Vec<Rat> {
    (0..N).map(|i| if i % 2 == 0 { ZERO } else { Rat::new(1 - (i / 2 % 2) * 2, i) }).collect()
}

/// Runs `program` on a fresh network with `Ones` and `Twos`, then shuts the network down.
fn with_net(program: impl FnOnce(&Net, &Ps, &Ps)) {
    let net = Net::new();
    let ones = net.rep(ONE);
    let twos = net.rep(Rat::int(2));
    program(&net, &ones, &twos);
    drop((ones, twos));
    net.shut_down();
}

fn check_sums(net: &Net, ones: &Ps, twos: &Ps) {
    check(ones, ONE, 5, "Ones");
    check(&net.add(ones.clone(), ones.clone()), Rat::int(2), 5, "Add Ones Ones");
    check(&net.add(ones.clone(), twos.clone()), Rat::int(3), 5, "Add Ones Twos");
}

fn check_calculus(net: &Net, ones: &Ps) {
    check_all(&net.diff(ones.clone()), &ints_from_one(), "Diff");
    check_all(&net.integ(ZERO, ones.clone()), &integ_of_ones(), "Integ");
}

fn check_scaling(net: &Net, ones: &Ps, twos: &Ps) {
    check(&net.cmul(-ONE, twos.clone()), Rat::int(-2), 10, "CMul");
    check(&net.sub(ones.clone(), twos.clone()), Rat::int(-1), 5, "Sub Ones Twos");
}

fn check_mul(net: &Net, ones: &Ps) {
    check_all(&net.mul(ones.clone(), ones.clone()), &ints_from_one(), "Mul");
}

fn check_exp(net: &Net, ones: &Ps) {
    let e = net.exp(ones.clone()).expect("Exp: the network shut down while it started");
    check_all(&e, &exp_of_ones(), "Exp");
}

fn check_atan(net: &Net, ones: &Ps) {
    check_all(&net.integ(ZERO, net.mon_subst(ones.clone(), -ONE, 2)), &atan(), "ATan");
}

#[test]
fn sums_and_scalar_products() {
    crate::conform(|| {
        with_net(|net, ones, twos| {
            check_sums(net, ones, twos);
            check_scaling(net, ones, twos);
        })
    });
}

#[test]
fn derivative_and_integral() {
    crate::conform(|| with_net(|net, ones, _| check_calculus(net, ones)));
}

#[test]
fn product_splits_both_inputs() {
    crate::conform(|| with_net(|net, ones, _| check_mul(net, ones)));
}

#[test]
fn exponential_feeds_back_into_itself() {
    crate::conform(|| with_net(|net, ones, _| check_exp(net, ones)));
}

#[test]
fn arctangent_by_monomial_substitution() {
    crate::conform(|| with_net(|net, ones, _| check_atan(net, ones)));
}

/// Go's `main`: every check in order on one network, all sharing `Ones` and `Twos`.
#[test]
fn whole_program() {
    crate::conform(|| {
        with_net(|net, ones, twos| {
            check_sums(net, ones, twos);
            check_calculus(net, ones);
            check_scaling(net, ones, twos);
            check_mul(net, ones);
            check_exp(net, ones);
            check_atan(net, ones);
        })
    });
}

/// The rational arithmetic alone, outside any run.
#[test]
fn rationals() {
    assert_eq!(Rat::new(2, -4), Rat { num: -1, den: 2 });
    assert_eq!(Rat::new(1, 2) + Rat::new(1, 3), Rat::new(5, 6));
    assert_eq!(Rat::new(1, 2) - ONE, Rat::new(-1, 2));
    assert_eq!(Rat::new(-2, 3) * Rat::new(9, 4), Rat::new(-3, 2));
    assert_eq!(ZERO * Rat::new(5, 7), ZERO);
    assert_eq!(Rat::new(4596553, 362880).to_string(), "4596553/362880");
    assert_eq!(atan()[..6], [ZERO, ONE, ZERO, Rat::new(-1, 3), ZERO, Rat::new(1, 5)]);
}
