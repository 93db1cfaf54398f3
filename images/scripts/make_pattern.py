#!/usr/bin/env python3
"""Writes the bootfs test pattern file (docs/bootfs.md, "Contents").

Byte i of the file is (i * 31 + 7) mod 256 and the file is `--size` bytes
long (default 10000: two full pages and part of a third), so a reader can
check every byte and the page alignment of whatever follows it.
"""

import argparse


def pattern(size):
    return bytes((i * 31 + 7) & 0xFF for i in range(size))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("output")
    args = parser.parse_args()
    with open(args.output, "wb") as f:
        f.write(pattern(args.size))


if __name__ == "__main__":
    main()
