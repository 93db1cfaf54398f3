"""The tables of `./mica test`'s QEMU cases: the boot matrix, the
configurations each in-target suite runs on, userboot's command lines, the
deliberate crashes and the benchmark smoke run."""

from __future__ import annotations

import dataclasses

import qemu
from common import (ADVERSARY_PROGRAM, ASYNC_TEST_PROGRAM, CORE_TESTS_PROGRAM, IDL_TEST_PROGRAM,
                    SYSCALL_FUZZ_PROGRAM)
from qemu import BootConfig, Paths


# userboot's command line handling: (name, kernel command line, expected
# lines, userboot's exit status, forbidden lines[, board, "virt" if
# absent]). userboot's own lines come through the debug log as
# `userboot(<koid>): userboot: ...`.
_UB = r"userboot\(\d+\): userboot: "
USERBOOT_CASES = [
    # The driver manager on its own (the default program, the component
    # manager, is system/virt's: shell_cases.py), which runs until told to
    # stop (drivers.run-ms=, docs/drivers.md).
    ("userboot/virt-gic3-smp2-driver-manager", "userboot.next=bin/driver-manager userboot.arg=drivers.run-ms=1000", [
        r"driver-manager\(\d+\): driver-manager: \d+ nodes bound, \d+ unbound$",
        r"driver-manager\(\d+\): driver-manager: node /pl011@9000000 \[bound\] driver pl011 ",
        _UB + r"bin/driver-manager exited with status 0",
    ], 0, ()),
    ("userboot/virt-gic3-smp2-arguments", "userboot.next=bin/runtime-test userboot.arg=one userboot.arg=two", [
        r"runtime-test\(\d+\): runtime-test: argv\[0\] = \"bin/runtime-test\"$",
        r"runtime-test\(\d+\): runtime-test: argv\[1\] = \"one\"$",
        r"runtime-test\(\d+\): runtime-test: argv\[2\] = \"two\"$",
        _UB + r"bin/runtime-test exited with status 0",
    ], 0, ()),
    # The loader: copy-on-write clones of the bootfs file, copies, and what
    # every instance of a program must see (system/core/userboot/test).
    ("userboot/virt-gic3-smp2-loader", "userboot.next=bin/loader-test", [
        r"loader-test\(\d+\): loader-test: copies-cloned-from-the-bootfs: ok$",
        r"loader-test\(\d+\): loader-test: bootfs-file-unchanged: ok$",
        r"loader-test\(\d+\): loader-test: 6 passed, 0 failed$",
        _UB + r"bin/loader-test exited with status 0",
    ], 0, (r"FAILED",)),
    ("userboot/virt-gic3-smp2-missing-program", "userboot.next=bin/no-such-program", [
        _UB + r"cannot start bin/no-such-program: no such file in the bootfs",
    ], 1, (r"exited with status",)),
    ("userboot/virt-gic3-smp2-not-an-elf", "userboot.next=test/hello.txt", [
        _UB + r"cannot start test/hello.txt: elf: ",
    ], 1, (r"exited with status",)),
    ("userboot/virt-gic3-smp2-truncated-elf", "userboot.next=test/truncated-elf", [
        _UB + r"cannot start test/truncated-elf: elf: ",
    ], 1, (r"exited with status",)),
    # The console hand-over (bin/power-test console): the line the console
    # log read never reaches the UART, the one it left unread does, printed
    # by the kernel once the log is closed.
    ("userboot/virt-gic3-smp2-console-handover", "userboot.next=bin/power-test userboot.arg=console", [
        r"power-test\(\d+\): power-test: this line was never read by the driver$",
        r"power-test\(\d+\): power-test: console owner ok, kernel silent while taken: ok, read back: ok$",
        _UB + r"bin/power-test exited with status 0",
    ], 0, (r"drops it",)),
    ("userboot/virt-gic3-smp2-console-driver-dies", "userboot.next=bin/power-test userboot.arg=console-exit", [
        r"power-test\(\d+\): power-test: this line was never read by the driver$",
        _UB + r"bin/power-test exited with status 0",
    ], 0, (r"drops it",)),
    ("userboot/virt-gic3-smp2-empty-next", "userboot.next=", [
        _UB + r"bad command line: userboot.next= is empty",
    ], 1, (r"exited with status",)),
    # The log service (docs/logging.md): bin/log-test starts bin/log-service
    # and checks it end to end; the service's console lines (INFO and up
    # only), bin/log's and the API's fallback line are checked here.
    ("log/virt-gic3-smp2-service", "userboot.next=bin/log-test", [
        r"log-service\(\d+\): \[\d+\.\d{3}\] log INFO: log service ready$",
        r"log-service\(\d+\): \[\d+\.\d{3}\] writer-a\[net\] INFO: link up iface=eth0 mtu=1500$",
        r"log-service\(\d+\): \[\d+\.\d{3}\] writer-b\[net\] ERROR: carrier lost$",
        r"log\(\d+\): \[\d+\.\d{3}\] writer-b\[net\] ERROR: carrier lost$",
        r"log\(\d+\): log: 1 records, 0 dropped$",
        r"log\(\d+\): log: bad argument: --severity=LOUD$",
        r"log-test\(\d+\): \[fallback\] WARN: service gone$",
        r"log-test\(\d+\): \[alone\] WARN: no sink 6$",
        r"log-test\(\d+\): log-test: 14 passed, 0 failed$",
        _UB + r"bin/log-test exited with status 0",
    ], 0, (r"FAILED", r"writer-a\[net\] DEBUG", r"log-service\(\d+\): .*flood")),
]


# system_power from bin/power-test (PowerChecker): (name, config, reboot?).
# Both PSCI conduits: HVC at EL1, SMC when QEMU runs the kernel at EL2.
_POWER = "userboot.next=bin/power-test userboot.arg="
POWER_CASES = [
    ("power/virt-gic3-smp4-off", BootConfig(board="virt", smp=4, gic=3, append=_POWER + "off"), False),
    ("power/virt-gic2-smp1-off", BootConfig(board="virt", smp=1, gic=2, append=_POWER + "off"), False),
    ("power/virt-el2-gic3-smp2-off",
     BootConfig(board="virt", smp=2, gic=3, el2=True, append=_POWER + "off"), False),
    ("power/virt-gic3-smp4-reboot", BootConfig(board="virt", smp=4, gic=3, append=_POWER + "reboot"), True),
    ("power/virt-el2-gic2-smp2-reboot",
     BootConfig(board="virt", smp=2, gic=2, el2=True, append=_POWER + "reboot"), True),
]


BENCH_SMOKE = "bench/virt-gic3-smp1-smoke"
BENCH_GOALS = "bench/virt-gic3-smp1-goals"


@dataclasses.dataclass(frozen=True)
class QemuCase:
    name: str  # boot/<config> or ktest/<config>
    config: BootConfig
    timeout_factor: float
    firmware_dtb: bool = False  # needs the devicetree engineer's fixture


def boot_cases(paths: Paths) -> list[QemuCase]:
    """A covering set of the boot matrix (not the full product): each GIC
    version, CPU counts 1/2/4/8, four CPU models, 512M..8G, EL1 and EL2
    entry, every boot flow. Names spell out what differs."""

    def virt(smp, gic, cpu, mem, el2=False, uboot=False, factor=1.0):
        short = {"cortex-a53": "a53", "cortex-a57": "a57", "cortex-a72": "a72", "max": "max"}[cpu]
        cfg = BootConfig(board="virt", smp=smp, gic=gic, cpu=cpu, mem_mib=qemu.parse_mem_mib(mem),
                         el2=el2, uboot=uboot)
        flow = ("uboot-" if uboot else "") + ("el2-" if el2 else "")
        return QemuCase(f"boot/virt-{flow}gic{gic}-smp{smp}-{short}-{mem}", cfg, factor)

    return [
        virt(4, 3, "cortex-a72", "2G"),  # what `./mica run` boots
        virt(4, 2, "cortex-a72", "2G"),
        virt(1, 3, "cortex-a53", "512M"),
        virt(1, 2, "cortex-a72", "512M"),
        virt(2, 2, "cortex-a53", "4G"),
        virt(2, 3, "cortex-a72", "4G"),
        virt(4, 3, "cortex-a57", "1G"),
        virt(8, 3, "max", "8G", factor=1.5),
        virt(4, 3, "cortex-a72", "2G", el2=True),
        virt(2, 2, "cortex-a53", "1G", el2=True),
        virt(4, 3, "cortex-a72", "2G", uboot=True, factor=2.0),
        virt(2, 2, "cortex-a53", "1G", el2=True, uboot=True, factor=2.0),
        QemuCase("boot/rpi4-kernel-upstream-dtb", BootConfig(board="rpi4"), 1.5),
        QemuCase("boot/rpi4-kernel-firmware-dtb",
                 BootConfig(board="rpi4", dtb=paths.rpi4_firmware_dtb), 1.5, firmware_dtb=True),
        QemuCase("boot/rpi4-uboot-sdcard", BootConfig(board="rpi4", uboot=True), 3.0),
    ]


def core_cases() -> list[QemuCase]:
    """bin/core-tests, started by userboot (userboot.next=)."""
    run = f"userboot.next={CORE_TESTS_PROGRAM}"
    return [
        # virt with 1 and 4 CPUs on both GIC versions, and raspi4b (GIC-400,
        # 4 CPUs). The 4-CPU boards run 4 vCPU threads on this 2-core host.
        QemuCase("core/virt-gic3-smp4", BootConfig(board="virt", smp=4, gic=3, append=run), 2.0),
        QemuCase("core/virt-gic2-smp4", BootConfig(board="virt", smp=4, gic=2, append=run), 2.0),
        QemuCase("core/virt-gic3-smp1", BootConfig(board="virt", smp=1, gic=3, append=run), 2.0),
        QemuCase("core/virt-gic2-smp1", BootConfig(board="virt", smp=1, gic=2, append=run), 2.0),
        # -cpu max: PAN is on, so every user copy must go through LDTR/STTR.
        QemuCase("core/virt-gic3-smp2-max", BootConfig(board="virt", smp=2, gic=3, cpu="max", append=run), 3.0),
        QemuCase("core/rpi4", BootConfig(board="rpi4", append=run), 2.0),
    ]


def syscall_fuzz_cases() -> list[QemuCase]:
    """bin/syscall-fuzz: random calls from an unprivileged process, on 4 CPUs
    (concurrent misuse) and on 1 CPU; and its leak check shown to see a
    small leak."""
    run = f"userboot.next={SYSCALL_FUZZ_PROGRAM}"
    return [
        QemuCase("syscall-fuzz/virt-gic3-smp4", BootConfig(board="virt", smp=4, gic=3, append=run), 3.0),
        QemuCase("syscall-fuzz/virt-gic2-smp1", BootConfig(board="virt", smp=1, gic=2, append=run), 3.0),
        # Each seed in a job with a kernel memory limit it meets: the job's
        # count back to 0 and the kernel's memory to the byte after each.
        QemuCase("syscall-fuzz/virt-gic3-smp4-job-limit",
                 BootConfig(board="virt", smp=4, gic=3, append=f"{run} userboot.arg=--job-limit"), 3.0),
        # The leak check itself: one kept event after seed 1 must fail seed
        # 2's check by exactly its cost (`leak-detected`).
        QemuCase("syscall-fuzz/virt-gic3-smp2-leak",
                 BootConfig(board="virt", smp=2, gic=3, append=f"{run} userboot.arg=--leak-demo"), 2.0),
    ]


def adversary_cases() -> list[QemuCase]:
    """bin/adversary: the adversarial scenarios, unprivileged, on 1 CPU with
    GICv2 and 4 CPUs with GICv3; little RAM, so that exhausting it is quick."""
    run = f"userboot.next={ADVERSARY_PROGRAM}"
    return [
        QemuCase("adversary/virt-gic2-smp1",
                 BootConfig(board="virt", smp=1, gic=2, mem_mib=512, append=run), 3.0),
        QemuCase("adversary/virt-gic3-smp4",
                 BootConfig(board="virt", smp=4, gic=3, mem_mib=1024, append=run), 3.0),
    ]


def failalloc_cases() -> tuple[list[QemuCase], list[QemuCase]]:
    """core-tests and syscall-fuzz under allocation fault injection
    (kernel.failalloc=, docs/testing.md): (core-tests cases, syscall-fuzz
    cases). Each runs with a fixed seed (2 % of the opted-in threads' heap
    and page allocations fail), on 1 CPU/GICv2 and 4 CPUs/GICv3; the suites
    themselves fail unless the kernel injected failures and every call it
    injected into returned MICA_ERR_NO_MEMORY; syscall-fuzz also checks
    memory per seed, and core-tests that no test left a thread or process
    behind."""
    def case(prefix: str, program: str, smp: int, gic: int, spec: str, factor: float) -> QemuCase:
        append = f"userboot.next={program} userboot.arg=failalloc kernel.failalloc={spec}"
        return QemuCase(f"failalloc/{prefix}-virt-gic{gic}-smp{smp}",
                        BootConfig(board="virt", smp=smp, gic=gic, append=append), factor)

    core = [
        case("core", CORE_TESTS_PROGRAM, 1, 2, "random:1:2", 2.0),
        case("core", CORE_TESTS_PROGRAM, 4, 3, "random:2:2", 2.0),
    ]
    fuzz = [
        case("syscall-fuzz", SYSCALL_FUZZ_PROGRAM, 1, 2, "random:3:2", 3.0),
        case("syscall-fuzz", SYSCALL_FUZZ_PROGRAM, 4, 3, "random:4:2", 3.0),
    ]
    return core, fuzz


def async_cases() -> list[QemuCase]:
    """bin/async-test (the async loop library), started like core-tests."""
    run = f"userboot.next={ASYNC_TEST_PROGRAM}"
    return [
        QemuCase("async/virt-gic3-smp4", BootConfig(board="virt", smp=4, gic=3, append=run), 2.0),
        QemuCase("async/virt-gic2-smp1", BootConfig(board="virt", smp=1, gic=2, append=run), 2.0),
        QemuCase("async/rpi4", BootConfig(board="rpi4", append=run), 2.0),
    ]


def idl_cases() -> list[QemuCase]:
    """bin/idl-test (generated IDL clients and servers, system/idl/test/target)."""
    run = f"userboot.next={IDL_TEST_PROGRAM}"
    return [
        QemuCase("idl/virt-gic3-smp4", BootConfig(board="virt", smp=4, gic=3, append=run), 2.0),
        QemuCase("idl/virt-gic2-smp1", BootConfig(board="virt", smp=1, gic=2, append=run), 2.0),
        QemuCase("idl/rpi4", BootConfig(board="rpi4", append=run), 2.0),
    ]
# bin/virtio-test (drivers/virtio/test): the virtio logic against QEMU's
# virtio-rng, virtio-blk and virtio-net devices (user network with
# restrict=on: nothing leaves the machine), on the legacy transport (QEMU virt's
# default) and the modern one. The block device is a 1 MiB raw image the job
# writes before the boot and checks byte by byte after it (qemu_jobs.py).
VIRTIO_IMAGE_BYTES = 1 << 20


def virtio_image(paths: Paths, version: str) -> "Path":
    return paths.out / "test-images" / f"virtio-{version}.img"


def virtio_cases(paths: Paths) -> list[tuple[QemuCase, "Path"]]:
    cases = []
    for version in ("legacy", "modern"):
        image = virtio_image(paths, version)
        devices = ("-device", "virtio-rng-device",
                   "-drive", f"if=none,file={image},format=raw,id=vd0",
                   "-device", "virtio-blk-device,drive=vd0",
                   "-netdev", "user,id=vn0,restrict=on",
                   "-device", "virtio-net-device,netdev=vn0")
        if version == "modern":
            devices = ("-global", "virtio-mmio.force-legacy=false") + devices
        run = f"userboot.next=bin/virtio-test userboot.arg={version}"
        config = BootConfig(board="virt", smp=2, gic=3, append=run, devices=devices)
        cases.append((QemuCase(f"virtio/virt-{version}", config, 2.0), image))
    return cases


def ktest_cases() -> list[QemuCase]:
    kt = "kernel.test=all"
    return [
        QemuCase("ktest/virt-gic3-smp4", BootConfig(board="virt", smp=4, gic=3, append=kt), 3.0),
        QemuCase("ktest/virt-gic2-smp1", BootConfig(board="virt", smp=1, gic=2, append=kt), 3.0),
        QemuCase("ktest/rpi4", BootConfig(board="rpi4", append=kt), 3.0),
    ]


# Deliberate crashes and what their reports must contain. The crash runs in
# the boot thread after userboot has ended (so these boots start bin/hello,
# which ends, not the default driver manager, which does not), and by then
# that thread may run on any CPU: the reports name whichever it is.
_THEN_CRASH = "userboot.next=bin/hello kernel.crash="
CRASH_CASES = [
    ("crash/virt-gic3-smp4-null-write", BootConfig(board="virt", smp=4, gic=3, append=_THEN_CRASH + "null"), [
        r"KERNEL PANIC on cpu \d: kernel write at 0x0: translation fault",
        r"panic: stopped 3 of 3 other CPUs",
        r"ESR 0x[0-9a-f]+: EC 0x25 \(data abort \(same EL\)\)",
        r"FAR 0x0000000000000000  ELR 0xffffffff",
        r"x28 0x[0-9a-f]{16}  x29 0x[0-9a-f]{16}",
        r"#0 +0x[0-9a-f]+ \(anonymous namespace\)::CrashNullWrite\(\)\+0x",
        r"#1 +0x[0-9a-f]+ CrashForTest\(char const\*\)\+0x",
    ]),
    ("crash/virt-gic2-smp2-stack-overflow", BootConfig(board="virt", smp=2, gic=2, append=_THEN_CRASH + "stack"), [
        r"KERNEL PANIC on cpu \d: kernel stack overflow \(access at 0xffffffc0[0-9a-f]+ in the guard",
        r"panic: stopped 1 of 1 other CPUs",
        r"#0 +0x[0-9a-f]+ \(anonymous namespace\)::CrashRecurse\(int\)",
    ]),
    ("crash/rpi4-assert", BootConfig(board="rpi4", append=_THEN_CRASH + "assert"), [
        r"KERNEL PANIC on cpu \d: assertion failed at .*crash\.cc:\d+: g_null_address != 0",
        r"panic: stopped 3 of 3 other CPUs",
        r"#\d+ +0x[0-9a-f]+ CrashForTest\(char const\*\)\+0x",
    ]),
]
