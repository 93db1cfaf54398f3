"""The driver manager's QEMU cases (docs/drivers.md, "Test boots";
docs/testing.md): each boots bin/driver-manager with a test manifest set
(drivers.test=), lets it run for drivers.run-ms, and passes when userboot
reports its exit with status 0 after every expected line and no forbidden
one (UserbootChecker). The manager's own lines come through the debug log
as `driver-manager(<koid>): ...`, a driver's as `<driver>(<koid>): ...`."""

from __future__ import annotations

import dataclasses

from qemu import BootConfig

_DM = r"driver-manager\(\d+\): "
_DRV = r"drivers\(\d+\): drivers: +"
_STEADY = ("/fw-cfg@9020000",)
# A default boot's counts (`driver-manager: <b> nodes bound, <u> unbound`)
# and the nodes bound on raspi4b. On virt the 32 virtio-mmio transports
# count as bound when the count is printed (their drivers have just been
# started; those of empty slots end as "no device", unbound, right after).
VIRT_COUNTS = (35, 24)
RPI4_COUNTS = (1, 221)
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
    after the first backoff step, and comes up again; nothing else
    restarts."""
    driver = f"test-{test_set}"
    steady, quiet = _steady_untouched()
    expected = steady + [
        _bound("/pl031@9010000", driver),
        _DM + rf"driver: /pl031@9010000 \({driver}, process \d+\) {reason}; restart 1 in 5 ms$",
        rf"{driver}\(\d+\): {driver}: /pl031@9010000 up \(start 1\)$",
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
        _DM + rf"driver: {victim} \(test-steady, process \d+\) was killed; restart 1 in 5 ms$",
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
        _DM + r"driver: /pl031@9010000 \(test-fail, process \d+\) crashed \(fault at 0x0, esr 0x[0-9a-f]+\); restart 4 in 40 ms$",
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
    tests = ["block-info", "block-read", "block-write", "entropy", "network"] + (["block-reconnect"] if kill else [])
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
            _DM + rf"driver: {victim} \({victim_driver}, process \d+\) was killed; restart 1 in 10 ms$",
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
    """A UART driver on the console UART (drivers.bind-console=1, tests
    only): its own line reaches the wire through its interrupt-driven
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
    """A default boot (the system set): every bound line, the console UART
    left to the kernel, the counts, and bin/drivers' listing."""
    expected = [_bound(p, d) for p, d in bound]
    expected += [_DRV + rf"node {p} \[bound\] driver {d} process \d+ restarts 0 " for p, d in bound]
    expected += [
        _DM + rf"driver: {console[0]} is the kernel's console: not bound to {console[1]}$",
        _DRV + rf"node {console[0]} \[unbound\] ",
        _DM + rf"driver-manager: {counts[0]} nodes bound, {counts[1]} unbound$",
    ] + more
    return DriverCase(name, config, expected, _QUIET + (r"restart \d+ in",))


def _rtc_fault_case(fault: str, reason: str, run_ms: int, switches: tuple[str, ...],
                    more: list[str]) -> DriverCase:
    """The fault campaign (issue 14 §4) on the PL031 driver: it ends once
    (`reason`), is restarted once, reads the time again through the
    service, and its client (bin/drivers --rtc) reconnects; nothing else
    restarts."""
    expected = [
        _bound(_RTC, "pl031"),
        _DM + rf"driver: {_RTC} \(pl031, process \d+\) {reason}; restart 1 in 5 ms$",
        _CLIENT + r"time \d{10} after reconnecting$",
        _listed(_RTC, "bound", "pl031", 1),
        _DM + rf"driver-manager: stopping after {run_ms} ms",
    ] + more
    forbidden = _QUIET + (r"restart 2 in", _DM + rf"driver: /(?!pl031@9010000 ).* \(.*, process \d+\) ",
                          _DM + r"driver-manager: node /(?!pl031@9010000 ).* restarts [1-9]")
    append = _append("", run_ms, *_RTC_CLIENT, *switches)
    return DriverCase(f"drivers/virt-pl031-{fault}", _virt(append), expected, forbidden)


def _rtc_fault_cases() -> list[DriverCase]:
    first = [_CLIENT + r"time \d{10}$", _CLIENT + r"closed: MICA_ERR_PEER_CLOSED$"]
    kill = f"drivers.kill=1500:{_RTC}"
    return [
        _rtc_fault_case("kill", "was killed", 3000, (kill,),
                        first + [_DM + rf"driver-manager: killing process \d+ \({_RTC}\), as asked$"]),
        _rtc_fault_case("crash", r"crashed \(fault at 0x0, esr 0x[0-9a-f]+\)", 3000,
                        ("drivers.inject=pl031:crash",), list(first)),
        _rtc_fault_case("exit", r"exited with status 3", 3000, ("drivers.inject=pl031:exit",), list(first)),
        _rtc_fault_case("hang", r"missed its liveness check", 5000, ("drivers.inject=pl031:hang",),
                        list(first)),
        _rtc_fault_case("in-flight", "was killed", 3000, ("drivers.inject=pl031:stall", kill), [
            r"pl031\(\d+\): pl031: holding a request unanswered, as injected$",
            _CLIENT + r"request in flight: MICA_ERR_PEER_CLOSED$",
        ]),
    ]


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
    ] + _rtc_fault_cases()


def driver_cases() -> list[DriverCase]:
    tree = "drivers.then=bin/drivers"
    virt_lines = [r"node / \[unbound\] compatible \"linux,dummy-virt\"$",
                  r"node /pl011@9000000 \[unbound\] compatible \"arm,pl011\" \"arm,primecell\"$",
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
                    r"node /soc/serial@7e215040 \[unbound\] compatible \"brcm,bcm2835-aux-uart\"$"]),
    ] + _system_cases()
