#!/usr/bin/env python3
"""Checks that a linked Mica user program is what the loader accepts and what
the runtime promises (system/ulib/README.md), using llvm-readelf:

  - ELF64 AArch64, type DYN (a static position-independent executable)
  - no PT_INTERP, no DT_NEEDED, no text relocations (DT_TEXTREL or
    DF_TEXTREL), no PLT relocations (DT_JMPREL), no DT_RELR
  - dynamic relocations are R_AARCH64_RELATIVE only
  - no segment is both writable and executable (W^X)
  - a PT_GNU_STACK header is present and does not ask for an executable stack

Prints each violation and exits 1 if there are any. On success it writes
`--output` (the program stripped with llvm-objcopy --strip-all: what goes
into the bootfs) and/or the `--stamp` file. `--expect-failure REASON`
inverts the result for negative tests: the check must fail and one violation
must contain REASON; then only the stamp is written.
"""

import argparse
import re
import subprocess
import sys


def readelf(tool, binary, *args):
    result = subprocess.run([tool, "--wide", *args, binary], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("check_user_elf: %s failed on %s: %s" % (tool, binary, result.stderr.strip()))
    return result.stdout


def violations(tool, binary):
    found = []
    header = readelf(tool, binary, "--file-header")
    fields = dict(re.findall(r"^\s*([A-Za-z ]+):\s+(.*?)\s*$", header, re.M))
    if fields.get("Class") != "ELF64":
        found.append("not ELF64 (Class: %s)" % fields.get("Class"))
    if fields.get("Machine") != "AArch64":
        found.append("not AArch64 (Machine: %s)" % fields.get("Machine"))
    if not fields.get("Type", "").startswith("DYN"):
        found.append("not position independent: type %s, want DYN (link with -pie)"
                     % fields.get("Type"))

    # "  LOAD  0x001000 0x0000000000001000 0x0000000000001000 0x000a10 0x000a10 R E 0x1000"
    phdr_re = re.compile(r"^\s+([A-Z_]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+"
                         r"0x[0-9a-f]+\s+0x[0-9a-f]+\s+([RWE ]*?)\s*0x[0-9a-f]+$")
    stack_flags = None
    for line in readelf(tool, binary, "--program-headers").splitlines():
        m = phdr_re.match(line)
        if not m:
            continue
        ptype, vaddr, flags = m.group(1), m.group(2), m.group(3).replace(" ", "")
        if ptype == "INTERP":
            found.append("has an interpreter (PT_INTERP): link with --no-dynamic-linker")
        if ptype == "GNU_STACK":
            stack_flags = flags
        elif "W" in flags and "E" in flags:
            found.append("writable and executable segment: %s at 0x%s (%s)" % (ptype, vaddr,
                                                                               flags))
    if stack_flags is None:
        found.append("no PT_GNU_STACK: the stack would default to executable")
    elif "E" in stack_flags:
        found.append("executable stack: PT_GNU_STACK flags %s" % stack_flags)

    # "  0x000000000000001e (FLAGS)  TEXTREL BIND_NOW"
    dyn_re = re.compile(r"^\s+0x[0-9a-f]+\s+\((\w+)\)\s+(.*)$")
    for line in readelf(tool, binary, "--dynamic-table").splitlines():
        m = dyn_re.match(line)
        if not m:
            continue
        tag, value = m.group(1), m.group(2)
        if tag == "NEEDED":
            found.append("needs a shared library: %s" % value)
        elif tag == "TEXTREL" or (tag == "FLAGS" and "TEXTREL" in value.split()):
            found.append("text relocations (%s)" % tag)
        elif tag in ("JMPREL", "PLTRELSZ"):
            found.append("PLT relocations (DT_%s)" % tag)
        elif tag in ("RELR", "RELRSZ", "REL", "RELSZ"):
            found.append("relocation table the loader does not read (DT_%s)" % tag)

    # "0000000000003010  0000000000000403 R_AARCH64_RELATIVE  2a0"
    rel_re = re.compile(r"^([0-9a-f]{8,16})\s+[0-9a-f]{8,16}\s+(\S+)")
    for line in readelf(tool, binary, "--relocs").splitlines():
        m = rel_re.match(line)
        if m and m.group(2) != "R_AARCH64_RELATIVE":
            found.append("relocation %s at 0x%s (only R_AARCH64_RELATIVE is allowed)"
                         % (m.group(2), m.group(1)))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readelf", required=True)
    parser.add_argument("--objcopy")
    parser.add_argument("--output")
    parser.add_argument("--stamp")
    parser.add_argument("--expect-failure", metavar="REASON")
    parser.add_argument("binary")
    args = parser.parse_args()

    found = violations(args.readelf, args.binary)
    if args.expect_failure is not None:
        if not any(args.expect_failure in v for v in found):
            print("check_user_elf: %s: expected a violation mentioning %r, found %s"
                  % (args.binary, args.expect_failure, found or "none"), file=sys.stderr)
            return 1
    elif found:
        for v in found:
            print("check_user_elf: %s: %s" % (args.binary, v), file=sys.stderr)
        return 1
    if args.output and args.expect_failure is None:
        if not args.objcopy:
            parser.error("--output needs --objcopy")
        result = subprocess.run([args.objcopy, "--strip-all", args.binary, args.output],
                                capture_output=True, text=True)
        if result.returncode != 0:
            print("check_user_elf: %s failed: %s" % (args.objcopy, result.stderr.strip()),
                  file=sys.stderr)
            return 1
    if args.stamp:
        with open(args.stamp, "w") as f:
            f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
