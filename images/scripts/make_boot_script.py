#!/usr/bin/env python3
"""Compiles a U-Boot script (.cmd) into boot.scr with mkimage.

`mkimage -A arm64 -O linux -T script -C none` wraps the text in a legacy
U-Boot image header that U-Boot's `source` command (run by distro boot)
accepts. SOURCE_DATE_EPOCH pins the header's timestamp so the output is
reproducible.
"""

import argparse
import os
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True, help="image name stored in the header")
    parser.add_argument("input", help="U-Boot script source (.cmd)")
    parser.add_argument("output", help="boot.scr to write")
    args = parser.parse_args()

    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    command = ["mkimage", "-A", "arm64", "-O", "linux", "-T", "script", "-C", "none",
               "-n", args.name, "-d", args.input, args.output]
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        sys.exit("make_boot_script.py: mkimage failed (is u-boot-tools installed? ./mica setup)")


if __name__ == "__main__":
    main()
