"""The console cases (`./mica test --filter console/`): the console UART's
driver (bin/pl011 on virt, bin/mini-uart on raspi4b) takes the console over
from the kernel, echoes what the harness types into QEMU's console chardev
(qemu.run_case's `inputs`), serves the typed lines to bin/console-client
through `console/0` (IDL Serial), and comes back from the fault campaign's
five kill patterns (issue 14 §4) with the kernel's lines intact: while the
driver is gone the kernel has the console again and prints what it had not
read. docs/drivers.md, "The console"."""

from __future__ import annotations

import dataclasses
import re
from typing import Callable, Optional

import qemu
from common import BASE_TIMEOUT, CaseResult, Job, Options
from qemu import BootConfig
from checks import UserbootChecker
from driver_cases import bound_problem, kernel_memory_problem

_DM = r"driver-manager\(\d+\): "
_CC = r"console-client\(\d+\): console-client: "
_QUIET = (_DM + r"driver: failed", _DM + r"driver: cannot start", _DM + r"driver-manager: bad manifest",
          r"bind .* failed")
# A kernel timestamp after other bytes on the same line: two writers' bytes
# in one line.
_MIXED = r".\[ *\d+\.\d{6}\] "
_VIRT_UART = ("/pl011@9000000", "pl011")
_RPI4_UART = ("/soc/serial@7e215040", "mini-uart")


@dataclasses.dataclass
class ConsoleCase:
    name: str
    config: BootConfig
    expected: list[str]
    forbidden: tuple[str, ...]
    inputs: tuple[tuple[str, bytes], ...]
    timeout_factor: float = 1.5
    # A check of the whole log once the lines passed: a problem, or "".
    post: Optional[Callable[[str], str]] = None


def _append(run_ms: int, *more: str) -> str:
    words = ["userboot.next=bin/driver-manager", f"userboot.arg=drivers.run-ms={run_ms}",
             "userboot.arg=drivers.then=bin/console-client"]
    return " ".join(words + [f"userboot.arg={m}" for m in more])


def _reading(again: bool = False) -> str:
    return _CC + r"reading a line from console/0" + (r" after reconnecting$" if again else r"$")


def _typed(text: str) -> list[str]:
    """The echo (its own line, no prefix) and the client's read."""
    return [rf"^{text}$", _CC + rf'read "{text}"$']


def _echo_case(name: str, config: BootConfig, uart: tuple[str, str]) -> ConsoleCase:
    """Takeover, echo (backspace erases, other control bytes ignored),
    Write and Read through console/0."""
    path, driver = uart
    expected = [
        _DM + rf"driver: bound {path} to {driver} \(process \d+\)$",
        _CC + r"the console is a driver's \(hand-overs 1\)$",
        r"^console-client: hello through console/0$",  # no prefix: the driver's Write
        rf"^{driver}-driver: hello from {path}$",
        r"^hello, console(\x08 \x08){4}sole$",
        _CC + r'read "hello, console"$',
        _CC + r'read "two"$',
        _DM + rf"driver-manager: node {path} \[bound\] driver {driver} process \d+ restarts 0 .*services console/0$",
    ]
    # Typed once the driver's own line is on the wire (typed earlier, its
    # echo may be split by that line: seen on raspi4b under load); the
    # driver keeps finished lines until the client reads them.
    wrote = rf"{driver}\(\d+\): {driver}: wrote \d+ bytes"
    inputs = ((wrote, b"hello, console\b\b\b\x7fsole\r"),
              (_CC + r'read "hello, console"$', b"t\x01w\x1b\x80o\r\n"))
    return ConsoleCase(name, config, expected, _QUIET + (r"restart \d+ in", _MIXED), inputs)


@dataclasses.dataclass(frozen=True)
class Board:
    name: str  # the case names' board part
    uart: tuple[str, str]  # the console UART's node and driver

    def config(self, append: str) -> BootConfig:
        if self.name == "virt":
            return BootConfig(board="virt", smp=2, gic=3, append=append)
        return BootConfig(board="rpi4", append=append)

    def others_quiet(self) -> tuple[str, ...]:
        """No node but the console UART's restarts."""
        own = re.escape(self.uart[0][1:]) + " "
        return (_DM + rf"driver: /(?!{own}).* \(.*, process \d+\) ",
                _DM + rf"driver-manager: node /(?!{own}).* restarts [1-9]")


_VIRT = Board("virt", _VIRT_UART)
_RPI4 = Board("rpi4", _RPI4_UART)


def _fault_case(board: Board, fault: str, reason: str, run_ms: int, switches: tuple[str, ...],
                more: list[str]) -> ConsoleCase:
    """The console driver ends once (`reason`), is restarted once, echoes
    and serves a typed line again, and its client reconnects; nothing else
    restarts and no kernel line is cut."""
    path, driver = board.uart
    restart = _DM + rf"driver: {path} \({driver}, process \d+\) {reason}; restart 1 in 0 ms$"
    expected = [
        restart,
        _CC + r"console/0 request in flight: MICA_ERR_PEER_CLOSED$",
        _CC + r"the console is a driver's \(hand-overs 2\)$",  # taken back, then over again
        _reading(True),
        *_typed("after"),
        _DM + rf"driver-manager: node {path} \[bound\] driver {driver} process \d+ restarts 1 .*services console/0$",
        _DM + rf"driver-manager: stopping after {run_ms} ms",
    ] + more
    forbidden = _QUIET + (r"restart 2 in", _MIXED) + board.others_quiet()
    # Type once the restarted driver serves the client again (an empty
    # input only waits for its line).
    inputs = ((restart, b""), (_reading(True), b"after\r"))
    config = board.config(_append(run_ms, *switches))
    return ConsoleCase(f"console/{board.name}-{fault}", config, expected, forbidden, inputs, 2.0)


def _five_ways(board: Board) -> list[ConsoleCase]:
    """Issue 14 §4's five ways, one boot each."""
    path, driver = board.uart
    kill = f"drivers.kill=6000:{path}"
    killing = _DM + rf"driver-manager: killing process \d+ \({path}\), as asked$"
    before = _fault_case(board, "kill", "was killed", 9000, (kill,), [killing, *_typed("before")])
    before.inputs = ((_reading(), b"before\r"),) + before.inputs
    return [
        before,
        _fault_case(board, "crash", r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)", 7000,
                    (f"drivers.inject={driver}:crash",), []),
        _fault_case(board, "exit", r"exited with status 3", 7000, (f"drivers.inject={driver}:exit",), []),
        _fault_case(board, "hang", r"missed its liveness check", 10000, (f"drivers.inject={driver}:hang",), []),
        # The reader's Read is held; the manager's own kill lands 6 s after
        # the start, while it is in flight.
        _fault_case(board, "in-flight", "was killed", 9000,
                    (f"drivers.inject={driver}:stall", "drivers.inject-kill-ms=6000"), [
                        _DM + rf"driver-manager: killing process \d+ \({path}\), as injected$",
                        rf"{driver}\(\d+\): {driver}: holding a request unanswered, as injected$"]),
    ]


# The campaign's order (driver_cases.py's _SEQUENCE): start i gets fault i.
_WAYS = (("kill", "was killed"), ("crash", r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)"),
         ("exit", "exited with status 3"), ("hang", "missed its liveness check"), ("stall", "was killed"))


def _campaign_case(board: Board) -> ConsoleCase:
    """The five ways in one boot (drivers.inject=<path>:kill,crash,exit,hang,
    stall), as the campaign rows of driver_cases.py: after each end the
    driver is bound again (a new koid), takes the console over again, echoes
    and serves the line typed in that start (but in the stall start, whose
    Read is held), the client reconnects (every end finds its Read in
    flight), nothing else restarts, and the kernel's free memory after every
    end is back to end 2's (kernel_memory_problem)."""
    path, driver = board.uart
    kill_ms, run_ms = 3000, 24000
    restarts = [_DM + rf"driver: {path} \({driver}, process \d+\) {reason}; restart {i} in \d+ ms$"
                for i, (_, reason) in enumerate(_WAYS, 1)]
    typed = [i for i in range(len(_WAYS) + 1) if i == len(_WAYS) or _WAYS[i][0] != "stall"]
    inputs: list[tuple[str, bytes]] = []
    for i in range(len(_WAYS) + 1):
        if i > 0:
            inputs.append((restarts[i - 1], b""))
        if i in typed:
            inputs.append((_reading(i > 0), f"start{i}\r".encode()))
    expected = restarts + [line for i in typed for line in _typed(f"start{i}")] + [
        _CC + rf"the console is a driver's \(hand-overs {len(_WAYS) + 1}\)$",
        rf"{driver}\(\d+\): {driver}: holding a request unanswered, as injected$",
        _DM + rf"driver-manager: node {path} \[bound\] driver {driver} process \d+ restarts {len(_WAYS)} "
              r".*services console/0$",
        _DM + rf"driver-manager: stopping after {run_ms} ms",
    ] + [rf"{driver}\(\d+\): {driver}: injecting {f}$" for f, _ in _WAYS[1:]]
    forbidden = _QUIET + (rf"restart {len(_WAYS) + 1} in", _MIXED) + board.others_quiet()
    flight = re.compile(_CC + r"console/0 request in flight: MICA_ERR_PEER_CLOSED$")

    def post(log: str) -> str:
        lines = log.splitlines()
        closes = sum(1 for line in lines if flight.search(line))
        if closes < len(_WAYS):
            return f"{closes} in-flight closes seen by the client, not {len(_WAYS)}"
        return (bound_problem(lines, path, driver, len(_WAYS) + 1)
                or kernel_memory_problem(lines, path, len(_WAYS) + 1))

    faults = ",".join(f for f, _ in _WAYS)
    config = board.config(_append(run_ms, f"drivers.inject={path}:{faults}", f"drivers.inject-kill-ms={kill_ms}",
                                  "drivers.kmem-ms=1000"))
    return ConsoleCase(f"console/{board.name}-campaign", config, expected, forbidden, tuple(inputs), 3.0, post)


def console_cases() -> list[ConsoleCase]:
    return [
        _echo_case("console/virt-echo", _VIRT.config(_append(5000)), _VIRT_UART),
        _echo_case("console/rpi4-echo", _RPI4.config(_append(5000)), _RPI4_UART),
    ] + _five_ways(_VIRT) + _five_ways(_RPI4) + [_campaign_case(_VIRT), _campaign_case(_RPI4)]


def console_jobs(opts: Options) -> list[Job]:
    """A job per selected console case: booted with its typing, judged like
    a userboot case whose program exits with status 0."""
    from qemu_jobs import qemu_failure_detail  # qemu_jobs registers these jobs

    def job(case: ConsoleCase) -> Job:
        def run() -> list[CaseResult]:
            problem = "\n".join(qemu.missing_files(case.config, opts.paths))
            if problem:
                return [CaseResult(case.name, "FAIL", 0.0, problem)]
            cmd = qemu.qemu_command(case.config, opts.paths)
            timeout = BASE_TIMEOUT * case.timeout_factor * opts.timeout_scale
            r = qemu.run_case(cmd, UserbootChecker(case.expected, 0, case.forbidden), timeout,
                              opts.log_path(case.name), opts.abort, case.inputs)
            problem = case.post(r.log_path.read_text(errors="replace")) if r.verdict.passed and case.post else ""
            if r.verdict.passed and not problem:
                return [CaseResult(case.name, "PASS", r.seconds)]
            reason = problem or r.verdict.reason
            return [CaseResult(case.name, "FAIL", r.seconds, qemu_failure_detail(reason, r.log_path))]

        # Every console case is a timed boot that types and waits.
        return Job([case.name], run, waits=True)

    return [job(c) for c in console_cases() if opts.selected(c.name)]
