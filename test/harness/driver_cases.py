"""The driver manager's QEMU cases (docs/drivers.md, "Test boots";
docs/testing.md): each boots bin/driver-manager with a test manifest set
(drivers.test=), lets it run for drivers.run-ms, and passes when userboot
reports its exit with status 0 after every expected line and no forbidden
one (UserbootChecker). The manager's own lines come through the debug log
as `driver-manager(<koid>): ...`, a driver's as `<driver>(<koid>): ...`."""

from __future__ import annotations

import dataclasses
import re
from typing import Callable, Optional

from qemu import BootConfig

_DM = r"driver-manager\(\d+\): "
_DRV = r"drivers\(\d+\): drivers: +"
_STEADY = ("/fw-cfg@9020000",)
# A default boot's counts (`driver-manager: <b> nodes bound, <u> unbound`)
# and the nodes bound on raspi4b. On virt the 32 virtio-mmio transports
# count as bound when the count is printed (their drivers have just been
# started; those of empty slots end as "no device", unbound, right after).
VIRT_COUNTS = (36, 23)
RPI4_COUNTS = (2, 220)
RPI4_BOUND = [("/soc/serial@7e201000", "pl011")]


@dataclasses.dataclass(frozen=True)
class DriverCase:
    name: str
    config: BootConfig
    expected: list[str]
    forbidden: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()  # more QEMU arguments
    timeout_factor: float = 1.5
    image: str = ""  # a 1 MiB disk image made and checked by the job; "{image}" in extra
    # A check of the whole log once the lines passed: a problem, or "".
    post: Optional[Callable[[str], str]] = None
    waits: bool = False  # mostly timed waiting (common.Job.waits)


def _append(test_set: str, run_ms: int, *more: str) -> str:
    words = ["userboot.next=bin/driver-manager", f"userboot.arg=drivers.run-ms={run_ms}"]
    if test_set:
        words.append(f"userboot.arg=drivers.test={test_set}")
    return " ".join(words + [f"userboot.arg={m}" for m in more])


def _virt(append: str) -> BootConfig:
    return BootConfig(board="virt", smp=2, gic=3, append=append)


def _bound(path: str, driver: str) -> str:
    return _DM + rf"driver: bound {path} to {driver} \(process \d+\)$"


def _listed(path: str, state: str, driver: str, restarts: int) -> str:
    return _DM + rf"driver-manager: node {path} \[{state}\] driver {driver} process \d+ restarts {restarts} "


def _steady_untouched() -> tuple[list[str], tuple[str, ...]]:
    """The bystanders: bound once, listed with 0 restarts, never restarted."""
    expected = [_bound(p, "test-steady") for p in _STEADY]
    expected += [_listed(p, "bound", "test-steady", 0) for p in _STEADY]
    forbidden = tuple(_DM + rf"driver: {p} \(" for p in _STEADY)
    return expected, forbidden


def _fault_case(test_set: str, reason: str, run_ms: int = 3000, *more: str) -> DriverCase:
    """The victim on /pl031@9010000 ends once (`reason`), is restarted once
    at once (no backoff for a first failure), and comes up again; nothing else
    restarts."""
    driver = f"test-{test_set}"
    steady, quiet = _steady_untouched()
    expected = steady + [
        _bound("/pl031@9010000", driver),
        _DM + rf"driver: /pl031@9010000 \({driver}, process \d+\) {reason}; restart 1 in 0 ms$",
        rf"{driver}\(\d+\): {driver}: /pl031@9010000 up \(start 1\)$",
        # The same BTI across the restart, holding the dead instance's PMT
        # (docs/drivers.md "DMA").
        rf"{driver}\(\d+\): {driver}: bti quarantine 0 pmts 0 pages \(MICA_OK\)$",
        rf"{driver}\(\d+\): {driver}: bti quarantine 1 pmts 1 pages \(MICA_OK\)$",
        rf"{driver}\(\d+\): {driver}: bti pinned \(MICA_OK\)$",
        _listed("/pl031@9010000", "bound", driver, 1),
        _DM + rf"driver-manager: stopping after {run_ms} ms",
    ]
    forbidden = quiet + (r"restart 2 in", _DM + r"driver: failed", _DM + r"driver: cannot start")
    return DriverCase(f"drivers/virt-{test_set}", _virt(_append(test_set, run_ms, *more)), expected,
                      forbidden)


def _kill_case() -> DriverCase:
    """task_kill of a driver's process from outside (drivers.kill=): the
    driver on /pl061@9030000 is restarted once; the others are not."""
    victim, other = "/pl061@9030000", "/fw-cfg@9020000"
    expected = [
        _bound(victim, "test-steady"),
        _DM + rf"driver-manager: killing process \d+ \({victim}\), as asked$",
        _DM + rf"driver: {victim} \(test-steady, process \d+\) was killed; restart 1 in 0 ms$",
        rf"test-steady\(\d+\): test-steady: {victim} up \(start 1\)$",
        _listed(victim, "bound", "test-steady", 1),
        _listed(other, "bound", "test-steady", 0),
        _listed("/pl031@9010000", "bound", "test-isolation", 0),
    ]
    forbidden = (_DM + rf"driver: {other} \(", _DM + r"driver: /pl031@9010000 \(", r"restart 2 in")
    append = _append("isolation", 3000, f"drivers.kill=1000:{victim}")
    return DriverCase("drivers/virt-kill", _virt(append), expected, forbidden)


def _isolation_case() -> DriverCase:
    checks = ["other-node-registers", "own-range-grown", "other-node-interrupt",
              "sub-resource-outside", "dma-buffer-too-large"]
    expected = [_bound("/pl031@9010000", "test-isolation")]
    expected += [rf"test-isolation\(\d+\): test-isolation: check {c}: ok \(MICA_ERR_ACCESS_DENIED\)$"
                 for c in checks]
    expected += [
        r"test-isolation\(\d+\): test-isolation: check root-resource: ok",
        r"test-isolation\(\d+\): test-isolation: check own-registers-read: ok",
        r"test-isolation\(\d+\): test-isolation: isolation ok$",
    ]
    return DriverCase("drivers/virt-isolation", _virt(_append("isolation", 2000)), expected,
                      (r"FAILED", r"restart \d+ in"))


def _fail_case() -> DriverCase:
    steady, quiet = _steady_untouched()
    expected = steady + [
        _DM + r"driver: /pl031@9010000 \(test-fail, process \d+\) crashed \(fault at 0x0, esr 0x[0-9a-f]+\); restart 4 in 20 ms$",
        _DM + r"driver: failed /pl031@9010000 \(test-fail\): crashed \(fault at 0x0, esr 0x[0-9a-f]+\); gave up after 4 restarts$",
        _DM + r"driver-manager: node /pl031@9010000 \[failed\] driver test-fail process 0 restarts 4 ",
    ]
    return DriverCase("drivers/virt-fail", _virt(_append("fail", 3000)), expected,
                      quiet + (r"restart 5 in",))


def _topology_case() -> DriverCase:
    children = ("/pl031@9010000/child@0", "/pl031@9010000/child@1")
    expected = [_bound("/pl031@9010000", "test-parent")]
    expected += [_bound(c, "test-child") for c in children]
    expected += [
        _DM + r"driver: published rtc/0 by /pl031@9010000$",
        _DM + r"driver: published test/\d by /pl031@9010000/child@\d$",
        _DRV + r"node /pl031@9010000 \[bound\] driver test-parent process \d+ restarts 0 ",
        r"drivers\(\d+\): drivers: test/1 answered \"ping\"$",
        r"drivers\(\d+\): drivers: test/1 closed: MICA_ERR_PEER_CLOSED$",
        r"drivers\(\d+\): drivers: test/1 answered \"ping\" after reconnecting$",
        _listed("/pl031@9010000", "bound", "test-parent", 0),
        _DM + r"driver-manager: node /pl031@9010000/child@\d \[bound\] driver test-child process \d+ restarts 1 .* services test/1$",
        _DM + r"driver-manager: node /pl031@9010000/child@\d \[bound\] driver test-child process \d+ restarts 0 .* services test/0$",
    ]
    append = _append("parent", 4000, "drivers.then=bin/drivers", "drivers.then-arg=--reconnect=test/1")
    return DriverCase("drivers/virt-topology", _virt(append), expected,
                      (_DM + r"driver: /pl031@9010000 \(", _DM + r"driver: failed"))


def _tree_case(name: str, config: BootConfig, lines: list[str], extra: tuple[str, ...] = ()) -> DriverCase:
    expected = [_DRV + line for line in lines] + [r"drivers\(\d+\): drivers: \d+ nodes$"]
    return DriverCase(name, config, expected, (r"listing failed",), extra)


def _virtio_devices(count: int) -> tuple[str, ...]:
    """`count` virtio-mmio devices of each kind: block (a null disk),
    entropy, network (user network, restrict=on: nothing leaves the
    machine) and console."""
    args: list[str] = []
    for i in range(count):
        args += ["-blockdev", f"driver=null-co,node-name=null{i}",
                 "-device", f"virtio-blk-device,drive=null{i}",
                 "-device", "virtio-rng-device",
                 "-netdev", f"user,id=net{i},restrict=on",
                 "-device", f"virtio-net-device,netdev=net{i}",
                 "-device", "virtio-serial-device"]
    return tuple(args)


def _virtio_driver_devices(modern: bool) -> tuple[str, ...]:
    """One entropy, one block (the job's image) and one network device
    (user network, restrict=on: nothing leaves the machine); QEMU fills the
    transports from the top: rng at 0xa003e00, blk at 0xa003c00, net at
    0xa003a00."""
    args = ("-device", "virtio-rng-device",
            "-drive", "if=none,file={image},format=raw,id=vd0",
            "-device", "virtio-blk-device,drive=vd0",
            "-netdev", "user,id=vn0,restrict=on",
            "-device", "virtio-net-device,netdev=vn0")
    return (("-global", "virtio-mmio.force-legacy=false") if modern else ()) + args


def _virtio_driver_case(version: str, kill: bool, kill_transport: bool = False) -> DriverCase:
    """The virtio driver processes on the system manifests: a transport
    driver per slot (empty slots end as "no device", unbound, never
    restarted), virtio-rng-driver and virtio-blk-driver on the children the
    two transports with devices hand their resources to, and
    bin/virtio-client reading and writing block/0 and reading entropy/0.
    With `kill`, drivers.kill= kills the block driver while the client
    reads; the client sees PEER_CLOSED, reconnects and reads right. With
    `kill_transport` it kills the block device's transport driver instead:
    its child is stopped with it, the restarted transport probes again and
    hands the device to a new block driver."""
    rng, blk = "/virtio_mmio@a003e00", "/virtio_mmio@a003c00"
    net = "/virtio_mmio@a003a00"
    tests = ["block-info", "block-read", "block-write", "block-dma", "entropy", "network"] + (["block-reconnect"] if kill else [])
    expected = [
        _bound(rng, "virtio-mmio-driver"),
        _bound(blk, "virtio-mmio-driver"),
        _bound(rng + "/device", "virtio-rng-driver"),
        _bound(blk + "/device", "virtio-blk-driver"),
        _DM + rf"driver: published entropy/0 by {rng}/device$",
        _DM + rf"driver: published block/0 by {blk}/device$",
        _bound(net + "/device", "virtio-net-driver"),
        _DM + rf"driver: published network/0 by {net}/device$",
    ]
    expected += [rf"virtio-client\(\d+\): virtio-client: PASS {t}$" for t in tests]
    expected.append(rf"virtio-client\(\d+\): virtio-client: done passed={len(tests)} failed=0$")
    restarts = 0
    more = ["drivers.then=bin/virtio-client"]
    victim = blk if kill_transport else blk + "/device"
    victim_driver = "virtio-mmio-driver" if kill_transport else "virtio-blk-driver"
    if kill:
        restarts = 0 if kill_transport else 1
        more += ["drivers.then-arg=--reread", f"drivers.kill=2500:{victim}"]
        expected += [
            _DM + rf"driver: {victim} \({victim_driver}, process \d+\) was killed; restart 1 in 0 ms$",
            r"virtio-client\(\d+\): virtio-client: block/0 closed: MICA_ERR_PEER_CLOSED after \d+ reads; reconnecting$",
        ]
    expected += [
        _listed(rng, "bound", "virtio-mmio-driver", 0),
        _listed(blk + "/device", "bound", "virtio-blk-driver", restarts),
        _listed(rng + "/device", "bound", "virtio-rng-driver", 0),
        _DM + r"driver-manager: node /virtio_mmio@a000000 \[unbound\] driver virtio-mmio-driver process 0 restarts 0 ",
    ]
    forbidden = (r"virtio-client: FAIL", _DM + r"driver: failed", _DM + r"driver: cannot start",
                 _DM + r"driver: /virtio_mmio@a000000 \(", _DM + rf"driver: {rng}")
    name = f"drivers/virt-virtio-{version}" + ("-kill-transport" if kill_transport else "-kill" if kill else "")
    append = _append("", 7000 if kill else 4000, *more)
    return DriverCase(name, _virt(append), expected, forbidden,
                      _virtio_driver_devices(version == "modern"), 2.0, name.replace("/", "-") + ".img")


# The system set (bootfs drivers/*.manifest, no drivers.test=): the device
# drivers of drivers/.
_RTC = "/pl031@9010000"
_RTC_CLIENT = ("drivers.then=bin/drivers", "drivers.then-arg=--rtc=rtc/0")
_CLIENT = r"drivers\(\d+\): drivers: rtc/0 "
_TIME = r"20[2-9]\d-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\dZ \(\d{10} s since 1970\)$"
_QUIET = (_DM + r"driver: failed", _DM + r"driver: cannot start", _DM + r"driver-manager: bad manifest",
          r"bind .* failed")


def _pl031_case() -> DriverCase:
    """The PL031 driver reads QEMU's wall clock (UTC, `-rtc` default) and
    takes its alarm's match interrupt two seconds later."""
    expected = [
        _bound(_RTC, "pl031"),
        rf"pl031\(\d+\): pl031: {_RTC} time " + _TIME,
        r"pl031\(\d+\): pl031: alarm at (\d+) fired \(counter \1\)$",
        _DM + r"driver-manager: stopping after 3500 ms",
    ]
    return DriverCase("drivers/virt-pl031", _virt(_append("", 3500)), expected,
                      _QUIET + (r"restart \d+ in",))


def _uart_case(name: str, config: BootConfig, path: str, driver: str, up: str) -> DriverCase:
    """A UART driver on the console UART (bound by default; it takes the
    console over, console_cases.py): its own line reaches the wire through its interrupt-driven
    transmit ring, with no debug-log prefix."""
    expected = [
        _bound(path, driver),
        rf"{driver}\(\d+\): {driver}: {path} up {up}$",
        rf"^{driver}-driver: hello from {path}\r?$",
        rf"{driver}\(\d+\): {driver}: wrote \d+ bytes, \d+ interrupts$",
        _DM + r"driver-manager: stopping after 1500 ms",
    ]
    return DriverCase(name, config, expected, _QUIET + (r"restart \d+ in",))


def _default_case(name: str, config: BootConfig, bound: list[tuple[str, str]], console: tuple[str, str],
                  counts: tuple[int, int], more: list[str]) -> DriverCase:
    """A default boot (the system set): every bound line, the console UART's
    driver bound with its console/0 service, the counts, and bin/drivers'
    listing."""
    expected = [_bound(p, d) for p, d in bound]
    expected += [_DRV + rf"node {p} \[bound\] driver {d} process \d+ restarts 0 " for p, d in bound]
    expected += [
        _bound(console[0], console[1]),
        _DRV + rf"node {console[0]} \[bound\] driver {console[1]} process \d+ restarts 0 .* services console/0$",
        _DM + rf"driver-manager: {counts[0]} nodes bound, {counts[1]} unbound$",
    ] + more
    return DriverCase(name, config, expected, _QUIET + (r"restart \d+ in",))


def _system_cases() -> list[DriverCase]:
    rpi4 = BootConfig(board="rpi4", append=_append("", 2000, "drivers.then=bin/drivers"))
    return [
        _pl031_case(),
        _uart_case("drivers/virt-pl011", _virt(_append("", 1500, "drivers.bind-console=1")),
                   "/pl011@9000000", "pl011", r"\(uartclk kept\)"),
        _uart_case("drivers/rpi4-mini-uart",
                   BootConfig(board="rpi4", append=_append("", 1500, "drivers.bind-console=1")),
                   "/soc/serial@7e215040", "mini-uart", r"\(IER rx bit [12]\)"),
        _default_case("drivers/virt-default", _virt(_append("", 2000, *_RTC_CLIENT)),
                      [(_RTC, "pl031"), ("/pl061@9030000", "pl061"), ("/gpio-keys", "gpio-keys")],
                      ("/pl011@9000000", "pl011"), VIRT_COUNTS,
                      [rf"pl031\(\d+\): pl031: {_RTC} time " + _TIME, _CLIENT + r"time \d{10}$"]),
        _default_case("drivers/rpi4-default", rpi4, RPI4_BOUND, ("/soc/serial@7e215040", "mini-uart"),
                      RPI4_COUNTS, []),
    ] + campaign_cases()


def driver_cases() -> list[DriverCase]:
    tree = "drivers.then=bin/drivers"
    virt_lines = [r"node / \[unbound\] compatible \"linux,dummy-virt\"$",
                  r"node /pl011@9000000 \[bound\] driver pl011 process \d+ restarts 0 "
                  r"compatible \"arm,pl011\" \"arm,primecell\" services console/0$",
                  # an empty slot (QEMU fills from the top): the transport
                  # driver found no device (docs/drivers.md, "Empty slots")
                  r"node /virtio_mmio@a000000 \[unbound\] (driver virtio-mmio-driver process 0 restarts 0 )?"
                  r"compatible \"virtio,mmio\"$"]
    modern = ("-global", "virtio-mmio.force-legacy=false")
    # Two devices of each kind fill the top eight transports (QEMU fills
    # from the highest address down): each has a transport driver and a
    # child "virtio,device<ID>"; block, entropy and network are bound to
    # their drivers, console (3) has none yet.
    dev = r"node /virtio_mmio@a003[8-9a-f]00/device "
    virtio_lines = [
        r"node /virtio_mmio@a003e00 \[bound\] driver virtio-mmio-driver process \d+ restarts 0 compatible \"virtio,mmio\"$",
        dev + r"\[bound\] driver virtio-blk-driver process \d+ restarts 0 compatible \"virtio,device2\" \"virtio,device\" services block/\d$",
        dev + r"\[bound\] driver virtio-rng-driver process \d+ restarts 0 compatible \"virtio,device4\" \"virtio,device\" services entropy/\d$",
        dev + r"\[bound\] driver virtio-net-driver process \d+ restarts 0 compatible \"virtio,device1\" \"virtio,device\" services network/\d$",
        dev + r"\[unbound\] compatible \"virtio,device3\" \"virtio,device\"$",
    ]
    return [
        _isolation_case(),
        _fault_case("crash", r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)"),
        _fault_case("exit", r"exited with status 3"),
        _fault_case("hang", r"missed its liveness check", 4000),
        _kill_case(),
        _fail_case(),
        _topology_case(),
        _virtio_driver_case("legacy", False),
        _virtio_driver_case("modern", False),
        _virtio_driver_case("legacy", True),
        _virtio_driver_case("modern", True),
        _virtio_driver_case("legacy", True, kill_transport=True),
        _tree_case("drivers/virt-tree", _virt(_append("", 2000, tree)), virt_lines),
        _tree_case("drivers/virt-tree-virtio-legacy", _virt(_append("", 2000, tree)),
                   virt_lines + virtio_lines, _virtio_devices(2)),
        _tree_case("drivers/virt-tree-virtio-modern", _virt(_append("", 2000, tree)),
                   virt_lines + virtio_lines, _virtio_devices(2) + modern),
        _tree_case("drivers/rpi4-tree", BootConfig(board="rpi4", append=_append("", 2000, tree)),
                   [r"node / \[unbound\] compatible \"raspberrypi,4-model-b\" \"brcm,bcm2711\"$",
                    r"node /soc/serial@7e215040 \[bound\] driver mini-uart process \d+ restarts 0 "
                    r"compatible \"brcm,bcm2835-aux-uart\" services console/0$"]),
    ] + _system_cases()


# ---- The fault campaign (issue 14 §4; docs/drivers.md, "Fault campaign").
# One row per driver on virt; each row gives three boots:
# - `campaign-<row>`: the five ways in one boot, one per start
#   (drivers.inject=<path>:kill,crash,exit,hang,stall): task_kill from
#   outside, a null dereference, exit(3), an endless loop that misses the
#   liveness check, and a kill while the client's request is held
#   unanswered (in flight). After each, the driver is bound again with a new
#   koid, its client reconnects (PEER_CLOSED seen) and the device works, no
#   other node restarts, and the kernel's free memory, read 1 s into every
#   start, is exactly what it was at start 1 (start 0 -> 1 is the warm-up).
# - `repeat-<row>`: the outside kill four times in one boot
#   (drivers.kill-times=4), with the same checks.
# - `fail-pl031`: the PL031 driver crashes on every start
#   (drivers.inject-every=1): failed after its backoff; the block device
#   then still serves its client through a kill of its own driver.

@dataclasses.dataclass(frozen=True)
class CampaignRow:
    name: str
    path: str
    driver: str
    client: tuple[str, ...]  # drivers.then= / drivers.then-arg= words
    works: str               # the client's line: the device answered right
    idle: str                # the client's line: PEER_CLOSED while idle
    in_flight: str           # the client's line: PEER_CLOSED on a request in flight
    backoff_ms: int          # the manifest's first backoff step
    liveness_ms: int
    virtio: bool = True      # QEMU gets the virtio devices and the job's image
    # Other nodes that go with it (a transport's child): not "restarted".
    children: bool = False


def _watch(cls: str) -> tuple[str, tuple[str, str, str]]:
    c = rf"virtio-client\(\d+\): virtio-client: {cls}/0 "
    return (f"--watch={cls}",
            (c + r"works \(connection \d+\)$", c + r"closed: MICA_ERR_PEER_CLOSED while idle; reconnecting$",
             c + r"closed: MICA_ERR_PEER_CLOSED with a request in flight; reconnecting$"))


def _virtio_row(name: str, path: str, driver: str, cls: str, children: bool = False) -> CampaignRow:
    arg, (works, idle, flight) = _watch(cls)
    return CampaignRow(name, path, driver, ("drivers.then=bin/virtio-client", f"drivers.then-arg={arg}"),
                       works, idle, flight, 10, 2000, True, children)


CAMPAIGN_ROWS = [
    CampaignRow("pl031", _RTC, "pl031", _RTC_CLIENT, _CLIENT + r"time \d{10}( after reconnecting)?$",
                _CLIENT + r"closed: MICA_ERR_PEER_CLOSED$", _CLIENT + r"request in flight: MICA_ERR_PEER_CLOSED$",
                5, 1000, virtio=False),
    _virtio_row("virtio-blk", "/virtio_mmio@a003c00/device", "virtio-blk-driver", "block"),
    _virtio_row("virtio-rng", "/virtio_mmio@a003e00/device", "virtio-rng-driver", "entropy"),
    _virtio_row("virtio-net", "/virtio_mmio@a003a00/device", "virtio-net-driver", "network"),
    # The transport of the block device: its child (the block driver) ends
    # with it and is started again by the restarted transport.
    _virtio_row("virtio-mmio", "/virtio_mmio@a003c00", "virtio-mmio-driver", "block", children=True),
]

_REASONS = {"kill": "was killed", "crash": r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)",
            "exit": "exited with status 3", "hang": "missed its liveness check", "stall": "was killed"}
_SEQUENCE = ("kill", "crash", "exit", "hang", "stall")
_MEMORY = (_DM + r"driver-manager: kernel free memory (\d+) bytes {when} (\d+) of {path} "
           r"\(heap in use (\d+), other (\d+);")
# One per-CPU fast block (kernel/base/memory.h kFastBlockSize), counted as
# heap in use: the client's Connect message for the service coming back,
# queued or already answered when the reading settles (docs/drivers.md,
# "Memory").
FAST_BLOCK = 256


def _others_quiet(row: CampaignRow) -> tuple[str, ...]:
    """No node but the row's (and its children) restarts or fails."""
    own = re.escape(row.path) + (r"[ /]" if row.children else " ")
    return _QUIET + (_DM + rf"driver: (?!{own}).*\(.*, process \d+\) ",
                     _DM + rf"driver-manager: node (?!{own}).* restarts [1-9]",
                     r"virtio-client: FAIL")


def _campaign_post(row: CampaignRow, starts: int, idle: int, flight: int) -> Callable[[str], str]:
    """Counts over the whole log: `starts` bound lines with distinct koids;
    the client's device check after every start (but one whose request is
    held), `idle` and `flight` PEER_CLOSED lines; and the kernel memory
    readings (kernel_memory_problem)."""
    def check(log: str) -> str:
        lines = log.splitlines()
        problem = bound_problem(lines, row.path, row.driver, starts)
        if problem:
            return problem
        # A start whose request is held answers no device check.
        for what, rx, least in (("device checks", row.works, starts - flight), ("idle closes", row.idle, idle),
                                ("in-flight closes", row.in_flight, flight)):
            got = sum(1 for line in lines if re.search(rx, line))
            if got < least:
                return f"{got} client {what}, not {least}: {rx}"
        return kernel_memory_problem(lines, row.path, starts)

    return check


def _once(lines: list[str]) -> list[str]:
    """The log without repeats of a line (timestamp and all): when the
    console's driver dies the kernel prints the last line the driver had
    read once more (docs/drivers.md, "The console")."""
    return list(dict.fromkeys(lines))


def bound_problem(lines: list[str], path: str, driver: str, starts: int) -> str:
    """`path` bound to `driver` `starts` times, each a new process (koid)."""
    bound = re.compile(_DM + rf"driver: bound {re.escape(path)} to {driver} \(process (\d+)\)")
    koids = [m.group(1) for m in map(bound.search, _once(lines)) if m]
    if len(koids) != starts or len(set(koids)) != starts:
        return f"{path} bound {len(koids)} times ({len(set(koids))} koids), not {starts}"
    return ""


def kernel_memory_problem(lines: list[str], path: str, starts: int) -> str:
    """The manager's kernel-memory readings for node `path` (drivers.kmem-ms=
    and a drivers.inject= or drivers.kill= target) over `starts` starts: one
    at every start (logged for the record: the live instance's translation
    tables differ with ASLR), and one after every end, with no instance
    alive, back to end 2's: every page exactly, the heap to within one fast
    block (end 1 comes before the manager's first restart: the warm-up).
    The problem, or ""."""
    memory = re.compile(_MEMORY.format(when="at start", path=re.escape(path)))
    ended = re.compile(_MEMORY.format(when="after end", path=re.escape(path)))
    lines = _once(lines)
    starts_read = sorted(int(m.group(2)) for m in map(memory.search, lines) if m)
    if starts_read != list(range(starts)):
        return f"kernel memory read at starts {starts_read}, not 0..{starts - 1}"
    found = [m for m in map(ended.search, lines) if m]
    gone = {int(m.group(2)): (int(m.group(1)), int(m.group(3)), int(m.group(4))) for m in found}
    if sorted(gone) != list(range(1, starts)):
        return f"kernel memory read after ends {sorted(gone)}, not 1..{starts - 1}"
    if 0 in (v[0] for v in gone.values()):
        return "a kernel memory reading never settled"
    base = gone[2]
    off = {e: v for e, v in gone.items() if e > 2 and (v[2] != base[2] or abs(v[1] - base[1]) > FAST_BLOCK)}
    if off:
        return f"kernel memory not back to end 2's (free {base[0]}, heap in use {base[1]}, other {base[2]}): " + \
            ", ".join(f"end {e} free {v[0] - base[0]:+d}, heap {v[1] - base[1]:+d}, other {v[2] - base[2]:+d}"
                      for e, v in sorted(off.items()))
    return ""


def _delay_ms(row: CampaignRow, restart: int) -> int:
    """The manager's delay before restart `restart` (1-based) of a row's
    node (restart_policy.h): the first restart is immediate, then the
    manifest's backoff doubles, for virtio nodes too (their DMA pages stay
    quarantined on the node's BTI until the new instance reset the
    device)."""
    return 0 if restart == 1 else row.backoff_ms << (restart - 2)


def _row_case(row: CampaignRow, kind: str, switches: list[str], restarts: list[str], run_ms: int,
              post: Callable[[str], str], more: list[str]) -> DriverCase:
    expected = [_bound(row.path, row.driver)]
    expected += [_DM + rf"driver: {re.escape(row.path)} \({row.driver}, process \d+\) {_REASONS[f]}; "
                       rf"restart {i} in {_delay_ms(row, i)} ms$" for i, f in enumerate(restarts, 1)]
    expected += [row.works, row.idle, _listed(re.escape(row.path), "bound", row.driver, len(restarts)),
                 _DM + rf"driver-manager: stopping after {run_ms} ms"] + more
    forbidden = _others_quiet(row) + (rf"restart {len(restarts) + 1} in",)
    append = _append("", run_ms, *row.client, "drivers.kmem-ms=1000", *switches)
    name = f"drivers/{kind}-{row.name}"
    extra = _virtio_driver_devices(False) if row.virtio else ()
    image = name.replace("/", "-") + ".img" if row.virtio and "--watch=block" in row.client[-1] else ""
    if row.virtio and not image:  # no block client: a null disk, nothing to check after
        extra = tuple("driver=null-co,node-name=vd0" if a.startswith("if=none,file={image}") else
                      "-blockdev" if a == "-drive" else a for a in extra)
    return DriverCase(name, _virt(append), expected, forbidden, extra, 2.0, image, post, waits=True)


def _campaign_case(row: CampaignRow) -> DriverCase:
    faults = ",".join(_SEQUENCE)
    more = [_DM + rf"driver-manager: killing process \d+ \({re.escape(row.path)}\), as injected$",
            row.in_flight, rf"{row.driver if not row.children else 'virtio-blk-driver'}\(\d+\): "
                           r".*holding a request unanswered, as injected$"]
    more += [rf"{row.driver}\(\d+\): {row.driver}: injecting {f}$" for f in ("crash", "exit", "hang", "stall")]
    run_ms = 12000 + 2 * row.liveness_ms
    post = _campaign_post(row, len(_SEQUENCE) + 1, 3, 1)
    return _row_case(row, "campaign", [f"drivers.inject={row.path}:{faults}"], list(_SEQUENCE), run_ms,
                     post, more)


def _repeat_case(row: CampaignRow, times: int = 4) -> DriverCase:
    more = [_DM + rf"driver-manager: killing process \d+ \({re.escape(row.path)}\), as asked$"]
    post = _campaign_post(row, times + 1, times, 0)
    return _row_case(row, "repeat", [f"drivers.kill=2500:{row.path}", f"drivers.kill-times={times}"],
                     ["kill"] * times, 2500 * times + 4000, post, more)


def _fail_every_start_case() -> DriverCase:
    """The PL031 driver crashes 1.5 s into every start: after 5 restarts
    (its manifest's default, 5 per 30 s) it is failed; then the block
    driver is killed and its client reads the whole disk right again."""
    blk = "/virtio_mmio@a003c00/device"
    arg, (works, idle, _) = _watch("block")
    crash = r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)"
    failed = _DM + rf"driver: failed {_RTC} \(pl031\): {crash}; gave up after 5 restarts$"
    expected = [
        _DM + rf"driver: {_RTC} \(pl031, process \d+\) {crash}; restart 5 in 40 ms$", failed,
        _DM + rf"driver-manager: node {_RTC} \[failed\] driver pl031 process 0 restarts 5 ",
        _DM + rf"driver: {re.escape(blk)} \(virtio-blk-driver, process \d+\) was killed; restart 1 in 0 ms$",
        works, idle, _listed(re.escape(blk), "bound", "virtio-blk-driver", 1),
    ]
    forbidden = _QUIET[1:] + (r"restart 6 in", r"virtio-client: FAIL",
                              _DM + rf"driver: /(?!pl031@9010000 |virtio_mmio@a003c00/device ).*\(.*, process \d+\) ")

    def post(log: str) -> str:
        lines = log.splitlines()
        at_fail = next((i for i, l in enumerate(lines) if re.search(failed, l)), None)
        after = [l for l in lines[at_fail or 0:] if re.search(works, l)]
        if at_fail is None or len(after) < 1:
            return "the block device was not read right after the PL031 driver had failed"
        return ""

    append = _append("", 14500, "drivers.then=bin/virtio-client", f"drivers.then-arg={arg}",
                     "drivers.inject=pl031:crash", "drivers.inject-every=1", f"drivers.kill=12000:{blk}")
    return DriverCase("drivers/fail-pl031", _virt(append), expected, forbidden, _virtio_driver_devices(False),
                      2.0, "drivers-fail-pl031.img", post, waits=True)


def campaign_cases() -> list[DriverCase]:
    return ([_campaign_case(r) for r in CAMPAIGN_ROWS] + [_repeat_case(r) for r in CAMPAIGN_ROWS]
            + [_fail_every_start_case()])
