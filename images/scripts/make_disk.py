#!/usr/bin/env python3
"""Builds a raw disk image: an MBR with one bootable FAT32 partition.

The partition starts at 1 MiB (sector 2048) and fills the rest of the disk;
its type is 0x0c (FAT32, LBA). The FAT file system is made in a separate
file with mtools (mformat, mcopy: no loop device, no root), then copied into
place; sfdisk writes the partition table into the image file. The disk is
at least --min-size MiB; with --power-of-two its size is a power of two,
which QEMU requires of SD card images.

SOURCE_DATE_EPOCH pins the file timestamps and a fixed volume serial number
is used, so equal inputs give an identical image.
"""

import argparse
import os
import shutil
import subprocess
import sys

MIB = 1 << 20
SECTOR = 512
PARTITION_START = 1 * MIB
# A FAT32 file system needs at least 65525 clusters; with 512-byte clusters
# that is about 32 MiB, so the partition is never made smaller than this.
MIN_FAT32_PARTITION = 40 * MIB
VOLUME_SERIAL = "4d494341"  # "MICA"


def run(command, **kwargs):
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", MTOOLS_SKIP_CHECK="1")
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **kwargs)
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        sys.exit("make_disk.py: command failed: %s" % " ".join(command))
    return result.stdout


def disk_size(payload, min_size, power_of_two):
    # Room for the FATs, directories and cluster rounding: an eighth of the
    # payload plus 4 MiB is far more than FAT32 needs at these sizes.
    needed = max(PARTITION_START + payload + payload // 8 + 4 * MIB, min_size,
                 PARTITION_START + MIN_FAT32_PARTITION)
    if power_of_two:
        size = MIB
        while size < needed:
            size *= 2
        return size
    return (needed + MIB - 1) // MIB * MIB


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", required=True)
    parser.add_argument("--label", default="MICA", help="FAT volume label (up to 11 chars)")
    parser.add_argument("--min-size", type=int, default=64, help="minimum disk size in MiB")
    parser.add_argument("--power-of-two", action="store_true")
    parser.add_argument("files", nargs="+", metavar="NAME=PATH",
                        help="file to put at NAME in the root of the FAT partition")
    args = parser.parse_args()

    files = []
    for spec in args.files:
        name, sep, path = spec.partition("=")
        if not sep or not name or "/" in name or not path:
            sys.exit("make_disk.py: expected NAME=PATH with a plain NAME, got %r" % spec)
        files.append((name, path))
    payload = sum((os.path.getsize(path) + 4095) // 4096 * 4096 for _, path in files)
    size = disk_size(payload, args.min_size * MIB, args.power_of_two)
    partition_size = size - PARTITION_START

    work = args.output + ".tmp.d"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fat = os.path.join(work, "fat.img")
    disk = os.path.join(work, "disk.img")

    # The FAT32 file system. -T: total sectors; -h/-s: the usual LBA
    # geometry (255 heads, 63 sectors); -H: hidden sectors = the partition's
    # first LBA, as the BIOS parameter block of a partition must record.
    with open(fat, "wb") as f:
        f.truncate(partition_size)
    run(["mformat", "-i", fat, "-F", "-T", str(partition_size // SECTOR), "-h", "255", "-s", "63",
         "-H", str(PARTITION_START // SECTOR), "-N", VOLUME_SERIAL, "-v", args.label, "::"])
    for name, path in files:
        run(["mcopy", "-i", fat, "-o", path, "::/" + name])

    # The MBR: label-id pins the disk signature for reproducibility.
    with open(disk, "wb") as f:
        f.truncate(size)
    table = ("label: dos\nlabel-id: 0x%s\nunit: sectors\n"
             "start=%d, size=%d, type=c, bootable\n" %
             (VOLUME_SERIAL, PARTITION_START // SECTOR, partition_size // SECTOR))
    run(["sfdisk", "--no-reread", "--no-tell-kernel", "--quiet", disk], input=table)

    # Copy the file system into the partition, skipping all-zero blocks so
    # the disk image stays sparse.
    block = MIB
    with open(fat, "rb") as source, open(disk, "r+b") as target:
        offset = 0
        zero = bytes(block)
        while True:
            data = source.read(block)
            if not data:
                break
            if data != zero[:len(data)]:
                target.seek(PARTITION_START + offset)
                target.write(data)
            offset += len(data)

    # Read the finished disk back through its partition table's offset.
    listing = run(["mdir", "-b", "-i", "%s@@%d" % (disk, PARTITION_START), "::"])
    found = {line.strip().rsplit("/", 1)[-1] for line in listing.splitlines() if line.strip()}
    missing = {name for name, _ in files} - found
    if missing:
        sys.exit("make_disk.py: %s lacks %s after mcopy" % (args.output, ", ".join(sorted(missing))))

    os.replace(disk, args.output)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
