"""An independent reader of binary component manifests ("MCM1"), written
from the layout in docs/components.md and sharing no code with cmc.py. It
applies every rejection rule of the format, so the tests can check that the
compiler never writes a file a reader would refuse, and that corrupted
files are refused.

    read(data) -> Decoded       raises Reject(reason) on any violation
    validate(decoded)           raises Reject for what a reader may assume
                                of compiler output beyond the wire rules
                                (names, paths, source kinds per record)
    python3 mcm_reader.py FILE...   reads and validates each file, prints a
                                summary line per file, exit 1 on a reject
    python3 mcm_reader.py --entries LIST --expect N --stamp FILE
                                the same for the files of a bootfs entry
                                list ("meta/<name>.cm=<path>" lines, as
                                component_manifest() publishes them): there
                                must be N, all meta/*.cm; writes FILE if so
"""

from __future__ import annotations

import re
import struct
import sys

MAGIC = b"MCM1"
VERSION = 1
HEADER = 12
KINDS = {1: "program", 2: "child", 3: "collection", 4: "capability", 5: "use", 6: "offer", 7: "expose"}
MAX_PER_KIND = 64
CAP = {1: "protocol", 2: "directory"}
REF = {1: "parent", 2: "self", 3: "child", 4: "framework"}
STARTUP = {0: "lazy", 1: "eager"}
ON_TERMINATE = {0: "restart", 1: "ignore", 2: "reboot"}
# The source kinds each record may hold.
USE_FROM = (1, 4)
OFFER_FROM = (1, 2, 3)
EXPOSE_FROM = (2, 3)


class Reject(Exception):
    pass


class Cursor:
    def __init__(self, payload: bytes, what: str):
        self.b, self.i, self.what = payload, 0, what

    def take(self, n: int) -> bytes:
        if self.i + n > len(self.b):
            raise Reject(f"{self.what}: field runs past the record")
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack("<H", self.take(2))[0]

    def str(self, limit: int = 255) -> str:
        n = self.u16()
        if n > limit:
            raise Reject(f"{self.what}: string of {n} bytes over the limit {limit}")
        raw = self.take(n)
        try:
            s = raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise Reject(f"{self.what}: string not UTF-8") from None
        if "\0" in s:
            raise Reject(f"{self.what}: NUL in a string")
        return s

    def enum(self, table, what: str) -> int:
        v = self.u8()
        if v not in table:
            raise Reject(f"{self.what}: unknown {what} {v}")
        return v

    def end(self) -> None:
        if self.i != len(self.b):
            raise Reject(f"{self.what}: {len(self.b) - self.i} trailing bytes in the record")


class Decoded:
    def __init__(self):
        self.program = None  # (binary, [args])
        self.children = []  # (name, manifest, startup, on_terminate)
        self.collections = []  # (name, on_terminate)
        self.capabilities = []  # (cap_kind, name)
        self.uses = []  # (cap_kind, name, from_kind, from_name, path)
        self.offers = []  # (cap_kind, name, from_kind, from_name, to, as)
        self.exposes = []  # (cap_kind, name, from_kind, from_name, as)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("program", "children", "collections", "capabilities",
                                              "uses", "offers", "exposes")}


def read(data: bytes) -> Decoded:
    if len(data) < HEADER:
        raise Reject("shorter than the header")
    if data[:4] != MAGIC:
        raise Reject("bad magic")
    version, count, total = struct.unpack_from("<HHI", data, 4)
    if version != VERSION:
        raise Reject(f"bad version {version}")
    if total != len(data):
        raise Reject(f"total_size {total} but the file has {len(data)} bytes")
    d = Decoded()
    off, last_kind = HEADER, 0
    per_kind: dict[int, int] = {}
    for index in range(count):
        if off + 4 > total:
            raise Reject(f"record {index} runs past the end")
        kind, plen = struct.unpack_from("<HH", data, off)
        if kind not in KINDS:
            raise Reject(f"record {index}: unknown kind {kind}")
        if kind < last_kind:
            raise Reject(f"record {index}: kind {kind} after kind {last_kind} (out of order)")
        per_kind[kind] = per_kind.get(kind, 0) + 1
        if kind == 1 and per_kind[kind] > 1:
            raise Reject("more than one program record")
        if per_kind[kind] > MAX_PER_KIND:
            raise Reject(f"more than {MAX_PER_KIND} {KINDS[kind]} records")
        last_kind = kind
        end = off + 4 + plen
        padded = (end + 3) & ~3
        if padded > total:
            raise Reject(f"record {index} runs past the end")
        if any(data[end:padded]):
            raise Reject(f"record {index}: padding is not zero")
        c = Cursor(data[off + 4:end], f"record {index} ({KINDS[kind]})")
        if kind == 1:
            binary = c.str()
            args = [c.str() for _ in range(c.u16())]
            d.program = (binary, args)
        elif kind == 2:
            d.children.append((c.str(), c.str(), c.enum(STARTUP, "startup"), c.enum(ON_TERMINATE, "on_terminate")))
        elif kind == 3:
            d.collections.append((c.str(), c.enum(ON_TERMINATE, "on_terminate")))
        elif kind == 4:
            d.capabilities.append((c.enum(CAP, "capability kind"), c.str()))
        elif kind == 5:
            d.uses.append((c.enum(CAP, "capability kind"), c.str(), c.enum(USE_FROM, "source kind"), c.str(), c.str()))
        elif kind == 6:
            d.offers.append((c.enum(CAP, "capability kind"), c.str(), c.enum(OFFER_FROM, "source kind"), c.str(),
                             c.str(), c.str()))
        else:
            d.exposes.append((c.enum(CAP, "capability kind"), c.str(), c.enum(EXPOSE_FROM, "source kind"), c.str(),
                              c.str()))
        c.end()
        off = padded
    if off != total:
        raise Reject(f"{total - off} trailing bytes after the last record")
    return d


NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}\Z")
CHILD = re.compile(r"[a-z0-9_-]{1,32}\Z")
BOOTFS = re.compile(r"(?!/)(?:[A-Za-z0-9._-]+/)*[A-Za-z0-9._-]+\Z")
NSPATH = re.compile(r"(?:/[A-Za-z0-9._-]+)+\Z")


def validate(d: Decoded) -> None:
    """What compiler output also guarantees (not part of the wire rules)."""
    def bootfs(p: str) -> bool:
        return bool(BOOTFS.match(p)) and len(p) <= 103 and all(c not in (".", "..") for c in p.split("/"))

    def ref_ok(kind: int, name: str) -> bool:
        return bool(CHILD.match(name)) if kind == 3 else name == ""

    if d.program is not None and (not bootfs(d.program[0]) or len(d.program[1]) > 64):
        raise Reject(f"program binary {d.program[0]!r}, {len(d.program[1])} arguments (at most 64)")
    names = set()
    for name, manifest, _, _ in d.children:
        if not CHILD.match(name) or name in names or not bootfs(manifest) or not manifest.endswith(".cm"):
            raise Reject(f"child {name!r} {manifest!r}")
        names.add(name)
    for name, _ in d.collections:
        if not CHILD.match(name) or name in names:
            raise Reject(f"collection {name!r}")
        names.add(name)
    for _, name in d.capabilities:
        if not NAME.match(name):
            raise Reject(f"capability {name!r}")
    for _, name, fk, fname, path in d.uses:
        if not NAME.match(name) or not ref_ok(fk, fname) or not NSPATH.match(path) \
                or any(c in (".", "..") for c in path.split("/")):
            raise Reject(f"use {name!r}")
    children = {c[0] for c in d.children}
    for _, name, fk, fname, to, target in d.offers:
        if not NAME.match(name) or not NAME.match(target) or not ref_ok(fk, fname) or to not in names:
            raise Reject(f"offer {name!r}")
        if fk == 3 and fname not in children:
            raise Reject(f"offer {name!r} from a missing child")
    for _, name, fk, fname, target in d.exposes:
        if not NAME.match(name) or not NAME.match(target) or not ref_ok(fk, fname):
            raise Reject(f"expose {name!r}")
        if fk == 3 and fname not in children:
            raise Reject(f"expose {name!r} from a missing child")


def main(paths: list[str], quiet: bool = False) -> int:
    status = 0
    for p in paths:
        try:
            with open(p, "rb") as f:
                d = read(f.read())
            validate(d)
        except (OSError, Reject) as e:
            print(f"{p}: rejected: {e}", file=sys.stderr)
            status = 1
            continue
        if not quiet:
            print(f"{p}: ok: program={d.program is not None} children={len(d.children)} "
                  f"collections={len(d.collections)} capabilities={len(d.capabilities)} uses={len(d.uses)} "
                  f"offers={len(d.offers)} exposes={len(d.exposes)}")
    return status


def check_entries(listing: str, expect: int, stamp: str) -> int:
    with open(listing, encoding="utf-8") as f:
        entries = [ln.strip().partition("=") for ln in f if ln.strip()]
    bad = [e[0] for e in entries if not (e[0].startswith("meta/") and e[0].endswith(".cm") and e[2])]
    if bad or len(entries) != expect:
        print(f"{listing}: {len(entries)} entries (expected {expect}); malformed: {bad}", file=sys.stderr)
        return 1
    status = main([e[2] for e in entries], quiet=True)
    if status == 0:
        with open(stamp, "w") as f:
            f.write("ok\n")
    return status


if __name__ == "__main__":
    if sys.argv[1:2] == ["--entries"] and len(sys.argv) == 7 and sys.argv[3] == "--expect" \
            and sys.argv[5] == "--stamp":
        sys.exit(check_entries(sys.argv[2], int(sys.argv[4]), sys.argv[6]))
    sys.exit(main(sys.argv[1:]))
