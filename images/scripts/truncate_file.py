#!/usr/bin/env python3
"""Copies the first `--bytes` bytes of a file (docs/bootfs.md, "Contents"):
test/truncated-elf, a user program cut short, for userboot's error path."""

import argparse


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bytes", type=int, required=True)
    parser.add_argument("input")
    parser.add_argument("output")
    args = parser.parse_args()
    with open(args.input, "rb") as f:
        data = f.read(args.bytes)
    if len(data) < args.bytes:
        parser.error(f"{args.input} has fewer than {args.bytes} bytes")
    with open(args.output, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
