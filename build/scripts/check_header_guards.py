#!/usr/bin/env python3
"""Fails unless every C/C++ header (*.h) of the source tree has `#pragma once`
as its first preprocessor directive: the project's one header-guard style
(clang and gcc both support it; no tool that reads Mica's headers needs
#ifndef guards). Run at build time by //:header_guard_check, so `./mica
build` and `./mica test` fail on a header with any other guard. The depfile
names every header and every directory scanned, so editing a header or
adding one reruns the check.

Not checked: the build directory (generated headers), dot directories
(.git, .cache) and symlinks."""

import argparse
import os
import re
import sys

DIRECTIVE = re.compile(r"^\s*#\s*(\w+)")


def first_directive(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = DIRECTIVE.match(line)
            if m:
                return line.strip()
    return ""


def headers(root, skip):
    """(headers, directories) under root, in a stable order."""
    found, dirs = [], []
    for top, subdirs, files in os.walk(root):
        subdirs[:] = sorted(
            d for d in subdirs
            if not d.startswith(".") and not os.path.islink(os.path.join(top, d))
            and os.path.realpath(os.path.join(top, d)) not in skip
        )
        dirs.append(top)
        found += [os.path.join(top, f) for f in sorted(files) if f.endswith(".h")]
    return found, dirs


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="the source tree")
    parser.add_argument("--stamp", required=True)
    parser.add_argument("--depfile", required=True)
    args = parser.parse_args()
    skip = {os.path.realpath(os.getcwd())}  # the build directory
    found, dirs = headers(args.root, skip)
    bad = [h for h in found if not re.fullmatch(r"#\s*pragma\s+once", first_directive(h))]
    if bad:
        sys.exit("check_header_guards: these headers do not start with `#pragma once` "
                 "(the project's one header guard style):\n  "
                 + "\n  ".join(os.path.relpath(h, args.root) for h in bad))
    with open(args.stamp, "w") as f:
        f.write(f"{len(found)} headers\n")
    with open(args.depfile, "w") as f:
        f.write(args.stamp + ": " + " ".join(p.replace(" ", "\\ ") for p in found + dirs) + "\n")


if __name__ == "__main__":
    main()
