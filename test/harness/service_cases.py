"""The service directory's QEMU cases (docs/drivers.md, "Services";
system/idl/directory.idl): boots of the system driver set on virt whose
`drivers.then=bin/drivers` client lists the published services and opens
one with the right protocol and with each kind of wrong request, and sees
MICA_ERR_UNAVAILABLE while the PL031 driver restarts. Judged like the
driver cases (driver_cases.py, qemu_jobs.driver_job)."""

from __future__ import annotations

from driver_cases import DriverCase
from qemu import BootConfig

_DM = r"driver-manager\(\d+\): "
_DRV = r"drivers\(\d+\): drivers: "
_RTC = "/pl031@9010000"
_QUIET = (_DM + r"driver: failed", _DM + r"driver: cannot start", r"bind .* failed",
          _DM + r"driver: .* cannot publish")


def _boot(run_ms: int, *more: str) -> BootConfig:
    words = ["userboot.next=bin/driver-manager", f"userboot.arg=drivers.run-ms={run_ms}",
             "userboot.arg=drivers.then=bin/drivers"] + [f"userboot.arg={m}" for m in more]
    return BootConfig(board="virt", smp=2, gic=3, append=" ".join(words))


def _open(what: str, protocol: str, version: int, status: str) -> str:
    return _DRV + rf"open {what} as {protocol} v{version}: {status}$"


def _refusals_case() -> DriverCase:
    """rtc/0 is listed with its protocol, version and node; opening it
    works only as rtc.Rtc version 1; every other request gets its own
    status; the rtc protocol's Set moves the clock and is undone."""
    expected = [
        _DM + rf"driver: published rtc/0 by {_RTC}$",
        _DRV + rf"service rtc/0 rtc\.Rtc v1 {_RTC} available$",
        _open("rtc/0", r"rtc\.Rtc", 1, "MICA_OK"),
        _open("rtc/1000", r"rtc\.Rtc", 1, "MICA_ERR_NOT_FOUND"),
        _open("nosuchclass/0", r"rtc\.Rtc", 1, "MICA_ERR_NOT_FOUND"),
        _open("rtc/0", r"block\.Block", 1, "MICA_ERR_WRONG_TYPE"),
        _open("rtc/0", r"rtc\.Rtc", 2, "MICA_ERR_NOT_SUPPORTED"),
        _open("rtc/0", r"rtc\.Rtc", 0, "MICA_ERR_NOT_SUPPORTED"),
        _open("rtc/0", '""', 1, "MICA_ERR_INVALID_ARGS"),
        _open("/0", r"rtc\.Rtc", 1, "MICA_ERR_INVALID_ARGS"),
        _DRV + r"rtc/0 set: MICA_OK, moved 10\d\d s, -1 refused with MICA_ERR_OUT_OF_RANGE: ok$",
        _DRV + r"rtc/0 refusals ok$",
        _DM + r"driver-manager: stopping after 2500 ms",
    ]
    return DriverCase("drivers/virt-services-refusals",
                      _boot(2500, "drivers.then-arg=--services=rtc/0"), expected,
                      _QUIET + (r"restart \d+ in", r"FAILED"))


def _unavailable_case() -> DriverCase:
    """While the PL031 driver restarts (it exits once, as injected) the
    directory answers MICA_ERR_UNAVAILABLE; once its new instance has
    published rtc/0 again the client opens it."""
    expected = [
        _DM + rf"driver: {_RTC} \(pl031, process \d+\) exited with status 3; restart 1 in 0 ms$",
        _DRV + r"open rtc/0 while its driver restarts: MICA_ERR_UNAVAILABLE$",
        _DRV + r"rtc/0 open again after its driver restarted$",
        _DM + r"driver-manager: stopping after 3000 ms",
    ]
    return DriverCase("drivers/virt-services-unavailable",
                      _boot(3000, "drivers.inject=pl031:exit", "drivers.then-arg=--unavailable=rtc/0"),
                      expected, _QUIET + (r"restart 2 in",))


def service_cases() -> list[DriverCase]:
    return [_refusals_case(), _unavailable_case()]
