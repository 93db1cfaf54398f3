#!/usr/bin/env python3
"""Fails if the kernel-toolchain objects of the FDT parser need any symbol from
outside the library other than the ones the kernel itself provides for
compiler instrumentation (stack protector). This is what "links without libc"
means: no memcpy, memset, strlen, ... calls, explicit or compiler-generated.
"""

import argparse
import subprocess
import sys

ALLOWED = {"__stack_chk_fail", "__stack_chk_guard"}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nm", required=True)
    parser.add_argument("--stamp", required=True)
    parser.add_argument("objects", nargs="+")
    args = parser.parse_args()

    defined, undefined = set(), set()
    for obj in args.objects:
        out = subprocess.run([args.nm, "--format=just-symbols", "--defined-only", obj],
                             capture_output=True, text=True, check=True).stdout
        defined.update(out.split())
        out = subprocess.run([args.nm, "--format=just-symbols", "--undefined-only", obj],
                             capture_output=True, text=True, check=True).stdout
        undefined.update(out.split())
    missing = sorted(undefined - defined - ALLOWED)
    if missing:
        sys.exit("check_freestanding: the kernel build of //devicetree:fdt needs "
                 "symbols from outside the library: " + ", ".join(missing))
    with open(args.stamp, "w") as f:
        f.write("ok\n")


if __name__ == "__main__":
    main()
