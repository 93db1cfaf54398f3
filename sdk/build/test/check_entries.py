#!/usr/bin/env python3
"""Checks the bootfs entries mica_driver()/mica_driver_manifest() publish:
exactly the expected bootfs paths, each naming an existing file of the
right kind (ELF binary, "MDRV" manifest). Writes the stamp on success."""

import sys
from pathlib import Path

EXPECTED = {
    "bin/example-driver": b"\x7fELF",
    "drivers/example-driver.manifest": b"MDRV",
    "drivers/example-variant.manifest": b"MDRV",
}


def main(listing: str, stamp: str) -> int:
    entries = {}
    for line in Path(listing).read_text().splitlines():
        dest, _, src = line.partition("=")
        entries[dest] = src
    if set(entries) != set(EXPECTED):
        print(f"{listing}: entries {sorted(entries)}, expected {sorted(EXPECTED)}", file=sys.stderr)
        return 1
    for dest, magic in EXPECTED.items():
        data = Path(entries[dest]).read_bytes()[:4]
        if data != magic:
            print(f"{dest}={entries[dest]}: starts with {data!r}, expected {magic!r}", file=sys.stderr)
            return 1
    Path(stamp).write_text("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
