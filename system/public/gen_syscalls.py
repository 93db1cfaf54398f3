#!/usr/bin/env python3
"""Generates everything derived from system/public/syscalls.mica.

The definition file is the single source of the syscall ABI (DESIGN.md §4).
From it this script writes, into --out-dir:

  mica/syscalls.h           C prototypes with their documentation, MICA_SYS_*
  syscall_stubs.S           AArch64 user-space stubs, one section per call
  kernel/syscall_decls.h    the kernel's `mica::Status sys_<name>(...)` declarations
  kernel/syscall_table.inc  the kernel's syscall table entries with argument checks and
                            the one translation of mica::Status to the ABI's status
  test/syscall_recorder.inc sys_* definitions that record their arguments,
                            for the host test of the dispatch switch
  mica/syscall_shapes.h     every call's argument shapes, for the syscall fuzzer
  syscalls.md               the reference (committed as docs/syscalls.md)

`--write-docs PATH` writes only the reference to PATH (to refresh the
committed copy). Any malformed definition is an error: the script prints
`file:line: message` and exits with status 1, which fails the build.

Python 3 standard library only. The grammar is described at the top of
syscalls.mica. This file is the entry point; the parser and the emitters
are the modules of syscallgen/ (listed in its __init__.py).
"""

import argparse
import os
import sys

# The modules live in syscallgen/ beside this script; keep the source tree
# free of bytecode caches.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from syscallgen.emit_docs import gen_markdown  # noqa: E402
from syscallgen.emit_kernel import (gen_fuzz_shapes, gen_kernel_decls, gen_kernel_table,  # noqa: E402
                                    gen_recorder)
from syscallgen.emit_user import gen_c_header, gen_stubs  # noqa: E402
from syscallgen.parse import (DefinitionError, parse_constants, parse_definitions,  # noqa: E402
                              status_values, typedef_names)


def write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--defs", default=os.path.join(here, "syscalls.mica"))
    ap.add_argument("--status-h", default=os.path.join(here, "mica", "status.h"))
    ap.add_argument("--types-h", default=os.path.join(here, "mica", "types.h"))
    ap.add_argument("--out-dir", help="write every generated file here")
    ap.add_argument("--write-docs", help="write only the markdown reference to this path")
    args = ap.parse_args(argv)
    if not args.out_dir and not args.write_docs:
        ap.error("give --out-dir and/or --write-docs")
    statuses = status_values(args.status_h)
    if "MICA_OK" not in statuses or "MICA_ERR_INVALID_ARGS" not in statuses:
        print(f"{args.status_h}: no status codes found", file=sys.stderr)
        return 1
    rights = [n[len("MICA_RIGHT_"):] for n, _, _ in parse_constants(args.types_h, "MICA_RIGHT_")]
    rights = [r for r in rights if r not in ("NONE", "SAME_RIGHTS")]
    try:
        defs = parse_definitions(args.defs, statuses, rights, typedef_names(args.types_h))
    except DefinitionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    md = gen_markdown(defs, statuses, args.types_h)
    if args.out_dir:
        d = args.out_dir
        write(os.path.join(d, "mica", "syscalls.h"), gen_c_header(defs, statuses))
        write(os.path.join(d, "syscall_stubs.S"), gen_stubs(defs))
        write(os.path.join(d, "kernel", "syscall_decls.h"), gen_kernel_decls(defs))
        write(os.path.join(d, "kernel", "syscall_table.inc"), gen_kernel_table(defs))
        write(os.path.join(d, "test", "syscall_recorder.inc"), gen_recorder(defs))
        write(os.path.join(d, "mica", "syscall_shapes.h"), gen_fuzz_shapes(defs))
        write(os.path.join(d, "syscalls.md"), md)
    if args.write_docs:
        write(args.write_docs, md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
