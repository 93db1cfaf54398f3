"""`./mica test`'s host phases: GoogleTest binaries (host/<binary>/<Suite.Test>)
and libFuzzer targets run for a bounded time (fuzz/<name>)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import (HOST_TEST_TIMEOUT, CaseResult, Job, Options, describe_status, executables,
                    indent, run_process)


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
