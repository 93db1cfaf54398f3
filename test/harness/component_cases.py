"""The component manager's QEMU case (docs/components.md, "Runtime";
docs/testing.md): boots bin/component-manager with the test tree of
system/core/component_manager/test (--root=meta/cm-test-root.cm). Its
checker component exercises eager and lazy start, routing through offer
and expose chains, a missing capability, a killed component restarted,
on_terminate ignore, stop (obeyed, and killed after the timeout), Run in a
collection with its exit code, and the driver manager as a component; the
manager exits with the checker's status (--exit-with=/checker). Judged
like a driver case (qemu_jobs.driver_job): every expected line, no
forbidden one, userboot's end with status 0."""

from __future__ import annotations

from driver_cases import DriverCase
from qemu import BootConfig

_CM = r"component-manager\(\d+\): "
_T = r"cm-test-component\(\d+\): cm-test: "
_CHECKS = [
    "realm", "eager-started", "lazy-not-started", "route-sibling", "route-expose-chain-lazy-start",
    "lazy-started", "not-in-namespace", "missing-capability", "others-unaffected", "killed",
    "restarted-answers", "restarted-listed", "ignore-exit-code", "ignore-not-restarted", "stop",
    "stop-timeout-kill", "lazy-restart-after-stop", "run-started", "run-exit-code", "run-collected",
    "run-missing-program", "drivers-inspect", "drivers-directory",
]


def component_cases() -> list[DriverCase]:
    append = " ".join([
        "userboot.next=bin/component-manager",
        "userboot.arg=--root=meta/cm-test-root.cm",
        "userboot.arg=--exit-with=/checker",
        "userboot.arg=--stop-timeout-ms=300",
    ])
    expected = [
        _CM + r"component-manager: 7 components from meta/cm-test-root\.cm$",
        # Eager children at boot, the lazy one on its first use.
        _CM + r"component: started /drivers \(process \d+\)$",
        _CM + r"component: started /eager \(process \d+\)$",
        _CM + r"component: started /checker \(process \d+\)$",
        _CM + r"component: started /provider/inner \(process \d+\)$",
        # The driver manager's own lines are unchanged under the component manager.
        r"driver-manager\(\d+\): driver-manager: test manifest set common$",
        # The broken hop, naming the capability and the component.
        _CM + r"component: /checker cannot open /svc/test\.Unused: not in its namespace \(no use of it\)$",
        _CM + r"component: /run:cm-test-missing-\d+ cannot open test\.Missing: not offered by /$",
        _CM + r"component: /eager \(process \d+\) was killed; restart 1 in 0 ms$",
        _CM + r"component: /ignored \(process \d+\) exited with status 7; not restarted \(on_terminate ignore\)$",
        _CM + r"component: stopped /eager \(process \d+\): exited with status 0$",
        _CM + r"component: /provider/inner did not stop within 300 ms: killed$",
        _CM + r"component: stopped /provider/inner \(process \d+\): was killed$",
        _CM + r"component: /run:cm-test-component-\d+ \(process \d+\) exited with status 42; not restarted \(on_terminate ignore\)$",
        _T + r"eager stopping$",
        _T + r"inner ignores the stop request$",
    ] + [_T + rf"check {c} ok$" for c in _CHECKS] + [
        _T + rf"{len(_CHECKS)} checks passed, 0 failed$",
        _CM + r"component-manager: /checker ended with status 0; every component stopped$",
        r"userboot: bin/component-manager exited with status 0$",
    ]
    forbidden = (
        r"FAILED",
        _CM + r"component: failed ",
        _CM + r"component: cannot start ",
        # Nothing else restarted: only /eager, once.
        _CM + r"component: /(?!eager )\S+ \(process \d+\) .*; restart ",
    )
    return [
        DriverCase("components/virt-smp2",
                   BootConfig(board="virt", smp=2, gic=3, append=append), expected, forbidden),
    ]
