#!/usr/bin/env python3
"""An instruction profile of one bin/bench figure, per kernel function
(docs/performance.md, "Profile").

QEMU runs with one instruction per translation block and logs every block it
executes (`-accel tcg,one-insn-per-tb=on -d exec,nochain`), so each `Trace`
line is one retired instruction. The log streams through a FIFO and is
counted per PC. Two boots differ only in the iteration count (icount makes
everything else identical); their difference, divided by the extra
operations, is the cost of one operation, with boot, start-up and teardown
cancelled out. Kernel PCs are named with the kernel's symbol table
(out/kernel/mica.elf). User PCs are named too: bin/bench runs with
`images=1` and prints where it and every child it started were loaded
(`bench: info image bin/bench 0x...`); a PC inside one of those images is
named `[user] symbol` from the unstripped program (out/user/exe.unstripped),
any other user PC is counted as `[user] ?`.

The process_create_exit figure runs iters/100 operations (bench.cc); the
operation counts here follow that.

  test/bench/insn_profile.py --out out --cache .cache [--only channel_call] [--json FILE]
"""

from __future__ import annotations

import argparse
import bisect
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402
import qemu  # noqa: E402

TRACE_RE = re.compile(rb"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
NM = "/usr/lib/llvm-19/bin/llvm-nm"
OBJDUMP = "/usr/lib/llvm-19/bin/llvm-objdump"


# Coarse phases of a call path, by kernel function name (first match wins).
GROUPS = [
    ("user space (client and server)", r"^\[user\]"),
    ("handle lookup", r"HandleTable|GetHandle|HandleCodec"),
    ("locks (SpinLock acquire/release, its CPU-id hook)", r"^mica::(IrqSaving)?SpinLock::|kernel_main::\$_0"),
    ("kernel heap (message allocation and free)", r"mica::Heap::|^kmem::|HeapAlloc|HeapFree|KernelAllocator"),
    ("current thread/process lookups", r"^Process::Current|^sched::Current|CurrentCpu"),
    ("user copies and clearing", r"copy_to_user|copy_from_user|_user(32|64)$|^memset|^memcpy|UserCopy|usercopy"),
    ("exception entry/exit, syscall dispatch",
     r"^el0_|^el1_|user_sync_exception|^syscall_gen::|arm64_syscall_return_work|^arm64_exception|^arm64_vectors|ReturnToUser|^exception|CheckKilled"),
    ("scheduler: wake, block, switch (FP registers too), timer",
     r"^sched::|WaitQueue|SwitchUserState|^timer::|context_switch|Thread::|PreemptFromIrq|arm64_fp_|KernelOnlyTtbr0"),
    ("objects: channel/port/event logic, signals, syscalls", r"Channel|Message|sys_|Dispatcher|Signal|Port|Event"),
]


def symbols(elf: Path) -> tuple[list[int], list[str]]:
    out = subprocess.run([NM, "-n", "--defined-only", "-C", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    addrs, names = [], []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return addrs, names


class UserImages:
    """The programs bin/bench reported loading: (base, end, symbols)."""

    def __init__(self, out: Path, console: str):
        self.images: list[tuple[int, int, list[int], list[str]]] = []
        cache: dict[str, tuple[int, list[int], list[str]]] = {}
        for m in re.finditer(r"bench: info image (\S+) 0x([0-9a-f]+)", console):
            path, base = m.group(1), int(m.group(2), 16)
            if path not in cache:
                elf = out / "user" / "exe.unstripped" / Path(path).name
                if not elf.exists():
                    continue
                addrs, names = symbols(elf)
                cache[path] = (span_of(elf), addrs, names)
            span, addrs, names = cache[path]
            self.images.append((base, base + span, addrs, names))
        self.images.sort()
        self.bases = [b for b, _, _, _ in self.images]

    def name(self, pc: int) -> str:
        i = bisect.bisect_right(self.bases, pc) - 1
        if i < 0 or pc >= self.images[i][1]:
            return "[user] ?"
        base, _, addrs, names = self.images[i]
        j = bisect.bisect_right(addrs, pc - base) - 1
        return "[user] " + (names[j] if j >= 0 else "?")


def span_of(elf: Path) -> int:
    """The end of the highest PT_LOAD segment (memory size)."""
    out = subprocess.run(["/usr/lib/llvm-19/bin/llvm-readelf", "-lW", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    end = 0
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            end = max(end, int(f[2], 16) + int(f[5], 16))
    return end


def operations(name: str, iters: int) -> int:
    """How many operations a boot with `iters` runs (warm-up included)."""
    n = max(iters // 100, 2) if name == "process_create_exit" else iters
    return n + max(n // 10, 1)


def count_pcs(cmd: list[str], timeout: float) -> tuple[collections.Counter, str]:
    """Boots `cmd` with the exec log going to a FIFO; returns instructions
    per PC and the console output."""
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "exec.log")
        os.mkfifo(fifo)
        full = cmd + ["-accel", "tcg,one-insn-per-tb=on", "-d", "exec,nochain", "-D", fifo]
        counts: collections.Counter = collections.Counter()

        def reader():
            with open(fifo, "rb", buffering=1 << 20) as f:
                for line in f:
                    m = TRACE_RE.match(line)
                    if m:
                        counts[m.group(1)] += 1

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        checker = bench.BenchChecker([])
        r = qemu.run_case(full, checker, timeout, Path(tmp) / "console.log")
        t.join(timeout=60)
        if not r.verdict.passed:
            raise SystemExit(f"profile: the boot failed: {r.verdict.reason}\n" + "\n".join(r.lines[-20:]))
        return collections.Counter({int(k, 16): v for k, v in counts.items()}), "\n".join(r.lines)


def annotate(elf: Path, addrs: list[int], names: list[str], per_pc: dict[int, int], ops: int,
             pattern: str) -> None:
    """Disassembles each kernel function matching `pattern` that ran, with
    instructions per operation at each instruction."""
    for i, name in enumerate(names):
        if not re.search(pattern, name):
            continue
        start, end = addrs[i], addrs[i + 1] if i + 1 < len(addrs) else addrs[i] + 4096
        if not any(start <= pc < end for pc in per_pc):
            continue
        dis = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", f"--start-address={start}",
                              f"--stop-address={end}", str(elf)], check=True, capture_output=True,
                             text=True).stdout
        print(f"\n== {name}")
        for line in dis.splitlines():
            m = re.match(r"^\s*([0-9a-f]+):\s*(.*)$", line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            n = per_pc.get(pc, 0)
            print(f"{n / ops:8.2f}  {pc:x}  {m.group(2)}" if n else f"{'':8}  {pc:x}  {m.group(2)}")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--only", default="channel_call")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--small", type=int, default=100, help="iterations of the first boot")
    ap.add_argument("--large", type=int, default=300, help="iterations of the second boot")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--annotate", default=None, metavar="REGEX",
                    help="print the disassembly of the kernel functions matching REGEX with "
                         "instructions per operation at each instruction")
    args = ap.parse_args(argv)

    runs = []
    for iters in (args.small, args.large):
        cmd = bench.mica_command(args.out, args.cache, args.smp,
                                 [f"iters={iters}", "runs=1", f"only={args.only}", "images=1"])
        counts, console = count_pcs(cmd, 3000)
        m = re.search(rf"bench: {args.only} (\d+)", console)
        runs.append((iters, counts, int(m.group(1)) if m else None, UserImages(args.out, console)))
    # Each boot runs a warm-up and one measured run.
    ops = operations(args.only, args.large) - operations(args.only, args.small)
    addrs, names = symbols(args.out / "kernel" / "mica.elf")
    # Named per boot (user images sit at different addresses in each), then
    # the difference per name.
    # Calls: how often a kernel function's first instruction ran.
    named: list[collections.Counter] = []
    entered: list[collections.Counter] = []
    for _, counts, _, images in runs:
        c: collections.Counter = collections.Counter()
        e: collections.Counter = collections.Counter()
        for pc, n in counts.items():
            if pc < (1 << 63):
                c[images.name(pc)] += n
                continue
            i = bisect.bisect_right(addrs, pc) - 1
            c[names[i] if i >= 0 else f"[kernel 0x{pc:x}]"] += n
            if i >= 0 and addrs[i] == pc:
                e[names[i]] += n
        named.append(c)
        entered.append(e)
    calls = {k: entered[1].get(k, 0) - entered[0].get(k, 0) for k in set(entered[0]) | set(entered[1])}
    per_fn: collections.Counter = collections.Counter()
    for name in set(named[0]) | set(named[1]):
        d = named[1].get(name, 0) - named[0].get(name, 0)
        if d != 0:
            per_fn[name] = d
    if args.annotate:
        # Kernel PCs only (their addresses are the same in both boots).
        per_pc: dict[int, int] = {}
        for pc in set(runs[0][1]) | set(runs[1][1]):
            if pc >= (1 << 63):
                d = runs[1][1].get(pc, 0) - runs[0][1].get(pc, 0)
                if d:
                    per_pc[pc] = d
        annotate(args.out / "kernel" / "mica.elf", addrs, names, per_pc, ops, args.annotate)
    total = sum(per_fn.values())
    print(f"profile: {args.only}, {args.smp} CPU(s): {total / ops:.0f} instructions per operation "
          f"(bench reported {runs[0][2]} and {runs[1][2]}); {ops} operations of difference")
    print(f"{'instructions/op':>15}  {'share':>6}  {'calls/op':>8}  function")
    for name, n in per_fn.most_common(args.top):
        c = f"{calls[name] / ops:8.1f}" if name in calls else f"{'':8}"
        print(f"{n / ops:15.1f}  {100 * n / total:5.1f}%  {c}  {name}")
    rest = total - sum(n for _, n in per_fn.most_common(args.top))
    if rest:
        print(f"{rest / ops:15.1f}  {100 * rest / total:5.1f}%  (everything else)")
    groups: collections.Counter = collections.Counter()
    members: dict[str, list[str]] = collections.defaultdict(list)
    for name, n in per_fn.items():
        label = next((g for g, rx in GROUPS if re.search(rx, name)), "other")
        groups[label] += n
        members[label].append(name)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "only": args.only, "smp": args.smp, "operations": ops,
            "per_op": {k: round(v / ops, 2) for k, v in per_fn.most_common()},
            "phases": {k: round(v / ops, 2) for k, v in groups.most_common()},
            "phase_members": members,
        }, indent=2) + "\n")
    print(f"\n{'instructions/op':>15}  {'share':>6}  phase")
    for label, n in groups.most_common():
        print(f"{n / ops:15.1f}  {100 * n / total:5.1f}%  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
