#!/usr/bin/env python3
"""Turns llvm-readelf's view of an ELF file into simple lines that the ELF
library's host test compares its load plan with (llvm-readelf is the oracle):

  type DYN|EXEC                     e_type
  entry <hex>                       e_entry
  phdr <type> <off> <vaddr> <filesz> <memsz> <flags> <align>
                                    every program header, flags as RWE letters
  dyn <tag> <hex>                   every dynamic entry (tag name without DT_)
  reloc <offset> <type> <addend>    every dynamic relocation
  sym <name> <hex>                  every named symbol of .symtab

Numbers are hexadecimal without 0x; '-' stands for empty flags.
"""

import argparse
import re
import subprocess
import sys


def run(readelf, *args):
    return subprocess.run([readelf, "--wide", *args], capture_output=True, text=True,
                          check=True).stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readelf", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("binary")
    args = parser.parse_args()

    lines = []
    header = run(args.readelf, "--file-header", args.binary)
    m = re.search(r"^\s*Type:\s+(\w+)", header, re.M)
    lines.append("type " + m.group(1))
    m = re.search(r"^\s*Entry point address:\s+0x([0-9a-f]+)", header, re.M)
    lines.append("entry " + m.group(1))

    # "  LOAD  0x000000 0x0000000000000000 0x0000000000000000 0x000366 0x000366 R E 0x1000"
    phdr_re = re.compile(r"^\s+([A-Z_]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+"
                         r"0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([RWE ]*?)\s*0x([0-9a-f]+)$")
    for line in run(args.readelf, "--program-headers", args.binary).splitlines():
        m = phdr_re.match(line)
        if m:
            flags = m.group(6).replace(" ", "") or "-"
            lines.append("phdr %s %s %s %s %s %s %s" % (m.group(1), m.group(2), m.group(3),
                                                         m.group(4), m.group(5), flags, m.group(7)))

    # "  0x0000000000000007 (RELA)      0x280" / "... (RELASZ)    216 (bytes)"
    dyn_re = re.compile(r"^\s+0x[0-9a-f]+\s+\((\w+)\)\s+(\S+)")
    for line in run(args.readelf, "--dynamic-table", args.binary).splitlines():
        m = dyn_re.match(line)
        if m:
            value = m.group(2)
            if m.group(1) == "FLAGS_1":
                continue  # printed as flag names, not a number
            number = int(value, 16) if value.startswith("0x") else int(value)
            lines.append("dyn %s %x" % (m.group(1), number))

    # "0000000000002008  0000000000000403 R_AARCH64_RELATIVE                30f0"
    rel_re = re.compile(r"^([0-9a-f]{16})\s+[0-9a-f]{16}\s+(R_AARCH64_\w+)\s+([0-9a-f]+)?\s*$")
    for line in run(args.readelf, "--relocs", args.binary).splitlines():
        m = rel_re.match(line)
        if m:
            lines.append("reloc %x %s %s" % (int(m.group(1), 16), m.group(2), m.group(3) or "0"))

    # "    22: 00000000000030f0    16 OBJECT  GLOBAL DEFAULT    13 table"
    sym_re = re.compile(r"^\s+\d+:\s+([0-9a-f]{16})\s+\d+\s+\w+\s+\w+\s+\w+\s+\S+\s+(\w+)$")
    for line in run(args.readelf, "--syms", args.binary).splitlines():
        m = sym_re.match(line)
        if m and not m.group(2).startswith("$"):
            lines.append("sym %s %x" % (m.group(2), int(m.group(1), 16)))

    if not any(l.startswith("phdr LOAD") for l in lines):
        sys.exit("readelf_expect: no PT_LOAD found in %s" % args.binary)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
