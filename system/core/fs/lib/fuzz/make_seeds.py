#!/usr/bin/env python3
"""Makes the FAT fuzzer's seed corpus: small real images made by mkfs.fat and
filled by mtools (a bare FAT12 volume with long names, a subdirectory and a
multi-cluster file, and the same behind an MBR)."""

import argparse
import os
import struct
import subprocess
import tempfile


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})


def make_fat12(path, kib):
    if os.path.exists(path):
        os.remove(path)
    run("mkfs.fat", "-C", "-F", "12", "-s", "1", "-n", "SEED", path, str(kib))
    with tempfile.TemporaryDirectory() as tmp:
        files = {
            "a.txt": b"hello\n",
            "A long file name.text": bytes(range(256)) * 6,
            "empty": b"",
        }
        run("mmd", "-i", path, "::/Sub Directory")
        for name, data in files.items():
            host = os.path.join(tmp, "f")
            with open(host, "wb") as f:
                f.write(data)
            run("mcopy", "-i", path, host, "::/" + name)
            run("mcopy", "-i", path, host, "::/Sub Directory/" + name)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bare = os.path.join(args.out, "fat12.img")
    make_fat12(bare, 64)
    # The same volume as partition 1 (type 0x01) of an MBR disk.
    with open(bare, "rb") as f:
        volume = f.read()
    start = 8  # sectors
    entry = struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x01, b"\0\0\0", start, len(volume) // 512)
    mbr = bytearray(512)
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    with open(os.path.join(args.out, "fat12_mbr.img"), "wb") as f:
        f.write(bytes(mbr) + bytes(512 * (start - 1)) + volume)


if __name__ == "__main__":
    main()
