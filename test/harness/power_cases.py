"""The power key cases (docs/drivers.md, "Power"; docs/testing.md): a
default boot of the system driver set binds the PL061 (bin/pl061, class
`gpio`) and gpio-keys (bin/gpio-keys); once gpio-keys says its keys are
ready, the harness presses QEMU's power button through a QMP socket in the
case's log directory (`system_powerdown`, never a network socket). The
case passes when the manager's shutdown lines come in order (why, every
driver stopped children first, powering off), the kernel's `power off
requested by driver-manager` follows, and QEMU exits by itself with status
0. The fault cases first break bin/pl061 or bin/gpio-keys one way (kill
from outside, crash, exit, hang, a kill while a request is in flight); the
key is pressed only after the restarted driver (or the reconnected client)
is ready, so a pass shows the device works again."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import qemu
from checks import PANIC_MARK
from common import BASE_TIMEOUT, CaseResult, Job, Options
from driver_cases import bound_problem, kernel_memory_problem
from qemu import BootConfig, Checker, Verdict

_DM = r"driver-manager\(\d+\): "
_KEYS = r"gpio-keys\(\d+\): gpio-keys: "
_GPIO, _KEYNODE, _RTC = "/pl061@9030000", "/gpio-keys", "/pl031@9010000"
_QUIET = (_DM + r"driver: failed", _DM + r"driver: cannot start", r"bind .* failed",
          r"power off refused", r"system_power failed")


@dataclasses.dataclass(frozen=True)
class PowerCase:
    name: str
    config: BootConfig
    trigger: str  # the line after which the power button is pressed ("": never)
    expected: list[str]  # in any order, before QEMU exits
    ordered: list[str]  # in this order, after the trigger
    forbidden: tuple[str, ...] = ()
    timeout_factor: float = 2.0
    extra: tuple[str, ...] = ()  # more QEMU arguments
    # A check of the whole log once the lines passed: a problem, or "".
    post: Optional[Callable[[str], str]] = None
    # Lines forbidden once the power button was pressed: no driver sees a
    # provider go (consumers are stopped first) or is restarted.
    quiet_after: tuple[str, ...] = (r"gpio closed", r"reconnecting", r"restart \d+ in")


class PowerKeyChecker(Checker):
    """Presses the power button (press()) once `trigger` is seen; passes
    when QEMU exits with status 0 after every expected line, the ordered
    lines in order, and no forbidden line."""

    def __init__(self, case: PowerCase, press):
        self.trigger = re.compile(case.trigger) if case.trigger else None
        self.expected = [re.compile(e) for e in case.expected]
        self.seen = [False] * len(self.expected)
        self.ordered = [re.compile(o) for o in case.ordered]
        self.next = 0
        self.forbidden = [re.compile(f) for f in case.forbidden]
        self.bad: list[str] = []
        self.quiet_after = [re.compile(q) for q in case.quiet_after]
        self.press = press
        self.pressed = self.trigger is None

    def feed(self, line: str) -> Optional[Verdict]:
        if PANIC_MARK in line:
            return Verdict(False, f"kernel panic: {line.strip()}")
        for i, rx in enumerate(self.expected):
            self.seen[i] = self.seen[i] or bool(rx.search(line))
        if self.pressed and self.next < len(self.ordered) and self.ordered[self.next].search(line):
            self.next += 1
        self.bad += [line.strip() for rx in self.forbidden if rx.search(line)]
        if self.pressed:
            self.bad += [f"after the press: {line.strip()}" for rx in self.quiet_after if rx.search(line)]
        if not self.pressed and self.trigger.search(line):
            self.pressed = True
            self.press()
        return None

    def finish(self, why: str) -> Verdict:
        problems = []
        if not self.pressed and self.trigger is not None:
            problems.append(f"never pressed: no line matched {self.trigger.pattern}")
        missing = [rx.pattern for rx, ok in zip(self.expected, self.seen) if not ok]
        if missing:
            problems.append("missing lines: " + "; ".join(missing))
        if self.next < len(self.ordered):
            problems.append(f"ordered line {self.next} missing or out of order: {self.ordered[self.next].pattern}")
        if self.bad:
            problems.append("unexpected lines: " + "; ".join(self.bad))
        if not re.match(r"QEMU exited with status 0\b", why):
            problems.append(why)
        if problems:
            return Verdict(False, "; ".join(problems))
        return Verdict(True, "QEMU exited by itself with status 0 after the clean shutdown")


def qmp_command(path: Path, command: str, timeout: float = 10.0) -> str:
    """Sends one QMP command over the unix socket at `path` (after the
    capabilities handshake) and returns QEMU's answer line."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(str(path))
            break
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with s:
        f = s.makefile("rwb")
        f.readline()  # the greeting
        for cmd in ("qmp_capabilities", command):
            f.write(json.dumps({"execute": cmd}).encode() + b"\n")
            f.flush()
            while True:
                answer = f.readline().decode()
                if not answer or '"return"' in answer or '"error"' in answer:
                    break
        return answer.strip()


def power_key_job(opts: Options, case: PowerCase) -> Job:
    def run() -> list[CaseResult]:
        problem = "\n".join(qemu.missing_files(case.config, opts.paths))
        if problem:
            return [CaseResult(case.name, "FAIL", 0.0, problem)]
        log = opts.log_path(case.name)
        log.parent.mkdir(parents=True, exist_ok=True)
        sock = log.with_suffix(".qmp")
        sock.unlink(missing_ok=True)
        answers: list[str] = []

        def press() -> None:
            def send() -> None:
                try:
                    answers.append(qmp_command(sock, "system_powerdown"))
                except OSError as e:
                    answers.append(f"QMP failed: {e}")
            threading.Thread(target=send, daemon=True).start()

        extra = ("-qmp", f"unix:{sock},server=on,wait=off") + case.extra
        cmd = qemu.qemu_command(case.config, opts.paths, extra=extra)
        timeout = BASE_TIMEOUT * case.timeout_factor * opts.timeout_scale
        r = qemu.run_case(cmd, PowerKeyChecker(case, press), timeout, log, opts.abort)
        sock.unlink(missing_ok=True)
        problem = case.post(r.log_path.read_text(errors="replace")) if r.verdict.passed and case.post else ""
        if r.verdict.passed and not problem:
            return [CaseResult(case.name, "PASS", r.seconds)]
        detail = f"{problem or r.verdict.reason} (QMP: {'; '.join(answers) or 'nothing sent'}; log {r.log_path})"
        return [CaseResult(case.name, "FAIL", r.seconds, detail)]

    return Job([case.name], run, waits=case.name.endswith("-campaign"))


def _virt(*words: str) -> BootConfig:
    append = " ".join(["userboot.next=bin/driver-manager"] + [f"userboot.arg={w}" for w in words])
    return BootConfig(board="virt", smp=2, gic=3, append=append)


def _bound(path: str, driver: str) -> str:
    return _DM + rf"driver: bound {path} to {driver} \(process \d+\)$"


def _stopped(path: str, driver: str) -> str:
    return _DM + rf"driver: stopped {path} \({driver}, process \d+\): exited with status 0$"


def _shutdown() -> list[str]:
    """The manager's shutdown, in order: why, the Power clients told
    (gpio-keys says it heard: in _stopped_too, in any order), every running driver stopped, consumers
    before their providers (gpio-keys before the PL061 it opened by
    phandle; the others, of one depth, in any order: _stopped_too), powering
    off, and the kernel's line."""
    return [
        _KEYS + r"KEY_POWER pressed: asking for power off$",
        _DM + rf"driver-manager: power off asked by {_KEYNODE} \(gpio-keys, process \d+\)$",
        _DM + r"driver-manager: told 1 Power clients$",
        _stopped(_KEYNODE, "gpio-keys"),
        _stopped(_GPIO, "pl061"),
        _DM + r"driver-manager: every driver stopped; powering off$",
        r"\] mica: power off requested by driver-manager\(\d+\)$",
    ]


def _stopped_too() -> list[str]:
    """The drivers stopped with no link to order them by (any order), and
    gpio-keys hearing that the system goes down: it runs beside the manager
    (on another CPU it prints as soon as the event is handed to it), so its
    line may come before or after the manager's "told 1 Power clients"."""
    return [_stopped("/pl011@9000000", "pl011"), _stopped(_RTC, "pl031"),
            _KEYS + r"told the system is going down \(power off\)$"]


def _ready(start: int, connection: int) -> str:
    return _KEYS + rf"{_KEYNODE}: 1 keys ready on gpio phandle 0x[0-9a-f]+ \(start {start}, connection {connection}\)$"


def _fault(victim: str, driver: str, fault: str, reason: str, switches: tuple[str, ...],
           more: list[str], hang: bool = False) -> PowerCase:
    """`victim` ends once (`reason`) and is restarted once; then the power
    key still powers off (through a reconnected GPIO client if the
    controller restarted); nothing else restarts."""
    gpio_restarted = victim == _GPIO
    expected = [
        _bound(victim, driver),
        _DM + rf"driver: {victim} \({driver}, process \d+\) {reason}; restart 1 in 0 ms$",
        _DM + r"driver: published gpio/0 by /pl061@9030000$",
    ] + more + _stopped_too()
    if gpio_restarted:
        expected.append(rf"pl061\(\d+\): pl061: {_GPIO} up, 8 pins \(start 1\)$")
        expected.append(_KEYS + r"gpio closed: MICA_ERR_PEER_CLOSED")
    forbidden = _QUIET + (r"restart 2 in", _DM + rf"driver: /(?!{victim[1:]} ).* \(.*, process \d+\) ")
    trigger = _ready(0, 2) if gpio_restarted else _ready(1, 1)
    name = f"power/virt-{'pl061' if gpio_restarted else 'gpio-keys'}-{fault}"
    return PowerCase(name, _virt(*switches), trigger, expected, _shutdown(), forbidden,
                     3.0 if hang else 2.0)


_WAYS = {"kill": "was killed", "crash": r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)",
         "exit": "exited with status 3", "hang": "missed its liveness check", "stall": "was killed"}


def _campaign(victim: str, driver: str, faults: tuple[str, ...]) -> PowerCase:
    """The ways in one boot (drivers.inject=<victim>:<faults>), as the
    campaign rows of driver_cases.py: after each end the driver is bound
    again with a new koid, nothing else restarts, gpio-keys is (again)
    ready on the controller, the kernel's free memory after every end is
    back to end 2's (kernel_memory_problem), and then the power key still
    powers the machine off."""
    gpio = victim == _GPIO
    restarts = [_DM + rf"driver: {victim} \({driver}, process \d+\) {_WAYS[f]}; restart {i} in \d+ ms$"
                for i, f in enumerate(faults, 1)]
    expected = restarts + [rf"{driver}\(\d+\): {driver}: injecting {f}$" for f in faults if f != "kill"]
    expected += [_DM + rf"driver-manager: killing process \d+ \({victim}\), as injected$"] + _stopped_too()
    if "stall" in faults:
        expected += [r"pl061\(\d+\): pl061: holding a request unanswered, as injected$",
                     _KEYS + r"gpio closed: MICA_ERR_PEER_CLOSED with a request in flight; reconnecting$"]
    forbidden = _QUIET + (rf"restart {len(faults) + 1} in", _DM + rf"driver: /(?!{victim[1:]} ).* \(.*, process \d+\) ")
    closed = re.compile(_KEYS + r"gpio closed: MICA_ERR_PEER_CLOSED")
    starts = len(faults) + 1

    def post(log: str) -> str:
        lines = log.splitlines()
        closes = sum(1 for line in lines if closed.search(line))
        if gpio and closes != len(faults):
            return f"gpio-keys saw the controller close {closes} times, not {len(faults)}"
        return bound_problem(lines, victim, driver, starts) or kernel_memory_problem(lines, victim, starts)

    # Pressed once the last start's memory reading is logged (the key is
    # ready by then).
    expected.append(_ready(0, starts) if gpio else _ready(len(faults), 1))
    trigger = _DM + rf"driver-manager: kernel free memory \d+ bytes at start {len(faults)} of {victim} "
    name = f"power/virt-{'pl061' if gpio else 'gpio-keys'}-campaign"
    config = _virt(f"drivers.inject={victim}:{','.join(faults)}", "drivers.kmem-ms=1000")
    return PowerCase(name, config, trigger, expected, _shutdown(), forbidden, 4.0, post=post)


def power_cases() -> list[PowerCase]:
    kill_gpio = f"drivers.kill=1500:{_GPIO}"
    kill_keys = f"drivers.kill=1500:{_KEYNODE}"
    key_events = [_KEYS + r"key 116 pressed$"]
    base = PowerCase(
        "power/virt-power-key", _virt(), _ready(0, 1),
        [_bound(_GPIO, "pl061"), _bound(_KEYNODE, "gpio-keys"),
         _DM + rf"driver: published gpio/0 by {_GPIO}$",
         rf"pl061\(\d+\): pl061: {_GPIO} up, 8 pins \(start 0\)$"] + key_events + _stopped_too(),
        _shutdown(), _QUIET + (r"restart \d+ in",))
    return [
        base,
        _reboot_case(),
        _fault(_GPIO, "pl061", "kill", "was killed", (kill_gpio,),
               [_DM + rf"driver-manager: killing process \d+ \({_GPIO}\), as asked$"]),
        _fault(_GPIO, "pl061", "crash", r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)",
               ("drivers.inject=pl061:crash",), []),
        _fault(_GPIO, "pl061", "exit", "exited with status 3", ("drivers.inject=pl061:exit",), []),
        _fault(_GPIO, "pl061", "hang", "missed its liveness check", ("drivers.inject=pl061:hang",), [],
               hang=True),
        # stall: the runtime holds gpio-keys' request; the manager's own kill
        # lands 1.5 s after the start, while it is in flight.
        _fault(_GPIO, "pl061", "in-flight", "was killed", ("drivers.inject=pl061:stall",), [
            _DM + rf"driver-manager: killing process \d+ \({_GPIO}\), as injected$",
            r"pl061\(\d+\): pl061: holding a request unanswered, as injected$",
            _KEYS + r"gpio closed: MICA_ERR_PEER_CLOSED with a request in flight; reconnecting$",
        ]),
        _fault(_KEYNODE, "gpio-keys", "kill", "was killed", (kill_keys,),
               [_DM + rf"driver-manager: killing process \d+ \({_KEYNODE}\), as asked$"]),
        _fault(_KEYNODE, "gpio-keys", "crash", r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)",
               ("drivers.inject=gpio-keys:crash",), []),
        _fault(_KEYNODE, "gpio-keys", "exit", "exited with status 3", ("drivers.inject=gpio-keys:exit",), []),
        _fault(_KEYNODE, "gpio-keys", "hang", "missed its liveness check", ("drivers.inject=gpio-keys:hang",),
               [], hang=True),
        _campaign(_GPIO, "pl061", ("kill", "crash", "exit", "hang", "stall")),
        # gpio-keys serves no requests: its fifth end is another kill.
        _campaign(_KEYNODE, "gpio-keys", ("kill", "crash", "exit", "hang", "kill")),
    ]


def _reboot_case() -> PowerCase:
    """Power.Shutdown(REBOOT) from a test driver granted power (test set
    `reboot`): the bystanders are stopped, then PSCI SYSTEM_RESET; with
    -no-reboot QEMU exits with status 0 instead of resetting."""
    reboot = r"test-reboot\(\d+\): test-reboot: "
    ordered = [
        reboot + r"asking for a reboot$",
        _DM + rf"driver-manager: reboot asked by {_RTC} \(test-reboot, process \d+\)$",
        _DM + r"driver: stopped /pl061@9030000 \(test-steady, process \d+\): exited with status 0$",
        _DM + r"driver: stopped /fw-cfg@9020000 \(test-steady, process \d+\): exited with status 0$",
        _DM + r"driver-manager: every driver stopped; rebooting$",
        r"\] mica: reboot requested by driver-manager\(\d+\)$",
    ]
    expected = [_bound(_RTC, "test-reboot"),
                _DM + rf"driver: stopped {_RTC} \(test-reboot, process \d+\): exited with status 0$"]
    return PowerCase("power/virt-reboot", _virt("drivers.test=reboot"), "", expected, ordered,
                     _QUIET + (r"reboot refused", r"restart \d+ in"), extra=("-no-reboot",))


def power_key_jobs(opts: Options) -> list[Job]:
    return [power_key_job(opts, c) for c in power_cases() if opts.selected(c.name)]
