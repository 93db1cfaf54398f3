"""The storage cases (`./mica test --filter storage/`, docs/storage.md, "What
a user sees"): `./mica run` (test/harness/qemu.py's `run`, exactly what the
front end executes, with the project root in a scratch directory) boots the
default system with its data disk, and the harness types at the shell:

- storage/virt-run-write: the data disk `./mica run` makes (.mica/data.img,
  FAT32 MICADATA, by qemu.ensure_data_image) filled on the host with mtools
  (long names, a subdirectory, a 100 KiB file), and a second disk whose
  FAT partition has a bad boot sector (`-- -drive ...`, QEMU arguments
  after `--`). At the shell: df (the data volume mounted whatever block
  instance it got; the bad one FAILED with the reason), ls, ls -l, cat,
  write, echo > and >>, mkdir, cp, cd, pwd, sync, stop /fs, poweroff.
  storage/virt-run-write/host-check: then, on the host, `fsck.fat -n` finds
  nothing and mtools reads back byte-exact what the shell wrote.
- storage/virt-run-uboot-read-back: the host damages the data volume (a
  file whose cluster chain loops, a directory entry whose cluster lies past
  the volume), then `./mica run --uboot` boots again on the same data disk
  (not made again): what the first boot wrote reads back at the shell; the
  damaged file is refused with the reason while the files next to it still
  read; /boot is the U-Boot disk's FAT partition (ls /boot, and the
  service's log names it and /data); the fs service was never restarted
  (nor the kernel).
  storage/virt-run-uboot-read-back/host-check: the files the first boot
  wrote are unchanged on the host.

Names and contents are random per run (the seed is in the logs), so no
fixed string can pass."""

from __future__ import annotations

import os
import random
import re
import shutil
import string
import struct
import subprocess
import sys
from pathlib import Path

import qemu
from common import BASE_TIMEOUT, CaseResult, Job, Options
from shell_cases import _QUIET, _READY, Input, ShellCase, ShellChecker
from shell_cases import _host_run as _run
from shell_cases import _host_tool as _tool

WRITE = "storage/virt-run-write"
READ_BACK = "storage/virt-run-uboot-read-back"
_CM = r"component-manager\(\d+\): "
BIG_BYTES = 100 * 1024

# Boot sectors the library refuses (docs/storage.md, "Boot sector checks"):
# (BPB byte offset, bytes, the reason the service reports). One is picked
# per run.
_BAD_BOOT_SECTORS = [
    (13, b"\x03", "sectors per cluster not a power of two in 1..128, or a cluster over 64 KiB"),
    (11, b"\x58\x02", "bytes per sector not a power of two in 512..4096"),
    (16, b"\x00", "number of FATs is 0"),
    (21, b"\x12", "media descriptor not F0 or F8..FF"),
    (0, b"\x00", "bad boot sector jump instruction (not EB or E9)"),
]


def mcopy_bytes(image: Path, path: str, data: bytes) -> None:
    """Writes `data` as ::/path of a bare FAT image (mcopy from stdin,
    replacing a file there)."""
    _run([_tool("mcopy"), "-o", "-i", str(image), "-", f"::/{path}"], data)


def mtype_bytes(image: Path, path: str) -> bytes:
    return _run([_tool("mtype"), "-i", str(image), f"::/{path}"])


class Fat32:
    """Just enough of a bare FAT32 image to damage it on purpose: the BPB's
    layout, FAT entries (every copy), and 8.3 directory entries."""

    def __init__(self, image: Path):
        self.image = image
        with open(image, "rb") as f:
            bpb = f.read(512)
        self.bps = struct.unpack_from("<H", bpb, 11)[0]
        self.cluster = self.bps * bpb[13]
        self.reserved = struct.unpack_from("<H", bpb, 14)[0]
        self.fats = bpb[16]
        self.fat_sectors = struct.unpack_from("<I", bpb, 36)[0]
        self.root = struct.unpack_from("<I", bpb, 44)[0]
        self.data = (self.reserved + self.fats * self.fat_sectors) * self.bps
        total = struct.unpack_from("<I", bpb, 32)[0] or struct.unpack_from("<H", bpb, 19)[0]
        # The data area's size, what fs.FilesystemInfo.total_bytes says.
        self.total_kib = (total * self.bps - self.data) // self.cluster * self.cluster // 1024

    def _read(self, offset: int, n: int) -> bytes:
        with open(self.image, "rb") as f:
            f.seek(offset)
            return f.read(n)

    def _write(self, offset: int, data: bytes) -> None:
        with open(self.image, "r+b") as f:
            f.seek(offset)
            f.write(data)

    def fat(self, cluster: int) -> int:
        return struct.unpack("<I", self._read(self.reserved * self.bps + 4 * cluster, 4))[0] & 0x0FFFFFFF

    def set_fat(self, cluster: int, value: int) -> None:
        for i in range(self.fats):
            self._write((self.reserved + i * self.fat_sectors) * self.bps + 4 * cluster, struct.pack("<I", value))

    def chain(self, first: int) -> list[int]:
        out = [first]
        while len(out) < 1 << 20:
            nxt = self.fat(out[-1])
            if nxt >= 0x0FFFFFF8:
                return out
            out.append(nxt)
        raise RuntimeError("chain too long")

    def find(self, directory: int, short_name: str) -> tuple[int, int]:
        """(byte offset of the 8.3 entry named `short_name`, e.g.
        "LOOP1A2BTXT", in the directory at cluster `directory`; its first
        cluster)."""
        for c in self.chain(directory):
            base = self.data + (c - 2) * self.cluster
            block = self._read(base, self.cluster)
            for at in range(0, self.cluster, 32):
                slot = block[at : at + 32]
                if slot[0] == 0:
                    break
                if slot[11] != 0x0F and slot[:11] == short_name.encode():
                    hi, lo = struct.unpack_from("<H", slot, 20)[0], struct.unpack_from("<H", slot, 26)[0]
                    return base + at, hi << 16 | lo
        raise RuntimeError(f"{short_name} not found in the directory at cluster {directory}")

    def loop(self, offset_and_first: tuple[int, int]) -> None:
        """Makes a file's last cluster link back to its first."""
        chain = self.chain(offset_and_first[1])
        self.set_fat(chain[-1], chain[0])

    def bad_cluster(self, offset_and_first: tuple[int, int]) -> None:
        """Points a directory entry's first cluster past the volume."""
        self._write(offset_and_first[0] + 20, struct.pack("<H", 0x0FFF))


def short_name(name: str) -> str:
    """The 8.3 form mtools stores for a lower-case name that fits it."""
    base, _, ext = name.partition(".")
    return (base.upper().ljust(8) + ext.upper().ljust(3))[:11]


def make_bad_disk(path: Path, corruption: tuple[int, bytes, str]) -> None:
    """An MBR disk whose one FAT32 partition (type 0x0C at 1 MiB, 40 MiB)
    has the boot sector damaged as `corruption` says."""
    start, size = 2048, 40 * 2048
    with open(path, "wb") as f:
        f.truncate((start + size) * 512)
    _run([_tool("sfdisk"), "-q", str(path)], f"start={start}, size={size}, type=c\n".encode())
    _run([_tool("mkfs.fat"), "-F", "32", "--offset", str(start), str(path), str(size // 2)])
    offset, data, _ = corruption
    with open(path, "r+b") as f:
        f.seek(start * 512 + offset)
        f.write(data)


class Plan:
    """The run's random names and contents."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        self.seed = seed

        def word(n: int) -> str:
            return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(n))

        def text(words: int) -> str:
            return " ".join(word(rng.randint(3, 7)) for _ in range(words))

        tag = word(4)
        self.tag = tag
        # Short names and texts: every typed line stays within MAX_TYPED.
        # Put there by the host (mtools).
        self.long_name = f"Long-File-Name-{word(4)}.Text"
        self.long_text = text(6) + "\n"
        self.subdir = f"Sub-Dir-{word(5)}"
        self.nested = f"nested-{word(6)}.txt"
        self.nested_text = text(4) + "\n"
        self.big = f"big-{word(6)}.bin"
        self.big_data = rng.randbytes(BIG_BYTES)
        # Written at the shell.
        self.written = f"wr-{word(6)}.txt"
        self.written_text = text(3)
        self.echoed = f"ec-{word(5)}.log"
        self.echo1, self.echo2 = text(3), text(3)
        self.newdir = f"New-Dir-{word(4)}"
        self.copy_big = "copy-big.bin"
        self.copy_long = f"Copy-of-Long-{word(4)}.Text"
        # Damaged by the host before the second boot (8.3 names).
        self.loop = f"loop{tag}.txt"
        self.loop_data = rng.randbytes(3 * 512 + rng.randint(1, 511))
        self.damaged_dir = f"dmg{tag}"
        self.bad_entry = f"bad{tag}.txt"
        self.intact = f"ok{tag}.txt"
        self.intact_text = text(4) + "\n"
        self.bad_boot = _BAD_BOOT_SECTORS[rng.randrange(len(_BAD_BOOT_SECTORS))]
        # Written at the second boot's shell just before `poweroff`, with
        # neither `sync` nor `stop /fs`: poweroff stops the fs service first.
        self.late = f"late-{word(5)}.txt"
        self.late_text = text(3)

    def fill(self, image: Path) -> None:
        """The files the first boot finds (the host's mtools)."""
        mcopy_bytes(image, self.long_name, self.long_text.encode())
        _run([_tool("mmd"), "-i", str(image), f"::/{self.subdir}"])
        mcopy_bytes(image, f"{self.subdir}/{self.nested}", self.nested_text.encode())
        mcopy_bytes(image, self.big, self.big_data)

    def written_files(self) -> dict[str, bytes]:
        """What the first boot's shell commands leave on the volume."""
        return {
            self.written: (self.written_text + "\n").encode(),  # write ends the text with a line end
            self.echoed: f"{self.echo1}\n{self.echo2}\n".encode(),
            f"{self.newdir}/{self.copy_big}": self.big_data,
            f"{self.newdir}/{self.copy_long}": self.long_text.encode(),
        }

    def damage(self, image: Path) -> None:
        """A file whose chain loops (root), and a directory with a good file
        and one whose entry points past the volume."""
        mcopy_bytes(image, self.loop, self.loop_data)
        _run([_tool("mmd"), "-i", str(image), f"::/{self.damaged_dir}"])
        mcopy_bytes(image, f"{self.damaged_dir}/{self.intact}", self.intact_text.encode())
        mcopy_bytes(image, f"{self.damaged_dir}/{self.bad_entry}", b"never read\n")
        fat = Fat32(image)
        fat.loop(fat.find(fat.root, short_name(self.loop)))
        _, dir_cluster = fat.find(fat.root, short_name(self.damaged_dir))
        fat.bad_cluster(fat.find(dir_cluster, short_name(self.bad_entry)))


# Each command is typed in one write. The PL011 driver once lost what came
# past 64 bytes of a burst (fixed: drivers/serial/pl011, shell/virt pastes
# long lines); these lines are kept short anyway: the shell's line limit is
# 240 bytes and the names are random.
MAX_TYPED = 200


def _typed(line: str) -> bytes:
    if len(line) > MAX_TYPED:
        raise ValueError(f"typed line over {MAX_TYPED} bytes: {line!r}")
    return (line + "\r").encode()


def _echo(command: str) -> str:
    """The shell's echo of a typed command line."""
    return rf"^mica> {re.escape(command)}$"


def _line(text: str) -> str:
    return rf"^{re.escape(text)}$"


def _sequence(steps: list[tuple[str, str]]) -> tuple[Input, ...]:
    """Typing: steps of (command, the line after which the next is typed);
    the first waits for the shell's ready line."""
    inputs: list[Input] = []
    trigger = _READY
    for command, after in steps:
        inputs.append((trigger, _typed(command)))
        trigger = after
    return tuple(inputs)


# The first boot stops the fs service before poweroff (it ends with status
# 0; its Lifecycle.Stop syncs); the second leaves that to poweroff. Under
# load, while df's free count read the FAT a sector per request, the next
# stop or poweroff came 10 to 25 s late (docs/storage.md, "What a user
# sees"), so only the first boot runs df.
_STOPPED = r"^stop: /fs stopped$"

_FS_QUIET = (
    _CM + r"component: /fs \(process \d+\) ",  # ended (killed, crashed, exited): restarted
    _CM + r"component: .*fs.* cannot",
    r"component: failed",
)


def _df_data(total_kib: int) -> str:
    """df's line of the data disk (a bare volume: partition 0), whatever
    block/<n> it is."""
    return rf"^/data +block/\d+ +0 fat32 +{total_kib} +\d+ +\d+$"


def write_case(plan: Plan, total_kib: int) -> ShellCase:
    p = plan
    reason = p.bad_boot[2]
    steps = [
        ("df", _echo("df")),
        ("ls /data", _line(p.long_name)),
        (f"ls -l /data/{p.subdir}", rf"{re.escape(p.nested)}$"),
        (f"cat /data/{p.long_name}", _line(p.long_text.rstrip("\n"))),
        (f"cat /data/{p.subdir}/{p.nested}", _line(p.nested_text.rstrip("\n"))),
        ("cd /data", _echo("cd /data")),
        (f"write {p.written} {p.written_text}", _echo(f"write {p.written} {p.written_text}")),
        (f"echo {p.echo1} > {p.echoed}", _echo(f"echo {p.echo1} > {p.echoed}")),
        (f"echo {p.echo2} >> {p.echoed}", _echo(f"echo {p.echo2} >> {p.echoed}")),
        (f"cat {p.echoed}", _line(p.echo2)),
        (f"mkdir {p.newdir}", _echo(f"mkdir {p.newdir}")),
        (f"cp {p.big} {p.newdir}/{p.copy_big}", _echo(f"cp {p.big} {p.newdir}/{p.copy_big}")),
        (f"cd {p.newdir}", _echo(f"cd {p.newdir}")),
        (f"cp ../{p.long_name} {p.copy_long}", _echo(f"cp ../{p.long_name} {p.copy_long}")),
        ("pwd", _line(f"/data/{p.newdir}")),
        ("ls -l", rf"{re.escape(p.copy_long)}$"),
        ("sync", _echo("sync")),
        ("stop /fs", _STOPPED),
        ("poweroff", ""),
    ]
    expected = [
        # df: the data volume (whatever block/<n>) and the damaged disk.
        _df_data(total_kib),
        rf"^- +block/\d+ +1 FAILED: .*{re.escape(reason)}",
        r"^df: 2 volumes$",
        _line(p.subdir + "/") + "|" + _line(p.subdir),
        _line(p.big),
        rf"\b{BIG_BYTES}\b.*{re.escape(p.copy_big)}$",
        rf"\b{len(p.long_text)}\b.*{re.escape(p.copy_long)}$",
        rf"\b{len(p.nested_text)}\b.*{re.escape(p.nested)}$",
    ]
    ordered = [
        _READY,
        _line(p.long_text.rstrip("\n")),
        _line(p.nested_text.rstrip("\n")),
        _line(p.echo1),
        _line(p.echo2),
        _line(f"/data/{p.newdir}"),
        _echo("sync"),
        _CM + r"component: stopped /fs \(process \d+\): exited with status 0$",
        r"^poweroff: asking the driver manager$",
        r"driver-manager: every driver stopped; powering off$",
    ]
    # No command failed (an error names the command and the path).
    forbidden = _QUIET + _FS_QUIET + (r"^(ls|cat|write|echo|mkdir|cp|cd|pwd|sync): ",)
    return ShellCase(WRITE, qemu.BootConfig(), _sequence(steps), expected, ordered, forbidden, poweroff=True,
                     timeout_factor=1.5)


def read_back_case(plan: Plan) -> ShellCase:
    p = plan
    steps = [
        (f"cat /data/{p.written}", _line(p.written_text)),
        (f"cat /data/{p.echoed}", _line(p.echo2)),
        (f"cat /data/{p.loop}", rf"^cat: /data/{re.escape(p.loop)}: "),
        (f"ls /data/{p.damaged_dir}", _line(p.intact)),
        (f"cat /data/{p.damaged_dir}/{p.bad_entry}", rf"^cat: /data/{re.escape(p.damaged_dir)}/"),
        (f"cat /data/{p.damaged_dir}/{p.intact}", _line(p.intact_text.rstrip("\n"))),
        (f"cat /data/{p.newdir}/{p.copy_long}", _line(p.long_text.rstrip("\n"))),
        ("ls /boot", _echo("ls /boot")),
        ("components", r"^components: \d+$"),
        (f"write /data/{p.late} {p.late_text}", _echo(f"write /data/{p.late} {p.late_text}")),
        ("poweroff", ""),
    ]
    expected = [
        # The loop: refused with the library's reason (CORRUPT), no crash.
        rf"^cat: /data/{re.escape(p.loop)}: .*cluster chain loops",
        # The entry pointing past the volume: never followed.
        rf"^cat: /data/{re.escape(p.damaged_dir)}/{re.escape(p.bad_entry)}: ",
        # /boot: the U-Boot disk's FAT partition.
        r"^boot\.scr$", r"^Image$", r"^bootfs\.img$",
        # Which volume is which: the service's log (df runs in the first
        # boot only, see _STOPPED).
        r"fs\[fs\] INFO: block/\d+ partition 1 \(label \"MICA-VIRT\"\) is /boot$",
        r"fs\[fs\] INFO: block/\d+ partition 0 \(label \"MICADATA\"\) is /data$",
        # Never restarted: no "restarts <n>" after its process.
        r"^  fs \[running\] process \d+$",
        # Unsynced, then poweroff: the shell stops the file system first.
        r"^poweroff: stopping /fs \(its volumes written out\): stopped$",
    ]
    ordered = [
        r"^U-Boot ",
        r"\] mica: kernel ready: ",
        _READY,
        _line(p.written_text),
        _line(p.echo1),
        _line(p.echo2),
        rf"^cat: /data/{re.escape(p.loop)}: ",
        _line(p.intact),
        _line(p.intact_text.rstrip("\n")),
        _line(p.long_text.rstrip("\n")),
        _CM + r"component: stopped /fs \(process \d+\): exited with status 0$",
        r"^poweroff: asking the driver manager$",
        r"driver-manager: every driver stopped; powering off$",
    ]
    forbidden = _QUIET + _FS_QUIET + (
        # Errors only from the two damaged names.
        rf"^(ls|cat): (?!/data/{re.escape(p.loop)}: |/data/{re.escape(p.damaged_dir)}/{re.escape(p.bad_entry)}: )",
        _line(p.bad_entry), r"^never read$", r"data disk .*made now",
    )
    return ShellCase(READ_BACK, qemu.BootConfig(uboot=True), _sequence(steps), expected, ordered, forbidden,
                     poweroff=True, timeout_factor=2.0)


def _run_command(opts: Options, root: Path, *args: str) -> list[str]:
    """`./mica run ARGS` without the build step: qemu.py's `run` (which
    execs QEMU) with the project root `root` (MICA_ROOT: the default data
    disk is root/.mica/data.img). 2 CPUs instead of 4: this host's cores
    are shared."""
    return ["env", f"MICA_ROOT={root}", sys.executable, str(Path(qemu.__file__).resolve()), "run",
            "--out", str(opts.paths.out), "--cache", str(opts.paths.cache), "--smp", "2", *args]


def _fsck(image: Path) -> str:
    r = subprocess.run([_tool("fsck.fat"), "-n", str(image)], capture_output=True, text=True)
    return "" if r.returncode == 0 else f"fsck.fat -n {image}: status {r.returncode}:\n{r.stdout}{r.stderr}"


def _contents_problem(image: Path, files: dict[str, bytes]) -> str:
    problems = []
    for path, want in files.items():
        try:
            got = mtype_bytes(image, path)
        except RuntimeError as e:
            problems.append(str(e))
            continue
        if got != want:
            first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            problems.append(f"{path}: {len(got)} bytes, {len(want)} expected, first difference at {first}")
    return "; ".join(problems)


def storage_jobs(opts: Options) -> list[Job]:
    from qemu_jobs import qemu_failure_detail  # qemu_jobs registers these jobs

    names = [WRITE, f"{WRITE}/host-check", READ_BACK, f"{READ_BACK}/host-check"]
    if not any(opts.selected(n) for n in names):
        return []

    def boot(case: ShellCase, cmd: list[str]) -> CaseResult:
        timeout = BASE_TIMEOUT * case.timeout_factor * opts.timeout_scale
        r = qemu.run_case(cmd, ShellChecker(case), timeout, opts.log_path(case.name), opts.abort, case.inputs)
        if r.verdict.passed:
            return CaseResult(case.name, "PASS", r.seconds)
        return CaseResult(case.name, "FAIL", r.seconds, qemu_failure_detail(r.verdict.reason, r.log_path))

    def check(name: str, problem: str, seed: int) -> CaseResult:
        if problem:
            return CaseResult(name, "FAIL", 0.0, f"{problem} (seed {seed})")
        return CaseResult(name, "PASS", 0.0)

    def run() -> list[CaseResult]:
        seed = int.from_bytes(os.urandom(4), "little")
        plan = Plan(seed)
        root = opts.paths.out / "test-images" / "storage-root"
        shutil.rmtree(root, ignore_errors=True)
        image = qemu.default_data_image(root)
        bad = root / "bad-boot-sector.img"
        try:
            made = qemu.ensure_data_image(image, make_parent=True)  # as ./mica run makes it
            plan.fill(image)
            make_bad_disk(bad, plan.bad_boot)
        except (qemu.ConfigError, RuntimeError, OSError) as e:
            return [CaseResult(n, "FAIL", 0.0, f"cannot make the images: {e}") for n in names]
        if not made:
            return [CaseResult(n, "FAIL", 0.0, f"{image} was not made") for n in names]
        opts.log_path(WRITE).parent.mkdir(parents=True, exist_ok=True)
        with open(opts.log_path("storage-seed"), "w") as f:
            f.write(f"seed {seed}\n")
        write = write_case(plan, Fat32(image).total_kib)
        extra = ["--", "-drive", f"if=none,file={bad},format=raw,id=bad", "-device", "virtio-blk-device,drive=bad"]
        results = [boot(write, _run_command(opts, root, *extra))]
        results.append(check(f"{WRITE}/host-check",
                             _fsck(image) or _contents_problem(image, plan.written_files()), seed))
        if opts.abort.is_set():
            return results
        try:
            plan.damage(image)
        except (RuntimeError, OSError) as e:
            return results + [CaseResult(n, "FAIL", 0.0, f"cannot damage the image: {e}") for n in names[2:]]
        results.append(boot(read_back_case(plan), _run_command(opts, root, "--uboot")))
        late = {plan.late: (plan.late_text + "\n").encode()}  # written, never synced, then poweroff
        results.append(check(f"{READ_BACK}/host-check",
                             _contents_problem(image, {**plan.written_files(), **late}), seed))
        return results

    # Typed boots: mostly waiting (common.Job.waits).
    return [Job(names, run, waits=True)]
