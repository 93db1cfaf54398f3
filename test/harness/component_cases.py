"""The component manager's QEMU case (docs/components.md, "Runtime";
docs/testing.md): boots bin/component-manager with the test tree of
system/core/component_manager/test (--root=meta/cm-test-root.cm). Its
checker component exercises eager and lazy start, routing through offer
and expose chains, a missing capability, a killed component restarted,
on_terminate ignore, stop (obeyed, and killed after the timeout), Run in a
collection with its exit code, kernel objects routed with their rights
(and not had where not routed), and the driver manager as a component
getting its kernel objects by routing; the manager exits with the
checker's status (--exit-with=/checker). Judged
like a driver case (qemu_jobs.driver_job): every expected line, no
forbidden one, userboot's end with status 0."""

from __future__ import annotations

import re
from typing import Optional

import qemu
from checks import PANIC_MARK
from common import BASE_TIMEOUT, READY_RE, CaseResult, Job, Options
from driver_cases import DriverCase
from qemu import BootConfig, Checker, Verdict

_CM = r"component-manager\(\d+\): "
_T = r"cm-test-component\(\d+\): cm-test: "
_CHECKS = [
    "realm", "eager-started", "lazy-not-started", "crash-loop-failed", "failed-provider-unavailable",
    "route-sibling", "provider-refuses-unknown", "route-expose-chain-lazy-start",
    "lazy-started", "open-running", "not-in-namespace", "missing-capability", "others-unaffected",
    "kernel-root-resource-inspect-only", "kernel-bootfs-read-only", "kernel-manage-not-in-namespace", "killed",
    "restarted-answers", "restarted-listed", "ignore-exit-code", "ignore-not-restarted", "realm-start", "realm-start-unknown",
    "realm-stop-started", "stop",
    "stop-timeout-kill", "lazy-restart-after-stop", "run-started", "run-exit-code", "run-collected",
    "run-missing-program", "run-stdout", "run-missing-manifest", "run-manifest-with-args", "run-realm-with-args",
    "log-attached-self", "log-attached-run-stdout", "drivers-inspect",
    "drivers-directory", "drivers-stop",
]


def component_cases() -> list[DriverCase]:
    append = " ".join([
        "userboot.next=bin/component-manager",
        "userboot.arg=--root=meta/cm-test-root.cm",
        "userboot.arg=--exit-with=/checker",
        "userboot.arg=--stop-timeout-ms=300",
    ])
    expected = [
        _CM + r"component-manager: 9 components from meta/cm-test-root\.cm$",
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
        # Kernel objects: only the names routed to a component, with their rights.
        _CM + r"component: /run:cm-test-missing-\d+ cannot open kernel\.RootResource: not offered by /$",
        _CM + r"component: /run:cm-test-missing-\d+ cannot open kernel\.ManageResource: not offered by /$",
        _CM + r"component: /run:cm-test-missing-\d+ cannot open kernel\.DebugLog: not offered by /$",
        _CM + r"component: /checker cannot open /svc/kernel\.ManageResource: not in its namespace \(no use of it\)$",
        _CM + r"component: /eager \(process \d+\) was killed; restart 1 in 0 ms$",
        # A crash loop: at once, then backoff doubling from 10 ms, then failed.
        _CM + r"component: /crashy \(process \d+\) crashed \(fault at 0x0, esr 0x[0-9a-f]+\); restart 1 in 0 ms$",
        _CM + r"component: /crashy \(process \d+\) crashed \(fault at 0x0, esr 0x[0-9a-f]+\); restart 2 in 10 ms$",
        _CM + r"component: /crashy \(process \d+\) crashed \(fault at 0x0, esr 0x[0-9a-f]+\); restart 5 in 80 ms$",
        _CM + r"component: failed /crashy: crashed \(fault at 0x0, esr 0x[0-9a-f]+\); gave up after 5 restarts$",
        _CM + r"component: /checker cannot open test\.Crashy: its provider /crashy has failed$",
        _CM + r"component: /ignored \(process \d+\) exited with status 7; not restarted \(on_terminate ignore\)$",
        _CM + r"component: stopped /eager \(process \d+\): exited with status 0$",
        _CM + r"component: /provider/inner did not stop within 300 ms: killed$",
        _CM + r"component: stopped /provider/inner \(process \d+\): was killed$",
        _CM + r"component: /run:cm-test-component-\d+ \(process \d+\) exited with status 42; not restarted \(on_terminate ignore\)$",
        _CM + r"component: /run:no-such-\d+: no manifest meta/no-such\.cm in the bootfs$",
        _CM + r"component: stopped /ignored \(process \d+\): exited with status 0$",
        _CM + r"component: stopped /drivers \(process \d+\): exited with status 0$",
        _T + r"eager stopping$",
        _T + r"inner ignores the stop request$",
    ] + [_T + rf"check {c} ok$" for c in _CHECKS] + [
        _T + rf"{len(_CHECKS)} checks passed, 0 failed$",
        _CM + r"component-manager: /checker ended with status 0; every component stopped$",
        r"userboot: bin/component-manager exited with status 0$",
    ]
    forbidden = (
        r"FAILED",
        _CM + r"component: failed (?!/crashy:)",
        _CM + r"component: cannot start ",
        r"driver-manager: cannot get ",
        # Nothing else restarted: only /eager (once) and /crashy.
        _CM + r"component: /(?!eager |crashy )\S+ \(process \d+\) .*; restart ",
        _CM + r"component: /eager \(process \d+\) .*; restart [^1]",
    )
    return [
        DriverCase("components/virt-smp2",
                   BootConfig(board="virt", smp=2, gic=3, append=append), expected, forbidden),
    ]


class RebootChecker(Checker):
    """components/virt-reboot: the expected lines in order, then the
    kernel's ready line a second time (PSCI SYSTEM_RESET; the harness does
    not pass -no-reboot). A panic fails."""

    def __init__(self, expected: list[str]):
        self.expected = [re.compile(e) for e in expected]
        self.next = 0
        self.ready = 0

    def feed(self, line: str) -> Optional[Verdict]:
        if PANIC_MARK in line:
            return Verdict(False, f"kernel panic: {line.strip()}")
        if self.next < len(self.expected) and self.expected[self.next].search(line.rstrip()):
            self.next += 1
        if READY_RE.search(line):
            self.ready += 1
            if self.ready >= 2:
                if self.next == len(self.expected):
                    return Verdict(True, "rebooted after the component's end")
                return Verdict(False, "rebooted, but missing (in order): "
                               + self.expected[self.next].pattern)
        return None

    def finish(self, why: str) -> Verdict:
        missing = self.expected[self.next].pattern if self.next < len(self.expected) else "a second boot"
        return Verdict(False, f"{why}; missing: {missing}")


def _reboot_case() -> tuple[str, BootConfig, list[str]]:
    """A child with on_terminate reboot exits with status 3: the manager
    stops every component and reboots the machine through system_power."""
    append = " ".join([
        "userboot.next=bin/component-manager",
        "userboot.arg=--root=meta/cm-test-reboot.cm",
    ])
    expected = [
        _CM + r"component: started /fragile \(process \d+\)$",
        _CM + r"component: /fragile asks for a reboot: exited with status 3$",
        _CM + r"component-manager: every component stopped; rebooting$",
        r"\] mica: reboot requested by component-manager\(\d+\)$",
    ]
    return "components/virt-reboot", BootConfig(board="virt", smp=2, gic=3, append=append), expected


def component_jobs(opts: Options) -> list[Job]:
    name, config, expected = _reboot_case()
    if not opts.selected(name):
        return []

    def run() -> list[CaseResult]:
        problem = "\n".join(qemu.missing_files(config, opts.paths))
        if problem:
            return [CaseResult(name, "FAIL", 0.0, problem)]
        cmd = qemu.qemu_command(config, opts.paths)
        r = qemu.run_case(cmd, RebootChecker(expected), BASE_TIMEOUT * 2.0 * opts.timeout_scale,
                          opts.log_path(name), opts.abort)
        if r.verdict.passed:
            return [CaseResult(name, "PASS", r.seconds)]
        detail = f"{r.verdict.reason}\nserial log: {r.log_path}"
        return [CaseResult(name, "FAIL", r.seconds, detail)]

    return [Job([name], run)]
