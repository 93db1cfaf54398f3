"""Drivers that misbehave toward the driver manager, and kill patterns a
new user would try (issue 14: "a crashing driver gets a clear error and
loses nothing; it never takes the kernel down"). Each case boots the
manager on virt with a test manifest set and checks that the manager
stays up (its node tree printed at the end, then a clean exit), that the
bystander drivers were never restarted, that the kernel did not panic
(UserbootChecker fails on a panic line) and what the manager refused.
Judged like the driver cases (driver_cases.py, qemu_jobs.driver_job)."""

from __future__ import annotations

import re

from driver_cases import DriverCase
from qemu import BootConfig

_DM = r"driver-manager\(\d+\): "
_HOSTILE = r"test-hostile\(\d+\): test-hostile: "
_VICTIM = "/pl031@9010000"
_BYSTANDERS = ("/fw-cfg@9020000", "/pl061@9030000")
# The manager's bounds (system/core/driver_manager/node.h, service_table.h).
_MAX_CHILDREN = 32
_MAX_ADDED_DEPTH = 4
_MAX_SERVICES_PER_NODE = 8
_GARBAGE = ("bytes", "ordinal", "truncated", "handle-type", "oversized", "event-ordinal")


def _boot(test_set: str, run_ms: int, *more: str) -> BootConfig:
    words = ["userboot.next=bin/driver-manager", f"userboot.arg=drivers.run-ms={run_ms}",
             f"userboot.arg=drivers.test={test_set}"] + [f"userboot.arg={m}" for m in more]
    return BootConfig(board="virt", smp=2, gic=3, append=" ".join(words))


def _bystanders() -> tuple[list[str], tuple[str, ...]]:
    """Bound once, listed at the end with 0 restarts, never restarted."""
    expected = [_DM + rf"driver: bound {p} to test-steady \(process \d+\)$" for p in _BYSTANDERS]
    expected += [_DM + rf"driver-manager: node {p} \[bound\] driver test-steady process \d+ restarts 0 "
                 for p in _BYSTANDERS]
    forbidden = tuple(_DM + rf"driver: {p} \(" for p in _BYSTANDERS)
    return expected, forbidden


def _hostile_case() -> DriverCase:
    """bin/test-hostile-driver on the PL031's node (hostile_driver.cc): a
    child that adds a child like itself (recursion), a duplicate child
    name, names and compatibles no devicetree could hold (one with a
    newline that would forge a manager line), 300 children, 100 service classes, removes of nodes it does not
    own; then, one per start, six kinds of malformed message on its Manager
    channel (each closes that link only, with an epitaph) and a Ping
    answered twice followed by silence, then both links closed by the
    driver, which lives on (the manager restarts it each time: a broken
    Driver link is a missed liveness check). The manager bounds children
    per node, the depth of added nodes and services per node; everything
    else keeps running."""
    expected, forbidden = _bystanders()
    deepest = _VICTIM + "/r" * _MAX_ADDED_DEPTH
    expected += [
        _DM + rf"driver: bound {_VICTIM} to test-hostile \(process \d+\)$",
        _HOSTILE + r"dup again: MICA_ERR_ALREADY_EXISTS$",
        _HOSTILE + r"bad names refused 11 of 11$",
        _HOSTILE + r"forged class: MICA_ERR_INVALID_ARGS$",
        _HOSTILE + rf"children accepted {_MAX_CHILDREN - 2} of 300 \(MICA_ERR_NO_RESOURCES\)$",
        _HOSTILE + rf"services accepted {_MAX_SERVICES_PER_NODE} of 100 \(MICA_ERR_NO_RESOURCES\)$",
        _HOSTILE + r"foreign removes accepted 0$",
        # The manager's warnings go through the logging API (its fallback
        # line here: no log service runs in this boot).
        _DM + rf"\[driver\] WARN: cannot add a child node node={_VICTIM} child=.* status=MICA_ERR_ALREADY_EXISTS$",
        _DM + rf"\[driver\] WARN: refuses more: its further refusals are not logged node={_VICTIM}$",
        r"test-hostile-recurse\(\d+\): test-hostile: " + rf"{deepest}: child r refused: MICA_ERR_OUT_OF_RANGE$",
    ]
    for kind in _GARBAGE:
        expected.append(_HOSTILE + rf"garbage {kind}: link closed \(MICA_ERR_PEER_CLOSED, epitaph MICA_ERR_\w+\)$")
    # One restart per garbage kind, one for closing both links.
    starts = len(_GARBAGE) + 1
    expected += [
        _DM + rf"driver: {_VICTIM} \(test-hostile, process \d+\) missed its liveness check; restart {n} in \d+ ms$"
        for n in range(1, starts + 1)
    ]
    expected += [
        _HOSTILE + r"closed both links; silent now$",
        _HOSTILE + rf"{_VICTIM} up \(start {starts}\)$",
        _DM + rf"driver-manager: node {_VICTIM} \[bound\] driver test-hostile process \d+ restarts {starts} ",
        _DM + r"driver-manager: stopping after 20000 ms",
    ]
    forbidden += (_DM + r"driver: failed", _DM + r"driver: cannot start",
                  _DM + rf"driver: bound {deepest}/r ")
    return DriverCase("drivers/adversary-hostile", _boot("hostile", 20000), expected, forbidden,
                      timeout_factor=3.0)


def _kill_storm_case() -> DriverCase:
    """The same driver killed 20 times in a row, 30 ms apart (each kill
    lands on a fresh instance, often before it has served anything): the
    backoff, then the failed state once the manifest's budget is spent;
    the later kills find nothing bound; the bystander and the PL031's
    driver are never restarted and the manager lists the tree."""
    victim, other = "/pl061@9030000", "/fw-cfg@9020000"
    expected = [
        _DM + rf"driver: {victim} \(test-steady, process \d+\) was killed; restart 1 in 0 ms$",
        _DM + rf"driver: {victim} \(test-steady, process \d+\) was killed; restart 2 in 5 ms$",
        _DM + rf"driver: failed {victim} \(test-steady\): was killed; gave up after \d+ restarts$",
        _DM + rf"driver-manager: node {victim} \[failed\] driver test-steady process 0 ",
        _DM + rf"driver-manager: node {other} \[bound\] driver test-steady process \d+ restarts 0 ",
        _DM + rf"driver-manager: node {_VICTIM} \[bound\] driver test-isolation process \d+ restarts 0 ",
        _DM + r"driver-manager: stopping after 6000 ms",
    ]
    forbidden = (_DM + rf"driver: {other} \(", _DM + rf"driver: {_VICTIM} \(", _DM + r"driver: cannot start")
    append = _boot("isolation", 6000, f"drivers.kill=30:{victim}", "drivers.kill-times=20")
    return DriverCase("drivers/adversary-kill-storm", append, expected, forbidden)


def _nodes_listed_twice(log: str) -> str:
    n = len(re.findall(r"drivers\(\d+\): drivers: \d+ nodes\r?$", log, re.M))
    return "" if n == 2 else f"the node tree was listed {n} times, not twice (before and after the flood)"


def _client_flood_case() -> DriverCase:
    """A client of the PL031 driver's rtc/0 (bin/drivers --flood,
    drivers_flood.cc) opens 300 connections and keeps them, sends 40 Gets
    on each without reading a reply, and garbage on every tenth: each
    garbage connection alone is closed, a new client reads the time during
    the flood and after it, the driver is never restarted, and the manager
    lists the tree again afterwards."""
    c = r"drivers\(\d+\): drivers: rtc/0 flood: "
    expected = [
        _DM + rf"driver: bound {_VICTIM} to pl031 \(process \d+\)$",
        c + r"300 connections, \d+ requests unread, 30 malformed closed of 30$",
        c + r"a new client read the time \(during\)$",
        c + r"a new client read the time \(after\)$",
        r"drivers\(\d+\): drivers: +node /pl031@9010000 \[bound\] driver pl031 process \d+ restarts 0 ",
        _DM + r"driver-manager: stopping after 8000 ms",
    ]
    forbidden = (_DM + rf"driver: {_VICTIM} \(", _DM + r"driver: failed", _DM + r"driver: cannot start",
                 r"flood: a new client failed", r"listing failed")
    words = ["userboot.next=bin/driver-manager", "userboot.arg=drivers.run-ms=8000",
             "userboot.arg=drivers.then=bin/drivers", "userboot.arg=drivers.then-arg=--flood=rtc/0"]
    config = BootConfig(board="virt", smp=2, gic=3, append=" ".join(words))
    return DriverCase("drivers/adversary-client-flood", config, expected, forbidden, timeout_factor=2.0,
                      post=_nodes_listed_twice)


def _kill_together_case() -> DriverCase:
    """Three drivers killed at once: test-parent on the PL031's node and
    both children it added (drivers.inject=test-child:kill kills each child
    1.5 s after its start; drivers.kill= kills the parent within about
    0.3 s of them, often the children's just restarted instances with it).
    Whatever order the manager sees the ends in, the parent comes
    back once, adds its children again, they bind and publish again, the
    bystanders are untouched and the manager lists the tree."""
    children = (_VICTIM + "/child@0", _VICTIM + "/child@1")
    expected, forbidden = _bystanders()
    expected += [
        _DM + rf"driver-manager: killing process \d+ \({_VICTIM}\), as asked$",
        _DM + rf"driver: {_VICTIM} \(test-parent, process \d+\) was killed; restart 1 in 0 ms$",
        r"test-parent\(\d+\): test-parent: /pl031@9010000 up \(start 1\)$",
        _DM + rf"driver-manager: node {_VICTIM} \[bound\] driver test-parent process \d+ restarts 1 ",
    ]
    expected += [_DM + rf"driver-manager: node {c} \[bound\] driver test-child process \d+ restarts \d+ .* services test/\d$"
                 for c in children]
    expected.append(_DM + r"driver-manager: stopping after 5000 ms")
    forbidden += (_DM + r"driver: failed", _DM + r"driver: cannot start", r"restart 2 in",
                  _DM + r"driver: .* cannot publish", r"adding a child node failed")
    append = _boot("parent", 5000, "drivers.inject=test-child:kill", "drivers.inject-kill-ms=1500",
                   f"drivers.kill=1600:{_VICTIM}")
    return DriverCase("drivers/adversary-kill-together", append, expected, forbidden)


def hostile_driver_cases() -> list[DriverCase]:
    return [_hostile_case(), _kill_storm_case(), _client_flood_case(), _kill_together_case()]
