#!/usr/bin/env python3
"""Generates everything derived from system/public/syscalls.mica.

The definition file is the single source of the syscall ABI (DESIGN.md §4).
From it this script writes, into --out-dir:

  mica/syscalls.h           C prototypes with their documentation, MICA_SYS_*
  syscall_stubs.S           AArch64 user-space stubs, one section per call
  kernel/syscall_decls.h    the kernel's `int64_t sys_<name>(...)` declarations
  kernel/syscall_table.inc  the kernel's syscall table entries with argument checks
  test/syscall_recorder.inc sys_* definitions that record their arguments,
                            for the host test of the dispatch switch
  syscalls.md               the reference (committed as docs/syscalls.md)

`--write-docs PATH` writes only the reference to PATH (to refresh the
committed copy). Any malformed definition is an error: the script prints
`file:line: message` and exits with status 1, which fails the build.

Python 3 standard library only. The grammar is described at the top of
syscalls.mica.
"""

import argparse
import os
import re
import sys
import textwrap

# Scalar keywords: C type and width in bits.
SCALARS = {
    "uint32": ("uint32_t", 32),
    "int32": ("int32_t", 32),
    "uint64": ("uint64_t", 64),
    "int64": ("int64_t", 64),
    "time": ("mica_time_t", 64),
    "duration": ("mica_duration_t", 64),
    "rights": ("mica_rights_t", 32),
    "signals": ("mica_signals_t", 32),
    "vaddr": ("mica_vaddr_t", 64),
    "paddr": ("mica_paddr_t", 64),
    "size": ("size_t", 64),
    "koid": ("mica_koid_t", 64),
}

# Scalars that may give the element count of an array or byte buffer.
COUNT_SCALARS = ("uint32", "uint64", "size")

OBJECT_TYPES = [
    "process", "thread", "job", "vmo", "vmar", "channel", "port", "event",
    "eventpair", "timer", "debuglog", "interrupt", "resource",
]

ATTRIBUTES = ("noreturn", "blocking")

MAX_ARGS = 8  # x0..x7

NAME_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
ELEM_TYPE_RE = re.compile(r"mica_[a-z0-9_]+_t\Z")


class DefinitionError(Exception):
    def __init__(self, path, line, message):
        super().__init__(f"{path}:{line}: {message}")


class Param:
    """One argument. `kind` is one of: scalar, handle, in_ptr, out_ptr,
    inout_ptr, key_ptr, in_array, out_array, inout_array, in_bytes, out_bytes,
    out_handle, in_handle_array."""

    def __init__(self, name, kind):
        self.name = name
        self.kind = kind
        self.scalar = None  # scalar keyword (kind == scalar)
        self.elem = None  # element type keyword or C type name
        self.count = None  # name of the count parameter
        self.optional = False
        self.obj_types = []  # handle: allowed object types ([] = any)
        self.rights = []  # handle: required MICA_RIGHT_* suffixes
        self.doc = None

    def is_pointer(self):
        return self.kind not in ("scalar", "handle")

    def width(self):
        if self.kind == "scalar":
            return SCALARS[self.scalar][1]
        if self.kind == "handle":
            return 32
        return 64

    def elem_c(self):
        if self.elem in SCALARS:
            return SCALARS[self.elem][0]
        return self.elem

    def c_type(self):
        k = self.kind
        if k == "scalar":
            return SCALARS[self.scalar][0]
        if k == "handle":
            return "mica_handle_t"
        if k in ("in_ptr", "in_array", "key_ptr"):
            return f"const {self.elem_c()}*"
        if k in ("out_ptr", "out_array", "inout_ptr", "inout_array"):
            return f"{self.elem_c()}*"
        if k == "in_bytes":
            return "const void*"
        if k == "out_bytes":
            return "void*"
        if k == "out_handle":
            return "mica_handle_t*"
        if k == "in_handle_array":
            return "const mica_handle_t*"
        raise AssertionError(k)

    def kernel_type(self):
        k = self.kind
        if k in ("scalar", "handle"):
            return self.c_type()
        if k in ("in_ptr", "in_array", "key_ptr"):
            return f"user_in_ptr<const {self.elem_c()}>"
        if k in ("out_ptr", "out_array"):
            return f"user_out_ptr<{self.elem_c()}>"
        if k in ("inout_ptr", "inout_array"):
            return f"user_inout_ptr<{self.elem_c()}>"
        if k == "in_bytes":
            return "user_in_ptr<const void>"
        if k == "out_bytes":
            return "user_out_ptr<void>"
        if k == "out_handle":
            return "user_out_ptr<mica_handle_t>"
        if k == "in_handle_array":
            return "user_in_ptr<const mica_handle_t>"
        raise AssertionError(k)

    def spelling(self):
        """The type as written in the definition file."""
        k = self.kind
        if k == "scalar":
            s = self.scalar
        elif k == "handle":
            s = "handle"
            if self.obj_types or self.rights:
                t = "|".join(self.obj_types) or "any"
                s += f"<{t}, " + ("|".join(self.rights) or "NONE") + ">"
        elif k in ("in_ptr", "out_ptr", "inout_ptr", "key_ptr"):
            s = f"{k}<{self.elem}>"
        elif k in ("in_array", "out_array", "inout_array"):
            s = f"{k}<{self.elem}>({self.count})"
        elif k in ("in_bytes", "out_bytes", "in_handle_array"):
            s = f"{k}({self.count})"
        else:
            s = k
        return s + ("?" if self.optional else "")


class Syscall:
    def __init__(self, number, name, line):
        self.number = number
        self.name = name
        self.line = line
        self.params = []
        self.attrs = []
        self.summary = ""
        self.body = []  # markdown paragraphs after the summary
        self.rights_text = ""
        self.statuses = []  # (code, text) as written
        self.section = None

    def noreturn(self):
        return "noreturn" in self.attrs


class Section:
    def __init__(self, title):
        self.title = title
        self.doc = []
        self.calls = []


class Definitions:
    def __init__(self):
        self.preamble = []  # markdown lines from //!
        self.sections = []
        self.calls = []


# ---- Parsing -----------------------------------------------------------------


def parse_constants(path, prefix):
    """Returns [(name, value_text, meaning)] for each `#define PREFIX...`
    directly preceded by a `// meaning` line, in file order."""
    out = []
    prev_comment = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            m = re.match(r"#define\s+(" + prefix + r"\w+)\s+(.*)", line)
            if m and prev_comment is not None:
                out.append((m.group(1), m.group(2), prev_comment))
            if line.startswith("//"):
                prev_comment = line[2:].strip()
            else:
                prev_comment = None
    return out


def status_values(status_h):
    """{MICA_ERR_NAME: (value, meaning)} in file order (dicts keep order)."""
    out = {}
    for name, value, meaning in parse_constants(status_h, "MICA_"):
        m = re.match(r"\(\(mica_status_t\)(-?\d+)\)", value)
        if m:
            out[name] = (int(m.group(1)), meaning)
    return out


def typedef_names(types_h):
    with open(types_h, encoding="utf-8") as f:
        text = f.read()
    names = set(re.findall(r"typedef\s+[^;{]*?\b(mica_\w+_t)\s*;", text))
    names |= set(re.findall(r"}\s*(mica_\w+_t)\s*;", text))
    return names


def split_top_level(text, sep):
    """Splits on `sep` outside <> and ()."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


PTR_RE = re.compile(r"(in_ptr|out_ptr|inout_ptr|key_ptr)<\s*(\w+)\s*>\Z")
ARRAY_RE = re.compile(r"(in_array|out_array|inout_array)<\s*(\w+)\s*>\(\s*(\w+)\s*\)\Z")
BYTES_RE = re.compile(r"(in_bytes|out_bytes|in_handle_array)\(\s*(\w+)\s*\)\Z")
HANDLE_RE = re.compile(r"handle(?:<\s*([\w|\s]+?)\s*(?:,\s*([\w|\s]+?)\s*)?>)?\Z")


def parse_param(text, err, rights_known, typedefs):
    m = re.match(r"\s*(\w+)\s*:\s*(.+?)\s*\Z", text, re.S)
    if not m:
        raise err(f"malformed parameter `{text.strip()}` (want `name: type`)")
    # Whitespace inside a type is insignificant: `handle<port, WRITE>`.
    name, t = m.group(1), re.sub(r"\s+", "", m.group(2))
    if not NAME_RE.match(name):
        raise err(f"bad parameter name `{name}`")
    optional = t.endswith("?")
    if optional:
        t = t[:-1]

    def elem_ok(e):
        if e in SCALARS:
            return
        if not ELEM_TYPE_RE.match(e):
            raise err(f"`{e}` is neither a scalar type nor a mica_*_t type")
        if e not in typedefs:
            raise err(f"`{e}` is not defined in mica/types.h")

    if t in SCALARS:
        p = Param(name, "scalar")
        p.scalar = t
    elif t == "out_handle":
        p = Param(name, "out_handle")
    elif HANDLE_RE.match(t):
        hm = HANDLE_RE.match(t)
        p = Param(name, "handle")
        if hm.group(1) is not None:
            types = hm.group(1).split("|")
            if types != ["any"]:
                for ty in types:
                    if ty not in OBJECT_TYPES:
                        raise err(f"unknown object type `{ty}` for `{name}`")
                p.obj_types = types
            if hm.group(2) is not None and hm.group(2) != "NONE":
                for r in hm.group(2).split("|"):
                    if r not in rights_known:
                        raise err(f"unknown right `{r}` for `{name}` (want e.g. READ|WRITE)")
                    p.rights.append(r)
    elif PTR_RE.match(t):
        pm = PTR_RE.match(t)
        p = Param(name, pm.group(1))
        p.elem = pm.group(2)
        elem_ok(p.elem)
    elif ARRAY_RE.match(t):
        am = ARRAY_RE.match(t)
        p = Param(name, am.group(1))
        p.elem = am.group(2)
        p.count = am.group(3)
        elem_ok(p.elem)
    elif BYTES_RE.match(t):
        bm = BYTES_RE.match(t)
        p = Param(name, bm.group(1))
        p.count = bm.group(2)
    else:
        raise err(f"unknown type `{t}` for parameter `{name}`")
    if optional and p.kind == "scalar":
        raise err(f"`?` (optional) applies to handles and pointers, not `{name}`")
    p.optional = optional
    return p


def parse_doc(call, lines, err):
    """Fills summary, body, param docs, rights and statuses from `///` lines."""
    paragraphs, cur = [], []
    tags = []  # [tag, arg, text]
    for ln in lines:
        if ln.startswith("@"):
            m = re.match(r"@(\w+)\s*(.*)", ln)
            tag, rest = m.group(1), m.group(2)
            if tag == "param" or tag == "status":
                m2 = re.match(r"(\w+)\s*(.*)", rest)
                if not m2:
                    raise err(f"@{tag} needs a name")
                tags.append([tag, m2.group(1), m2.group(2)])
            elif tag == "rights":
                tags.append([tag, None, rest])
            else:
                raise err(f"unknown doc tag @{tag}")
            continue
        if tags:
            if ln.strip() == "":
                continue
            tags[-1][2] = (tags[-1][2] + " " + ln.strip()).strip()
            continue
        if ln.strip() == "":
            if cur:
                paragraphs.append(cur)
                cur = []
        else:
            cur.append(ln)
    if cur:
        paragraphs.append(cur)
    if not paragraphs:
        raise err(f"`{call.name}` has no summary (the first `///` paragraph)")
    call.summary = " ".join(s.strip() for s in paragraphs[0])
    call.body = ["\n".join(p) for p in paragraphs[1:]]
    return tags


def parse_definitions(path, statuses, rights_known, typedefs):
    defs = Definitions()
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    doc = []
    doc_line = None
    section = None
    i = 0
    while i < len(lines):
        lineno = i + 1
        raw = lines[i]
        s = raw.strip()
        i += 1

        def err(msg, ln=lineno):
            return DefinitionError(path, ln, msg)

        if s.startswith("//!"):
            defs.preamble.append(s[4:] if s.startswith("//! ") else s[3:])
            continue
        if s.startswith("///"):
            if doc_line is None:
                doc_line = lineno
            doc.append(s[4:] if s.startswith("/// ") else s[3:])
            continue
        if s == "" or s.startswith("#"):
            if s == "" and doc:
                raise err("doc comment not followed by a syscall or section", doc_line)
            continue
        if s.startswith("section "):
            section = Section(s[len("section "):].strip())
            section.doc = doc
            doc, doc_line = [], None
            defs.sections.append(section)
            continue
        if not s.startswith("syscall "):
            raise err(f"expected `syscall`, `section`, `///`, `//!` or `#`, got `{s[:40]}`")
        # A declaration runs to the first `;`.
        decl, start = s, lineno
        while ";" not in decl:
            if i >= len(lines):
                raise err("declaration without `;`", start)
            decl += " " + lines[i].strip()
            i += 1
        if not decl.rstrip().endswith(";"):
            raise err("text after `;`", start)
        m = re.match(r"syscall\s+(\d+)\s+(\w+)\s*\((.*)\)\s*([\w\s]*);\s*\Z", decl, re.S)
        if not m:
            raise err("malformed declaration (want `syscall N name(params) attrs;`)", start)
        number, name, params_text, attrs = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        if not NAME_RE.match(name):
            raise err(f"bad syscall name `{name}`", start)
        call = Syscall(number, name, start)
        if section is None:
            raise err("syscall before any `section`", start)
        call.section = section
        if params_text.strip():
            for ptext in split_top_level(params_text, ","):
                call.params.append(
                    parse_param(ptext, lambda msg: err(msg, start), rights_known, typedefs))
        for a in attrs.split():
            if a not in ATTRIBUTES:
                raise err(f"unknown attribute `{a}`", start)
            if a in call.attrs:
                raise err(f"attribute `{a}` given twice", start)
            call.attrs.append(a)
        if not doc:
            raise err(f"`{name}` has no doc comment", start)
        tags = parse_doc(call, doc, lambda msg: err(msg, doc_line))
        check_call(call, tags, statuses, lambda msg: err(msg, start))
        doc, doc_line = [], None
        section.calls.append(call)
        defs.calls.append(call)
    if doc:
        raise DefinitionError(path, doc_line, "doc comment at end of file")
    check_numbers(defs.calls, path)
    return defs


def check_call(call, tags, statuses, err):
    if len(call.params) > MAX_ARGS:
        raise err(f"`{call.name}` has {len(call.params)} parameters; at most {MAX_ARGS} fit x0..x7")
    by_name = {}
    for p in call.params:
        if p.name in by_name:
            raise err(f"parameter `{p.name}` given twice")
        by_name[p.name] = p
    for p in call.params:
        if p.count is not None:
            c = by_name.get(p.count)
            if c is None:
                raise err(f"`{p.name}` counts with `{p.count}`, which is not a parameter")
            if c.kind != "scalar" or c.scalar not in COUNT_SCALARS:
                allowed = ", ".join(COUNT_SCALARS)
                raise err(f"count `{p.count}` of `{p.name}` must be one of {allowed}")
    for tag, arg, text in tags:
        if tag == "param":
            p = by_name.get(arg)
            if p is None:
                raise err(f"@param `{arg}` is not a parameter of `{call.name}`")
            if p.doc is not None:
                raise err(f"@param `{arg}` documented twice")
            if not text:
                raise err(f"@param `{arg}` has no text")
            p.doc = text
        elif tag == "rights":
            if call.rights_text:
                raise err("@rights given twice")
            call.rights_text = text
        elif tag == "status":
            if arg == "MICA_OK":
                raise err("@status MICA_OK is implied; list only errors")
            if arg not in statuses:
                raise err(f"@status `{arg}` is not a status code of mica/status.h")
            if arg == "MICA_ERR_BAD_SYSCALL":
                raise err("MICA_ERR_BAD_SYSCALL is never returned by a defined syscall")
            if not text:
                raise err(f"@status {arg} has no condition")
            call.statuses.append((arg, text))
    for p in call.params:
        if p.doc is None:
            raise err(f"parameter `{p.name}` of `{call.name}` has no @param")
    if call.noreturn() and call.statuses:
        raise err(f"`{call.name}` is noreturn and cannot list statuses")


def check_numbers(calls, path):
    seen_num, seen_name = {}, {}
    for c in calls:
        if c.name in seen_name:
            raise DefinitionError(path, c.line, f"syscall `{c.name}` defined twice")
        if c.number in seen_num:
            raise DefinitionError(
                path, c.line, f"number {c.number} already used by `{seen_num[c.number].name}`")
        seen_num[c.number] = c
        seen_name[c.name] = c
    # Numbers are stable and dense: 1..N. 0 stays invalid so that a zeroed x8
    # is MICA_ERR_BAD_SYSCALL.
    for n in range(1, len(calls) + 1):
        if n not in seen_num:
            bad = max(calls, key=lambda c: c.number)
            raise DefinitionError(
                path, bad.line, f"syscall numbers must be 1..{len(calls)} without gaps; "
                f"{n} is missing")


def objtype_text(p):
    names = [f"MICA_OBJ_TYPE_{t.upper()}" for t in p.obj_types]
    return " or ".join(names)


def all_statuses(call, statuses):
    """The documented errors: the ones derived from the parameter types, then
    those written in the definition, ordered as in mica/status.h."""
    derived = []
    narrow = [p.name for p in call.params if p.width() == 32]
    if narrow:
        names = ", ".join(f"`{x}`" for x in narrow)
        derived.append(("MICA_ERR_INVALID_ARGS",
                        f"A 32-bit argument ({names}) has a bit above bit 31 set in its register "
                        "(checked first; the C stubs never do this)."))
    for p in call.params:
        n = f"`{p.name}`"
        if p.kind == "handle":
            if p.optional:
                derived.append(("MICA_ERR_BAD_HANDLE",
                                f"{n} is neither MICA_HANDLE_INVALID nor a handle of the caller."))
            else:
                derived.append(("MICA_ERR_BAD_HANDLE", f"{n} is not a handle of the caller."))
            if p.obj_types:
                derived.append(("MICA_ERR_WRONG_TYPE", f"{n} is not a handle of type "
                                f"{objtype_text(p)}."))
            if p.rights:
                rights = " and ".join(f"MICA_RIGHT_{r}" for r in p.rights)
                derived.append(("MICA_ERR_ACCESS_DENIED", f"{n} lacks {rights}."))
        elif p.kind == "key_ptr":
            derived.append(("MICA_ERR_INVALID_ARGS", f"{n} is not a user-space address."))
        elif p.is_pointer():
            verb = {"in": "readable", "out": "writable", "inout": "readable and writable"}
            d = verb[p.kind.split("_")[0]]
            extent = "" if p.count is None else f" for `{p.count}` elements"
            if p.kind in ("in_bytes", "out_bytes"):
                extent = f" for `{p.count}` bytes"
            null = " and not NULL" if p.optional else ""
            derived.append(("MICA_ERR_INVALID_ARGS",
                            f"{n} is not {d} user memory{extent}{null}."))
    merged = derived + call.statuses
    return sorted(merged, key=lambda st: status_rank(statuses[st[0]][0]))


def status_rank(value):
    """Documentation order of statuses: the caller's mistakes (-10..-19), then
    missing rights (-30), the object's state (-20..-29), kernel limits
    (-1..-9) and device errors. Python's sort is stable, so entries with the
    same code keep their order: derived ones first."""
    for rank, (lo, hi) in enumerate(((-19, -10), (-39, -30), (-29, -20), (-9, -1))):
        if lo <= value <= hi:
            return (rank, -value)
    return (4, -value)


def rights_summary(call):
    parts = []
    for p in call.params:
        if p.kind == "handle":
            if p.rights:
                parts.append(f"`{p.name}`: " + ", ".join(f"MICA_RIGHT_{r}" for r in p.rights))
            else:
                parts.append(f"`{p.name}`: none")
    text = "; ".join(parts)
    if text and not call.rights_text:
        text += "."
    if call.rights_text:
        text = (text + ". " if text else "") + call.rights_text
    return text or "None (no handle arguments)."


# ---- Output: C header ------------------------------------------------------------

BANNER = "Generated by system/public/gen_syscalls.py from system/public/syscalls.mica. Do not edit."


def c_comment(text, indent="", width=100):
    out = []
    for para in text.split("\n\n"):
        wrapped = textwrap.wrap(" ".join(para.split()), width - len(indent) - 3) or [""]
        out += [f"{indent}// {w}".rstrip() for w in wrapped]
        out.append(f"{indent}//")
    return out[:-1]


def c_params(call, kernel=False):
    if not call.params:
        return "void"
    return ", ".join(
        f"{p.kernel_type() if kernel else p.c_type()} {p.name}" for p in call.params)


def c_prototype(call, name_prefix="mica_"):
    ret = "void" if call.noreturn() else "mica_status_t"
    attr = "MICA_NORETURN " if call.noreturn() else ""
    one = f"{attr}{ret} {name_prefix}{call.name}({c_params(call)});"
    if len(one) <= 100:
        return [one]
    head = f"{attr}{ret} {name_prefix}{call.name}("
    lines = [head]
    for k, p in enumerate(call.params):
        end = ");" if k == len(call.params) - 1 else ","
        lines.append(f"    {p.c_type()} {p.name}{end}")
    return lines


def gen_c_header(defs, statuses):
    o = [f"// {BANNER}", "//", "// The Mica system calls (docs/syscalls.md).",
         "#ifndef SYSTEM_PUBLIC_MICA_SYSCALLS_H_", "#define SYSTEM_PUBLIC_MICA_SYSCALLS_H_", "",
         "#include <stddef.h>", "#include <stdint.h>", "", "#include <mica/status.h>",
         "#include <mica/types.h>", "",
         "#if defined(__cplusplus)", "#define MICA_NORETURN [[noreturn]]",
         "#else", "#define MICA_NORETURN _Noreturn", "#endif", "",
         "// Syscall numbers (x8 at `svc #0`)."]
    for c in sorted(defs.calls, key=lambda c: c.number):
        o.append(f"#define MICA_SYS_{c.name.upper()} {c.number}")
    o += ["", "// One more than the largest syscall number.",
          f"#define MICA_SYS_COUNT {len(defs.calls) + 1}", "",
          "// X(NAME, name, number, argument count) for every syscall, by number.",
          "#define MICA_SYSCALL_LIST(X) \\"]
    calls = sorted(defs.calls, key=lambda c: c.number)
    for k, c in enumerate(calls):
        cont = " \\" if k < len(calls) - 1 else ""
        o.append(f"  X({c.name.upper()}, {c.name}, {c.number}, {len(c.params)}){cont}")
    o += ["", "#if defined(__cplusplus)", 'extern "C" {', "#endif", ""]
    for sec in defs.sections:
        o.append(f"// ---- {sec.title} " + "-" * max(0, 90 - len(sec.title)))
        o.append("")
        for c in sec.calls:
            text = f"mica_{c.name}: {c.summary}"
            for b in c.body:
                text += "\n\n" + b
            o += c_comment(text)
            o.append("//")
            for p in c.params:
                o += c_comment(f"{p.name}: {p.doc}", width=100)
            o.append("//")
            o += c_comment(f"Rights: {rights_summary(c)}")
            if c.noreturn():
                o.append("// Does not return.")
            elif not all_statuses(c, statuses):
                o.append("// Always returns MICA_OK.")
            else:
                o.append("// Returns MICA_OK on success, or:")
                for code, text in all_statuses(c, statuses):
                    o += ["//   " + w for w in
                          textwrap.wrap(f"{code}: {text}", 94, subsequent_indent="  ")]
            o += c_prototype(c)
            o.append("")
    o += gen_inline_calls(defs)
    o += ["#if defined(__cplusplus)", '}  // extern "C"', "#endif", "",
          "#endif  // SYSTEM_PUBLIC_MICA_SYSCALLS_H_", ""]
    return "\n".join(o)


def inline_arg(p):
    """The register value of an argument: 32-bit ones zero-extended."""
    if p.width() == 32:
        return f"(uint64_t)(uint32_t)({p.name})"
    if p.kind in ("scalar",):
        return f"(uint64_t)({p.name})"
    return f"(uint64_t)(uintptr_t)({p.name})"


def gen_inline_calls(defs):
    """GNU inline definitions of the calls that return: the compiler emits
    the `svc` in place of a call to the stub. The stubs (syscall_stubs.S)
    stay the out-of-line definitions (a call's address is its stub's)."""
    o = ["// ---- Inline calls " + "-" * 78, "",
         "// On AArch64 each call that returns is also defined inline (GNU inline",
         "// semantics: the library's stub remains the external definition, and a",
         "// call's address is its stub's), so a call costs its `svc` and argument",
         "// moves, not a branch to a stub. The asm tells the compiler what the ABI",
         "// lets a call clobber (docs/syscalls.md, \"Calling convention\"). Define",
         "// MICA_SYSCALLS_NO_INLINE to call the stubs instead.",
         "#if defined(__aarch64__) && !defined(MICA_SYSCALLS_NO_INLINE)",
         "#define MICA_SYSCALL_INLINE_ \\",
         "  __attribute__((__gnu_inline__, __always_inline__, __artificial__)) extern __inline__",
         ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        if c.noreturn():
            continue
        proto = c_prototype(c)
        proto[0] = "MICA_SYSCALL_INLINE_ " + proto[0] if len(proto) == 1 else proto[0]
        if len(proto) == 1:
            line = proto[0][:-1] + " {"
            if len(line) > 100:
                head = f"MICA_SYSCALL_INLINE_ mica_status_t mica_{c.name}("
                parts = [f"{p.c_type()} {p.name}" for p in c.params]
                lines = [head] + [f"    {x}," for x in parts[:-1]] + [f"    {parts[-1]}) {{"]
            else:
                lines = [line]
        else:
            lines = ["MICA_SYSCALL_INLINE_ " + proto[0]] + proto[1:]
            lines[-1] = lines[-1][:-1] + " {"
        o += lines
        n = len(c.params)
        for k, p in enumerate(c.params):
            o.append(f"  register uint64_t mica_x{k}_ __asm__(\"x{k}\") = {inline_arg(p)};")
        if n == 0:
            o.append("  register uint64_t mica_x0_ __asm__(\"x0\");")
        o.append(f"  register uint64_t mica_x8_ __asm__(\"x8\") = {c.number};")
        outs = ", ".join(f"\"+r\"(mica_x{k}_)" for k in range(max(n, 1)))
        if n == 0:
            outs = "\"=r\"(mica_x0_)"
        outs += ", \"+r\"(mica_x8_)"
        clob = [f"\"x{k}\"" for k in range(max(n, 1), 8)] + ["\"x16\"", "\"x17\"", "\"memory\""]
        o.append(f"  __asm__ __volatile__(\"svc #0\"")
        o.append(f"                       : {outs}")
        o.append("                       :")
        o.append(f"                       : {', '.join(clob)});")
        o.append("  return (mica_status_t)mica_x0_;")
        o += ["}", ""]
    o += ["#undef MICA_SYSCALL_INLINE_",
          "#endif  // __aarch64__ && !MICA_SYSCALLS_NO_INLINE", ""]
    return o


# ---- Output: user stubs ------------------------------------------------------------


def gen_stubs(defs):
    o = [f"// {BANNER}", "//",
         "// AArch64 user stubs: number in x8, arguments in x0..x7, `svc #0`, status",
         "// in x0. Each 32-bit argument is zero-extended first: AAPCS64 leaves bits",
         "// 63:32 of a 32-bit argument's register unspecified, and the kernel rejects",
         "// a 32-bit argument with any of them set (docs/syscalls.md).", ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        sym = f"mica_{c.name}"
        o += [f".section .text.{sym},\"ax\",%progbits", f".globl {sym}",
              f".type {sym},%function", ".p2align 2", f"{sym}:", "  .cfi_startproc"]
        for k, p in enumerate(c.params):
            if p.width() == 32:
                o.append(f"  mov w{k}, w{k}")
        o += [f"  mov x8, #{c.number}", "  svc #0"]
        if c.noreturn():
            # The kernel never returns here; trap if it ever did.
            o.append("  brk #0x1")
        else:
            o.append("  ret")
        o += ["  .cfi_endproc", f".size {sym}, . - {sym}", ""]
    o += ['.section .note.GNU-stack,"",%progbits', ""]
    return "\n".join(o)


# ---- Output: kernel --------------------------------------------------------------


def gen_kernel_decls(defs):
    o = [f"// {BANNER}", "//",
         "// One handler per syscall, implemented in kernel/syscalls/. Each returns",
         "// MICA_OK or a negative MICA_ERR_* status as int64_t (x0). Pointer",
         "// arguments arrive as the typed user pointers of kernel/arch/arm64/user_ptr.h.",
         "#ifndef MICA_GEN_KERNEL_SYSCALL_DECLS_H_", "#define MICA_GEN_KERNEL_SYSCALL_DECLS_H_",
         "", "#include <stddef.h>", "#include <stdint.h>", "",
         "#include <mica/status.h>", "#include <mica/types.h>", "",
         '#include "kernel/arch/arm64/user_ptr.h"', ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        one = f"int64_t sys_{c.name}({c_params(c, kernel=True)});"
        if len(one) <= 100:
            o.append(one)
        else:
            o.append(f"int64_t sys_{c.name}(")
            for k, p in enumerate(c.params):
                end = ");" if k == len(c.params) - 1 else ","
                o.append(f"    {p.kernel_type()} {p.name}{end}")
    o += ["", "#endif  // MICA_GEN_KERNEL_SYSCALL_DECLS_H_", ""]
    return "\n".join(o)


def kernel_arg(p, k):
    a = f"a{k}"
    if p.kind == "scalar":
        t = SCALARS[p.scalar][0]
        if p.scalar == "int32":
            return f"static_cast<int32_t>(static_cast<uint32_t>({a}))"
        return f"static_cast<{t}>({a})"
    if p.kind == "handle":
        return f"static_cast<mica_handle_t>({a})"
    return f"{p.kernel_type()}({a})"


def gen_kernel_table(defs):
    """One entry function per call, taking the eight argument registers as
    its own arguments (so the assembly entry path calls it with x0..x7 as
    they arrived), and a constexpr filler for the table indexed by number."""
    last = max(c.number for c in defs.calls)
    regs = ", ".join(f"uint64_t" for _ in range(8))
    o = [f"// {BANNER}", "//",
         "// The kernel's syscall table. Include it once, at namespace scope, after",
         "// kernel/syscall_decls.h. It defines, in namespace syscall_gen:",
         "//   Entry         int64_t(uint64_t x0, ..., uint64_t x7): one call's entry",
         "//   kLastNumber   the highest call number",
         "//   BadSyscall    the entry for numbers that name no call",
         "//   FillTable(t)  stores every call's entry at t[number] (t has at least",
         "//                 kLastNumber + 1 elements, pre-filled with BadSyscall)",
         "// Each entry rejects a 32-bit argument whose register has any of bits 63:32",
         "// set with MICA_ERR_INVALID_ARGS before the handler runs, then calls",
         "// sys_<name> with the registers converted to the declared types.",
         "namespace syscall_gen {", "",
         f"using Entry = int64_t (*)({regs});",
         f"inline constexpr uint64_t kLastNumber = {last};", "",
         f"inline int64_t BadSyscall({regs}) {{",
         "  return MICA_ERR_BAD_SYSCALL;", "}", ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        used = {k for k in range(len(c.params))}
        params = ", ".join(f"uint64_t a{k}" if k in used else "uint64_t" for k in range(8))
        o.append(f"// {c.number}: {c.name}")
        head = f"inline int64_t Call_{c.name}({params}) {{"
        if len(head) <= 100:
            o.append(head)
        else:
            o.append(f"inline int64_t Call_{c.name}(")
            parts = [f"uint64_t a{k}" if k in used else "uint64_t" for k in range(8)]
            o.append("    " + ", ".join(parts[:4]) + ",")
            o.append("    " + ", ".join(parts[4:]) + ") {")
        narrow = [k for k, p in enumerate(c.params) if p.width() == 32]
        if narrow:
            expr = " | ".join(f"a{k}" for k in narrow)
            if len(narrow) > 1:
                expr = f"({expr})"
            o.append(f"  if ({expr} >> 32) {{")
            o.append("    return MICA_ERR_INVALID_ARGS;")
            o.append("  }")
        args = [kernel_arg(p, k) for k, p in enumerate(c.params)]
        one = f"  return sys_{c.name}({', '.join(args)});"
        if len(one) <= 100:
            o.append(one)
        else:
            o.append(f"  return sys_{c.name}(")
            for k, a in enumerate(args):
                o.append(f"      {a}{');' if k == len(args) - 1 else ','}")
        o.append("}")
        o.append("")
    o.append("constexpr void FillTable(Entry* t) {")
    for c in sorted(defs.calls, key=lambda c: c.number):
        o.append(f"  t[{c.number}] = Call_{c.name};")
    o += ["}", "", "}  // namespace syscall_gen", ""]
    return "\n".join(o)


def gen_recorder(defs):
    """sys_* definitions for the host test: each passes its number and its
    arguments, converted back to register values by the test's Raw(), to the
    test's Record()."""
    o = [f"// {BANNER}", "//",
         "// Test support: sys_* handlers that record their arguments. The includer",
         "// defines `int64_t Record(uint64_t number, std::initializer_list<uint64_t>)`",
         "// and `Raw(x)` overloads giving the register value of each argument type.", ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        raws = ", ".join(f"Raw({p.name})" for p in c.params)
        o.append(f"int64_t sys_{c.name}({c_params(c, kernel=True)}) {{")
        o.append(f"  return Record({c.number}, {{{raws}}});")
        o.append("}")
    o += ["", "// {number, name, argument count, bit k set: argument k is 32 bits wide,",
          "//  never returns}",
          "struct SyscallShape {", "  uint64_t number;", "  const char* name;",
          "  int num_args;", "  uint32_t narrow_mask;", "  bool noreturn;", "};",
          "constexpr SyscallShape kSyscallShapes[] = {"]
    for c in sorted(defs.calls, key=lambda c: c.number):
        mask = sum(1 << k for k, p in enumerate(c.params) if p.width() == 32)
        nr = "true" if c.noreturn() else "false"
        o.append(f'    {{{c.number}, "{c.name}", {len(c.params)}, 0x{mask:x}, {nr}}},')
    o += ["};", ""]
    return "\n".join(o)


def gen_fuzz_shapes(defs):
    """A C table of every call's argument shapes, for bin/syscall-fuzz: it
    makes typed random arguments for each call, so a new call is fuzzed as
    soon as it is defined."""
    o = [f"// {BANNER}", "//",
         "// The argument shapes of every system call, for the syscall fuzzer.",
         "#ifndef MICA_GEN_SYSCALL_SHAPES_H_", "#define MICA_GEN_SYSCALL_SHAPES_H_", "",
         "#include <stdint.h>", "",
         "enum mica_arg_kind {",
         "  MICA_ARG_SCALAR32 = 1,  // uint32, int32, rights, signals",
         "  MICA_ARG_SCALAR64,      // uint64, int64, vaddr, paddr, koid",
         "  MICA_ARG_SIZE,          // size (maybe the count of another argument)",
         "  MICA_ARG_TIME,          // an absolute deadline",
         "  MICA_ARG_DURATION,",
         "  MICA_ARG_HANDLE,",
         "  MICA_ARG_IN_PTR,        // in_ptr, in_array, in_bytes, key_ptr",
         "  MICA_ARG_OUT_PTR,       // out_ptr, out_array, out_bytes, inout_*",
         "  MICA_ARG_OUT_HANDLE,",
         "  MICA_ARG_HANDLE_ARRAY,  // in_handle_array",
         "};", "",
         "#define MICA_SHAPE_NORETURN 1u",
         "#define MICA_SHAPE_BLOCKING 2u", "",
         "typedef struct mica_syscall_shape {",
         "  uint32_t number;",
         "  const char* name;",
         "  uint8_t num_args;",
         "  uint8_t flags;                 // MICA_SHAPE_*",
         "  uint8_t kind[8];               // enum mica_arg_kind",
         "  uint32_t obj_type[8];          // handle: the MICA_OBJ_TYPE_* it accepts (0 = any)",
         "} mica_syscall_shape_t;", "",
         "static const mica_syscall_shape_t kMicaSyscallShapes[] = {"]
    scalar_kind = {"uint32": "SCALAR32", "int32": "SCALAR32", "rights": "SCALAR32",
                   "signals": "SCALAR32", "uint64": "SCALAR64", "int64": "SCALAR64",
                   "vaddr": "SCALAR64", "paddr": "SCALAR64", "koid": "SCALAR64",
                   "size": "SIZE", "time": "TIME", "duration": "DURATION"}
    for c in sorted(defs.calls, key=lambda c: c.number):
        kinds, objs = [], []
        for p in c.params:
            k = p.kind
            if k == "scalar":
                kinds.append("MICA_ARG_" + scalar_kind[p.scalar])
            elif k == "handle":
                kinds.append("MICA_ARG_HANDLE")
            elif k in ("in_ptr", "in_array", "in_bytes", "key_ptr"):
                kinds.append("MICA_ARG_IN_PTR")
            elif k in ("out_ptr", "out_array", "out_bytes", "inout_ptr", "inout_array"):
                kinds.append("MICA_ARG_OUT_PTR")
            elif k == "out_handle":
                kinds.append("MICA_ARG_OUT_HANDLE")
            elif k == "in_handle_array":
                kinds.append("MICA_ARG_HANDLE_ARRAY")
            else:
                raise AssertionError(k)
            t = p.obj_types[0] if k == "handle" and len(p.obj_types) == 1 else None
            objs.append(f"MICA_OBJ_TYPE_{t.upper()}" if t else "0")
        flags = " | ".join(f for f, on in (("MICA_SHAPE_NORETURN", c.noreturn()),
                                           ("MICA_SHAPE_BLOCKING", "blocking" in c.attrs)) if on)
        o.append(f'    {{{c.number}, "{c.name}", {len(c.params)}, {flags or "0"}, '
                 f'{{{", ".join(kinds) or "0"}}}, {{{", ".join(objs) or "0"}}}}},')
    o += ["};", "", "#endif  // MICA_GEN_SYSCALL_SHAPES_H_", ""]
    return "\n".join(o)


# ---- Output: markdown reference ------------------------------------------------


def md_cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def gen_markdown(defs, statuses, types_h):
    o = ["<!-- " + BANNER + " -->", ""]
    o += defs.preamble
    o += ["", "## Status codes", "", "| Name | Value | Meaning |", "| --- | --- | --- |"]
    for name, (value, meaning) in statuses.items():
        o.append(f"| `{name}` | {value} | {md_cell(meaning)} |")
    o += ["", "## Rights", "", "| Right | Bit | Meaning |", "| --- | --- | --- |"]
    for name, value, meaning in parse_constants(types_h, "MICA_RIGHT_"):
        m = re.search(r"<<\s*(\d+)", value)
        bit = m.group(1) if m else "—"
        o.append(f"| `{name}` | {bit} | {md_cell(meaning)} |")
    o += ["", "Default rights of new handles are the `MICA_DEFAULT_<TYPE>_RIGHTS` macros of",
          "`<mica/types.h>`.", "", "## Signals", "", "| Signal | Bit | Meaning |",
          "| --- | --- | --- |"]
    for name, value, meaning in parse_constants(types_h, "MICA_SIGNAL_"):
        m = re.search(r"<<\s*(\d+)", value)
        bit = m.group(1) if m else "—"
        o.append(f"| `{name}` | {bit} | {md_cell(meaning)} |")
    o += ["", "## Object types", "", "| Type | Value | What it is |", "| --- | --- | --- |"]
    for name, value, meaning in parse_constants(types_h, "MICA_OBJ_TYPE_"):
        m = re.search(r"(\d+)\)*\s*$", value)
        o.append(f"| `{name}` | {m.group(1) if m else value} | {md_cell(meaning)} |")
    o += ["", "## Index", "", "| # | Call | Summary |", "| --- | --- | --- |"]
    for c in sorted(defs.calls, key=lambda c: c.number):
        o.append(f"| {c.number} | [`mica_{c.name}`](#mica_{c.name}) | {md_cell(c.summary)} |")
    for sec in defs.sections:
        o += ["", f"## {sec.title}", ""]
        if sec.doc:
            o += sec.doc + [""]
        for c in sec.calls:
            o += [f"### mica_{c.name}", "", f"Number {c.number}" +
                  (" · blocking" if "blocking" in c.attrs else "") +
                  (" · does not return" if c.noreturn() else "") + ".", "", "```c"]
            o += c_prototype(c)
            o += ["```", "", c.summary, ""]
            for b in c.body:
                o += [b, ""]
            if c.params:
                o += ["| Parameter | Type | Meaning |", "| --- | --- | --- |"]
                for p in c.params:
                    o.append(f"| `{p.name}` | `{md_cell(p.spelling())}` | {md_cell(p.doc)} |")
                o.append("")
            o += [f"**Rights:** {rights_summary(c)}", ""]
            if c.noreturn():
                o += ["**Returns:** never.", ""]
            elif not all_statuses(c, statuses):
                o += ["**Returns:** always `MICA_OK`.", ""]
            else:
                o += ["**Returns:** `MICA_OK` on success, or:", "", "| Status | When |",
                      "| --- | --- |"]
                for code, text in all_statuses(c, statuses):
                    o.append(f"| `{code}` | {md_cell(text)} |")
                o.append("")
    while o and o[-1] == "":
        o.pop()
    return "\n".join(o) + "\n"


# ---- Main --------------------------------------------------------------------------


def write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--defs", default=os.path.join(here, "syscalls.mica"))
    ap.add_argument("--status-h", default=os.path.join(here, "mica", "status.h"))
    ap.add_argument("--types-h", default=os.path.join(here, "mica", "types.h"))
    ap.add_argument("--out-dir", help="write every generated file here")
    ap.add_argument("--write-docs", help="write only the markdown reference to this path")
    args = ap.parse_args(argv)
    if not args.out_dir and not args.write_docs:
        ap.error("give --out-dir and/or --write-docs")
    statuses = status_values(args.status_h)
    if "MICA_OK" not in statuses or "MICA_ERR_INVALID_ARGS" not in statuses:
        print(f"{args.status_h}: no status codes found", file=sys.stderr)
        return 1
    rights = [n[len("MICA_RIGHT_"):] for n, _, _ in parse_constants(args.types_h, "MICA_RIGHT_")]
    rights = [r for r in rights if r not in ("NONE", "SAME_RIGHTS")]
    try:
        defs = parse_definitions(args.defs, statuses, rights, typedef_names(args.types_h))
    except DefinitionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    md = gen_markdown(defs, statuses, args.types_h)
    if args.out_dir:
        d = args.out_dir
        write(os.path.join(d, "mica", "syscalls.h"), gen_c_header(defs, statuses))
        write(os.path.join(d, "syscall_stubs.S"), gen_stubs(defs))
        write(os.path.join(d, "kernel", "syscall_decls.h"), gen_kernel_decls(defs))
        write(os.path.join(d, "kernel", "syscall_table.inc"), gen_kernel_table(defs))
        write(os.path.join(d, "test", "syscall_recorder.inc"), gen_recorder(defs))
        write(os.path.join(d, "mica", "syscall_shapes.h"), gen_fuzz_shapes(defs))
        write(os.path.join(d, "syscalls.md"), md)
    if args.write_docs:
        write(args.write_docs, md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
