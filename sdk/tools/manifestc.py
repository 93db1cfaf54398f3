#!/usr/bin/env python3
"""manifestc: compiles a Mica driver manifest (text) into its binary form.

    manifestc.py INPUT.manifest -o OUTPUT [--expect-name NAME] [--expect-binary PATH]
                 [--depfile FILE]

The text format is documented in docs/drivers.md ("Manifests"); the binary
layout in system/core/driver_manager/lib/manifest.h, whose reader is the
authority on what is valid. Every error is reported as `FILE:LINE: message`
on stderr with exit status 1, and no output is written. Python 3 standard
library only, so the SDK can ship it as is.
"""

from __future__ import annotations

import argparse
import os
import re
import struct
import sys
import tempfile

# Must match system/core/driver_manager/lib/manifest.h.
MAGIC = 0x5652444D  # "MDRV"
VERSION = 1
HEADER_SIZE = 96
BIND_SIZE = 12
COND_SIZE = 12
MAX_BINDS = 64
MAX_CONDITIONS = 256
MAX_CONDITIONS_PER_BIND = 8
MAX_STRING = 255
MAX_MANIFEST_SIZE = 64 * 1024
MAX_RESTARTS = 1000
MAX_DURATION_NS = 86400 * 10**9
KIND_PRESENT, KIND_U32, KIND_STRING = 0, 1, 2
FLAG_HAS_ARGUMENT = 1
FLAG_GRANT_CONSOLE = 2
FLAG_GRANT_POWER = 4
# `grant <what> ...`: the system capabilities a manifest may ask for, and
# the header flag of each.
GRANTS = {"console": FLAG_GRANT_CONSOLE, "power": FLAG_GRANT_POWER}

# Defaults of the optional statements (docs/drivers.md).
DEFAULTS = {
    "restart": (5, 30 * 10**9),
    "backoff": (10 * 10**6, 2 * 10**9),
    "stable": 10 * 10**9,
    "liveness": 0,
}

NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
PATH_COMPONENT_RE = re.compile(r"[A-Za-z0-9._-]+\Z")
UNITS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9}
TOKEN_RE = re.compile(r"""\s*(?:("(?:[^"\\]|\\.)*"?)|(<[^>]*>?)|(=|,)|([^\s"<=,#]+)|(\#.*))""")


class ManifestError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def valid_binary_path(path: str) -> bool:
    if not path or len(path) > MAX_STRING or path.startswith("/"):
        return False
    for comp in path.split("/"):
        if not PATH_COMPONENT_RE.match(comp) or comp in (".", ".."):
            return False
    return True


def tokenize(text: str, line: int) -> list[tuple[str, str]]:
    """(kind, value) tokens: str, cell, punct, word. Comments end the line."""
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise ManifestError(line, f"unexpected character {text[pos:].lstrip()[:1]!r}")
        pos = m.end()
        string, cell, punct, word, comment = m.groups()
        if comment is not None:
            break
        if string is not None:
            tokens.append(("str", parse_string(string, line)))
        elif cell is not None:
            if not cell.endswith(">"):
                raise ManifestError(line, "unterminated cell value (missing '>')")
            tokens.append(("cell", cell[1:-1].strip()))
        elif punct is not None:
            tokens.append(("punct", punct))
        else:
            tokens.append(("word", word))
    return tokens


def parse_string(token: str, line: int) -> str:
    """The value of a quoted token; escapes \\" and \\\\ only."""
    out, i, closed = [], 1, False
    while i < len(token):
        c = token[i]
        if c == '"':
            closed = i == len(token) - 1
            break
        if c == "\\":
            if i + 1 >= len(token) or token[i + 1] not in '"\\':
                raise ManifestError(line, "bad escape in string (only \\\" and \\\\)")
            out.append(token[i + 1])
            i += 2
            continue
        if not 0x20 <= ord(c) < 0x7F:
            raise ManifestError(line, f"character {c!r} not allowed in a string (printable ASCII)")
        out.append(c)
        i += 1
    if not closed:
        raise ManifestError(line, "unterminated string")
    s = "".join(out)
    if not s:
        raise ManifestError(line, "empty string")
    if len(s) > MAX_STRING:
        raise ManifestError(line, f"string of {len(s)} bytes (at most {MAX_STRING})")
    return s


def parse_u32(text: str, line: int) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise ManifestError(line, f"bad number {text!r} (decimal or 0x hex)") from None
    if not 0 <= value <= 0xFFFFFFFF:
        raise ManifestError(line, f"number {text} does not fit 32 bits")
    return value


def parse_duration(tok: tuple[str, str], line: int) -> int:
    kind, text = tok
    m = re.fullmatch(r"([0-9]+)(ns|us|ms|s)", text) if kind == "word" else None
    if not m:
        raise ManifestError(line, f"bad duration {text!r} (a number with ns, us, ms or s)")
    ns = int(m.group(1)) * UNITS[m.group(2)]
    if ns > MAX_DURATION_NS:
        raise ManifestError(line, f"duration {text} longer than one day")
    if ns == 0:
        raise ManifestError(line, f"duration {text} must be greater than zero")
    return ns


def expect_end(tokens: list, i: int, line: int, what: str) -> None:
    if i < len(tokens):
        raise ManifestError(line, f"unexpected {tokens[i][1]!r} after {what}")


def parse_condition(tokens: list, i: int, line: int) -> tuple[tuple, int]:
    if i >= len(tokens) or tokens[i][0] != "str":
        raise ManifestError(line, "a condition starts with a quoted property name")
    prop = tokens[i][1]
    i += 1
    if i < len(tokens) and tokens[i] == ("punct", "="):
        i += 1
        if i >= len(tokens):
            raise ManifestError(line, f"missing value after '{prop}' =")
        kind, value = tokens[i]
        if kind == "cell":
            return (prop, KIND_U32, parse_u32(value, line)), i + 1
        if kind == "str":
            return (prop, KIND_STRING, value), i + 1
        raise ManifestError(line, f"condition value {value!r} must be <number> or \"string\"")
    return (prop, KIND_PRESENT, 0), i


def parse_compatible(tokens: list, line: int) -> tuple:
    if not tokens or tokens[0][0] != "str":
        raise ManifestError(line, "compatible takes a quoted string")
    compatible, conds, i = tokens[0][1], [], 1
    if i < len(tokens):
        if tokens[i] != ("word", "where"):
            raise ManifestError(line, f"unexpected {tokens[i][1]!r} after the compatible (where?)")
        i += 1
        while True:
            cond, i = parse_condition(tokens, i, line)
            conds.append(cond)
            if i < len(tokens) and tokens[i] == ("punct", ","):
                i += 1
                continue
            break
        expect_end(tokens, i, line, "the conditions")
    if len(conds) > MAX_CONDITIONS_PER_BIND:
        raise ManifestError(line, f"{len(conds)} conditions (at most {MAX_CONDITIONS_PER_BIND})")
    if len({c[0] for c in conds}) != len(conds):
        raise ManifestError(line, "a property is tested twice in one rule")
    return (compatible, tuple(conds))


def parse(text: str) -> dict:
    seen: dict[str, int] = {}
    m: dict = {"binds": [], "bind_lines": {}}
    last_line = 1
    for line_no, raw in enumerate(text.split("\n"), 1):
        last_line = line_no
        tokens = tokenize(raw, line_no)
        if not tokens:
            continue
        kind, key = tokens[0]
        if kind != "word":
            raise ManifestError(line_no, f"a statement starts with a keyword, not {key!r}")
        args = tokens[1:]
        if key != "compatible":
            if key in seen:
                raise ManifestError(line_no, f"'{key}' given twice (first on line {seen[key]})")
            seen[key] = line_no
        parse_statement(key, args, line_no, m)
    for key in ("name", "binary"):
        if key not in m:
            raise ManifestError(last_line, f"missing '{key}'")
    if not m["binds"]:
        raise ManifestError(last_line, "missing 'compatible': the driver binds nothing")
    if m.get("backoff", DEFAULTS["backoff"])[0] > m.get("backoff", DEFAULTS["backoff"])[1]:
        raise ManifestError(seen["backoff"], "backoff initial delay above its maximum")
    return m


def parse_statement(key: str, args: list, line: int, m: dict) -> None:
    if key == "name":
        if len(args) != 1 or args[0][0] != "word" or not NAME_RE.match(args[0][1]):
            raise ManifestError(line, "name takes one word of 1..64 [a-z0-9_-], starting with a letter or digit")
        m["name"] = args[0][1]
    elif key == "binary":
        if len(args) != 1 or args[0][0] not in ("word", "str") or not valid_binary_path(args[0][1]):
            raise ManifestError(line, "binary takes one relative bootfs path of [A-Za-z0-9._-] components (e.g. bin/pl011)")
        m["binary"] = args[0][1]
    elif key == "argument":
        if len(args) != 1 or args[0][0] != "str":
            raise ManifestError(line, "argument takes one quoted string")
        m["argument"] = args[0][1]
    elif key == "compatible":
        rule = parse_compatible(args, line)
        if rule in m["bind_lines"]:
            raise ManifestError(line, f"the same rule is on line {m['bind_lines'][rule]}")
        m["bind_lines"][rule] = line
        m["binds"].append(rule)
        if len(m["binds"]) > MAX_BINDS:
            raise ManifestError(line, f"more than {MAX_BINDS} compatible rules")
    elif key == "restart":
        # restart <N> per <duration>
        if len(args) != 3 or args[0][0] != "word" or args[1] != ("word", "per"):
            raise ManifestError(line, "restart takes: <count> per <duration>")
        count = parse_u32(args[0][1], line)
        if count > MAX_RESTARTS:
            raise ManifestError(line, f"restart count {count} above {MAX_RESTARTS}")
        m["restart"] = (count, parse_duration(args[2], line))
    elif key == "backoff":
        if len(args) != 3 or args[1] != ("word", "to"):
            raise ManifestError(line, "backoff takes: <initial duration> to <maximum duration>")
        m["backoff"] = (parse_duration(args[0], line), parse_duration(args[2], line))
    elif key == "stable":
        if len(args) != 1:
            raise ManifestError(line, "stable takes one duration")
        m["stable"] = parse_duration(args[0], line)
    elif key == "liveness":
        if len(args) != 1:
            raise ManifestError(line, "liveness takes one duration, or off")
        m["liveness"] = 0 if args[0] == ("word", "off") else parse_duration(args[0], line)
    elif key == "grant":
        # grant <what> [<what> ...]: each capability at most once.
        if not args or any(a[0] != "word" or a[1] not in GRANTS for a in args):
            raise ManifestError(line, f"grant takes one or more of: {', '.join(sorted(GRANTS))}")
        grants = [a[1] for a in args]
        for what in grants:
            if grants.count(what) > 1:
                raise ManifestError(line, f"grant names '{what}' twice")
        m["grants"] = grants
    else:
        raise ManifestError(line, f"unknown statement '{key}' (name, binary, argument, compatible, restart, backoff, stable, liveness, grant)")


def encode(m: dict) -> bytes:
    strings = bytearray()
    offsets: dict[str, int] = {}

    def string(s: str) -> int:
        if s not in offsets:
            offsets[s] = len(strings)
            strings.extend(s.encode("ascii") + b"\0")
        return offsets[s]

    name, binary = string(m["name"]), string(m["binary"])
    argument = string(m["argument"]) if "argument" in m else 0
    flags = FLAG_HAS_ARGUMENT if "argument" in m else 0
    for what in m.get("grants", ()):
        flags |= GRANTS[what]
    binds, conds = bytearray(), bytearray()
    n_conds = 0
    for compatible, rule_conds in m["binds"]:
        binds += struct.pack("<III", string(compatible), n_conds, len(rule_conds))
        for prop, kind, value in rule_conds:
            conds += struct.pack("<III", string(prop), kind,
                                 string(value) if kind == KIND_STRING else value)
            n_conds += 1
    if n_conds > MAX_CONDITIONS:
        raise ManifestError(1, f"{n_conds} conditions in all (at most {MAX_CONDITIONS})")
    binds_off = HEADER_SIZE
    conds_off = binds_off + len(binds)
    strings_off = conds_off + len(conds)
    total = strings_off + len(strings)
    if total > MAX_MANIFEST_SIZE:
        raise ManifestError(1, f"compiled manifest of {total} bytes (at most {MAX_MANIFEST_SIZE})")
    count, window = m.get("restart", DEFAULTS["restart"])
    initial, maximum = m.get("backoff", DEFAULTS["backoff"])
    header = struct.pack("<IHHII II II II II II QQQQQ", MAGIC, VERSION, HEADER_SIZE, total, flags,
                         name, binary, binds_off, len(m["binds"]), conds_off, n_conds,
                         strings_off, len(strings), count, argument, window, initial, maximum,
                         m.get("stable", DEFAULTS["stable"]), m.get("liveness", DEFAULTS["liveness"]))
    assert len(header) == HEADER_SIZE
    return bytes(header + binds + conds + strings)


def compile_file(path: str, expect_name: str | None, expect_binary: str | None) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as e:
        raise ManifestError(raw[: e.start].count(b"\n") + 1, "non-ASCII byte") from None
    m = parse(text)
    if expect_name is not None and m["name"] != expect_name:
        raise ManifestError(find_line(text, "name"), f"name '{m['name']}' but the build target is '{expect_name}'")
    if expect_binary is not None and m["binary"] != expect_binary:
        raise ManifestError(find_line(text, "binary"), f"binary '{m['binary']}' but the build installs '{expect_binary}'")
    return encode(m)


def find_line(text: str, keyword: str) -> int:
    for n, line in enumerate(text.split("\n"), 1):
        if line.split("#")[0].split()[:1] == [keyword]:
            return n
    return 1


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--expect-name")
    ap.add_argument("--expect-binary")
    args = ap.parse_args(argv)
    try:
        data = compile_file(args.input, args.expect_name, args.expect_binary)
    except ManifestError as e:
        print(f"{args.input}:{e.line}: {e.message}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{args.input}: {e.strerror}", file=sys.stderr)
        return 1
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
