#!/usr/bin/env python3
"""QEMU command lines for every Mica boot configuration, and running them.

One module knows how Mica boots under QEMU; both `./mica run` (interactive,
through the `run` subcommand below) and `./mica test` (run_tests.py, which
imports this module) use it, so a test case boots exactly what a user gets.

Boot configurations (DESIGN.md §3):
  virt  -kernel   QEMU loads Image + bootfs.img (initrd) and passes a DTB.
  virt  U-Boot    Debian's qemu_arm64 U-Boot as -bios loads boot.scr from
                  uboot-disk.img over virtio-blk.
  rpi4  -kernel   raspi4b loads Image with a DTB of our choice (the upstream
                  bcm2711-rpi-4-b.dtb or the firmware-style fixture).
  rpi4  U-Boot    raspi4b runs U-Boot rpi_arm64, which boots from sdcard.img.

`./mica run` on virt also attaches a persistent data disk (`.mica/data.img`,
FAT32, created once; `--data FILE`, `--no-data`), which the file system
service mounts at /data (docs/storage.md, "What a user sees").

Every run has no network (`-nic none`), no display, and in tests no monitor
and no stdin, unless a case types into the console (run_case's `inputs`:
QEMU's stdin, the console chardev, becomes a pipe the harness writes to).
raspi4b's console is the mini-UART, its *second* serial port.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

QEMU = "qemu-system-aarch64"
UBOOT_QEMU_ARM64 = Path("/usr/lib/u-boot/qemu_arm64/u-boot.bin")

# QEMU's raspi4b is fixed: 4 Cortex-A72 cores and 2 GiB of RAM.
RPI4_CPUS = 4
RPI4_MEM_MIB = 2048
RPI4_CPU = "cortex-a72"

VIRT_CPUS = ("cortex-a53", "cortex-a57", "cortex-a72", "max")

DEFAULT_SMP = 4
DEFAULT_MEM = "2G"
DEFAULT_GIC = 3
DEFAULT_CPU = "cortex-a72"

MICA_ROOT = Path(__file__).resolve().parents[2]

# `./mica run`'s data disk (docs/storage.md, "What a user sees"): a bare
# FAT32 volume (no partition table) made by mkfs.fat. 64 MiB of 512-byte
# clusters is 129,022 clusters, a valid FAT32 volume (under 65,525 clusters
# `mkfs.fat -F 32` makes a volume Mica refuses: docs/storage.md, "The FAT
# type"). The fs service mounts the volume labelled MICADATA at /data.
DATA_IMAGE_MIB = 64
DATA_LABEL = "MICADATA"


class ConfigError(Exception):
    """A configuration that cannot be booted, with a message for the user."""


def parse_mem_mib(text: str) -> int:
    """QEMU's -m syntax: a number with optional suffix M/G/T (default MiB)."""
    m = re.fullmatch(r"\s*(\d+)\s*([MmGgTt]?)(?:i?[Bb])?\s*", text)
    if not m:
        raise ConfigError(f"bad memory size '{text}' (expected e.g. 512M, 2G)")
    value = int(m.group(1))
    unit = m.group(2).upper()
    mib = value * {"": 1, "M": 1, "G": 1024, "T": 1024 * 1024}[unit]
    if mib <= 0:
        raise ConfigError(f"memory size must be positive, got '{text}'")
    return mib


def mem_label(mib: int) -> str:
    return f"{mib // 1024}G" if mib % 1024 == 0 else f"{mib}M"


@dataclasses.dataclass(frozen=True)
class BootConfig:
    """One way of booting Mica. Fields a board cannot vary are ignored."""

    board: str = "virt"  # "virt" or "rpi4"
    uboot: bool = False  # boot through U-Boot instead of QEMU's -kernel
    smp: int = DEFAULT_SMP  # virt only
    mem_mib: int = 2048  # virt only
    gic: int = DEFAULT_GIC  # virt only
    cpu: str = DEFAULT_CPU  # virt only
    el2: bool = False  # virt only: virtualization=on, kernel entered at EL2
    dtb: Optional[Path] = None  # rpi4 only; None = upstream DTB from the cache
    append: str = ""  # kernel command line (-kernel boots only)
    devices: tuple[str, ...] = ()  # more QEMU arguments: devices and drives
    # virt only: a raw disk image attached read-write (no snapshot: writes
    # persist) as a virtio-blk disk, `./mica run`'s data disk.
    data: Optional[Path] = None

    @property
    def cpus(self) -> int:
        """The number of CPUs the guest has."""
        return RPI4_CPUS if self.board == "rpi4" else self.smp

    @property
    def memory_mib(self) -> int:
        return RPI4_MEM_MIB if self.board == "rpi4" else self.mem_mib


@dataclasses.dataclass(frozen=True)
class Paths:
    out: Path
    cache: Path

    @property
    def virt_dir(self) -> Path:
        return self.out / "images" / "virt"

    @property
    def image(self) -> Path:
        return self.virt_dir / "Image"

    @property
    def bootfs(self) -> Path:
        return self.virt_dir / "bootfs.img"

    @property
    def uboot_disk(self) -> Path:
        return self.virt_dir / "uboot-disk.img"

    @property
    def sdcard(self) -> Path:
        return self.out / "images" / "rpi4" / "sdcard.img"

    @property
    def rpi4_dtb(self) -> Path:
        return self.cache / "arm64" / "bcm2711-rpi-4-b.dtb"

    @property
    def rpi4_firmware_dtb(self) -> Path:
        return self.out / "fixtures" / "dtb" / "rpi4-firmware.dtb"

    @property
    def uboot_rpi(self) -> Path:
        return self.cache / "arm64" / "u-boot-rpi.bin"

    @property
    def kernel_elf(self) -> Path:
        return self.out / "kernel" / "mica.elf"


def validate(cfg: BootConfig) -> None:
    """Rejects settings QEMU would reject or silently ignore."""
    if cfg.board not in ("virt", "rpi4"):
        raise ConfigError(f"unknown board '{cfg.board}' (expected virt or rpi4)")
    if cfg.uboot and cfg.append:
        raise ConfigError(
            "--append cannot be used with --uboot: U-Boot takes the command line "
            "from boot.scr on the disk image"
        )
    if cfg.board == "virt":
        if cfg.smp < 1 or cfg.smp > 512:
            raise ConfigError(f"--smp must be between 1 and 512, got {cfg.smp}")
        if cfg.gic not in (2, 3):
            raise ConfigError(f"--gic must be 2 or 3, got {cfg.gic}")
        if cfg.gic == 2 and cfg.smp > 8:
            raise ConfigError("GICv2 supports at most 8 CPUs; use --gic 3 for more")
        if cfg.dtb is not None:
            raise ConfigError("--dtb is for rpi4 only: QEMU generates virt's devicetree")
    elif cfg.el2:
        raise ConfigError("--el2 is for virt only: raspi4b always enters the kernel at EL2")
    elif cfg.data is not None:
        raise ConfigError("--data is for virt only: a Raspberry Pi data disk is not supported yet")


def required_files(cfg: BootConfig, paths: Paths) -> list[tuple[Path, str]]:
    """Files a configuration needs, each with what to do if it is missing."""
    build = "run ./mica build"
    setup = "run ./mica setup"
    if cfg.board == "virt":
        data = [(cfg.data, "run ./mica run once to create it, or pass --data FILE")] if cfg.data else []
        if cfg.uboot:
            return [(UBOOT_QEMU_ARM64, setup + " (package u-boot-qemu)"), (paths.uboot_disk, build)] + data
        return [(paths.image, build), (paths.bootfs, build)] + data
    dtb = cfg.dtb or paths.rpi4_dtb
    dtb_hint = setup if cfg.dtb is None else build
    if cfg.uboot:
        return [(paths.uboot_rpi, setup), (dtb, dtb_hint), (paths.sdcard, build)]
    return [(paths.image, build), (paths.bootfs, build), (dtb, dtb_hint)]


def missing_files(cfg: BootConfig, paths: Paths) -> list[str]:
    """Human-readable lines for every missing file; empty if all exist."""
    return [f"missing {p}: {hint}" for p, hint in required_files(cfg, paths) if not p.is_file()]


def qemu_command(
    cfg: BootConfig,
    paths: Paths,
    console: str = "stdio",
    interactive: bool = False,
    gdb: bool = False,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The QEMU command line for `cfg`.

    `console` is the chardev spec for the console UART (e.g. "stdio" or
    "mon:stdio"). Non-interactive runs get `-monitor none` so nothing but the
    guest's console reaches the output.
    """
    validate(cfg)
    cmd = [QEMU]
    if cfg.board == "virt":
        machine = f"virt,gic-version={cfg.gic}"
        if cfg.el2:
            machine += ",virtualization=on"
        cmd += ["-machine", machine, "-cpu", cfg.cpu, "-smp", str(cfg.smp)]
        cmd += ["-m", mem_label(cfg.mem_mib)]
        if cfg.data is not None:
            # QEMU gives virtio devices the virtio-mmio transports from the
            # top in command-line order, and U-Boot numbers them from the
            # bottom: the data disk comes first (virtio_mmio@a003e00), so
            # with --uboot the boot disk (a003c00) is U-Boot's `virtio 0`,
            # the only one its distro boot scans. Each disk keeps its
            # transport from run to run; its block/<n> instance is the order
            # the drivers publish in, which may differ between boots: the fs
            # service tells the disks apart by what they hold, not by <n>.
            cmd += ["-drive", f"if=none,file={_drive_file(cfg.data)},format=raw,id=data"]
            cmd += ["-device", "virtio-blk-device,drive=data"]
        if cfg.uboot:
            # The boot disk stays attached after U-Boot: the fs service
            # mounts its FAT partition at /boot. It is a build output, so
            # snapshot=on: what Mica writes to /boot is gone at the next run.
            # The service tells it by its contents: uboot-disk.img is an MBR
            # disk whose one partition (type 0x0C, bootable, at 1 MiB) holds
            # a FAT32 volume labelled MICA-VIRT with boot.scr, Image and
            # bootfs.img in its root (images/scripts/make_disk.py).
            cmd += ["-bios", str(UBOOT_QEMU_ARM64)]
            cmd += ["-drive", f"if=none,file={_drive_file(paths.uboot_disk)},format=raw,id=hd0,snapshot=on"]
            cmd += ["-device", "virtio-blk-device,drive=hd0"]
        else:
            cmd += ["-kernel", str(paths.image), "-initrd", str(paths.bootfs)]
            cmd += ["-append", cfg.append]
        cmd += ["-serial", console]
    else:
        dtb = cfg.dtb or paths.rpi4_dtb
        cmd += ["-machine", "raspi4b"]
        if cfg.uboot:
            cmd += ["-kernel", str(paths.uboot_rpi), "-dtb", str(dtb)]
            cmd += ["-drive", f"if=sd,file={paths.sdcard},format=raw,snapshot=on"]
        else:
            cmd += ["-kernel", str(paths.image), "-dtb", str(dtb)]
            cmd += ["-initrd", str(paths.bootfs), "-append", cfg.append]
        # The PL011 is the first serial port, the mini-UART (the Pi 4's
        # console, stdout-path = serial1) the second.
        cmd += ["-serial", "null", "-serial", console]
    cmd += ["-nic", "none", "-display", "none"]
    if not interactive:
        cmd += ["-monitor", "none"]
    if gdb:
        cmd += ["-s", "-S"]
    cmd += list(cfg.devices)
    cmd += list(extra)
    return cmd


def _drive_file(path: Path) -> str:
    """A path as a -drive file= value: QEMU's option syntax doubles commas."""
    return str(path).replace(",", ",,")


def default_data_image(root: Path = MICA_ROOT) -> Path:
    """`./mica run`'s data disk: outside out/, so a clean build keeps it."""
    return root / ".mica" / "data.img"


def ensure_data_image(path: Path, make_parent: bool) -> bool:
    """Makes the data disk `path` if it does not exist: a DATA_IMAGE_MIB
    FAT32 volume labelled DATA_LABEL (mkfs.fat on a temporary file, renamed
    into place, so a failure leaves nothing half made). Returns whether it
    made one. `make_parent`: create a missing directory (the default
    .mica/); otherwise a missing directory is an error."""
    if path.exists():
        if not path.is_file():
            raise ConfigError(f"data disk {path} is not a regular file")
        return False
    if not path.parent.is_dir():
        if not make_parent or path.parent.exists():
            raise ConfigError(f"data disk {path}: directory {path.parent} does not exist")
        path.parent.mkdir(parents=True)
    mkfs = shutil.which("mkfs.fat") or shutil.which("mkfs.fat", path="/usr/sbin:/sbin")
    if mkfs is None:
        raise ConfigError("mkfs.fat not found: run ./mica setup (package dosfstools)")
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.truncate(DATA_IMAGE_MIB << 20)
        r = subprocess.run([mkfs, "-F", "32", "-n", DATA_LABEL, str(tmp)], capture_output=True, text=True)
        if r.returncode != 0:
            raise ConfigError(f"mkfs.fat failed for {path}: {(r.stdout + r.stderr).strip()}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return True


# ---------------------------------------------------------------------------
# Running QEMU under a test: every process is tracked so none outlives us.

_live_lock = threading.Lock()
_live: set[subprocess.Popen] = set()
_stopping = False  # set by stop_all(): no new child may start after it


class Stopping(Exception):
    """Raised by spawn() once stop_all() has run."""


def spawn(cmd: list[str], **popen_kwargs) -> subprocess.Popen:
    """Starts a tracked child (QEMU or a host test) with stdin closed and
    stdout+stderr on one pipe. stop_all() kills every tracked child."""
    # setpriv --pdeathsig: if the harness itself dies (even by SIGKILL), the
    # kernel sends the child SIGKILL, so nothing is ever left behind.
    prefix = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
    with _live_lock:  # held across Popen so stop_all() cannot miss a child
        if _stopping:
            raise Stopping("the harness is stopping")
        proc = subprocess.Popen(
            prefix + cmd,
            stdin=popen_kwargs.pop("stdin", subprocess.DEVNULL),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            close_fds=True,
            # Own process group: a Ctrl-C on the terminal reaches only the
            # harness, which then stops its children itself (stop_all).
            process_group=0,
            **popen_kwargs,
        )
        _live.add(proc)
    return proc


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Signals the child's whole process group (spawn() made the child its
    leader), so helpers it forked (e.g. gtest death tests) go too. Only while
    the child is unreaped: until then its pid and group id cannot be reused."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass


def kill(proc: subprocess.Popen) -> None:
    """SIGKILLs a child's process group; the caller still reaps it."""
    _signal_group(proc, signal.SIGKILL)


def stop(proc: subprocess.Popen, grace: float = 3.0) -> None:
    """Terminates a child (SIGTERM: QEMU exits cleanly), SIGKILL if it lingers."""
    try:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
        with _live_lock:
            _live.discard(proc)


def stop_all() -> None:
    """Kills every child still running (Ctrl-C, SIGTERM, end of the run)
    and refuses new ones."""
    global _stopping
    with _live_lock:
        _stopping = True
        procs = list(_live)
    for proc in procs:
        _signal_group(proc, signal.SIGKILL)
    for proc in procs:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        with _live_lock:
            _live.discard(proc)


@dataclasses.dataclass
class Verdict:
    passed: bool
    reason: str


class Checker:
    """Watches the console line by line and decides a case.

    feed() returns a Verdict once the case is decided. finish() is called when
    no verdict came before QEMU exited or the time ran out; `why` says which.
    """

    # After a failure verdict keep reading this long, so the log holds the
    # panic's register dump and backtrace.
    linger_after_failure = 2.0

    def feed(self, line: str) -> Optional[Verdict]:
        raise NotImplementedError

    def finish(self, why: str) -> Verdict:
        return Verdict(False, why)


@dataclasses.dataclass
class RunResult:
    verdict: Verdict
    seconds: float
    log_path: Path
    command: list[str]
    lines: list[str]


# The serial log is capped so a kernel printing in a loop cannot fill the disk.
MAX_LOG_BYTES = 16 << 20
MAX_LINES = 200_000  # of RunResult.lines; the checker still sees every line


def run_case(
    cmd: list[str],
    checker: Checker,
    timeout: float,
    log_path: Path,
    abort: Optional[threading.Event] = None,
    inputs: tuple[tuple[str, bytes], ...] = (),
) -> RunResult:
    """Boots `cmd`, feeds each console line to `checker` until it decides,
    the timeout expires or QEMU exits; always stops QEMU before returning.
    The full console output goes to `log_path` (first line: the command).

    `inputs`: typing, in order: each (regex, bytes) waits for a console line
    the regex matches (after the previous one's), then writes the bytes to
    QEMU's stdin, the console UART's input (console "stdio"); bytes may be a
    function of the regex's match."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    lines: list[str] = []
    verdict: Optional[Verdict] = None
    with open(log_path, "wb") as log:
        log.write(f"# {shlex.join(cmd)}\n".encode())
        log.flush()
        proc = spawn(cmd, stdin=subprocess.PIPE) if inputs else spawn(cmd)
        try:
            verdict = _watch(proc, checker, timeout, start, log, lines, abort, list(inputs))
        finally:
            stop(proc)
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass  # QEMU is gone
        status = proc.returncode
        log.write(f"\n# harness: {verdict.reason} (QEMU status {status})\n".encode())
    return RunResult(verdict, time.monotonic() - start, log_path, cmd, lines)


def _type_on(proc, inputs: list, line: str) -> None:
    """Types the next input if `line` is its trigger. The input is bytes, or
    a function of the trigger's match that returns them (e.g. a koid the
    line showed)."""
    m = re.search(inputs[0][0], line) if inputs else None
    if m:
        data = inputs.pop(0)[1]
        try:
            proc.stdin.write(data(m) if callable(data) else data)
            proc.stdin.flush()
        except OSError:
            pass  # QEMU is gone; the checker decides


def _watch(proc, checker, timeout, start, log, lines, abort, inputs=None) -> Verdict:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = start + timeout
    pending = b""
    written = 0
    verdict: Optional[Verdict] = None
    linger_until = None

    def take(line_bytes: bytes) -> Optional[Verdict]:
        line = line_bytes.decode("utf-8", "replace").rstrip("\r\n").replace("\r", "")
        if len(lines) < MAX_LINES:
            lines.append(line)
        if inputs:
            _type_on(proc, inputs, line)
        return checker.feed(line)

    while True:
        now = time.monotonic()
        if abort is not None and abort.is_set():
            return verdict or Verdict(False, "interrupted")
        if linger_until is not None and now >= linger_until:
            return verdict
        if verdict is None and now >= deadline:
            return checker.finish(f"timeout after {timeout:.0f}s")
        wait_until = linger_until if linger_until is not None else deadline
        ready, _, _ = select.select([fd], [], [], max(0.0, min(0.2, wait_until - now)))
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:  # QEMU exited (or closed its output).
            if pending and verdict is None:
                verdict = take(pending)
            if verdict is not None:
                return verdict
            proc.wait()
            return checker.finish(f"QEMU exited with status {proc.returncode} before the case was decided")
        if written < MAX_LOG_BYTES:
            log.write(chunk[: MAX_LOG_BYTES - written])
            log.flush()
            written += len(chunk)
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            if verdict is not None:
                if len(lines) < MAX_LINES:
                    lines.append(raw.decode("utf-8", "replace").rstrip("\r"))
                continue
            verdict = take(raw)
            if verdict is not None:
                if verdict.passed:
                    return verdict
                linger_until = time.monotonic() + checker.linger_after_failure
        if verdict is None and len(pending) > 4096:  # A line without end.
            verdict = take(pending)
            pending = b""


# ---------------------------------------------------------------------------
# `run`: interactive boot for ./mica run.


def _debugger_hint(paths: Paths) -> str:
    elf = paths.kernel_elf
    hint = (
        "QEMU waits for a debugger on tcp::1234. Attach with\n"
        f"  gdb-multiarch {shlex.quote(str(elf))} -ex 'target remote :1234'\n"
        "or\n"
        f"  lldb-19 {shlex.quote(str(elf))} -o 'gdb-remote 1234'"
    )
    if not (shutil.which("gdb-multiarch") or shutil.which("lldb-19")):
        hint += "\n(neither is installed: apt-get install gdb-multiarch)"
    return hint


# `./mica run` boots the default program (userboot starts
# bin/component-manager, whose meta/root.cm starts the shell: `mica> ` on
# the console; docs/components.md). --no-shell boots the driver manager
# alone instead (what --append gets with this).
NO_SHELL_APPEND = "userboot.next=bin/driver-manager"


def run_main(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    p = argparse.ArgumentParser(
        prog="./mica run", description="Boot Mica in QEMU with the console on this terminal."
    )
    p.add_argument("--out", type=Path, default=MICA_ROOT / "out", help="build directory")
    p.add_argument("--cache", type=Path, default=MICA_ROOT / ".cache", help="package cache")
    p.add_argument("board", nargs="?", default="virt", choices=["virt", "rpi4"])
    p.add_argument("--smp", type=int, help=f"CPUs (virt; default {DEFAULT_SMP})")
    p.add_argument("--mem", help=f"RAM, e.g. 512M, 4G (virt; default {DEFAULT_MEM})")
    p.add_argument("--gic", type=int, choices=[2, 3], help=f"GIC version (virt; default {DEFAULT_GIC})")
    p.add_argument("--cpu", help=f"CPU model (virt; default {DEFAULT_CPU})")
    p.add_argument("--el2", action="store_true", help="virt: virtualization=on, enter the kernel at EL2")
    p.add_argument("--dtb", type=Path, help="rpi4: devicetree blob (default: upstream bcm2711-rpi-4-b.dtb)")
    p.add_argument("--uboot", action="store_true",
                   help="boot through U-Boot from the disk/SD image (virt: its FAT partition is /boot)")
    data = p.add_mutually_exclusive_group()
    data.add_argument("--data", type=Path, metavar="FILE",
                      help="virt: the data disk mounted at /data (default: .mica/data.img at the project "
                           f"root; made as a {DATA_IMAGE_MIB} MiB FAT32 volume if missing)")
    data.add_argument("--no-data", action="store_true", help="virt: no data disk")
    p.add_argument("--gdb", action="store_true", help="wait for a debugger on tcp::1234")
    p.add_argument("--append", default="", help="kernel command line (not with --uboot)")
    p.add_argument("--no-shell", action="store_true",
                   help="without --append: boot the driver manager alone (no component manager, no shell)")
    args = p.parse_args(argv)
    if not args.append and not args.uboot and args.no_shell:
        args.append = NO_SHELL_APPEND

    try:
        cfg = _config_from_args(args)
        paths = Paths(args.out.resolve(), args.cache.resolve())
        cmd = qemu_command(cfg, paths, console="mon:stdio", interactive=True, gdb=args.gdb, extra=tuple(extra))
    except ConfigError as e:
        print(f"mica run: error: {e}", file=sys.stderr)
        return 2
    # The data disk is made below, once the rest is known to be there.
    missing = missing_files(dataclasses.replace(cfg, data=None), paths)
    if missing:
        for m in missing:
            print(f"mica run: error: {m}", file=sys.stderr)
        return 1
    if shutil.which(QEMU) is None:
        print(f"mica run: error: {QEMU} not found: run ./mica setup", file=sys.stderr)
        return 1
    if cfg.data is not None:
        try:
            made = ensure_data_image(cfg.data, make_parent=args.data is None)
        except (ConfigError, OSError) as e:
            print(f"mica run: error: {e}", file=sys.stderr)
            return 2
        made_text = f"made now: {DATA_IMAGE_MIB} MiB FAT32, label {DATA_LABEL}; " if made else ""
        print(f"(data disk {cfg.data}: {made_text}mounted at /data; it persists between runs)")
    print(shlex.join(cmd))
    print("(console on this terminal: Ctrl-A X quits QEMU, Ctrl-A C switches to the monitor)")
    if args.gdb:
        print(_debugger_hint(paths))
    sys.stdout.flush()
    os.execvp(cmd[0], cmd)
    return 127  # not reached


def _data_image(args) -> Optional[Path]:
    """The data disk a run attaches: --data FILE, none with --no-data or on
    rpi4 (unless --data, which validate() refuses there), else the default
    in the project root ($MICA_ROOT, which ./mica sets)."""
    if args.no_data:
        return None
    if args.data is not None:
        return args.data.resolve()
    if args.board != "virt":
        return None
    return default_data_image(Path(os.environ.get("MICA_ROOT", MICA_ROOT))).resolve()


def _config_from_args(args) -> BootConfig:
    if args.board == "rpi4":
        fixed = {
            "--smp": (args.smp, lambda v: v == RPI4_CPUS, f"raspi4b always has {RPI4_CPUS} CPUs"),
            "--mem": (args.mem, lambda v: parse_mem_mib(v) == RPI4_MEM_MIB, "raspi4b always has 2 GiB of RAM"),
            "--gic": (args.gic, lambda v: v == 2, "raspi4b has a GIC-400 (GICv2)"),
            "--cpu": (args.cpu, lambda v: v == RPI4_CPU, "raspi4b always has Cortex-A72 CPUs"),
        }
        for flag, (value, ok, why) in fixed.items():
            if value is not None and not ok(value):
                raise ConfigError(f"{flag} cannot be used with rpi4: {why}")
        return BootConfig(
            board="rpi4", uboot=args.uboot, el2=args.el2,
            dtb=args.dtb.resolve() if args.dtb else None, append=args.append, data=_data_image(args),
        )
    return BootConfig(
        board="virt",
        uboot=args.uboot,
        smp=args.smp if args.smp is not None else DEFAULT_SMP,
        mem_mib=parse_mem_mib(args.mem if args.mem is not None else DEFAULT_MEM),
        gic=args.gic if args.gic is not None else DEFAULT_GIC,
        cpu=args.cpu or DEFAULT_CPU,
        el2=args.el2,
        dtb=args.dtb,
        append=args.append,
        data=_data_image(args),
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: qemu.py run [options] [virt|rpi4] [-- extra QEMU args]  (see qemu.py run --help)")
        return 0 if argv else 2
    if argv[0] == "run":
        return run_main(argv[1:])
    print(f"qemu.py: unknown command '{argv[0]}'", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
