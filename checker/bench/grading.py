#!/usr/bin/env python3
"""Wall times of the checker on this machine: a cold first run on a fresh clone, regrading
one lesson after a one-line edit (failing and passing), and `check --all` (warm).

usage: python3 checker/bench/grading.py [--keep] [--reps N]

It clones the repository's HEAD into a temporary directory (its own target dir, so the cold
figure includes building everything), and never touches the working tree it is run from.
Targets (issue 5): failing verdict < 1 s after the edit, passing lesson < 2 s, check --all
< 15 s. Anchor, rustlings 6.5 measured on this machine: 0.34 s to re-check one exercise
after an edit, 7.2 s for check-all over 94 exercises (no property testing).
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

REPS = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 5
ROOT = subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip()
ENV = dict(os.environ, NO_COLOR="1", CARGO_TERM_COLOR="never")


def run(args, cwd, check=None):
    start = time.perf_counter()
    p = subprocess.run(args, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    took = time.perf_counter() - start
    if check is not None and (p.returncode == 0) != check:
        sys.exit(f"unexpected exit {p.returncode} from {' '.join(args)}:\n{p.stdout[-3000:]}")
    return took, p.stdout


def touch(path, n):
    """A one-line edit: a comment that changes each time, so cargo really rebuilds."""
    with open(path) as f:
        lines = f.read().rstrip("\n").split("\n")
    if lines[-1].startswith("// bench edit"):
        lines.pop()
    lines.append(f"// bench edit {n}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def median_edit(clone, lesson, expect_pass):
    lib = os.path.join(clone, "exercises", lesson, "src", "lib.rs")
    times = []
    for n in range(REPS):
        touch(lib, n)
        took, _ = run(["cargo", "run", "-q", "-p", "checker", "--", "check", lesson], clone, expect_pass)
        times.append(took)
    return statistics.median(times), min(times), max(times)


def main():
    tmp = tempfile.mkdtemp(prefix="checker-bench-")
    clone = os.path.join(tmp, "course")
    subprocess.run(["git", "clone", "-q", ROOT, clone], check=True)
    print(f"machine: {os.cpu_count()} cores; clone of {ROOT} at {clone}; {REPS} reps per warm figure\n")
    cold, out = run(["cargo", "run", "-q", "-p", "checker"], clone, False)
    print(f"cold: first `cargo run -p checker` on a fresh clone: {cold:.1f} s")
    first = "01_spawn"
    fail = median_edit(clone, first, False)
    shutil.copy(os.path.join(clone, "solutions", first, "src", "lib.rs"), os.path.join(clone, "exercises", first, "src", "lib.rs"))
    run(["cargo", "run", "-q", "-p", "checker", "--", "check", first], clone, True)
    ok = median_edit(clone, first, True)
    run(["cargo", "run", "-q", "-p", "checker", "--", "check", "--all"], clone)
    alls = [run(["cargo", "run", "-q", "-p", "checker", "--", "check", "--all"], clone)[0] for _ in range(max(1, REPS // 2))]
    print()
    print("| figure | median | min | max | target | rustlings 6.5 |")
    print("|---|---|---|---|---|---|")
    print(f"| regrade a failing lesson after a one-line edit | {fail[0]:.2f} s | {fail[1]:.2f} s | {fail[2]:.2f} s | < 1 s | 0.34 s |")
    print(f"| regrade a passing lesson (whole suite explored) after a one-line edit | {ok[0]:.2f} s | {ok[1]:.2f} s | {ok[2]:.2f} s | < 2 s | 0.34 s |")
    print(f"| check --all (warm, 6 lessons) | {statistics.median(alls):.2f} s | {min(alls):.2f} s | {max(alls):.2f} s | < 15 s | 7.2 s (94 exercises) |")
    print(f"| cold: first run on a fresh clone | {cold:.1f} s | | | | |")
    if "--keep" not in sys.argv:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
