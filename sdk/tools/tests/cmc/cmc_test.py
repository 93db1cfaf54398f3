#!/usr/bin/env python3
"""Tests of sdk/tools/cmc.py, the component manifest compiler:
  BadFiles.test_<case>   every file of bad/ is refused with exactly the
                         message its first line expects (`// expect:
                         LINE:COL: error: ...`), status 1, no output file
  BadTrees.test_<case>   every directory of bad_tree/ (root.cml and its
                         tree) likewise (`// expect: FILE:LINE:COL: ...` in
                         root.cml), and its root alone compiles
  Layout, RoundTrip      the binary layout byte for byte; round trips
                         through the independent reader (mcm_reader.py) of
                         hand-written and random manifests
  Corruption             truncated and corrupted outputs refused by it
  Limits, CommandLine    the limits; the command line (subprocesses)

    python3 cmc_test.py --list          the test names, one a line
    python3 cmc_test.py --report        runs all, one `PASS|FAIL name` line
                                        each (details indented below)
    python3 cmc_test.py [NAME...]       runs them (unittest), all by default

Run by out/host_tests/cmc_test (one GoogleTest case per test here), which
`./mica test` runs.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import struct
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
CMC = os.path.normpath(os.path.join(HERE, "..", "..", "cmc.py"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(CMC))

import cmc  # noqa: E402
import mcm_reader  # noqa: E402
from mcm_reader import Reject  # noqa: E402

# ---------------------------------------------------------------------------
# Helpers: the expected bytes are spelled out here, not taken from cmc.


def s(text: str) -> bytes:
    b = text.encode("utf-8")
    return struct.pack("<H", len(b)) + b


def u8(v: int) -> bytes:
    return bytes([v])


def u16(v: int) -> bytes:
    return struct.pack("<H", v)


def rec(kind: int, payload: bytes) -> bytes:
    out = struct.pack("<HH", kind, len(payload)) + payload
    return out + b"\0" * (-len(out) % 4)


def file_of(*records: bytes) -> bytes:
    body = b"".join(records)
    return b"MCM1" + struct.pack("<HHI", 1, len(records), 12 + len(body)) + body


def compile_text(text: str, name: str = "t") -> bytes:
    return cmc.encode(cmc.parse_manifest(f"{name}.cml", name, text.encode("utf-8")))


def error_of(text: str, name: str = "t") -> str:
    try:
        compile_text(text, name)
    except cmc.CmcError as e:
        return str(e)
    raise AssertionError("compiled without an error")


def run(args: list[str], cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, CMC] + args, capture_output=True, text=True, cwd=cwd)


PROTOCOL, DIRECTORY = 1, 2

# The example of the shared notes (with the child it offers to declared).
EXAMPLE = """{
  program: { binary: "bin/shell", args: ["--prompt"] },
  children: [ { name: "log", manifest: "meta/log.cm", startup: "eager", on_terminate: "restart" },
              { name: "shell", manifest: "meta/shell.cm" } ],
  collections: [ { name: "run", on_terminate: "ignore" } ],
  capabilities: [ { protocol: "log.Reader" } ],
  use: [ { protocol: "log.Sink" } ],
  offer: [ { protocol: "log.Sink", from: "#log", to: ["#shell", "#run"] } ],
  expose: [ { protocol: "log.Reader", from: "#log" } ],
}"""
PARENT, SELF, CHILD, FRAMEWORK = 1, 2, 3, 4

# ---------------------------------------------------------------------------


class Layout(unittest.TestCase):
    def test_empty_manifest_is_the_header_alone(self):
        self.assertEqual(compile_text("{}"), bytes.fromhex("4d434d31" "0100" "0000" "0c000000"))

    def test_program_with_arguments(self):
        got = compile_text('{ program: { binary: "bin/shell", args: [ "--prompt", "", "é" ] } }')
        payload = s("bin/shell") + u16(3) + s("--prompt") + s("") + s("é")
        self.assertEqual(got, file_of(rec(1, payload)))
        # Byte for byte: the header, then kind 1 of 29 bytes padded to 32.
        self.assertEqual(got[:16], bytes.fromhex("4d434d31 0100 0100 30000000 0100 1d00".replace(" ", "")))
        self.assertEqual(len(got), 12 + 4 + 29 + 3)
        self.assertEqual(got[-3:], b"\0\0\0")

    def test_the_example_of_the_shared_notes(self):
        text = EXAMPLE
        want = file_of(
            rec(1, s("bin/shell") + u16(1) + s("--prompt")),
            rec(2, s("log") + s("meta/log.cm") + u8(1) + u8(0)),
            rec(2, s("shell") + s("meta/shell.cm") + u8(0) + u8(0)),
            rec(3, s("run") + u8(1)),
            rec(4, u8(PROTOCOL) + s("log.Reader")),
            rec(5, u8(PROTOCOL) + s("log.Sink") + u8(PARENT) + s("") + s("/svc/log.Sink")),
            rec(6, u8(PROTOCOL) + s("log.Sink") + u8(CHILD) + s("log") + s("shell") + s("log.Sink")),
            rec(6, u8(PROTOCOL) + s("log.Sink") + u8(CHILD) + s("log") + s("run") + s("log.Sink")),
            rec(7, u8(PROTOCOL) + s("log.Reader") + u8(CHILD) + s("log") + s("log.Reader")),
        )
        self.assertEqual(compile_text(text), want)

    def test_directories_framework_paths_and_renames(self):
        text = """{
          expose: [ { directory: "dev-class", from: "self", as: "dev" } ],
          offer: [ { directory: "dev-class", from: "self", to: [ "#a" ], as: "devices" },
                   { protocol: "x.Y", from: "parent", to: [ "#a" ] } ],
          use: [ { directory: "config", path: "/config/data" },
                 { protocol: "component.Realm", from: "framework" } ],
          capabilities: [ { directory: "dev-class" } ],
          children: [ { name: "a", manifest: "meta/a.cm", on_terminate: "reboot" } ],
        }"""
        want = file_of(
            rec(2, s("a") + s("meta/a.cm") + u8(0) + u8(2)),
            rec(4, u8(DIRECTORY) + s("dev-class")),
            rec(5, u8(DIRECTORY) + s("config") + u8(PARENT) + s("") + s("/config/data")),
            rec(5, u8(PROTOCOL) + s("component.Realm") + u8(FRAMEWORK) + s("") + s("/svc/component.Realm")),
            rec(6, u8(DIRECTORY) + s("dev-class") + u8(SELF) + s("") + s("a") + s("devices")),
            rec(6, u8(PROTOCOL) + s("x.Y") + u8(PARENT) + s("") + s("a") + s("x.Y")),
            rec(7, u8(DIRECTORY) + s("dev-class") + u8(SELF) + s("") + s("dev")),
        )
        self.assertEqual(compile_text(text), want)

    def test_protocol_lists_expand_in_source_order(self):
        text = """{
          capabilities: [ { protocol: [ "b", "a" ] }, { directory: "c" } ],
          use: [ { protocol: [ "u2", "u1" ] } ],
          children: [ { name: "k", manifest: "meta/k.cm" } ],
          collections: [ { name: "coll" } ],
          offer: [ { protocol: [ "b", "a" ], from: "self", to: [ "#k", "#coll" ] } ],
          expose: [ { protocol: [ "a", "b" ], from: "self" } ],
        }"""
        d = mcm_reader.read(compile_text(text))
        self.assertEqual(d.capabilities, [(1, "b"), (1, "a"), (2, "c")])
        self.assertEqual([u[1] for u in d.uses], ["u2", "u1"])
        self.assertEqual([u[4] for u in d.uses], ["/svc/u2", "/svc/u1"])
        self.assertEqual([(o[1], o[4]) for o in d.offers], [("b", "k"), ("b", "coll"), ("a", "k"), ("a", "coll")])
        self.assertEqual([e[1] for e in d.exposes], ["a", "b"])

    def test_defaults(self):
        d = mcm_reader.read(compile_text(
            '{ children: [ { name: "a", manifest: "meta/a.cm" } ], collections: [ { name: "c" } ],'
            ' use: [ { protocol: "p" } ] }'))
        self.assertEqual(d.children, [("a", "meta/a.cm", 0, 0)])  # lazy, restart
        self.assertEqual(d.collections, [("c", 1)])  # ignore
        self.assertEqual(d.uses, [(1, "p", PARENT, "", "/svc/p")])
        self.assertIsNone(d.program)

    def test_syntax_variants_compile_alike(self):
        plain = compile_text('{ "program": { "binary": "bin/x", "args": [ "a\\"b", "\\u00e9\\ud83d\\ude00" ] } }')
        fancy = compile_text('\ufeff// comment\r\n{ /* block\n comment */ program: { args: [ "a\\"b", "é😀", ], '
                             'binary: "bin/x", }, }\r\n')
        self.assertEqual(plain, fancy)
        self.assertEqual(mcm_reader.read(plain).program, ("bin/x", ['a"b', "é😀"]))

    def test_records_keep_kind_order_whatever_the_key_order(self):
        d = compile_text('{ expose: [ { protocol: "a", from: "self" } ], capabilities: [ { protocol: "a" } ],'
                         ' program: { binary: "bin/a" } }')
        kinds, off = [], 12
        while off < len(d):
            kind, plen = struct.unpack_from("<HH", d, off)
            kinds.append(kind)
            off += (4 + plen + 3) & ~3
        self.assertEqual(kinds, [1, 4, 7])


# ---------------------------------------------------------------------------
# Random manifests: a model, its text in varied spellings, and the records
# the reader must return.


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def name(self, used: set, child: bool = False) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_-" + ("" if child else ".ABCZ")
        while True:
            n = "".join(self.r.choice(alphabet) for _ in range(self.r.choice([1, 3, 8, 32 if child else 100])))
            if n not in used and n not in (".", ".."):  # "/svc/." is no path: see BadFiles
                used.add(n)
                return n

    def manifest(self):
        r = self.r
        exp = mcm_reader.Decoded()
        text: dict[str, list] = {}
        if r.random() < 0.7:
            args = [r.choice(["", "-v", "x" * 255, "é", 'q"\\', "tab\there"]) for _ in range(r.randint(0, 4))]
            binary = r.choice(["bin/a", "bin/some-thing_1.0", "a/b/c/d"])
            exp.program = (binary, args)
            text["program"] = [("obj", [("binary", binary), ("args", args)])]
        names: set = set()
        children = [self.name(names, True) for _ in range(r.randint(0, 5))]
        colls = [self.name(names, True) for _ in range(r.randint(0, 2))]
        for c in children:
            st, ot = r.choice([None, "lazy", "eager"]), r.choice([None, "restart", "ignore", "reboot"])
            exp.children.append((c, f"meta/{c}.cm", {"eager": 1}.get(st, 0), {"ignore": 1, "reboot": 2}.get(ot, 0)))
            text.setdefault("children", []).append(
                ("obj", [("name", c), ("manifest", f"meta/{c}.cm")] + ([("startup", st)] if st else [])
                 + ([("on_terminate", ot)] if ot else [])))
        for c in colls:
            ot = r.choice([None, "restart", "ignore", "reboot"])
            exp.collections.append((c, {"restart": 0, "reboot": 2}.get(ot, 1)))
            text.setdefault("collections", []).append(("obj", [("name", c)] + ([("on_terminate", ot)] if ot else [])))
        capnames: set = set()
        caps = []
        for _ in range(r.randint(0, 4)):
            kind = r.choice(["protocol", "directory"])
            caps.append((kind, self.name(capnames)))
        # capabilities: consecutive protocols sometimes as one list
        i = 0
        while i < len(caps):
            kind, n = caps[i]
            group = [n]
            while kind == "protocol" and i + len(group) < len(caps) and caps[i + len(group)][0] == "protocol" \
                    and r.random() < 0.5:
                group.append(caps[i + len(group)][1])
            for g in group:
                exp.capabilities.append((1 if kind == "protocol" else 2, g))
            listed = kind == "protocol" and (len(group) > 1 or r.random() < 0.2)
            text.setdefault("capabilities", []).append(("obj", [(kind, group if listed else group[0])]))
            i += len(group)
        # uses: unique names, paths /svc/<name> or /p<i>/<name>
        usenames: set = set()
        for i in range(r.randint(0, 4)):
            kind = r.choice(["protocol", "directory"])
            n = self.name(usenames)
            src = r.choice([None, "parent", "framework"])
            custom = r.random() < 0.4
            path = f"/p{i}/{n}" if custom else f"/svc/{n}"
            exp.uses.append((1 if kind == "protocol" else 2, n, 4 if src == "framework" else 1, "", path))
            text.setdefault("use", []).append(("obj", [(kind, n)] + ([("from", src)] if src else [])
                                               + ([("path", path)] if custom else [])))
        # offers: acyclic (from child i only to children after it), unique targets per child
        targets: set = set()
        sinks = children + colls
        for _ in range(r.randint(0, 6)):
            if not sinks:
                break
            choice = r.random()
            if choice < 0.3 and caps:
                kind, n = r.choice(caps)
                src, fname, fk = "self", "", 2
                tos = sinks
            elif choice < 0.6 and len(children) > 1:
                i = r.randrange(len(children) - 1)
                kind, n = r.choice(["protocol", "directory"]), self.name(set())
                src, fname, fk = f"#{children[i]}", children[i], 3
                tos = children[i + 1:] + colls
            else:
                kind, n = r.choice(["protocol", "directory"]), self.name(set())
                src, fname, fk = "parent", "", 1
                tos = sinks
            to = [t for t in r.sample(tos, r.randint(1, len(tos)))]
            target = self.name(set()) if r.random() < 0.3 else n
            to = [t for t in to if (t, target) not in targets]
            if not to:
                continue
            for t in to:
                targets.add((t, target))
                exp.offers.append((1 if kind == "protocol" else 2, n, fk, fname, t, target))
            text.setdefault("offer", []).append(
                ("obj", [(kind, n), ("from", src), ("to", [f"#{t}" for t in to])]
                 + ([("as", target)] if target != n or r.random() < 0.2 else [])))
        # exposes: from self (declared) or any child, unique targets
        exposed: set = set()
        for _ in range(r.randint(0, 3)):
            if caps and (r.random() < 0.5 or not children):
                kind, n = r.choice(caps)
                src, fname, fk = "self", "", 2
            elif children:
                c = r.choice(children)
                kind, n = r.choice(["protocol", "directory"]), self.name(set())
                src, fname, fk = f"#{c}", c, 3
            else:
                break
            target = self.name(set()) if r.random() < 0.3 else n
            if target in exposed:
                continue
            exposed.add(target)
            exp.exposes.append((1 if kind == "protocol" else 2, n, fk, fname, target))
            text.setdefault("expose", []).append(
                ("obj", [(kind, n), ("from", src)] + ([("as", target)] if target != n else [])))
        return self.render(text), exp

    # -- text --------------------------------------------------------------

    def key(self, k: str) -> str:
        return f'"{k}"' if self.r.random() < 0.3 else k

    def sep(self) -> str:
        return self.r.choice([" ", "\n", "  ", " // note\n", " /* c */ ", "\t", "\r\n"])

    def value(self, v) -> str:
        if isinstance(v, tuple) and v[0] == "obj":
            members = list(v[1])
            self.r.shuffle(members)
            return self.obj(members)
        if isinstance(v, list):
            return self.arr([self.value(x) for x in v])
        return self.string(v)

    def string(self, v: str) -> str:
        out = []
        for c in v:
            if c == '"':
                out.append('\\"')
            elif c == "\\":
                out.append("\\\\")
            elif c == "\t":
                out.append("\\t")
            elif ord(c) > 127 and self.r.random() < 0.5:
                out.append(f"\\u{ord(c):04x}")
            else:
                out.append(c)
        return '"' + "".join(out) + '"'

    def arr(self, items: list[str]) -> str:
        trailing = "," if items and self.r.random() < 0.5 else ""
        return "[" + self.sep() + ("," + self.sep()).join(items) + trailing + self.sep() + "]"

    def obj(self, members) -> str:
        parts = [f"{self.key(k)}:{self.sep()}{self.value(v)}" for k, v in members]
        trailing = "," if parts and self.r.random() < 0.5 else ""
        return "{" + self.sep() + ("," + self.sep()).join(parts) + trailing + self.sep() + "}"

    def render(self, sections: dict) -> str:
        members = [(k, v[0] if k == "program" else v) for k, v in sections.items()]
        self.r.shuffle(members)
        return self.sep() + self.obj(members) + self.sep()


class RoundTrip(unittest.TestCase):
    def test_random_manifests_read_back_exactly(self):
        for seed in range(300):
            text, want = Gen(seed).manifest()
            with self.subTest(seed=seed):
                try:
                    data = compile_text(text)
                except cmc.CmcError as e:
                    self.fail(f"{e}\n{text}")
                got = mcm_reader.read(data)
                mcm_reader.validate(got)
                self.assertEqual(got.as_dict(), want.as_dict(), text)

    def test_example_tree_compiles_whole_and_reads_back(self):
        tree = os.path.join(HERE, "tree")
        with tempfile.TemporaryDirectory() as out:
            r = run([os.path.join(tree, "example-root.cml"), "--search", tree, "--out-dir", out])
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            files = sorted(os.listdir(os.path.join(out, "meta")))
            self.assertEqual(files, sorted(f[:-4] + ".cm" for f in os.listdir(tree) if f.endswith(".cml")))
            for f in files:
                with open(os.path.join(out, "meta", f), "rb") as fh:
                    d = mcm_reader.read(fh.read())
                mcm_reader.validate(d)
            with open(os.path.join(out, "meta", "example-root.cm"), "rb") as fh:
                root = mcm_reader.read(fh.read())
            self.assertEqual([c[0] for c in root.children], ["core", "shell", "echo"])
            self.assertEqual(root.collections, [("run", 1)])
            self.assertIn((1, "log.Reader", CHILD, "core", "run", "log.Reader"), root.offers)

    def test_reader_accepts_every_good_output_of_the_error_free_cases(self):
        # every manifest a test here compiles is read back without a reject
        for text in ('{}', '{ program: { binary: "bin/x" } }',
                     '{ use: [ { protocol: "' + "p" * 100 + '", path: "/' + "q" * 254 + '" } ] }',
                     '{ program: { binary: "' + "b" * 103 + '", args: [ "' + "a" * 255 + '" ] } }'):
            mcm_reader.validate(mcm_reader.read(compile_text(text)))


def corpus() -> list[bytes]:
    """Compiled manifests to corrupt: the hand-written example and a few random ones."""
    out = [compile_text(EXAMPLE)]
    out.append(compile_text("""{ program: { binary: "bin/shell", args: ["--prompt", "é"] },
      children: [ { name: "log", manifest: "meta/log.cm", startup: "eager" }, { name: "sh", manifest: "meta/sh.cm" } ],
      collections: [ { name: "run" } ], capabilities: [ { protocol: "log.Reader" }, { directory: "d" } ],
      use: [ { protocol: "log.Sink" }, { directory: "cfg", from: "framework", path: "/cfg" } ],
      offer: [ { protocol: "log.Sink", from: "#log", to: ["#sh", "#run"], as: "sink" },
               { directory: "d", from: "self", to: ["#sh"] } ],
      expose: [ { protocol: "log.Reader", from: "#log" }, { directory: "d", from: "self", as: "dd" } ] }"""))
    for seed in (1, 2, 3, 5, 8):
        out.append(compile_text(Gen(1000 + seed).manifest()[0]))
    return out


class Corruption(unittest.TestCase):
    def test_every_truncation_is_rejected(self):
        for data in corpus():
            mcm_reader.read(data)
            for n in range(len(data)):
                with self.assertRaises(Reject, msg=f"truncated to {n} of {len(data)}"):
                    mcm_reader.read(data[:n])

    def test_every_truncation_with_a_fixed_size_is_rejected(self):
        # total_size patched to the new length: records then run past the end
        # or the record count is not met.
        for data in corpus():
            for n in range(12, len(data)):
                cut = bytearray(data[:n])
                struct.pack_into("<I", cut, 8, n)
                with self.assertRaises(Reject, msg=f"cut at {n} of {len(data)}"):
                    mcm_reader.read(bytes(cut))

    def test_every_changed_byte_is_rejected_or_still_a_wellformed_read(self):
        for data in corpus():
            for i in range(len(data)):
                for delta in (1, 0x80, 0xFF):
                    bad = bytearray(data)
                    bad[i] = (bad[i] + delta) & 0xFF
                    try:
                        d = mcm_reader.read(bytes(bad))
                    except Reject:
                        continue
                    # Accepted: only a change inside a string's bytes or an
                    # enum to another valid value can be; the header never.
                    self.assertGreaterEqual(i, 12, f"header byte {i} changed yet accepted")
                    self.assertIsInstance(d, mcm_reader.Decoded)

    def test_appended_bytes_are_rejected(self):
        for data in corpus():
            for extra in (b"\0", b"\0\0\0\0", b"\x01\x00\x00\x00"):
                grown = bytearray(data + extra)
                struct.pack_into("<I", grown, 8, len(grown))
                with self.assertRaises(Reject):
                    mcm_reader.read(bytes(grown))
                with self.assertRaises(Reject):
                    mcm_reader.read(data + extra)  # total_size left as it was

    def test_targeted_corruptions(self):
        base = corpus()[1]
        self.assertEqual(struct.unpack_from("<HH", base, 12)[0], 1)  # the program record comes first
        plen = struct.unpack_from("<H", base, 14)[0]
        second = 12 + ((4 + plen + 3) & ~3)

        def patched(offset: int, fmt: str, value: int) -> bytes:
            b = bytearray(base)
            struct.pack_into(fmt, b, offset, value)
            return bytes(b)

        cases = {
            "bad magic": patched(0, "<I", 0x324D434D),
            "bad version": patched(4, "<H", 2),
            "version 0": patched(4, "<H", 0),
            "one record more": patched(6, "<H", struct.unpack_from("<H", base, 6)[0] + 1),
            "one record fewer": patched(6, "<H", struct.unpack_from("<H", base, 6)[0] - 1),
            "total_size too big": patched(8, "<I", len(base) + 4),
            "total_size too small": patched(8, "<I", len(base) - 4),
            "unknown kind 0": patched(12, "<H", 0),
            "unknown kind 8": patched(12, "<H", 8),
            "a second program (kind 2 -> 1)": patched(second, "<H", 1),
            "out of order (program -> expose)": patched(12, "<H", 7),
            "payload past the end": patched(12 + 2, "<H", len(base)),
            "payload longer than its fields": patched(second + 2, "<H",
                                                      struct.unpack_from("<H", base, second + 2)[0] + 4),
            "binary string over its record": patched(16, "<H", 200),
            "child startup 2": patched(second + 4 + 2 + 3 + 2 + 11, "<B", 2),
            "child on_terminate 3": patched(second + 4 + 2 + 3 + 2 + 11 + 1, "<B", 3),
        }
        for what, data in cases.items():
            with self.subTest(what=what), self.assertRaises(Reject):
                mcm_reader.read(data)

    def test_bad_strings_enums_paths_padding_and_counts_are_rejected(self):
        good = file_of(rec(4, u8(1) + s("ok")))
        mcm_reader.read(good)
        long = file_of(rec(4, u8(1) + struct.pack("<H", 256) + b"a" * 256))
        bad_utf8 = file_of(rec(4, u8(1) + struct.pack("<H", 2) + b"\xc3\x28"))
        nul = file_of(rec(4, u8(1) + struct.pack("<H", 2) + b"a\0"))
        cap_kind = file_of(rec(4, u8(3) + s("ok")))
        use_from_self = file_of(rec(5, u8(1) + s("p") + u8(SELF) + s("") + s("/svc/p")))
        expose_from_parent = file_of(rec(7, u8(1) + s("p") + u8(PARENT) + s("") + s("p")))
        offer_from_framework = file_of(rec(6, u8(1) + s("p") + u8(FRAMEWORK) + s("") + s("a") + s("p")))
        dot_path = file_of(rec(5, u8(1) + s("p") + u8(PARENT) + s("") + s("/svc/.")))
        dotdot_path = file_of(rec(5, u8(1) + s("p") + u8(PARENT) + s("") + s("/a/../b")))
        nonzero_pad = bytearray(file_of(rec(4, u8(1) + s("ok"))))
        nonzero_pad[-1] = 1
        too_many = file_of(*[rec(3, s(f"c{i}") + u8(1)) for i in range(65)])
        for what, data in {"long": long, "utf8": bad_utf8, "nul": nul, "cap kind": cap_kind,
                           "use from self": use_from_self, "expose from parent": expose_from_parent,
                           "offer from framework": offer_from_framework, "padding": bytes(nonzero_pad),
                           "65 collections": too_many, "path /svc/.": dot_path,
                           "path /a/../b": dotdot_path}.items():
            with self.subTest(what=what), self.assertRaises(Reject):
                mcm_reader.validate(mcm_reader.read(data))
        mcm_reader.validate(mcm_reader.read(file_of(*[rec(3, s(f"c{i}") + u8(1)) for i in range(64)])))


class MutatedText(unittest.TestCase):
    """Text manifests changed at random: the compiler either reports a
    CmcError (never another exception) or writes a file the reader accepts."""

    PIECES = ['"', "{", "}", "[", "]", ",", ":", "#", "//", "/*", "*/", "\\", "\\u", " ", "\n", "a", "Z", ".",
              "é", "\x00", "\x7f", "-1", "true", "null", "protocol", "directory", "from", "to", "as", "self",
              "parent", "framework", '"#a"', '"#run"', "children", "name", "manifest", "use", "offer", "expose",
              "path", "program", "args", '"/svc/x"', "capabilities", "collections"]

    def sources(self) -> list[str]:
        texts = [EXAMPLE]
        tree = os.path.join(HERE, "tree")
        for f in sorted(n for n in os.listdir(tree) if n.endswith(".cml")):
            with open(os.path.join(tree, f), encoding="utf-8") as fh:
                texts.append(fh.read())
        texts += [Gen(2000 + i).manifest()[0] for i in range(6)]
        return texts

    def test_mutations_fail_cleanly_or_read_back(self):
        r = random.Random(7)
        compiled = rejected = 0
        for text in self.sources():
            for _ in range(400):
                t = text
                for _ in range(r.randint(1, 3)):
                    i = r.randrange(len(t) + 1)
                    op = r.random()
                    if op < 0.35:
                        t = t[:i] + t[i + r.randint(1, 8):]
                    elif op < 0.7:
                        t = t[:i] + r.choice(self.PIECES) + t[i:]
                    else:
                        j = r.randrange(len(t) + 1)
                        t = t[:i] + t[min(i, j):max(i, j)] + t[i:]
                try:
                    data = compile_text(t)
                except cmc.CmcError as e:
                    rejected += 1
                    self.assertRegex(str(e), r"^t\.cml:[0-9]+:[0-9]+: error: component 't': .+\Z")
                    self.assertNotIn("\n", str(e))
                    continue
                compiled += 1
                mcm_reader.validate(mcm_reader.read(data))
        # both outcomes are exercised
        self.assertGreater(compiled, 100)
        self.assertGreater(rejected, 1000)


class Dump(unittest.TestCase):
    """cmc.py --dump: a compiled manifest back to text."""

    def test_the_text_of_a_small_manifest(self):
        data = compile_text('{ program: { binary: "bin/a", args: [ "x\\"\\u0001\\u007f" ] },'
                            ' children: [ { name: "c", manifest: "meta/c.cm" } ],'
                            ' use: [ { directory: "d" } ], offer: [ { protocol: "p", from: "parent", to: [ "#c" ] } ] }')
        self.assertEqual(cmc.dump(data), "\n".join([
            "{",
            '    program: { binary: "bin/a", args: [ "x\\"\\u0001\\u007f" ] },',
            "    children: [",
            '        { name: "c", manifest: "meta/c.cm", startup: "lazy", on_terminate: "restart" },',
            "    ],",
            "    use: [",
            '        { directory: "d", from: "parent", path: "/svc/d" },',
            "    ],",
            "    offer: [",
            '        { protocol: "p", from: "parent", to: [ "#c" ], as: "p" },',
            "    ],",
            "}",
            ""]))
        self.assertEqual(cmc.dump(compile_text("{}")), "{\n}\n")

    def test_dumps_compile_back_to_the_same_bytes(self):
        texts = [EXAMPLE] + [Gen(3000 + i).manifest()[0] for i in range(300)]
        tree = os.path.join(HERE, "tree")
        for f in sorted(n for n in os.listdir(tree) if n.endswith(".cml")):
            with open(os.path.join(tree, f), encoding="utf-8") as fh:
                texts.append(fh.read())
        for text in texts:
            data = compile_text(text)
            self.assertEqual(compile_text(cmc.dump(data)), data, text)

    def test_corrupted_files_are_refused_cleanly(self):
        refused = 0
        for data in corpus():
            variants = [data[:n] for n in range(len(data))]
            for i in range(len(data)):
                for delta in (1, 0x80, 0xFF):
                    b = bytearray(data)
                    b[i] = (b[i] + delta) & 0xFF
                    variants.append(bytes(b))
            for v in variants:
                try:
                    cmc.dump(v)
                except cmc.DumpError:
                    refused += 1
                    continue
                mcm_reader.read(v)  # what --dump accepts, the reader accepts
        self.assertGreater(refused, 1000)

    def test_command_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = os.path.join(tmp, "a.cm")
            with open(good, "wb") as f:
                f.write(compile_text(EXAMPLE))
            r = run(["--dump", good])
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            self.assertEqual(compile_text(r.stdout), compile_text(EXAMPLE))
            bad = os.path.join(tmp, "b.cm")
            n = len(compile_text(EXAMPLE))
            with open(bad, "wb") as f:
                f.write(compile_text(EXAMPLE)[:-1])
            r = run(["--dump", bad])
            self.assertEqual((r.returncode, r.stdout), (1, ""))
            self.assertEqual(r.stderr, f"cmc: error: {bad}: offset 8: total_size {n} but the file has {n - 1} bytes\n")


# ---------------------------------------------------------------------------


class Limits(unittest.TestCase):
    def children(self, n: int) -> str:
        return "{ children: [\n" + "".join(f'  {{ name: "c{i}", manifest: "meta/c{i}.cm" }},\n' for i in range(n)) + "] }"

    def test_64_children_compile_65_do_not(self):
        d = mcm_reader.read(compile_text(self.children(64)))
        self.assertEqual(len(d.children), 64)
        self.assertEqual(error_of(self.children(65)),
                         "t.cml:1:13: error: component 't': 'children' makes 65 records (at most 64)")

    def test_offer_records_count_after_expansion(self):
        kids = ", ".join(f'{{ name: "c{i}", manifest: "meta/c{i}.cm" }}' for i in range(33))
        to = ", ".join(f'"#c{i}"' for i in range(1, 33))
        ok = f'{{ children: [ {kids} ],\n offer: [ {{ protocol: [ "a", "b" ], from: "#c0", to: [ {to} ] }} ] }}'
        self.assertEqual(len(mcm_reader.read(compile_text(ok)).offers), 64)
        to = ", ".join(f'"#c{i}"' for i in range(0, 33))
        bad = f'{{ children: [ {kids} ],\n offer: [ {{ protocol: [ "a", "b", "c" ], from: "parent", to: [ {to} ] }} ] }}'
        self.assertEqual(error_of(bad), "t.cml:2:9: error: component 't': 'offer' makes 99 records (at most 64)")

    def test_string_length_bounds(self):
        self.assertEqual(mcm_reader.read(compile_text('{ capabilities: [ { protocol: "' + "p" * 100 + '" } ] }'))
                         .capabilities, [(1, "p" * 100)])
        self.assertEqual(error_of('{ program: { binary: "bin/x", args: [ "' + "é" * 128 + '" ] } }'),
                         "t.cml:1:39: error: component 't': argument of 256 bytes (at most 255)")
        self.assertEqual(error_of('{ program: { binary: "' + "b" * 104 + '" } }'),
                         f"t.cml:1:22: error: component 't': invalid binary path \"{'b' * 104}\" (a relative bootfs "
                         "path of at most 103 bytes, components of A-Z a-z 0-9 . _ -, e.g. \"bin/shell\")")
        self.assertEqual(error_of('{ use: [ { protocol: "p", path: "/' + "q" * 255 + '" } ] }'),
                         f"t.cml:1:33: error: component 't': use of protocol 'p': invalid path \"/{'q' * 255}\" "
                         "(absolute, components of A-Z a-z 0-9 . _ -, at most 255 bytes)")
        self.assertEqual(len(mcm_reader.read(compile_text(
            '{ children: [ { name: "' + "c" * 32 + '", manifest: "meta/c.cm" } ] }')).children), 1)

    def test_64_arguments_compile_65_do_not(self):
        args = ", ".join(['"' + "a" * 255 + '"'] * 64)
        d = mcm_reader.read(compile_text('{ program: { binary: "bin/x", args: [ ' + args + ' ] } }'))
        self.assertEqual(d.program[1], ["a" * 255] * 64)
        args = ", ".join(['""'] * 65)
        self.assertEqual(error_of('{ program: { binary: "bin/x", args: [ ' + args + ' ] } }'),
                         "t.cml:1:37: error: component 't': 'args' has 65 arguments (at most 64)")


class CommandLine(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_compiles_one_file(self):
        src = self.write("x.cml", '{ program: { binary: "bin/x" } }')
        out = os.path.join(self.dir, "out", "meta", "x.cm")
        r = run([src, "-o", out])
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        with open(out, "rb") as f:
            self.assertEqual(mcm_reader.read(f.read()).program, ("bin/x", []))

    def test_an_error_leaves_the_old_output_and_no_temporary_file(self):
        out = os.path.join(self.dir, "x.cm")
        with open(out, "wb") as f:
            f.write(b"old")
        src = self.write("x.cml", '{ program: { binary: "/bin/x" } }')
        r = run([src, "-o", out])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.count("\n"), 1)
        self.assertTrue(r.stderr.startswith(f"{src}:1:22: error: component 'x': invalid binary path"))
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"old")
        self.assertEqual(sorted(os.listdir(self.dir)), ["x.cm", "x.cml"])

    def test_out_dir_writes_the_whole_tree_or_nothing(self):
        root = self.write("src/root.cml", '{ children: [ { name: "a", manifest: "meta/a.cm" } ],'
                                          ' offer: [ { protocol: "p", from: "parent", to: [ "#a" ] } ] }')
        self.write("src/a.cml", '{ use: [ { protocol: "p" } ], children: [ { name: "b", manifest: "meta/b.cm" } ] }')
        self.write("src/b.cml", '{ use: [ { protocol: "p" } ] }')
        self.write("src/unused.cml", '{ bad')
        out = os.path.join(self.dir, "out")
        r = run([root, "--search", os.path.join(self.dir, "src"), "--out-dir", out])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f"{self.dir}/src/b.cml:1:22: error: component 'b': use of protocol 'p' from parent: "
                                   "broken hop a -> b: parent 'a' offers no protocol 'p' to child 'b'\n")
        self.assertFalse(os.path.exists(out))
        self.write("src/a.cml", '{ use: [ { protocol: "p" } ], children: [ { name: "b", manifest: "meta/b.cm" } ],'
                                ' offer: [ { protocol: "p", from: "parent", to: [ "#b" ] } ] }')
        r = run([root, "--search", os.path.join(self.dir, "src"), "--out-dir", out, "-o",
                 os.path.join(self.dir, "root-only.cm")])
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        # unused.cml is never read: only the tree under the root is.
        self.assertEqual(sorted(os.listdir(os.path.join(out, "meta"))), ["a.cm", "b.cm", "root.cm"])
        with open(os.path.join(out, "meta", "root.cm"), "rb") as f1, \
                open(os.path.join(self.dir, "root-only.cm"), "rb") as f2:
            self.assertEqual(f1.read(), f2.read())

    def test_renamed_routes_through_three_levels(self):
        root = self.write("root.cml", '{ children: [ { name: "mid", manifest: "meta/mid.cm" } ],'
                                      ' offer: [ { protocol: "a.Real", from: "parent", to: [ "#mid" ], as: "a.Mid" } ],'
                                      ' expose: [ { protocol: "x.Top", from: "#mid" } ] }')
        self.write("mid.cml", '{ children: [ { name: "leaf", manifest: "meta/leaf.cm" } ],'
                              ' offer: [ { protocol: "a.Mid", from: "parent", to: [ "#leaf" ], as: "a.Leaf" } ],'
                              ' expose: [ { protocol: "x.Leaf", from: "#leaf", as: "x.Top" } ] }')
        self.write("leaf.cml", '{ use: [ { protocol: "a.Leaf" } ], capabilities: [ { protocol: "x.Self" } ],'
                               ' expose: [ { protocol: "x.Self", from: "self", as: "x.Leaf" } ] }')
        r = run([root, "--search", self.dir, "--check"])
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_manifest_options_and_lists(self):
        root = self.write("r/top.cml", '{ children: [ { name: "a", manifest: "meta/other/name.cm" },'
                                       ' { name: "b", manifest: "meta/b.cm" } ] }')
        a = self.write("x/a.cml", "{}")
        b = self.write("y/b.cml", "{}")
        listing = self.write("list.txt", f"\n{b}\n")
        dep = os.path.join(self.dir, "top.d")
        out = os.path.join(self.dir, "top.cm")
        r = run([root, "-o", out, "--manifest", f"meta/other/name.cm={a}", "--manifest-list", listing,
                 "--depfile", dep])
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        with open(dep) as f:
            self.assertEqual(f.read(), f"{out}: {root} {listing} {a} {b}\n")
        r = run([root, "-o", out, "--manifest", a, "--manifest-list", listing])
        self.assertEqual(r.returncode, 1)
        self.assertIn("child 'a': manifest \"meta/other/name.cm\" is not among the manifests given", r.stderr)
        self.write("z/b.cml", "{}")
        r = run([root, "--check", "--manifest", f"meta/other/name.cm={a}", "--manifest-list", listing,
                 "--search", os.path.join(self.dir, "z")])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f"cmc: error: --search {self.dir}/z: two manifests for meta/b.cm: {b} and "
                                   f"{self.dir}/z/b.cml\n")

    def test_name_option_and_usage_errors(self):
        src = self.write("some file.cml", '{ program: 1 }')
        r = run([src, "--name", "shell", "--check"])
        self.assertEqual(r.stderr, f"{src}:1:12: error: component 'shell': 'program' must be an object, not a number\n")
        r = run([src, "--check"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("component name 'some file' is not 1 to 32 of a-z 0-9 _ -", r.stderr)
        r = run([src])
        self.assertEqual(r.returncode, 2)
        self.assertIn("nothing to do", r.stderr)
        r = run([self.write("ok.cml", "{}"), "--check", "--search", os.path.join(self.dir, "nodir")])
        self.assertEqual((r.returncode, r.stderr), (1, f"cmc: error: {self.dir}/nodir: No such file or directory\n"))
        r = run([self.write("ok.cml", "{}"), "--check", "--manifest-list", os.path.join(self.dir, "nolist")])
        self.assertEqual((r.returncode, r.stderr), (1, f"cmc: error: {self.dir}/nolist: No such file or directory\n"))
        r = run([self.write("ok.cml", "{}"), "-o", os.path.join(self.dir, "o.cm"), "--out-dir", self.dir])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--out-dir needs a set of manifests", r.stderr)
        r = run([os.path.join(self.dir, "missing.cml"), "--check"])
        self.assertEqual((r.returncode, r.stderr),
                         (1, f"cmc: error: {self.dir}/missing.cml: No such file or directory\n"))

    def test_stamp_written_only_on_success(self):
        good = self.write("good.cml", "{}")
        bad = self.write("bad.cml", "{ x: [] }")
        stamp = os.path.join(self.dir, "s.stamp")
        self.assertEqual(run([bad, "--check", "--stamp", stamp]).returncode, 1)
        self.assertFalse(os.path.exists(stamp))
        self.assertEqual(run([good, "--check", "--stamp", stamp]).returncode, 0)
        self.assertTrue(os.path.exists(stamp))


# ---------------------------------------------------------------------------
# The one-file-per-error cases, run in this process through cmc.main.


def expected(path: str) -> str:
    with open(path, "rb") as f:
        first = f.readline().decode("utf-8").rstrip("\n")
    tag = "// expect: "
    if not first.startswith(tag):
        raise AssertionError(f"{path} lacks '{tag}...' on its first line")
    return first[len(tag):]


def cmc_main(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(err):
        try:
            status = cmc.main(args)
        except SystemExit as e:  # argparse
            status = e.code
    return status, err.getvalue()


class BadFiles(unittest.TestCase):
    pass


class BadTrees(unittest.TestCase):
    pass


def _bad_file(name: str):
    def test(self):
        path = os.path.join(HERE, "bad", name + ".cml")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.cm")
            self.assertEqual(cmc_main([path, "-o", out]), (1, f"{path}:{expected(path)}\n"))
            self.assertEqual(os.listdir(tmp), [])
    return test


def _bad_tree(name: str):
    def test(self):
        d = os.path.join(HERE, "bad_tree", name)
        root = os.path.join(d, "root.cml")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.cm")
            self.assertEqual(cmc_main([root, "--search", d, "-o", out, "--out-dir", tmp]),
                             (1, f"{d}/{expected(root)}\n"))
            self.assertEqual(os.listdir(tmp), [])
            # Alone (no set of manifests) the root compiles: the error needs the tree.
            self.assertEqual(cmc_main([root, "-o", out]), (0, ""))
    return test


for _n in sorted(os.listdir(os.path.join(HERE, "bad"))):
    if _n.endswith(".cml"):
        setattr(BadFiles, "test_" + _n[:-4], _bad_file(_n[:-4]))
for _n in sorted(os.listdir(os.path.join(HERE, "bad_tree"))):
    setattr(BadTrees, "test_" + _n, _bad_tree(_n))

CLASSES = (BadFiles, BadTrees, Layout, RoundTrip, Corruption, MutatedText, Dump, Limits, CommandLine)


def all_tests() -> list[str]:
    names = []
    for cls in CLASSES:
        names += [f"{cls.__name__}.{n}" for n in unittest.TestLoader().getTestCaseNames(cls)]
    return names


def report() -> int:
    """Runs every test, printing `PASS name` or `FAIL name` + indented details."""
    module = sys.modules[__name__]
    for name in all_tests():
        result = unittest.TestResult()
        unittest.TestLoader().loadTestsFromName(name, module).run(result)
        if result.wasSuccessful():
            print(f"PASS {name}")
        else:
            print(f"FAIL {name}")
            for _, text in result.failures + result.errors:
                print("".join("  " + line + "\n" for line in text.splitlines()), end="")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        print("\n".join(all_tests()))
        sys.exit(0)
    if sys.argv[1:] == ["--report"]:
        sys.exit(report())
    unittest.main(argv=[sys.argv[0], "-q"] + (sys.argv[1:] or all_tests()), verbosity=1)
