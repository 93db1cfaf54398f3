#!/usr/bin/env python3
"""Builds a bootfs image with mkbootfs (GN action of bootfs_image()).

Writes the list of NAME=PATH pairs to <output>.manifest (paths relative to
the build directory, which is the working directory of GN actions) and runs
`mkbootfs create --manifest <output>.manifest -o <output>`, then checks the
result with `mkbootfs verify`.
"""

import argparse
import os
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mkbootfs", required=True, help="path to the mkbootfs tool")
    parser.add_argument("--output", required=True, help="bootfs image to write")
    parser.add_argument("--index", help="name of an index file to add to the image")
    parser.add_argument("files", nargs="*", metavar="NAME=PATH")
    args = parser.parse_args()

    mkbootfs = os.path.abspath(args.mkbootfs)
    manifest = args.output + ".manifest"
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    lines = ["# bootfs manifest for %s, written by make_bootfs.py" % os.path.basename(args.output)]
    for spec in args.files:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            sys.exit("make_bootfs.py: expected NAME=PATH, got %r" % spec)
        # The manifest's relative paths are relative to its own directory.
        lines.append("%s=%s" % (name, os.path.abspath(path)))
    with open(manifest, "w") as f:
        f.write("\n".join(lines) + "\n")

    command = [mkbootfs, "create", "--manifest", manifest, "-o", args.output]
    if args.index:
        command += ["--index", args.index]
    subprocess.run(command, check=True)
    subprocess.run([mkbootfs, "verify", args.output], check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
