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

import qemu
from common import BASE_TIMEOUT, CaseResult, Job, Options
from qemu import BootConfig
from checks import UserbootChecker

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
    inputs = ((_reading(), b"hello, console\b\b\b\x7fsole\r"), (_reading(), b"t\x01w\x1b\x80o\r\n"))
    return ConsoleCase(name, config, expected, _QUIET + (r"restart \d+ in", _MIXED), inputs)


def _fault_case(fault: str, reason: str, run_ms: int, switches: tuple[str, ...],
                more: list[str]) -> ConsoleCase:
    """The console driver ends once (`reason`), is restarted once, echoes
    and serves a typed line again, and its client reconnects; nothing else
    restarts and no kernel line is cut."""
    path, driver = _VIRT_UART
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
    forbidden = _QUIET + (r"restart 2 in", _MIXED, _DM + rf"driver: /(?!pl011@9000000 ).* \(.*, process \d+\) ",
                          _DM + r"driver-manager: node /(?!pl011@9000000 ).* restarts [1-9]")
    # Type once the restarted driver serves the client again (an empty
    # input only waits for its line).
    inputs = ((restart, b""), (_reading(True), b"after\r"))
    config = BootConfig(board="virt", smp=2, gic=3, append=_append(run_ms, *switches))
    return ConsoleCase(f"console/virt-{fault}", config, expected, forbidden, inputs, 2.0)


def console_cases() -> list[ConsoleCase]:
    kill = f"drivers.kill=6000:{_VIRT_UART[0]}"
    killing = _DM + rf"driver-manager: killing process \d+ \({_VIRT_UART[0]}\), as asked$"
    before = _fault_case("kill", "was killed", 9000, (kill,), [killing, *_typed("before")])
    before.inputs = ((_reading(), b"before\r"),) + before.inputs
    return [
        _echo_case("console/virt-echo", BootConfig(board="virt", smp=2, gic=3, append=_append(5000)),
                   _VIRT_UART),
        _echo_case("console/rpi4-echo", BootConfig(board="rpi4", append=_append(5000)), _RPI4_UART),
        before,
        _fault_case("crash", r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)", 7000,
                    ("drivers.inject=pl011:crash",), []),
        _fault_case("exit", r"exited with status 3", 7000, ("drivers.inject=pl011:exit",), []),
        _fault_case("hang", r"missed its liveness check", 10000, ("drivers.inject=pl011:hang",), []),
        # The reader's Read is held; the manager's own kill lands 6 s after
        # the start, while it is in flight.
        _fault_case("in-flight", "was killed", 9000, ("drivers.inject=pl011:stall", "drivers.inject-kill-ms=6000"), [
            _DM + rf"driver-manager: killing process \d+ \({_VIRT_UART[0]}\), as injected$",
            r"pl011\(\d+\): pl011: holding a request unanswered, as injected$"]),
    ]


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
            if r.verdict.passed:
                return [CaseResult(case.name, "PASS", r.seconds)]
            return [CaseResult(case.name, "FAIL", r.seconds, qemu_failure_detail(r.verdict.reason, r.log_path))]

        return Job([case.name], run)

    return [job(c) for c in console_cases() if opts.selected(c.name)]
