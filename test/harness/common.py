"""Shared pieces of `./mica test` (run_tests.py): the console lines the
kernel prints, timeouts, a case's result, a job, the parsed options, and
helpers to run a host process and show its log."""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import signal
import subprocess
import threading
from pathlib import Path
from typing import Callable, Optional

import qemu
from qemu import Paths


# The console lines the kernel prints (issue 2 §3, docs/testing.md).
READY_RE = re.compile(r"mica: kernel ready: cpus=(\d+) ram=(\d+)MiB")
PANIC_MARK = "KERNEL PANIC"
# The in-target suites print one line per test, `<prefix>: PASS <name>` or
# `<prefix>: FAIL <name>: <reason>`, then `<prefix>: done passed=P failed=F`
# (LineProtocolChecker). core-tests is a user program started by the
# kernel's launcher, which reports how it ended.
CORE_TESTS_PROGRAM = "bin/core-tests"
ASYNC_TEST_PROGRAM = "bin/async-test"
IDL_TEST_PROGRAM = "bin/idl-test"
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
    # Mostly waiting: a boot whose guest sleeps through timed steps (the
    # fault campaigns' run-ms, typed consoles) and needs a fraction of a
    # CPU. run_jobs runs these beside the others, on a pool of their own.
    waits: bool = False


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
