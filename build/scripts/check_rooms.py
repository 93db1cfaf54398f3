#!/usr/bin/env python3
"""Fails if a kernel file includes a header from a room above its own.

The kernel's rooms (docs/kernel.md, "Layout"), highest first:

  top > tests > user > syscalls > object > sched > arch > base > cpu
      > platform > dev > vm, object/core > lib

where cpu is the CPU primitives, kernel/arch/arm64/arch.h and include_asm.h
(inline assembly and constants only), which every room needs.

A file may include headers of its own room and of any lower room, never of a
higher one (and never of another room at the same level: vm and object/core
are both pure, host-tested libraries that know nothing of each other). Where
a lower room must call up (the exception vectors into the scheduler, an
allocation into the current thread's job account), the lower room declares
the function or the type it needs and the higher room defines it; see
kernel/arch/arm64/upcalls.h and kernel/base/thread_base.h.

Run by the build (//kernel:check_rooms) with a depfile naming every file and
directory it read, so it runs again whenever one changes or a file is added.
"""

import argparse
import os
import re
import sys

# Longest prefix wins. Ranks: a file may include its own room or any room of
# strictly lower rank.
ROOMS = [
    ("kernel/top/", "top", 12),
    ("kernel/tests/", "tests", 11),
    ("kernel/user/", "user", 10),
    ("kernel/syscalls/", "syscalls", 9),
    ("kernel/syscall_decls.h", "syscalls", 9),  # generated
    ("kernel/syscall_table.inc", "syscalls", 9),  # generated
    ("kernel/object/core/", "object/core", 1),
    ("kernel/object/", "object", 8),
    ("kernel/sched/", "sched", 7),
    ("kernel/arch/", "arch", 6),
    ("kernel/base/", "base", 5),
    # The CPU primitives: inline assembly and constants, including nothing
    # of the kernel's, used by every room from base up.
    ("kernel/arch/arm64/arch.h", "cpu", 4),
    ("kernel/arch/arm64/include_asm.h", "cpu", 4),
    ("kernel/platform/", "platform", 3),
    ("kernel/dev/", "dev", 2),
    ("kernel/vm/", "vm", 1),
    ("kernel/lib/", "lib", 0),
    ("kernel/include/", "lib", 0),
]

INCLUDE = re.compile(r'^\s*#\s*include\s+"(kernel/[^"]+)"')
SUFFIXES = (".h", ".cc", ".c", ".S", ".inc")


def room_of(path):
    best = None
    for prefix, name, rank in ROOMS:
        if path.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, name, rank)
    return best


def check(root):
    """Returns (violations, files and directories read)."""
    violations, read = [], []
    kernel = os.path.join(root, "kernel")
    for dirpath, dirnames, filenames in os.walk(kernel):
        dirnames.sort()
        read.append(dirpath)
        for filename in sorted(filenames):
            if not filename.endswith(SUFFIXES):
                continue
            full = os.path.join(dirpath, filename)
            rel = os.path.relpath(full, root)
            read.append(full)
            mine = room_of(rel)
            if mine is None:
                violations.append(f"{rel}: in no room (add it to ROOMS in {__file__})")
                continue
            with open(full, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    match = INCLUDE.match(line)
                    if not match:
                        continue
                    target = room_of(match.group(1))
                    if target is None:
                        violations.append(f"{rel}:{number}: includes {match.group(1)}, "
                                          "which is in no room")
                    elif target[1] != mine[1] and target[2] >= mine[2]:
                        violations.append(
                            f"{rel}:{number}: room {mine[1]} includes {match.group(1)} "
                            f"from room {target[1]}, which is not below it")
    return violations, read


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True, help="the source tree's root")
    parser.add_argument("--stamp", help="file to write on success")
    parser.add_argument("--depfile", help="depfile to write (with --stamp)")
    args = parser.parse_args()
    violations, read = check(args.root)
    if violations:
        sys.exit("check_rooms: includes run upwards (docs/kernel.md, \"Layout\"):\n  " +
                 "\n  ".join(violations))
    if args.stamp:
        with open(args.stamp, "w") as f:
            f.write("ok\n")
        if args.depfile:
            with open(args.depfile, "w") as f:
                deps = " ".join(os.path.abspath(p).replace(" ", "\\ ") for p in read)
                f.write(f"{args.stamp}: {deps}\n")


if __name__ == "__main__":
    main()
