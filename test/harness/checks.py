"""Checkers of `./mica test`'s QEMU cases: each reads the serial console line
by line and decides a case (qemu.Checker), plus the verdict on an
in-target suite as a whole."""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Optional

from common import (ADVERSARY_PROGRAM, ASYNC_TEST_PROGRAM, CORE_TESTS_PROGRAM, IDL_TEST_PROGRAM, PANIC_MARK, READY_RE,
                    SYSCALL_FUZZ_PROGRAM, USERBOOT_END_RE, USERBOOT_EXIT_RE)
from qemu import Checker, Verdict


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


class IdlTestChecker(LineProtocolChecker):
    """Generated IDL clients and servers (system/idl/test/target), bin/idl-test."""

    def __init__(self):
        super().__init__("idl-test", program=IDL_TEST_PROGRAM)


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
