"""The shell cases (`./mica test --filter shell/`, docs/shell.md): the driver
manager starts bin/shell (drivers.then=bin/shell); the harness types into
QEMU's console chardev like a person (qemu.run_case's `inputs`, each typed
once the line before it shows) and checks what comes back:

- shell/virt: help, an unknown command, a bad argument, echo, pastes in
  one write (a 228-byte echo, a burst of six echo lines), ps (the
  drivers' processes), threads of the driver manager, kill of the PL031
  driver's process (by the koid ps showed; the manager restarts it),
  drivers (the restarted node, restarts 1), mem, uptime, date, line editing (home, right, delete, insert, end,
  backspace; Ctrl-U; history up and Ctrl-W; Tab completion; Ctrl-C on a
  line), Ctrl-C of a sleep, run of a program with its exit code, Ctrl-C of
  a running program, jobs, a command whose capability is missing, kill of
  the console's own driver (the shell opens console/0 again), reboot (the
  machine boots again to the shell), and poweroff: QEMU must exit by itself with status 0. No line on the wire
  may hold a kernel log line after other bytes (the prompt is never cut
  mid-line by the log).
The system/ cases below boot the default instead (the component manager
with the shell as a component): system/virt, and system/rpi4, which holds
the Pi 4's shell steps (the prompt on the mini-UART, poweroff refused),
type-ahead and a paste in one write (a long line and a burst of lines)."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import string
import subprocess
from pathlib import Path
from typing import Callable, Optional, Union

import qemu
from checks import PANIC_MARK
from common import BASE_TIMEOUT, USERBOOT_END_RE, CaseResult, Job, Options
from qemu import BootConfig, Checker, Verdict

_DM = r"driver-manager\(\d+\): "
_READY = r"shell\(\d+\): shell: ready on console/0$"
# A kernel timestamp after other bytes on the same line: two writers' bytes
# in one line.
_MIXED = r".\[ *\d+\.\d{6}\] "
_QUIET = (_DM + r"driver: failed", _DM + r"driver-manager: cannot start", r"bind .* failed", _MIXED)

Input = tuple[str, Union[bytes, Callable[[re.Match], bytes]]]


@dataclasses.dataclass
class ShellCase:
    name: str
    config: BootConfig
    inputs: tuple[Input, ...]
    expected: list[str]  # in any order
    ordered: list[str]  # in this order (after each other, anywhere in the log)
    forbidden: tuple[str, ...]
    poweroff: bool  # the case ends with QEMU exiting with 0; else userboot's end with 0
    timeout_factor: float = 1.5
    done: Optional[str] = None  # without poweroff: this line ends the case, not userboot's end
    # (start, end, forbidden): from a line matching start to the next line
    # matching end, no line may match forbidden (what one command printed).
    windows: tuple[tuple[str, str, str], ...] = ()


class ShellChecker(Checker):
    """Passes when every expected line was seen, the ordered lines in order,
    no forbidden line, and the case ended its way: QEMU exiting by itself
    with status 0 (poweroff), its `done` line, or `userboot: ended with
    status 0`."""

    def __init__(self, case: ShellCase):
        self.case = case
        self.expected = [re.compile(e) for e in case.expected]
        self.seen = [False] * len(self.expected)
        self.ordered = [re.compile(o) for o in case.ordered]
        self.next = 0
        self.forbidden = [re.compile(f) for f in case.forbidden]
        self.bad: list[str] = []
        self.windows = [tuple(re.compile(x) for x in w) for w in case.windows]
        self.open = [False] * len(self.windows)
        self.closed = [False] * len(self.windows)  # each window must have been seen whole

    def _problems(self) -> list[str]:
        problems = []
        missing = [rx.pattern for rx, ok in zip(self.expected, self.seen) if not ok]
        if missing:
            problems.append("missing lines: " + "; ".join(missing))
        if self.next < len(self.ordered):
            problems.append(f"ordered line {self.next} missing or out of order: {self.ordered[self.next].pattern}")
        unseen = [w[0].pattern for w, done in zip(self.windows, self.closed) if not done]
        if unseen:
            problems.append("windows never closed: " + "; ".join(unseen))
        if self.bad:
            problems.append("unexpected lines: " + "; ".join(self.bad))
        return problems

    def _window(self, line: str) -> None:
        for i, (start, end, forbidden) in enumerate(self.windows):
            if self.open[i]:
                if end.search(line):
                    self.open[i] = False
                    self.closed[i] = True
                elif forbidden.search(line):
                    self.bad.append(f"{line.strip()!r} (after {start.pattern})")
            elif not self.closed[i] and start.search(line):
                self.open[i] = True

    def feed(self, line: str) -> Optional[Verdict]:
        if PANIC_MARK in line:
            return Verdict(False, f"kernel panic: {line.strip()}")
        for i, rx in enumerate(self.expected):
            self.seen[i] = self.seen[i] or bool(rx.search(line))
        if self.next < len(self.ordered) and self.ordered[self.next].search(line):
            self.next += 1
        self.bad += [repr(line.strip()) for rx in self.forbidden if rx.search(line)]
        self._window(line)
        if self.case.done is not None and re.search(self.case.done, line):
            problems = self._problems()
            if problems:
                return Verdict(False, "; ".join(problems))
            return Verdict(True, f"ended with {line.strip()!r}")
        m = USERBOOT_END_RE.search(line)
        if m and not self.case.poweroff and self.case.done is None:
            problems = self._problems()
            if int(m.group(1)) != 0:
                problems.append(f"userboot ended with status {m.group(1)}, not 0")
            if problems:
                return Verdict(False, "; ".join(problems))
            return Verdict(True, "userboot ended with status 0")
        return None

    def finish(self, why: str) -> Verdict:
        problems = self._problems()
        if not self.case.poweroff or not re.match(r"QEMU exited with status 0\b", why):
            problems.append(why)
        if problems:
            return Verdict(False, "; ".join(problems))
        return Verdict(True, "QEMU exited by itself with status 0 after poweroff")


def _append(*more: str) -> str:
    words = ["userboot.next=bin/driver-manager", "userboot.arg=drivers.then=bin/shell"]
    return " ".join(words + [f"userboot.arg={m}" for m in more])


def _ps_line(name: str) -> str:
    """A line of ps: koid, job, threads, memory, state, name."""
    return rf"^\s*(\d+)\s+\d+\s+\d+\s+\d+\s+running\s+{re.escape(name)}$"


# A pasted line of 228 bytes (the line editor holds 240; echo takes 15
# arguments) and a burst of lines (114 bytes) that the harness writes at once.
_LONG = " ".join(f"w{i:02d}" + "x" * 12 for i in range(14))
_BURST = tuple(f"burst{i}-{'z' * 8}" for i in range(6))


def _virt_case() -> ShellCase:
    rtc = "/pl031@9010000"
    child = "shell-test-child"
    inputs: tuple[Input, ...] = (
        (_READY, b"help\r"),
        (r"^\s+poweroff\s+stops every driver and powers off$", b"frobnicate\r"),
        (r"^frobnicate: unknown command \(try help\)$", b"kill abc\r"),
        (r"^kill: not a koid: abc$", b"sleep\r"),
        (r"^sleep: usage: sleep ", b"echo hello,   world\r"),
        # Pastes, each in one write: a line near the editor's limit, then a
        # burst of lines (the PL011 driver once took 64 bytes of a burst).
        (r"^hello, world$", f"echo {_LONG}\r".encode()),
        (rf"^{_LONG}$", "".join(f"echo {w}\r" for w in _BURST).encode()),
        (rf"^{_BURST[-1]}$", b"ps\r"),
        # Typed while ps still prints: the shell reads them once ps is done.
        (_ps_line("driver-manager"), lambda m: f"threads {m.group(1)}\r".encode()),
        (_ps_line("pl031"), lambda m: f"kill {m.group(1)}\r".encode()),
        # Its restart publishes rtc/0 again.
        (_DM + rf"driver: published rtc/0 by {re.escape(rtc)}$", b"drivers\r"),
        (r"^drivers: \d+ nodes$", b"mem\r"),
        (r"^mem: quarantined ", b"uptime\r"),
        (r"^up \d+\.\d{3}s$", b"date\r"),
        # "ecoh hi": home, right twice, delete the o, right, insert o, end,
        # backspace, "ey": "echo hey".
        (r"^20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC$", b"ecoh hi\x1b[H\x1b[C\x1bOC\x1b[3~\x1b[Co\x1b[F\x7fey\r"),
        (r"^hey$", b"garbage\x15echo clean\r"),  # Ctrl-U erases "garbage"
        (r"^clean$", b"\x1b[A\x17again\r"),  # up: "echo clean"; Ctrl-W: "echo "
        (r"^again$", b"ech\t tabbed\r"),  # Tab: "echo "
        (r"^tabbed$", b"echo never\x03sleep 100s\r"),  # Ctrl-C cancels the line
        (r"sleep 100s$", b"\x03"),  # Ctrl-C ends the sleep
        (r"^sleep: interrupted$", f"run {child} exit 7\r".encode()),
        (rf"^run: bin/{child} exited with status 7$", f"run {child} wait\r".encode()),
        (rf"{child}: waiting to be killed$", b"\x03"),
        (rf"^run: bin/{child} was killed$", b"jobs\r"),
        (r"^jobs: \d+ jobs$", b"components\r"),
        (r"^components: the component manager is not available$", b"ps\r"),
        # The console's own driver: the shell opens console/0 again.
        (_ps_line("pl011"), lambda m: f"kill {m.group(1)}\r".encode()),
        # Typed once the shell has raw mode again (before, the new driver
        # instance's canonical discipline would echo it first; type-ahead
        # keeps it for the shell either way).
        (r"shell\(\d+\): shell: reconnected to console/0$", b"echo reconnected\r"),
        (r"^reconnected$", b"reboot\r"),
        (_READY, b"poweroff\r"),  # the shell again after the reboot
    )
    expected = [
        r"^\s+help\s+lists the commands$",
        *[_ps_line(n) for n in ("driver-manager", "shell", "pl011", "pl031", "pl061", "gpio-keys")],
        r"^ps: \d+ processes$",
        r"^sleep: usage: sleep <ms>\|<n>ms\|<n>s$",
        r"^kill: killed \d+ \(pl031\)$",
        _DM + rf"driver: {re.escape(rtc)} \(pl031, process \d+\) was killed; restart 1 in \d+ ms$",
        rf"^\s+{re.escape(rtc)} \[bound\] driver pl031 process \d+ restarts 1 services rtc/0$",
        r"^\s+/pl011@9000000 \[bound\] driver pl011 process \d+ restarts 0 services console/0$",
        r"^mem: total \d+ KiB, free \d+ KiB, heap \d+ KiB \(free \d+ KiB\), other \d+ KiB$",
        r"^\^C$",
        rf"{child}\(\d+\): {child}: exiting with status 7$",
        rf"^run: started bin/{child} \(process \d+\)$",
        r"^job \d+: \d+ processes, \d+ jobs$",
        r"^\s+process \d+ shell$",
        r"^\s*\d+ (running|blocked)\s+\d+\s+\d+ driver-manager$",
        r"^threads: 1 threads in driver-manager \(\d+\)$",
        _DM + r"driver: /pl011@9000000 \(pl011, process \d+\) was killed; restart 1 in \d+ ms$",
        r"^kill: killed \d+ \(pl011\)$",  # written to the driver's next instance
    ]
    ordered = [
        *[rf"^{w}$" for w in _BURST],
        r"^reboot: asking the driver manager$",
        _DM + r"driver-manager: reboot asked by bin/shell \(process \d+\)$",
        _DM + r"driver-manager: every driver stopped; rebooting$",
        r"\] mica: reboot requested by driver-manager\(\d+\)$",
        r"\] mica: kernel ready: ",
        _READY,
        r"^poweroff: asking the driver manager$",
        _DM + r"driver-manager: power off asked by bin/shell \(process \d+\)$",
        _DM + r"driver-manager: every driver stopped; powering off$",
        r"\] mica: power off requested by driver-manager\(\d+\)$",
    ]
    forbidden = _QUIET + (r"^never$", r"garbage: unknown", r"ecoh: unknown", r"restart 2 in",
                          _DM + r"driver: /pl061.* restart", r"^kill: 1025 ")
    config = BootConfig(board="virt", smp=2, gic=3, append=_append())
    return ShellCase("shell/virt", config, inputs, expected, ordered, forbidden, poweroff=True, timeout_factor=2.0)


_CM = r"component-manager\(\d+\): "


_LOG_END = r"^log: \d+ records, 0 dropped$"


def _system_case() -> ShellCase:
    """system/virt: the default boot (userboot starts bin/component-manager,
    which runs meta/root.cm: driver_manager, log, shell, the lazy echo).
    The shell is a component: components, component show, log through
    log.Reader (the log service's own record and the kernel's, by
    moniker), drivers and power.Power through routing, stop/start of /log, a kill of the log
    service (restarted by the manager: on_terminate restart); `run` in the
    root's collection: the echo example's client (the lazy /echo listed
    stopped, started by its first use, then running), a component whose
    use nobody offers (test.Missing: named by the program and by the
    manager's broken hop; the shell goes on), a failing program and a
    Ctrl-C of a running one (the shell logs both, tag run); `log` filters
    by severity, tag and moniker (windows: what each must leave out);
    then poweroff."""
    inputs: tuple[Input, ...] = (
        (_READY, b"components\r"),
        (r"^components: 6$", b"component show /shell\r"),
        (r"^uses: directory\.Directory inspect\.Inspect power\.Power log\.Reader log\.Sink kernel\.RootJob "
         r"kernel\.RootResource kernel\.Bootfs component\.Realm data boot fs\.Mounts$", b"mem\r"),
        # The root resource through kernel.RootResource (INSPECT only).
        (r"^mem: total \d+ KiB", b"run hello\r"),  # the bootfs through kernel.Bootfs
        (r"^run: bin/hello exited with status 0$", b"log --moniker log\r"),
        (r"^log: \d+ records, 0 dropped$", b"log --moniker kernel --severity info\r"),
        # Records carry the writer's moniker: the manager attached each
        # routed log.Sink with it, so a component's stdout is its own too
        # (docs/logging.md, "What is trusted").
        # (Each command is typed once the previous one's `log: N records`
        # is out: keys typed while bin/log runs are not the shell's.)
        (r"^\[\d+\.\d{3}\] kernel INFO: .*mica: kernel ready", b""),
        (_LOG_END, b"log --moniker driver_manager\r"),
        (r"^\[\d+\.\d{3}\] driver_manager INFO: driver: bound /pl011@9000000 to pl011 \(process \d+\)$", b""),
        (_LOG_END, b"log --moniker shell\r"),
        (r"^\[\d+\.\d{3}\] shell INFO: shell: ready on console/0$", b""),
        # `run hello` above, this boot's first Realm.Run: /run:hello-1, its
        # log.Sink offered to the collection and attached before it ran.
        (_LOG_END, b"log --moniker run:hello-1\r"),
        (r"^\[\d+\.\d{3}\] run:hello-1 INFO: hello from user space$", b""),
        (_LOG_END, b"drivers\r"),
        (r"^drivers: \d+ nodes$", b"stop /log\r"),
        (r"^stop: /log stopped$", b"components\r"),
        (r"^  log \[stopped\]$", b"start /log\r"),
        (r"^start: /log started$", b"ps\r"),
        (_ps_line("log-service"), lambda m: f"kill {m.group(1)}\r".encode()),
        (_CM + r"component: /log \(process \d+\) was killed; restart 1 in \d+ ms$", b"components\r"),
        (r"^  log \[running\] process \d+ restarts 1$", b"run echo-client hello from the shell\r"),
        # The lazy /echo (stopped until now) starts on the client's open.
        (r"^run: meta/echo-client\.cm exited with status 0$", b"components\r"),
        (r"^  echo \[running\] process \d+$", b"run cm-test-missing\r"),  # uses test.Missing
        (r"^run: meta/cm-test-missing\.cm exited with status 0$", b"run shell-test-child exit 3\r"),
        (r"^run: bin/shell-test-child exited with status 3$", b"run shell-test-child wait\r"),
        (r"shell-test-child: waiting to be killed$", b"\x03"),
        (r"^run: bin/shell-test-child was killed$", b"log --severity warn\r"),
        (r"^log: \d+ records, 0 dropped$", b"log --tag echo\r"),
        (r"^log: \d+ records, 0 dropped$", b"log --severity info --moniker log\r"),
        (r"^log: \d+ records, 0 dropped$", b"poweroff\r"),
    )
    expected = [
        r"^/ \[running\]$",
        r"^  driver_manager \[running\] process \d+$",
        r"^  shell \[running\] process \d+$",
        r"^binary: bin/shell$",
        r"hello\(\d+\): hello from user space$",
        r"^\[\d+\.\d{3}\] log INFO: log service ready$",
        r"^\s+/pl011@9000000 \[bound\] driver pl011 process \d+ restarts 0 services console/0$",
        _CM + r"component: stopped /log \(process \d+\)",
        r"^kill: killed \d+ \(log-service\)$",
        r"cm-test-component\(\d+\): cm-test: cannot open test\.Missing: MICA_ERR_NOT_FOUND$",
        r"^run: started bin/shell-test-child as /run:shell-test-child-\d+ \(process [1-9]\d*\)$",
        # The log service's console line of the shell's record of the Ctrl-C.
        r"\] \S+\[run\] INFO: /run:shell-test-child-\d+ \(bin/shell-test-child\) killed by Ctrl-C$",
    ]
    record = r"^\[\d+\.\d{3}\] "  # a log record as `log` prints it (ring.h FormatLine)
    ordered = [
        _CM + r"component: started /driver_manager \(process \d+\)$",
        _READY,
        # Lazy start: stopped, started by the first use, running.
        r"^  echo \[stopped\]$",
        _CM + r"component: started /echo \(process \d+\)$",
        r"echo-client\(\d+\): hello from the shell$",
        r"^  echo \[running\] process \d+$",
        # A use nobody offers: the name in the program's error and in the
        # manager's broken hop; the shell goes on.
        _CM + r"component: /run:cm-test-missing-\d+ cannot open test\.Missing: not offered by /$",
        r"^run: meta/cm-test-missing\.cm exited with status 0$",
        r"^mica> log --severity warn$",
        record + r"\S+\[run\] WARN: /run:shell-test-child-\d+ \(bin/shell-test-child\) exited with status 3$",
        r"^mica> log --tag echo$",
        record + r"\S+\[echo\] INFO: serving echo\.Echo$",
        r"^mica> log --severity info --moniker log$",
        record + r"log INFO: log service ready$",
        r"^poweroff: asking the driver manager$",
        # power.Power through routing: the manager cannot tell which client.
        _DM + r"driver-manager: power off asked by a client routed to power\.Power$",
        _DM + r"driver-manager: every driver stopped; powering off$",
    ]
    # Each filter leaves out what it must: no record below WARN, none
    # without the tag echo, none of another moniker.
    end = r"^log: \d+ records, \d+ dropped$"
    windows = (
        (r"^mica> log --severity warn$", end, record + r"\S+ (TRACE|DEBUG|INFO): "),
        (r"^mica> log --tag echo$", end, record + r"(?!\S*\[echo\] )\S+ "),
        (r"^mica> log --severity info --moniker log$", end, record + r"(?!log[ \[])\S+ "),
    )
    # `cannot open` only from the cm-test-missing run (the manager's and the program's lines).
    spared = r"^(?!.*(/run:cm-test-missing-\d+ |cm-test: )).*cannot open"
    forbidden = _QUIET + (spared, r"component: failed", r"component: cannot start")
    config = BootConfig(board="virt", smp=2, gic=3, append="")
    return ShellCase("system/virt", config, inputs, expected, ordered, forbidden, poweroff=True, windows=windows)


def _system_rpi4_case() -> ShellCase:
    """system/rpi4: the default boot on raspi4b (`./mica run rpi4`), the
    shell on the mini-UART. Type-ahead: a command typed when the kernel is
    ready, long before the prompt (the kernel still has the console; the
    mini-UART's FIFO holds 8 bytes, QEMU the rest), runs once the shell has
    the console. Then components, drivers (the mini-UART bound as
    console/0), uptime, and poweroff: refused at once (the Pi 4 has no
    PSCI), the shell goes on; then a paste in one write (a 228-byte echo,
    a burst of echo lines, the last `echo still here`) runs whole."""
    uart = re.escape("/soc/serial@7e215040")
    inputs: tuple[Input, ...] = (
        (r"\] mica: kernel ready: ", b"echo typed ahead\r"),
        (r"^typed ahead$", b"components\r"),
        (r"^components: \d+$", b"drivers\r"),
        (r"^drivers: \d+ nodes$", b"uptime\r"),
        (r"^up \d+\.\d{3}s$", b"poweroff\r"),  # no PSCI: refused, nothing stopped
        # A paste in one write: a long line, a burst, the last line.
        (r"^poweroff: refused: MICA_ERR_NOT_SUPPORTED$",
         "".join(f"echo {w}\r" for w in (_LONG, *_BURST, "still here")).encode()),
    )
    expected = [
        r"^mica> echo typed ahead$",  # the shell's own echo: it read the keys
        r"^/ \[running\]$",
        r"^  driver_manager \[running\] process \d+$",
        r"^  log \[running\] process \d+$",
        r"^  shell \[running\] process \d+$",
        rf"^\s+{uart} \[bound\] driver mini-uart process \d+ restarts 0 services console/0$",
        _DM + r"driver-manager: power off refused: no /psci in the devicetree$",
    ]
    ordered = [
        r"\] mica: kernel ready: ",
        _CM + r"component: started /driver_manager \(process \d+\)$",
        _READY,
        r"^typed ahead$",
        r"^up \d+\.\d{3}s$",
        r"^poweroff: refused: MICA_ERR_NOT_SUPPORTED$",
        rf"^{_LONG}$",
        *[rf"^{w}$" for w in _BURST],
    ]
    forbidden = _QUIET + (r"cannot open", r"component: failed", r"component: cannot start", r"unknown command")
    config = BootConfig(board="rpi4", append="")
    return ShellCase("system/rpi4", config, inputs, expected, ordered, forbidden, poweroff=False,
                     done=r"^still here$")


def shell_cases() -> list[ShellCase]:
    return [_virt_case(), _system_case(), _system_rpi4_case()]


FILES = "shell/virt-files"
_MTOOLS_ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1")


def _host_tool(name: str) -> str:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


def _host_run(cmd: list[str], data: Optional[bytes] = None) -> bytes:
    r = subprocess.run(cmd, input=data, capture_output=True, env=_MTOOLS_ENV)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: status {r.returncode}: {(r.stdout + r.stderr).decode(errors='replace')}")
    return r.stdout


class FilesPlan:
    """shell/virt-files' random names and contents (the seed is in the
    log), the image the host makes and what it must hold afterwards."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        self.seed = seed

        def word(n: int) -> str:
            return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(n))

        self.hello = f"hello-{word(5)}.txt"
        self.hello_text = f"{word(6)} {word(4)} from the host\n"
        # hexdump's input: text, a run of equal lines (one "*"), a tail.
        self.binary = f"bin-{word(4)}.dat"
        self.binary_data = rng.randbytes(20) + bytes(48) + word(9).encode()
        self.notes = f"notes-{word(4)}.txt"
        self.notes_words = [word(rng.randint(3, 8)) for _ in range(4)]
        self.log = f"log-{word(4)}.txt"
        self.echo1, self.echo2 = word(7), word(7)
        self.dir = f"dir-{word(4)}"
        self.moved = f"moved-{word(4)}.txt"
        self.empty = f"empty-{word(4)}"

    def make(self, image: Path) -> None:
        """A bare 16 MiB FAT16 volume labelled MICADATA with the host's files."""
        with open(image, "wb") as f:
            f.truncate(16 << 20)
        _host_run([_host_tool("mkfs.fat"), "-F", "16", "-n", "MICADATA", str(image)])
        for name, data in ((self.hello, self.hello_text.encode()), (self.binary, self.binary_data)):
            _host_run([_host_tool("mcopy"), "-i", str(image), "-", f"::/{name}"], data)

    def hexdump(self) -> list[str]:
        """`hexdump -C` of the binary file, by the host's hexdump."""
        r = subprocess.run([_host_tool("hexdump"), "-C"], input=self.binary_data, capture_output=True, check=True)
        return r.stdout.decode().splitlines()

    def after(self) -> dict[str, Optional[bytes]]:
        """What the volume holds after the boot (None: must be gone)."""
        return {
            self.hello: self.hello_text.encode(),
            f"{self.dir}/{self.notes}": (" ".join(self.notes_words) + "\n").encode(),
            f"{self.dir}/{self.moved}": f"{self.echo1}\n{self.echo2}\n".encode(),
            self.notes: None,
            self.log: None,
            self.empty: None,
        }


def files_case(plan: FilesPlan, image: Path) -> ShellCase:
    """shell/virt-files: the default boot with a FAT16 image as a virtio-blk
    disk (the fs service mounts it as /data). Typed: ls /, cd (to /data),
    pwd, ls -l, cat, hexdump (line for line the host's `hexdump -C`),
    write, echo > and >>, mkdir, cp into a directory, mv, ls of it, rm,
    rmdir, each error a user meets (no such file, is a directory, not a
    directory, directory not empty), df, sync; a kill of the fs service
    (restarted by the component manager), after which cat reads through
    the reopened mount; poweroff."""
    p = plan
    notes = " ".join(p.notes_words)
    hexdump = p.hexdump()

    def echo(command: str) -> str:
        return rf"^mica> {re.escape(command)}$"

    def line(text: str) -> str:
        return rf"^{re.escape(text)}$"

    errors = [
        (f"cat /data/{p.notes}", f"cat: /data/{p.notes}: no such file or directory"),
        (f"cat {p.dir}", f"cat: /data/{p.dir}: is a directory"),
        (f"rmdir {p.dir}", f"rmdir: /data/{p.dir}: directory not empty"),
        (f"rm {p.dir}", f"rm: /data/{p.dir}: is a directory"),
        (f"cd {p.hello}", f"cd: /data/{p.hello}: not a directory"),
        ("ls /nowhere", "ls: /nowhere: no such file or directory"),
        (f"mkdir {p.dir}", f"mkdir: /data/{p.dir}: file exists"),
    ]
    steps = [
        ("ls /", line("data/")),
        ("cd /", echo("cd /")),
        ("cd", echo("cd")),
        ("pwd", line("/data")),
        ("ls -l", rf" {re.escape(p.binary)}$"),
        (f"cat {p.hello}", line(p.hello_text.rstrip("\n"))),
        (f"hexdump {p.binary}", line(hexdump[-1])),
        (f"write {p.notes} {notes}", echo(f"write {p.notes} {notes}")),
        (f"echo {p.echo1} > {p.log}", echo(f"echo {p.echo1} > {p.log}")),
        (f"echo {p.echo2} >> /data/{p.log}", echo(f"echo {p.echo2} >> /data/{p.log}")),
        (f"cat {p.log}", line(p.echo2)),
        (f"mkdir {p.dir} {p.empty}", echo(f"mkdir {p.dir} {p.empty}")),
        (f"cp {p.notes} {p.dir}", echo(f"cp {p.notes} {p.dir}")),
        (f"mv {p.log} ./{p.dir}/../{p.dir}/{p.moved}", echo(f"mv {p.log} ./{p.dir}/../{p.dir}/{p.moved}")),
        (f"ls {p.dir}", line(p.moved)),
        (f"cat {p.dir}/{p.notes}", line(notes)),
        (f"rm {p.notes}", echo(f"rm {p.notes}")),
        (f"rmdir {p.empty}", echo(f"rmdir {p.empty}")),
        *[(command, line(why)) for command, why in errors],
        ("df", r"^df: \d+ volumes$"),
        ("sync", echo("sync")),
        # The service killed (the component manager restarts it): the
        # shell's cached /data finds its channel closed, opens it again
        # and the call goes through (mica::fs::Namespace, "Reconnection").
        ("ps", _ps_line("fs-service")),
        (lambda m: f"kill {m.group(1)}\r".encode(), r"^kill: killed \d+ \(fs-service\)$"),
        (f"cat {p.hello}", echo(f"cat {p.hello}")),
        ("ls", line(f"{p.dir}/")),
        ("poweroff", ""),
    ]
    inputs: list[Input] = []
    trigger = _READY
    for command, after in steps:
        inputs.append((trigger, command if callable(command) else (command + "\r").encode()))
        trigger = after
    expected = [
        rf"^- +{len(p.hello_text)} 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d {re.escape(p.hello)}$",
        rf"^- +{len(p.binary_data)} .* {re.escape(p.binary)}$",
        *[line(h) for h in hexdump],
        line(p.notes),
        line(p.echo1),
        r"^/data +block/\d+ +0 fat16 +\d+ +\d+ +\d+$",
    ]
    ordered = [
        _READY,
        line("data/"),
        line("/data"),
        line(p.hello_text.rstrip("\n")),
        *[line(h) for h in hexdump],
        echo(f"cat {p.log}"), line(p.echo1), line(p.echo2),
        echo(f"ls {p.dir}"),
        *[line(why) for _, why in errors],
        echo("sync"),
        _CM + r"component: /fs \(process \d+\) was killed; restart 1 in \d+ ms$",
        echo(f"cat {p.hello}"),
        line(p.hello_text.rstrip("\n")),
        r"^poweroff: asking the driver manager$",
    ]
    # No other error: every error line of a file command is one of those.
    planned = "|".join([re.escape(why) for _, why in errors] + [r"df: \d+ volumes"])
    forbidden = _QUIET + (
        rf"^(?!({planned})$)(ls|cd|pwd|cat|write|echo|cp|mv|rm|mkdir|rmdir|df|sync|hexdump): ",
        r"component: /fs \(process \d+\) (?!was killed; restart 1 in)", r"component: failed",
    )
    devices = ("-drive", f"if=none,file={image},format=raw,id=files", "-device", "virtio-blk-device,drive=files")
    config = BootConfig(board="virt", smp=2, gic=3, append="", devices=devices)
    return ShellCase(FILES, config, tuple(inputs), expected, ordered, forbidden, poweroff=True, timeout_factor=2.0)


def files_host_check(plan: FilesPlan, image: Path) -> str:
    """`fsck.fat -n` finds nothing; mtools reads back what the shell wrote,
    and what it removed is gone. Empty if so, else what is wrong."""
    r = subprocess.run([_host_tool("fsck.fat"), "-n", str(image)], capture_output=True, text=True)
    if r.returncode != 0:
        return f"fsck.fat -n: status {r.returncode}: {r.stdout}{r.stderr}"
    problems = []
    for path, want in plan.after().items():
        got = subprocess.run([_host_tool("mtype"), "-i", str(image), f"::/{path}"], capture_output=True,
                             env=_MTOOLS_ENV)
        if want is None and got.returncode == 0:
            problems.append(f"{path} is still there")
        elif want is not None and (got.returncode != 0 or got.stdout != want):
            problems.append(f"{path}: {got.stdout[:80]!r} {got.stderr[:80]!r}, {want[:80]!r} expected")
    return "; ".join(problems)


def shell_jobs(opts: Options) -> list[Job]:
    """A job per selected shell case."""
    from qemu_jobs import qemu_failure_detail  # qemu_jobs registers these jobs

    def job(case: ShellCase) -> Job:
        def run() -> list[CaseResult]:
            problem = "\n".join(qemu.missing_files(case.config, opts.paths))
            if problem:
                return [CaseResult(case.name, "FAIL", 0.0, problem)]
            cmd = qemu.qemu_command(case.config, opts.paths)
            timeout = BASE_TIMEOUT * case.timeout_factor * opts.timeout_scale
            r = qemu.run_case(cmd, ShellChecker(case), timeout, opts.log_path(case.name), opts.abort, case.inputs)
            if r.verdict.passed:
                return [CaseResult(case.name, "PASS", r.seconds)]
            return [CaseResult(case.name, "FAIL", r.seconds, qemu_failure_detail(r.verdict.reason, r.log_path))]

        return Job([case.name], run)

    def files_job() -> Job:
        names = [FILES, f"{FILES}/host-check"]

        def run() -> list[CaseResult]:
            seed = int.from_bytes(os.urandom(4), "little")
            plan = FilesPlan(seed)
            image = opts.paths.out / "test-images" / "shell-virt-files.img"
            image.parent.mkdir(parents=True, exist_ok=True)
            try:
                plan.make(image)
            except (RuntimeError, OSError) as e:
                return [CaseResult(n, "FAIL", 0.0, f"cannot make {image}: {e} (seed {seed})") for n in names]
            case = files_case(plan, image)
            opts.log_path(FILES).parent.mkdir(parents=True, exist_ok=True)
            with open(opts.log_path(FILES + "-seed"), "w") as f:
                f.write(f"seed {seed}\n")
            results = job(case).run()
            problem = files_host_check(plan, image)
            results.append(CaseResult(names[1], "FAIL" if problem else "PASS", 0.0,
                                      f"{problem} (seed {seed}, image {image})" if problem else ""))
            return results

        return Job(names, run)

    jobs = [job(c) for c in shell_cases() if opts.selected(c.name)]
    if opts.selected(FILES) or opts.selected(f"{FILES}/host-check"):
        jobs.append(files_job())
    return jobs
