#!/usr/bin/env python3
"""Fails if the kernel-toolchain objects of a library (`--library`, its GN
label, for the message) need any symbol from outside the library other than
the stack protector's, which the kernel provides. This is what "links
without libc" means: no memcpy, memset, strlen, ... calls, explicit or
compiler-generated. One script for every such library (//devicetree:fdt,
//system/ulib/elf)."""

import argparse
import subprocess
import sys

ALLOWED = {"__stack_chk_fail", "__stack_chk_guard"}


def symbols(nm, obj, which):
    out = subprocess.run([nm, "--format=just-symbols", which, obj], capture_output=True,
                         text=True, check=True).stdout
    return set(out.split())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nm", required=True)
    parser.add_argument("--library", required=True)
    parser.add_argument("--stamp", required=True)
    parser.add_argument("objects", nargs="+")
    args = parser.parse_args()
    defined, undefined = set(), set()
    for obj in args.objects:
        defined |= symbols(args.nm, obj, "--defined-only")
        undefined |= symbols(args.nm, obj, "--undefined-only")
    missing = sorted(undefined - defined - ALLOWED)
    if missing:
        sys.exit(f"check_freestanding: the kernel build of {args.library} needs symbols "
                 "from outside the library: " + ", ".join(missing))
    with open(args.stamp, "w") as f:
        f.write("ok\n")


if __name__ == "__main__":
    main()
