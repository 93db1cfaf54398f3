#!/usr/bin/env python3
"""cmc: compiles Mica component manifests (text) into their binary form.

    cmc.py INPUT.cml -o OUTPUT.cm [--name NAME] [--depfile FILE]
    cmc.py --dump FILE.cm
    cmc.py ROOT.cml (--search DIR | --manifest [BOOTFS=]FILE
                     | --manifest-list FILE)... [-o OUTPUT.cm]
                     [--out-dir DIR] [--check] [--stamp FILE] [--depfile FILE]

The first form compiles one manifest with the checks that need nothing but
the file itself. Given a set of manifests (the second form) it also finds
every child's manifest in the set (`meta/<stem>.cm` is the file
`<stem>.cml`, or BOOTFS=FILE names it explicitly) and checks the whole tree
under INPUT: every `use` or `offer` from parent is offered by the parent,
every `offer`/`expose` from a child names something that child exposes.
`--out-dir DIR` writes every manifest of the tree to DIR/meta/<name>.cm.
`--dump` prints a compiled manifest as text (every key spelled out), which
compiles back to the same bytes.

The text format and the binary layout ("MCM1") are documented in
docs/components.md ("Manifests"). Errors are printed as
`FILE:LINE:COLUMN: error: component 'NAME': message` (the first error
found), the exit status is 1 and no output file is written or changed.
Python 3 standard library only, so the SDK can ship it as is.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import struct
import sys
import tempfile
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------
# The binary form (docs/components.md, "Binary form").

MAGIC = 0x314D434D  # "MCM1"
VERSION = 1
HEADER_SIZE = 12
KIND_PROGRAM, KIND_CHILD, KIND_COLLECTION, KIND_CAPABILITY, KIND_USE, KIND_OFFER, KIND_EXPOSE = range(1, 8)
CAP_KINDS = {"protocol": 1, "directory": 2}
REF_PARENT, REF_SELF, REF_CHILD, REF_FRAMEWORK = 1, 2, 3, 4
STARTUP = {"lazy": 0, "eager": 1}
ON_TERMINATE = {"restart": 0, "ignore": 1, "reboot": 2}
MAX_RECORDS_PER_KIND = 64
MAX_STRING = 255
MAX_PAYLOAD = 0xFFFF  # never reached: 64 args of 255 bytes make 16 KiB
MAX_BOOTFS_PATH = 103  # a bootfs name (docs/bootfs.md)
MAX_ARGS = 64  # the component manager's limit (cm::kMaxArgs)
MAX_DEPTH = 32  # objects and arrays inside each other (a manifest needs 4)

NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,100}\Z")  # protocol names are IDL names: log.Sink
CHILD_NAME_RE = re.compile(r"[a-z0-9_-]{1,32}\Z")
BOOTFS_COMPONENT_RE = re.compile(r"[A-Za-z0-9._-]+\Z")
PATH_COMPONENT_RE = re.compile(r"[A-Za-z0-9._-]+\Z")

DEFAULT_ON_TERMINATE_CHILD = "restart"
DEFAULT_ON_TERMINATE_COLLECTION = "ignore"


class CmcError(Exception):
    """One error: where (file, line, column), which component, what."""

    def __init__(self, path: str, line: int, col: int, component: str, message: str):
        super().__init__(message)
        self.path, self.line, self.col = path, line, col
        self.component, self.message = component, message

    def __str__(self) -> str:
        # One line whatever the manifest's strings hold: control characters escaped.
        message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in self.message)
        return f"{self.path}:{self.line}:{self.col}: error: component '{self.component}': {message}"


# ---------------------------------------------------------------------------
# Syntax: a JSON-like document of objects, arrays and strings.


@dataclass
class Pos:
    line: int
    col: int


@dataclass
class Node:
    pos: Pos


@dataclass
class Str(Node):
    value: str


@dataclass
class Literal(Node):
    """A number, true, false or null: valid syntax, never a valid value."""
    text: str


@dataclass
class Arr(Node):
    items: list


@dataclass
class Member:
    key: str
    key_pos: Pos
    value: Node


@dataclass
class Obj(Node):
    members: list  # of Member, in source order, keys unique

    def get(self, key: str):
        for m in self.members:
            if m.key == key:
                return m.value
        return None


def type_name(node: Node) -> str:
    if isinstance(node, Str):
        return "a string"
    if isinstance(node, Arr):
        return "an array"
    if isinstance(node, Obj):
        return "an object"
    if node.text in ("true", "false"):
        return "a boolean"
    if node.text == "null":
        return "null"
    return "a number"


_TOKEN_RE = re.compile(r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<punct>[{}\[\]:,])
  | (?P<string>")
  | (?P<number>-?[0-9][0-9A-Za-z_.+-]*)
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)
""", re.X)

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class Lexer:
    def __init__(self, path: str, component: str, text: str):
        self.path, self.component, self.text = path, component, text
        self.i = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def pos(self, i: int) -> Pos:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= i:
                lo = mid
            else:
                hi = mid - 1
        return Pos(lo + 1, i - self.line_starts[lo] + 1)

    def error(self, i_or_pos, message: str) -> CmcError:
        p = i_or_pos if isinstance(i_or_pos, Pos) else self.pos(i_or_pos)
        return CmcError(self.path, p.line, p.col, self.component, message)

    def tokens(self):
        """(kind, value, start index): punct, string, number, ident, eof."""
        text, n = self.text, len(self.text)
        while self.i < n:
            m = _TOKEN_RE.match(text, self.i)
            if m is None:
                c = text[self.i]
                shown = repr(c) if c.isprintable() else f"U+{ord(c):04X}"
                raise self.error(self.i, f"unexpected character {shown}")
            kind, start = m.lastgroup, self.i
            if kind == "ws" or kind == "line_comment":
                self.i = m.end()
            elif kind == "block_comment":
                end = text.find("*/", start + 2)
                if end < 0:
                    raise self.error(start, "unterminated comment (missing '*/')")
                self.i = end + 2
            elif kind == "string":
                value, self.i = self.string(start)
                yield ("string", value, start)
            else:
                self.i = m.end()
                yield (kind, m.group(), start)
        yield ("eof", "", n)

    def string(self, start: int) -> tuple[str, int]:
        text, i, out = self.text, start + 1, []
        while True:
            if i >= len(text) or text[i] == "\n":
                raise self.error(start, "unterminated string")
            c = text[i]
            if c == '"':
                return "".join(out), i + 1
            if c == "\\":
                e = text[i + 1] if i + 1 < len(text) else ""
                if e in _ESCAPES:
                    out.append(_ESCAPES[e])
                    i += 2
                    continue
                if e == "u":
                    code, i2 = self.hex4(i)
                    if 0xD800 <= code < 0xDC00 and text[i2:i2 + 2] == "\\u":
                        low, i3 = self.hex4(i2)
                        if 0xDC00 <= low < 0xE000:
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            i2 = i3
                    if 0xD800 <= code < 0xE000:
                        raise self.error(i, "\\u escape of a lone surrogate (not UTF-8)")
                    if code == 0:
                        raise self.error(i, "NUL character in a string")
                    out.append(chr(code))
                    i = i2
                    continue
                raise self.error(i, "bad escape in string (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            if ord(c) < 0x20 or c == "\x7f":
                raise self.error(i, f"control character U+{ord(c):04X} in a string (use an escape)")
            out.append(c)
            i += 1

    def hex4(self, i: int) -> tuple[int, int]:
        digits = self.text[i + 2:i + 6]
        if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
            raise self.error(i, "\\u needs four hex digits")
        return int(digits, 16), i + 6


class Parser:
    def __init__(self, lexer: Lexer):
        self.lx = lexer
        self.depth = 0
        self.toks = lexer.tokens()
        self.advance()

    def advance(self) -> None:
        self.tok = next(self.toks)

    def describe(self) -> str:
        kind, value, _ = self.tok
        if kind == "eof":
            return "the end of the file"
        if kind == "string":
            return "a string"
        return f"'{value}'"

    def fail(self, expected: str) -> CmcError:
        return self.lx.error(self.tok[2], f"expected {expected}, found {self.describe()}")

    def document(self) -> Obj:
        if self.tok[0] != "punct" or self.tok[1] != "{":
            raise self.fail("'{' (a manifest is one object)")
        obj = self.value()
        if self.tok[0] != "eof":
            raise self.fail("the end of the file after the manifest's closing '}'")
        return obj

    def value(self) -> Node:
        kind, v, start = self.tok
        p = self.lx.pos(start)
        if kind == "string":
            self.advance()
            return Str(p, v)
        if kind == "number" or (kind == "ident" and v in ("true", "false", "null")):
            self.advance()
            return Literal(p, v)
        if kind == "ident":
            raise self.lx.error(start, f"expected a value, found '{v}' (strings are double-quoted)")
        if kind == "punct" and v in "{[":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.lx.error(start, f"nested deeper than {MAX_DEPTH} levels")
            self.advance()
            node = self.obj(p) if v == "{" else self.arr(p)
            self.depth -= 1
            return node
        raise self.fail("a value")

    def obj(self, p: Pos) -> Obj:
        members: list[Member] = []
        seen: dict[str, Pos] = {}
        while not (self.tok[0] == "punct" and self.tok[1] == "}"):
            kind, key, start = self.tok
            if kind not in ("ident", "string"):
                raise self.fail("a key or '}'")
            kp = self.lx.pos(start)
            if key in seen:
                first = seen[key]
                raise self.lx.error(kp, f"key '{key}' given twice (first at {first.line}:{first.col})")
            seen[key] = kp
            self.advance()
            if self.tok[0] != "punct" or self.tok[1] != ":":
                raise self.fail(f"':' after key '{key}'")
            self.advance()
            members.append(Member(key, kp, self.value()))
            if self.tok[0] == "punct" and self.tok[1] == ",":
                self.advance()
            elif not (self.tok[0] == "punct" and self.tok[1] == "}"):
                raise self.fail("',' or '}'")
        self.advance()
        return Obj(p, members)

    def arr(self, p: Pos) -> Arr:
        items: list[Node] = []
        while not (self.tok[0] == "punct" and self.tok[1] == "]"):
            items.append(self.value())
            if self.tok[0] == "punct" and self.tok[1] == ",":
                self.advance()
            elif not (self.tok[0] == "punct" and self.tok[1] == "]"):
                raise self.fail("',' or ']'")
        self.advance()
        return Arr(p, items)


# ---------------------------------------------------------------------------
# The manifest model.


@dataclass
class Ref:
    kind: int  # REF_*
    name: str  # child name for REF_CHILD, else ""
    pos: Pos


@dataclass
class Program:
    binary: str
    args: list


@dataclass
class Child:
    name: str
    manifest: str
    startup: str
    on_terminate: str
    pos: Pos  # of the name
    manifest_pos: Pos


@dataclass
class Collection:
    name: str
    on_terminate: str
    pos: Pos


@dataclass
class Capability:
    kind: str  # "protocol" | "directory"
    name: str
    pos: Pos


@dataclass
class Use:
    kind: str
    name: str
    source: Ref
    path: str
    pos: Pos  # of the capability's name
    path_pos: Pos


@dataclass
class Offer:
    kind: str
    name: str
    source: Ref
    to: str
    to_pos: Pos
    target: str  # `as`, or the name
    pos: Pos


@dataclass
class Expose:
    kind: str
    name: str
    source: Ref
    target: str
    pos: Pos


@dataclass
class Manifest:
    path: str
    component: str
    program: Program | None = None
    children: list = field(default_factory=list)
    collections: list = field(default_factory=list)
    capabilities: list = field(default_factory=list)
    uses: list = field(default_factory=list)
    offers: list = field(default_factory=list)
    exposes: list = field(default_factory=list)

    def child(self, name: str):
        for c in self.children:
            if c.name == name:
                return c
        return None

    def collection(self, name: str):
        for c in self.collections:
            if c.name == name:
                return c
        return None


# ---------------------------------------------------------------------------
# From the syntax tree to the model, with the per-file checks.

TOP_KEYS = ("program", "children", "collections", "capabilities", "use", "offer", "expose")
PROGRAM_KEYS = ("binary", "args")
CHILD_KEYS = ("name", "manifest", "startup", "on_terminate")
COLLECTION_KEYS = ("name", "on_terminate")
CAPABILITY_KEYS = ("protocol", "directory")
USE_KEYS = ("protocol", "directory", "from", "path")
OFFER_KEYS = ("protocol", "directory", "from", "to", "as")
EXPOSE_KEYS = ("protocol", "directory", "from", "as")


def valid_bootfs_path(path: str) -> bool:
    if not path or len(path) > MAX_BOOTFS_PATH:
        return False
    return all(BOOTFS_COMPONENT_RE.match(c) and c not in (".", "..") for c in path.split("/"))


def valid_namespace_path(path: str) -> bool:
    if not path.startswith("/") or len(path.encode()) > MAX_STRING or path == "/":
        return False
    return all(PATH_COMPONENT_RE.match(c) and c not in (".", "..") for c in path[1:].split("/"))


class Checker:
    def __init__(self, path: str, component: str):
        self.path, self.component = path, component
        self.m = Manifest(path, component)

    def error(self, pos: Pos, message: str) -> CmcError:
        return CmcError(self.path, pos.line, pos.col, self.component, message)

    # -- shapes -------------------------------------------------------------

    def obj(self, node: Node, what: str, keys: tuple) -> Obj:
        if not isinstance(node, Obj):
            raise self.error(node.pos, f"{what} must be an object, not {type_name(node)}")
        for mem in node.members:
            if mem.key not in keys:
                close = difflib.get_close_matches(mem.key, keys, n=1)
                hint = f", did you mean '{close[0]}'?" if close else ""
                raise self.error(mem.key_pos, f"unknown key '{mem.key}' in {what}{hint} (known: {', '.join(keys)})")
        return node

    def array(self, node: Node, what: str) -> Arr:
        if not isinstance(node, Arr):
            raise self.error(node.pos, f"'{what}' must be an array, not {type_name(node)}")
        return node

    def string(self, node: Node, what: str) -> Str:
        if not isinstance(node, Str):
            raise self.error(node.pos, f"'{what}' must be a string, not {type_name(node)}")
        return node

    def required(self, obj: Obj, key: str, what: str) -> Node:
        node = obj.get(key)
        if node is None:
            raise self.error(obj.pos, f"{what} is missing required key '{key}'")
        return node

    def enum(self, node: Node | None, key: str, values: dict, default: str) -> str:
        if node is None:
            return default
        s = self.string(node, key)
        if s.value not in values:
            shown = ", ".join(f'"{v}"' for v in values)
            close = difflib.get_close_matches(s.value, list(values), n=1)
            hint = f" (did you mean \"{close[0]}\"?)" if close else ""
            raise self.error(s.pos, f"'{key}' must be one of {shown}, not \"{s.value}\"{hint}")
        return s.value

    def entries(self, root: Obj, key: str) -> list:
        node = root.get(key)
        if node is None:
            return []
        return self.array(node, key).items

    # -- names --------------------------------------------------------------

    def check_cap_name(self, s: Str, kind: str) -> None:
        if not NAME_RE.match(s.value):
            raise self.error(s.pos, f"invalid {kind} name \"{s.value}\" (1 to 100 of A-Z a-z 0-9 _ . -)")

    def check_child_name(self, s: Str, what: str) -> None:
        if not CHILD_NAME_RE.match(s.value):
            raise self.error(s.pos, f"invalid {what} name \"{s.value}\" (1 to 32 of a-z 0-9 _ -)")

    def cap_names(self, obj: Obj, what: str) -> tuple[str, list]:
        """The capability kind and its names (Str nodes) of a use/offer/expose/capability entry."""
        proto, directory = obj.get("protocol"), obj.get("directory")
        if proto is not None and directory is not None:
            raise self.error(obj.get("directory").pos, f"{what} names both a protocol and a directory (one per entry)")
        if proto is None and directory is None:
            raise self.error(obj.pos, f"{what} needs 'protocol' or 'directory'")
        kind = "protocol" if proto is not None else "directory"
        node = proto if proto is not None else directory
        if kind == "protocol" and isinstance(node, Arr):
            if not node.items:
                raise self.error(node.pos, f"empty protocol list in {what}")
            for item in node.items:
                if not isinstance(item, Str):
                    raise self.error(item.pos, f"'protocol' list items must be strings, not {type_name(item)}")
            names = node.items
        elif not isinstance(node, Str):
            shape = "a string or an array of strings" if kind == "protocol" else "a string"
            raise self.error(node.pos, f"'{kind}' must be {shape}, not {type_name(node)}")
        else:
            names = [node]
        for s in names:
            self.check_cap_name(s, kind)
        return kind, names

    def ref(self, node: Node, allowed: tuple, what: str) -> Ref:
        s = self.string(node, "from")
        v = s.value
        if v.startswith("#"):
            if "child" in allowed:
                self.check_child_name(Str(s.pos, v[1:]), "child")
                return Ref(REF_CHILD, v[1:], s.pos)
        else:
            simple = {"parent": REF_PARENT, "self": REF_SELF, "framework": REF_FRAMEWORK}
            if v in simple and v in allowed:
                return Ref(simple[v], "", s.pos)
        shown = ", ".join('"#<child>"' if a == "child" else f'"{a}"' for a in allowed)
        raise self.error(s.pos, f"{what} from \"{v}\": 'from' must be one of {shown}")

    # -- sections -----------------------------------------------------------

    def run(self, root: Obj) -> Manifest:
        self.obj(root, "the manifest", TOP_KEYS)
        if (node := root.get("program")) is not None:
            self.program(node)
        for key, fn in (("children", self.child), ("collections", self.collection),
                        ("capabilities", self.capability), ("use", self.use), ("offer", self.offer),
                        ("expose", self.expose)):
            for item in self.entries(root, key):
                fn(item)
        self.check_limits(root)
        self.check_routes()
        self.check_cycles()
        return self.m

    def program(self, node: Node) -> None:
        obj = self.obj(node, "'program'", PROGRAM_KEYS)
        binary = self.string(self.required(obj, "binary", "'program'"), "binary")
        if not valid_bootfs_path(binary.value):
            raise self.error(binary.pos, f"invalid binary path \"{binary.value}\" (a relative bootfs path of at most "
                                         f"{MAX_BOOTFS_PATH} bytes, components of A-Z a-z 0-9 . _ -, e.g. "
                                         f"\"bin/shell\")")
        args = []
        if (a := obj.get("args")) is not None:
            items = self.array(a, "args").items
            if len(items) > MAX_ARGS:
                raise self.error(a.pos, f"'args' has {len(items)} arguments (at most {MAX_ARGS})")
            for item in items:
                if not isinstance(item, Str):
                    raise self.error(item.pos, f"'args' items must be strings, not {type_name(item)}")
                s = item
                if len(s.value.encode()) > MAX_STRING:
                    raise self.error(s.pos, f"argument of {len(s.value.encode())} bytes (at most {MAX_STRING})")
                args.append(s.value)
        self.m.program = Program(binary.value, args)

    def child(self, node: Node) -> None:
        obj = self.obj(node, "a child", CHILD_KEYS)
        name = self.string(self.required(obj, "name", "a child"), "name")
        self.check_child_name(name, "child")
        manifest = self.string(self.required(obj, "manifest", f"child '{name.value}'"), "manifest")
        if not valid_bootfs_path(manifest.value) or not manifest.value.endswith(".cm"):
            raise self.error(manifest.pos, f"child '{name.value}': invalid manifest path \"{manifest.value}\" (a "
                                           f"bootfs path ending in .cm, e.g. \"meta/{name.value}.cm\")")
        self.unique_child_name(name)
        startup = self.enum(obj.get("startup"), "startup", STARTUP, "lazy")
        on_term = self.enum(obj.get("on_terminate"), "on_terminate", ON_TERMINATE, DEFAULT_ON_TERMINATE_CHILD)
        self.m.children.append(Child(name.value, manifest.value, startup, on_term, name.pos, manifest.pos))

    def unique_child_name(self, name: Str) -> None:
        for c in self.m.children:
            if c.name == name.value:
                raise self.error(name.pos, f"duplicate child name '{name.value}' (first at {c.pos.line}:{c.pos.col})")

    def collection(self, node: Node) -> None:
        obj = self.obj(node, "a collection", COLLECTION_KEYS)
        name = self.string(self.required(obj, "name", "a collection"), "name")
        self.check_child_name(name, "collection")
        for c in self.m.collections:
            if c.name == name.value:
                raise self.error(name.pos, f"duplicate collection name '{name.value}' (first at "
                                           f"{c.pos.line}:{c.pos.col})")
        for c in self.m.children:
            if c.name == name.value:
                raise self.error(name.pos, f"duplicate name '{name.value}': a child has it (at "
                                           f"{c.pos.line}:{c.pos.col})")
        on_term = self.enum(obj.get("on_terminate"), "on_terminate", ON_TERMINATE, DEFAULT_ON_TERMINATE_COLLECTION)
        self.m.collections.append(Collection(name.value, on_term, name.pos))

    def capability(self, node: Node) -> None:
        obj = self.obj(node, "a capability", CAPABILITY_KEYS)
        kind, names = self.cap_names(obj, "a capability")
        for s in names:
            for c in self.m.capabilities:
                if c.name == s.value:
                    raise self.error(s.pos, f"duplicate capability '{s.value}' (first at {c.pos.line}:{c.pos.col})")
            self.m.capabilities.append(Capability(kind, s.value, s.pos))

    def use(self, node: Node) -> None:
        obj = self.obj(node, "a use", USE_KEYS)
        kind, names = self.cap_names(obj, "a use")
        source = Ref(REF_PARENT, "", obj.pos)
        if (f := obj.get("from")) is not None:
            source = self.ref(f, ("parent", "framework"), f"use of {kind} '{names[0].value}'")
        path_node = obj.get("path")
        if path_node is not None:
            p = self.string(path_node, "path")
            if len(names) > 1:
                raise self.error(p.pos, "'path' cannot be given for a list of protocols (each gets /svc/<name>)")
            if not valid_namespace_path(p.value):
                raise self.error(p.pos, f"use of {kind} '{names[0].value}': invalid path \"{p.value}\" (absolute, "
                                        f"components of A-Z a-z 0-9 . _ -, at most {MAX_STRING} bytes)")
        for s in names:
            path = path_node.value if path_node is not None else f"/svc/{s.value}"
            ppos = path_node.pos if path_node is not None else s.pos
            if not valid_namespace_path(path):
                raise self.error(s.pos, f"use of {kind} '{s.value}': the default path {path} is not a valid path "
                                        f"(give 'path')")
            for u in self.m.uses:
                if u.kind == kind and u.name == s.value:
                    raise self.error(s.pos, f"{kind} '{s.value}' used twice (first at {u.pos.line}:{u.pos.col})")
                if u.path == path:
                    raise self.error(ppos, f"use of {kind} '{s.value}': path {path} already used by {u.kind} "
                                           f"'{u.name}' (at {u.pos.line}:{u.pos.col})")
            for u in self.m.uses:
                if path.startswith(u.path + "/") or u.path.startswith(path + "/"):
                    raise self.error(ppos, f"use of {kind} '{s.value}': path {path} overlaps {u.path} of {u.kind} "
                                           f"'{u.name}' (at {u.pos.line}:{u.pos.col})")
            self.m.uses.append(Use(kind, s.value, source, path, s.pos, ppos))

    def target(self, obj: Obj, names: list, what: str) -> Str | None:
        node = obj.get("as")
        if node is None:
            return None
        s = self.string(node, "as")
        if len(names) > 1:
            raise self.error(s.pos, f"'as' cannot rename a list of protocols ({what} one protocol per entry to rename "
                                    f"it)")
        return s

    def offer(self, node: Node) -> None:
        obj = self.obj(node, "an offer", OFFER_KEYS)
        kind, names = self.cap_names(obj, "an offer")
        what = f"offer of {kind} '{names[0].value}'"
        source = self.ref(self.required(obj, "from", what), ("parent", "self", "child"), what)
        to_node = self.array(self.required(obj, "to", what), "to")
        if not to_node.items:
            raise self.error(to_node.pos, f"{what}: 'to' is empty (name at least one \"#child\")")
        targets = []
        for item in to_node.items:
            if not isinstance(item, Str):
                raise self.error(item.pos, f"'to' items must be strings, not {type_name(item)}")
            if not item.value.startswith("#"):
                raise self.error(item.pos, f"{what}: 'to' items must be \"#child\" or \"#collection\", not "
                                           f"\"{item.value}\"")
            self.check_child_name(Str(item.pos, item.value[1:]), "child")
            targets.append(item)
        as_node = self.target(obj, names, "offer")
        if as_node is not None:
            self.check_cap_name(as_node, kind)
        for s in names:
            tname = as_node.value if as_node is not None else s.value
            for t in targets:
                to = t.value[1:]
                sink = "collection" if self.m.collection(to) is not None else "child"
                for o in self.m.offers:
                    if o.to == to and o.target == tname:
                        raise self.error(as_node.pos if as_node is not None else t.pos,
                                         f"offer of {kind} '{s.value}': {sink} '{to}' is already offered "
                                         f"'{tname}' (at {o.pos.line}:{o.pos.col})")
                self.m.offers.append(Offer(kind, s.value, source, to, t.pos, tname, s.pos))

    def expose(self, node: Node) -> None:
        obj = self.obj(node, "an expose", EXPOSE_KEYS)
        kind, names = self.cap_names(obj, "an expose")
        what = f"expose of {kind} '{names[0].value}'"
        source = self.ref(self.required(obj, "from", what), ("self", "child"), what)
        as_node = self.target(obj, names, "expose")
        if as_node is not None:
            self.check_cap_name(as_node, kind)
        for s in names:
            tname = as_node.value if as_node is not None else s.value
            tpos = as_node.pos if as_node is not None else s.pos
            for e in self.m.exposes:
                if e.target == tname:
                    raise self.error(tpos, f"expose of {kind} '{s.value}': '{tname}' is already exposed (at "
                                           f"{e.pos.line}:{e.pos.col})")
            self.m.exposes.append(Expose(kind, s.value, source, tname, s.pos))

    # -- whole-file checks ----------------------------------------------------

    def check_limits(self, root: Obj) -> None:
        for key, items in (("children", self.m.children), ("collections", self.m.collections),
                           ("capabilities", self.m.capabilities), ("use", self.m.uses),
                           ("offer", self.m.offers), ("expose", self.m.exposes)):
            if len(items) > MAX_RECORDS_PER_KIND:
                raise self.error(root.get(key).pos, f"'{key}' makes {len(items)} records (at most "
                                                    f"{MAX_RECORDS_PER_KIND})")

    def check_source(self, kind: str, name: str, source: Ref, pos: Pos, what: str) -> None:
        if source.kind == REF_CHILD:
            if self.m.child(source.name) is None:
                if self.m.collection(source.name) is not None:
                    raise self.error(source.pos, f"{what} from \"#{source.name}\": '{source.name}' is a collection; "
                                                 f"capabilities come from children")
                raise self.error(source.pos, f"{what} from \"#{source.name}\": there is no child '{source.name}'"
                                             + self.hint(source.name, [c.name for c in self.m.children]))
        elif source.kind == REF_SELF:
            for c in self.m.capabilities:
                if c.name == name and c.kind == kind:
                    return
            raise self.error(pos, f"{what} from self: {kind} '{name}' is not declared in 'capabilities'")

    @staticmethod
    def hint(name: str, names: list) -> str:
        close = difflib.get_close_matches(name, names, n=1)
        return f" (did you mean '#{close[0]}'?)" if close else ""

    def check_routes(self) -> None:
        for o in self.m.offers:
            what = f"offer of {o.kind} '{o.name}'"
            self.check_source(o.kind, o.name, o.source, o.pos, what)
            if self.m.child(o.to) is None and self.m.collection(o.to) is None:
                raise self.error(o.to_pos, f"{what} to \"#{o.to}\": there is no child or collection '{o.to}'"
                                 + self.hint(o.to, [c.name for c in self.m.children + self.m.collections]))
            if o.source.kind == REF_CHILD and o.source.name == o.to:
                raise self.error(o.to_pos, f"{what}: offered from child '{o.to}' back to itself (a cycle)")
        for e in self.m.exposes:
            self.check_source(e.kind, e.name, e.source, e.pos, f"expose of {e.kind} '{e.name}'")

    def check_cycles(self) -> None:
        """An offer from child B to child A makes A depend on B: no cycles.
        Reported at the `from` of the offer that closes the first cycle found
        (children and offers in source order)."""
        edges: dict[str, list] = {}
        for o in self.m.offers:
            if o.source.kind == REF_CHILD and self.m.child(o.to) is not None:
                edges.setdefault(o.to, []).append(o)
        done: set[str] = set()

        def visit(node: str, path: list) -> None:
            path.append(node)
            for o in edges.get(node, []):
                nxt = o.source.name
                if nxt in path:
                    chain = " -> ".join(f"#{n}" for n in path[path.index(nxt):] + [nxt])
                    raise self.error(o.source.pos, f"offer of {o.kind} '{o.name}' from \"#{nxt}\" to \"#{node}\" "
                                                   f"closes a cycle between children: {chain} (each is offered a "
                                                   f"capability by the next)")
                if nxt not in done:
                    visit(nxt, path)
            path.pop()
            done.add(node)

        for c in self.m.children:
            if c.name not in done:
                visit(c.name, [])


def parse_manifest(path: str, component: str, data: bytes) -> Manifest:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        head = data[:e.start]
        line = head.count(b"\n") + 1
        col = len(head[head.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise CmcError(path, line, col, component, "the file is not UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    root = Parser(Lexer(path, component, text)).document()
    return Checker(path, component).run(root)


# ---------------------------------------------------------------------------
# Encoding.


def enc_str(s: str) -> bytes:
    b = s.encode("utf-8")
    assert len(b) <= MAX_STRING
    return struct.pack("<H", len(b)) + b


def ref_bytes(r: Ref) -> bytes:
    return struct.pack("<B", r.kind) + enc_str(r.name)


def encode(m: Manifest) -> bytes:
    records: list[tuple[int, bytes]] = []
    if m.program is not None:
        p = enc_str(m.program.binary) + struct.pack("<H", len(m.program.args))
        p += b"".join(enc_str(a) for a in m.program.args)
        records.append((KIND_PROGRAM, p))
    for c in m.children:
        records.append((KIND_CHILD, enc_str(c.name) + enc_str(c.manifest)
                        + struct.pack("<BB", STARTUP[c.startup], ON_TERMINATE[c.on_terminate])))
    for c in m.collections:
        records.append((KIND_COLLECTION, enc_str(c.name) + struct.pack("<B", ON_TERMINATE[c.on_terminate])))
    for c in m.capabilities:
        records.append((KIND_CAPABILITY, struct.pack("<B", CAP_KINDS[c.kind]) + enc_str(c.name)))
    for u in m.uses:
        records.append((KIND_USE, struct.pack("<B", CAP_KINDS[u.kind]) + enc_str(u.name)
                        + ref_bytes(u.source) + enc_str(u.path)))
    for o in m.offers:
        records.append((KIND_OFFER, struct.pack("<B", CAP_KINDS[o.kind]) + enc_str(o.name)
                        + ref_bytes(o.source) + enc_str(o.to) + enc_str(o.target)))
    for e in m.exposes:
        records.append((KIND_EXPOSE, struct.pack("<B", CAP_KINDS[e.kind]) + enc_str(e.name)
                        + ref_bytes(e.source) + enc_str(e.target)))
    body = bytearray()
    for kind, payload in records:
        assert len(payload) <= MAX_PAYLOAD
        body += struct.pack("<HH", kind, len(payload)) + payload
        body += b"\0" * (-len(body) % 4)
    total = HEADER_SIZE + len(body)
    return struct.pack("<IHHI", MAGIC, VERSION, len(records), total) + bytes(body)


# ---------------------------------------------------------------------------
# Sets of manifests and the whole-tree checks.


def component_name(bootfs_path: str) -> str:
    """meta/shell.cm -> shell; a source file shell.cml -> shell."""
    base = os.path.basename(bootfs_path)
    for ext in (".cml", ".cm"):
        if base.endswith(ext):
            return base[: -len(ext)]
    return base


class ManifestSet:
    """Bootfs path (meta/<name>.cm) -> source file; parsed on demand."""

    def __init__(self):
        self.files: dict[str, str] = {}
        self.parsed: dict[str, Manifest] = {}
        self.read: list[str] = []

    def add(self, spec: str, origin: str) -> None:
        if "=" in spec:
            bootfs, _, path = spec.partition("=")
        else:
            path = spec
            bootfs = f"meta/{component_name(path)}.cm"
        old = self.files.get(bootfs)
        if old is not None and os.path.abspath(old) != os.path.abspath(path):
            raise UsageError(f"{origin}: two manifests for {bootfs}: {old} and {path}")
        self.files[bootfs] = path

    def add_dir(self, directory: str) -> None:
        try:
            names = sorted(os.listdir(directory))
        except OSError as e:
            raise UsageError(f"{directory}: {e.strerror}") from None
        for n in names:
            if n.endswith(".cml"):
                self.add(os.path.join(directory, n), f"--search {directory}")

    def load(self, bootfs: str) -> Manifest:
        if bootfs not in self.parsed:
            path = self.files[bootfs]
            self.parsed[bootfs] = load_file(path, component_name(bootfs))
            self.read.append(path)
        return self.parsed[bootfs]


class UsageError(Exception):
    pass


def load_file(path: str, component: str) -> Manifest:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    return parse_manifest(path, component, data)


def close_hint(name: str, names: list) -> str:
    close = difflib.get_close_matches(name, sorted(names), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_tree(root: Manifest, mset: ManifestSet) -> list[tuple[str, Manifest]]:
    """Walks the tree under `root`; returns (bootfs path, manifest) of every
    component below it, each once, in a depth-first order."""
    found: list[tuple[str, Manifest]] = []
    seen: set[str] = set()

    def err(m: Manifest, pos: Pos, message: str) -> CmcError:
        return CmcError(m.path, pos.line, pos.col, m.component, message)

    def child_manifest(parent: Manifest, c: Child) -> Manifest:
        if c.manifest not in mset.files:
            raise err(parent, c.manifest_pos, f"child '{c.name}': manifest \"{c.manifest}\" is not among the manifests "
                                              f"given")
        return mset.load(c.manifest)

    def walk(m: Manifest, chain: list[str]) -> None:
        for c in m.children:
            if c.manifest in chain:
                loop = " -> ".join(chain + [c.manifest])
                raise err(m, c.manifest_pos, f"child '{c.name}': manifest \"{c.manifest}\" contains itself ({loop})")
            cm = child_manifest(m, c)
            check_hop(m, c, cm)
            if c.manifest not in seen:
                seen.add(c.manifest)
                found.append((c.manifest, cm))
            walk(cm, chain + [c.manifest])
        for o in m.offers + m.exposes:
            if o.source.kind == REF_CHILD:
                c = m.child(o.source.name)
                cm = child_manifest(m, c)
                if not any(e.target == o.name and e.kind == o.kind for e in cm.exposes):
                    verb = "offer" if isinstance(o, Offer) else "expose"
                    raise err(m, o.pos, f"{verb} of {o.kind} '{o.name}' from \"#{c.name}\": child '{c.name}' "
                                        f"({c.manifest}) exposes no {o.kind} '{o.name}'"
                                        + close_hint(o.name, [e.target for e in cm.exposes if e.kind == o.kind]))

    def check_hop(parent: Manifest, c: Child, child: Manifest) -> None:
        offered = {(o.kind, o.target) for o in parent.offers if o.to == c.name}
        needs = [(u, "use") for u in child.uses if u.source.kind == REF_PARENT]
        needs += [(o, "offer") for o in child.offers if o.source.kind == REF_PARENT]
        for r, verb in sorted(needs, key=lambda n: (n[0].pos.line, n[0].pos.col)):
            if (r.kind, r.name) not in offered:
                hint = close_hint(r.name, [t for k, t in offered if k == r.kind])
                raise err(child, r.pos, f"{verb} of {r.kind} '{r.name}' from parent: broken hop {parent.component} -> "
                                        f"{c.name}: parent '{parent.component}' offers no {r.kind} '{r.name}' to child "
                                        f"'{c.name}'{hint}")

    walk(root, [f"meta/{root.component}.cm"])
    return found


# ---------------------------------------------------------------------------
# --dump: a binary manifest back to text (for people; it compiles back to the
# same bytes). Refuses what the reader rules refuse (docs/components.md).


class DumpError(Exception):
    pass


def dump(data: bytes) -> str:
    def bad(at: int, why: str) -> DumpError:
        return DumpError(f"offset {at}: {why}")

    if len(data) < HEADER_SIZE:
        raise bad(0, f"{len(data)} bytes, shorter than the header")
    magic, version, count, total = struct.unpack_from("<IHHI", data, 0)
    if magic != MAGIC:
        raise bad(0, f"bad magic 0x{magic:08x}")
    if version != VERSION:
        raise bad(4, f"version {version}")
    if total != len(data):
        raise bad(8, f"total_size {total} but the file has {len(data)} bytes")
    kinds = {KIND_PROGRAM: "program", KIND_CHILD: "children", KIND_COLLECTION: "collections",
             KIND_CAPABILITY: "capabilities", KIND_USE: "use", KIND_OFFER: "offer", KIND_EXPOSE: "expose"}
    sections: dict[str, list] = {}
    cap_names = {v: k for k, v in CAP_KINDS.items()}
    off, last = HEADER_SIZE, 0
    for _ in range(count):
        if off + 4 > total:
            raise bad(off, "a record runs past the end")
        kind, plen = struct.unpack_from("<HH", data, off)
        if kind not in kinds:
            raise bad(off, f"unknown record kind {kind}")
        if kind < last or (kind == KIND_PROGRAM and last == KIND_PROGRAM):
            raise bad(off, "records out of order (or a second program)")
        if len(sections.get(kinds[kind], ())) == MAX_RECORDS_PER_KIND:
            raise bad(off, f"more than {MAX_RECORDS_PER_KIND} {kinds[kind]} records")
        last = kind
        end = off + 4 + plen
        padded = (end + 3) & ~3
        if padded > total or any(data[end:padded]):
            raise bad(off, "a record runs past the end or its padding is not zero")
        at = off + 4

        def take(n: int) -> bytes:
            nonlocal at
            if at + n > end:
                raise bad(at, "a field runs past its record")
            at += n
            return data[at - n:at]

        def u8(table) -> int:
            v = take(1)[0]
            if v not in table:
                raise bad(at - 1, f"unknown enum value {v}")
            return v

        def text() -> str:
            n = struct.unpack("<H", take(2))[0]
            if n > MAX_STRING:
                raise bad(at - 2, f"a string of {n} bytes")
            try:
                v = take(n).decode("utf-8")
            except UnicodeDecodeError:
                raise bad(at - n, "a string not UTF-8") from None
            if "\0" in v:
                raise bad(at - n, "NUL in a string")
            return v

        def source(allowed: tuple) -> str:
            k = u8(allowed)
            name = text()
            if (k == REF_CHILD) != (name != ""):
                raise bad(at, "a source name that does not fit its kind")
            return f"#{name}" if k == REF_CHILD else {REF_PARENT: "parent", REF_SELF: "self",
                                                      REF_FRAMEWORK: "framework"}[k]

        term = {v: k for k, v in ON_TERMINATE.items()}
        if kind == KIND_PROGRAM:
            binary = text()
            args = [text() for _ in range(struct.unpack("<H", take(2))[0])]
            entry = [("binary", binary), ("args", args)]
        elif kind == KIND_CHILD:
            name, manifest = text(), text()
            startup = {v: k for k, v in STARTUP.items()}[u8({v: k for k, v in STARTUP.items()})]
            entry = [("name", name), ("manifest", manifest), ("startup", startup),
                     ("on_terminate", term[u8(term)])]
        elif kind == KIND_COLLECTION:
            entry = [("name", text()), ("on_terminate", term[u8(term)])]
        elif kind == KIND_CAPABILITY:
            entry = [(cap_names[u8(cap_names)], text())]
        elif kind == KIND_USE:
            entry = [(cap_names[u8(cap_names)], text()), ("from", source((REF_PARENT, REF_FRAMEWORK))),
                     ("path", text())]
        elif kind == KIND_OFFER:
            entry = [(cap_names[u8(cap_names)], text()), ("from", source((REF_PARENT, REF_SELF, REF_CHILD))),
                     ("to", ["#" + text()]), ("as", text())]
        else:
            entry = [(cap_names[u8(cap_names)], text()), ("from", source((REF_SELF, REF_CHILD))),
                     ("as", text())]
        if at != end:
            raise bad(at, f"{end - at} bytes left in a record")
        sections.setdefault(kinds[kind], []).append(entry)
        off = padded
    if off != total:
        raise bad(off, f"{total - off} bytes after the last record")

    def q(v: str) -> str:
        out = []
        for c in v:
            if c in '"\\':
                out.append("\\" + c)
            elif ord(c) < 0x20 or c == "\x7f":
                out.append(f"\\u{ord(c):04x}")
            else:
                out.append(c)
        return '"' + "".join(out) + '"'

    def val(v) -> str:
        return "[ " + ", ".join(q(x) for x in v) + " ]" if isinstance(v, list) else q(v)

    def obj(entry) -> str:
        return "{ " + ", ".join(f"{k}: {val(v)}" for k, v in entry) + " }"

    lines = ["{"]
    for key, entries in sections.items():
        if key == "program":
            lines.append(f"    program: {obj(entries[0])},")
        else:
            lines.append(f"    {key}: [")
            lines += [f"        {obj(e)}," for e in entries]
            lines.append("    ],")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Output.


def write_atomically(outputs: list[tuple[str, bytes]]) -> None:
    """Writes every file or none: all to temporary files first, then renames."""
    temps = []
    try:
        for path, data in outputs:
            d = os.path.dirname(os.path.abspath(path))
            os.makedirs(d, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=d, prefix=".cmc-")
            temps.append(tmp)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        for (path, _), tmp in zip(outputs, temps):
            os.replace(tmp, path)
        temps = []
    finally:
        for tmp in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_depfile(path: str, target: str, inputs: list[str]) -> None:
    def esc(p: str) -> str:
        return p.replace(" ", "\\ ")
    write_atomically([(path, (f"{esc(target)}: " + " ".join(esc(i) for i in inputs) + "\n").encode())])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", help="the manifest (text) to compile; with a set, the root of the tree")
    ap.add_argument("--dump", action="store_true", help="print INPUT, a compiled manifest (.cm), as text")
    ap.add_argument("-o", "--output", help="write INPUT's binary manifest here")
    ap.add_argument("--name", help="the component's name (default: INPUT's file name without .cml)")
    ap.add_argument("--search", action="append", default=[], metavar="DIR",
                    help="every DIR/<stem>.cml is meta/<stem>.cm of the set")
    ap.add_argument("--manifest", action="append", default=[], metavar="[BOOTFS=]FILE",
                    help="one manifest of the set (bootfs path default meta/<stem>.cm)")
    ap.add_argument("--manifest-list", action="append", default=[], metavar="FILE",
                    help="a file of --manifest values, one a line")
    ap.add_argument("--out-dir", help="with a set: write every manifest of the tree to DIR/meta/<name>.cm")
    ap.add_argument("--check", action="store_true", help="check only; write no manifest")
    ap.add_argument("--stamp", help="touch this file on success")
    ap.add_argument("--depfile", help="write a depfile (for ninja) naming every file read")
    args = ap.parse_args(argv)
    if args.dump:
        try:
            with open(args.input, "rb") as f:
                print(dump(f.read()), end="")
        except OSError as e:
            print(f"cmc: error: {args.input}: {e.strerror}", file=sys.stderr)
            return 1
        except DumpError as e:
            print(f"cmc: error: {args.input}: {e}", file=sys.stderr)
            return 1
        return 0
    tree = bool(args.search or args.manifest or args.manifest_list)
    if not (args.output or args.out_dir or args.check):
        ap.error("nothing to do: give -o, --out-dir or --check")
    if args.out_dir and not tree:
        ap.error("--out-dir needs a set of manifests (--search, --manifest or --manifest-list)")
    name = args.name or component_name(args.input)
    if not CHILD_NAME_RE.match(name):
        ap.error(f"component name '{name}' is not 1 to 32 of a-z 0-9 _ - (rename the file or give --name)")
    read = [args.input]
    try:
        root = load_file(args.input, name)
        outputs: list[tuple[str, bytes]] = []
        if args.output:
            outputs.append((args.output, encode(root)))
        if tree:
            mset = ManifestSet()
            for spec in args.manifest:
                mset.add(spec, "--manifest")
            for listing in args.manifest_list:
                read.append(listing)
                try:
                    with open(listing, encoding="utf-8") as f:
                        lines = [ln.strip() for ln in f]
                except OSError as e:
                    raise UsageError(f"{listing}: {e.strerror}") from None
                for ln in lines:
                    if ln:
                        mset.add(ln, listing)
            for d in args.search:
                mset.add_dir(d)
            root_bootfs = f"meta/{name}.cm"
            mset.files.setdefault(root_bootfs, args.input)
            mset.parsed[root_bootfs] = root
            below = check_tree(root, mset)
            read += mset.read
            if args.out_dir:
                outputs.append((os.path.join(args.out_dir, root_bootfs), encode(root)))
                for bootfs, m in below:
                    outputs.append((os.path.join(args.out_dir, bootfs), encode(m)))
    except CmcError as e:
        print(e, file=sys.stderr)
        return 1
    except UsageError as e:
        print(f"cmc: error: {e}", file=sys.stderr)
        return 1
    if args.check:
        outputs = []
    if args.stamp:
        outputs.append((args.stamp, b""))
    write_atomically(outputs)
    if args.depfile:
        target = (args.output or args.stamp
                  or (args.out_dir and os.path.join(args.out_dir, f"meta/{name}.cm")) or args.input)
        write_depfile(args.depfile, target, read)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
