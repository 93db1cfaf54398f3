"""The file system service's in-target case (`./mica test --filter fs/`,
docs/storage.md, "The file system service"): the default system boots with
a small FAT16 image (label MICADATA, a HELLO.TXT with random words put
there by mcopy) as a virtio-blk disk, and the harness types at the shell:

A second disk holds a bare FAT volume whose boot sector lost its 55 AA:
the service lists it FAILED with that reason and logs one line naming it.

- `run fs-test read`: bin/fs-test (meta/fs-test.cm, in the root's
  collection `run`, which is offered /data and fs.Mounts) lists fs.Mounts
  (both disks, the same after `Mounts.Rescan`) and /data, finds /boot
  answering NOT_MOUNTED with the broken disk's reason, reads HELLO.TXT and checks the errors of a missing name, "..",
  a file opened as a directory and a write to a file opened read-only;
- `run fs-test write`: writes MICA.TXT (40,000 bytes through two
  connections to the same node), a directory with a long name holding a
  file with a long name, APPEND.TXT (writes with APPEND after a seek to
  0 land at the end), syncs, then writes UNSYNCED.TXT without a sync;
- `ps`, `kill <fs-service>`: the component manager restarts the service
  (on_terminate restart);
- `run fs-test check`: a new client reads MICA.TXT back from the restarted
  service, every byte, finds UNSYNCED.TXT gone, and writes LATE.TXT
  without a sync;
- `stop /fs`: the service syncs on Lifecycle.Stop and exits 0;
- poweroff.

fs/virt/host-check: then, on the host, `fsck.fat -n` finds nothing,
mtype reads back byte-exact what fs-test wrote and synced (LATE.TXT by
the stop), and mdir shows
MICA.TXT stamped this year (the service's clock is the RTC)."""

from __future__ import annotations

import datetime
import os
import random
import shutil
import string
import subprocess
from pathlib import Path

import qemu
from common import BASE_TIMEOUT, CaseResult, Job, Options
from qemu import BootConfig
from shell_cases import _QUIET, _READY, ShellCase, ShellChecker, _ps_line

NAME = "fs/virt"
_CM = r"component-manager\(\d+\): "
_ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1")
IMAGE_KIB = 8192
MICA_SIZE = 40000  # fs_test.cc kMicaSize
LATE_SIZE = 1000  # kLateSize


def pattern_byte(i: int) -> int:
    """fs_test.cc PatternByte."""
    return ord("a") + (i * 7 + i // 331) % 26


def _tool(name: str) -> str:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


def _run(cmd: list[str], data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, input=data, capture_output=True, env=_ENV)


def make_image(image: Path, hello: bytes) -> None:
    image.parent.mkdir(parents=True, exist_ok=True)
    image.unlink(missing_ok=True)
    for cmd, data in (([_tool("mkfs.fat"), "-C", "-F", "16", "-s", "2", "-n", "MICADATA", str(image), str(IMAGE_KIB)], None),
                      ([_tool("mcopy"), "-i", str(image), "-", "::/HELLO.TXT"], hello)):
        r = _run(cmd, data)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {(r.stdout + r.stderr).decode(errors='replace')}")


def make_bad_image(image: Path) -> None:
    """A bare FAT12 volume whose boot sector lost its 55 AA signature."""
    image.parent.mkdir(parents=True, exist_ok=True)
    image.unlink(missing_ok=True)
    r = _run([_tool("mkfs.fat"), "-C", str(image), "1024"])
    if r.returncode != 0:
        raise RuntimeError(f"mkfs.fat: {(r.stdout + r.stderr).decode(errors='replace')}")
    with open(image, "r+b") as f:
        f.seek(510)
        f.write(b"\0\0")


def host_check(image: Path) -> str:
    """What is wrong with the image after the boot ("" if nothing)."""
    r = _run([_tool("fsck.fat"), "-n", str(image)])
    if r.returncode != 0:
        return f"fsck.fat -n exited {r.returncode}: {(r.stdout + r.stderr).decode(errors='replace')}"
    want = bytes(pattern_byte(i) for i in range(MICA_SIZE))
    for path, expected in (("MICA.TXT", want), ("Sub Dir/A long name.txt", want[:100]),
                           ("LATE.TXT", want[:LATE_SIZE]), ("APPEND.TXT", b"abcd")):
        r = _run([_tool("mtype"), "-i", str(image), f"::/{path}"])
        if r.returncode != 0:
            return f"mtype {path}: {(r.stdout + r.stderr).decode(errors='replace')}"
        if r.stdout != expected:
            return f"{path}: {len(r.stdout)} bytes that differ from the {len(expected)} fs-test wrote"
    # Stamped with the RTC's time (QEMU's RTC runs on the host's UTC), not
    # FAT's 1980 default.
    r = _run([_tool("mdir"), "-i", str(image), "::/MICA.TXT"])
    year = str(datetime.datetime.now(datetime.timezone.utc).year)
    line = next((l for l in r.stdout.decode(errors="replace").splitlines() if l.startswith("MICA ")), "")
    if year not in line:
        return f"MICA.TXT is not stamped {year}: mdir says {line!r}"
    return ""


BAD_REASON = r"bad boot sector signature \(no 55 AA at offset 510\)"


def fs_case(image: Path, bad: Path, hello: str) -> ShellCase:
    run_ok = r"^run: meta/fs-test\.cm exited with status 0$"
    inputs = (
        (_READY, b"run fs-test read\r"),
        (run_ok, b"run fs-test write\r"),
        (run_ok, b"ps\r"),
        (_ps_line("fs-service"), lambda m: f"kill {m.group(1)}\r".encode()),
        (_CM + r"component: /fs \(process \d+\) was killed; restart 1 in \d+ ms$", b"run fs-test check\r"),
        (run_ok, b"stop /fs\r"),
        (r"^stop: /fs stopped$", b"poweroff\r"),
    )
    expected = [
        r"fs-test\(\d+\): fs-test: mount block/\d+ data partition 0 mounted$",
        r"fs-test\(\d+\): fs-test: entry HELLO\.TXT file \d+$",
        r"^kill: killed \d+ \(fs-service\)$",
        # The second disk: listed, not mounted, with the reason, and the
        # service's one line about it.
        rf"fs-test\(\d+\): fs-test: mount block/\d+  partition 0 failed: {BAD_REASON}$",
        rf"fs\[fs\] ERROR: block/\d+ partition 0: not mounted: {BAD_REASON}$",
        # /boot: no such volume here; the one that failed explains.
        rf"fs-test\(\d+\): fs-test: /boot: block/\d+ partition 0: {BAD_REASON}$",
    ]
    ordered = [
        _CM + r"component: started /fs \(process \d+\)$",
        rf"fs-test\(\d+\): fs-test: HELLO\.TXT says {hello}$",
        r"fs-test\(\d+\): fs-test: read ok$",
        r"fs-test\(\d+\): fs-test: synced$",
        r"fs-test\(\d+\): fs-test: write ok$",
        _CM + r"component: /fs \(process \d+\) was killed; restart 1 in \d+ ms$",
        _CM + r"component: started /fs \(process \d+\)$",
        r"fs-test\(\d+\): fs-test: check ok$",
        _CM + r"component: stopped /fs \(process \d+\): exited with status 0",
    ]
    forbidden = _QUIET + (r"fs-test: FAIL", r"component: failed")
    devices = ("-drive", f"if=none,file={image},format=raw,id=fs0",
               "-device", "virtio-blk-device,drive=fs0",
               "-drive", f"if=none,file={bad},format=raw,id=fs1",
               "-device", "virtio-blk-device,drive=fs1")
    config = BootConfig(board="virt", smp=2, gic=3, append="", devices=devices)
    return ShellCase(NAME, config, inputs, expected, ordered, forbidden, poweroff=True)


def fs_jobs(opts: Options) -> list[Job]:
    check_name = f"{NAME}/host-check"
    if not (opts.selected(NAME) or opts.selected(check_name)):
        return []
    from qemu_jobs import qemu_failure_detail  # qemu_jobs registers these jobs

    def run() -> list[CaseResult]:
        image = opts.paths.out / "test-images" / "fs-virt.img"
        bad = opts.paths.out / "test-images" / "fs-virt-bad.img"
        hello = "".join(random.choice(string.ascii_lowercase) for _ in range(12))
        try:
            make_image(image, hello.encode())
            make_bad_image(bad)
        except (OSError, RuntimeError) as e:
            return [CaseResult(NAME, "FAIL", 0.0, f"cannot make the images: {e}")]
        case = fs_case(image, bad, hello)
        problem = "\n".join(qemu.missing_files(case.config, opts.paths))
        if problem:
            return [CaseResult(NAME, "FAIL", 0.0, problem)]
        cmd = qemu.qemu_command(case.config, opts.paths)
        timeout = BASE_TIMEOUT * 1.5 * opts.timeout_scale
        r = qemu.run_case(cmd, ShellChecker(case), timeout, opts.log_path(NAME), opts.abort, case.inputs)
        if not r.verdict.passed:
            return [CaseResult(NAME, "FAIL", r.seconds, qemu_failure_detail(r.verdict.reason, r.log_path)),
                    CaseResult(check_name, "SKIP", 0.0, "the boot failed")]
        wrong = host_check(image)
        return [CaseResult(NAME, "PASS", r.seconds),
                CaseResult(check_name, "FAIL" if wrong else "PASS", 0.0, wrong)]

    return [Job([NAME, check_name], run)]
