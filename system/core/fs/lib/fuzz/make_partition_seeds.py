#!/usr/bin/env python3
"""Makes the partition fuzzer's seed corpus: small disks partitioned by sfdisk
(an MBR with two primaries and an extended partition holding two logical
partitions; a GPT with an EFI System, a basic data and a Linux partition),
their FAT partitions made by mkfs.fat, and a bare FAT12 volume."""

import argparse
import os
import subprocess

MBR = """label: dos
start=1, size=100, type=1
start=110, size=300, type=5
start=411, size=8, type=83
start=112, size=100, type=6
start=214, size=100, type=e
"""

GPT = """label: gpt
first-lba: 34
start=34, size=100, type=U
size=80, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
size=8, type=L
"""


def run(*cmd, stdin=None):
    subprocess.run(cmd, check=True, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})


def disk(path, kib, script, volumes):
    """A `kib` KiB disk partitioned by `script`, with FAT12 at each
    (start sector, KiB) of `volumes`."""
    if os.path.exists(path):
        os.remove(path)
    with open(path, "wb") as f:
        f.truncate(kib * 1024)
    run("sfdisk", "-q", path, stdin=script.encode())
    for start, size in volumes:
        run("mkfs.fat", "--offset", str(start), "-F", "12", path, str(size))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    disk(os.path.join(args.out, "mbr.img"), 256, MBR, [(1, 50), (112, 50)])
    disk(os.path.join(args.out, "gpt.img"), 160, GPT, [(34, 50)])
    bare = os.path.join(args.out, "bare.img")
    if os.path.exists(bare):
        os.remove(bare)
    run("mkfs.fat", "-C", "-F", "12", bare, "64")


if __name__ == "__main__":
    main()
