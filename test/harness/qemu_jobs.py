"""`./mica test`'s QEMU phases: the jobs that boot each case of cases.py and
judge it with a checker of checks.py, and which of them a --filter
selects."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import qemu
from cases import (BENCH_GOALS, BENCH_SMOKE, CRASH_CASES, POWER_CASES, USERBOOT_CASES, QemuCase,
                   VIRTIO_IMAGE_BYTES, adversary_cases, async_cases, boot_cases, core_cases,
                   failalloc_cases, idl_cases, ktest_cases, syscall_fuzz_cases, virtio_cases)
from checks import (AdversaryChecker, AsyncTestChecker, BootChecker, CoreTestsChecker, CrashChecker,
                    IdlTestChecker, KtestChecker, LineProtocolChecker, PowerChecker, SyscallFuzzChecker,
                    UserbootChecker,
                    suite_summary_problem)
from common import BASE_TIMEOUT, CaseResult, Job, Options, indent, read_log
from blockbench_cases import blockbench_jobs
from driver_cases import DriverCase, driver_cases
from service_cases import service_cases
from adversary_cases import hostile_driver_cases
from component_cases import component_cases, component_jobs
from console_cases import console_jobs
from power_cases import power_key_jobs
from shell_cases import shell_jobs
from fs_cases import fs_jobs
from storage_cases import storage_jobs
from qemu import BootConfig


def userboot_job(opts: Options, name: str, append: str, expected: list[str], status: int,
                 forbidden: tuple[str, ...], board: str = "virt") -> Job:
    def run() -> list[CaseResult]:
        if board == "virt":
            config = BootConfig(board="virt", smp=2, gic=3, append=append)
        else:
            config = BootConfig(board=board, append=append)
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


def driver_job(opts: Options, case: DriverCase) -> Job:
    """A driver manager boot (driver_cases.py): judged like a userboot case
    whose program must exit with status 0."""
    def run() -> list[CaseResult]:
        problem = "\n".join(qemu.missing_files(case.config, opts.paths))
        if problem:
            return [CaseResult(case.name, "FAIL", 0.0, problem)]
        extra = case.extra
        image = opts.paths.out / "test-images" / case.image if case.image else None
        if image is not None:
            # The disk the virtio-blk driver serves (driver_cases.py): the
            # host pattern, checked byte by byte after the boot.
            image.parent.mkdir(parents=True, exist_ok=True)
            image.write_bytes(bytes(_virtio_host_byte(i) for i in range(VIRTIO_IMAGE_BYTES)))
            extra = tuple(a.replace("{image}", str(image)) for a in extra)
        cmd = qemu.qemu_command(case.config, opts.paths, extra=extra)
        timeout = BASE_TIMEOUT * case.timeout_factor * opts.timeout_scale
        r = qemu.run_case(cmd, UserbootChecker(case.expected, 0, case.forbidden), timeout,
                          opts.log_path(case.name), opts.abort)
        # A case's own check of the whole log (driver_cases.py: counts,
        # koids, memory readings), after the line checks passed.
        problem = case.post(r.log_path.read_text(errors="replace")) if r.verdict.passed and case.post else ""
        if r.verdict.passed and not problem:
            results = [CaseResult(case.name, "PASS", r.seconds)]
        elif problem:
            results = [CaseResult(case.name, "FAIL", r.seconds, qemu_failure_detail(problem, r.log_path))]
        else:
            results = [CaseResult(case.name, "FAIL", r.seconds, qemu_failure_detail(r.verdict.reason, r.log_path))]
        if image is not None:
            results.append(_image_check(f"{case.name}/host-image-check", image))
        return results

    return Job([case.name] + ([f"{case.name}/host-image-check"] if case.image else []), run, case.waits)


def _image_check(name: str, image: Path) -> CaseResult:
    """Every byte of the image: the guest pattern in the first half (what
    the client wrote), the host pattern in the second."""
    data = image.read_bytes()
    half = VIRTIO_IMAGE_BYTES // 2
    bad = [i for i in range(VIRTIO_IMAGE_BYTES)
           if i >= len(data) or data[i] != (_virtio_guest_byte(i) if i < half else _virtio_host_byte(i))]
    if len(data) == VIRTIO_IMAGE_BYTES and not bad:
        return CaseResult(name, "PASS", 0.0)
    first = f"first wrong byte at {bad[0]}" if bad else f"size {len(data)}"
    return CaseResult(name, "FAIL", 0.0, f"{len(bad)} wrong bytes; {first}; image {image}")


def bench_smoke_job(opts: Options) -> Job:
    """A short run of bin/bench under the benchmark's QEMU flags
    (test/bench/bench.py, docs/performance.md): every result line appears
    and is positive (BENCH_SMOKE). The same run's figures are checked
    against the M3 goals (BENCH_GOALS, bench.GOALS). icount makes them
    repeat exactly; 400 iterations give within a few instructions of
    `./mica bench`'s figures for the per-call operations (100 gave the
    channel_call round trip 1,390, on its goal's 1,390.3: the warm-up's
    cost spread over too few calls; 400 give 1,379) and one about 1 %
    higher for process creation (4 operations instead of a hundred), far
    inside its goal."""

    def run() -> list[CaseResult]:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
        import bench  # noqa: E402  (test/bench/bench.py)

        cmd = bench.mica_command(opts.paths.out, opts.paths.cache, 1, ["iters=400", "runs=1"])
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


def power_job(opts: Options, name: str, config: BootConfig, reboot: bool) -> Job:
    def run() -> list[CaseResult]:
        problem = "\n".join(qemu.missing_files(config, opts.paths))
        if problem:
            return [CaseResult(name, "FAIL", 0.0, problem)]
        cmd = qemu.qemu_command(config, opts.paths)
        timeout = BASE_TIMEOUT * (2.0 if reboot else 1.0) * opts.timeout_scale
        r = qemu.run_case(cmd, PowerChecker(reboot), timeout, opts.log_path(name), opts.abort)
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


def _virtio_host_byte(i: int) -> int:
    """Byte i of the image as the host writes it (virtio_test.cc HostByte)."""
    return (i * 7 + (i >> 9)) & 0xff


def _virtio_guest_byte(i: int) -> int:
    """Byte i as bin/virtio-test rewrites the first half (GuestByte)."""
    return ((i * 13 + 5) ^ (i >> 9)) & 0xff


def virtio_job(opts: Options, case: QemuCase, image: Path) -> Job:
    """bin/virtio-test's suite, plus `<case>/host-image-check`: after the
    boot every byte of the block image is what the guest wrote (first half)
    or what the host wrote and the guest only read (second half)."""
    suite = suite_job(opts, case, lambda: LineProtocolChecker("virtio-test", program="bin/virtio-test"))

    def run() -> list[CaseResult]:
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(bytes(_virtio_host_byte(i) for i in range(VIRTIO_IMAGE_BYTES)))
        results = suite.run()
        name = f"{case.name}/host-image-check"
        if opts.selected(name) or opts.selected(case.name):
            data = image.read_bytes()
            half = VIRTIO_IMAGE_BYTES // 2
            bad = [i for i in range(VIRTIO_IMAGE_BYTES)
                   if i >= len(data) or data[i] != (_virtio_guest_byte(i) if i < half else _virtio_host_byte(i))]
            if len(data) == VIRTIO_IMAGE_BYTES and not bad:
                results.append(CaseResult(name, "PASS", 0.0))
            else:
                first = f"first wrong byte at {bad[0]}" if bad else f"size {len(data)}"
                results.append(CaseResult(name, "FAIL", 0.0, f"{len(bad)} wrong bytes; {first}; image {image}"))
        return results

    return Job(suite.names, run)


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
    jobs += suite_jobs(idl_cases(), IdlTestChecker, "idl")
    virtio = virtio_cases(opts.paths)
    vnames = [c.name for c, _ in virtio]
    jobs += [virtio_job(opts, c, image) for c, image in virtio
             if suite_selected(opts, c.name, vnames, "virtio")]
    jobs += [userboot_job(opts, *case) for case in USERBOOT_CASES if opts.selected(case[0])]
    jobs += [driver_job(opts, case) for case in driver_cases() if opts.selected(case.name)]
    jobs += [driver_job(opts, case) for case in service_cases() if opts.selected(case.name)]
    jobs += [driver_job(opts, case) for case in hostile_driver_cases() if opts.selected(case.name)]
    jobs += [driver_job(opts, case) for case in component_cases() if opts.selected(case.name)]
    jobs += component_jobs(opts)
    jobs += console_jobs(opts)
    jobs += power_key_jobs(opts)
    jobs += shell_jobs(opts)
    jobs += fs_jobs(opts)
    jobs += storage_jobs(opts)
    jobs += suite_jobs(syscall_fuzz_cases(), SyscallFuzzChecker, "syscall-fuzz")
    fa_core, fa_fuzz = failalloc_cases()
    fanames = [c.name for c in fa_core + fa_fuzz]
    jobs += suite_jobs(fa_core, CoreTestsChecker, "failalloc", fanames)
    jobs += suite_jobs(fa_fuzz, SyscallFuzzChecker, "failalloc", fanames)
    jobs += suite_jobs(adversary_cases(), AdversaryChecker, "adversary")
    jobs += [crash_job(opts, n, c, e) for n, c, e in CRASH_CASES if opts.selected(n)]
    jobs += [power_job(opts, n, c, r) for n, c, r in POWER_CASES if opts.selected(n)]
    if opts.selected(BENCH_SMOKE) or opts.selected(BENCH_GOALS):
        jobs.append(bench_smoke_job(opts))
    jobs += blockbench_jobs(opts)
    return jobs
