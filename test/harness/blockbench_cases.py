"""Smoke runs of `./mica bench`'s driver boots (test/bench/bench.py,
test/bench/blockbench/blockbench.cc, docs/performance.md), with small
counts under the benchmark's QEMU flags:
  bench/virt-block-smoke     bin/blockbench reads block/0 (the virtio-blk
                             driver): the instruction counter counts a loop
                             of 20,000 instructions exactly, the bytes read
                             are the image's, both per-KiB figures appear
  bench/virt-restart-smoke   the PL031 driver killed and read again: the
                             kill and answer times appear
  bench/virt-restart-goal    that restart within 10 ms of guest time
                             (issue 14 §5)
  bench/virt-boot-prompt     the default boot (bench.py's mica-boot) to the
                             shell's prompt: every phase's line appears,
                             in order
  bench/virt-boot-goal       that boot within 1/20 of lean Linux's boot to
                             /init (issue 15 §5; bench.LINUX_BOOT_TO_INIT)
  bench/virt-lazy-start      bench.py's mica-lazy: the component manager's
                             test tree under the benchmark's flags; the
                             checker passes and gives both lazy start
                             figures (issue 15 §5)
  bench/virt-fs-smoke        bench.py's mica-fs with small counts: the
                             default boot with the fs disk, `run fsbench`
                             at the shell reads the 4 MiB file (checked
                             byte by byte) through the fs service and
                             creates files; every figure appears, and on
                             the host fsck.fat -n finds the disk clean and
                             mtools lists the files it made (issue 16 §4)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import qemu
from common import BASE_TIMEOUT, CaseResult, Job, Options, indent, read_log

BLOCK_SMOKE = "bench/virt-block-smoke"
RESTART_SMOKE = "bench/virt-restart-smoke"
RESTART_GOAL = "bench/virt-restart-goal"
RESTART_GOAL_US = 10000
BOOT_PROMPT = "bench/virt-boot-prompt"
BOOT_GOAL = "bench/virt-boot-goal"
LAZY_START = "bench/virt-lazy-start"
FS_SMOKE = "bench/virt-fs-smoke"
FS_SMOKE_FILES = 20


def _bench():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import bench  # noqa: E402  (test/bench/bench.py)
    return bench


def _failed(name: str, r: qemu.RunResult) -> CaseResult:
    return CaseResult(name, "FAIL", r.seconds, f"{r.verdict.reason}\n{indent(read_log(r.log_path))}")


def block_smoke_job(opts: Options) -> Job:
    def run() -> list[CaseResult]:
        bench = _bench()
        image = bench.block_image(opts.paths.out / "test-images" / "blockbench.img")
        cmd = bench.mica_driver_command(opts.paths.out, opts.paths.cache, "block:10:2:1", [],
                                        bench.block_qemu_flags(image), bench.BLOCK_BOOT_FLAGS)
        r = qemu.run_case(cmd, bench.BenchChecker(bench.BLOCK_NAMES), BASE_TIMEOUT * opts.timeout_scale,
                          opts.log_path(BLOCK_SMOKE), opts.abort)
        return [CaseResult(BLOCK_SMOKE, "PASS", r.seconds) if r.verdict.passed else _failed(BLOCK_SMOKE, r)]

    return Job([BLOCK_SMOKE], run)


def restart_smoke_job(opts: Options) -> Job:
    def run() -> list[CaseResult]:
        bench = _bench()
        cmd = bench.mica_driver_command(opts.paths.out, opts.paths.cache, "restart", [bench.RESTART_KILL], [])
        checker = bench.RestartChecker()
        r = qemu.run_case(cmd, checker, BASE_TIMEOUT * opts.timeout_scale, opts.log_path(RESTART_SMOKE),
                          opts.abort)
        if not r.verdict.passed:
            return [_failed(RESTART_SMOKE, r), CaseResult(RESTART_GOAL, "FAIL", 0.0, "no figure: the smoke run failed")]
        us = checker.values["driver_restart_us"]
        goal = CaseResult(RESTART_GOAL, "PASS", 0.0) if us <= RESTART_GOAL_US else CaseResult(
            RESTART_GOAL, "FAIL", 0.0, f"kill -> answer {us} us > {RESTART_GOAL_US} us (log: {r.log_path})")
        return [CaseResult(RESTART_SMOKE, "PASS", r.seconds), goal]

    return Job([RESTART_SMOKE, RESTART_GOAL], run)


def boot_prompt_job(opts: Options) -> Job:
    def run() -> list[CaseResult]:
        bench = _bench()
        checker = bench.PromptChecker()
        r = qemu.run_case(bench.boot_command(opts.paths.out, opts.paths.cache), checker,
                          BASE_TIMEOUT * opts.timeout_scale, opts.log_path(BOOT_PROMPT), opts.abort)
        if not r.verdict.passed:
            return [_failed(BOOT_PROMPT, r), CaseResult(BOOT_GOAL, "FAIL", 0.0, "no figure: the boot failed")]
        how, met = bench.boot_goal(checker.values["boot_to_prompt"])
        goal = CaseResult(BOOT_GOAL, "PASS", 0.0) if met else CaseResult(
            BOOT_GOAL, "FAIL", 0.0, f"{how} (log: {r.log_path}; phases: ./mica bench)")
        return [CaseResult(BOOT_PROMPT, "PASS", r.seconds), goal]

    return Job([BOOT_PROMPT, BOOT_GOAL], run)


def lazy_start_job(opts: Options) -> Job:
    def run() -> list[CaseResult]:
        bench = _bench()
        r = qemu.run_case(bench.lazy_command(opts.paths.out, opts.paths.cache), bench.LazyChecker(),
                          BASE_TIMEOUT * opts.timeout_scale, opts.log_path(LAZY_START), opts.abort)
        return [CaseResult(LAZY_START, "PASS", r.seconds) if r.verdict.passed else _failed(LAZY_START, r)]

    return Job([LAZY_START], run)


def fs_disk_problems(image: Path, files: int) -> str:
    """What is wrong with the fs smoke's disk after the run: fsck.fat -n's
    complaints, or run0/ not holding `files` files of 100 bytes."""
    env = {"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/sbin:/sbin:/usr/bin:/bin"}
    fsck = subprocess.run(["fsck.fat", "-n", str(image)], capture_output=True, text=True, env=env)
    if fsck.returncode != 0:
        return f"fsck.fat -n {image} (status {fsck.returncode}):\n{indent(fsck.stdout + fsck.stderr)}"
    listing = subprocess.run(["mdir", "-b", "-i", str(image), "::/run0"], capture_output=True, text=True,
                             env=env)
    names = sorted(line.rsplit("/", 1)[-1] for line in listing.stdout.split())
    want = [f"f{i:04d}.txt" for i in range(files)]
    if listing.returncode != 0 or names != want:
        return (f"mdir ::/run0 lists {len(names)} names ({', '.join(names[:5])} ...), want {want[0]} .. "
                f"{want[-1]} ({listing.stderr.strip()})")
    for name in (want[0], want[-1]):
        data = subprocess.run(["mtype", "-i", str(image), f"::/run0/{name}"], capture_output=True, env=env).stdout
        if data != bytes(ord("a") + i % 26 for i in range(100)):
            return f"::/run0/{name} reads {data[:120]!r}"
    return ""


def fs_smoke_job(opts: Options) -> Job:
    def run() -> list[CaseResult]:
        bench = _bench()
        images = opts.paths.out / "test-images"
        copy = images / "fsbench-run.img"
        disk = bench.fs_disk(bench.fs_image(images / "fsbench.img"), copy)
        r = qemu.run_case(bench.fs_command(opts.paths.out, opts.paths.cache, disk),
                          bench.BenchChecker(bench.FS_NAMES), BASE_TIMEOUT * opts.timeout_scale,
                          opts.log_path(FS_SMOKE), opts.abort,
                          bench.fs_inputs(bench.fs_spec(1, random=32, files=FS_SMOKE_FILES)))
        if not r.verdict.passed:
            return [_failed(FS_SMOKE, r)]
        problems = fs_disk_problems(copy, FS_SMOKE_FILES)
        if problems:
            return [CaseResult(FS_SMOKE, "FAIL", r.seconds, f"{problems}\n(log: {r.log_path})")]
        copy.unlink()
        return [CaseResult(FS_SMOKE, "PASS", r.seconds)]

    return Job([FS_SMOKE], run)


def blockbench_jobs(opts: Options) -> list[Job]:
    jobs = []
    if opts.selected(BLOCK_SMOKE):
        jobs.append(block_smoke_job(opts))
    if opts.selected(RESTART_SMOKE) or opts.selected(RESTART_GOAL):
        jobs.append(restart_smoke_job(opts))
    if opts.selected(BOOT_PROMPT) or opts.selected(BOOT_GOAL):
        jobs.append(boot_prompt_job(opts))
    if opts.selected(LAZY_START):
        jobs.append(lazy_start_job(opts))
    if opts.selected(FS_SMOKE):
        jobs.append(fs_smoke_job(opts))
    return jobs
