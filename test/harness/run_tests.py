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

Each case prints `PASS <name> (<secs>s)` or `FAIL <name> (<secs>s)` followed,
for a failure, by its log. The last line is `N passed, N failed` (then
`, N skipped` when gtest skipped any); the exit status is 1 on any failure.
Work runs in parallel (--jobs) but is reported in a fixed order.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qemu  # noqa: E402  (the sibling module)
from qemu import BootConfig, Checker, Paths, Verdict  # noqa: E402

# The console lines the kernel prints (issue 2 §3, docs/testing.md).
READY_RE = re.compile(r"mica: kernel ready: cpus=(\d+) ram=(\d+)MiB")
PANIC_MARK = "KERNEL PANIC"
# The in-target suites print one line per test, `<prefix>: PASS <name>` or
# `<prefix>: FAIL <name>: <reason>`, then `<prefix>: done passed=P failed=F`
# (LineProtocolChecker). core-tests is a user program started by the
# kernel's launcher, which reports how it ended.
CORE_TESTS_PROGRAM = "bin/core-tests"
ASYNC_TEST_PROGRAM = "bin/async-test"
# userboot (bin/userboot, the first user process) reports how the program it
# started ended; the kernel reports how userboot itself ended.
SYSCALL_FUZZ_PROGRAM = "bin/syscall-fuzz"
ADVERSARY_PROGRAM = "bin/adversary"
USERBOOT_EXIT_RE = re.compile(r"userboot: (\S+) exited with status (-?\d+)")
USERBOOT_END_RE = re.compile(r"\] userboot: ended with status (-?\d+)")

BASE_TIMEOUT = 60.0  # seconds per QEMU case before scaling
HOST_TEST_TIMEOUT = 300.0  # seconds per GoogleTest binary
SHOWN_LOG_LINES = 3000  # a failing case's log is printed whole up to this


@dataclasses.dataclass
class CaseResult:
    name: str
    status: str  # "PASS", "FAIL" or "SKIP"
    seconds: float
    detail: str = ""  # shown under a FAIL (or SKIP) line


@dataclasses.dataclass
class Job:
    """A unit of work that yields one or more case results."""

    names: list[str]  # what --list prints for it
    run: Callable[[], list[CaseResult]]


class Options:
    def __init__(self, args):
        self.paths = Paths(args.out.resolve(), args.cache.resolve())
        self.filter = re.compile(args.filter) if args.filter else None
        self.filter_text = args.filter or ""
        self.jobs = max(1, args.jobs)
        self.timeout_scale = args.timeout_scale
        self.fuzz_seconds = 5 if args.quick else args.fuzz_time
        self.pattern = re.compile(args.pattern) if args.pattern else None
        self.logs = self.paths.out / "test-logs"
        self.abort = threading.Event()

    def selected(self, name: str) -> bool:
        return self.filter is None or self.filter.search(name) is not None

    def log_path(self, case: str) -> Path:
        return self.logs / f"{case}.log"


def indent(text: str, prefix: str = "  | ") -> str:
    return "\n".join(prefix + line for line in text.rstrip("\n").split("\n"))


def read_log(path: Path) -> str:
    """A log for the terminal: whole up to SHOWN_LOG_LINES, else head+tail."""
    try:
        lines = path.read_text(errors="replace").split("\n")
    except OSError as e:
        return f"(cannot read {path}: {e})"
    if len(lines) <= SHOWN_LOG_LINES:
        return "\n".join(lines)
    head, tail = SHOWN_LOG_LINES // 4, SHOWN_LOG_LINES * 3 // 4
    cut = len(lines) - head - tail
    return "\n".join(lines[:head] + [f"... {cut} lines omitted, see {path} ..."] + lines[-tail:])


def executables(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    # Executables only; side files such as <fuzzer>.corpus are not.
    return sorted(
        p for p in directory.iterdir()
        if p.is_file() and os.access(p, os.X_OK) and p.suffix not in (".corpus", ".so", ".json", ".txt")
    )


def run_process(cmd: list[str], timeout: float, log_path: Path, cwd: str, env=None) -> tuple[Optional[int], str]:
    """Runs a tracked host process; returns (exit status or None on timeout,
    its combined output), and writes the output to log_path."""
    proc = qemu.spawn(cmd, cwd=cwd, env=env)
    try:
        out, _ = proc.communicate(timeout=timeout)
        status: Optional[int] = proc.returncode
    except subprocess.TimeoutExpired:
        qemu.kill(proc)
        out, _ = proc.communicate()  # what it printed before the timeout
        status = None
    finally:
        qemu.stop(proc)
    text = out.decode("utf-8", "replace")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text(f"# {shlex.join(cmd)}\n{text}")
    return status, text


def describe_status(status: Optional[int], timeout: float) -> str:
    if status is None:
        return f"timed out after {timeout:.0f}s"
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


# ---------------------------------------------------------------------------
# a) GoogleTest binaries


def gtest_list(binary: Path) -> tuple[list[str], str]:
    """Test names `Suite.Test` from --gtest_list_tests, or ([], error)."""
    try:
        r = subprocess.run(
            [str(binary), "--gtest_list_tests"], stdin=subprocess.DEVNULL,
            capture_output=True, timeout=60, cwd=tempfile.gettempdir(),
        )
    except subprocess.TimeoutExpired:
        return [], "--gtest_list_tests timed out"
    if r.returncode != 0:
        out = (r.stdout + r.stderr).decode("utf-8", "replace")
        return [], f"--gtest_list_tests failed ({describe_status(r.returncode, 60)}):\n{out}"
    names, suite = [], ""
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            suite = line.split("#")[0].strip()  # "Suite." [# TypeParam = ...]
        else:
            names.append(suite + line.split("#")[0].strip())
    return names, ""


def gtest_section(output: str, test: str) -> str:
    """The part of gtest's console output between [ RUN ] and the result."""
    start = output.find(f"[ RUN      ] {test}\n")
    if start < 0:
        return ""
    end_marks = [output.find(m, start) for m in (f"[  FAILED  ] {test} ", f"[       OK ] {test} ")]
    ends = [e for e in end_marks if e >= 0]
    end = output.find("\n", min(ends)) if ends else -1
    return output[start : end if end >= 0 else len(output)]


def unfinished_test(output: str) -> str:
    """The test gtest started last but never finished (where it crashed)."""
    started = re.findall(r"^\[ RUN      \] (\S+)$", output, re.M)
    if not started:
        return ""
    last = started[-1]
    finished = re.search(rf"^\[ +(OK|FAILED|SKIPPED) +\] {re.escape(last)} \(", output, re.M)
    return "" if finished else last


def host_binary_job(opts: Options, binary: Path) -> Job:
    tests, list_error = gtest_list(binary)
    prefix = f"host/{binary.name}"

    def run() -> list[CaseResult]:
        if list_error:
            return [CaseResult(prefix, "FAIL", 0.0, list_error)]
        if not tests:
            return [CaseResult(prefix, "FAIL", 0.0, "the binary contains no tests")] if opts.selected(prefix) else []
        chosen = [t for t in tests if opts.selected(f"{prefix}/{t}")]
        if not chosen:
            return []
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="mica-gtest-") as tmp:
            json_path = Path(tmp) / "result.json"
            cmd = [str(binary), f"--gtest_output=json:{json_path}"]
            if len(chosen) != len(tests):
                cmd.append("--gtest_filter=" + ":".join(chosen))
            env = dict(os.environ)
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
            # Run from an unrelated directory: tests must not depend on cwd.
            status, output = run_process(cmd, HOST_TEST_TIMEOUT * opts.timeout_scale,
                                         opts.log_path(prefix), cwd=tmp, env=env)
            report = None
            if json_path.is_file():
                try:
                    report = json.loads(json_path.read_text())
                except (OSError, ValueError):
                    report = None
        elapsed = time.monotonic() - start
        log_note = f"output: {opts.log_path(prefix)}"
        if report is None:
            why = describe_status(status, HOST_TEST_TIMEOUT * opts.timeout_scale)
            if running := unfinished_test(output):
                why += f" during {running}"
            return [CaseResult(prefix, "FAIL", elapsed,
                               f"{why}; it wrote no JSON report. {log_note}\n{indent(output)}")]
        results = []
        any_failed = False
        for suite in report.get("testsuites", []):
            for case in suite.get("testsuite", []):
                name = f"{suite.get('name', '?')}.{case.get('name', '?')}"
                secs = float(str(case.get("time", "0s")).rstrip("s") or 0)
                failures = case.get("failures", [])
                if failures:
                    any_failed = True
                    msgs = "\n".join(f.get("failure", "") for f in failures)
                    section = gtest_section(output, name)
                    detail = msgs + ("\n" + indent(section) if section else "") + f"\n{log_note}"
                    results.append(CaseResult(f"{prefix}/{name}", "FAIL", secs, detail))
                elif case.get("result") in ("SKIPPED", "SUPPRESSED") or case.get("status") == "NOTRUN":
                    results.append(CaseResult(f"{prefix}/{name}", "SKIP", secs,
                                              f"gtest reports {case.get('result', 'NOTRUN')}"))
                else:
                    results.append(CaseResult(f"{prefix}/{name}", "PASS", secs))
        seen = {r.name for r in results}
        for t in chosen:
            if f"{prefix}/{t}" not in seen:
                any_failed = True
                results.append(CaseResult(f"{prefix}/{t}", "FAIL", 0.0, f"listed but absent from the JSON report. {log_note}"))
        if status != 0 and not any_failed:
            # All tests passed but the binary failed, e.g. LeakSanitizer at exit.
            why = describe_status(status, HOST_TEST_TIMEOUT * opts.timeout_scale)
            results.append(CaseResult(prefix, "FAIL", elapsed, f"{why} although every test passed. {log_note}\n{indent(output[-20000:])}"))
        return results

    names = [f"{prefix}/{t}" for t in tests] if not list_error else [prefix]
    return Job(names, run)


def host_jobs(opts: Options) -> list[Job]:
    directory = opts.paths.out / "host_tests"
    binaries = executables(directory)
    if not binaries:
        if not opts.selected("host"):
            return []
        msg = f"no GoogleTest binaries in {directory}: run ./mica build"
        return [Job(["host"], lambda: [CaseResult("host", "FAIL", 0.0, msg)])]
    return [host_binary_job(opts, b) for b in binaries]


# ---------------------------------------------------------------------------
# b) fuzzers


def fuzz_corpus_dirs(fuzzer: Path) -> tuple[list[str], str]:
    listing = fuzzer.parent / f"{fuzzer.name}.corpus"
    if not listing.is_file():
        return [], ""
    dirs = [line.strip() for line in listing.read_text().splitlines()]
    dirs = [d for d in dirs if d and not d.startswith("#")]
    missing = [d for d in dirs if not Path(d).is_dir()]
    if missing:
        return [], f"{listing} names missing corpus directories: {', '.join(missing)}"
    return dirs, ""


def fuzz_job(opts: Options, fuzzer: Path) -> Job:
    name = f"fuzz/{fuzzer.name}"

    def run() -> list[CaseResult]:
        start = time.monotonic()
        corpus, error = fuzz_corpus_dirs(fuzzer)
        if error:
            return [CaseResult(name, "FAIL", 0.0, error)]
        artifacts = opts.logs / "fuzz" / f"{fuzzer.name}-artifacts"
        shutil.rmtree(artifacts, ignore_errors=True)  # only this run's reproducers
        artifacts.mkdir(parents=True, exist_ok=True)
        secs = opts.fuzz_seconds
        with tempfile.TemporaryDirectory(prefix="mica-fuzz-") as new_inputs:
            cmd = [str(fuzzer), f"-max_total_time={secs}", "-timeout=10", "-rss_limit_mb=2048",
                   f"-artifact_prefix={artifacts}/", new_inputs, *corpus]
            limit = secs + 120.0 * opts.timeout_scale  # corpus loading, final stats
            status, output = run_process(cmd, limit, opts.log_path(name), cwd=new_inputs)
        elapsed = time.monotonic() - start
        if status == 0:
            with contextlib.suppress(OSError):
                artifacts.rmdir()  # empty unless libFuzzer wrote something
            return [CaseResult(name, "PASS", elapsed)]
        tail = "\n".join(output.rstrip("\n").split("\n")[-80:])
        found = sorted(str(p) for p in artifacts.iterdir())
        detail = (f"{describe_status(status, limit)}; full output: {opts.log_path(name)}\n"
                  + (f"reproducers: {' '.join(found)}\n" if found else "") + indent(tail))
        return [CaseResult(name, "FAIL", elapsed, detail)]

    return Job([name], run)


def fuzz_jobs(opts: Options) -> list[Job]:
    directory = opts.paths.out / "fuzzers"
    fuzzers = executables(directory)
    if not fuzzers:
        if not opts.selected("fuzz"):
            return []
        msg = f"no fuzzers in {directory}: run ./mica build"
        return [Job(["fuzz"], lambda: [CaseResult("fuzz", "FAIL", 0.0, msg)])]
    return [fuzz_job(opts, f) for f in fuzzers if opts.selected(f"fuzz/{f.name}")]


# ---------------------------------------------------------------------------
# c) boot matrix and d) in-kernel tests


class BootChecker(Checker):
    """Passes on a ready line whose CPU count and RAM fit the configuration."""

    def __init__(self, cpus: int, mem_mib: int, pattern: Optional[re.Pattern] = None):
        self.cpus, self.mem_mib, self.pattern = cpus, mem_mib, pattern

    def feed(self, line: str) -> Optional[Verdict]:
        if PANIC_MARK in line:
            return Verdict(False, f"kernel panic: {line.strip()}")
        if self.pattern is not None:  # debug aid: --pattern replaces the check
            return Verdict(True, f"pattern seen: {line.strip()}") if self.pattern.search(line) else None
        m = READY_RE.search(line)
        if not m:
            return None
        cpus, ram = int(m.group(1)), int(m.group(2))
        if cpus != self.cpus:
            return Verdict(False, f"ready line reports cpus={cpus}, but the machine has {self.cpus}")
        if not 0 < ram <= self.mem_mib:
            return Verdict(False, f"ready line reports ram={ram}MiB, outside (0, {self.mem_mib}] MiB")
        return Verdict(True, f"ready: cpus={cpus} ram={ram}MiB")

    def finish(self, why: str) -> Verdict:
        return Verdict(False, f"{why}; no 'mica: kernel ready' line")


@dataclasses.dataclass
class KtestLine:
    name: str
    passed: bool
    reason: str
    seconds: float
    output: list[str]  # console lines printed since the previous result


class LineProtocolChecker(Checker):
    """Collects `<prefix>: PASS/FAIL` lines until `<prefix>: done`.

    With `program`, the suite is a user program: the case ends only when
    userboot reports `userboot: <program> exited with status N`
    (which also ends it early, without a done line, if the program died)."""

    def __init__(self, prefix: str, program: Optional[str] = None,
                 no_tests: str = "the suite ran no tests"):
        self.prefix, self.program, self.no_tests = prefix, program, no_tests
        p = re.escape(prefix)
        self.start_re = re.compile(rf"{p}: start (\d+)")
        self.pass_re = re.compile(rf"{p}: PASS (\S+)(?: \((\d+) us\))?")
        self.fail_re = re.compile(rf"{p}: FAIL (\S+)(.*)$")
        self.done_re = re.compile(rf"{p}: done passed=(\d+) failed=(\d+)")
        self.results: list[KtestLine] = []
        self.done: Optional[tuple[int, int]] = None
        self.exit_status: Optional[int] = None  # from the launcher's line
        self.panic = ""
        self.announced: Optional[int] = None  # from the optional `<prefix>: start <N>`
        self._since: list[str] = []
        self._last = time.monotonic()

    def _add(self, name: str, passed: bool, reason: str, kernel_us: Optional[str] = None) -> None:
        # The kernel's own measurement when it gives one, else the host time
        # since the previous result line.
        now = time.monotonic()
        secs = int(kernel_us) / 1e6 if kernel_us else now - self._last
        self.results.append(KtestLine(name, passed, reason, secs, self._since))
        self._since, self._last = [], now

    def feed(self, line: str) -> Optional[Verdict]:
        if PANIC_MARK in line:
            self.panic = line.strip()
            return Verdict(False, f"kernel panic: {self.panic}")
        m = USERBOOT_EXIT_RE.search(line) if self.program else None
        if m and m.group(1) == self.program:
            self.exit_status = int(m.group(2))
            if self.done is None:
                return Verdict(False, f"{self.program} exited with status {self.exit_status} "
                                      f"before '{self.prefix}: done'")
            return Verdict(True, f"{self.program} exited with status {self.exit_status}")
        if m := self.start_re.search(line):
            self.announced = int(m.group(1))
        elif m := self.pass_re.search(line):
            self._add(m.group(1), True, "", m.group(2))
        elif m := self.fail_re.search(line):
            self._add(m.group(1).rstrip(":"), False, m.group(2).lstrip(":").strip())
        elif m := self.done_re.search(line):
            self.done = (int(m.group(1)), int(m.group(2)))
            if self.program is None:
                return Verdict(True, f"{self.prefix}: done")
        else:
            self._since.append(line)
        return None

    def finish(self, why: str) -> Verdict:
        if self.done is None:
            return Verdict(False, f"{why}; no '{self.prefix}: done' line")
        return Verdict(False, f"{why}; no 'userboot: {self.program} exited with status' line")


class KtestChecker(LineProtocolChecker):
    """In-kernel tests (kernel.test=all): `ktest: ...` lines."""

    def __init__(self):
        super().__init__("ktest", no_tests="the kernel ran no tests (kernel.test=all should run every ktest)")


class CoreTestsChecker(LineProtocolChecker):
    """The syscall conformance suite, bin/core-tests started by userboot."""

    def __init__(self):
        super().__init__("core-tests", program=CORE_TESTS_PROGRAM)


class SyscallFuzzChecker(LineProtocolChecker):
    """bin/syscall-fuzz: each seed of random system calls is a case."""

    def __init__(self):
        super().__init__("syscall-fuzz", program=SYSCALL_FUZZ_PROGRAM)


class AdversaryChecker(LineProtocolChecker):
    """bin/adversary: each adversarial scenario is a case."""

    def __init__(self):
        super().__init__("adversary", program=ADVERSARY_PROGRAM)


class AsyncTestChecker(LineProtocolChecker):
    """mica::async::Loop's tests (system/ulib/async/test), bin/async-test."""

    def __init__(self):
        super().__init__("async-test", program=ASYNC_TEST_PROGRAM)


class CrashChecker(Checker):
    """A deliberate kernel crash (kernel.crash=...): passes when the panic
    report contains every expected line, in any order, by its final
    `halted` line. Proves the fault report a kernel hacker relies on."""

    linger_after_failure = 0.5

    def __init__(self, expected: list[str]):
        self.expected = [re.compile(e) for e in expected]
        self.seen = [False] * len(expected)
        self.in_panic = False

    def feed(self, line: str) -> Optional[Verdict]:
        if PANIC_MARK in line:
            self.in_panic = True
        for i, rx in enumerate(self.expected):
            if rx.search(line):
                self.seen[i] = True
        if self.in_panic and re.search(r"\] halted$", line.rstrip()):
            missing = [rx.pattern for rx, ok in zip(self.expected, self.seen) if not ok]
            if missing:
                return Verdict(False, "the panic report lacks: " + "; ".join(missing))
            return Verdict(True, "panic report complete")
        return None

    def finish(self, why: str) -> Verdict:
        if not self.in_panic:
            return Verdict(False, f"{why}; the kernel did not panic")
        return Verdict(False, f"{why}; the panic report never reached 'halted'")


class UserbootChecker(Checker):
    """userboot's handling of a command line (userboot/<case>): passes when
    every expected line has appeared by the time the kernel reports
    `userboot: ended with status <S>` with the expected S, and no line
    matched a forbidden pattern. A kernel panic fails at once."""

    def __init__(self, expected: list[str], status: int, forbidden: tuple[str, ...] = ()):
        self.expected = [re.compile(e) for e in expected]
        self.forbidden = [re.compile(f) for f in forbidden]
        self.status = status
        self.seen = [False] * len(expected)
        self.bad: list[str] = []

    def feed(self, line: str) -> Optional[Verdict]:
        if PANIC_MARK in line:
            return Verdict(False, f"kernel panic: {line.strip()}")
        for i, rx in enumerate(self.expected):
            if rx.search(line):
                self.seen[i] = True
        self.bad += [line.strip() for rx in self.forbidden if rx.search(line)]
        m = USERBOOT_END_RE.search(line)
        if not m:
            return None
        missing = [rx.pattern for rx, ok in zip(self.expected, self.seen) if not ok]
        if missing:
            return Verdict(False, "missing lines: " + "; ".join(missing))
        if self.bad:
            return Verdict(False, "unexpected lines: " + "; ".join(self.bad))
        if int(m.group(1)) != self.status:
            return Verdict(False, f"userboot ended with status {m.group(1)}, not {self.status}")
        return Verdict(True, f"userboot ended with status {self.status}")

    def finish(self, why: str) -> Verdict:
        return Verdict(False, f"{why}; no 'userboot: ended with status' line from the kernel")


# userboot's command line handling: (name, kernel command line, expected
# lines, userboot's exit status, forbidden lines). userboot's own lines come
# through the debug log as `userboot(<koid>): userboot: ...`.
_UB = r"userboot\(\d+\): userboot: "
USERBOOT_CASES = [
    ("userboot/virt-gic3-smp2-default-program", "", [
        r"hello\(\d+\): hello from user space",
        _UB + r"bin/hello exited with status 0",
    ], 0, ()),
    ("userboot/virt-gic3-smp2-arguments", "userboot.next=bin/runtime-test userboot.arg=one userboot.arg=two", [
        r"runtime-test\(\d+\): runtime-test: argv\[0\] = \"bin/runtime-test\"$",
        r"runtime-test\(\d+\): runtime-test: argv\[1\] = \"one\"$",
        r"runtime-test\(\d+\): runtime-test: argv\[2\] = \"two\"$",
        _UB + r"bin/runtime-test exited with status 0",
    ], 0, ()),
    # The loader: copy-on-write clones of the bootfs file, copies, and what
    # every instance of a program must see (system/core/userboot/test).
    ("userboot/virt-gic3-smp2-loader", "userboot.next=bin/loader-test", [
        r"loader-test\(\d+\): loader-test: copies-cloned-from-the-bootfs: ok$",
        r"loader-test\(\d+\): loader-test: bootfs-file-unchanged: ok$",
        r"loader-test\(\d+\): loader-test: 6 passed, 0 failed$",
        _UB + r"bin/loader-test exited with status 0",
    ], 0, (r"FAILED",)),
    ("userboot/virt-gic3-smp2-missing-program", "userboot.next=bin/no-such-program", [
        _UB + r"cannot start bin/no-such-program: no such file in the bootfs",
    ], 1, (r"exited with status",)),
    ("userboot/virt-gic3-smp2-not-an-elf", "userboot.next=test/hello.txt", [
        _UB + r"cannot start test/hello.txt: elf: ",
    ], 1, (r"exited with status",)),
    ("userboot/virt-gic3-smp2-truncated-elf", "userboot.next=test/truncated-elf", [
        _UB + r"cannot start test/truncated-elf: elf: ",
    ], 1, (r"exited with status",)),
    ("userboot/virt-gic3-smp2-empty-next", "userboot.next=", [
        _UB + r"bad command line: userboot.next= is empty",
    ], 1, (r"exited with status",)),
]


def userboot_job(opts: Options, name: str, append: str, expected: list[str], status: int,
                 forbidden: tuple[str, ...]) -> Job:
    def run() -> list[CaseResult]:
        config = BootConfig(board="virt", smp=2, gic=3, append=append)
        problem = "\n".join(qemu.missing_files(config, opts.paths))
        if problem:
            return [CaseResult(name, "FAIL", 0.0, problem)]
        cmd = qemu.qemu_command(config, opts.paths)
        timeout = BASE_TIMEOUT * opts.timeout_scale
        r = qemu.run_case(cmd, UserbootChecker(expected, status, forbidden), timeout,
                          opts.log_path(name), opts.abort)
        if r.verdict.passed:
            return [CaseResult(name, "PASS", r.seconds)]
        return [CaseResult(name, "FAIL", r.seconds, qemu_failure_detail(r.verdict.reason, r.log_path))]

    return Job([name], run)


BENCH_SMOKE = "bench/virt-gic3-smp1-smoke"
BENCH_GOALS = "bench/virt-gic3-smp1-goals"


def bench_smoke_job(opts: Options) -> Job:
    """A short run of bin/bench under the benchmark's QEMU flags
    (test/bench/bench.py, docs/performance.md): every result line appears
    and is positive (BENCH_SMOKE). The same run's figures are checked
    against the M3 goals (BENCH_GOALS, bench.GOALS). icount makes them
    repeat exactly; the short run gives `./mica bench`'s figures for the
    per-call operations and one about 1 % higher for process creation
    (one operation instead of a hundred), far inside its goal."""

    def run() -> list[CaseResult]:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
        import bench  # noqa: E402  (test/bench/bench.py)

        cmd = bench.mica_command(opts.paths.out, opts.paths.cache, 1, ["iters=100", "runs=1"])
        checker = bench.BenchChecker(bench.MICA_NAMES)
        r = qemu.run_case(cmd, checker, BASE_TIMEOUT * opts.timeout_scale, opts.log_path(BENCH_SMOKE),
                          opts.abort)
        if not r.verdict.passed:
            detail = qemu_failure_detail(r.verdict.reason, r.log_path)
            return [CaseResult(BENCH_SMOKE, "FAIL", r.seconds, detail),
                    CaseResult(BENCH_GOALS, "FAIL", 0.0, "no figures: the smoke run failed")]
        results = [CaseResult(BENCH_SMOKE, "PASS", r.seconds)]
        missed = bench.goal_failures(checker.values)
        if missed:
            results.append(CaseResult(BENCH_GOALS, "FAIL", 0.0, "; ".join(missed) + f" (log: {r.log_path})"))
        else:
            results.append(CaseResult(BENCH_GOALS, "PASS", 0.0))
        return results

    return Job([BENCH_SMOKE, BENCH_GOALS], run)


@dataclasses.dataclass(frozen=True)
class QemuCase:
    name: str  # boot/<config> or ktest/<config>
    config: BootConfig
    timeout_factor: float
    firmware_dtb: bool = False  # needs the devicetree engineer's fixture


def boot_cases(paths: Paths) -> list[QemuCase]:
    """A covering set of the boot matrix (not the full product): each GIC
    version, CPU counts 1/2/4/8, four CPU models, 512M..8G, EL1 and EL2
    entry, every boot flow. Names spell out what differs."""

    def virt(smp, gic, cpu, mem, el2=False, uboot=False, factor=1.0):
        short = {"cortex-a53": "a53", "cortex-a57": "a57", "cortex-a72": "a72", "max": "max"}[cpu]
        cfg = BootConfig(board="virt", smp=smp, gic=gic, cpu=cpu, mem_mib=qemu.parse_mem_mib(mem),
                         el2=el2, uboot=uboot)
        flow = ("uboot-" if uboot else "") + ("el2-" if el2 else "")
        return QemuCase(f"boot/virt-{flow}gic{gic}-smp{smp}-{short}-{mem}", cfg, factor)

    return [
        virt(4, 3, "cortex-a72", "2G"),  # what `./mica run` boots
        virt(4, 2, "cortex-a72", "2G"),
        virt(1, 3, "cortex-a53", "512M"),
        virt(1, 2, "cortex-a72", "512M"),
        virt(2, 2, "cortex-a53", "4G"),
        virt(2, 3, "cortex-a72", "4G"),
        virt(4, 3, "cortex-a57", "1G"),
        virt(8, 3, "max", "8G", factor=1.5),
        virt(4, 3, "cortex-a72", "2G", el2=True),
        virt(2, 2, "cortex-a53", "1G", el2=True),
        virt(4, 3, "cortex-a72", "2G", uboot=True, factor=2.0),
        virt(2, 2, "cortex-a53", "1G", el2=True, uboot=True, factor=2.0),
        QemuCase("boot/rpi4-kernel-upstream-dtb", BootConfig(board="rpi4"), 1.5),
        QemuCase("boot/rpi4-kernel-firmware-dtb",
                 BootConfig(board="rpi4", dtb=paths.rpi4_firmware_dtb), 1.5, firmware_dtb=True),
        QemuCase("boot/rpi4-uboot-sdcard", BootConfig(board="rpi4", uboot=True), 3.0),
    ]


def core_cases() -> list[QemuCase]:
    """bin/core-tests, started by userboot (userboot.next=)."""
    run = f"userboot.next={CORE_TESTS_PROGRAM}"
    return [
        # virt with 1 and 4 CPUs on both GIC versions, and raspi4b (GIC-400,
        # 4 CPUs). The 4-CPU boards run 4 vCPU threads on this 2-core host.
        QemuCase("core/virt-gic3-smp4", BootConfig(board="virt", smp=4, gic=3, append=run), 2.0),
        QemuCase("core/virt-gic2-smp4", BootConfig(board="virt", smp=4, gic=2, append=run), 2.0),
        QemuCase("core/virt-gic3-smp1", BootConfig(board="virt", smp=1, gic=3, append=run), 2.0),
        QemuCase("core/virt-gic2-smp1", BootConfig(board="virt", smp=1, gic=2, append=run), 2.0),
        # -cpu max: PAN is on, so every user copy must go through LDTR/STTR.
        QemuCase("core/virt-gic3-smp2-max", BootConfig(board="virt", smp=2, gic=3, cpu="max", append=run), 3.0),
        QemuCase("core/rpi4", BootConfig(board="rpi4", append=run), 2.0),
    ]


def syscall_fuzz_cases() -> list[QemuCase]:
    """bin/syscall-fuzz: random calls from an unprivileged process, on 4 CPUs
    (concurrent misuse) and on 1 CPU; and its leak check shown to see a
    small leak."""
    run = f"userboot.next={SYSCALL_FUZZ_PROGRAM}"
    return [
        QemuCase("syscall-fuzz/virt-gic3-smp4", BootConfig(board="virt", smp=4, gic=3, append=run), 3.0),
        QemuCase("syscall-fuzz/virt-gic2-smp1", BootConfig(board="virt", smp=1, gic=2, append=run), 3.0),
        # Each seed in a job with a kernel memory limit it meets: the job's
        # count back to 0 and the kernel's memory to the byte after each.
        QemuCase("syscall-fuzz/virt-gic3-smp4-job-limit",
                 BootConfig(board="virt", smp=4, gic=3, append=f"{run} userboot.arg=--job-limit"), 3.0),
        # The leak check itself: one kept event after seed 1 must fail seed
        # 2's check by exactly its cost (`leak-detected`).
        QemuCase("syscall-fuzz/virt-gic3-smp2-leak",
                 BootConfig(board="virt", smp=2, gic=3, append=f"{run} userboot.arg=--leak-demo"), 2.0),
    ]


def adversary_cases() -> list[QemuCase]:
    """bin/adversary: the adversarial scenarios, unprivileged, on 1 CPU with
    GICv2 and 4 CPUs with GICv3; little RAM, so that exhausting it is quick."""
    run = f"userboot.next={ADVERSARY_PROGRAM}"
    return [
        QemuCase("adversary/virt-gic2-smp1",
                 BootConfig(board="virt", smp=1, gic=2, mem_mib=512, append=run), 3.0),
        QemuCase("adversary/virt-gic3-smp4",
                 BootConfig(board="virt", smp=4, gic=3, mem_mib=1024, append=run), 3.0),
    ]


def failalloc_cases() -> tuple[list[QemuCase], list[QemuCase]]:
    """core-tests and syscall-fuzz under allocation fault injection
    (kernel.failalloc=, docs/testing.md): (core-tests cases, syscall-fuzz
    cases). Each runs with a fixed seed (2 % of the opted-in threads' heap
    and page allocations fail), on 1 CPU/GICv2 and 4 CPUs/GICv3; the suites
    themselves fail unless the kernel injected failures and every call it
    injected into returned MICA_ERR_NO_MEMORY; syscall-fuzz also checks
    memory per seed, and core-tests that no test left a thread or process
    behind."""
    def case(prefix: str, program: str, smp: int, gic: int, spec: str, factor: float) -> QemuCase:
        append = f"userboot.next={program} userboot.arg=failalloc kernel.failalloc={spec}"
        return QemuCase(f"failalloc/{prefix}-virt-gic{gic}-smp{smp}",
                        BootConfig(board="virt", smp=smp, gic=gic, append=append), factor)

    core = [
        case("core", CORE_TESTS_PROGRAM, 1, 2, "random:1:2", 2.0),
        case("core", CORE_TESTS_PROGRAM, 4, 3, "random:2:2", 2.0),
    ]
    fuzz = [
        case("syscall-fuzz", SYSCALL_FUZZ_PROGRAM, 1, 2, "random:3:2", 3.0),
        case("syscall-fuzz", SYSCALL_FUZZ_PROGRAM, 4, 3, "random:4:2", 3.0),
    ]
    return core, fuzz


def async_cases() -> list[QemuCase]:
    """bin/async-test (the async loop library), started like core-tests."""
    run = f"userboot.next={ASYNC_TEST_PROGRAM}"
    return [
        QemuCase("async/virt-gic3-smp4", BootConfig(board="virt", smp=4, gic=3, append=run), 2.0),
        QemuCase("async/virt-gic2-smp1", BootConfig(board="virt", smp=1, gic=2, append=run), 2.0),
        QemuCase("async/rpi4", BootConfig(board="rpi4", append=run), 2.0),
    ]


def ktest_cases() -> list[QemuCase]:
    kt = "kernel.test=all"
    return [
        QemuCase("ktest/virt-gic3-smp4", BootConfig(board="virt", smp=4, gic=3, append=kt), 3.0),
        QemuCase("ktest/virt-gic2-smp1", BootConfig(board="virt", smp=1, gic=2, append=kt), 3.0),
        QemuCase("ktest/rpi4", BootConfig(board="rpi4", append=kt), 3.0),
    ]


# Deliberate crashes and what their reports must contain. The crash runs in
# the boot thread after userboot has started, and by then that thread may
# run on any CPU: the reports name whichever it is.
CRASH_CASES = [
    ("crash/virt-gic3-smp4-null-write", BootConfig(board="virt", smp=4, gic=3, append="kernel.crash=null"), [
        r"KERNEL PANIC on cpu \d: kernel write at 0x0: translation fault",
        r"panic: stopped 3 of 3 other CPUs",
        r"ESR 0x[0-9a-f]+: EC 0x25 \(data abort \(same EL\)\)",
        r"FAR 0x0000000000000000  ELR 0xffffffff",
        r"x28 0x[0-9a-f]{16}  x29 0x[0-9a-f]{16}",
        r"#0 +0x[0-9a-f]+ \(anonymous namespace\)::CrashNullWrite\(\)\+0x",
        r"#1 +0x[0-9a-f]+ CrashForTest\(char const\*\)\+0x",
    ]),
    ("crash/virt-gic2-smp2-stack-overflow", BootConfig(board="virt", smp=2, gic=2, append="kernel.crash=stack"), [
        r"KERNEL PANIC on cpu \d: kernel stack overflow \(access at 0xffffffc0[0-9a-f]+ in the guard",
        r"panic: stopped 1 of 1 other CPUs",
        r"#0 +0x[0-9a-f]+ \(anonymous namespace\)::CrashRecurse\(int\)",
    ]),
    ("crash/rpi4-assert", BootConfig(board="rpi4", append="kernel.crash=assert"), [
        r"KERNEL PANIC on cpu \d: assertion failed at .*crash\.cc:\d+: g_null_address != 0",
        r"panic: stopped 3 of 3 other CPUs",
        r"#\d+ +0x[0-9a-f]+ CrashForTest\(char const\*\)\+0x",
    ]),
]


def crash_job(opts: Options, name: str, config: BootConfig, expected: list[str]) -> Job:
    def run() -> list[CaseResult]:
        problem = "\n".join(qemu.missing_files(config, opts.paths))
        if problem:
            return [CaseResult(name, "FAIL", 0.0, problem)]
        cmd = qemu.qemu_command(config, opts.paths)
        timeout = BASE_TIMEOUT * 1.5 * opts.timeout_scale
        r = qemu.run_case(cmd, CrashChecker(expected), timeout, opts.log_path(name), opts.abort)
        if r.verdict.passed:
            return [CaseResult(name, "PASS", r.seconds)]
        return [CaseResult(name, "FAIL", r.seconds, qemu_failure_detail(r.verdict.reason, r.log_path))]

    return Job([name], run)


def preflight(opts: Options, case: QemuCase) -> str:
    """Why a case cannot boot at all (missing files), or ''."""
    if case.firmware_dtb and not opts.paths.rpi4_firmware_dtb.is_file():
        return (f"the firmware-style DTB {opts.paths.rpi4_firmware_dtb} does not exist: it is built "
                "by //devicetree (./mica build); without it this boot flow is untested")
    return "\n".join(qemu.missing_files(case.config, opts.paths))


def qemu_failure_detail(reason: str, log: Path) -> str:
    return f"{reason}\nserial log ({log}):\n{indent(read_log(log))}"


def boot_job(opts: Options, case: QemuCase) -> Job:
    def run() -> list[CaseResult]:
        problem = preflight(opts, case)
        if problem:
            return [CaseResult(case.name, "FAIL", 0.0, problem)]
        cmd = qemu.qemu_command(case.config, opts.paths)
        checker = BootChecker(case.config.cpus, case.config.memory_mib, opts.pattern)
        timeout = BASE_TIMEOUT * case.timeout_factor * opts.timeout_scale
        r = qemu.run_case(cmd, checker, timeout, opts.log_path(case.name), opts.abort)
        if r.verdict.passed:
            return [CaseResult(case.name, "PASS", r.seconds)]
        return [CaseResult(case.name, "FAIL", r.seconds, qemu_failure_detail(r.verdict.reason, r.log_path))]

    return Job([case.name], run)


def suite_job(opts: Options, case: QemuCase, make_checker: Callable[[], LineProtocolChecker]) -> Job:
    """A boot that runs an in-target suite: one case per result line, plus
    the configuration's own case for the suite as a whole."""
    def run() -> list[CaseResult]:
        problem = preflight(opts, case)
        if problem:
            return [CaseResult(case.name, "FAIL", 0.0, problem)]
        cmd = qemu.qemu_command(case.config, opts.paths)
        checker = make_checker()
        timeout = BASE_TIMEOUT * case.timeout_factor * opts.timeout_scale
        r = qemu.run_case(cmd, checker, timeout, opts.log_path(case.name), opts.abort)
        results = []
        for k in checker.results:
            name = f"{case.name}/{k.name}"
            if not opts.selected(name):
                continue
            if k.passed:
                results.append(CaseResult(name, "PASS", k.seconds))
            else:
                out = ("\n" + indent("\n".join(k.output))) if k.output else ""
                results.append(CaseResult(name, "FAIL", k.seconds,
                                          f"{k.reason or 'failed'}{out}\nserial log: {r.log_path}"))
        problem = suite_summary_problem(checker, r.verdict)
        if problem:
            results.append(CaseResult(case.name, "FAIL", r.seconds, qemu_failure_detail(problem, r.log_path)))
        else:
            results.append(CaseResult(case.name, "PASS", r.seconds))
        return results

    return Job([case.name], run)


def suite_summary_problem(checker: LineProtocolChecker, verdict: Verdict) -> str:
    """What is wrong with the suite as a whole, or ''."""
    prefix = checker.prefix
    if checker.done is None:
        return verdict.reason
    passed = sum(1 for k in checker.results if k.passed)
    failed = len(checker.results) - passed
    if checker.done != (passed, failed):
        return (f"'{prefix}: done passed={checker.done[0]} failed={checker.done[1]}' disagrees with the "
                f"{passed} PASS and {failed} FAIL lines seen")
    if checker.announced is not None and checker.announced != passed + failed:
        return f"'{prefix}: start {checker.announced}' announced {checker.announced} tests, {passed + failed} reported"
    if passed + failed == 0:
        return checker.no_tests
    if checker.program is not None:
        if checker.exit_status is None:
            return verdict.reason
        if checker.exit_status != 0:
            return f"{checker.program} exited with status {checker.exit_status}, not 0"
    return ""


def ktest_summary_problem(checker: LineProtocolChecker, verdict: Verdict) -> str:
    return suite_summary_problem(checker, verdict)


def suite_selected(opts: Options, name: str, all_names: list[str], family: str) -> bool:
    """Whether to boot a suite configuration (`family` is ktest or core):
    its own name matches, or the filter aims at its tests (whose names are
    only known after booting)."""
    if opts.filter is None or opts.selected(name):
        return True
    text = opts.filter_text
    if text.startswith(name + "/"):
        return True
    aims_elsewhere = any(text.startswith(n) for n in all_names)
    if family == "ktest":
        mentioned = "ktest" in text
    else:
        # "core" alone also occurs in other names (host/kernel_object_core_test).
        mentioned = f"{family}/" in text or text.lstrip("^").startswith(family)
    return mentioned and not aims_elsewhere


def ktest_selected(opts: Options, name: str, all_names: list[str]) -> bool:
    return suite_selected(opts, name, all_names, "ktest")


def qemu_jobs(opts: Options) -> list[Job]:
    jobs = [boot_job(opts, c) for c in boot_cases(opts.paths) if opts.selected(c.name)]
    def suite_jobs(cases, checker, prefix, names=None):
        """The selected cases of one in-target suite, each checked by `checker`
        (`names`: every case name under `prefix`, if the suite has more lists)."""
        names = names if names is not None else [c.name for c in cases]
        return [suite_job(opts, c, checker) for c in cases
                if suite_selected(opts, c.name, names, prefix)]

    jobs += suite_jobs(ktest_cases(), KtestChecker, "ktest")
    jobs += suite_jobs(core_cases(), CoreTestsChecker, "core")
    jobs += suite_jobs(async_cases(), AsyncTestChecker, "async")
    jobs += [userboot_job(opts, *case) for case in USERBOOT_CASES if opts.selected(case[0])]
    jobs += suite_jobs(syscall_fuzz_cases(), SyscallFuzzChecker, "syscall-fuzz")
    fa_core, fa_fuzz = failalloc_cases()
    fanames = [c.name for c in fa_core + fa_fuzz]
    jobs += suite_jobs(fa_core, CoreTestsChecker, "failalloc", fanames)
    jobs += suite_jobs(fa_fuzz, SyscallFuzzChecker, "failalloc", fanames)
    jobs += suite_jobs(adversary_cases(), AdversaryChecker, "adversary")
    jobs += [crash_job(opts, n, c, e) for n, c, e in CRASH_CASES if opts.selected(n)]
    if opts.selected(BENCH_SMOKE) or opts.selected(BENCH_GOALS):
        jobs.append(bench_smoke_job(opts))
    return jobs


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
    """Runs jobs on --jobs workers, reporting in submission order."""
    if not jobs:
        return
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs)
    try:
        futures = [pool.submit(job.run) for job in jobs]
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
    p.add_argument("--fuzz-time", type=int, default=20, help=argparse.SUPPRESS)
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
