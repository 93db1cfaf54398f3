#!/usr/bin/env python3
"""`./mica test`: every Mica test, one line per case, one summary line.

Phases, in this order (docs/testing.md describes them for users):
  host/<binary>/<Suite.Test>   GoogleTest binaries in OUT/host_tests
  fuzz/<name>                  libFuzzer targets in OUT/fuzzers, time-bounded
  boot/<config>                boots under QEMU that must reach the ready line
  ktest/<config>[/<name>]      in-kernel unit tests (kernel.test=all)
  core/<config>[/<name>]       the syscall conformance suite (bin/core-tests)
  failalloc/<suite>-<config>[/<name>]  core-tests and syscall-fuzz under
                               allocation fault injection (kernel.failalloc=)
  async/<config>[/<name>]      the async loop library's tests (bin/async-test)
  userboot/<case>              userboot's command line handling and errors
  syscall-fuzz/<config>[/<name>]  random calls from an unprivileged process
  adversary/<config>[/<name>]  the adversarial suite (bin/adversary)
  crash/<config>-<kind>        deliberate kernel crashes and their reports
  power/<config>-off|reboot    system_power: QEMU exits, or the kernel boots again

Each case prints `PASS <name> (<secs>s)` or `FAIL <name> (<secs>s)` followed,
for a failure, by its log. The last line is `N passed, N failed` (then
`, N skipped` when gtest skipped any); the exit status is 1 on any failure.
Work runs in parallel (--jobs) but is reported in a fixed order.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qemu  # noqa: E402  (the sibling modules)
from common import CaseResult, Job, Options, indent  # noqa: E402
from host_jobs import fuzz_jobs, host_jobs  # noqa: E402
from qemu_jobs import qemu_jobs  # noqa: E402


# ---------------------------------------------------------------------------
# Orchestration


class Tally:
    def __init__(self):
        self.counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

    def report(self, result: CaseResult) -> None:
        self.counts[result.status] += 1
        print(f"{result.status} {result.name} ({result.seconds:.1f}s)")
        if result.detail and result.status != "PASS":
            print(indent(result.detail, "    "))
        sys.stdout.flush()

    def summary(self) -> str:
        line = f"{self.counts['PASS']} passed, {self.counts['FAIL']} failed"
        if self.counts["SKIP"]:
            line += f", {self.counts['SKIP']} skipped"
        return line


def run_jobs(opts: Options, jobs: list[Job], tally: Tally) -> None:
    """Runs jobs on --jobs workers, and the jobs that mostly wait (Job.waits)
    on as many more, reporting in submission order. A waiting job needs a
    fraction of a CPU (measured: a 15 s fault campaign uses under 4 s of
    CPU), so running them beside the busy ones shortens the run without
    starving anything; the busy ones keep one worker per CPU."""
    if not jobs:
        return
    busy = concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs)
    waiting = concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs)
    try:
        futures = [(waiting if job.waits else busy).submit(job.run) for job in jobs]
        for job, fut in zip(jobs, futures):
            try:
                results = fut.result()
            except Exception as e:  # a harness bug must not hide other cases
                results = [CaseResult(job.names[0], "FAIL", 0.0, f"harness error: {e!r}")]
            for r in results:
                tally.report(r)
    except BaseException:
        # Ctrl-C or SIGTERM: stop the workers' children first, so that the
        # shutdown below does not wait for cases to run to their timeouts.
        opts.abort.set()
        qemu.stop_all()
        raise
    finally:
        for pool in (busy, waiting):
            pool.shutdown(wait=True, cancel_futures=True)


def on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="./mica test", description="Run every Mica test.")
    p.add_argument("--out", type=Path, default=qemu.MICA_ROOT / "out", help="build directory")
    p.add_argument("--cache", type=Path, default=qemu.MICA_ROOT / ".cache", help="package cache")
    p.add_argument("--filter", help="only cases whose name matches this regular expression")
    p.add_argument("--list", action="store_true", help="print the case names and exit")
    p.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="parallel cases (default: CPUs)")
    p.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every timeout by X")
    p.add_argument("--quick", action="store_true", help="run each fuzzer for 5 s instead of 20 s")
    p.add_argument("--fuzz-time", type=int, default=12, help=argparse.SUPPRESS)
    # Debug aid for the harness itself: any line matching REGEX passes a boot
    # case (used to check the harness against a stand-in kernel).
    p.add_argument("--pattern", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        opts = Options(args)
    except re.error as e:
        p.error(f"bad regular expression: {e}")

    # Ctrl-C must interrupt even when started with SIGINT ignored (e.g. as a
    # background job of a non-interactive shell).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    start = time.monotonic()
    tally = Tally()
    try:
        phases = [lambda: host_jobs(opts), lambda: fuzz_jobs(opts), lambda: qemu_jobs(opts)]
        if args.list:
            for make in phases:
                for job in make():
                    for name in job.names:
                        if opts.selected(name) or name.startswith(
                                ("ktest/", "core/", "async/", "syscall-fuzz/", "failalloc/", "adversary/")):
                            print(name)
            return 0
        for make in phases:
            run_jobs(opts, make(), tally)
    except KeyboardInterrupt:
        opts.abort.set()
        qemu.stop_all()
        tally.report(CaseResult("interrupted", "FAIL", time.monotonic() - start,
                                "the run was interrupted; the cases after the last one reported did not run"))
        print(tally.summary(), flush=True)
        return 130
    finally:
        qemu.stop_all()
    total = sum(tally.counts.values())
    if total == 0:
        print(f"no test case matches the filter {opts.filter_text!r}" if opts.filter else "no test cases found")
        tally.counts["FAIL"] = 1
    print(f"total time: {time.monotonic() - start:.1f}s")
    print(tally.summary(), flush=True)
    return 1 if tally.counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
