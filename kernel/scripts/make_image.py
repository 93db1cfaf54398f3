#!/usr/bin/env python3
"""Turns the linked kernel ELF into the arm64 Image and checks the two-pass
link: every text symbol must have the same address in both links (the symbol
table is placed after code and data, so filling it in may only move BSS)."""
import struct
import subprocess
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from gen_ksyms import text_symbols  # noqa: E402


def main():
    nm, objcopy, pass1, final, image = sys.argv[1:6]
    a = text_symbols(nm, pass1)
    b = text_symbols(nm, final)
    if a != b:
        diff = [x for x, y in zip(a, b) if x != y][:5]
        sys.exit(f"make_image: text symbols moved between the two links: {diff}")
    subprocess.run([objcopy, "-O", "binary", final, image], check=True)
    with open(image, "rb") as f:
        hdr = f.read(64)
    if hdr[56:60] != b"ARM\x64":
        sys.exit("make_image: Image header magic missing")
    image_size = struct.unpack_from("<Q", hdr, 16)[0]
    if image_size == 0 or image_size % 4096:
        sys.exit(f"make_image: bad image_size {image_size:#x}")


if __name__ == "__main__":
    main()
