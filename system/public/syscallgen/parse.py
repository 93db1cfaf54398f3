"""Parsing syscalls.mica (and the constants of mica/status.h and
mica/types.h) into a Definitions, with every check of a definition: a
malformed one raises DefinitionError(path, line, message)."""

import re

from .model import (ATTRIBUTES, COUNT_SCALARS, ELEM_TYPE_RE, MAX_ARGS, NAME_RE, OBJECT_TYPES,
                    SCALARS, DefinitionError, Definitions, Param, Section, Syscall)


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
