#!/usr/bin/env python3
"""Generates the kernel's symbol table (.ksyms) for backtraces.

Reads `llvm-nm` of the first-pass kernel ELF and writes an assembly file with
a sorted table of text symbols: a u64 count, then per symbol {u64 address,
u32 name offset, u32 size}, then the NUL-terminated names. Layout matches
struct KsymHeader/Ksym in kernel/top/symbols.cc.
"""
import subprocess
import sys


def text_symbols(nm, elf):
    out = subprocess.run([nm, "-n", "-S", "--defined-only", elf], check=True,
                         capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            addr, size, kind, name = parts
        elif len(parts) == 3:
            addr, kind, name = parts
            size = "0"
        else:
            continue
        if kind not in "tTwW":
            continue
        if name.startswith("$") or name.startswith(".L"):
            continue
        a = int(addr, 16)
        if a < 0xffffffffc0000000:
            continue
        syms.setdefault(a, (name, int(size, 16)))
    return sorted((a, n, s) for a, (n, s) in syms.items())


def demangle(names, cxxfilt):
    """C++ names as a kernel hacker reads them (llvm-cxxfilt)."""
    out = subprocess.run([cxxfilt], input="\n".join(names), check=True, capture_output=True,
                         text=True).stdout.splitlines()
    return out if len(out) == len(names) else names


def main():
    nm, elf, out = sys.argv[1:4]
    syms = text_symbols(nm, elf)
    cxxfilt = nm.rsplit("/", 1)[0] + "/llvm-cxxfilt"
    pretty = demangle([n for _, n, _ in syms], cxxfilt)
    syms = [(a, p, s) for (a, _, s), p in zip(syms, pretty)]
    lines = ['.section .ksyms, "a"', ".balign 8", f".quad {len(syms)}"]
    names = bytearray()
    for addr, name, size in syms:
        lines.append(f".quad 0x{addr:x}")
        lines.append(f".long {len(names)}, {size}")
        names += name.encode() + b"\0"
    lines.append("ksyms_names:")
    for i in range(0, len(names), 64):
        chunk = names[i:i + 64]
        lines.append(".byte " + ",".join(str(b) for b in chunk))
    lines.append(".balign 8")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
